"""The vendored UCS list, UCS file names, CatID and category lookups."""

from __future__ import annotations

import hashlib
from importlib import resources

import pytest

from soundscout.metadata.ucs import (
    UCS_FILE,
    UcsEntry,
    UcsList,
    find_category,
    parse_ucs_csv,
    parse_ucs_name,
    ucs_list,
    ucs_words,
)

SHA256 = "6eb70328e896e5253d2d4d9738136a781244160f0b372a004362a57cd001e9ac"


def test_vendored_file_is_the_recorded_one() -> None:
    data = (resources.files("soundscout.metadata") / "data" / UCS_FILE).read_bytes()
    assert hashlib.sha256(data).hexdigest() == SHA256
    provenance = (resources.files("soundscout.metadata") / "data" / "PROVENANCE.md").read_text()
    assert SHA256 in provenance


def test_counts() -> None:
    entries = ucs_list().entries()
    assert len(ucs_list().categories()) == 82
    assert len(entries) == 753
    assert len({e.catid.lower() for e in entries}) == 753
    assert sum(len(e.synonyms) for e in entries) == 17876
    assert all(e.category and e.subcategory and e.cat_short and e.explanation for e in entries)


def test_entry_fields() -> None:
    entry = ucs_list().by_catid("DOORWood")
    assert entry is not None
    assert (entry.category, entry.subcategory, entry.cat_short) == ("DOORS", "WOOD", "DOOR")
    assert entry.explanation
    assert "Barn" in entry.synonyms and all(s == s.strip() and s for s in entry.synonyms)


def test_list_is_loaded_once() -> None:
    assert ucs_list() is ucs_list()


@pytest.mark.parametrize(
    ("catid", "expected"),
    [
        ("DOORWood", "DOORWood"),
        ("doorwood", "DOORWood"),
        ("  AMBForst ", "AMBForst"),
        ("RAIN", "RAIN"),
        ("wind", "WIND"),
        ("DOORFake", None),
        ("", None),
    ],
)
def test_by_catid(catid: str, expected: str | None) -> None:
    entry = ucs_list().by_catid(catid)
    assert (entry.catid if entry else None) == expected


def test_parse_csv_skips_title_rows_and_extra_columns() -> None:
    text = (
        "UCS v8.2.1 Full List,,,,,,\n"
        "Category,SubCategory,CatID,CatShort,Explanations,Synonyms,Deutsch\n"
        'DOORS,WOOD,DOORWood,DOOR,"Wooden doors.","Barn, Cabin ,",Holztür\n'
        ",,,,,,\n"
    )
    entries = parse_ucs_csv(text)
    assert entries == [
        UcsEntry("DOORWood", "DOORS", "WOOD", "DOOR", "Wooden doors.", ("Barn", "Cabin"))
    ]
    assert UcsList(entries).by_catid("doorwood") == entries[0]


def test_parse_csv_without_header_fails() -> None:
    with pytest.raises(ValueError, match="header"):
        parse_ucs_csv("a,b,c\n1,2,3\n")


# stem -> (catid, user_category, vendor_category, fx_name, creator, source, user_data, known)
UCS_NAMES = [
    (
        "DOORWood_Slam Heavy Wooden Door_JD_LIB",
        ("DOORWood", None, None, "Slam Heavy Wooden Door", "JD", "LIB", None, True),
    ),
    (
        "AMBForst-Night_Crickets Far_JD_NATURE_take2",
        ("AMBForst", "Night", None, "Crickets Far", "JD", "NATURE", "take2", True),
    ),
    (
        "WEAPSwrd_BLADES-Sword Whoosh_ABC_SWORDS",
        ("WEAPSwrd", None, "BLADES", "Sword Whoosh", "ABC", "SWORDS", None, True),
    ),
    (
        "GUNAuto-INT_UZI 9MM-Rapid Fire_TN_DORY_WideMKH8020",
        ("GUNAuto", "INT", "UZI 9MM", "Rapid Fire", "TN", "DORY", "WideMKH8020", True),
    ),
    ("GUNAuto_Uzi Bursts_TN_DORY", ("GUNAuto", None, None, "Uzi Bursts", "TN", "DORY", None, True)),
    (
        "DSGNSrce_Sci-Fi Door Open_AB_SCIFI",
        ("DSGNSrce", None, None, "Sci-Fi Door Open", "AB", "SCIFI", None, True),
    ),
    (
        "AMBForst_Dawn Chorus_JD_NATURE_ORTF_48k_v2",
        ("AMBForst", None, None, "Dawn Chorus", "JD", "NATURE", "ORTF_48k_v2", True),
    ),
    (
        "RAIN_Heavy On Roof_JD_STORMS",
        ("RAIN", None, None, "Heavy On Roof", "JD", "STORMS", None, True),
    ),
    ("WIND_Howl", ("WIND", None, None, "Howl", None, None, None, True)),
    ("FEETHmn_Gravel Walk_JD", ("FEETHmn", None, None, "Gravel Walk", "JD", None, None, True)),
    ("doorWood_Slam_JD_LIB", None),
    (
        "DOORFake_Slam Heavy_JD_LIB",
        ("DOORFake", None, None, "Slam Heavy", "JD", "LIB", None, False),
    ),
    ("ZZZTest-Alt_Thing_AB_CD_x", ("ZZZTest", "Alt", None, "Thing", "AB", "CD", "x", False)),
    ("DOORFake_Slam Heavy", None),
    ("DOORFake_Slam__LIB", None),
    ("DOORWood", None),
    ("DOORWood__JD_LIB", None),
    ("kick_01", None),
    ("Door Slam", None),
    ("AMB_Forest_Night_LP", None),
    ("SFX-Whoosh_Fast-02", None),
    ("HH_Closed_01", None),
    ("wind_howl_loop_01", None),
    ("TR808_Kick_Hard_01", None),
    ("Kick_808_Deep_v2", None),
]


@pytest.mark.parametrize(("stem", "expected"), UCS_NAMES)
def test_parse_ucs_name(stem: str, expected: tuple[object, ...] | None) -> None:
    parsed = parse_ucs_name(stem)
    if expected is None:
        assert parsed is None
        return
    assert parsed is not None
    *parts, known = expected
    got = (
        parsed.catid,
        parsed.user_category,
        parsed.vendor_category,
        parsed.fx_name,
        parsed.creator_id,
        parsed.source_id,
        parsed.user_data,
    )
    assert got == tuple(parts)
    if known:
        assert parsed.entry is not None and parsed.entry.catid == parsed.catid
    else:
        assert parsed.entry is None


def test_ucs_words() -> None:
    text = ucs_words(ucs_list().by_catid("DOORWood"))
    assert text.startswith("doors wood apartment armoires barn ")
    assert "  " not in text and text == text.strip()
    words = text.split()
    assert words[:2] == ["doors", "wood"]
    assert {"barn", "cabin"} <= set(words)
    assert len(words) == len(set(words))
    assert "hydraulic" in ucs_words(ucs_list().by_catid("DOORHydr")).split()
    assert "&" not in ucs_words(ucs_list().by_catid("DOORHydr"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DOORS", 22),
        ("doors", 22),
        ("DOORS-WOOD", ["DOORWood"]),
        ("Doors/Wood", ["DOORWood"]),
        ("doors / wood", ["DOORWood"]),
        ("DOORWood", ["DOORWood"]),
        ("doorwood", ["DOORWood"]),
        ("WIND", 7),
        ("Vehicles - Truck Van & SUV", ["VEHTruck"]),
        ("Dirt & Sand", 7),
        ("AMB", 47),  # a category's short code
        ("ui", 7),
        ("DOORS-NOPE", []),
        ("nothing", []),
        ("", []),
    ],
)
def test_find_category(text: str, expected: int | list[str]) -> None:
    found = find_category(text)
    if isinstance(expected, int):
        assert len(found) == expected
        assert len({e.category for e in found}) == 1
    else:
        assert [e.catid for e in found] == expected

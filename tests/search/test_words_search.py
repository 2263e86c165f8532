"""Words search through the service, on real files with real embedded metadata.

One library is indexed per module (tiny encoder: its vectors mean nothing, so whatever a
words test finds, it finds through the words). Each embedded-metadata file carries one
made-up word that is nowhere but in its tags.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from soundscout.errors import InvalidQueryError
from soundscout.search.lexical import parse_words
from soundscout.search.query import Filters, SearchHit
from soundscout.search.relevance import UNKNOWN_WORDS_SCALE, band, relevance
from soundscout.search.service import SearchResult, SearchService
from soundscout.search.word_forms import missed_forms
from tests.conftest import make_settings
from tests.taggen import (
    FFMPEG,
    ODD_QUERIES,
    bext_chunk,
    info_list,
    ixml_chunk,
    plain,
    tagged,
    wav,
)

MATCHES = ("both", "words", "sound")

# (file name, made-up word, the lexical field it must be found in): the word is in the tags only.
EMBEDDED = [
    ("clip_bext.wav", "zorblax", "description"),
    ("clip_ixml_keywords.wav", "quenthor", "keywords"),
    ("clip_ixml_fxname.wav", "glorpwing", "title"),
    ("clip_ixml_library.wav", "brindleco", "other"),
    ("clip_info_comment.wav", "frumwhistle", "description"),
    ("clip_info_keywords.wav", "snorkwattle", "keywords"),
    ("clip_id3.mp3", "vexmir", "title"),
    ("clip_vorbis.ogg", "plimzat", "description"),
    ("clip_vorbis.flac", "grindlefoo", "keywords"),
    ("clip_mp4.m4a", "wumbatic", "category"),
    ("clip_aiff.aiff", "zintorro", "title"),
]

UCS_FILES = {
    "wood": "DOORWood_Slam Heavy Wooden Door_JD_LIB.wav",
    "metal": "DOORMetl_Vault Clang_JD_LIB.wav",
    "drip": "WATRDrip_Cave Plink_JD_LIB.wav",
    "unknown": "ZZZQFoo_Odd Thing_JD_LIB.wav",
    "forest_tag": "birds_dawn_chorus.wav",  # its CatID is in its iXML only
    "bad_tag": "mystery_hum.wav",  # its iXML CatID is not in the UCS list
}

LEXICAL_FILES = {
    "impact_metal": "Impact_Metal_Clang.wav",
    "impact_wood": "Impact_Wood_Thud.wav",
    "impact_tagged": "Impact_Heavy.wav",  # "metal" in its bext description only
    "explosion": "Big_Explosion.wav",
    "creaking": "Gate_Creaking.wav",
    "cafe": "Café_Ambience.wav",
    "japanese": "ドア_開く.wav",
    "hihat": "Hi-Hat_Open.wav",
}


def _write_embedded(root: Path, seed: int) -> int:
    front = {
        "clip_bext.wav": [bext_chunk(b"zorblax rumble")],
        "clip_ixml_keywords.wav": [ixml_chunk({"KEYWORDS": "quenthor hinge"})],
        "clip_ixml_fxname.wav": [ixml_chunk({"FXNAME": "Glorpwing"})],
        "clip_ixml_library.wav": [ixml_chunk({"LIBRARY": "Brindleco Sounds"})],
    }
    back = {
        "clip_info_comment.wav": [info_list({b"ICMT": b"frumwhistle far away"})],
        "clip_info_keywords.wav": [info_list({b"IKEY": b"snorkwattle; gravel"})],
    }
    tags = {
        "clip_id3.mp3": {"title": "Vexmir"},
        "clip_vorbis.ogg": {"comment": "plimzat drone"},
        "clip_vorbis.flac": {"keywords": "grindlefoo"},
        "clip_mp4.m4a": {"genre": "Wumbatic"},
        "clip_aiff.aiff": {"title": "Zintorro"},
    }
    for name, _, _ in EMBEDDED:
        seed += 1
        path = root / "embedded" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name in tags:
            if FFMPEG is not None:  # the tagged formats are written by ffmpeg
                tagged(path, seed, **tags[name])
        else:
            wav(path, seed, front=front.get(name, ()), back=back.get(name, ()))
    return seed


def _write_ucs(root: Path, seed: int) -> int:
    folder = root / "ucs"
    for key, name in UCS_FILES.items():
        seed += 1
        if key == "forest_tag":
            wav(folder / name, seed, front=[ixml_chunk({"CATID": "AMBForst"})])
        elif key == "bad_tag":
            wav(folder / name, seed, front=[ixml_chunk({"CATID": "BOGUSCat"})])
        else:
            plain(folder / name, seed)
    return seed


def _write_lexical(root: Path, seed: int) -> int:
    folder = root / "misc"
    for key, name in LEXICAL_FILES.items():
        seed += 1
        if key == "impact_tagged":
            wav(folder / name, seed, front=[bext_chunk(b"metal plate hit")])
        else:
            plain(folder / name, seed)
    return seed


class Lib:
    """The indexed library: the service and each file's id by name."""

    def __init__(self, service: SearchService, root: Path) -> None:
        self.service, self.root = service, root
        self.ids = {
            Path(p).name: row.id for p, row in service.catalog.rows_under(str(root)).items()
        }

    def search(self, **kwargs: object) -> SearchResult:
        return self.service.search(k=100, **kwargs)  # type: ignore[arg-type]

    def names(self, result: SearchResult) -> list[str]:
        return [Path(h.path).name for h in result.hits]


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lib]:
    tmp = tmp_path_factory.mktemp("words")
    root = tmp / "sounds"
    seed = _write_embedded(root, 0)
    seed = _write_ucs(root, seed)
    _write_lexical(root, seed)
    service = SearchService(make_settings(tmp / "library"))
    report = service.index_folder(root, progress=False)
    embedded = [e for e in EMBEDDED if e[0].endswith(".wav") or FFMPEG is not None]
    assert report.failed == 0
    assert report.ok == len(embedded) + len(UCS_FILES) + len(LEXICAL_FILES)
    yield Lib(service, root)
    service.close()


def _hit(result: SearchResult, name: str) -> SearchHit:
    return next(h for h in result.hits if Path(h.path).name == name)


# --- 1. found by the words embedded in the file ---------------------------------------------


@pytest.mark.parametrize(("name", "word", "field"), EMBEDDED, ids=[e[0] for e in EMBEDDED])
def test_embedded_word_finds_its_file_first(lib: Lib, name: str, word: str, field: str) -> None:
    assert name.endswith(".wav") or FFMPEG is not None, "scripts/install.sh installs ffmpeg"
    assert word not in name.lower()
    sound_id = lib.ids[name]
    fields = lib.service.lexical.fields(sound_id)
    assert word in fields[field].lower()
    assert word not in fields.get("name", "") + fields.get("folders", "")

    words = lib.search(text=word, match="words")
    assert lib.names(words) == [name]  # the only file holding it
    explain = words.hits[0].explain
    assert explain is not None and explain.words_rank == 1 and explain.sound_rank is None
    assert [(m.field, m.words) for m in explain.matches] == [(field, (word,))]
    assert explain.coverage == 1.0

    both = lib.search(text=word, match="both")
    assert both.hits[0].id == sound_id
    top = both.hits[0].explain
    assert top is not None and top.words_rank == 1 and top.sound_rank is not None
    assert [m.field for m in top.matches] == [field]
    assert all(h.explain.words_rank is None for h in both.hits[1:])  # type: ignore[union-attr]


def test_sound_match_ignores_the_words(lib: Lib) -> None:
    """match=sound ranks by the vectors only: the same order as an untouched vector query."""
    result = lib.search(text="zorblax", match="sound")
    assert result.match == "sound"
    assert all(h.explain.words_rank is None for h in result.hits)  # type: ignore[union-attr]
    # nor does it explain by words it did not rank with
    assert all(not h.explain.matches and h.explain.coverage is None for h in result.hits)  # type: ignore[union-attr]
    vector = lib.service.embed_text("zorblax")
    stored = lib.service.catalog.embeddings([h.id for h in result.hits])
    expected = sorted(stored, key=lambda i: -float(stored[i] @ vector))
    assert [h.id for h in result.hits] == expected


def test_words_are_searched_in_every_match_mode_by_default(lib: Lib) -> None:
    assert lib.service.settings.search.match == "both"
    result = lib.search(text="quenthor")
    assert result.match == "both" and lib.names(result)[0] == "clip_ixml_keywords.wav"


# --- 2. UCS ---------------------------------------------------------------------------------


def test_ucs_name_gives_the_category(lib: Lib) -> None:
    catalog = lib.service.catalog
    wood = catalog.get(lib.ids[UCS_FILES["wood"]])
    assert wood is not None
    assert (wood.ucs_catid, wood.ucs_category, wood.ucs_subcategory) == (
        "DOORWood",
        "DOORS",
        "WOOD",
    )
    drip = catalog.get(lib.ids[UCS_FILES["drip"]])
    assert drip is not None and (drip.ucs_category, drip.ucs_subcategory) == ("WATER", "DRIP")
    forest = catalog.get(lib.ids[UCS_FILES["forest_tag"]])
    assert forest is not None and forest.ucs_catid == "AMBForst"
    plain_row = catalog.get(lib.ids[LEXICAL_FILES["explosion"]])
    assert plain_row is not None and plain_row.ucs_catid is None
    # The FX name is the name; the creator and source ids are "other" words.
    fields = lib.service.lexical.fields(wood.id)
    assert fields["name"] == "slam heavy wooden door doorwood"
    assert "jd" in fields["other"].lower() and "closet" in fields["category"]


def test_found_by_a_ucs_synonym_not_in_its_name(lib: Lib) -> None:
    name = UCS_FILES["wood"]
    assert "closet" not in name.lower()
    for match in ("words", "both"):
        result = lib.search(text="closet", match=match)
        assert lib.names(result)[0] == name
        explain = result.hits[0].explain
        assert explain is not None
        assert [(m.field, m.words) for m in explain.matches] == [("category", ("closet",))]
        assert (result.hits[0].category, result.hits[0].subcategory) == ("DOORS", "WOOD")
    words_only = lib.search(text="closet", match="words")
    assert lib.names(words_only) == [name]


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        ("DOORS", {"wood", "metal"}),
        ("doors", {"wood", "metal"}),
        ("DOORS-WOOD", {"wood"}),
        ("Doors/Wood", {"wood"}),
        ("DOORWood", {"wood"}),
        ("doorwood", {"wood"}),
        ("WATER", {"drip"}),
        ("AMBIENCE-FOREST", {"forest_tag"}),
    ],
)
@pytest.mark.parametrize("match", MATCHES)
def test_category_filter_keeps_only_that_category(
    lib: Lib, category: str, expected: set[str], match: str
) -> None:
    # Every file of these categories holds a word of the text ("jd" is in each UCS name,
    # "birds" in the forest file's), and so do files of other categories ("impact"): the
    # filter, not the text, decides.
    text = "door slam jd impact birds"
    result = lib.search(text=text, match=match, filters=Filters(category=category))
    assert set(lib.names(result)) == {UCS_FILES[key] for key in expected}
    assert len(lib.search(text=text, match=match).hits) > len(expected)


@pytest.mark.parametrize("match", MATCHES)
def test_folder_filter_applies_to_the_words_list(lib: Lib, match: str) -> None:
    result = lib.search(text="door impact closet", match=match, filters=Filters(folder="ucs"))
    assert result.hits and {Path(h.path).parent.name for h in result.hits} == {"ucs"}
    if match != "sound":
        assert lib.names(result)[0] == UCS_FILES["wood"]


def test_folder_names_are_words(lib: Lib) -> None:
    found = lib.search(text="embedded", match="words")
    assert set(lib.names(found)) == {name for name in lib.ids if name.startswith("clip_")}
    assert len(found.hits) >= 6
    explain = found.hits[0].explain
    assert explain is not None and [m.field for m in explain.matches] == ["folders"]


def test_category_filter_on_audio_queries(lib: Lib) -> None:
    reference = lib.ids[LEXICAL_FILES["explosion"]]
    result = lib.search(sound_id=reference, filters=Filters(category="DOORS-WOOD"))
    assert lib.names(result) == [UCS_FILES["wood"]]


@pytest.mark.parametrize("match", MATCHES)
@pytest.mark.parametrize("category", ["NOPE", "DOORS-NOPE", "DOORWoo", "DOORS WOOD EXTRA"])
def test_unknown_category_is_an_invalid_query(lib: Lib, match: str, category: str) -> None:
    with pytest.raises(InvalidQueryError, match="Unknown UCS category") as info:
        lib.search(text="door", match=match, filters=Filters(category=category))
    assert "DOORS-WOOD" in (info.value.hint or "")


def test_blank_category_is_no_filter(lib: Lib) -> None:
    assert not Filters(category="  ").active
    assert len(lib.search(text="door", match="sound", filters=Filters(category="")).hits) == len(
        lib.ids
    )


def test_ucs_looking_name_with_unknown_catid_is_indexed_with_a_warning(lib: Lib) -> None:
    sound_id = lib.ids[UCS_FILES["unknown"]]
    row = lib.service.catalog.get(sound_id)
    assert row is not None and row.status == "done" and row.ucs_catid is None
    tags, warnings = lib.service.catalog.tags(sound_id)
    assert tags == {}
    assert len(warnings) == 1 and "looks like UCS" in warnings[0] and "ZZZQFoo" in warnings[0]
    # Its words are searched as a plain name.
    assert lib.names(lib.search(text="odd thing", match="words"))[0] == UCS_FILES["unknown"]


def test_unknown_catid_tag_is_a_warning(lib: Lib) -> None:
    sound_id = lib.ids[UCS_FILES["bad_tag"]]
    row = lib.service.catalog.get(sound_id)
    assert row is not None and row.status == "done" and row.ucs_catid is None
    tags, warnings = lib.service.catalog.tags(sound_id)
    assert tags["ixml.USER.CATID"] == "BOGUSCat"
    assert warnings == ["CatID tag 'BOGUSCat' is not in the UCS list"]


def test_category_counts(lib: Lib) -> None:
    assert lib.service.catalog.category_counts() == [
        ("AMBIENCE", "FOREST", 1),
        ("DOORS", "METAL", 1),
        ("DOORS", "WOOD", 1),
        ("WATER", "DRIP", 1),
    ]


# --- 4. query syntax: negatives, prefixes, phrases, stemming, Unicode --------------------------


@pytest.mark.parametrize("match", MATCHES)
def test_negative_term_leaves_files_out_of_both_lists(lib: Lib, match: str) -> None:
    metal_impacts = {LEXICAL_FILES["impact_metal"], LEXICAL_FILES["impact_tagged"]}
    metal = metal_impacts | {UCS_FILES["metal"]}  # DOORMetl: "metal" in its category words
    wood = LEXICAL_FILES["impact_wood"]
    plain_result = lib.search(text="impact", match=match)
    assert metal_impacts <= set(lib.names(plain_result))  # found without the negative term
    result = lib.search(text="impact -metal", match=match)
    names = lib.names(result)
    assert not metal & set(names)
    assert wood in names
    if match != "sound":
        assert names[0] == wood
    if match != "words":  # the sound list ranks every sound of this small library
        assert len(names) == len(lib.ids) - len(metal)


def test_negative_phrase_and_negative_only(lib: Lib) -> None:
    result = lib.search(text='impact -"metal clang"', match="words")
    assert set(lib.names(result)) == {
        LEXICAL_FILES["impact_wood"],
        LEXICAL_FILES["impact_tagged"],
    }
    with pytest.raises(InvalidQueryError, match="only leaves words out"):
        lib.search(text="-metal", match="both")


def test_prefix_finds_the_longer_word(lib: Lib) -> None:
    name = LEXICAL_FILES["explosion"]
    assert lib.names(lib.search(text="explo", match="words")) == []  # not a word here
    result = lib.search(text="expl*", match="words")
    assert lib.names(result) == [name]
    explain = result.hits[0].explain
    assert explain is not None and explain.matches[0].field == "name"
    assert explain.matches[0].words == ("explosion",)
    assert lib.names(lib.search(text="expl*", match="both"))[0] == name


@pytest.mark.parametrize(
    ("query", "key"),
    [("explosi*", "explosion"), ("creaki*", "creaking"), ("EXPLOSIÓ*", "explosion")],
)
def test_prefix_past_the_stem_finds_the_word(lib: Lib, query: str, key: str) -> None:
    """The index holds stems ("explos", "creak") and FTS5 stems a prefix as a word, so a
    prefix longer than the stem finds its words through the written words."""
    result = lib.search(text=query, match="words")
    assert lib.names(result) == [LEXICAL_FILES[key]]
    explain = result.hits[0].explain
    assert explain is not None and explain.matches[0].field == "name"


def test_left_out_prefix_past_the_stem(lib: Lib) -> None:
    explosion = LEXICAL_FILES["explosion"]
    assert explosion in lib.names(lib.search(text="big", match="both"))
    assert explosion not in lib.names(lib.search(text="big -explosi*", match="both"))


def test_written_words_a_prefix_adds(lib: Lib) -> None:
    """Only the words whose stems the prefix misses are added, each as written."""
    catalog = lib.service.catalog
    assert missed_forms(catalog, "explosi") == ("explosion",)
    assert missed_forms(catalog, "expl") == ()  # "explos" starts with it: FTS5 finds it
    assert missed_forms(catalog, "zzzq") == ()


def test_porter_stemming(lib: Lib) -> None:
    assert lib.names(lib.search(text="creaks", match="words")) == [LEXICAL_FILES["creaking"]]
    assert lib.names(lib.search(text="explosions", match="words")) == [LEXICAL_FILES["explosion"]]
    doors = lib.names(lib.search(text="doors", match="words"))
    assert UCS_FILES["wood"] in doors  # "door" in its name, "doors" in its category
    assert lib.ids  # and "door" finds the same set as "doors"
    assert set(doors) == set(lib.names(lib.search(text="door", match="words")))


def test_phrase_keeps_the_word_order(lib: Lib) -> None:
    wood = LEXICAL_FILES["impact_wood"]
    assert lib.names(lib.search(text='"wood thud"', match="words")) == [wood]
    assert lib.names(lib.search(text='"thud wood"', match="words")) == []
    assert lib.names(lib.search(text="thud wood", match="words"))[0] == wood  # any order


def test_hyphenated_word_is_a_phrase(lib: Lib) -> None:
    hihat = LEXICAL_FILES["hihat"]
    assert lib.names(lib.search(text="hi-hat", match="words")) == [hihat]
    assert lib.names(lib.search(text="hat hi", match="words")) == [hihat]  # words, any order


@pytest.mark.parametrize("query", ["café", "cafe", "CAFÉ", "Cafe ambience"])
def test_accents_are_ignored(lib: Lib, query: str) -> None:
    assert lib.names(lib.search(text=query, match="words"))[0] == LEXICAL_FILES["cafe"]


def test_japanese_words(lib: Lib) -> None:
    name = LEXICAL_FILES["japanese"]
    # the file named as typed first, then the English-named doors (search/crosslingual.py)
    doors = {UCS_FILES["wood"], UCS_FILES["metal"]}
    found = lib.names(lib.search(text="ドア", match="words"))
    assert found[0] == name and set(found[1:]) == doors
    found = lib.names(lib.search(text="開く", match="words"))  # "open"
    assert found == [name, LEXICAL_FILES["hihat"]]
    assert lib.names(lib.search(text="ドア", match="both"))[0] == name


def test_stop_words_only_are_matched_as_they_are(lib: Lib) -> None:
    """Common words alone are searched (a folder may be called "Sounds"); next to real
    words they are dropped (below)."""
    words = lib.search(text="the of", match="words")
    assert words.hits == []  # no name here holds them: said so, not refused
    assert len(words.notes) == 1 and "holds the words of 'the of'" in words.notes[0]
    both = lib.search(text="the of", match="both")  # the sound side has a sentence
    assert both.hits


def test_stop_words_are_dropped_next_to_real_words(lib: Lib) -> None:
    assert lib.names(lib.search(text="the explosion of", match="words")) == [
        LEXICAL_FILES["explosion"]
    ]


def test_more_terms_rank_higher(lib: Lib) -> None:
    result = lib.search(text="impact wood thud", match="words")
    assert lib.names(result)[0] == LEXICAL_FILES["impact_wood"]
    coverage = {Path(h.path).name: h.explain.coverage for h in result.hits}  # type: ignore[union-attr]
    assert coverage[LEXICAL_FILES["impact_wood"]] == 1.0
    assert coverage[LEXICAL_FILES["impact_metal"]] == pytest.approx(1 / 3)


def test_words_results_carry_relevance_and_bands(lib: Lib) -> None:
    full = lib.search(text="impact wood thud", match="words")
    for hit in full.hits:
        assert hit.relevance is not None and 0 <= hit.relevance <= 1
        assert hit.band == band(hit.relevance)
    best = _hit(full, LEXICAL_FILES["impact_wood"])  # all three words
    metal = _hit(full, LEXICAL_FILES["impact_metal"])  # one of three
    assert best.relevance > metal.relevance  # type: ignore[operator]


@pytest.mark.parametrize("match", MATCHES)
@pytest.mark.parametrize("query", ODD_QUERIES, ids=range(len(ODD_QUERIES)))
def test_odd_queries_never_fail(lib: Lib, query: str, match: str) -> None:
    try:
        result = lib.search(text=query, match=match)
    except InvalidQueryError:
        assert not parse_words(query).include  # blank, or nothing but symbols
        return
    assert result.match == match
    assert isinstance(result.notes, tuple)


def test_odd_queries_in_hybrid_and_filtered_searches(lib: Lib) -> None:
    reference = lib.ids[LEXICAL_FILES["explosion"]]
    for query in ODD_QUERIES:
        result = lib.search(text=query, sound_id=reference, match="both")
        assert result.mode in ("hybrid", "audio")
        doors = Filters(category="DOORS", formats=("wav",))
        if parse_words(query).include:
            lib.search(text=query, match="words", filters=doors)
        else:  # nothing to find: said so, whatever the filters
            with pytest.raises(InvalidQueryError, match="Nothing to search for|leaves words out"):
                lib.search(text=query, match="words", filters=doors)


def test_too_many_words_are_cut_with_a_note(lib: Lib) -> None:
    query = " ".join(f"word{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(40))
    query += " zorblax"
    result = lib.search(text=query, match="words")
    assert any("first 16 words" in note for note in result.notes)
    assert result.hits == []  # zorblax was the 41st word
    # and nothing found by words alone says so, with the query cut short
    (said,) = [n for n in result.notes if "names, folders or tags" in n]
    assert "match mode, both" in said and "wordaa" in said and "zorblax" not in said


def test_a_words_search_that_finds_nothing_says_what_to_try(lib: Lib) -> None:
    result = lib.search(text="qwzxv", match="words")
    assert result.hits == []
    assert result.notes == (
        "No sound holds the words of 'qwzxv' in its names, folders or tags; the default "
        "match mode, both, also searches by how the sounds sound.",
    )
    assert not any("names, folders" in n for n in lib.search(text="qwzxv", match="both").notes)
    found = lib.search(text="explosion", match="words")
    assert found.hits and not any("names, folders" in n for n in found.notes)
    # under a filter that keeps the explosion out, it is the filtered sounds that lack it
    wavs_of_doors = Filters(category="DOORS")
    filtered = lib.search(text="explosion", match="words", filters=wavs_of_doors)
    assert filtered.hits == [] and any("No sound passing the filters" in n for n in filtered.notes)


# --- Unicode forms, apostrophes and stop-word prefixes ---------------------------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lib]:
    tmp = tmp_path_factory.mktemp("words_bugs")
    root = tmp / "sounds"
    plain(root / unicodedata.normalize("NFD", "Tür_Knarren.wav"), 1)  # as macOS names it
    wav(root / "clip_nfc.wav", 2, front=[bext_chunk("Schlüssel klirren".encode())])
    plain(root / "Don't_Stop.wav", 3)
    wav(root / "clip_wont.wav", 4, front=[bext_chunk(b"Won't budge")])
    plain(root / "Forest_Birds.wav", 5)
    plain(root / "Bell_Ring.wav", 6)
    service = SearchService(make_settings(tmp / "library"))
    assert service.index_folder(root, progress=False).ok == 6
    yield Lib(service, root)
    service.close()


def _nfd_name(name: str) -> str:
    return unicodedata.normalize("NFD", name)


def test_decomposed_file_name_is_found_by_its_word(small: Lib) -> None:
    name = _nfd_name("Tür_Knarren.wav")
    assert small.names(small.search(text="tür", match="words")) == [name]


def test_decomposed_query_finds_the_word(small: Lib) -> None:
    found = small.search(text=_nfd_name("schlüssel"), match="words")
    assert small.names(found) == ["clip_nfc.wav"]


@pytest.mark.parametrize(
    ("query", "name"), [("for*", "Forest_Birds.wav"), ("be*", "Bell_Ring.wav")]
)
def test_prefix_of_a_stop_word_is_kept(small: Lib, query: str, name: str) -> None:
    assert small.names(small.search(text=query, match="words")) == [name]


def test_prefix_of_a_stop_word_works_when_longer(small: Lib) -> None:
    assert small.names(small.search(text="fore*", match="words")) == ["Forest_Birds.wav"]
    assert small.names(small.search(text="bel*", match="words")) == ["Bell_Ring.wav"]


def test_apostrophe_words_in_names_and_tags(small: Lib) -> None:
    assert small.names(small.search(text="don't", match="words")) == ["Don't_Stop.wav"]
    assert small.names(small.search(text="won't", match="words")) == ["clip_wont.wav"]


def test_names_are_found_as_they_are_typed(tmp_path: Path) -> None:
    """A query is split as names are: a camelCase run, a file name, a CatID find their file;
    a word written as one run finds a name that splits it by case."""
    root = tmp_path / "sounds"
    plain(root / "FootStepSnow1.wav", 1)
    plain(root / "door_slam_heavy_03.wav", 2)
    plain(root / "DOORWood_Creak Open Slow_JD_LIB.wav", 3)
    plain(root / "rain_on_roof.wav", 4)
    service = SearchService(make_settings(tmp_path / "library"))
    try:
        assert service.index_folder(root, progress=False).ok == 4

        def first(query: str) -> str:
            return Path(service.search(text=query, match="words").hits[0].path).name

        assert first("footstep") == "FootStepSnow1.wav"
        explain = service.search(text="footstep", match="words").hits[0].explain
        assert explain is not None  # the name's words, not also their joined pair
        assert [m.words for m in explain.matches if m.field == "name"] == [("foot", "step")]
        assert first("FootStepSnow1") == "FootStepSnow1.wav"
        assert first("door_slam_heavy_03") == "door_slam_heavy_03.wav"
        assert first("door/slam") == "door_slam_heavy_03.wav"
        assert first("DOORWood") == "DOORWood_Creak Open Slow_JD_LIB.wav"
    finally:
        service.close()


def test_sounds_without_the_words_others_hold_are_less_relevant(lib: Lib) -> None:
    """In a fused search whose words are found in the library, a result holding none of
    them gets the calibration's `unmatched` term; with no word found anywhere, it does not."""
    found = lib.search(text="zorblax", match="both")
    assert any(h.explain.coverage for h in found.hits)  # type: ignore[union-attr]
    nowhere = lib.search(text="qqqxqqq", match="both")
    assert not any(h.explain.coverage for h in nowhere.hits)  # type: ignore[union-attr]
    # no word of "qqqxqqq" is known anywhere: its relevance is scaled down besides
    for result, unmatched, scale in ((found, True, 1.0), (nowhere, False, UNKNOWN_WORDS_SCALE)):
        for hit in result.hits:
            explain = hit.explain
            assert explain is not None
            if explain.coverage:
                continue
            expected = relevance("both", explain.sound_z, 0.0, unmatched) * scale
            assert hit.relevance == pytest.approx(expected, abs=1e-4)
    assert relevance("both", 2.0, 0.0, True) < relevance("both", 2.0, 0.0, False)


def test_filters_alone_browse_by_path(lib: Lib) -> None:
    """A category (or any filter) without a query lists the sounds passing it, by path."""
    result = lib.search(filters=Filters(category="DOORS"))
    assert result.mode == "browse" and result.hits
    assert all(h.category == "DOORS" for h in result.hits)
    paths = [h.path for h in result.hits]
    assert paths == sorted(paths)
    assert len(lib.service.search(filters=Filters(category="DOORS"), k=1).hits) == 1
    with pytest.raises(InvalidQueryError):
        lib.service.search()


def test_a_word_as_typed_in_an_artist_tag_does_not_come_first(tmp_path: Path) -> None:
    """German "Kuh" finds cows by their English name before a waterfall whose artist tag is
    "Video-Kuh Produktion": the as-typed tier reads what a sound is, not who made it."""
    root = tmp_path / "sounds"
    plain(root / "cow_moo.wav", 1)
    tagged(root / "waterfall_loop.ogg", 2, artist="Video-Kuh Produktion")
    service = SearchService(make_settings(tmp_path / "library"))
    try:
        service.index_folder(root, progress=False)
        hits = service.search(text="Kuh", match="words", k=5).hits
    finally:
        service.close()
    assert [Path(h.path).name for h in hits] == ["cow_moo.wav", "waterfall_loop.ogg"]

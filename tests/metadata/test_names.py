"""Words from file and folder names: splitting, noise dropping, abbreviations, folders."""

from __future__ import annotations

import time

import pytest

from soundscout.metadata.names import (
    ABBREVIATIONS,
    NameWords,
    expand_words,
    name_words,
    split_words,
    words_from_path,
)

ROOT = "/lib"

# (path below ROOT, expected name words, expected folder words)
CASES = [
    ("Doors/Wood/door_slam_heavy_03.wav", "door slam heavy", "wood doors"),
    ("Kick_808_Deep_v2.wav", "kick 808 deep", ""),
    ("HH_Closed_01.aif", "hh hihat hi hat closed", ""),
    ("AMB_Forest_Night_LP.wav", "amb ambience forest night lp loop", ""),
    ("FootstepsGravel-Walk (1).wav", "footsteps gravel walk", ""),
    ("BigExplosion_Distant.v3.flac", "big explosion distant", ""),
    ("vox_scream_female_take4.wav", "vox voice vocal scream female", ""),
    ("Audio 0001.wav", "audio", ""),
    ("SFX-Whoosh_Fast-02.mp3", "sfx sound effects whoosh fast", ""),
    ("Tür_zuschlagen.wav", "tür zuschlagen", ""),
    ("ドアを閉める_01.wav", "ドアを閉める", ""),
    ("Geräusche/Türen/SchöneTürZu.wav", "schöne tür zu", "türen geräusche"),
    ("ÉCOLE_Cloche_Récré.wav", "école cloche récré", ""),
    ("Door.Slam.Heavy.wav", "door slam heavy", ""),
    ("Glass.Break.Bottle.03.aiff", "glass break bottle", ""),
    (
        "DOORWood_Slam Heavy Wooden Door_JD_LIB.wav",
        "door wood slam heavy wooden jd lib",
        "",
    ),
    (
        "AMBForst-Night_Crickets Far_JD_NATURE_take2.wav",
        "amb ambience forst night crickets far jd nature",
        "",
    ),
    (
        "WEAPSwrd_BLADES-Sword Whoosh_ABC_SWORDS.wav",
        "weap swrd blades sword whoosh abc swords",
        "",
    ),
    ("DoorSlam.wav", "door slam", ""),
    ("HTTPServerHum.wav", "http server hum", ""),
    ("kick808.wav", "kick 808", ""),
    ("TR808_Kick_Long.wav", "tr808 kick long", ""),
    ("AK47_Burst_Close_03.wav", "ak47 burst close", ""),
    ("Gun_9mm_Shot.wav", "gun 9mm shot", ""),
    ("Snare02.wav", "snare", ""),
    ("Impact_Metal_V03.wav", "impact metal", ""),
    ("Door Slam copy 2.wav", "door slam", ""),
    ("Door Slam - Copy (2).wav", "door slam", ""),
    ("Copy Machine Run.wav", "copy machine run", ""),
    ("Door_Creak_A.wav", "door creak", ""),
    ("DoorSlamB.wav", "door slam", ""),
    ("Take 3 Door Knock.wav", "door knock", ""),
    ("Take_Off_Jet.wav", "take off jet", ""),
    ("Boeing 747 Takeoff.wav", "boeing 747 takeoff", ""),
    ("Don't Stop Scream.wav", "dont stop scream", ""),
    ("Sirène d'alarme.wav", "sirène alarme", ""),  # French elision: "d'" is its own word
    ("Rumore dell'acqua.wav", "rumore dell acqua", ""),  # Italian: "dell'" is its own word
    ("Un'auto jusqu'à Quest'ora.wav", "un auto jusqu à quest ora", ""),
    ("ｄｏｏｒ＿ｓｌａｍ.wav", "door slam", ""),  # full-width Latin, as Japanese keyboards type
    ("ﾄﾞｱ_閉まる.wav", "ドア 閉まる", ""),  # half-width katakana
    ("kebab-case-name-here.wav", "kebab case name here", ""),
    ("snake_case__double.wav", "snake case double", ""),
    ("wpn_expl_lrg_ext.wav", "wpn weapon expl explosion lrg large ext exterior", ""),
    ("Perc_Cym_Crash.wav", "perc percussion cym cymbal crash", ""),
    ("BD_Snr_Kik.wav", "bd bass drum kick snr snare kik", ""),
    ("Oh_No_Female_Vox.wav", "oh no female vox voice vocal", ""),
    ("Engine_Rev_Dist.wav", "engine rev dist", ""),
    ("Imp_Laugh.wav", "imp laugh", ""),
    ("Drums/Kits/909/CH_01.wav", "ch", "909 kits drums"),
    (
        "Ambience/City/Traffic/Amb_City_Traffic_01.wav",
        "amb ambience city traffic",
        "traffic city ambience",
    ),
    ("Foley/Cloth/Take 02/Jacket Rustle.wav", "jacket rustle", "cloth foley"),
    ("Library v2/Disc 01/Rain_Heavy.wav", "rain heavy", "disc library"),
    ("UI/Btn_Click_Soft.wav", "btn button click soft", "ui user interface"),
    ("Vehicles/Veh_Car_Pass_By_Int.wav", "veh vehicle car pass by int interior", "vehicles"),
    ("01.wav", "", ""),
]


@pytest.mark.parametrize(("rel", "name", "folders"), CASES)
def test_words_from_path(rel: str, name: str, folders: str) -> None:
    assert words_from_path(f"{ROOT}/{rel}", ROOT) == NameWords(name=name, folders=folders)


def test_root_name_and_trailing_slash_are_ignored() -> None:
    got = words_from_path("/sounds/lib/Doors/door_slam.wav", "/sounds/lib/")
    assert got == NameWords(name="door slam", folders="doors")


def test_windows_paths() -> None:
    got = words_from_path(r"C:\SFX\Doors\Metal\DoorSlam_01.wav", "C:\\SFX")
    assert got == NameWords(name="door slam", folders="metal doors")


def test_unnormalised_root_is_resolved() -> None:
    got = words_from_path("/lib/Doors/slam.wav", "/lib/./")
    assert got == NameWords(name="slam", folders="doors")


def test_path_outside_root_keeps_only_the_name() -> None:
    assert words_from_path("/other/Doors/door_slam.wav", "/lib") == NameWords("door slam", "")


def test_split_words_does_not_expand() -> None:
    assert split_words("AMB_Forest_LP_03") == ["amb", "forest", "lp"]


def test_expand_words_keeps_token_and_drops_repeats() -> None:
    assert expand_words(["amb", "ambience", "amb", "rain"]) == ["amb", "ambience", "rain"]


def test_name_words_joins_expanded_words() -> None:
    assert name_words("Whsh_Fast") == "whsh whoosh fast"


def test_abbreviation_table_is_small_and_clean() -> None:
    assert 30 <= len(ABBREVIATIONS) <= 80
    ambiguous = {"oh", "ch", "rev", "dist", "imp", "sd", "eng", "trk", "env", "wnd"}
    assert not ambiguous & ABBREVIATIONS.keys()
    for short, long in ABBREVIATIONS.items():
        assert short == short.lower() and short.isalnum(), short
        assert long and long == long.lower() and short not in long.split(), short


def test_words_from_path_is_fast() -> None:
    paths = [
        f"/lib/Sound Ideas/Doors/Wood/DoorSlam_Heavy_Wooden_{i:05d}_v2.wav" for i in range(5000)
    ]
    start = time.perf_counter()
    for path in paths:
        words_from_path(path, "/lib")
    per_call = (time.perf_counter() - start) / len(paths)
    assert per_call < 200e-6  # ~15 µs here; generous for slow CI machines

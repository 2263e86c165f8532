"""Caption generation of the builtin-model recipe (training/captions.py, training/gm.py)."""

from __future__ import annotations

import random
import struct

import pytest

from training import gm
from training.captions import path_caption, segment, sfx_category, vary, words_of
from training.extract import looks_like_audio, parse_cat


def test_run_together_names_are_split():
    assert segment("metalhitground") == ["metal", "hit", "ground"]
    assert words_of("metalhitground3.wav") == ["metal", "hit", "ground"]


def test_camel_case_numbering_and_separators():
    assert words_of("RabbitAttack3.ogg") == ["rabbit", "attack"]
    assert words_of("sfx_DoorSlam.wav") == ["door", "slam"]
    assert words_of("explosion_04.ogg") == ["explosion"]


def test_abbreviations_are_expanded():
    assert words_of("lrgexp0.ogg") == ["large", "explosion"]
    assert "machine" in words_of("mg_fire.wav")


def test_folder_context_for_footsteps():
    assert path_caption("/sound/footsteps/dirt2.wav", "x") == "footstep on dirt"
    assert path_caption("/soundfx/steps/step_leather1.ogg", "flare-game") == "footstep on leather"


def test_generic_folders_are_dropped():
    caption = path_caption("/usr/share/games/lugaru/Sounds/Bark2.ogg", "lugaru-data")
    assert caption == "bark"


def test_meaningless_names_are_dropped():
    assert path_caption("/usr/share/games/torcs/data/sound/935.wav", "torcs-data") is None
    assert path_caption("/sounds/a1.wav", "x") is None


def test_music_folders():
    assert path_caption("/data/music/forest_theme.ogg", "x").startswith("background music")


def test_voice_folders_say_who_speaks():
    zipped = "/public.zip:audio/voice/latin/civ/civ_male_gather_together_1.ogg"
    assert path_caption(zipped, "0ad-data") == "a man's voice: gather together"
    caption = path_caption("/sounds/voice/niceshot.ogg", "redeclipse-data")
    assert caption == "a voice: nice shot"
    assert sfx_category(caption) == "speech"  # not "gunshot", despite the word "shot"
    scream = path_caption("/sound/default/voices/death2.ogg", "warmux-data")
    assert scream == "a voice: death" and sfx_category(scream) == "scream"


def test_engine_folders_and_unit_replies():
    root = "/usr/share/games/megaglest/techs/megapack"
    attack = path_caption(f"{root}/commondata/sounds/swordman_attack2.wav", "megaglest-data")
    assert attack == "sword man attack"
    death = path_caption(
        f"{root}/factions/egypt/units/mummy/sounds/mummy_die4.wav", "megaglest-data"
    )
    assert death == "egypt mummy die" and sfx_category(death) == "scream"
    # A unit's spoken reply to an order is not an interface click: left out.
    assert path_caption(f"{root}/commondata/sounds/golem_ack1.wav", "megaglest-data") is None
    assert path_caption(f"{root}/commondata/sounds/swordman_select2.wav", "megaglest-data") is None
    wolf = "/usr/share/games/wesnoth/1.16/data/core/sounds/wolf-growl-4.ogg"
    assert path_caption(wolf, "wesnoth-1.16-data") == "wolf growl"
    # Elsewhere "select" stays an interface word.
    assert sfx_category(path_caption("/sounds/menu_select.wav", "x")) == "interface"


def test_cat_descriptions_become_captions():
    cap = path_caption(
        '/opensfx.cat:"Steam engine going in tunnel". Original "x.wav" by "y".', "openttd-opensfx"
    )
    assert cap == "steam engine going in tunnel"
    assert path_caption('/o.cat:"Unused/Nothing". Trivial.', "openttd-opensfx") is None


def test_vary_gives_distinct_wordings():
    out = vary("dog bark", random.Random(0), n=3)
    assert out[0] == "dog bark" and len(set(out)) == 3 and all("dog bark" in o for o in out)


@pytest.mark.parametrize(
    ("caption", "category"),
    [
        ("large explosion", "explosion"),
        ("footstep on gravel", "footsteps"),
        ("bark", "dog"),
        ("farm sheep", "farm animal"),
        ("metal hit ground", "impact"),
        ("cow", "farm animal"),
        ("fauna animal horse idle", "farm animal"),
    ],
)
def test_sfx_categories(caption, category):
    assert sfx_category(caption) == category


def test_gm_captions_carry_names_and_families():
    rng = random.Random(0)
    caps = gm.program_captions(89, 60, 100, 1.2, rng)
    assert caps[0] == "warm pad" and len(caps) == 3
    assert gm.family(89) == "synth pad" and gm.family(0) == "piano" and gm.family(33) == "bass"
    assert len(gm.PROGRAMS) == 128
    drum = gm.drum_captions(42, 90, rng)
    assert drum[0] == "closed hi-hat" and gm.drum_type(36) == "kick"


def test_cat_parser_and_magic_detection():
    wav = b"RIFF" + b"\0" * 40
    name = b'"Horse". By me.\0'
    entry = bytes([len(name)]) + name + wav
    blob = struct.pack("<II", 8 | 0x80000000, len(entry)) + entry
    assert parse_cat(blob) == [('"Horse". By me.', wav)]
    assert looks_like_audio("/sound/laser", b"RIFF")
    assert not looks_like_audio("/sound/readme", b"This")
    assert looks_like_audio("/x/boom.OGG", b"")

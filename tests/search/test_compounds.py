"""English compounds matched by their parts, over the shipped lexicon's English words and
through the service over real file names."""

from __future__ import annotations

from pathlib import Path

import pytest

from soundscout.search.compounds import compound_parts, with_compound_parts
from soundscout.search.crosslingual import translate_words
from soundscout.search.lexical import parse_words
from soundscout.search.service import SearchService


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("gunshot", ("gun", "shot")),  # not "guns" + "hot": the shorter first part
        ("doorbell", ("door", "bell")),
        ("footsteps", ("foot", "steps")),  # a second part known by its stem
        ("birdsong", ("bird", "song")),
        ("thunderstorm", ("thunder", "storm")),
        ("stepping", None),  # "step" and an ending, not a second word
        ("carpet", None),  # "pet" is no sound-library word
        ("cannon", None),  # a three-letter second part ends too many words
        ("explosion", None),
        ("Gunshot", ("gun", "shot")),
        ("ドアベル", None),
    ],
)
def test_compound_parts(word: str, parts: tuple[str, str] | None) -> None:
    assert compound_parts(word) == parts


def test_parts_are_one_more_way_to_match_the_term() -> None:
    query = with_compound_parts(parse_words("loud gunshot -doorbell"))
    assert query.fts() == '"loud" OR ("gunshot" OR ("gun" AND "shot"))'
    assert query.exclude_fts() == '("doorbell" OR ("door" AND "bell"))'
    assert with_compound_parts(parse_words("gunsh*")).fts() == '"gunsh"*'  # prefixes as typed
    assert with_compound_parts(parse_words('"gunshot echo"')).fts() == '"gunshot echo"'


def test_a_compound_with_a_short_part_is_matched_as_a_phrase() -> None:
    assert with_compound_parts(parse_words("hihat")).fts() == '("hihat" OR ("hi hat"))'
    assert with_compound_parts(parse_words("scifi")).fts() == '("scifi" OR ("sci fi"))'
    assert compound_parts("hihat") is None  # never its two parts apart
    assert with_compound_parts(parse_words("piano")).fts() == '"piano"'


def test_a_translation_into_a_compound_gets_its_parts() -> None:
    query = with_compound_parts(translate_words(parse_words("Vogelgesang")))
    (term,) = query.include
    assert ("birdsong",) in term.also and ("bird", "song") in term.also


def test_a_query_without_compounds_is_the_same_object() -> None:
    query = parse_words("metal impact")
    assert with_compound_parts(query) is query


FILES = [
    "Gun_Shot_Pistol.wav",
    "Door Bell Ring.wav",
    "Bird_Song_Dawn.wav",
    "Gunshot_Rifle.wav",
    "Hi-Hat_Open.wav",
    "Hat_Stand_Hi_Shelf.wav",  # both words, not side by side
    "Sci-Fi Laser.wav",
    "Bird Tweet Note.wav",
]


def _names(service: SearchService, text: str) -> list[str]:
    return [Path(h.path).name for h in service.search(text=text, match="words", k=10).hits]


@pytest.mark.parametrize(
    ("typed", "first", "then"),
    [
        ("gunshot", {"Gunshot_Rifle.wav", "Gun_Shot_Pistol.wav"}, set()),
        ("doorbell", {"Door Bell Ring.wav"}, set()),
        # Spanish for birdsong: then, as "bird song" typed apart would, one of its words
        ("canto de pájaros", {"Bird_Song_Dawn.wav"}, {"Bird Tweet Note.wav"}),
        ("gunshot -pistol", {"Gunshot_Rifle.wav"}, set()),
        ("hihat", {"Hi-Hat_Open.wav"}, set()),  # side by side only: not Hat_Stand_Hi_Shelf
        ("scifi", {"Sci-Fi Laser.wav"}, set()),
        ("ciencia ficción", {"Sci-Fi Laser.wav"}, set()),  # Spanish for scifi
        ("鳥のさえずり", {"Bird Tweet Note.wav"}, {"Bird_Song_Dawn.wav"}),  # bird + tweet
        # the same inside a run typed without spaces ("birds singing in the forest")
        ("森の鳥のさえずり", {"Bird Tweet Note.wav"}, {"Bird_Song_Dawn.wav"}),
    ],
)
def test_compounds_find_names_written_apart(
    named_service: SearchService, typed: str, first: set[str], then: set[str]
) -> None:
    names = _names(named_service, typed)
    assert len(names) == len(first) + len(then)
    assert set(names[: len(first)]) == first and set(names[len(first) :]) == then

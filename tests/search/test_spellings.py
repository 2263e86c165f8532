"""Words English writes more than one way find each other, through the service over real
file names."""

from __future__ import annotations

from pathlib import Path

import pytest

from soundscout.search.abbreviations import with_expansions
from soundscout.search.crosslingual import translate_words
from soundscout.search.lexical import parse_words
from soundscout.search.service import SearchService
from soundscout.search.spellings import FORMS, SPELLINGS, other_spellings, with_spellings


def test_each_word_finds_the_others_of_its_group() -> None:
    assert other_spellings("ambience") == ("ambiance", "ambient")
    assert other_spellings("Tyres") == ("tire",)  # a plural, any case
    assert other_spellings("whooshes") == ("woosh",)
    assert other_spellings("door") == ()
    words = [w for group in (*SPELLINGS, *FORMS) for w in group]
    assert len(words) == len(set(words))  # a word in one group only
    assert other_spellings("rainy") == ("rain",) and other_spellings("explosions") == ("explode",)


def test_a_query_word_gets_its_other_spellings() -> None:
    query = with_spellings(parse_words("tyre screech -grey"))
    assert query.fts() == '("tyre" OR "tire") OR "screech"'
    assert query.exclude_fts() == '("grey" OR "gray")'
    assert with_spellings(parse_words("ambi*")).fts() == '"ambi"*'  # a prefix as typed
    plain_query = parse_words("door slam")
    assert with_spellings(plain_query) is plain_query


def test_alternatives_added_before_get_their_spellings_too() -> None:
    """An abbreviation's meaning and a translation are spelt every way as well."""
    amb = with_spellings(with_expansions(parse_words("amb")))
    assert amb.fts() == '("amb" OR "ambience" OR "ambiance" OR "ambient")'
    pneu = with_spellings(translate_words(parse_words("pneu")))
    assert pneu.include[0].also == (("tire",), ("tyre",))


FILES = [
    "DesertAmbient.wav",
    "Tire_Screech.wav",
    "Woosh_Fast.wav",
    "Truck_Pass.wav",
    "Door_Slam.wav",
    "Rain_On_Roof.wav",
    "Wood_Creak.wav",
]


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("ambience", {"DesertAmbient.wav"}),
        ("ambiance", {"DesertAmbient.wav"}),
        ("amb", {"DesertAmbient.wav"}),
        ("tyres screeching", {"Tire_Screech.wav"}),
        ("whoosh", {"Woosh_Fast.wav"}),
        ("lorry", {"Truck_Pass.wav"}),
        ("slam -tyre", {"Door_Slam.wav"}),
        ("rainy", {"Rain_On_Roof.wav"}),  # forms the stemmer keeps apart
        ("wooden creak", {"Wood_Creak.wav"}),
    ],
)
def test_other_spellings_find_the_file(
    named_service: SearchService, typed: str, found: set[str]
) -> None:
    hits = named_service.search(text=typed, match="words", k=10).hits
    assert {Path(h.path).name for h in hits} == found and len(hits) == len(found)

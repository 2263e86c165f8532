"""Sound-library abbreviations typed in a query find what they stand for, through the
service over real file names."""

from __future__ import annotations

from pathlib import Path

import pytest

from soundscout.metadata.names import ABBREVIATIONS, abbreviation_alternatives, name_words
from soundscout.search.abbreviations import with_expansions
from soundscout.search.lexical import parse_words
from soundscout.search.service import SearchService


def test_alternatives_are_words_or_phrases() -> None:
    assert abbreviation_alternatives("hh") == ("hihat", "hi hat")
    assert abbreviation_alternatives("bd") == ("bass drum", "kick")
    assert abbreviation_alternatives("sfx") == ("sound effects",)
    assert abbreviation_alternatives("door") == ()
    for short in ABBREVIATIONS:
        assert all(said and "|" not in said for said in abbreviation_alternatives(short))
    # a name is indexed with the same words as before the alternatives were marked
    assert name_words("HH_Open_01") == "hh hihat hi hat open"
    assert name_words("BD_Deep") == "bd bass drum kick deep"


def test_a_query_abbreviation_gets_its_meanings() -> None:
    query = with_expansions(parse_words("hh open -vox"))
    assert query.fts() == '("hh" OR "hihat" OR ("hi hat")) OR "open"'
    assert query.exclude_fts() == '("vox" OR "voice" OR "vocal")'
    assert with_expansions(parse_words("hh*")).fts() == '"hh"*'  # a prefix as typed
    for typed in ("door slam", "synth lead", "hihat"):  # "synth" is a word of its own too
        plain_query = parse_words(typed)
        assert with_expansions(plain_query) is plain_query


FILES = [
    "Hi-Hat_Open.wav",
    "Hat_Stand_Hi.wav",
    "Snare_Tight.wav",
    "Kick_Deep.wav",
    "Voice_Line.wav",
]


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("hh", {"Hi-Hat_Open.wav"}),  # the phrase "hi hat": not Hat_Stand_Hi
        ("snr", {"Snare_Tight.wav"}),
        ("bd", {"Kick_Deep.wav"}),
        ("vox", {"Voice_Line.wav"}),
        ("snr -hh", {"Snare_Tight.wav"}),
    ],
)
def test_abbreviations_find_what_they_stand_for(
    named_service: SearchService, typed: str, found: set[str]
) -> None:
    hits = named_service.search(text=typed, match="words", k=10).hits
    assert {Path(h.path).name for h in hits} == found and len(hits) == len(found)

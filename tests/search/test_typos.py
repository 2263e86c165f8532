"""A query word no sound holds, one slip from a library word, is also searched as it, with a
note: through the service over real file names."""

from __future__ import annotations

from pathlib import Path

import pytest

from soundscout.search.crosslingual import shipped_lexicon
from soundscout.search.service import SearchService
from soundscout.search.typos import correction, slips

FILES = [
    "Rain_Roof.wav",
    "Thunder_Far.wav",
    "Fireworks_Show.wav",
    "Ball_Bounce.wav",
    "Sawing_Wood.wav",
    "Scream_Male.wav",
]


def test_slips_are_one_letter_dropped_swapped_changed_or_added() -> None:
    found = slips("rian")
    assert {"ian", "rain", "rial", "riane"} <= found and "rian" not in found
    assert "rainn" not in found and "nair" not in found  # two slips
    assert {"acbd", "abd", "abxd", "abcde", "zabcd"} <= slips("abcd")


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("rian", "Rain_Roof.wav"),  # two letters swapped
        ("thuner", "Thunder_Far.wav"),  # one dropped
        ("firworks show", "Fireworks_Show.wav"),
        ("screeming", "Scream_Male.wav"),  # "screaming", held by its stem as "scream"
    ],
)
def test_a_slip_finds_the_library_word_and_says_so(
    named_service: SearchService, typed: str, found: str
) -> None:
    result = named_service.search(text=typed, match="words", k=5)
    assert [Path(h.path).name for h in result.hits][:1] == [found]
    assert any(n.startswith("no sound holds") and "also searched as" in n for n in result.notes)


def test_words_the_library_or_the_lexicon_holds_are_never_corrected(
    named_service: SearchService,
) -> None:
    lexicon = shipped_lexicon()
    assert correction(named_service.catalog, "rain", lexicon) is None  # the library's
    assert correction(named_service.catalog, "bell", lexicon) is None  # English, not "ball"
    assert correction(named_service.catalog, "qwzx", lexicon) is None  # nothing near
    assert correction(named_service.catalog, "saying", lexicon) is None  # English, not sawing
    assert correction(named_service.catalog, "sawinq", lexicon) == "sawing"
    result = named_service.search(text="ball", match="words", k=5)
    assert not any("also searched as" in n for n in result.notes)

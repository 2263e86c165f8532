"""Words typed apart find the word a library writes them as, through the service over real
file names."""

from __future__ import annotations

from pathlib import Path

import pytest

from soundscout.search.joined_words import joined_forms
from soundscout.search.service import SearchService

FILES = [
    "HiHat_Closed.wav",
    "Hat_Drop.wav",
    "Heavy_Door.wav",
    "tux_footstep.wav",
    "Footsteps_Gravel.wav",
    "spaceship_engine.wav",
    "Foot_Stomp.wav",
    "Steps_Wood.wav",
    "waterfall_loop.wav",
    "Water_Drip.wav",
    "happy_jingle.wav",
]


def test_the_joined_forms_are_the_librarys_own_by_stem(named_service: SearchService) -> None:
    assert joined_forms(named_service.catalog, "foot", "steps") == ("footstep", "footsteps")
    assert joined_forms(named_service.catalog, "Water", "Fall") == ("waterfall",)
    assert joined_forms(named_service.catalog, "water", "drip") == ()  # written apart only


@pytest.mark.parametrize(
    ("typed", "first", "found"),
    [
        # the joined word first, then the two words anywhere, then either word alone
        ("foot steps", {"tux_footstep.wav", "Footsteps_Gravel.wav"},
         {"tux_footstep.wav", "Footsteps_Gravel.wav", "Foot_Stomp.wav", "Steps_Wood.wav"}),
        ("space ship", {"spaceship_engine.wav"}, {"spaceship_engine.wav"}),
        ("water fall", {"waterfall_loop.wav"}, {"waterfall_loop.wav", "Water_Drip.wav"}),
        ("foot steps gravel", {"Footsteps_Gravel.wav"}, None),
    ],
)  # fmt: skip
def test_words_typed_apart_find_the_joined_word(
    named_service: SearchService, typed: str, first: set[str], found: set[str] | None
) -> None:
    hits = named_service.search(text=typed, match="words", k=10).hits
    names = [Path(h.path).name for h in hits]
    assert set(names[: len(first)]) == first, names
    assert found is None or set(names) == found, names


def test_words_the_library_never_joins_are_left_as_two_terms(
    named_service: SearchService,
) -> None:
    hits = named_service.search(text="water drip", match="words", k=10).hits
    assert [Path(h.path).name for h in hits][0] == "Water_Drip.wav"
    explain = hits[0].explain
    assert explain is not None and explain.coverage == 1.0


def test_a_sound_holding_one_of_the_two_words_is_no_full_match(
    named_service: SearchService,
) -> None:
    """The joined word is one more way to hold both words, not one term for two: a sound
    holding "hat" alone covers half of "hi hat", one holding "heavy" a third of "heavy foot
    steps", as without the joined word."""
    coverage = {}
    for typed in ("hi hat", "heavy foot steps"):
        for hit in named_service.search(text=typed, match="words", k=10).hits:
            assert hit.explain is not None
            coverage[(typed, Path(hit.path).name)] = hit.explain.coverage
    assert coverage[("hi hat", "HiHat_Closed.wav")] == 1.0
    assert coverage[("hi hat", "Hat_Drop.wav")] == 0.5
    assert coverage[("heavy foot steps", "Heavy_Door.wav")] == pytest.approx(1 / 3)
    assert coverage[("heavy foot steps", "tux_footstep.wav")] == pytest.approx(2 / 3)

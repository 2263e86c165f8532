"""Reciprocal-rank fusion: hand-computed cases, then a library where fusing beats each list."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from soundscout.search.fusion import Fused, reciprocal_rank_fusion
from soundscout.search.service import SearchService
from tests.conftest import make_settings
from tests.taggen import plain

K = 60.0


def _ids(fused: list[Fused]) -> list[int]:
    return [f.id for f in fused]


def test_hand_computed_case() -> None:
    lists = {"sound": [(1, 0.9), (2, 0.8), (3, 0.7)], "words": [(3, 12.0), (4, 5.0)]}
    fused = reciprocal_rank_fusion(lists, {"sound": 1.0, "words": 1.0})
    # 3: 1/63 + 1/61; 1: 1/61; 2 and 4: 1/62 each, in order of first appearance.
    assert _ids(fused) == [3, 1, 2, 4]
    by_id = {f.id: f for f in fused}
    assert by_id[3].score == pytest.approx(1 / 63 + 1 / 61)
    assert by_id[1].score == pytest.approx(1 / 61)
    assert by_id[2].score == by_id[4].score == pytest.approx(1 / 62)
    assert by_id[3].ranks == {"sound": 3, "words": 1}
    assert by_id[3].scores == {"sound": 0.7, "words": 12.0}
    assert by_id[4].ranks == {"words": 2} and by_id[4].scores == {"words": 5.0}


def test_weights_scale_each_list() -> None:
    lists = {"sound": [(1, 0.9), (2, 0.8)], "words": [(2, 3.0), (1, 1.0)]}
    # Equal weights: 1 and 2 both score 1/61 + 1/62 (a tie: first appearance wins).
    assert _ids(reciprocal_rank_fusion(lists, {"sound": 1, "words": 1})) == [1, 2]
    words_heavy = reciprocal_rank_fusion(lists, {"sound": 1, "words": 3})
    assert _ids(words_heavy) == [2, 1]
    assert words_heavy[0].score == pytest.approx(1 / 62 + 3 / 61)
    assert _ids(reciprocal_rank_fusion(lists, {"sound": 3, "words": 1})) == [1, 2]


def test_missing_weight_is_one() -> None:
    lists = {"sound": [(1, 0.9)], "words": [(2, 3.0)]}
    fused = reciprocal_rank_fusion(lists, {"sound": 1.0})
    assert fused[1].score == pytest.approx(1 / 61)


@pytest.mark.parametrize("weight", [0.0, -1.0])
def test_weight_zero_leaves_a_list_out(weight: float) -> None:
    lists = {"sound": [(1, 0.9), (2, 0.8)], "words": [(3, 3.0), (2, 1.0)]}
    fused = reciprocal_rank_fusion(lists, {"sound": 1.0, "words": weight})
    assert _ids(fused) == [1, 2]
    assert all("words" not in f.ranks and "words" not in f.scores for f in fused)
    assert fused[1].score == pytest.approx(1 / 62)


def test_rank_constant_changes_the_order() -> None:
    lists = {"a": [(1, 1.0), (8, 0.9), (2, 0.8)], "b": [(9, 1.0), (7, 0.9), (2, 0.8)]}
    # 1: 1/(k+1); 2: 2/(k+3). A small k favours one top place, a large k agreement.
    assert _ids(reciprocal_rank_fusion(lists, {}, rank_constant=0.5))[0] == 1
    assert _ids(reciprocal_rank_fusion(lists, {}, rank_constant=K))[0] == 2
    small = reciprocal_rank_fusion(lists, {}, rank_constant=0.5)
    assert {f.id: f.score for f in small}[2] == pytest.approx(2 / 3.5)


@pytest.mark.parametrize("k", [0.0, -5.0])
def test_rank_constant_must_be_positive(k: float) -> None:
    with pytest.raises(ValueError, match="rank_constant"):
        reciprocal_rank_fusion({"a": [(1, 1.0)]}, {}, rank_constant=k)


def test_duplicate_ids_count_once_at_their_best_rank() -> None:
    fused = reciprocal_rank_fusion({"a": [(1, 0.9), (1, 0.5), (2, 0.4)]}, {})
    one = next(f for f in fused if f.id == 1)
    assert one.ranks == {"a": 1} and one.scores == {"a": 0.9}
    assert one.score == pytest.approx(1 / 61)
    assert _ids(fused) == [1, 2]


def test_ties_keep_the_order_of_first_appearance() -> None:
    lists = {"a": [(5, 1.0), (6, 0.5)], "b": [(6, 1.0), (5, 0.5)]}
    assert _ids(reciprocal_rank_fusion(lists, {})) == [5, 6]
    swapped = {"b": lists["b"], "a": lists["a"]}
    assert _ids(reciprocal_rank_fusion(swapped, {})) == [6, 5]
    many = {f"list{i}": [(i, 1.0)] for i in (7, 3, 9, 1, 5)}  # all tied at 1/61
    assert _ids(reciprocal_rank_fusion(many, {})) == [7, 3, 9, 1, 5]


def test_empty() -> None:
    assert reciprocal_rank_fusion({}, {}) == []
    assert reciprocal_rank_fusion({"a": [], "b": []}, {}) == []


# --- fusion in the service: a library built so that fusing is the only way to win -----------

QUERY = "glimmer thud"
N_FILES = 8
NEUTRAL = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
WORDS_BEST = "glimmer_thud.wav"  # both words, shortest name: first by words, last by sound
BOTH_GOOD = "glimmer thud distant echo tail.wav"  # both words, longer: second by each list


#: The fusion settings the hand computations below assume (not the shipped defaults).
PINNED = {
    "search.sound_weight": 1.0,
    "search.words_weight": 1.0,
    "search.rank_constant": K,
    "search.fusion_window": 100,
    "search.coverage_floor": 1.0,  # plain RRF here; the coverage factors are tested below
    "search.full_match_boost": 1.0,
}


class Built:
    def __init__(self, library: Path, root: Path, ids: dict[str, int]) -> None:
        self.library, self.root, self.ids = library, root, ids

    def service(self, **overrides: object) -> SearchService:
        return SearchService(make_settings(self.library, **{**PINNED, **overrides}))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """Index neutral names, rank the stored vectors against the query's own vector, then
    rename files (a move keeps the vector) so that the sound-best file has no query word,
    the words-best one is the sound-worst, and one file is second in both."""
    tmp = tmp_path_factory.mktemp("fusion")
    root, library = tmp / "sounds", tmp / "library"
    for seed, name in enumerate(NEUTRAL):
        plain(root / f"{name}.wav", seed + 1)
    service = SearchService(make_settings(library))
    try:
        first = service.index_folder(root, progress=False)
        assert first.ok == N_FILES
        vector = service.embed_text(QUERY)
        rows = service.catalog.rows_under(str(root))
        stored = service.catalog.embeddings([r.id for r in rows.values()])
        by_sound = sorted(rows.values(), key=lambda r: -float(stored[r.id] @ vector))
        sound_best, second, worst = by_sound[0], by_sound[1], by_sound[-1]
        os.rename(second.path, root / BOTH_GOOD)
        os.rename(worst.path, root / WORDS_BEST)
        embedded_at = {r.id: r.embedded_at for r in rows.values()}
        again = service.index_folder(root, progress=False)
        assert again.moved == 2 and again.ok == 0
        for sound_id, when in embedded_at.items():
            row = service.catalog.get(sound_id)
            assert row is not None and row.embedded_at == when
        ids = {
            "sound_best": sound_best.id,
            "both_good": second.id,
            "words_best": worst.id,
        }
    finally:
        service.close()
    yield Built(library, root, ids)


def test_fused_beats_each_list_alone(built: Built) -> None:
    service = built.service()
    try:
        ids = built.ids
        sound = service.search(text=QUERY, match="sound", k=N_FILES)
        words = service.search(text=QUERY, match="words", k=N_FILES)
        both = service.search(text=QUERY, match="both", k=N_FILES)
    finally:
        service.close()
    # The setup: what each list ranks first.
    assert [h.id for h in sound.hits][:2] == [ids["sound_best"], ids["both_good"]]
    assert [h.id for h in sound.hits][-1] == ids["words_best"]
    assert [h.id for h in words.hits] == [ids["words_best"], ids["both_good"]]
    # Fused: the file both lists rank second wins; the words winner (1/61 + 1/68) beats
    # the sound winner (1/61).
    assert [h.id for h in both.hits][:3] == [ids["both_good"], ids["words_best"], ids["sound_best"]]
    assert both.hits[0].score == pytest.approx(2 / 62)
    assert both.hits[1].score == pytest.approx(1 / 61 + 1 / 68)
    top = both.hits[0].explain
    assert top is not None and (top.sound_rank, top.words_rank) == (2, 2)
    assert top.coverage == 1.0 and {m.field for m in top.matches} == {"name"}
    assert len(both.hits) == N_FILES  # every sound is in the sound list
    # Neither single mode puts it first.
    assert sound.hits[0].id != ids["both_good"] and words.hits[0].id != ids["both_good"]
    # Single-list modes score by their own list: cosine and BM25.
    assert sound.hits[0].score == pytest.approx(sound.hits[0].explain.sound_score)  # type: ignore[union-attr]
    assert words.hits[0].score == pytest.approx(words.hits[0].explain.words_score)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("overrides", "first"),
    [
        ({"search.words_weight": 0.0}, "sound_best"),
        ({"search.sound_weight": 0.0}, "words_best"),
        # words_best - both_good = w (1/61 - 1/62) + 1/68 - 1/62: positive from w = 5.4
        ({"search.words_weight": 5.0}, "both_good"),
        ({"search.words_weight": 6.0}, "words_best"),
        ({"search.rank_constant": 1.0}, "both_good"),
    ],
)
def test_fusion_settings(built: Built, overrides: dict[str, float], first: str) -> None:
    service = built.service(**overrides)
    try:
        both = service.search(text=QUERY, match="both", k=N_FILES)
    finally:
        service.close()
    assert both.hits[0].id == built.ids[first]


def test_fusion_window_limits_each_list(built: Built) -> None:
    """With a window of one, each list gives only its best: the agreeing file is in neither."""
    service = built.service(**{"search.fusion_window": 1})
    try:
        both = service.search(text=QUERY, match="both", k=1)
    finally:
        service.close()
    assert len(both.hits) == 1
    assert both.hits[0].id in (built.ids["sound_best"], built.ids["words_best"])


def test_words_share_follows_coverage_and_full_matches(built: Built) -> None:
    """A words-list sound's share is scaled by floor + (1 - floor) * coverage, and doubled
    when it holds every word of a longer query (both winners here hold both words)."""
    service = built.service(**{"search.coverage_floor": 0.75, "search.full_match_boost": 2.0})
    try:
        both = service.search(text=QUERY, match="both", k=N_FILES)
    finally:
        service.close()
    ids = built.ids
    by_id = {h.id: h for h in both.hits}
    assert by_id[ids["both_good"]].score == pytest.approx(1 / 62 + 2 / 62)
    assert by_id[ids["words_best"]].score == pytest.approx(2 / 61 + 1 / 68)
    assert [h.id for h in both.hits][:2] == [ids["both_good"], ids["words_best"]]

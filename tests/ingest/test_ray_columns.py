"""What a Ray run carries between its stages: the columns of ``ingest.ray_tasks`` give the
committer the same outcome a local run gives (tags, print, a long sound's segments), with
no Ray needed: the worker functions run here, on real decoded files."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from soundscout.catalog.catalog import Outcome
from soundscout.encoders.tiny import TinyEncoder
from soundscout.ingest.ray_tasks import (
    EmbedActor,
    EncoderSpec,
    decode_row,
    outcome_columns,
    outcomes_from_columns,
)
from soundscout.ingest.stages import SegmentPlan, decode_stage, embed_stage
from tests.audiogen import tone, write_audio, write_corrupt
from tests.taggen import tagged

PLAN = SegmentPlan(min_seconds=10.0)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[int, str]:
    root = tmp_path_factory.mktemp("ray_columns")
    paths = [
        tagged(root / "Door Slam.flac", 3, title="Heavy oak door", artist="Foley team"),
        write_audio(root / "long_rain.wav", tone(300, 14.0, kind="noise", seed=2), 22050),
        write_audio(root / "silence.wav", np.zeros(22050, np.float32), 22050),
        write_corrupt(root / "broken.wav", "truncated_wav"),
    ]
    return {i + 1: str(p) for i, p in enumerate(paths)}


def _batch(rows: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """Rows as Ray Data hands them to ``map_batches`` in numpy format (text and bytes as
    object arrays)."""
    out = {}
    for key in rows[0]:
        values = [r[key] for r in rows]
        kind = object if isinstance(values[0], str | bytes) else None
        out[key] = np.array(values, dtype=kind)
    return out


def _through_ray_columns(
    files: dict[int, str], plan: SegmentPlan | None, max_seconds: float
) -> dict[int, Outcome]:
    rate = TinyEncoder().sample_rate
    rows = [decode_row({"sound_id": i, "path": p}, rate, max_seconds) for i, p in files.items()]
    actor = EmbedActor(EncoderSpec("tiny"), TinyEncoder().version, 4, plan)
    columns = actor(_batch(rows))
    return {o.sound_id: o for _, o in outcomes_from_columns(columns)}


def _local(files: dict[int, str], plan: SegmentPlan) -> dict[int, Outcome]:
    encoder = TinyEncoder()
    items = [decode_stage(i, p, encoder.sample_rate, None, 600.0) for i, p in files.items()]
    return {o.sound_id: o for o in embed_stage(encoder, items, 4, plan=plan)}


def test_a_ray_outcome_is_the_local_one(files: dict[int, str]) -> None:
    ray, local = _through_ray_columns(files, PLAN, 600.0), _local(files, PLAN)
    assert sorted(ray) == sorted(local) == sorted(files)
    for sound_id, want in local.items():
        got = ray[sound_id]
        assert (got.error is None) == (want.error is None), files[sound_id]
        assert (got.tags, got.tag_warnings) == (want.tags, want.tag_warnings)
        assert (got.audio_hash, got.fingerprint) == (want.audio_hash, want.fingerprint)
        if want.vector is not None:
            np.testing.assert_allclose(got.vector, want.vector, atol=1e-6)
        assert (got.segments is None) == (want.segments is None)
        if want.segments is not None and got.segments is not None:
            np.testing.assert_array_equal(got.segments.times, want.segments.times)
            np.testing.assert_allclose(got.segments.vectors, want.segments.vectors, atol=1e-6)
            np.testing.assert_array_equal(got.segments.prints, want.segments.prints)
    door, rain, silence, broken = (ray[i] for i in sorted(files))
    assert door.tags is not None and door.tags.get("tag.title") == "Heavy oak door"
    assert rain.segments is not None and len(rain.segments) >= 10 and rain.fingerprint
    assert door.segments is None and door.fingerprint is not None
    assert silence.fingerprint is not None and silence.fingerprint.silent
    assert broken.error and broken.tags is None and broken.fingerprint is None


def test_a_sound_cut_short_by_a_worker_gets_no_segments(files: dict[int, str]) -> None:
    """A worker decodes no more than a streamed piece; a local run streams the rest, so a
    sound cut there gets its segments from the next local run, not half of them now."""
    ray = _through_ray_columns(files, PLAN, 12.0)
    rain = ray[2]
    assert rain.vector is not None and rain.segments is None
    assert rain.audio_hash is None  # of part of the audio: not an exact-copy key
    guarded = _through_ray_columns(files, SegmentPlan(min_seconds=10.0, max_seconds=12.0), 12.0)
    assert guarded[2].segments is not None  # the guard cuts a local run there too
    assert guarded[2].segments.ends.max() <= 12.0 + 1e-3


def test_columns_of_no_outcomes() -> None:
    columns = outcome_columns([], {}, 8)
    assert all(len(v) == 0 for v in columns.values()) and "segment_times" in columns
    assert list(outcomes_from_columns(columns)) == []

"""A killed ingest resumes without losing or redoing finished work."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from soundscout.search.service import SearchService
from tests.audiogen import tone, write_audio
from tests.conftest import make_settings
from tests.ingest_process import done_rows, kill_index_after, wait_gone

N_FILES = 240


def _library(root: Path) -> None:
    for i in range(N_FILES):
        kind = ("sine", "square", "chirp", "kick")[i % 4]
        write_audio(root / f"d{i % 6}" / f"s{i:03d}.wav", tone(80 + 13 * i, 4.0, kind=kind), 22050)


def _kill_after(root: Path, library: Path, workers: int, done_at_least: int) -> None:
    """Start an ingest and SIGKILL it once ``done_at_least`` files are committed; its
    decode workers (and their forkserver) must go too, not linger as orphans."""
    _, helpers = kill_index_after(library, root, workers, done_at_least)
    assert len(helpers) >= (workers + 1 if workers else 0)  # forkserver (+ tracker) + workers
    wait_gone(helpers)


@pytest.mark.slow
@pytest.mark.parametrize("workers", [0, 2])
def test_sigkill_at_random_points_then_resume(tmp_path: Path, workers: int) -> None:
    root, library = tmp_path / "sounds", tmp_path / "library"
    _library(root)
    db = library / "catalog.sqlite"
    rng = random.Random(workers)
    finished: dict[int, tuple[float, bytes]] = {}
    for kill in range(3):  # three kills at random points, each run resuming the last
        target = len(finished) + rng.randint(5, 40)
        _kill_after(root, library, workers, target)
        now = done_rows(db)
        assert len(now) < N_FILES, f"kill {kill} must land mid-run"
        for sound_id, row in finished.items():
            assert now[sound_id] == row, "a finished file was re-embedded or lost"
        finished = now
        check = sqlite3.connect(db)
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        check.close()

    settings = make_settings(library)
    service = SearchService(settings)
    try:
        assert service.catalog.integrity_ok()
        report = service.index_folder(root, progress=False)
        assert report.ok == N_FILES - len(finished)
        assert report.unchanged == len(finished)
        assert report.resumed == N_FILES - len(finished)
        after = done_rows(db)
        assert len(after) == N_FILES
        for sound_id, (embedded_at, vector) in finished.items():
            assert after[sound_id][0] == embedded_at, "a finished file was re-embedded"
            assert after[sound_id][1] == vector
        index = service.sync_index()
        assert index.count == N_FILES
        ids, _ = zip(*service.catalog.iter_embeddings(service.encoder.version), strict=True)
        np.testing.assert_array_equal(np.sort(np.concatenate(ids)), np.sort(list(after)))
    finally:
        service.close()

"""A killed ingest resumes without losing or redoing finished work."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from soundscout.search.service import SearchService
from tests.audiogen import tone, write_audio
from tests.conftest import make_settings

N_FILES = 240


def _library(root: Path) -> None:
    for i in range(N_FILES):
        kind = ("sine", "square", "chirp", "kick")[i % 4]
        write_audio(root / f"d{i % 6}" / f"s{i:03d}.wav", tone(80 + 13 * i, 4.0, kind=kind), 22050)


def _done_rows(db: Path) -> dict[int, tuple[float, bytes]]:
    if not db.exists():
        return {}
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        rows = conn.execute(
            "SELECT s.id, s.embedded_at, e.vector FROM sounds s JOIN embeddings e "
            "ON e.sound_id = s.id WHERE s.status = 'done'"
        ).fetchall()
    except sqlite3.OperationalError:  # the schema is not created yet
        return {}
    finally:
        conn.close()
    return {r[0]: (r[1], r[2]) for r in rows}


def _start_ingest(root: Path, library: Path, workers: int) -> subprocess.Popen:
    env = dict(
        os.environ,
        SOUNDSCOUT_INGEST__COMMIT_EVERY="4",
        SOUNDSCOUT_ENCODER__NAME="tiny",
        SOUNDSCOUT_ENCODER__BATCH_SIZE="4",
    )
    cmd = [
        sys.executable,
        "-m",
        "soundscout.cli.main",
        "-L",
        str(library),
        "index",
        str(root),
        "--workers",
        str(workers),
        "--no-progress",
    ]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _kill_after(root: Path, library: Path, workers: int, done_at_least: int) -> None:
    """Start an ingest and SIGKILL it once ``done_at_least`` files are committed."""
    db = library / "catalog.sqlite"
    proc = _start_ingest(root, library, workers)
    deadline = time.monotonic() + 120
    try:
        while len(_done_rows(db)) < done_at_least:
            assert proc.poll() is None, "ingest ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.005)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)


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
        now = _done_rows(db)
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
        after = _done_rows(db)
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

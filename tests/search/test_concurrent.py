"""Searching keeps working while another process ingests; new sounds appear without restart."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from soundscout.search.service import SearchService
from tests.audiogen import tone, write_audio
from tests.conftest import make_settings
from tests.ingest_process import start_index


@pytest.mark.slow
def test_search_during_ingest_in_another_process(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for i in range(20):
        write_audio(first / f"a{i:02d}.wav", tone(100 + 40 * i, 0.5), 22050)
    for i in range(300):
        write_audio(second / f"b{i:03d}.wav", tone(90 + 11 * i, 2.0, kind="square"), 22050)
    library = tmp_path / "library"
    service = SearchService(make_settings(library))
    service.index_folder(first, progress=False)

    proc = start_index(library, second, "--workers", "0", SOUNDSCOUT_INGEST__COMMIT_EVERY="8")
    latencies, counts = [], set()
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None:
            assert time.monotonic() < deadline, "ingest did not finish"
            started = time.perf_counter()
            hits = service.search(text="tone", k=500).hits
            latencies.append(time.perf_counter() - started)
            counts.add(len(hits))
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == 0, proc.stderr.read().decode()
    assert len(latencies) > 5 and min(counts) >= 20
    assert len(counts) > 2, "the searching process saw the library grow while it was indexed"
    assert max(latencies) < 5.0
    final = service.search(text="tone", k=500).hits
    assert len(final) == 320  # picked up the finished index without a restart
    service.close()

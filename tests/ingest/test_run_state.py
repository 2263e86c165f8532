"""Other processes see an `index` run in progress (indexing.json + its lock), and see none
once it ended, was interrupted or was killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from soundscout.ingest.run_state import (
    RUN_STATE_FILENAME,
    RunState,
    RunStatePublisher,
    read_run_state,
)
from tests.audiogen import tone, write_audio
from tests.ingest_process import start_index

N_FILES = 240


@pytest.fixture(scope="module")
def sounds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("run_state") / "sounds"
    for i in range(N_FILES):
        write_audio(root / f"d{i % 6}" / f"s{i:03d}.wav", tone(80 + 13 * i, 4.0), 22050)
    return root


def _watch(proc: subprocess.Popen, library: Path, until_done: int | None = None) -> list[RunState]:
    """The states read while ``proc`` runs (until it has done ``until_done`` files)."""
    seen: list[RunState] = []
    deadline = time.monotonic() + 180
    while proc.poll() is None and time.monotonic() < deadline:
        state = read_run_state(library)
        if state is not None:
            seen.append(state)
            if until_done is not None and state.done >= until_done:
                break
        time.sleep(0.01)
    return seen


@pytest.mark.slow
def test_a_running_index_is_seen_then_gone(tmp_path: Path, sounds: Path) -> None:
    library = tmp_path / "library"
    proc = start_index(library, sounds, "--workers", "2")
    seen = _watch(proc, library)
    assert proc.wait(timeout=120) == 0
    indexing = [s for s in seen if s.phase == "indexing"]
    assert indexing, f"no state seen while indexing: {seen}"
    assert {(s.pid, s.root, s.total) for s in indexing} == {(proc.pid, str(sounds), N_FILES)}
    done = [s.done for s in indexing]
    assert done == sorted(done) and len(set(done)) >= 2, f"done did not move: {done}"
    assert all(0 <= n <= N_FILES for n in done)
    assert all(s.started <= s.updated for s in seen)
    assert read_run_state(library) is None
    assert not (library / RUN_STATE_FILENAME).exists()


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_a_killed_or_interrupted_index_is_not_running(
    tmp_path: Path, sounds: Path, sig: signal.Signals
) -> None:
    """kill -9 leaves the file behind but releases the lock: the reader says no run;
    Ctrl-C removes the file."""
    library = tmp_path / "library"
    proc = start_index(library, sounds, "--workers", "0", ctrl_c=True)
    try:
        seen = _watch(proc, library, until_done=8)
        assert seen and seen[-1].phase == "indexing" and proc.poll() is None
    finally:
        proc.send_signal(sig)
        proc.wait(timeout=60)
    state_file = library / RUN_STATE_FILENAME
    if sig == signal.SIGKILL:
        assert json.loads(state_file.read_text())["pid"] == proc.pid  # left behind...
    else:
        assert proc.returncode == 130 and not state_file.exists()
    assert read_run_state(library) is None  # ...and not taken for a running index


def test_publisher_removes_its_file_on_errors_and_ctrl_c(tmp_path: Path) -> None:
    for error in (RuntimeError, KeyboardInterrupt):
        with pytest.raises(error), RunStatePublisher(tmp_path, "/sounds") as state:
            state.phase("indexing", 10)
            state.progress(3)
            seen = read_run_state(tmp_path)
            assert seen is not None and (seen.pid, seen.phase, seen.total) == (
                os.getpid(),
                "indexing",
                10,
            )
            raise error
        assert read_run_state(tmp_path) is None
        assert not (tmp_path / RUN_STATE_FILENAME).exists()


def test_reader_ignores_a_stale_or_broken_file(tmp_path: Path) -> None:
    path = tmp_path / RUN_STATE_FILENAME
    assert read_run_state(tmp_path) is None  # no file
    path.write_text("{not json")
    assert read_run_state(tmp_path) is None
    path.write_text(json.dumps({"pid": os.getpid(), "root": "/x"}))
    assert read_run_state(tmp_path) is None  # fields missing
    with RunStatePublisher(tmp_path, "/sounds"):
        pass
    stale = RunState(os.getpid(), "/sounds", "indexing", 1.0, 2.0, 10, 4)
    path.write_text(json.dumps(stale.__dict__))
    # A live pid (this one) but nobody holds the run's lock: a killed run's file.
    assert read_run_state(tmp_path) is None


def test_the_run_is_published_until_its_index_is_saved(
    tmp_path: Path, sound_folder: Path, settings_factory
) -> None:
    from soundscout.search.service import SearchService

    service = SearchService(settings_factory())
    seen = []
    saving = service.sync_index
    service.sync_index = lambda save=False: (  # type: ignore[method-assign]
        seen.append(read_run_state(service.library_dir)),
        saving(save=save),
    )[1]
    try:
        report = service.index_folder(sound_folder, progress=False)
    finally:
        service.close()
    assert report.ok == 12 and seen and seen[0] is not None
    assert seen[0].phase == "updating the index"
    assert read_run_state(service.library_dir) is None

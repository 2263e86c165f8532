"""``--engine ray``: same vectors and catalog as the local engine, failures, resume, no Ray."""

from __future__ import annotations

import builtins
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from soundscout.catalog import duplicates as dupes
from soundscout.catalog import segments as segdb
from soundscout.catalog.catalog import SoundRow
from soundscout.config import IngestSettings
from soundscout.encoders.tiny import TinyEncoder
from soundscout.errors import LibraryError
from soundscout.ingest.ray_engine import EncoderSpec, RayOptions, plan_actors
from soundscout.ingest.runner import run_ingest
from soundscout.search.service import SearchService
from tests.audiogen import make_library, tone, write_audio, write_corrupt
from tests.conftest import make_settings
from tests.ingest_process import done_rows, start_index
from tests.taggen import tagged

BAD = {
    "bad/truncated.wav": ("truncated_wav", "truncated or corrupt WAV header"),
    "bad/text.mp3": ("text_as_mp3", "not an audio file"),
    "bad/empty.flac": ("empty", "empty file"),
}


def _folder(root: Path) -> Path:
    make_library(root, n_per_kind=3)
    for name, (kind, _) in BAD.items():
        write_corrupt(root / name, kind)
    return root


def _kept(service: SearchService) -> dict[str, tuple[Any, ...]]:
    """What a run stores of each sound besides its vector: words, print, segments."""
    rows = _rows(service)
    ids = {row.id: path for path, row in rows.items()}
    out: dict[str, tuple[Any, ...]] = {}
    with service.catalog.reading() as conn:
        printed = dupes.prints(conn, list(ids))
        for sound_id, path in ids.items():
            found = segdb.read_segments(conn, sound_id, service.encoder.dim)
            segments = None
            if found is not None:
                prints = None if found.prints is None else found.prints.tobytes()
                segments = (found.times.tobytes(), np.round(found.vectors, 5).tobytes(), prints)
            out[path] = (service.lexical.fields(sound_id), printed.get(sound_id), segments)
    return out


def _rows(service: SearchService) -> dict[str, SoundRow]:
    return service.catalog.rows_under("/")


def _vectors(service: SearchService) -> dict[str, np.ndarray]:
    rows = {row.id: row.path for row in _rows(service).values()}
    out = {}
    for ids, vectors in service.catalog.iter_embeddings(service.encoder.version):
        out.update({rows[int(i)]: v for i, v in zip(ids, vectors, strict=True)})
    return out


def _state(row: SoundRow) -> tuple[Any, ...]:
    facts = (row.content_hash, row.format, row.sample_rate, row.channels, row.bit_depth)
    return (row.status, row.error, *facts)


@pytest.mark.slow
@pytest.mark.timeout(300)  # a hang guard; ~1 min idle, 3+ min on a saturated 2-core machine
def test_same_vectors_and_catalog_as_local(ray_local: Any, tmp_path: Path) -> None:
    folder = _folder(tmp_path / "sounds")
    tagged(folder / "foley" / "Door Slam.flac", 5, title="Heavy oak door", genre="Foley")
    write_audio(folder / "beds" / "rain_bed.wav", tone(300, 14.0, kind="noise", seed=4), 22050)
    local = SearchService(make_settings(tmp_path / "local"))
    ray = SearchService(make_settings(tmp_path / "ray"))
    try:
        by_local = local.index_folder(folder, progress=False)
        by_ray = ray.index_folder(folder, progress=False, engine="ray")
        assert (by_ray.ok, by_ray.failed) == (by_local.ok, by_local.failed) == (14, len(BAD))
        # tags, prints and segments came back from the workers: nothing was read again here
        assert (by_ray.words_read, by_ray.prints_taken) == (0, 0)
        kept_ray, kept_local = _kept(ray), _kept(local)
        assert kept_ray == kept_local
        door, bed = str(folder / "foley" / "Door Slam.flac"), str(folder / "beds" / "rain_bed.wav")
        assert "oak" in kept_ray[door][0]["title"] and kept_ray[door][1] is not None
        assert kept_ray[bed][2] is not None  # a long sound's segments (moments)
        assert ray.index_folder(folder, progress=False, engine="ray").processed == 0
        rows_local, rows_ray = _rows(local), _rows(ray)
        assert sorted(rows_ray) == sorted(rows_local)
        for path, row in rows_ray.items():
            assert _state(row) == _state(rows_local[path]), path
            assert row.duration == pytest.approx(rows_local[path].duration)
            assert row.encoder_version == rows_local[path].encoder_version
        for name, (_, reason) in BAD.items():
            assert reason in rows_ray[str(folder / name)].error
        vectors_local, vectors_ray = _vectors(local), _vectors(ray)
        assert sorted(vectors_ray) == sorted(vectors_local)
        for path, vector in vectors_ray.items():
            np.testing.assert_allclose(vector, vectors_local[path], atol=1e-6)
        assert ray.sync_index().count == local.sync_index().count == 14
        assert [h.path for h in ray.search(text="kick", k=5).hits] == [
            h.path for h in local.search(text="kick", k=5).hits
        ]
        moments_ray = ray.search(text="rain", k=3, moments=True).hits
        moments_local = local.search(text="rain", k=3, moments=True).hits
        assert [(h.path, h.moments) for h in moments_ray] == [
            (h.path, h.moments) for h in moments_local
        ]
        assert any(h.moments for h in moments_ray)
    finally:
        local.close()
        ray.close()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_sound_longer_than_a_piece_gets_its_segments_locally(
    ray_local: Any, tmp_path: Path
) -> None:
    """Ray workers do not stream: a sound longer than ``stream_seconds`` gets a vector and
    no segments, is not embedded again by every later Ray run, and the next local run
    streams it and adds them."""
    folder = tmp_path / "sounds"
    bed = write_audio(folder / "rain_bed.wav", tone(300, 14.0, kind="noise", seed=4), 22050)
    write_audio(folder / "short_bed.wav", tone(500, 11.0, kind="noise", seed=5), 22050)
    service = SearchService(make_settings(tmp_path / "library", **{"ingest.stream_seconds": 12}))
    try:
        assert service.index_folder(folder, progress=False, engine="ray").ok == 2
        kept = _kept(service)
        assert kept[str(bed)][2] is None and kept[str(folder / "short_bed.wav")][2] is not None
        assert service.index_folder(folder, progress=False, engine="ray").processed == 0
        assert service.index_folder(folder, progress=False).processed == 1  # streamed here
        assert _kept(service)[str(bed)][2] is not None
    finally:
        service.close()


@pytest.mark.slow
@pytest.mark.timeout(300)  # a hang guard; ~1 min idle, 3+ min on a saturated 2-core machine
def test_incremental_reindex_on_ray(ray_local: Any, tmp_path: Path) -> None:
    folder = _folder(tmp_path / "sounds")
    service = SearchService(make_settings(tmp_path / "library"))
    try:
        service.index_folder(folder, progress=False, engine="ray")
        before = {p: r.embedded_at for p, r in _rows(service).items() if r.status == "done"}
        again = service.index_folder(folder, progress=False, engine="ray")
        assert again.processed == 0 and again.unchanged == 12 and again.skipped_failed == 3
        added = write_audio(folder / "new" / "blip.wav", tone(3000, 0.3), 22050)
        write_audio(folder / "bad" / "truncated.wav", tone(200, 0.4), 22050)  # repaired
        gone = next(iter(sorted((folder / "hats").iterdir())))
        gone.unlink()
        report = service.index_folder(folder, progress=False, engine="ray")
        assert (report.new, report.changed, report.deleted, report.ok, report.failed) == (
            1,
            1,
            1,
            2,
            0,
        )
        after = _rows(service)
        assert after[str(added)].status == after[str(folder / "bad/truncated.wav")].status == "done"
        assert str(gone) not in after
        kept = {p: after[p].embedded_at for p in before if p != str(gone)}
        assert kept == {p: t for p, t in before.items() if p != str(gone)}
        assert service.sync_index().count == 13
    finally:
        service.close()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_clamp3_actors_match_the_local_engine(ray_local: Any, tmp_path: Path) -> None:
    """A torch encoder (toy-size CLaMP 3, random weights) built inside each Ray actor."""
    pytest.importorskip("transformers")
    from tests.encoders.conftest import write_tiny_weights

    weights = write_tiny_weights(tmp_path / "clamp3")
    spec = EncoderSpec("clamp3", str(weights), "cpu", {"architecture": "clamp3-tiny"})
    encoder = spec.create()
    folder = tmp_path / "sounds"
    make_library(folder, n_per_kind=2, seconds=2.0)
    write_corrupt(folder / "bad.wav", "truncated_wav")
    results = {}
    for engine in ("local", "ray"):
        settings = make_settings(tmp_path / engine)
        svc = SearchService(settings, encoder=encoder)
        try:
            run_ingest(
                svc.catalog,
                encoder,
                folder,
                settings.ingest,
                batch_size=4,
                progress=False,
                engine=engine,
                ray=RayOptions(encoder=spec),
            )
            results[engine] = (_vectors(svc), {p: _state(r) for p, r in _rows(svc).items()})
        finally:
            svc.close()
    (vec_local, rows_local), (vec_ray, rows_ray) = results["local"], results["ray"]
    assert rows_ray == rows_local and len(vec_ray) == 8
    for path, vector in vec_ray.items():
        np.testing.assert_allclose(vector, vec_local[path], atol=1e-5)


N_KILL_FILES = 300


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_sigkill_driver_then_resume(ray_local: Any, tmp_path: Path) -> None:
    root, library = tmp_path / "sounds", tmp_path / "library"
    for i in range(N_KILL_FILES):
        wave = tone(80 + 13 * i, 3.0, kind=("sine", "square", "chirp")[i % 3])
        write_audio(root / f"d{i % 5}" / f"s{i:03d}.wav", wave, 22050)
    # RAY_ADDRESS="": the child starts its own local Ray instance.
    proc = start_index(library, root, "--engine", "ray", new_session=True, RAY_ADDRESS="")
    db = library / "catalog.sqlite"
    deadline = time.monotonic() + 150
    try:
        while len(done_rows(db)) < 8:
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the Ray run committed nothing in time"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        _kill_group(proc.pid)  # what the dead driver's local Ray left behind, if anything
    finished = done_rows(db)
    assert 8 <= len(finished) < N_KILL_FILES, "the kill must land mid-run"

    service = SearchService(make_settings(library))
    try:
        assert service.catalog.integrity_ok()
        report = service.index_folder(root, progress=False, engine="ray")
        assert report.ok == N_KILL_FILES - len(finished) and report.failed == 0
        assert report.resumed == N_KILL_FILES - len(finished)
        after = done_rows(db)
        assert len(after) == N_KILL_FILES
        for sound_id, (embedded_at, vector) in finished.items():
            assert after[sound_id] == (embedded_at, vector), "a finished file was re-embedded"
        assert service.sync_index().count == N_KILL_FILES
    finally:
        service.close()


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def test_without_ray_the_engine_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sound_folder: Path
) -> None:
    real_import = builtins.__import__

    def no_ray(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "ray" or name.startswith("ray."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    service = SearchService(make_settings(tmp_path / "library"))
    try:
        with pytest.raises(LibraryError) as err:
            service.index_folder(sound_folder, progress=False, engine="ray")
        assert "pip install 'soundscout[ray]'" in err.value.hint
        assert service.catalog.counts()["total"] == 0, "refused before scanning"
    finally:
        service.close()


def test_a_cluster_that_is_not_there_is_named_with_a_hint(
    tmp_path: Path, sound_folder: Path
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        address = f"ray://127.0.0.1:{probe.getsockname()[1]}"
    env = {**os.environ, "RAY_CLIENT_INITIAL_CONNECTION_TIMEOUT_S": "1"}
    command = [sys.executable, "-m", "soundscout.cli.main", "-L", str(tmp_path / "lib")]
    command += ["index", str(sound_folder), "--encoder", "tiny", "--engine", "ray"]
    done = subprocess.run(
        [*command, "--address", address, "--no-progress"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert f"Cannot join the Ray cluster at '{address}'" in done.stderr.replace("\n", " ")
    assert "ray start --head" in done.stderr and "Traceback" not in done.stderr


def test_unknown_engine_is_refused(tmp_path: Path, sound_folder: Path) -> None:
    service = SearchService(make_settings(tmp_path / "library"))
    try:
        with pytest.raises(LibraryError, match="Unknown ingest engine 'spark'"):
            service.index_folder(sound_folder, progress=False, engine="spark")
    finally:
        service.close()


@pytest.mark.parametrize(
    ("resources", "actors", "actor_gpus", "expected"),
    [
        ({"CPU": 2.0}, None, None, (1, 1.0, 0.0)),
        ({"CPU": 1.0}, None, None, (1, 0.5, 0.0)),
        ({"CPU": 16.0}, None, None, (12, 1.0, 0.0)),
        ({"CPU": 16.0}, 4, None, (4, 1.0, 0.0)),
        ({"CPU": 32.0, "GPU": 4.0}, None, None, (4, 1.0, 1.0)),
        ({"CPU": 32.0, "GPU": 4.0}, 2, None, (2, 1.0, 1.0)),
        ({"CPU": 32.0, "GPU": 4.0}, None, 0.5, (8, 1.0, 0.5)),
        ({"CPU": 32.0, "GPU": 4.0}, None, 0.0, (24, 1.0, 0.0)),
        ({"CPU": 8.0}, 6, 1.0, (6, 1.0, 1.0)),  # GPU workers autoscale from zero
    ],
)
def test_actor_pool_leaves_cpus_for_decoding(
    resources: dict[str, float],
    actors: int | None,
    actor_gpus: float | None,
    expected: tuple[int, float, float],
) -> None:
    plan = plan_actors(resources, actors, actor_gpus)
    assert (plan.size, plan.num_cpus, plan.num_gpus) == expected
    if not plan.num_gpus:
        assert plan.size * plan.num_cpus < resources["CPU"], "decode tasks need a CPU"


def test_default_spec_names_the_driver_encoder() -> None:
    from soundscout.ingest.ray_engine import RayJob

    job = RayJob(TinyEncoder(), IngestSettings(), batch_size=4)
    assert job.spec == EncoderSpec("tiny") and job.spec.create().version == TinyEncoder().version
    settings = make_settings(Path("/unused"), **{"encoder.weights": "/models/x"}).encoder
    assert EncoderSpec.from_settings(settings) == EncoderSpec("tiny", "/models/x", "auto")

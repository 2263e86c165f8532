"""Run an ingest: scan → plan → decode (worker processes) → embed (batches) → commit.

Decoding runs in ``workers`` processes while the model embeds in this process, one
copy, on batches. Results are committed with their status every ``commit_every``
files in one transaction, so a killed run resumes with what is still pending.

``engine="ray"`` replaces only the decode/embed part with a Ray Data pipeline
(:mod:`soundscout.ingest.ray_engine`); scanning, planning and the commit path
(:class:`_Committer`) are the same code for both engines.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Generator, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from tqdm.auto import tqdm

from soundscout.catalog.catalog import Catalog, Outcome
from soundscout.config import IngestSettings
from soundscout.encoders.base import Encoder
from soundscout.errors import LibraryError
from soundscout.ingest.scan import ScanPlan, plan_scan, scan_folder
from soundscout.ingest.stages import (
    Decoded,
    decode_stage,
    embed_stage,
    failed_outcome,
    read_words_stage,
)

if TYPE_CHECKING:  # the Ray engine is imported only when asked for
    from soundscout.ingest.ray_engine import RayOptions

log = logging.getLogger(__name__)

MAX_REPORTED_FAILURES = 20
ENGINES = ("local", "ray")


@dataclass
class IngestReport:
    """What an ingest did."""

    root: str
    scanned: int = 0
    new: int = 0
    changed: int = 0
    moved: int = 0
    deleted: int = 0
    unchanged: int = 0
    skipped_failed: int = 0
    resumed: int = 0
    ok: int = 0
    failed: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    unreadable: list[str] = field(default_factory=list)  # folders that could not be listed
    kept_unreadable: int = 0  # catalogued sounds under them, kept as they were
    reembedded: int = 0  # unchanged files embedded again for another encoder
    excluded: int = 0  # removed though still on disk: ingest.extensions no longer takes them
    bad_names: list[str] = field(default_factory=list)  # not valid UTF-8: not catalogued
    words_read: int = 0  # indexed sounds whose names and tags were read without re-embedding
    kept_vectors: int = 0  # changed files whose audio was the same (tags edited): not embedded

    @property
    def processed(self) -> int:
        """Files decoded and embedded (or failed) in this run."""
        return self.ok + self.failed

    @property
    def files_per_second(self) -> float:
        """Processing rate over the whole run."""
        return self.processed / self.seconds if self.seconds > 0 else 0.0


def resolve_workers(workers: int | None) -> int:
    """The number of decode processes: None means one per core."""
    if workers is None:
        return os.cpu_count() or 1
    return workers


def run_ingest(
    catalog: Catalog,
    encoder: Encoder,
    root: Path,
    settings: IngestSettings,
    batch_size: int = 16,
    progress: bool = True,
    engine: str = "local",
    ray: RayOptions | None = None,
) -> IngestReport:
    """Bring the catalog up to date with ``root`` and embed what is pending under it.

    Args:
        engine: ``local`` (decode processes + one model here) or ``ray`` (a Ray Data
            pipeline; see :mod:`soundscout.ingest.ray_engine`). Both hand their outcomes
            to the same commit code.
        ray: the cluster address, actor pool and encoder spec for ``engine="ray"``.
    """
    _check_engine(engine)
    started = time.perf_counter()
    root_str = os.path.abspath(os.path.expanduser(str(root)))
    if not os.path.isdir(root_str):
        known = len(catalog.fingerprints_under(root_str))
        if known:
            raise LibraryError(
                f"Not a folder: {root_str} (the library holds {known} sounds from it).",
                hint="If it is on a drive that is not mounted, mount it and index again; if "
                f"it is gone for good, `soundscout forget {root_str}` drops its sounds.",
            )
        raise LibraryError(f"Not a folder: {root_str}", hint="Give the folder holding your sounds.")
    report = IngestReport(root=root_str)
    _scan(catalog, root_str, settings, report)
    pending = catalog.pending(encoder.version, root=root_str)
    # Unchanged on disk but embedded by another encoder: done again, so not "unchanged".
    report.reembedded = max(0, len(pending) - report.new - report.changed - report.resumed)
    report.unchanged = max(0, report.unchanged - report.reembedded)
    if pending:
        with _Committer(catalog, encoder.version, settings.commit_every, report, progress) as sink:
            sink.start(len(pending))
            if engine == "ray":
                from soundscout.ingest.ray_engine import RayJob

                _drain(RayJob(encoder, settings, batch_size, ray).outcomes(pending), sink)
            else:
                _Processor(encoder, settings, batch_size, sink).run(pending)
    _read_missing_words(catalog, root_str, settings.commit_every, report, progress)
    report.seconds = time.perf_counter() - started
    log.info(
        "ingest finished: %d ok, %d failed, %d unchanged, %d skipped (failed before) in %.1f s",
        report.ok,
        report.failed,
        report.unchanged,
        report.skipped_failed,
        report.seconds,
    )
    return report


def _read_missing_words(
    catalog: Catalog, root: str, commit_every: int, report: IngestReport, progress: bool
) -> None:
    """Read the words of indexed sounds that have none yet (a library indexed before words
    were read, a Ray run), committing in batches: no audio is decoded or embedded again."""
    todo = catalog.words_pending(root)
    if not todo:
        return
    log.info("reading names and tags of %d indexed sounds (no re-embedding)", len(todo))
    with tqdm(total=len(todo), unit="file", desc="reading tags", disable=not progress) as bar:
        for start in range(0, len(todo), commit_every):
            batch = [read_words_stage(i, path) for i, path in todo[start : start + commit_every]]
            catalog.commit_words(batch)
            bar.update(len(batch))
    report.words_read = len(todo)


def _check_engine(engine: str) -> None:
    """Refuse an unknown engine, or Ray when it is not installed, before a long scan."""
    if engine not in ENGINES:
        raise LibraryError(
            f"Unknown ingest engine {engine!r}.", hint=f"Choose one of: {', '.join(ENGINES)}."
        )
    if engine == "ray":
        from soundscout.ingest.ray_engine import import_ray

        import_ray()


def _scan(catalog: Catalog, root: str, settings: IngestSettings, report: IngestReport) -> None:
    """Scan ``root``, record what changed in the catalog, count it in the report."""
    scan = scan_folder(Path(root), settings.extensions, settings.follow_symlinks)
    entries = scan.entries
    known = catalog.fingerprints_under(root)
    plan = plan_scan(
        known,
        entries,
        settings.retry_failed,
        unreadable=scan.unreadable,
    )
    report.unreadable, report.bad_names = scan.unreadable, scan.bad_names
    report.kept_unreadable = plan.kept_unreadable
    deleted = set(plan.deleted)
    report.excluded = sum(
        1 for path, row in known.items() if row.id in deleted and os.path.isfile(path)
    )
    if not entries and plan.deleted and not report.excluded:
        # An emptied mount point looks like this; a deliberate removal uses `forget`.
        raise LibraryError(
            f"No audio files in {root}, but the library holds {len(plan.deleted)} sounds "
            "from it: nothing was removed.",
            hint="If it is on a drive that is not mounted, mount it and index again; if the "
            f"sounds are gone for good, `soundscout forget {root}` drops them.",
        )
    # An unchanged folder keeps the catalog revision, so the saved index stays current and
    # is not written again (1.5 GB at a million 768-d vectors). A touched file is recorded
    # like a move onto its own path: new mtime, same embedding.
    if plan.new or plan.changed or plan.moved or plan.deleted or plan.touched:
        moved = plan.moved + plan.touched
        catalog.apply_scan(root, plan.new, plan.changed, moved, plan.deleted)
    _count_plan(report, len(entries), plan)
    log.info(
        "scanned %s: %d files (%d new, %d changed, %d moved, %d deleted, %d unchanged, "
        "%d left pending by an interrupted run)",
        root,
        len(entries),
        report.new,
        report.changed,
        report.moved,
        report.deleted,
        report.unchanged,
        report.resumed,
    )


def _drain(outcomes: Generator[Outcome, None, None], sink: _Committer) -> None:
    """Commit outcomes as they stream in; the generator is closed even on error."""
    with closing(outcomes):
        for outcome in outcomes:
            sink.add([outcome])


def _count_plan(report: IngestReport, scanned: int, plan: ScanPlan) -> None:
    report.scanned = scanned
    report.new, report.changed = len(plan.new), len(plan.changed)
    report.moved, report.deleted = len(plan.moved), len(plan.deleted)
    report.unchanged = plan.unchanged + len(plan.touched)
    report.skipped_failed = plan.failed_unchanged
    report.resumed = plan.resumed


def _worker_init(parent_pid: int) -> None:
    """Decode workers leave Ctrl-C to the parent, and exit when it is gone (kill -9)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()


def _exit_with_parent(parent_pid: int, every: float = 1.0) -> None:
    while True:
        time.sleep(every)
        try:
            os.kill(parent_pid, 0)
        except ProcessLookupError:
            os._exit(1)  # nobody is left to take this worker's results
        except PermissionError:
            pass  # the pid exists


class _Committer:
    """The one accept/commit path of every engine.

    Outcomes are committed with their status every ``commit_every`` files in one
    transaction; counted in the report; drawn on the progress bar.
    """

    def __init__(
        self,
        catalog: Catalog,
        encoder_version: str,
        commit_every: int,
        report: IngestReport,
        progress: bool,
    ) -> None:
        self.catalog, self.encoder_version = catalog, encoder_version
        self.commit_every, self.report, self.progress = commit_every, report, progress
        self.outcomes: list[Outcome] = []
        self.bar: tqdm | None = None

    def __enter__(self) -> _Committer:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.commit()
        finally:
            if self.bar is not None:
                self.bar.close()

    def start(self, total: int) -> None:
        """Open the progress bar over ``total`` pending files."""
        self.bar = tqdm(
            total=total, unit="file", desc="indexing", disable=not self.progress, dynamic_ncols=True
        )

    def add(self, outcomes: list[Outcome]) -> None:
        """Queue outcomes; commit when a batch is full."""
        self.outcomes.extend(outcomes)
        if len(self.outcomes) >= self.commit_every:
            self.commit()

    def commit(self) -> None:
        """Write the queued outcomes in one transaction and count them."""
        if not self.outcomes:
            return
        batch, self.outcomes = self.outcomes, []
        self.catalog.commit_outcomes(batch, self.encoder_version)
        for outcome in batch:
            if outcome.vector is not None:
                self.report.ok += 1
                self.report.kept_vectors += outcome.reused
            else:
                self.report.failed += 1
                if len(self.report.failures) < MAX_REPORTED_FAILURES:
                    row = self.catalog.get(outcome.sound_id)
                    self.report.failures.append((row.path if row else "?", outcome.error or ""))
        if self.bar is not None:
            self.bar.update(len(batch))


class _Processor:
    """The local engine: decode in worker processes, embed here, hand outcomes to the sink."""

    def __init__(
        self, encoder: Encoder, settings: IngestSettings, batch_size: int, sink: _Committer
    ) -> None:
        self.encoder, self.settings = encoder, settings
        self.batch_size, self.sink = batch_size, sink
        self.decoded: list[Decoded] = []

    def run(self, pending: list[tuple[int, str]]) -> None:
        workers = resolve_workers(self.settings.workers)
        if workers == 0:
            for sound_id, path in pending:
                self._accept(self._decode(sound_id, path))
        else:
            self._run_pool(pending, workers)
        self._embed()

    def _decode(self, sound_id: int, path: str) -> Decoded:
        return decode_stage(
            sound_id, path, self.encoder.sample_rate, self.settings.max_file_seconds
        )

    def _run_pool(self, pending: list[tuple[int, str]], workers: int) -> None:
        todo: Iterator[tuple[int, str]] = iter(pending)
        context = multiprocessing.get_context("forkserver")
        max_inflight = 2 * workers + self.batch_size
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_worker_init, initargs=(os.getpid(),)
        ) as pool:
            inflight: dict[Future[Decoded], tuple[int, str]] = {}
            while True:
                while len(inflight) < max_inflight and not self._over_memory_cap():
                    job = next(todo, None)
                    if job is None:
                        break
                    inflight[pool.submit(decode_stage, *self._decode_args(*job))] = job
                if not inflight:
                    return
                done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for future in done:
                    job = inflight.pop(future)
                    self._accept(self._result_of(future, job))

    def _decode_args(self, sound_id: int, path: str) -> tuple[int, str, int, float | None]:
        return sound_id, path, self.encoder.sample_rate, self.settings.max_file_seconds

    def _result_of(self, future: Future[Decoded], job: tuple[int, str]) -> Decoded:
        try:
            return future.result()
        except BrokenProcessPool:
            raise
        except Exception as exc:
            return Decoded(job[0], job[1], error=f"decoder worker failed: {exc}")

    def _over_memory_cap(self) -> bool:
        held = sum(item.seconds for item in self.decoded)
        if held >= self.settings.max_inflight_seconds:
            self._embed()
        return sum(item.seconds for item in self.decoded) >= self.settings.max_inflight_seconds

    def _accept(self, item: Decoded) -> None:
        if item.error:
            log.warning("failed: %s: %s", item.path, item.error)
            self.sink.add([failed_outcome(item)])
            return
        self.decoded.append(item)
        if len(self.decoded) >= self.batch_size:
            self._embed()

    def _embed(self) -> None:
        if self.decoded:
            batch, self.decoded = self.decoded, []
            self.sink.add(embed_stage(self.encoder, batch, self.batch_size, self._stored))

    def _stored(self, item: Decoded) -> np.ndarray | None:
        """The vector kept for a file whose tags changed but whose audio did not."""
        return self.sink.catalog.stored_vector(item.sound_id, item.audio_hash, self.encoder.version)

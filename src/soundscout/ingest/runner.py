"""Run an ingest: scan → plan → decode (worker processes) → embed (batches) → commit.

Decoding runs in ``workers`` processes while the model embeds in this process, one
copy, on batches. Results are committed with their status every ``commit_every``
files in one transaction, so a killed run resumes with what is still pending.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from soundscout.catalog.catalog import Catalog, Outcome
from soundscout.config import IngestSettings
from soundscout.encoders.base import Encoder
from soundscout.errors import LibraryError
from soundscout.ingest.scan import ScanPlan, plan_scan, scan_folder
from soundscout.ingest.stages import Decoded, decode_stage, embed_stage, failed_outcome

log = logging.getLogger(__name__)

MAX_REPORTED_FAILURES = 20


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
) -> IngestReport:
    """Bring the catalog up to date with ``root`` and embed what is pending under it."""
    started = time.perf_counter()
    root_str = os.path.abspath(os.path.expanduser(str(root)))
    if not os.path.isdir(root_str):
        raise LibraryError(f"Not a folder: {root_str}", hint="Give the folder holding your sounds.")
    report = IngestReport(root=root_str)
    entries = scan_folder(Path(root_str), settings.extensions, settings.follow_symlinks)
    plan = plan_scan(catalog.rows_under(root_str), entries, settings.retry_failed)
    catalog.apply_scan(root_str, plan.new, plan.changed, plan.moved, plan.deleted)
    _count_plan(report, len(entries), plan)
    log.info(
        "scanned %s: %d files (%d new, %d changed, %d moved, %d deleted, %d unchanged, "
        "%d left pending by an interrupted run)",
        root_str,
        len(entries),
        report.new,
        report.changed,
        report.moved,
        report.deleted,
        report.unchanged,
        report.resumed,
    )
    pending = catalog.pending(encoder.version, root=root_str)
    if pending:
        _Processor(catalog, encoder, settings, batch_size, report, progress).run(pending)
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


def _count_plan(report: IngestReport, scanned: int, plan: ScanPlan) -> None:
    report.scanned = scanned
    report.new, report.changed = len(plan.new), len(plan.changed)
    report.moved, report.deleted = len(plan.moved), len(plan.deleted)
    report.unchanged, report.skipped_failed = plan.unchanged, plan.failed_unchanged
    report.resumed = plan.resumed


class _Processor:
    """Decode, embed and commit a list of pending (id, path)."""

    def __init__(
        self,
        catalog: Catalog,
        encoder: Encoder,
        settings: IngestSettings,
        batch_size: int,
        report: IngestReport,
        progress: bool,
    ) -> None:
        self.catalog, self.encoder, self.settings = catalog, encoder, settings
        self.batch_size, self.report = batch_size, report
        self.progress = progress
        self.decoded: list[Decoded] = []
        self.outcomes: list[Outcome] = []

    def run(self, pending: list[tuple[int, str]]) -> None:
        workers = resolve_workers(self.settings.workers)
        self.bar = tqdm(
            total=len(pending),
            unit="file",
            desc="indexing",
            disable=not self.progress,
            dynamic_ncols=True,
        )
        try:
            if workers == 0:
                for sound_id, path in pending:
                    self._accept(self._decode(sound_id, path))
            else:
                self._run_pool(pending, workers)
            self._embed()
        finally:
            self._commit()
            self.bar.close()

    def _decode(self, sound_id: int, path: str) -> Decoded:
        return decode_stage(
            sound_id, path, self.encoder.sample_rate, self.settings.max_file_seconds
        )

    def _run_pool(self, pending: list[tuple[int, str]], workers: int) -> None:
        todo: Iterator[tuple[int, str]] = iter(pending)
        context = multiprocessing.get_context("forkserver")
        max_inflight = 2 * workers + self.batch_size
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
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
            self._add_outcomes([failed_outcome(item)])
            return
        self.decoded.append(item)
        if len(self.decoded) >= self.batch_size:
            self._embed()

    def _embed(self) -> None:
        if self.decoded:
            batch, self.decoded = self.decoded, []
            self._add_outcomes(embed_stage(self.encoder, batch, self.batch_size))

    def _add_outcomes(self, outcomes: list[Outcome]) -> None:
        self.outcomes.extend(outcomes)
        if len(self.outcomes) >= self.settings.commit_every:
            self._commit()

    def _commit(self) -> None:
        if not self.outcomes:
            return
        batch, self.outcomes = self.outcomes, []
        self.catalog.commit_outcomes(batch, self.encoder.version)
        for outcome in batch:
            if outcome.vector is not None:
                self.report.ok += 1
            else:
                self.report.failed += 1
                if len(self.report.failures) < MAX_REPORTED_FAILURES:
                    row = self.catalog.get(outcome.sound_id)
                    self.report.failures.append((row.path if row else "?", outcome.error or ""))
        self.bar.update(len(batch))

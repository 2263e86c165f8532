"""Run an ingest: scan → plan → decode (worker processes) → embed (batches) → commit.

Decoding runs in ``workers`` processes while the model embeds in this process, one
copy, on batches. Results are committed with their status every ``commit_every``
files in one transaction, so a killed run resumes with what is still pending. A batch
closes at ``batch_size`` files or :data:`EMBED_GROUP_SECONDS` of audio, so a long file
is embedded on its own and the short files before it show on the progress bar first.
Other processes see the run through :mod:`soundscout.ingest.run_state`.

``engine="ray"`` replaces only the decode/embed part with a Ray Data pipeline
(:mod:`soundscout.ingest.ray_engine`); scanning, planning and the commit path
(:class:`Committer`) are the same code for both engines.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from soundscout.catalog import segments as segdb
from soundscout.catalog.catalog import Catalog, Outcome
from soundscout.config import IngestSettings, MomentsSettings
from soundscout.encoders.base import Encoder
from soundscout.errors import DecodeError, LibraryError
from soundscout.ingest.backfill import read_missing_bit_depths, read_missing_words
from soundscout.ingest.committer import Committer
from soundscout.ingest.decode_pool import decode_pool
from soundscout.ingest.interrupt import sigint_deferred
from soundscout.ingest.print_backfill import read_missing_prints
from soundscout.ingest.report import IngestReport
from soundscout.ingest.run_state import RunStatePublisher
from soundscout.ingest.scan import ScanPlan, plan_scan, scan_folder
from soundscout.ingest.stages import (
    Decoded,
    SegmentPlan,
    decode_stage,
    embed_stage,
    failed_outcome,
    gets_segments,
    longest_decoded,
)
from soundscout.moments.long_audio import streamed_audio_hash

if TYPE_CHECKING:  # the Ray engine is imported only when asked for
    from soundscout.ingest.ray_engine import RayOptions

log = logging.getLogger(__name__)

ENGINES = ("local", "ray")
#: Seconds of audio that close an embedding batch before ``batch_size`` files: a few
#: seconds of model time on a CPU, so the bar moves; short files still fill whole batches.
EMBED_GROUP_SECONDS = 30.0


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
    finish: Callable[[], object] | None = None,
    moments: MomentsSettings | None = None,
) -> IngestReport:
    """Bring the catalog up to date with ``root`` and embed what is pending under it.

    Args:
        finish: called last, while the run is still published (phase ``updating the
            index``), so that other processes see the run until its index is saved.
        engine: ``local`` (decode processes + one model here) or ``ray`` (a Ray Data
            pipeline; see :mod:`soundscout.ingest.ray_engine`). Both hand their outcomes
            to the same commit code.
        ray: the cluster address, actor pool and encoder spec for ``engine="ray"``.
        moments: which sounds get segments; sounds indexed before without them are
            embedded again (by a Ray run, only those its workers decode whole).
    """
    _check_engine(engine)
    started = time.perf_counter()
    root_str = os.path.abspath(os.path.expanduser(str(root)))
    _check_folder(catalog, root_str)
    report = IngestReport(root=root_str)
    with RunStatePublisher(catalog.library_dir, root_str) as state:
        _scan(catalog, root_str, settings, report)
        pending = catalog.pending(encoder.version, root=root_str)
        plan = _segment_plan(settings, moments)
        # long sounds indexed before moments were kept (on Ray: those its workers embed whole)
        whole_up_to = None if engine == "local" else longest_decoded(settings)
        with catalog.reading() as conn:
            pending += segdb.missing_segments(
                conn, encoder.version, plan.min_seconds, plan.max_seconds, root_str, whole_up_to
            )
        # Unchanged on disk but embedded by another encoder: done again, so not "unchanged".
        report.reembedded = max(0, len(pending) - report.new - report.changed - report.resumed)
        report.unchanged = max(0, report.unchanged - report.reembedded)
        if pending:
            state.phase("indexing", len(pending))
            with Committer(catalog, encoder.version, settings, report, progress, state) as sink:
                sink.start(len(pending))
                if engine == "ray":
                    from soundscout.ingest.ray_engine import RayJob

                    job = RayJob(encoder, settings, batch_size, ray, plan)
                    _drain(job.outcomes(pending), sink)
                else:
                    _Processor(encoder, settings, batch_size, sink, plan).run(pending)
        every = settings.commit_every
        report.words_read = read_missing_words(catalog, root_str, every, progress, state)
        report.bit_depths_read = read_missing_bit_depths(catalog, root_str, every, progress, state)
        # a print takes 8 s from the first sound: no need to decode a long file whole
        rate, longest = encoder.sample_rate, longest_decoded(settings)
        report.prints_taken = read_missing_prints(
            catalog, root_str, rate, longest, every, progress, state
        )
        if finish is not None:
            state.phase("updating the index", None)
            finish()
    report.seconds = time.perf_counter() - started
    _log_summary(report)
    return report


def _segment_plan(settings: IngestSettings, moments: MomentsSettings | None) -> SegmentPlan:
    moments = moments or MomentsSettings()
    return SegmentPlan(
        moments.min_seconds,
        moments.segment_windows,
        settings.stream_seconds,
        settings.max_file_seconds,
    )


def _check_folder(catalog: Catalog, root_str: str) -> None:
    """Refuse a folder that is not there, saying so when the library holds sounds from it."""
    if not os.path.isdir(root_str):
        known = len(catalog.fingerprints_under(root_str))
        if known:
            raise LibraryError(
                f"Not a folder: {root_str} (the library holds {known} sounds from it).",
                hint="If it is on a drive that is not mounted, mount it and index again; if "
                f"it is gone for good, `soundscout forget {root_str}` drops its sounds.",
            )
        raise LibraryError(f"Not a folder: {root_str}", hint="Give the folder holding your sounds.")
    _check_not_linked_twice(catalog, root_str)


def _check_not_linked_twice(catalog: Catalog, root_str: str) -> None:
    """Refuse a folder that reaches a library folder by another name (a symbolic link on
    the way): its sounds would be catalogued twice, every result shown twice."""
    real = os.path.realpath(root_str)
    for known in catalog.roots():
        if known == root_str or not os.path.isdir(known):
            continue
        known_real = os.path.realpath(known)
        if known_real == real:
            how = f"is the library's folder {known}"
        elif _inside(real, known_real) and not _inside(root_str, known):
            how = f"is inside the library's folder {known}"
        elif _inside(known_real, real) and not _inside(known, root_str):
            how = f"holds the library's folder {known}"
        else:
            continue
        raise LibraryError(
            f"{root_str} {how}, by another name (a symbolic link): its sounds would be "
            "catalogued twice.",
            hint=f"Spell it as the library does ({known}), or `soundscout forget {known}` "
            f"first and index {root_str} anew.",
        )


def _inside(path: str, folder: str) -> bool:
    """Whether ``path`` is below ``folder`` (not the folder itself)."""
    return path.startswith(folder.rstrip(os.sep) + os.sep)


def _log_summary(report: IngestReport) -> None:
    log.info(
        "ingest finished: %d ok, %d failed, %d unchanged, %d skipped (failed before) in %.1f s",
        report.ok,
        report.failed,
        report.unchanged,
        report.skipped_failed,
        report.seconds,
    )
    if report.decoder_warned:
        ids = report.decoder_warned_ids
        shown = ", ".join(str(i) for i in ids[:10]) + (", ..." if len(ids) > 10 else "")
        log.warning(
            "%d %s printed decoder warnings (ids %s); `soundscout show ID` says what, "
            "`soundscout status` lists them",
            report.decoder_warned,
            "file" if report.decoder_warned == 1 else "files",
            shown,
        )


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
    others = [r for r in catalog.roots() if r != root and os.path.isdir(r)]
    scan = scan_folder(Path(root), settings.extensions, settings.follow_symlinks, others)
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


def _drain(outcomes: Generator[Outcome, None, None], sink: Committer) -> None:
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


class _Processor:
    """The local engine: decode in worker processes, embed here, hand outcomes to the sink."""

    def __init__(
        self,
        encoder: Encoder,
        settings: IngestSettings,
        batch_size: int,
        sink: Committer,
        plan: SegmentPlan | None,
    ) -> None:
        self.encoder, self.settings = encoder, settings
        self.batch_size, self.sink, self.plan = batch_size, sink, plan
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
        """Decode in this process; a Ctrl-C meanwhile is raised after it, not lost."""
        with sigint_deferred():
            return decode_stage(*self._decode_args(sound_id, path))

    def _run_pool(self, pending: list[tuple[int, str]], workers: int) -> None:
        todo: Iterator[tuple[int, str]] = iter(pending)
        max_inflight = 2 * workers + self.batch_size
        with decode_pool(workers) as pool:
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

    def _decode_args(
        self, sound_id: int, path: str
    ) -> tuple[int, str, int, float | None, float | None]:
        stream = self.settings.stream_seconds if self.plan is not None else None
        return sound_id, path, self.encoder.sample_rate, self.settings.max_file_seconds, stream

    def _result_of(self, future: Future[Decoded], job: tuple[int, str]) -> Decoded:
        try:
            return future.result()
        except BrokenProcessPool:
            raise
        except Exception as exc:
            return Decoded(job[0], job[1], error=f"decoder worker failed: {exc}")

    def _over_memory_cap(self) -> bool:
        if self._held() >= self.settings.max_inflight_seconds:
            self._embed()
        return self._held() >= self.settings.max_inflight_seconds

    def _accept(self, item: Decoded) -> None:
        if item.error:
            log.warning("failed: %s: %s", item.path, item.error)
            self.sink.add([failed_outcome(item)])
            return
        if self.decoded and self._held() + item.seconds > EMBED_GROUP_SECONDS:
            self._embed()  # the short files held go first, not behind a long one
        self.decoded.append(item)
        if len(self.decoded) >= self.batch_size or self._held() >= EMBED_GROUP_SECONDS:
            self._embed()

    def _held(self) -> float:
        return sum(item.seconds for item in self.decoded)

    def _embed(self) -> None:
        if self.decoded:
            batch, self.decoded = self.decoded, []
            self.sink.embedding(batch)
            outcomes = embed_stage(self.encoder, batch, self.batch_size, self._stored, self.plan)
            self.sink.add(outcomes)

    def _stored(self, item: Decoded) -> np.ndarray | None:
        """The vector kept for a file whose tags changed but whose audio did not (and whose
        segments and occurrence print, if it is long, are stored too)."""
        catalog = self.sink.catalog
        if self.plan is not None and gets_segments(item, self.plan):
            with catalog.reading() as conn:
                if not segdb.has_segments(conn, item.sound_id):
                    return None
        if item.stream and self.plan is not None:  # its audio was not decoded yet
            item.audio_hash = self._streamed_hash(item)
        return catalog.stored_vector(item.sound_id, item.audio_hash, self.encoder.version)

    def _streamed_hash(self, item: Decoded) -> str | None:
        assert self.plan is not None
        try:
            return streamed_audio_hash(
                item.path,
                self.encoder.sample_rate,
                piece_seconds=self.plan.piece_seconds,
                max_seconds=self.plan.max_seconds,
            )
        except DecodeError:
            return None  # embedding it names the problem

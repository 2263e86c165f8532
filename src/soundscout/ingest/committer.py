"""The one accept/commit path of every ingest engine: outcomes in, catalog batches out."""

from __future__ import annotations

from contextlib import ExitStack

from tqdm.contrib.logging import logging_redirect_tqdm

from soundscout.catalog.catalog import Catalog, Outcome
from soundscout.config import IngestSettings
from soundscout.ingest.progress import IngestProgress
from soundscout.ingest.report import MAX_REPORTED_FAILURES, IngestReport
from soundscout.ingest.run_state import RunStatePublisher
from soundscout.ingest.stages import Decoded


class Committer:
    """The one accept/commit path of every engine.

    Outcomes are committed with their status every ``commit_every`` files in one
    transaction and counted in the report; the progress bar and the published run state
    move as they arrive, before their batch commits.
    """

    def __init__(
        self,
        catalog: Catalog,
        encoder_version: str,
        settings: IngestSettings,
        report: IngestReport,
        progress: bool,
        state: RunStatePublisher,
    ) -> None:
        self.catalog, self.encoder_version = catalog, encoder_version
        self.commit_every, self.report, self.progress = settings.commit_every, report, progress
        self.max_seconds = settings.max_file_seconds
        self.state = state
        self.outcomes: list[Outcome] = []
        self.bar: IngestProgress | None = None
        self._quiet_logs = ExitStack()

    def __enter__(self) -> Committer:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.commit()
        finally:
            if self.bar is not None:
                self.bar.close()
            self._quiet_logs.close()

    def start(self, total: int) -> None:
        """Open the progress bar over ``total`` pending files; log lines print above it."""
        self.bar = IngestProgress(total, self.progress)
        if self.progress:
            self._quiet_logs.enter_context(logging_redirect_tqdm())

    def embedding(self, items: list[Decoded]) -> None:
        """Show the files the model is about to embed."""
        if self.bar is not None:
            self.bar.embedding(len(items), sum(item.seconds for item in items))

    def add(self, outcomes: list[Outcome]) -> None:
        """Queue outcomes (counted on the bar now); commit when a batch is full."""
        self.outcomes.extend(outcomes)
        if self.bar is not None:
            self.bar.advance(len(outcomes), sum(self._audio(o) for o in outcomes))
            self.state.progress(self.bar.done)
        if len(self.outcomes) >= self.commit_every:
            self.commit()

    def _audio(self, outcome: Outcome) -> float:
        """Seconds of audio embedded for an outcome (none for a failure)."""
        if outcome.vector is None or outcome.duration is None:
            return 0.0
        return min(outcome.duration, self.max_seconds or outcome.duration)

    def commit(self) -> None:
        """Write the queued outcomes in one transaction and count them."""
        if not self.outcomes:
            return
        batch, self.outcomes = self.outcomes, []
        self.catalog.commit_outcomes(batch, self.encoder_version)
        report = self.report
        for outcome in batch:
            if outcome.decoder_warnings:
                report.decoder_warned += 1
                if len(report.decoder_warned_ids) < MAX_REPORTED_FAILURES:
                    report.decoder_warned_ids.append(outcome.sound_id)
            if outcome.vector is not None:
                report.ok += 1
                report.kept_vectors += outcome.reused
            else:
                report.failed += 1
                if len(report.failures) < MAX_REPORTED_FAILURES:
                    row = self.catalog.get(outcome.sound_id)
                    report.failures.append((row.path if row else "?", outcome.error or ""))

"""Fingerprints for sounds indexed before they were taken (an older Soundscout).

Their files are decoded once more (nothing is embedded again) and their prints stored and
listed for the duplicate grouping that ends the run (the revision, and so the saved index,
stays). A file that
cannot be read or decoded now keeps no print and is tried again by the next run.
"""

from __future__ import annotations

import logging
import os

from soundscout.audio.decode import decode_file
from soundscout.catalog import duplicates as store
from soundscout.catalog.catalog import Catalog
from soundscout.duplicates.fingerprint import Print, compute
from soundscout.errors import DecodeError
from soundscout.ingest.backfill import in_batches
from soundscout.ingest.interrupt import sigint_deferred
from soundscout.ingest.native_stderr import captured_stderr
from soundscout.ingest.run_state import RunStatePublisher

log = logging.getLogger(__name__)


def read_missing_prints(
    catalog: Catalog,
    root: str,
    sample_rate: int,
    max_seconds: float | None,
    commit_every: int,
    progress: bool,
    state: RunStatePublisher,
) -> int:
    """Fingerprint the indexed sounds under ``root`` that have none, committing in batches;
    returns how many were fingerprinted."""
    with catalog.reading() as conn:
        todo = store.unprinted_under(conn, root)
    if not todo:
        return 0
    log.info("fingerprinting %d sounds indexed before (no re-embedding)", len(todo))

    def read(chunk: list[tuple[int, str]]) -> list[tuple[int, Print]]:
        return [(i, p) for i, path in chunk if (p := _print(path, sample_rate, max_seconds))]

    return in_batches(
        todo, "fingerprinting", read, catalog.commit_prints, commit_every, progress, state
    )


def _print(path: str, sample_rate: int, max_seconds: float | None) -> Print | None:
    """The file's print; None when it cannot be read or decoded now."""
    if not os.access(path, os.R_OK):
        return None
    try:
        with sigint_deferred(), captured_stderr():
            _, waveform = decode_file(path, sample_rate, max_seconds=max_seconds)
    except DecodeError as exc:
        log.debug("no fingerprint for %s: %s", path, exc.message)
        return None
    return compute(waveform, sample_rate)

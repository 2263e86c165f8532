"""What an ingest did: the counts `soundscout index` prints."""

from __future__ import annotations

from dataclasses import dataclass, field

#: Failures (and files with decoder warnings) named in a report; the rest are counted.
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
    unreadable: list[str] = field(default_factory=list)  # folders that could not be listed
    kept_unreadable: int = 0  # catalogued sounds under them, kept as they were
    reembedded: int = 0  # unchanged files embedded again for another encoder
    excluded: int = 0  # removed though still on disk: ingest.extensions no longer takes them
    bad_names: list[str] = field(default_factory=list)  # not valid UTF-8: not catalogued
    words_read: int = 0  # indexed sounds whose names and tags were read without re-embedding
    kept_vectors: int = 0  # changed files whose audio was the same (tags edited): not embedded
    bit_depths_read: int = 0  # indexed sounds whose bit depth was read from their headers
    prints_taken: int = 0  # indexed sounds fingerprinted for duplicates without re-embedding
    decoder_warned: int = 0  # files whose decoding printed warnings (stored on the sound)
    decoder_warned_ids: list[int] = field(default_factory=list)  # the first few of them

    @property
    def processed(self) -> int:
        """Files decoded and embedded (or failed) in this run."""
        return self.ok + self.failed

    @property
    def files_per_second(self) -> float:
        """Processing rate over the whole run."""
        return self.processed / self.seconds if self.seconds > 0 else 0.0

"""Facts that sounds indexed by an older Soundscout lack, read without embedding again:
their names and tags (words), and their files' bit depth."""

from __future__ import annotations

import logging
import os

from soundscout.audio.decode import probe
from soundscout.catalog.catalog import Catalog
from soundscout.errors import DecodeError
from soundscout.ingest.interrupt import sigint_deferred
from soundscout.ingest.native_stderr import captured_stderr
from soundscout.ingest.progress import new_bar
from soundscout.ingest.run_state import RunStatePublisher
from soundscout.ingest.stages import read_words_stage

log = logging.getLogger(__name__)


def read_missing_words(
    catalog: Catalog, root: str, commit_every: int, progress: bool, state: RunStatePublisher
) -> int:
    """Read the words of indexed sounds that have none yet (a library indexed before words
    were read, a Ray run), committing in batches; returns how many were read."""
    todo = catalog.words_pending(root)
    if not todo:
        return 0
    log.info("reading names and tags of %d indexed sounds (no re-embedding)", len(todo))
    state.phase("reading tags", len(todo))
    with new_bar(len(todo), "reading tags", progress) as bar:
        for start in range(0, len(todo), commit_every):
            batch = [read_words_stage(i, path) for i, path in todo[start : start + commit_every]]
            catalog.commit_words(batch)
            bar.update(len(batch))
            state.progress(start + len(batch))
    return len(todo)


def read_missing_bit_depths(
    catalog: Catalog, root: str, commit_every: int, progress: bool, state: RunStatePublisher
) -> int:
    """Read the bit depth of indexed sounds catalogued before bit depths were (their files'
    headers only), committing in batches; returns how many were read."""
    todo = catalog.bit_depth_pending(root)
    if not todo:
        return 0
    log.info("reading the bit depth of %d indexed sounds (headers only)", len(todo))
    state.phase("reading bit depths", len(todo))
    read = 0
    with new_bar(len(todo), "reading bit depths", progress) as bar:
        for start in range(0, len(todo), commit_every):
            chunk = todo[start : start + commit_every]
            # A file that cannot be opened now (permissions, a drive away) stays pending.
            batch = [(i, _bit_depth(path)) for i, path in chunk if os.access(path, os.R_OK)]
            catalog.commit_bit_depths(batch)
            read += len(batch)
            bar.update(len(chunk))
            state.progress(start + len(chunk))
    if read < len(todo):
        unread = len(todo) - read
        log.info("%d files could not be opened; their bit depth is read next time", unread)
    return read


def _bit_depth(path: str) -> int | None:
    """The bit depth in a file's header; None when it has none or its header cannot be
    parsed (a file changed since is decoded, and its bit depth read, by the next scan)."""
    try:
        with sigint_deferred(), captured_stderr():
            return probe(path).bit_depth
    except DecodeError:
        return None

"""Facts that sounds indexed by an older Soundscout lack, read without embedding again:
their names and tags (words), and their files' bit depth."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import TypeVar

from soundscout.audio.decode import probe
from soundscout.catalog.catalog import Catalog
from soundscout.errors import DecodeError
from soundscout.ingest.interrupt import sigint_deferred
from soundscout.ingest.native_stderr import captured_stderr
from soundscout.ingest.progress import new_bar
from soundscout.ingest.run_state import RunStatePublisher
from soundscout.ingest.stages import read_words_stage

log = logging.getLogger(__name__)
T = TypeVar("T")


def in_batches(
    todo: list[tuple[int, str]],
    phase: str,
    read: Callable[[list[tuple[int, str]]], list[T]],
    commit: Callable[[list[T]], None],
    commit_every: int,
    progress: bool,
    state: RunStatePublisher,
) -> int:
    """Run ``read`` over ``todo`` (id, path) a batch at a time and ``commit`` what it gives,
    with a bar and the run's published progress both named ``phase``; how many were read
    (``read`` may leave out what cannot be read now, to be tried again by the next run)."""
    state.phase(phase, len(todo))
    done = 0
    with new_bar(len(todo), phase, progress) as bar:
        for start in range(0, len(todo), commit_every):
            chunk = todo[start : start + commit_every]
            batch = read(chunk)
            commit(batch)
            done += len(batch)
            bar.update(len(chunk))
            state.progress(start + len(chunk))
    return done


def read_missing_words(
    catalog: Catalog, root: str, commit_every: int, progress: bool, state: RunStatePublisher
) -> int:
    """Read the words of indexed sounds that have none yet (a library indexed before words
    were read), committing in batches; returns how many were read."""
    todo = catalog.words_pending(root)
    if not todo:
        return 0
    log.info("reading names and tags of %d indexed sounds (no re-embedding)", len(todo))

    def read(chunk: list[tuple[int, str]]) -> list[tuple[int, dict[str, str], tuple[str, ...]]]:
        return [read_words_stage(i, path) for i, path in chunk]

    return in_batches(
        todo, "reading tags", read, catalog.commit_words, commit_every, progress, state
    )


def read_missing_bit_depths(
    catalog: Catalog, root: str, commit_every: int, progress: bool, state: RunStatePublisher
) -> int:
    """Read the bit depth of indexed sounds catalogued before bit depths were (their files'
    headers only), committing in batches; returns how many were read."""
    todo = catalog.bit_depth_pending(root)
    if not todo:
        return 0
    log.info("reading the bit depth of %d indexed sounds (headers only)", len(todo))

    def read(chunk: list[tuple[int, str]]) -> list[tuple[int, int | None]]:
        # A file that cannot be opened now (permissions, a drive away) stays pending.
        return [(i, _bit_depth(path)) for i, path in chunk if os.access(path, os.R_OK)]

    done = in_batches(
        todo, "reading bit depths", read, catalog.commit_bit_depths, commit_every, progress, state
    )
    if done < len(todo):
        unread = len(todo) - done
        log.info("%d files could not be opened; their bit depth is read next time", unread)
    return done


def _bit_depth(path: str) -> int | None:
    """The bit depth in a file's header; None when it has none or its header cannot be
    parsed (a file changed since is decoded, and its bit depth read, by the next scan)."""
    try:
        with sigint_deferred(), captured_stderr():
            return probe(path).bit_depth
    except DecodeError:
        return None

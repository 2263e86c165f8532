"""The catalog at 10^6 rows: status queries, filters and an unchanged re-scan, timed."""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .common import WORK, emit, reset_peak, rss_mb

TOP_DIRS, SUB_DIRS = 10, 100
FORMATS = (("wav", 0.50), ("flac", 0.39), ("mp3", 0.10), ("ogg", 0.01))


def make_tree(root: Path, rows: int) -> float:
    """``rows`` empty .wav files in TOP_DIRS x SUB_DIRS folders; return seconds taken."""
    started = time.perf_counter()
    per_dir = math.ceil(rows / (TOP_DIRS * SUB_DIRS))
    made = 0
    for t in range(TOP_DIRS):
        for s in range(SUB_DIRS):
            folder = root / f"t{t}" / f"s{s:02d}"
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(min(per_dir, rows - made)):
                os.close(os.open(folder / f"n{i:04d}.wav", os.O_CREAT | os.O_WRONLY, 0o644))
            made += min(per_dir, rows - made)
    return time.perf_counter() - started


def timed(label: str, fn: Callable[[], Any], extra: dict[str, Any] | None = None) -> Any:
    """Call ``fn``, emit its time as a catalog step, and return its value."""
    started = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - started
    emit({"section": "catalog", "step": label, "seconds": round(seconds, 3), **(extra or {})})
    return value


class BenchEncoder:
    """Stands in for a model where only its identity and text vectors are needed."""

    def __new__(cls, dim: int, version: str) -> Any:
        from soundscout.encoders.base import Encoder

        class _Bench(Encoder):
            name, sample_rate = "bench", 16000

            def _embed_waveforms(self, waveforms: list[np.ndarray]) -> np.ndarray:
                raise NotImplementedError

            def _embed_texts(self, texts: list[str]) -> np.ndarray:
                seeds = [abs(hash(t)) % (2**32) for t in texts]
                rows = [np.random.default_rng(s).standard_normal(self.dim) for s in seeds]
                return np.asarray(rows, dtype=np.float32)

        encoder = _Bench()
        encoder.dim, encoder.version = dim, version
        return encoder


def fill_catalog(library: Path, tree: Path, version: str) -> None:
    """Catalogue the tree (scan + plan + apply), then mark every row done with metadata."""
    from soundscout.catalog.catalog import Catalog
    from soundscout.ingest.scan import plan_scan, scan_folder

    catalog = Catalog(library)
    entries = timed("first scan: scan_folder", lambda: scan_folder(tree, [".wav"]).entries)
    plan = timed("first scan: plan_scan", lambda: plan_scan(catalog.rows_under(str(tree)), entries))
    timed(
        "first scan: apply_scan (insert)",
        lambda: catalog.apply_scan(str(tree), plan.new, plan.changed, plan.moved, plan.deleted),
    )
    cases = " ".join(
        f"WHEN (id * 7919) % 100 < {int(100 * sum(p for _, p in FORMATS[: i + 1]))} THEN '{f}'"
        for i, (f, _) in enumerate(FORMATS)
    )
    with catalog.transaction() as conn:
        conn.execute(
            "UPDATE sounds SET status = 'done', encoder_version = ?, embedded_at = 1.0, "
            "duration = ((id * 2654435761) % 600000) / 1000.0, sample_rate = 44100, "
            f"channels = 2, format = CASE {cases} ELSE 'wav' END",
            (version,),
        )
        catalog._next_revision(conn)
    catalog.close()


def catalog_section(rows: int) -> None:
    """The ``catalog`` step: build the tree and catalog once, then time what reads it."""
    from soundscout.catalog.catalog import Catalog

    tree, library = WORK / "tree", WORK / "catalog-lib"
    if not (tree / "t0").exists():
        emit(
            {
                "section": "catalog",
                "step": "make tree of empty files",
                "seconds": round(make_tree(tree, rows), 1),
                "rows": rows,
            }
        )
    if not (library / "catalog.sqlite").exists():
        fill_catalog(library, tree, "bench-768")
    catalog = Catalog(library)
    _time_queries(catalog, tree)
    _time_rescan(catalog, tree, rows)
    catalog.close()


def _time_queries(catalog: Any, tree: Path) -> None:
    """Status queries and ``filter_ids`` for every filter, with the rows each selects."""
    timed("status: counts()", catalog.counts)
    timed("status: encoder_versions()", catalog.encoder_versions)
    timed("status: failures(10)", lambda: catalog.failures(10))
    for label, filters in catalog_filters(str(tree)).items():
        ids = timed(f"filter_ids: {label}", lambda f=filters: catalog.filter_ids(f))
        emit({"section": "catalog", "step": f"selected by {label}", "rows": len(ids)})


def _time_rescan(catalog: Any, tree: Path, rows: int) -> None:
    """A re-scan of the unchanged tree: step by step, then end to end with its peak memory."""
    from soundscout.config import IngestSettings
    from soundscout.ingest.runner import run_ingest
    from soundscout.ingest.scan import plan_scan, scan_folder

    known = timed("re-scan: rows_under", lambda: catalog.rows_under(str(tree)))
    found = timed("re-scan: scan_folder", lambda: scan_folder(tree, [".wav"]).entries)
    plan = timed("re-scan: plan_scan", lambda: plan_scan(known, found))  # noqa: F821
    assert plan.unchanged == rows, plan
    del known, found, plan
    settings = IngestSettings(extensions=[".wav"])
    reset_peak()
    before = rss_mb()
    report = timed(
        "re-scan: run_ingest (unchanged tree, end to end)",
        lambda: run_ingest(catalog, BenchEncoder(768, "bench-768"), tree, settings, progress=False),
    )
    emit(
        {
            "section": "catalog",
            "step": "re-scan: peak memory",
            "peak_mb": round(rss_mb("VmHWM") - before),
            "unchanged": report.unchanged,
            "ok": report.ok,
        }
    )


def catalog_filters(tree: str) -> dict[str, Any]:
    """The filters timed, labelled with the share of rows each selects."""
    from soundscout.search.query import Filters

    return {
        "duration <= 6 s (1 %)": Filters(max_duration=6.0),
        "duration <= 60 s (10 %)": Filters(max_duration=60.0),
        "duration <= 300 s (50 %)": Filters(max_duration=300.0),
        "format ogg (1 %)": Filters(formats=("ogg",)),
        "format mp3 (10 %)": Filters(formats=("mp3",)),
        "format wav (50 %)": Filters(formats=("wav",)),
        "folder t3/s05 (0.1 %)": Filters(folder="t3/s05"),
        "folder t3 (10 %)": Filters(folder="t3"),
        "folder absolute t3 (10 %)": Filters(folder=f"{tree}/t3"),
        "duration <= 60 s + format wav (5 %)": Filters(max_duration=60.0, formats=("wav",)),
    }

"""Catalog filter latency at 10^6 rows.

Usage: python benchmarks/bench_filters.py [--rows 1000000] [--repeat 5]

Inserts ``rows`` done sounds straight into a fresh catalog (two roots, 300 top folders
of 7 subfolders each, a spread of durations and formats), then times
``Catalog.filter_ids`` for each filter (median of ``repeat`` runs). Prints a Markdown
table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from soundscout.catalog.catalog import Catalog  # noqa: E402
from soundscout.search.query import Filters  # noqa: E402

FORMATS = ("wav", "flac", "ogg", "mp3")


def fill(catalog: Catalog, rows: int) -> None:
    """``rows`` done sounds under /lib0 and /lib1, e.g. /lib1/Pack7/sub3/file7.wav."""
    now = time.time()
    batch = [
        (
            f"/lib{i % 2}/Pack{i % 300}/sub{i % 7}/file{i}.{FORMATS[i % 4]}",
            f"/lib{i % 2}",
            1,
            1,
            (i % 1000) / 10,
            FORMATS[i % 4],
            "done",
            now,
            now,
        )
        for i in range(rows)
    ]
    with catalog.transaction() as conn:
        conn.executemany(
            "INSERT INTO sounds (path, root, size, mtime_ns, duration, format, status, "
            "added_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            batch,
        )


CASES = {
    "folder pack7 (0.33 %, both roots)": Filters(folder="pack7"),
    "folder /lib1/Pack7/sub3 (0.05 %)": Filters(folder="/lib1/Pack7/sub3"),
    "folder nowhere (0 %)": Filters(folder="nowhere"),
    "folder pack7 + duration <= 10 s": Filters(folder="pack7", max_duration=10.0),
    "duration <= 1 s (1 %)": Filters(max_duration=0.95),
    "format flac (25 %)": Filters(formats=("flac",)),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        catalog = Catalog(Path(tmp))
        fill(catalog, args.rows)
        print(f"{platform.node()} {platform.processor() or platform.machine()}, rows {args.rows}")
        print("\n| filter | ids | median ms |\n|---|---|---|")
        for name, filters in CASES.items():
            times, n = [], 0
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                n = len(catalog.filter_ids(filters))
                times.append((time.perf_counter() - t0) * 1000)
            print(f"| {name} | {n} | {statistics.median(times):.1f} |")
        catalog.close()


if __name__ == "__main__":
    main()

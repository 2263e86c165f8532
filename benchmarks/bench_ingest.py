"""Ingest throughput and search latency on a generated library.

Usage: python benchmarks/bench_ingest.py [--files 600] [--encoder tiny] [--workers 0 2]

Writes a library of one-shots (0.3-2 s, wav/flac/mp3/ogg) into a temp folder, indexes
it once per worker setting into a fresh library, then times text and audio queries.
Prints a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from soundscout.config import load_config  # noqa: E402
from soundscout.search.service import SearchService  # noqa: E402
from tests.audiogen import tone, write_audio  # noqa: E402

KINDS = ("sine", "square", "kick", "chirp", "noise")
FORMATS = ("wav", "flac", "mp3", "ogg")


def make_files(root: Path, n: int) -> float:
    """Write n one-shots; return their total duration in seconds."""
    rng = np.random.default_rng(0)
    total = 0.0
    for i in range(n):
        seconds = float(rng.uniform(0.3, 2.0))
        kind = KINDS[i % len(KINDS)]
        wave = tone(60 + 20 * (i % 50), seconds, 44100, kind=kind, seed=i)
        write_audio(root / kind / f"{kind}_{i:05d}.{FORMATS[i % 4]}", wave, 44100)
        total += seconds
    return total


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=600)
    parser.add_argument("--encoder", default="tiny")
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    audio_seconds = make_files(work / "sounds", args.files)
    print(
        f"machine: {platform.processor() or platform.machine()}, "
        f"python {platform.python_version()}; {args.files} files, {audio_seconds:.0f} s audio"
    )
    print("| encoder | workers | files | seconds | files/s | audio s/s |")
    print("|---|---|---|---|---|---|")
    service = None
    for workers in args.workers:
        settings = load_config(
            environ={},
            overrides={
                "library.path": str(work / f"lib-{workers}"),
                "encoder.name": args.encoder,
                "ingest.workers": workers,
            },
        ).settings
        service = SearchService(settings)
        _ = service.encoder  # load the model outside the timing
        start = time.perf_counter()
        report = service.index_folder(work / "sounds", progress=False)
        elapsed = time.perf_counter() - start
        print(
            f"| {args.encoder} | {workers} | {report.ok} | {elapsed:.2f} | "
            f"{report.ok / elapsed:.1f} | {audio_seconds / elapsed:.0f} |"
        )
    assert service is not None
    words = ["deep", "bass", "kick", "bright", "noise", "warm", "pad", "click", "sweep", "tone"]
    rng = np.random.default_rng(1)
    text_ms, cached_ms, audio_ms = [], [], []
    for i in range(args.queries):
        query = " ".join(rng.choice(words, 3)) + f" {i}"
        t = time.perf_counter()
        service.search(text=query, k=20)
        text_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        service.search(text=query, k=20)
        cached_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        service.search(sound_id=int(rng.integers(1, args.files)), k=20)
        audio_ms.append((time.perf_counter() - t) * 1000)
    print()
    print("| query | p50 ms | p99 ms |")
    print("|---|---|---|")
    for name, samples in (
        ("text (new)", text_ms),
        ("text (cached)", cached_ms),
        ("audio by id", audio_ms),
    ):
        p50, p99 = percentiles(samples)
        print(f"| {name} | {p50:.2f} | {p99:.2f} |")


if __name__ == "__main__":
    main()

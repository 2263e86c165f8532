"""Occurrence prints: what printing costs at indexing, and matching at search time.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_occurrence.py [--repeat 5]

Printing: a waveform of 1 and 10 minutes at 16 kHz (the builtin encoder's rate) and 48 kHz
(clap's), whole and streamed in 10-minute pieces, against the builtin encoder's embedding of
the same 10 minutes (the work that indexing a long file does anyway). Matching: one query
print (0.5, 2 and 10 s of sound) against recordings' prints of 1, 10 and 60 minutes (what
``moments`` does for each long result of a sound query), read back from bytes as the
catalog stores them. One thread; medians of ``--repeat`` runs; synthetic audio (coloured
noise and tones: the cost does not depend on the content).
"""

from __future__ import annotations

import argparse
import json
import os
import platform

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

# ``scale`` is the package next to this script (its folder is sys.path[0] when run as a file).
from scale.common import median_seconds  # noqa: E402

from soundscout.moments.occurrence import (  # noqa: E402
    PrintBuilder,
    find_occurrences,
    from_bytes,
    occurrence_print,
    to_bytes,
)


def timed(fn, repeats: int) -> float:
    """Median seconds of ``fn()`` over ``repeats`` runs, after one untimed run."""
    return median_seconds(fn, repeats, warm_up=True)


def audio(seconds: float, rate: int, seed: int = 0) -> np.ndarray:
    """Coloured noise with a few tones, at ``rate``."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n, dtype=np.float32) / rate
    x = np.cumsum(rng.normal(0, 1, n)).astype(np.float32)
    x -= np.convolve(x, np.ones(64, np.float32) / 64, mode="same")
    x += 20 * np.sin(2 * np.pi * 440 * t) * (np.sin(2 * np.pi * 0.1 * t) > 0)
    return (0.1 * x / np.abs(x).max()).astype(np.float32)


def streamed(x: np.ndarray, rate: int, piece_seconds: float = 600.0) -> np.ndarray:
    builder = PrintBuilder(rate)
    step = int(piece_seconds * rate)
    for start in range(0, len(x), step):
        builder.add(x[start : start + step])
    return builder.finish()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", default=None, help="also write the results as JSON")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    results: dict = {
        "machine": platform.processor() or platform.machine(),
        "print": [],
        "match": [],
    }
    print("Printing (seconds of work per minute of audio)")
    for rate in (16000, 48000):
        x = audio(600, rate)
        whole = timed(lambda x=x, rate=rate: occurrence_print(x, rate), args.repeat) / 10
        pieces = timed(lambda x=x, rate=rate: streamed(x, rate), args.repeat) / 10
        size = len(to_bytes(occurrence_print(x, rate))) / 10
        row = {
            "rate": rate,
            "whole_s_per_min": whole,
            "streamed_s_per_min": pieces,
            "bytes_per_min": size,
        }
        results["print"].append(row)
        print(
            f"  {rate} Hz: whole {whole * 1000:.1f} ms/min, streamed {pieces * 1000:.1f} ms/min,"
            f" {size / 1000:.1f} kB/min"
        )
    from soundscout.encoders.registry import create_encoder

    encoder = create_encoder("builtin")
    ten = audio(600, encoder.sample_rate)
    embed = timed(lambda: encoder.embed_with_windows(ten), max(1, args.repeat // 2)) / 10
    results["builtin_embed_s_per_min"] = embed
    print(
        f"  builtin embedding of the same audio: {embed * 1000:.0f} ms/min "
        f"(printing is {results['print'][0]['whole_s_per_min'] / embed:.1%} of it)"
    )
    print("Matching one query against one recording's stored print (ms)")
    print("  query s | 1 min | 10 min | 60 min")
    recordings = {
        m: to_bytes(occurrence_print(audio(60 * m, 16000, seed=m), 16000)) for m in (1, 10, 60)
    }
    for q_seconds in (0.5, 2.0, 10.0):
        query = occurrence_print(audio(q_seconds, 16000, seed=99), 16000)
        cells = []
        for minutes, data in recordings.items():
            took = timed(
                lambda data=data, query=query: find_occurrences(query, from_bytes(data)),
                args.repeat,
            )
            results["match"].append({"query_s": q_seconds, "minutes": minutes, "ms": took * 1000})
            cells.append(f"{took * 1000:.1f}")
        print(f"  {q_seconds:>7} | " + " | ".join(cells))
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()

"""What keeping native decoders' stderr per file costs the decode stage.

Usage (numbers in BENCHMARKS.md, "Decoder messages kept per file"):

    PYTHONPATH=. .venv/bin/python benchmarks/bench_decoder_stderr.py --files 300 --rounds 5

Writes ``--files`` short sounds (0.3-2 s at 44.1 kHz: WAV, FLAC, MP3, a tenth of the MP3s
damaged so that libmpg123 prints), then times the decode stage over all of them in this
process, with the capture (``decode_stage``: fd 2 routed to a per-process temporary file,
read back after each file) and without it (the same stage body), alternating the order
over ``--rounds``. Reports the median per-file time of each and their ratio, and the cost
of one capture around nothing (what the capture itself adds per file, free of decode noise).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from soundscout.ingest import stages
from soundscout.ingest.native_stderr import captured_stderr
from tests.audiogen import tone, write_audio, write_damaged_mp3

RATE = 16000


def _files(folder: Path, n: int) -> list[str]:
    out = []
    for i in range(n):
        seconds = 0.3 + (i % 18) / 10
        ext = ("wav", "flac", "mp3")[i % 3]
        path = folder / f"s{i:04d}.{ext}"
        if ext == "mp3" and i % 30 == 2:
            write_damaged_mp3(path, "garbled", seconds=max(seconds, 1.0))
        else:
            write_audio(path, tone(100 + 7 * i, seconds, 44100), 44100)
        out.append(str(path))
    return out


def _time(decode, paths: list[str]) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    for i, path in enumerate(paths):
        decode(i, path, RATE, None)
    return (time.perf_counter() - started) / len(paths)


def _empty_capture(n: int = 5000) -> float:
    started = time.perf_counter()
    for _ in range(n):
        with captured_stderr():
            pass
    return (time.perf_counter() - started) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        paths = _files(Path(tmp), args.files)
        ways = {"captured": stages.decode_stage, "not captured": stages._decode}
        times: dict[str, list[float]] = {name: [] for name in ways}
        saved = os.dup(2)
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), 2)  # the uncaptured run's notes
            _time(stages.decode_stage, paths)  # warm the page cache and the imports
            for r in range(args.rounds):
                order = list(ways) if r % 2 == 0 else list(reversed(ways))
                for name in order:
                    times[name].append(_time(ways[name], paths))
        finally:
            os.dup2(saved, 2)
    print(f"# {platform.node()} {platform.machine()} python {sys.version.split()[0]}")
    print(f"# {args.files} files, {args.rounds} rounds, load {os.getloadavg()[0]:.1f}")
    medians = {name: statistics.median(t) for name, t in times.items()}
    for name, t in times.items():
        print(f"# {name}: " + " ".join(f"{v * 1e3:.3f}" for v in t))
    for name, value in medians.items():
        print(f"{name:>13}: {value * 1e3:.3f} ms per file")
    print(f"ratio captured / not captured: {medians['captured'] / medians['not captured']:.3f}")
    empty = statistics.median(_empty_capture() for _ in range(5))
    print(f"one capture around nothing: {empty * 1e6:.1f} us")


if __name__ == "__main__":
    main()

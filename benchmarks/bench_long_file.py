"""Indexing one long recording: time and peak memory, streamed in pieces or decoded whole.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_long_file.py [--minutes 60] [--rate 44100]

Writes a stereo 16-bit WAV of ``--minutes`` (quiet noise with a tone burst every 30 s) and
indexes it with the builtin model twice, each time in a fresh child process: with the
default ``ingest.stream_seconds`` (600: decoded and embedded in 10-minute pieces) and with
``stream_seconds`` above its length (decoded whole, the way every file was before moments).
Reports wall time, the peak RSS (``ru_maxrss``) of the indexing process and the segments
kept. (The decode worker, started by a forkserver, is not counted: decoding whole, it also
holds the file's samples, ~1.3 GB for an hour of 44.1 kHz stereo as float32; streaming, it
only reads the header.)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf


def write_recording(path: Path, minutes: float, rate: int) -> None:
    """Quiet noise with a 1 s tone burst every 30 s, written in one-minute blocks."""
    rng = np.random.default_rng(0)
    with sf.SoundFile(path, "w", samplerate=rate, channels=2, subtype="PCM_16") as out:
        for _minute in range(int(np.ceil(minutes))):
            block = (0.02 * rng.standard_normal((60 * rate, 2))).astype(np.float32)
            t = np.arange(rate) / rate
            for at in (0, 30):
                block[at * rate : (at + 1) * rate] += 0.3 * np.sin(2 * np.pi * 880 * t)[:, None]
            out.write(block)


def child(folder: str, library: str, stream_seconds: float) -> None:
    """Index ``folder`` into ``library`` and print the measurements as JSON."""
    from soundscout.config import load_config
    from soundscout.search.service import SearchService

    overrides = {
        "library.path": library,
        "encoder.name": "builtin",
        "encoder.device": "cpu",
        "ingest.workers": 1,
        "ingest.stream_seconds": stream_seconds,
    }
    service = SearchService(load_config(overrides=overrides, environ={}).settings)
    started = time.perf_counter()
    report = service.index_folder(Path(folder), progress=False)
    seconds = time.perf_counter() - started
    moments = service.stats()["moments"]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "ok": report.ok,
                "seconds": round(seconds, 1),
                "peak_rss_mb": round(peak_mb),
                "segments": moments["segments"],
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--rate", type=int, default=44100)
    parser.add_argument("--child", nargs=3, metavar=("FOLDER", "LIBRARY", "STREAM_SECONDS"))
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], float(args.child[2]))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "sounds"
        folder.mkdir()
        write_recording(folder / "long.wav", args.minutes, args.rate)
        rows = {}
        for name, stream in (("streamed", 600.0), ("whole", args.minutes * 60 + 60)):
            library = Path(tmp) / f"lib-{name}"
            done = subprocess.run(
                [sys.executable, __file__, "--child", str(folder), str(library), str(stream)],
                capture_output=True,
                text=True,
                check=True,
            )
            rows[name] = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        json.dumps(
            {
                "machine": f"{platform.node()} ({os.cpu_count()} cores)",
                "load": round(os.getloadavg()[0], 1),
                "minutes": args.minutes,
                "rate": args.rate,
                **rows,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()

"""Cold start: a one-off CLI search, and the first search after `serve` says it is ready.

Usage (numbers in BENCHMARKS.md, "Cold start"):

    .venv/bin/python benchmarks/bench_cold_start.py LIBRARY --audio REF.wav \
        [--src OTHER_CHECKOUT/src ...] [--repeat 5]

Each command runs in a fresh interpreter (`python -m soundscout.cli.main -L LIBRARY ...`),
as a user's shell would start it; the wall time from process start to exit is timed. Every
``--src`` is another checkout's ``src`` folder put first on ``PYTHONPATH`` (e.g. the code
before a change, from `git worktree add`), so old and new run on the same machine in the
same run, alternating, and are compared as ratios; each version gets its own copy of the
library (a newer version may upgrade the catalog's schema, which an older one refuses), and
``--reindex FOLDER`` indexes FOLDER into each copy with that version first (a version with
another builtin model then searches its own vectors).
The server part starts `serve` on a free loopback port, polls ``/api/health`` every 10 ms,
and times: health answering, health saying ``ready`` (a server without that field counts
as ready when health answers), and the first and second searches sent right after.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

COMMANDS = {
    "text (words + sound)": ["search", "heavy door slam", "-k", "10"],
    "text, words only": ["search", "heavy door slam", "--match", "words", "-k", "10"],
    "text in Spanish (words + sound)": ["search", "portazo de puerta de madera", "-k", "10"],
    "text, a filter that keeps nothing": ["search", "door slam", "--format", "exe"],
    "audio file (not catalogued)": ["search", "--audio", "{audio}", "-k", "10"],
}


def _env(src: str | None) -> dict[str, str]:
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = src
    return env


def cli_wall(src: str | None, library: str, args: list[str]) -> float:
    """Seconds from starting a fresh CLI process to its exit."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "soundscout.cli.main", "-L", library, *args],
        env=_env(src),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
    )
    return time.perf_counter() - started


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=120) as response:
        return json.loads(response.read())


def serve_times(src: str | None, library: str) -> dict[str, float]:
    """Seconds to health, to ready, and the first two searches after ready (ms)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}/api"
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "soundscout.cli.main", "-L", library, "serve", "--port", str(port)],
        env=_env(src),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        health = ready = None
        while ready is None:
            try:
                body = _get(f"{base}/health")
            except OSError:
                time.sleep(0.01)
                continue
            now = time.perf_counter() - started
            health = health or now
            if body.get("ready", True):
                ready = now
            else:
                time.sleep(0.01)
        searches = []
        for query in ("wooden door creak", "metal impact"):
            sent = time.perf_counter()
            _get(f"{base}/search?q={query.replace(' ', '+')}&k=10")
            searches.append((time.perf_counter() - sent) * 1000)
        return {
            "health_s": health,
            "ready_s": ready,
            "first_ms": searches[0],
            "second_ms": searches[1],
        }
    finally:
        server.terminate()
        server.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("library")
    parser.add_argument("--audio", required=True, help="a sound file outside the library")
    parser.add_argument("--src", action="append", default=[], help="another checkout's src")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--reindex",
        metavar="FOLDER",
        help="index FOLDER into each version's copy first (versions with other models: each "
        "copy then holds its own model's vectors)",
    )
    args = parser.parse_args()
    versions = [None, *args.src]
    names = ["this checkout", *args.src]
    work = Path(tempfile.mkdtemp(prefix="cold-start-"))
    libraries = {}
    for i, name in enumerate(names):
        libraries[name] = str(shutil.copytree(args.library, work / f"library-{i}"))
        if args.reindex:
            cli_wall(versions[i], libraries[name], ["index", args.reindex, "--no-progress"])
    print(f"# {platform.node()} · {os.cpu_count()} CPUs · Python {platform.python_version()}")
    print(f"# library {args.library}; median (min) of {args.repeat} runs, alternating versions")
    for label, template in COMMANDS.items():
        command = [a.replace("{audio}", args.audio) for a in template]
        walls: dict[str, list[float]] = {n: [] for n in names}
        for _ in range(args.repeat):
            for name, src in zip(names, versions, strict=True):
                walls[name].append(cli_wall(src, libraries[name], command))
        cells = [
            f"{name}: {statistics.median(w):.2f} s ({min(w):.2f})" for name, w in walls.items()
        ]
        print(f"CLI {label:<36} " + " | ".join(cells))
    for name, src in zip(names, versions, strict=True):
        runs = [serve_times(src, libraries[name]) for _ in range(max(1, args.repeat // 2))]
        keys = runs[0].keys()
        med = {k: statistics.median(r[k] for r in runs) for k in keys}
        print(
            f"serve [{name}]: health {med['health_s']:.2f} s, ready {med['ready_s']:.2f} s, "
            f"first search {med['first_ms']:.0f} ms, second {med['second_ms']:.0f} ms"
        )
    shutil.rmtree(work)


if __name__ == "__main__":
    main()

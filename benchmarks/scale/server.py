"""The server: start-up to first answer, HTTP latency and RSS of the real app at 10^6 vectors."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .ann import install_built, load_built
from .catalog import BenchEncoder
from .common import SCRIPT, WORK, emit


def install_index(library: Path, kind: str, dist: str, dim: int, rows: int) -> None:
    """Put the ``ann`` step's index for ``rows`` vectors into the library, matching its catalog."""
    from soundscout.catalog.catalog import Catalog

    catalog = Catalog(library)
    with catalog.transaction() as conn:
        conn.execute("UPDATE sounds SET encoder_version = ?", (f"bench-{dim}",))
        catalog._next_revision(conn)
    index = load_built(kind, dist, dim, rows)
    assert index.count == catalog.counts()["done"] == rows
    install_built(library, catalog, index, "bench", f"bench-{dim}", dim)
    catalog.close()


def serve_probe(library: str, port: int, dim: int) -> None:
    """Child process: the real app over the library, with a stand-in text encoder."""
    import uvicorn

    from soundscout.api.app import create_app
    from soundscout.config import load_config
    from soundscout.search.service import SearchService

    settings = load_config(overrides={"library.path": library}, environ={}).settings
    encoder = BenchEncoder(dim, f"bench-{dim}")
    weights = os.environ.get("BENCH_CLAMP3_WEIGHTS")
    if weights:  # the real clamp3 model in memory (any weights: only its size matters here)
        from soundscout.encoders.registry import create_encoder

        encoder = create_encoder("clamp3", weights=weights, device="cpu")
        encoder.name, encoder.version = "bench", f"bench-{dim}"  # the synthetic catalog
    service = SearchService(settings, encoder=encoder)
    uvicorn.run(create_app(settings, service), host="127.0.0.1", port=port, log_level="warning")


def proc_status(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of process ``pid`` in MB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def server_section(rows: int, dim: int, kind: str) -> None:
    """The ``server`` step: start the app in a child, time its first and later answers."""
    import httpx

    library, port = WORK / "catalog-lib", 8765
    install_index(library, kind, "clustered", dim, rows)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(SCRIPT), "serve-probe", str(library), str(port), str(dim)]
    )
    url = f"http://127.0.0.1:{port}/api/search"
    try:
        with httpx.Client(timeout=60) as client:
            first = _first_answer(client, url, proc, started)
            times, filtered = _http_times(client, url)
        emit(
            {
                "section": "server",
                "model": "clamp3" if os.environ.get("BENCH_CLAMP3_WEIGHTS") else "none",
                "kind": kind,
                "dim": dim,
                "n": rows,
                "first_answer_s": round(first, 2),
                "http_p50_ms": round(times[100], 2),
                "http_p99_ms": round(times[197], 2),
                "http_filtered_p50_ms": round(filtered[25], 2),
                **{k: round(v) for k, v in proc_status(proc.pid).items()},
            }
        )
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def _http_times(client: Any, url: str) -> tuple[list[float], list[float]]:
    """Sorted ms of 200 plain searches and of 50 filtered ones."""
    times = []
    for i in range(200):
        t = time.perf_counter()
        client.get(url, params={"q": f"probe {i}", "k": 10}).raise_for_status()
        times.append((time.perf_counter() - t) * 1000)
    filtered = []
    for i in range(50):
        t = time.perf_counter()
        client.get(url, params={"q": f"f {i}", "k": 10, "format": "mp3"}).raise_for_status()
        filtered.append((time.perf_counter() - t) * 1000)
    return sorted(times), sorted(filtered)


def _first_answer(client: Any, url: str, proc: subprocess.Popen, started: float) -> float:
    import httpx

    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the server exited")
        try:
            response = client.get(url, params={"q": "first"})
            if response.status_code == 200:
                return time.perf_counter() - started
            if response.status_code != 503:
                raise RuntimeError(f"the server answered {response.status_code}: {response.text}")
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError("no answer within 600 s")

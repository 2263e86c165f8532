"""A bounded burst of parallel searches on loopback completes with no errors."""

from __future__ import annotations

import json
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.api.live import Library, LiveServer

CLIENTS, REQUESTS_EACH = 50, 20
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _client_run(url: str, queries: list[dict[str, object]]) -> list[tuple[int, float]]:
    out = []
    with httpx.Client(base_url=url, timeout=60) as http:
        for params in queries:
            started = time.perf_counter()
            response = http.get("/api/search", params=params)
            out.append((response.status_code, time.perf_counter() - started))
    return out


@pytest.mark.slow
def test_parallel_search_burst(server: LiveServer, library: Library) -> None:
    ids = [i for name, i in library.ids.items() if not name.startswith("broken/")]
    plans = [
        [
            {"q": f"sound {c} {r}", "k": 10} if r % 2 else {"sound_id": ids[(c + r) % len(ids)]}
            for r in range(REQUESTS_EACH)
        ]
        for c in range(CLIENTS)
    ]
    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        results = [
            r for batch in pool.map(lambda p: _client_run(server.url, p), plans) for r in batch
        ]
    wall = time.perf_counter() - started
    statuses = [s for s, _ in results]
    latencies = sorted(t * 1000 for _, t in results)
    figures = {
        "requests": len(results),
        "errors": sum(s != 200 for s in statuses),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(latencies[int(0.99 * len(latencies)) - 1], 1),
        "requests_per_s": round(len(results) / wall, 1),
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "api-load.json").write_text(json.dumps(figures, indent=2))
    print(figures)
    assert figures["requests"] == CLIENTS * REQUESTS_EACH
    assert figures["errors"] == 0, sorted(set(statuses))

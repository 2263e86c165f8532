"""A text query end to end on the builtin model's text tower."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .ann import install_built, load_built
from .common import WORK, emit, ensure_data


def text_library(rows: int, kind: str, encoder: Any) -> Path:
    """A library of ``rows`` catalogued sounds (no files) with an index of ``encoder``'s
    width, as if ``encoder`` had embedded them."""
    from soundscout.catalog.catalog import Catalog, FileEntry
    from soundscout.search.service import INDEX_DIRNAME

    tag = re.sub(r"[^A-Za-z0-9.-]+", "_", encoder.version)  # new weights, new library
    library = WORK / f"text-lib-{rows}-{kind}-{tag}"
    if (library / INDEX_DIRNAME / "CURRENT").exists():
        return library
    catalog = Catalog(library)
    entries = [FileEntry(f"/lib/t{i % 10}/s{i:07d}.wav", 1, 1) for i in range(rows)]
    catalog.apply_scan("/lib", entries, [], [], [])
    with catalog.transaction() as conn:
        conn.execute(
            "UPDATE sounds SET status = 'done', encoder_version = ?, "
            "duration = (id % 600), format = 'wav', sample_rate = 44100, channels = 1",
            (encoder.version,),
        )
        catalog._next_revision(conn)
    ensure_data("clustered", encoder.dim, [rows])  # vectors of the encoder's width
    index = load_built(kind, "clustered", encoder.dim, rows)
    install_built(library, catalog, index, encoder.name, encoder.version, encoder.dim)
    catalog.close()
    return library


def text_section(rows: int, kind: str) -> None:
    """The ``text`` step: the builtin encoder's text encoding (its text tower, letter case
    folded as its weights say) and search latency, default and one torch thread."""
    import torch

    from soundscout.config import load_config
    from soundscout.encoders import create_encoder
    from soundscout.search.service import SearchService

    encoder = create_encoder("builtin")
    library = text_library(rows, kind, encoder)
    settings = load_config(overrides={"library.path": str(library)}, environ={}).settings
    service = SearchService(settings, encoder=encoder)
    service.search(text="warm up")
    words = ["kick", "snare", "rain", "door", "creak", "synth", "pad", "dog", "glass", "wind"]
    default_threads = torch.get_num_threads()
    for threads in (default_threads, 1):
        torch.set_num_threads(threads)
        texts = [f"{words[i % 10]} {words[(i // 10) % 10]} take {i} t{threads}" for i in range(200)]
        enc = sorted(_ms(lambda t=t: encoder.encode_text(t + " x")) for t in texts)
        e2e = sorted(_ms(lambda t=t: service.search(text=t, k=10)) for t in texts)
        emit(
            {
                "section": "text",
                "n": rows,
                "kind": kind,
                "torch_threads": threads,
                "encode_p50_ms": round(enc[100], 2),
                "e2e_p50_ms": round(e2e[100], 2),
                "e2e_p99_ms": round(e2e[197], 2),
            }
        )
    service.close()


def _ms(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000

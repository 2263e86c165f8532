"""The Ray engine against the local engine on this machine: same files, same encoder.

Usage: python benchmarks/bench_ray.py [--files 240] [--seconds 4] [--encoders tiny clamp3-tiny]

Encoders: ``tiny`` (the test encoder: almost free, so Ray's own overhead shows),
``clamp3-tiny`` (CLaMP 3 code path, toy-size random weights) and ``clamp3-random``
(CLaMP 3 at full size with random weights: the real model's cost, no download; it writes
about 2 GB of weights and holds the model twice, in this process and in the Ray actor).
Each engine indexes the folder into a fresh library: ``local`` with ``--workers 0`` (a
plain loop), ``local`` with one decoding process per core (the default), ``ray`` started by
the run (what ``--engine ray`` costs on a laptop) and ``ray`` on an already started
instance (the pipeline alone). Prints a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from soundscout.ingest.ray_engine import LOCAL_RAY_ENV, EncoderSpec, RayOptions  # noqa: E402
from soundscout.ingest.runner import run_ingest  # noqa: E402
from soundscout.search.service import SearchService  # noqa: E402
from tests.audiogen import tone, write_audio  # noqa: E402
from tests.conftest import make_settings  # noqa: E402

KINDS = ("sine", "square", "chirp", "kick", "noise")


def make_files(root: Path, n: int, seconds: float) -> float:
    """``n`` mono 22.05 kHz wav files of ``seconds`` each; return the audio seconds."""
    for i in range(n):
        wave = tone(60 + 17 * i, seconds, 22050, kind=KINDS[i % len(KINDS)], seed=i)
        write_audio(root / f"d{i % 8}" / f"s{i:05d}.wav", wave, 22050)
    return n * seconds


def encoder_spec(name: str, work: Path) -> EncoderSpec:
    """The spec for a benchmark encoder, writing random weights where it needs them."""
    if name == "tiny":
        return EncoderSpec("tiny", device="cpu")
    from tests.encoders.conftest import (
        _clamp3_checkpoint,
        _mert_state,
        build_tokenizer,
        write_tiny_weights,
    )

    if name == "clamp3-tiny":
        root = write_tiny_weights(work / "clamp3-tiny")
        return EncoderSpec("clamp3", str(root), "cpu", {"architecture": "clamp3-tiny"})
    import torch

    from soundscout.encoders.weights import load_spec

    root, arch = work / "clamp3-random", load_spec("clamp3").architecture
    files = {f.role: root / f.relpath for f in load_spec("clamp3").files}
    for path in files.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(_mert_state(arch, 0), files["mert_weights"])
    mert_config = {**arch["mert"], "model_type": "mert_model", "architectures": ["MERTModel"]}
    mert_config.update(feature_extractor_cqt=False, deepnorm=False, attention_relax=-1.0)
    files["mert_config"].write_text(json.dumps(mert_config))
    torch.save(_clamp3_checkpoint(arch, 1), files["clamp3_weights"])
    build_tokenizer().save(str(files["tokenizer"]))
    files["text_config"].write_text(json.dumps({**arch["text"], "model_type": "xlm-roberta"}))
    return EncoderSpec("clamp3", str(root), "cpu")


def run(
    engine: str, workers: int | None, spec: EncoderSpec, encoder: Any, folder: Path, library: Path
) -> tuple[float, int]:
    """Index ``folder`` into a fresh ``library``; return (seconds, files embedded)."""
    settings = make_settings(library, **{"ingest.workers": workers})
    service = SearchService(settings, encoder=encoder)
    try:
        started = time.perf_counter()
        report = run_ingest(
            service.catalog,
            encoder,
            folder,
            settings.ingest,
            batch_size=16,
            progress=False,
            engine=engine,
            ray=RayOptions(encoder=spec),
        )
        return time.perf_counter() - started, report.ok
    finally:
        service.close()


def bench_encoder(name: str, folder: Path, work: Path) -> list[tuple[str, float, int]]:
    import ray

    spec = encoder_spec(name, work)
    encoder = spec.create()
    rows = []
    for label, engine, workers in (
        ("local, --workers 0 (plain loop)", "local", 0),
        (f"local, --workers {os.cpu_count()} (default)", "local", None),
        ("ray, local instance started by the run", "ray", None),
    ):
        seconds, ok = run(engine, workers, spec, encoder, folder, work / f"lib-{name}-{label}")
        rows.append((label, seconds, ok))
        print(name, label, round(seconds, 2), ok, flush=True)
    for key, value in LOCAL_RAY_ENV.items():
        os.environ.setdefault(key, value)
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, logging_level="WARNING")
    try:
        seconds, ok = run("ray", None, spec, encoder, folder, work / f"lib-{name}-warm")
        rows.append(("ray, instance already running (pipeline only)", seconds, ok))
        print(name, "ray warm", round(seconds, 2), ok, flush=True)
    finally:
        ray.shutdown()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=240)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--encoders", nargs="+", default=["tiny", "clamp3-tiny"])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-ray-"))
    audio = make_files(work / "sounds", args.files, args.seconds)
    lines = []
    for name in args.encoders:
        rows = bench_encoder(name, work / "sounds", work)
        base = rows[0][1]
        for label, seconds, ok in rows:
            assert ok == args.files, (name, label, ok)
            lines.append(
                f"| {name} | {label} | {seconds:.1f} | {ok / seconds:.1f} | "
                f"{audio / seconds:.1f} | {seconds / base:.2f}x |"
            )
    print(
        f"\nmachine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}; {args.files} files x {args.seconds} s"
    )
    print("| encoder | engine | seconds | files/s | audio s per s | time vs plain loop |")
    print("|---|---|---|---|---|---|")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

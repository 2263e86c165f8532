"""Encoding throughput of the builtin model, end to end (decode included).

Writes N one-shot files (0.1-2 s; WAV and OGG, 22.05/44.1/48 kHz, drums, tones,
noise bursts) to a temporary folder, then times ``encode_audio(paths)`` — decoding,
resampling to 16 kHz, log-mel, CNN and pooling — and prints files/s as JSON.

    python benchmarks/bench_builtin.py --files 400 --threads 1
    PYTHONPATH=. python benchmarks/bench_builtin.py --weights shipped \
        --weights /work/builtin-data/runs/exp1 --rounds 2   # an experiment beside it
"""

from __future__ import annotations

import argparse
import atexit
import json
import platform
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf


def make_one_shots(folder: Path, n: int, seed: int = 0) -> list[Path]:
    """``n`` short sounds in mixed formats and rates."""
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(n):
        sr = int(rng.choice([22050, 44100, 48000]))
        seconds = float(rng.uniform(0.1, 2.0))
        t = np.arange(int(sr * seconds)) / sr
        kind = i % 3
        if kind == 0:  # kick-like
            wave = np.sin(2 * np.pi * (50 + 150 * np.exp(-t * 30)) * t) * np.exp(-t * 8)
        elif kind == 1:  # tone
            wave = np.sin(2 * np.pi * rng.uniform(200, 2000) * t) * np.exp(-t * 2)
        else:  # noise burst
            wave = rng.standard_normal(t.size) * np.exp(-t * 10)
        stereo = np.stack([wave, wave * 0.9], axis=1).astype(np.float32) * 0.5
        ext = ".ogg" if i % 4 == 0 else ".wav"
        path = folder / f"shot_{i:04d}{ext}"
        sf.write(path, stereo, sr)
        paths.append(path)
    return paths


def load_encoder(weights: str | None, threads: int):
    """The builtin encoder with the shipped weights (``None``), a ``model.safetensors`` (or
    its folder), or a training run's ``latest.pt`` (or its folder) converted the way
    ``training/export.py`` does."""
    from soundscout.encoders import create_encoder

    path = Path(weights) if weights is not None else None
    if path is not None and path.is_dir() and (path / "latest.pt").exists():
        path = path / "latest.pt"
    if path is not None and path.suffix == ".pt":
        import torch

        from training.export import save_weights

        folder = tempfile.mkdtemp()
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        converted = Path(folder) / "model.safetensors"
        save_weights(torch.load(path, weights_only=False), converted, f"run:{path.parent.name}")
        path = converted
    return create_encoder("builtin", device="cpu", weights=path, threads=threads)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=400)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument(
        "--weights",
        action="append",
        help="other audio-tower weights to time (a model.safetensors, or a training run's "
        "latest.pt or folder; needs PYTHONPATH=.); repeat it to compare, 'shipped' names "
        "the shipped weights",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="timed passes per encoder, interleaved"
    )
    args = parser.parse_args()

    names = args.weights or ["shipped"]
    encoders = {}
    t0 = time.perf_counter()
    for name in names:
        encoders[name] = load_encoder(None if name == "shipped" else name, args.threads)
    load_s = (time.perf_counter() - t0) / len(names)
    runs: dict[str, dict] = {name: {"files_per_second": []} for name in names}
    with tempfile.TemporaryDirectory() as tmp:
        paths = [str(p) for p in make_one_shots(Path(tmp), args.files)]
        for encoder in encoders.values():
            encoder.encode_audio(paths[:16])  # warm-up
        for _ in range(args.rounds):
            for name, encoder in encoders.items():
                t1 = time.perf_counter()
                encoder.encode_audio(paths, batch_size=args.batch_size)
                seconds = time.perf_counter() - t1
                runs[name]["files_per_second"].append(round(len(paths) / seconds, 1))
        for name, encoder in encoders.items():
            t1 = time.perf_counter()
            for _ in range(20):
                encoder.encode_audio(paths[1])
            runs[name]["single_file_ms"] = round((time.perf_counter() - t1) / 20 * 1000, 2)
            runs[name].update(dim=encoder.dim, encoder_version=encoder.version)
    common = {
        "files": len(paths),
        "model_load_seconds": round(load_s, 2),
        "threads": args.threads,
        "batch_size": args.batch_size,
        "cpu": platform.processor() or platform.machine(),
    }
    if len(runs) == 1:
        (only,) = runs.values()
        fps = only.pop("files_per_second")
        result = {"files_per_second": fps[0] if len(fps) == 1 else fps, **only, **common}
    else:
        result = {**common, "encoders": runs}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

"""Encoding throughput of the builtin model, end to end (decode included).

Writes N one-shot files (0.1-2 s; WAV and OGG, 22.05/44.1/48 kHz, drums, tones,
noise bursts) to a temporary folder, then times ``encode_audio(paths)`` — decoding,
resampling to 16 kHz, log-mel, CNN and pooling — and prints files/s as JSON.

    python benchmarks/bench_builtin.py --files 400 --threads 1
"""

from __future__ import annotations

import argparse
import json
import platform
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=400)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    from soundscout.encoders import create_encoder

    t0 = time.perf_counter()
    encoder = create_encoder("builtin", device="cpu", threads=args.threads)
    load_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        paths = make_one_shots(Path(tmp), args.files)
        encoder.encode_audio([str(p) for p in paths[:16]])  # warm-up
        t0 = time.perf_counter()
        vectors = encoder.encode_audio([str(p) for p in paths], batch_size=args.batch_size)
        elapsed = time.perf_counter() - t0
        one = str(paths[1])
        t1 = time.perf_counter()
        for _ in range(20):
            encoder.encode_audio(one)
        single_ms = (time.perf_counter() - t1) / 20 * 1000
    result = {
        "files": len(paths),
        "seconds": round(elapsed, 3),
        "files_per_second": round(len(paths) / elapsed, 1),
        "single_file_ms": round(single_ms, 2),
        "model_load_seconds": round(load_s, 2),
        "threads": args.threads,
        "batch_size": args.batch_size,
        "dim": int(vectors.shape[1]),
        "cpu": platform.processor() or platform.machine(),
        "encoder_version": encoder.version,
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

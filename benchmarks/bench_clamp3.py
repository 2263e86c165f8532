"""clamp3 encoder cost: seconds of compute per second of audio, model-only vs end-to-end.

Usage: python benchmarks/bench_clamp3.py [--weights DIR] [--device cpu] [--threads N]

Without ``--weights`` the full-size architecture runs with random weights (the cost is
the same as with the real ones). Model-only times ``_embed_waveforms`` on waveforms
already at 24 kHz (z-score, MERT windows, audio tower); end-to-end times
``encode_audio`` on 44.1 kHz 16-bit WAV files (decode, soxr resample, then the same).
Prints a Markdown table for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# ``scale`` is the package next to this script (its folder is sys.path[0] when run as a file).
from scale.common import median_seconds  # noqa: E402

from soundscout.encoders.clamp3 import (  # noqa: E402
    Clamp3Encoder,
    build_towers,
    create_clamp3_encoder,
    resolve_device,
)
from soundscout.encoders.mert import MertWindows  # noqa: E402
from soundscout.encoders.weights import load_spec  # noqa: E402

#: (seconds per file, files per batch)
CASES = ((0.5, 16), (5.0, 8), (30.0, 2))


def random_encoder(device: str, batch_windows: int) -> Clamp3Encoder:
    """Full-size clamp3 with random weights and a placeholder tokenizer."""
    from tokenizers import Tokenizer, pre_tokenizers, processors
    from tokenizers.models import WordLevel
    from transformers import HubertConfig, HubertModel

    arch = load_spec("clamp3").architecture
    dev = resolve_device(device)
    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    tokenizer = Tokenizer(WordLevel(vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    mert = HubertModel(HubertConfig(**arch["mert"])).eval().to(dev)
    autocast = torch.bfloat16 if dev.type == "cuda" else None
    windows = MertWindows(mert, arch["window_samples"], 24000, batch_windows, autocast)
    return Clamp3Encoder(arch, windows, build_towers(arch).to(dev), tokenizer, "random")


def sound(seconds: float, sr: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    x = np.sin(2 * np.pi * (110 + 20 * seed) * t) * np.exp(-3 * (t % 0.5))
    return (0.4 * x + 0.02 * rng.standard_normal(t.size)).astype(np.float32)


def bench_case(enc: Clamp3Encoder, seconds: float, n: int, work: Path, repeats: int) -> list[str]:
    waves = [sound(seconds, 24000, i) for i in range(n)]
    paths = []
    for i in range(n):
        path = work / f"s{seconds}_{i}.wav"
        sf.write(path, sound(seconds, 44100, i), 44100, subtype="PCM_16")
        paths.append(path)
    audio = seconds * n
    model = median_seconds(lambda: enc._embed_waveforms(waves), repeats)
    e2e = median_seconds(lambda: enc.encode_audio(paths, batch_size=n), repeats)
    one_by_one = median_seconds(lambda: [enc.encode_audio(w) for w in waves], 1)
    return [
        f"| {seconds:g} s | {n} | {model / audio:.3f} | {e2e / audio:.3f} | "
        f"{one_by_one / audio:.3f} | {audio / e2e:.1f} |"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default=None, help="real weights folder (default: random)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-windows", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.weights:
        enc = create_clamp3_encoder(args.device, args.weights, batch_windows=args.batch_windows)
    else:
        enc = random_encoder(args.device, args.batch_windows)
    print(
        f"machine: {platform.machine()}, {torch.get_num_threads()} torch threads, "
        f"device {enc.device}, torch {torch.__version__}, batch_windows {args.batch_windows}"
    )
    print(
        "| file length | files per batch | model-only s/s | end-to-end s/s "
        "| one file at a time s/s | audio s per wall s |"
    )
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="bench-clamp3-") as tmp:
        for seconds, n in CASES:
            for line in bench_case(enc, seconds, n, Path(tmp), args.repeats):
                print(line, flush=True)
    query = "warm analog pad with slow attack"
    enc.encode_text(query)
    ms = 1000 * median_seconds(lambda: enc.encode_text(query), 20)
    print(f"\ntext query ({len(enc.token_ids(query))} tokens): {ms:.1f} ms")


if __name__ == "__main__":
    main()

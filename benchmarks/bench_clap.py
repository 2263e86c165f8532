"""clap encoder cost: seconds of compute per second of audio, and per text query.

Usage: python benchmarks/bench_clap.py [--weights DIR] [--variant clap] [--device cpu]
       [--threads N] [--repeats 2] [--no-builtin]

Without ``--weights`` the real-size architecture (the pinned ``config.json`` of the variant,
kept in ``encoders/configs/<variant>.json``) runs with random weights: the cost is that of
the real ones. The tokenizer is then a toy byte-level BPE holding the query's words, so a
query has as many tokens as with RoBERTa's vocabulary. Model-only times
``_embed_waveforms`` on 48 kHz waveforms (windows, log-mel, HTSAT, pooling); end-to-end
times ``encode_audio`` on 44.1 kHz 16-bit WAV files (decode and soxr resample too); the
builtin encoder runs on the same files in the same process for a ratio.
Prints Markdown tables for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# ``scale`` is the package next to this script (its folder is sys.path[0] when run as a file).
from scale.common import median_seconds  # noqa: E402

from soundscout.encoders.clamp3 import resolve_device  # noqa: E402
from soundscout.encoders.clap import ClapEncoder, create_clap_encoder  # noqa: E402
from soundscout.encoders.registry import create_encoder  # noqa: E402
from soundscout.encoders.weights import load_spec  # noqa: E402

#: (seconds per file, files per batch)
CASES = ((1.0, 16), (5.0, 8), (10.0, 4), (30.0, 2))
QUERY = "warm analog pad with slow attack"


def toy_tokenizer(words: list[str]):
    """A RoBERTa-style byte-level BPE that reads the text ``words`` as one token per word."""
    from tokenizers import pre_tokenizers
    from transformers import RobertaTokenizer

    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for ch in sorted(pre_tokenizers.ByteLevel.alphabet()):
        vocab[ch] = len(vocab)
    merges = []
    for word in [words[0], *("Ġ" + w for w in words[1:])]:  # a space before each later word
        for end in range(2, len(word) + 1):
            merges.append((word[: end - 1], word[end - 1]))
            vocab.setdefault(word[:end], len(vocab))
    vocab["<mask>"] = len(vocab)
    return RobertaTokenizer(vocab=vocab, merges=merges)


def random_encoder(variant: str, device: str, batch_windows: int) -> ClapEncoder:
    """Real-size ClapModel with random weights, the variant's real feature extractor."""
    from transformers import ClapConfig, ClapFeatureExtractor, ClapModel, ClapProcessor

    arch = load_spec(variant).architecture
    model = ClapModel(ClapConfig.from_dict(arch["model_config"])).eval()
    model.to(resolve_device(device))
    extractor = ClapFeatureExtractor.from_dict(arch["preprocessor_config"])
    processor = ClapProcessor(feature_extractor=extractor, tokenizer=toy_tokenizer(QUERY.split()))
    return ClapEncoder(model, processor, arch, "random", batch_windows)


def sound(seconds: float, sr: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    x = np.sin(2 * np.pi * (110 + 20 * seed) * t) * np.exp(-3 * (t % 0.5))
    return (0.4 * x + 0.02 * rng.standard_normal(t.size)).astype(np.float32)


def bench_window(enc: ClapEncoder, batch: int, repeats: int) -> str:
    """Model compute per 10 s window at one batch size (features precomputed), min and median."""
    windows = [sound(10.0, enc.sample_rate, i) for i in range(batch)]
    feats = enc.features(windows)
    is_longer = torch.zeros((batch, 1), dtype=torch.bool)

    def run() -> None:
        with torch.inference_mode():
            enc.model.get_audio_features(input_features=feats, is_longer=is_longer)

    run()
    runs = [median_seconds(run, 1) / batch for _ in range(repeats)]
    logmel = median_seconds(lambda: enc.features(windows), 1) / batch
    return (
        f"| {batch} | {1000 * min(runs):.0f} | {1000 * statistics.median(runs):.0f} "
        f"| {1000 * logmel:.0f} |"
    )


def bench_case(enc: ClapEncoder, builtin, seconds: float, n: int, work: Path, repeats: int) -> str:
    waves = [sound(seconds, enc.sample_rate, i) for i in range(n)]
    paths = []
    for i in range(n):
        path = work / f"s{seconds}_{i}.wav"
        sf.write(path, sound(seconds, 44100, i), 44100, subtype="PCM_16")
        paths.append(path)
    audio = seconds * n
    windows = [w for x in waves for w in enc.windows(x)]
    feats = median_seconds(lambda: enc.features(windows), repeats)
    model = median_seconds(lambda: enc._embed_waveforms(waves), repeats)
    e2e = median_seconds(lambda: enc.encode_audio(paths, batch_size=n), repeats)
    alone = median_seconds(lambda: [enc.encode_audio(w) for w in waves], 1)
    row = (
        f"| {seconds:g} s | {n} | {len(windows)} | {1000 * model / len(windows):.0f} "
        f"| {feats / model:.0%} | {model / audio:.3f} | {e2e / audio:.3f} | {alone / audio:.3f} "
        f"| {audio / e2e:.1f} |"
    )
    if builtin is not None:
        base = median_seconds(lambda: builtin.encode_audio(paths, batch_size=n), repeats)
        row += f" {base / audio:.4f} | {e2e / base:.0f}x |"
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default=None, help="real weights folder (default: random)")
    parser.add_argument("--variant", default="clap", help="clap or clap-htsat-unfused")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-windows", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    parser.add_argument("--no-builtin", action="store_true", help="skip the builtin baseline")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.weights:
        enc = create_clap_encoder(args.device, args.weights, args.variant, args.batch_windows)
    else:
        enc = random_encoder(args.variant, args.device, args.batch_windows)
    builtin = None if args.no_builtin else create_encoder("builtin", device="cpu")
    params = sum(p.numel() for p in enc.model.parameters()) / 1e6
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, "
        f"{torch.get_num_threads()} torch threads, device {enc.device}, torch "
        f"{torch.__version__}, {args.variant} ({params:.1f} M parameters), "
        f"batch_windows {args.batch_windows}"
    )
    print("| windows per call | model ms per window (min) | (median) | log-mel ms per window |")
    print("|---|---|---|---|")
    for batch in (1, 8):
        print(bench_window(enc, batch, 2 * args.repeats + 1), flush=True)
    print()
    head = (
        "| file length | files | windows | model ms per window | log-mel share "
        "| model-only s/s | end-to-end s/s | one file at a time s/s | audio s per wall s |"
    )
    rule = "|---|---|---|---|---|---|---|---|---|"
    if builtin is not None:
        head, rule = head + " builtin end-to-end s/s | clap / builtin |", rule + "---|---|"
    print(head + "\n" + rule)
    with tempfile.TemporaryDirectory(prefix="bench-clap-") as tmp:
        for seconds, n in CASES:
            print(bench_case(enc, builtin, seconds, n, Path(tmp), args.repeats), flush=True)
    tokens = len(enc.processor.tokenizer(QUERY)["input_ids"])
    enc.encode_text(QUERY)
    ms = 1000 * median_seconds(lambda: enc.encode_text(QUERY), 20)
    batch = 1000 * median_seconds(lambda: enc.encode_text([QUERY] * 32), 3) / 32
    line = f"\ntext query ({tokens} tokens): {ms:.1f} ms alone, {batch:.1f} ms each in 32"
    if builtin is not None:
        builtin.encode_text(QUERY)
        base = 1000 * median_seconds(lambda: builtin.encode_text(QUERY), 20)
        line += f"; builtin {base:.1f} ms"
    print(line + f" (load {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()

"""Stage `features`: decode, augment and cache log-mel frames, one shard per source.

A shard ``feats/<source>.pt`` holds the items (package, path, sha1 of the file bytes,
sha1 of the decoded content, captions, category, split) and, per item, a few
log-mel variants as float16: the clean sound and augmented copies (EQ, reverb,
noise, pitch shift, band limiting, trimming). Reruns skip shards that exist.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import torch
from scipy import signal

from soundscout.audio.decode import decode_bytes, resample
from soundscout.encoders.builtin_net import LogMel, load_config
from training import config, render, synth
from training.captions import path_caption, sfx_category, vary
from training.extract import iter_entries
from training.packages import licence, package_root

SR = config.SAMPLE_RATE
_SF_FILES = {
    "fluid-soundfont-gm": "usr/share/sounds/sf2/FluidR3_GM.sf2",
    "fluid-soundfont-gs": "usr/share/sounds/sf2/FluidR3_GS.sf2",
    "csound-soundfont": "usr/share/sounds/sf2/sf_GMbank.sf2",
    "denemo-data": "usr/share/sounds/sf2/A320U.sf2",
    "avldrums.lv2-soundfont": "usr/share/sounds/sf2/Black_Pearl_4_LV2.sf2",
    "musescore-general-soundfont": "usr/share/sounds/sf3/MuseScore_General_Full.sf3",
    "timgm6mb-soundfont": "usr/share/sounds/sf2/TimGM6mb.sf2",
}
_VOICE_LIMIT = 500


def augment(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random chain of EQ, reverb, noise, pitch shift, band limit and trimming."""
    x = x.astype(np.float64)
    if rng.random() < 0.5:  # pitch shift by resampling (changes length too)
        x = resample(x.astype(np.float32), SR, int(SR * rng.uniform(0.84, 1.19))).astype(np.float64)
    if rng.random() < 0.5:  # EQ: a random peaking/shelving band
        lo = rng.uniform(80, 4000)
        sos = signal.butter(
            2, [lo, min(lo * rng.uniform(1.5, 4), SR / 2 - 200)], "band", fs=SR, output="sos"
        )
        x = x + rng.uniform(-0.8, 1.5) * signal.sosfilt(sos, x)
    if rng.random() < 0.4:  # reverb: exponentially decaying noise tail
        rt = rng.uniform(0.15, 1.2)
        n = int(rt * SR)
        ir = rng.standard_normal(n) * np.exp(-6.9 * np.arange(n) / n)
        ir[0] = 1.0 / rng.uniform(0.2, 1.0)
        x = signal.fftconvolve(x, ir / np.abs(ir).sum() * 4)[: x.size + n // 2]
    if rng.random() < 0.4:  # band limit: down to 8-22 kHz and back
        low = int(rng.choice([r for r in (8000, 11025, 16000, 22050) if r < SR]))
        x = resample(resample(x.astype(np.float32), SR, low), low, SR).astype(np.float64)
    if rng.random() < 0.5:  # additive noise at 10-40 dB SNR
        p = np.mean(x**2) + 1e-12
        x = x + rng.standard_normal(x.size) * np.sqrt(p / 10 ** (rng.uniform(10, 40) / 10))
    if rng.random() < 0.3 and x.size > SR // 4:  # trim the start
        x = x[int(rng.uniform(0, 0.3) * x.size) :]
    return x.astype(np.float32)


class Featurizer:
    """Log-mel variants of a waveform, with the package's front-end."""

    def __init__(self, variants: int, seed: int) -> None:
        self.cfg = load_config(config.NET)
        self.logmel = LogMel(self.cfg)
        self.variants = variants
        self.rng = np.random.default_rng(seed)

    @torch.inference_mode()
    def __call__(self, wave: np.ndarray) -> list[torch.Tensor]:
        wave = wave[: int(config.MAX_SECONDS * SR)]
        waves = [wave] + [augment(wave, self.rng) for _ in range(self.variants - 1)]
        return [
            self.logmel(torch.from_numpy(w[: int(config.MAX_SECONDS * SR)])).half() for w in waves
        ]


def sha1(data: bytes) -> str:
    """Hex sha1 of bytes."""
    return hashlib.sha1(data).hexdigest()


def content_hash(wave: np.ndarray) -> str:
    """Hash of the decoded audio (16-bit, at the front-end's rate): equal sounds in
    different files match."""
    return sha1((np.clip(wave, -1, 1) * 32767).astype(np.int16).tobytes())


def sfx_items(package: str, seed: int) -> Iterator[tuple[dict, np.ndarray]]:
    """Decoded SFX/voice entries of a package that have a meaningful caption."""
    rng = random.Random(seed)
    entries = list(iter_entries(package))
    if package in config.VOICE_PACKAGES and len(entries) > _VOICE_LIMIT:
        entries = sorted(rng.sample(entries, _VOICE_LIMIT))
    for path, data in entries:
        caption = (
            voice_caption(package, path)
            if package in config.VOICE_PACKAGES
            else path_caption(path, package)
        )
        if not caption:
            continue
        try:
            _, wave = decode_bytes(data, SR, max_seconds=config.MAX_SECONDS, filename=path)
        except Exception:
            continue
        if wave.size < SR * 0.02 or np.abs(wave).max() < 1e-4:
            continue
        category = "speech" if package in config.VOICE_PACKAGES else sfx_category(caption)
        yield (
            {
                "path": path,
                "sha1": sha1(data),
                "captions": vary(caption, rng),
                "category": category,
            },
            wave,
        )


def voice_caption(package: str, path: str) -> str:
    """Speech captions: asterisk prompts (a woman's voice) and ktuberling words."""
    stem = Path(path).stem.replace("-", " ").replace("_", " ")
    if package == "ktuberling-data":
        lang = Path(path).parent.name
        return f"a voice saying a single word ({lang}), spoken word"
    return f"a woman's voice speaking: {stem}"


def source_items(source: str, seed: int) -> Iterable[tuple[dict, np.ndarray]]:
    """(meta, wave) of one source: a soundfont render, an SFX/voice package or synthesis."""
    if source == "synth":
        for meta, wave in synth.generate(1100, seed):
            yield {**meta, "path": meta["render"], "sha1": content_hash(wave)}, wave
        return
    if source in _SF_FILES:
        files = [_SF_FILES[source]]
        mode = {"fluid-soundfont-gs": "presets", "avldrums.lv2-soundfont": "kit"}.get(source, "gm")
        if source == "avldrums.lv2-soundfont":
            files.append(files[0].replace("Black_Pearl", "Red_Zeppelin"))
        for rel in files:
            for meta, wave in render.render_soundfont(package_root(source) / rel, SR, seed, mode):
                path = f"/{rel}#{meta['render']}"
                yield {**meta, "path": path, "sha1": content_hash(wave)}, wave
        return
    yield from sfx_items(source, seed)


def variants_of(source: str) -> int:
    """Cached log-mel versions per sound: the clean one plus augmented copies. Recorded
    sounds (SFX, voice) get more copies than rendered notes and synthesis, which already
    come in many pitches, velocities and parameter draws."""
    recorded = source in config.SFX_PACKAGES or source in config.VOICE_PACKAGES
    return config.RECORDED_VARIANTS if recorded else config.RENDERED_VARIANTS


def build_shard(source: str) -> Path:
    """Compute and save the shard of one source (skipped when it exists with as many
    variants per sound as the recipe asks for)."""
    out = config.FEATS / f"{source}.pt"
    variants = variants_of(source)
    if out.exists() and _shard_settings(out) == (variants, frontend()):
        return out
    config.FEATS.mkdir(parents=True, exist_ok=True)
    seed = config.SEED + sum(map(ord, source))
    feat = Featurizer(variants, seed)
    items, mels = [], []
    split = "heldout" if source in config.HOLDOUT else "train"
    for meta, wave in source_items(source, seed):
        meta.update(
            package=source if source != "synth" else "soundscout-synth",
            split=split,
            content=content_hash(wave),
            seconds=round(wave.size / SR, 3),
        )
        items.append(meta)
        mels.append(feat(wave))
    shard = {
        "items": items,
        "mels": mels,
        "licence": source_licence(source),
        "variants": variants,
        "frontend": frontend(),
    }
    torch.save(shard, out)
    print(f"{source}: {len(items)} items")
    return out


#: Front-end of shards written before the front-end was recorded in them.
_LEGACY_FRONTEND = {
    "sample_rate": 16000,
    "n_fft": 1024,
    "hop_length": 160,
    "n_mels": 64,
    "f_min": 20.0,
    "f_max": 8000.0,
}


def frontend() -> dict:
    """The log-mel settings of the recipe's audio tower: a cached shard must match them."""
    cfg = load_config(config.NET).to_dict()
    return {k: cfg[k] for k in _LEGACY_FRONTEND}


def _shard_settings(path: Path) -> tuple[int, dict]:
    """Variants per sound and front-end of a cached shard (memory-mapped: the tensors
    are not read)."""
    shard = torch.load(path, weights_only=False, mmap=True)
    variants = shard.get("variants") or (len(shard["mels"][0]) if shard["mels"] else 0)
    return variants, shard.get("frontend", _LEGACY_FRONTEND)


def source_licence(source: str) -> str:
    """Licence string of a source for the manifest."""
    if source == "synth":
        return "generated by training/synth.py (MIT, part of Soundscout)"
    return licence(source)


def all_sources() -> list[str]:
    """Every source of the recipe, system soundfont first."""
    return ["fluid-soundfont-gm", *config.ALL_PACKAGES, "synth"]


def run(sources: list[str] | None = None) -> None:
    """Build every missing shard."""
    torch.set_num_threads(2)
    sources = sources or all_sources()
    config.check_packages(sources)
    for source in sources:
        build_shard(source)

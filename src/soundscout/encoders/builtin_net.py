"""The audio tower of the ``builtin`` model: log-mel front-end, windowing rule and CNN.

Shared by :mod:`soundscout.encoders.builtin` (inference) and the training recipe
in ``training/`` so both cut and pool audio the same way.

Windowing and pooling rule (documented in ``docs/models.md``):

* A waveform (mono, ``sample_rate``) is peak-normalised, then turned into log-mel
  frames (``hop_length`` samples apart, 10 ms at 16 kHz).
* Frames are cut into windows of ``window_frames`` (2 s) every ``window_hop_frames``
  (1 s); the last window is aligned to the end of the file so no audio is dropped.
* A file shorter than one window gives one window, padded with silence to the
  smallest size in ``bucket_frames`` (0.5, 1 or 2 s) that holds it. Padding never
  enters the pooled vector (masked pooling), and depends only on the file itself,
  so a file gives the same vector alone or in any batch.
* Each window gives one L2-normalised vector; the file vector is the normalised
  mean of its window vectors.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from soundscout.encoders.builtin_config import (  # noqa: F401 (the recipe imports them here)
    CONFIG_DIR,
    NetConfig,
    load_config,
    window_starts,
)

#: Value of a silent log-mel frame after scaling; windows are padded with it.
PAD_VALUE = -3.0
_DB_FLOOR = -100.0


def mel_filterbank(cfg: NetConfig) -> np.ndarray:
    """Triangular HTK-scale mel filters, shape (n_mels, n_fft // 2 + 1), area-normalised."""
    n_bins = cfg.n_fft // 2 + 1
    freqs = np.linspace(0.0, cfg.sample_rate / 2, n_bins)
    mel = lambda f: 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)  # noqa: E731
    hz = lambda m: 700.0 * (10.0 ** (np.asarray(m) / 2595.0) - 1.0)  # noqa: E731
    points = hz(np.linspace(mel(cfg.f_min), mel(cfg.f_max), cfg.n_mels + 2))
    bank = np.zeros((cfg.n_mels, n_bins), dtype=np.float64)
    for i in range(cfg.n_mels):
        lo, mid, hi = points[i], points[i + 1], points[i + 2]
        up = (freqs - lo) / max(mid - lo, 1e-9)
        down = (hi - freqs) / max(hi - mid, 1e-9)
        bank[i] = np.maximum(0.0, np.minimum(up, down))
        bank[i] *= 2.0 / max(hi - lo, 1e-9)
    return bank.astype(np.float32)


class LogMel(nn.Module):
    """Waveform (samples,) to scaled log-mel frames (n_mels, frames)."""

    def __init__(self, cfg: NetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.register_buffer("window", torch.hann_window(cfg.n_fft), persistent=False)
        self.register_buffer("bank", torch.from_numpy(mel_filterbank(cfg)), persistent=False)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        cfg = self.cfg
        peak = wave.abs().max() if wave.numel() else wave.new_tensor(0.0)
        if peak > 1e-5:
            wave = wave / peak
        half = cfg.n_fft // 2
        wave = nn.functional.pad(wave, (half, half))
        spec = torch.stft(
            wave, cfg.n_fft, cfg.hop_length, window=self.window, center=False, return_complex=True
        )
        power = spec.real.square() + spec.imag.square()
        mel = self.bank @ power
        db = 10.0 * torch.log10(mel.clamp_min(1e-10))
        return ((db.clamp_min(_DB_FLOOR) + 40.0) / 20.0).to(torch.float32)


def bucket_size(n_frames: int, cfg: NetConfig) -> int:
    """Padded size of a window holding ``n_frames`` (the smallest bucket that fits)."""
    for size in sorted(cfg.bucket_frames):
        if n_frames <= size:
            return size
    return cfg.window_frames


def cut_windows(frames: torch.Tensor, cfg: NetConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """Windows of one file's frames: (n_win, n_mels, size) padded, and valid lengths (n_win,)."""
    n = frames.shape[-1]
    if n <= cfg.window_frames:
        size = bucket_size(n, cfg)
        padded = nn.functional.pad(frames, (0, size - n), value=PAD_VALUE)
        return padded.unsqueeze(0), torch.tensor([max(n, 1)])
    starts = window_starts(n, cfg)
    wins = torch.stack([frames[:, s : s + cfg.window_frames] for s in starts])
    return wins, torch.full((len(starts),), cfg.window_frames)


class _Block(nn.Module):
    """Residual conv block; the first conv downsamples by 2 in frequency (and in time
    when ``halve_time``)."""

    def __init__(self, c_in: int, c_out: int, halve_time: bool = True) -> None:
        super().__init__()
        stride = (2, 2) if halve_time else (2, 1)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.skip = nn.Sequential(
            nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + self.skip(x))


class AudioTower(nn.Module):
    """Log-mel windows (batch, n_mels, frames) + valid lengths to embeddings (batch, embed_dim)."""

    def __init__(self, cfg: NetConfig) -> None:
        super().__init__()
        self.cfg = cfg
        c0 = cfg.channels[0]
        self.stem = nn.Sequential(
            nn.Conv2d(1, c0, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(c0), nn.ReLU()
        )
        chans = list(cfg.channels)
        # The stem halves time too: stage i (the stem is 0) halves it while i < n_down.
        self.n_down = len(chans) if cfg.time_downsamples is None else cfg.time_downsamples
        self.blocks = nn.Sequential(
            *[
                _Block(a, b, halve_time=i + 1 < self.n_down)
                for i, (a, b) in enumerate(zip(chans[:-1], chans[1:], strict=False))
            ]
        )
        n_stats = 3 if cfg.pool_std else 2
        self.head = nn.Sequential(
            nn.Linear(n_stats * chans[-1], cfg.hidden_dim),
            nn.ReLU(),
            nn.Linear(cfg.hidden_dim, cfg.embed_dim),
        )

    def forward(self, mels: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.head(self.pooled(mels, lengths))

    def pooled(self, mels: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Masked mean and max (and std with ``pool_std``) of the last conv features over
        time: (batch, 2 or 3 * channels)."""
        x = self.blocks(self.stem(mels.unsqueeze(1)))  # (b, c, f', t')
        x = x.mean(dim=2)  # over frequency: (b, c, t')
        t = x.shape[-1]
        valid = torch.clamp((lengths + 2**self.n_down - 1) // 2**self.n_down, 1, t)
        mask = torch.arange(t, device=x.device)[None, :] < valid[:, None]
        count = valid[:, None].to(x.dtype)
        mean = (x * mask[:, None]).sum(-1) / count
        peak = x.masked_fill(~mask[:, None], -math.inf).amax(-1)
        if not self.cfg.pool_std:
            return torch.cat([mean, peak], dim=1)
        var = (((x - mean[..., None]) * mask[:, None]) ** 2).sum(-1) / count
        return torch.cat([mean, peak, (var + 1e-6).sqrt()], dim=1)


def count_parameters(module: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)

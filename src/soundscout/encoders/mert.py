"""MERT-v1-95M window features, as CLaMP 3 prepares audio.

A file is z-scored once as a whole, cut into non-overlapping windows (5 s at
24 kHz), each window runs through MERT on its own, and each window becomes one row:
the time mean of every hidden state (13 of them), averaged over the layers.
MERT-v1-95M is a plain ``transformers.HubertModel``; its checkpoint differs only
in naming the positional convolution's weight norm the legacy way.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
from transformers import HubertConfig, HubertModel

from soundscout.encoders.checkpoints import check_keys
from soundscout.errors import EncoderUnavailableError

#: Legacy ``torch.nn.utils.weight_norm`` names and their parametrization names.
LEGACY_WEIGHT_NORM = {
    "weight_g": "parametrizations.weight.original0",
    "weight_v": "parametrizations.weight.original1",
}
#: Settings in a MERT ``config.json`` that this implementation cannot honour.
_UNSUPPORTED = {"feature_extractor_cqt": True, "deepnorm": True, "do_stable_layer_norm": True}
_CHECKED = ("hidden_size", "num_hidden_layers", "conv_dim", "conv_stride", "conv_kernel")


def zscore(x: np.ndarray, eps: float = 1e-7) -> np.ndarray:
    """Zero mean, unit (population) variance over the whole waveform, as float32.

    Statistics are accumulated in float64; the result is computed in float32.
    """
    x = np.asarray(x, dtype=np.float32)
    if x.size == 0:
        return x
    mean, var = float(x.mean(dtype=np.float64)), float(x.var(dtype=np.float64))
    return ((x - mean) / np.float32(np.sqrt(var + eps))).astype(np.float32, copy=False)


def fit_short(x: np.ndarray, min_samples: int, rule: str = "repeat") -> np.ndarray:
    """Bring a waveform shorter than ``min_samples`` up to that length.

    ``repeat`` tiles the sound, ``zeros`` appends silence, ``none`` leaves it as it is
    (it then runs as one window at its true length). An empty waveform becomes silence.
    """
    n = len(x)
    if n >= min_samples:
        return x
    if n == 0:
        return np.zeros(min_samples, dtype=np.float32)
    if rule == "none":
        return x
    if rule == "zeros":
        return np.pad(x, (0, min_samples - n)).astype(np.float32)
    if rule == "repeat":
        return np.tile(x, -(-min_samples // n))[:min_samples]
    raise ValueError(f"unknown short-file rule {rule!r}")


def window_spans(n_samples: int, window: int, min_samples: int) -> list[tuple[int, int]]:
    """Non-overlapping ``(start, stop)`` windows; a last partial one is kept if long enough."""
    spans = [(s, min(s + window, n_samples)) for s in range(0, n_samples, window)]
    if spans and spans[-1][1] - spans[-1][0] < min_samples:
        spans.pop()
    return spans


def legacy_to_parametrized(state: dict[str, Any]) -> dict[str, Any]:
    """Rename legacy weight-norm keys (``weight_g``/``weight_v``) to parametrization keys."""
    out = {}
    for key, value in state.items():
        prefix, _, last = key.rpartition(".")
        out[f"{prefix}.{LEGACY_WEIGHT_NORM[last]}" if last in LEGACY_WEIGHT_NORM else key] = value
    return out


def parametrized_to_legacy(state: dict[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`legacy_to_parametrized` (how MERT checkpoints are stored)."""
    inverse = {v: k for k, v in LEGACY_WEIGHT_NORM.items()}
    out = {}
    for key, value in state.items():
        for new, old in inverse.items():
            if key.endswith(new):
                key = key[: -len(new)] + old
        out[key] = value
    return out


def check_mert_config(hub_config: dict[str, Any], architecture: dict[str, Any]) -> None:
    """Refuse a downloaded MERT ``config.json`` that differs from the packaged architecture."""
    for key, bad in _UNSUPPORTED.items():
        if hub_config.get(key) == bad:
            raise EncoderUnavailableError(f"MERT config sets {key}={bad}, which is unsupported.")
    if float(hub_config.get("attention_relax", -1.0)) > 0:
        raise EncoderUnavailableError("MERT config sets attention_relax, which is unsupported.")
    for key in _CHECKED:
        if key in hub_config and list(np.atleast_1d(hub_config[key])) != list(
            np.atleast_1d(architecture[key])
        ):
            raise EncoderUnavailableError(
                f"MERT config {key}={hub_config[key]} differs from the expected "
                f"{architecture[key]}: these are not MERT-v1-95M weights."
            )


def build_mert(architecture: dict[str, Any], state: dict[str, Any]) -> HubertModel:
    """A ``HubertModel`` in eval mode holding ``state`` (legacy or current key names)."""
    model = HubertModel(HubertConfig(**architecture))
    state = legacy_to_parametrized(state)
    check_keys(model.state_dict().keys(), state.keys(), "The MERT checkpoint")
    model.load_state_dict(state, strict=True)
    return model.eval()


class MertWindows:
    """Turn whole-file waveforms into per-window MERT rows, batching windows across files."""

    def __init__(
        self,
        model: HubertModel,
        window: int,
        min_samples: int,
        batch_windows: int = 8,
        autocast: torch.dtype | None = None,
    ) -> None:
        self.model = model
        self.window = window
        self.min_samples = min_samples
        self.batch_windows = max(1, batch_windows)
        self.autocast = autocast
        self.device = next(model.parameters()).device

    def rows(self, waveforms: Sequence[np.ndarray]) -> list[np.ndarray]:
        """One (n_windows, hidden) float32 array per (already normalised) waveform."""
        spans = [
            window_spans(len(w), self.window, self.min_samples) or [(0, len(w))] for w in waveforms
        ]
        out = [np.zeros((len(s), self.model.config.hidden_size), np.float32) for s in spans]
        for batch, where in self._batches(waveforms, spans):
            vectors = self._forward(batch)
            for (i, j), vector in zip(where, vectors, strict=True):
                out[i][j] = vector
        return out

    def _batches(
        self, waveforms: Sequence[np.ndarray], spans: list[list[tuple[int, int]]]
    ) -> Iterator[tuple[np.ndarray, list[tuple[int, int]]]]:
        """Windows of equal length from all files, stacked up to a budget of samples.

        The budget is ``batch_windows`` full windows; shorter windows (a file's last
        one, or a short file brought to 1 s) batch only with windows of their own length,
        so no window is ever padded.
        """
        budget = self.batch_windows * self.window
        groups: dict[int, tuple[list[np.ndarray], list[tuple[int, int]]]] = {}
        for i, (wave, file_spans) in enumerate(zip(waveforms, spans, strict=True)):
            for j, (start, stop) in enumerate(file_spans):
                chunks, where = groups.setdefault(stop - start, ([], []))
                chunks.append(wave[start:stop])
                where.append((i, j))
                if len(chunks) * (stop - start) >= budget:
                    yield np.stack(chunks), where
                    del groups[stop - start]
        for chunks, where in groups.values():
            yield np.stack(chunks), where

    @torch.inference_mode()
    def _forward(self, batch: np.ndarray) -> np.ndarray:
        inputs = torch.from_numpy(np.ascontiguousarray(batch, dtype=np.float32)).to(self.device)
        with torch.autocast(self.device.type, self.autocast, enabled=self.autocast is not None):
            hidden = self.model(inputs, output_hidden_states=True).hidden_states
        layers = torch.stack([h.float().mean(dim=1) for h in hidden])  # (layers, batch, hidden)
        return layers.mean(dim=0).cpu().numpy()

"""The ``clap`` encoder: LAION CLAP through transformers' own ``ClapModel`` and ``ClapProcessor``.

Audio (mono, 48 kHz) is cut into fixed 10 s windows (:func:`window_starts`): a file of at
most 10 s is one window, padded by the checkpoint's own rule (``repeatpad``) inside the
feature extractor; a longer file gets windows every 10 s, the last one ending at the
file's end, so every window is 10 s of real audio. Each window goes through the
checkpoint's ``ClapFeatureExtractor`` on its in-range path (never the random crop nor the
fusion crops) with ``is_longer`` always false, then ``ClapModel.get_audio_features``.
A file's vector is the normalised mean of its window vectors (:func:`pool_windows`).
Text: the checkpoint's RoBERTa tokenizer, at most 77 tokens as LAION trained, then
``get_text_features``. Weights: ``soundscout models download clap``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from soundscout.encoders import weights as W
from soundscout.encoders.base import Encoder, l2_normalize
from soundscout.encoders.checkpoints import check_keys
from soundscout.errors import EncoderUnavailableError

try:
    import torch
except ImportError:  # pragma: no cover - the optional 'clap' extra is missing
    torch = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

#: Bump when the windowing, padding, pooling or tokenising changes: part of :attr:`version`.
PREPROCESSING = "pp1"
#: Architecture keys that define what a vector means (hashed into the version).
_RULE_KEYS = ("sample_rate", "window_samples", "hop_samples", "text_max_tokens", "pooling")


def window_starts(n_samples: int, window: int, hop: int) -> list[int]:
    """Start sample of each window: ``[0]`` up to ``window`` samples, else every ``hop``
    samples while a full window fits, plus a last window that ends at the file's end."""
    if n_samples <= window:
        return [0]
    starts = list(range(0, n_samples - window, hop))
    return [*starts, n_samples - window]


def pool_windows(vectors: np.ndarray) -> np.ndarray:
    """A file's vector from its L2-normalised window vectors (n, dim): their normalised mean."""
    return l2_normalize(np.asarray(vectors, dtype=np.float32).mean(axis=0))


def _pooled(output: Any) -> torch.Tensor:
    """The normalised features, whether transformers returns a tensor (4.x) or an output (5.x)."""
    return output if isinstance(output, torch.Tensor) else output.pooler_output


class ClapEncoder(Encoder):
    """LAION CLAP audio and text in one 512-d space; see the module docstring."""

    name = "clap"

    def __init__(
        self, model: Any, processor: Any, arch: dict[str, Any], version: str, batch_windows: int = 8
    ) -> None:
        self.model, self.processor, self.arch, self.version = model, processor, arch, version
        self.dim = int(model.config.projection_dim)
        self.sample_rate = int(arch["sample_rate"])
        self.window, self.hop = int(arch["window_samples"]), int(arch["hop_samples"])
        self.batch_windows = max(1, int(batch_windows))
        self.device = str(next(model.parameters()).device)

    def window_times(self, n_samples: int) -> list[tuple[float, float]]:
        """(start, end) seconds of each window that :meth:`embed_windows` returns."""
        sr = self.sample_rate
        return [
            (s / sr, min(n_samples, s + self.window) / sr)
            for s in window_starts(n_samples, self.window, self.hop)
        ]

    def windows(self, waveform: np.ndarray) -> list[np.ndarray]:
        """The windows of one waveform; an empty one is a single sample of silence."""
        x = np.asarray(waveform, dtype=np.float32)
        if x.size == 0:
            x = np.zeros(1, dtype=np.float32)
        return [x[s : s + self.window] for s in window_starts(len(x), self.window, self.hop)]

    def features(self, windows: list[np.ndarray]) -> torch.Tensor:
        """Log-mel input features (n, 1, frames, mels), one window at a time, as float32."""
        extractor = self.processor.feature_extractor
        out = extractor(
            [w.astype(np.float64) for w in windows],
            sampling_rate=self.sample_rate,
            return_tensors="np",
        )
        return torch.from_numpy(np.asarray(out["input_features"], dtype=np.float32))

    def window_vectors(self, windows: list[np.ndarray]) -> np.ndarray:
        """L2-normalised vectors of windows, ``batch_windows`` at a time."""
        parts = []
        for i in range(0, len(windows), self.batch_windows):
            feats = self.features(windows[i : i + self.batch_windows]).to(self.device)
            is_longer = torch.zeros((len(feats), 1), dtype=torch.bool, device=self.device)
            with torch.inference_mode():
                out = self.model.get_audio_features(input_features=feats, is_longer=is_longer)
            parts.append(_pooled(out).float().cpu().numpy())
        return l2_normalize(np.concatenate(parts))

    def _embed_waveforms(self, waveforms: list[np.ndarray]) -> np.ndarray:
        per_file = [self.windows(w) for w in waveforms]
        vectors = self.window_vectors([w for wins in per_file for w in wins])
        bounds = np.cumsum([0, *(len(wins) for wins in per_file)])
        return np.stack(
            [pool_windows(vectors[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        )

    def embed_windows(self, waveform: np.ndarray) -> np.ndarray:
        """One L2-normalised vector per window (times from :meth:`window_times`)."""
        return self.window_vectors(self.windows(waveform))

    def embed_with_windows(self, waveform: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(file vector, window vectors) in one pass: the file's pools its windows'."""
        windows = self.embed_windows(waveform)
        return pool_windows(windows), windows

    def _embed_texts(self, texts: list[str]) -> np.ndarray:
        inputs = self.processor.tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=int(self.arch["text_max_tokens"]),
            return_tensors="pt",
        )
        inputs = {k: v.to(self.device) for k, v in inputs.items() if k != "token_type_ids"}
        with torch.inference_mode():
            out = self.model.get_text_features(**inputs)
        return _pooled(out).float().cpu().numpy()


@contextmanager
def _quiet_transformers() -> Iterator[None]:
    """Silence transformers' load report and progress bars (our own checks report instead)."""
    from transformers.utils import logging as hf_logging

    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def load_model(model_dir: Path, recomputed: list[str]) -> Any:
    """``ClapModel`` from a checkpoint folder, strictly: every weight must match.

    Only buffers that the model recomputes at load (``recomputed``, e.g. position ids)
    may be absent or extra; any other missing, unexpected or mis-shaped key is refused.
    """
    from transformers import ClapModel

    what = f"The CLAP checkpoint in {model_dir}"
    try:
        with _quiet_transformers():
            loaded: Any = ClapModel.from_pretrained(
                str(model_dir),
                local_files_only=True,
                output_loading_info=True,
                ignore_mismatched_sizes=True,  # reported below, by name
            )
    except (OSError, ValueError, RuntimeError) as exc:  # unreadable or corrupt files
        raise EncoderUnavailableError(f"{what} cannot be loaded: {exc}") from exc
    model, info = loaded
    shapes = sorted(str(k[0] if isinstance(k, tuple) else k) for k in info["mismatched_keys"])
    if shapes:
        raise EncoderUnavailableError(
            f"{what} has weights of the wrong shape for its config.json: {shapes[:8]}.",
            hint="Check that the weights folder holds the files of one checkpoint.",
        )
    benign = tuple(recomputed)
    missing = {k for k in info["missing_keys"] if not k.endswith(benign)}
    unexpected = {k for k in info["unexpected_keys"] if not k.endswith(benign)}
    kept = set(model.state_dict()) - missing
    check_keys(kept | missing, kept | unexpected, what)
    return model.float().eval()


def weights_version(root: Path, files: dict[str, Path], arch: dict[str, Any]) -> str:
    """A version naming every checkpoint file (by sha256) and the preprocessing rule."""
    identity = {role: W.cached_sha256(root, path) for role, path in sorted(files.items())}
    rule = {key: arch[key] for key in _RULE_KEYS}
    blob = json.dumps({"files": identity, "rule": rule, "pp": PREPROCESSING}, sort_keys=True)
    return f"clap-{PREPROCESSING}-{hashlib.sha256(blob.encode()).hexdigest()[:12]}"


def _check_processor(processor: Any, arch: dict[str, Any]) -> None:
    extractor = processor.feature_extractor
    found = (int(extractor.sampling_rate), int(extractor.nb_max_samples))
    if found != (arch["sample_rate"], arch["window_samples"]):
        raise EncoderUnavailableError(
            f"The CLAP feature extractor expects {found[0]} Hz and {found[1]} samples per "
            f"input; this encoder cuts {arch['window_samples']}-sample windows at "
            f"{arch['sample_rate']} Hz.",
            hint="Check that the weights folder holds a 48 kHz, 10 s CLAP checkpoint.",
        )


def create_clap_encoder(
    device: str = "auto",
    weights: str | Path | None = None,
    variant: str = "clap",
    batch_windows: int = 8,
) -> ClapEncoder:
    """Load CLAP from ``weights`` (a checkpoint folder; default: the models cache dir).

    Args:
        device: ``cpu``, ``cuda`` or ``auto``.
        weights: the folder holding the checkpoint files.
        variant: ``clap`` (laion/larger_clap_general) or ``clap-htsat-unfused``; names the
            default folder and the files reported when some are missing.
        batch_windows: 10 s windows per model call.

    Raises:
        EncoderUnavailableError: the extra is not installed, files are missing or wrong.
    """
    for module in ("torch", "transformers", "tokenizers"):
        W.require(module, extra="clap")
    from transformers import ClapProcessor

    from soundscout.encoders.clamp3 import resolve_device

    spec = W.load_spec(variant)
    if spec.architecture.get("encoder") != "clap":
        raise EncoderUnavailableError(f"{variant!r} is not a CLAP checkpoint.")
    arch = spec.architecture
    root = W.model_dir(variant, weights)
    files = W.resolve_files(spec, root)
    model_dir = files["config"].parent
    with _quiet_transformers():
        processor = ClapProcessor.from_pretrained(str(model_dir), local_files_only=True)
    _check_processor(processor, arch)
    model = load_model(model_dir, arch["recomputed_buffers"]).to(resolve_device(device))
    version = weights_version(root, files, arch)
    log.info("clap loaded from %s on %s (%s)", root, device, version)
    return ClapEncoder(model, processor, arch, version, batch_windows)

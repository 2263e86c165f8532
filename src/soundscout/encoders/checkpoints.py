"""Checkpoints: loading tensors, selecting and checking state dicts, slim conversion."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from soundscout.encoders.weights import ModelSpec, cached_sha256, require
from soundscout.errors import EncoderUnavailableError


def convert_model(spec: ModelSpec, root: Path, keep_original: bool = False) -> Path | None:
    """Apply ``spec.convert`` if its source is present and the slim file is not; return it."""
    conv = spec.convert
    if conv is None:
        return None
    item = spec.file(conv.role)
    src, dst = root / item.relpath, root / item.subdir / conv.output
    if dst.is_file() or not src.is_file():
        return dst if dst.is_file() else None
    meta = {"source": item.filename, "source_sha256": cached_sha256(root, src)}
    convert_checkpoint(src, dst, conv.keep_prefixes, conv.drop, meta)
    if not keep_original:
        src.unlink()
    return dst


def select_state(
    state: dict[str, Any], keep_prefixes: Iterable[str], drop: Iterable[str] = ()
) -> dict[str, Any]:
    """Entries whose key starts with one of ``keep_prefixes`` and contains none of ``drop``."""
    keep, drop = tuple(keep_prefixes), tuple(drop)
    return {k: v for k, v in state.items() if k.startswith(keep) and not any(d in k for d in drop)}


def check_keys(expected: Iterable[str], got: Iterable[str], what: str) -> None:
    """Raise unless ``got`` holds exactly the ``expected`` keys."""
    expected, got = set(expected), set(got)
    missing, unexpected = sorted(expected - got), sorted(got - expected)
    if missing or unexpected:
        raise EncoderUnavailableError(
            f"{what} does not match the architecture: "
            f"missing {missing[:8]}{'...' if len(missing) > 8 else ''}, "
            f"unexpected {unexpected[:8]}{'...' if len(unexpected) > 8 else ''}.",
            hint="Check that the weights folder holds the files of this model and version.",
        )


def load_tensors(path: Path) -> dict[str, Any]:
    """Tensors from a ``.safetensors`` file or a torch pickle (``weights_only``, mmap)."""
    if path.suffix == ".safetensors":
        return dict(require("safetensors.torch").load_file(str(path)))
    torch = require("torch")
    try:
        return torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except RuntimeError:  # legacy (non-zip) pickles cannot be memory-mapped
        return torch.load(path, map_location="cpu", weights_only=True)


def convert_checkpoint(
    src: Path,
    dst: Path,
    keep_prefixes: Iterable[str],
    drop: Iterable[str] = (),
    metadata: dict[str, str] | None = None,
) -> Path:
    """Write the kept tensors of a training checkpoint (``{'model': ...}``) as safetensors."""
    checkpoint = load_tensors(src)
    state = checkpoint.get("model", checkpoint)
    slim = {k: v.contiguous() for k, v in select_state(state, keep_prefixes, drop).items()}
    tmp = dst.with_suffix(".partial")
    require("safetensors.torch").save_file(slim, str(tmp), metadata=metadata or {})
    tmp.replace(dst)
    return dst

"""Model files: where they live, what they are, how they are hashed and recorded.

A model spec is data (``encoders/configs/<name>.json``): its architecture plus a
``files`` list naming, for each role, the hub repository and file, the local
subfolder and any converted file accepted in its place. Everything here is generic;
heavy libraries (torch, safetensors, huggingface_hub) are imported only when used.
Fetching lives in ``hub``, checkpoint loading and conversion in ``checkpoints``.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from soundscout.errors import EncoderUnavailableError

MANIFEST_NAME = "soundscout-weights.json"


@dataclass(frozen=True)
class WeightFile:
    """One file a model needs, and where it comes from."""

    role: str
    repo_id: str
    filename: str
    subdir: str
    required: bool = True
    revision: str = "main"
    sha256: str | None = None
    accept: tuple[str, ...] = ()

    @property
    def relpath(self) -> str:
        return f"{self.subdir}/{self.filename}"

    @property
    def url(self) -> str:
        return f"https://huggingface.co/{self.repo_id}/resolve/{self.revision}/{self.filename}"


@dataclass(frozen=True)
class Conversion:
    """How one downloaded checkpoint becomes a slim safetensors inference file."""

    role: str
    output: str
    keep_prefixes: tuple[str, ...]
    drop: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelSpec:
    """A model's architecture, weight files and licences, read from its JSON config."""

    name: str
    description: str
    architecture: dict[str, Any]
    files: tuple[WeightFile, ...] = ()
    licences: dict[str, str] = field(default_factory=dict)
    convert: Conversion | None = None

    def file(self, role: str) -> WeightFile:
        """The file playing ``role``."""
        return next(f for f in self.files if f.role == role)


def load_spec(name: str) -> ModelSpec:
    """Read ``encoders/configs/<name>.json`` shipped with the package."""
    path = resources.files("soundscout.encoders") / "configs" / f"{name}.json"
    if not path.is_file():
        raise EncoderUnavailableError(f"No model config named {name!r}.")
    data = json.loads(path.read_text(encoding="utf-8"))
    files = tuple(
        WeightFile(**{**item, "accept": tuple(item.get("accept", ()))})
        for item in data.pop("files", [])
    )
    conv = data.pop("convert", None)
    return ModelSpec(
        name=data.pop("name"),
        description=data.pop("description", ""),
        licences=data.pop("licences", {}),
        files=files,
        convert=_conversion(conv) if conv else None,
        architecture=data,
    )


def spec_names() -> list[str]:
    """Names of every model config shipped in the package."""
    folder = resources.files("soundscout.encoders") / "configs"
    return sorted(
        p.name.removesuffix(".json") for p in folder.iterdir() if p.name.endswith(".json")
    )


def _conversion(data: dict[str, Any]) -> Conversion:
    keep, drop = tuple(data["keep_prefixes"]), tuple(data.get("drop", ()))
    return Conversion(data["role"], data["output"], keep, drop)


def models_root() -> Path:
    """``$SOUNDSCOUT_MODELS_DIR``, else the user cache dir's ``models`` folder."""
    env = os.environ.get("SOUNDSCOUT_MODELS_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("soundscout")) / "models"


def model_dir(name: str, override: str | os.PathLike | None = None) -> Path:
    """The folder holding a model's files: ``override`` or ``models_root()/name``."""
    return Path(override).expanduser() if override is not None else models_root() / name


def find_file(item: WeightFile, root: Path) -> Path | None:
    """The local file for ``item``: an accepted converted file first, else the original."""
    for name in (*item.accept, item.filename):
        candidate = root / item.subdir / name
        if candidate.is_file():
            return candidate
    return None


def missing_files(spec: ModelSpec, root: Path, required_only: bool = True) -> list[WeightFile]:
    """Files of ``spec`` that are not under ``root``."""
    wanted = [f for f in spec.files if f.required or not required_only]
    return [f for f in wanted if find_file(f, root) is None]


def resolve_files(spec: ModelSpec, root: Path) -> dict[str, Path]:
    """Map each role to its local path; raise naming every required file that is missing."""
    missing = missing_files(spec, root)
    if (
        missing
        and len(missing) == len(missing_files(spec, root, required_only=False))
        and (not root.is_dir() or not any(root.iterdir()))
    ):
        raise EncoderUnavailableError(
            f"The {spec.name} weights are not downloaded (nothing at {root}).",
            hint=f"Run `soundscout models download {spec.name}` (or copy the files that "
            "`soundscout models list` names there).",
        )
    if missing:
        lines = "\n".join(f"  {root / f.relpath}  (from {f.url})" for f in missing)
        raise EncoderUnavailableError(
            f"The {spec.name} weights are incomplete; missing files:\n{lines}",
            hint=f"Run `soundscout models download {spec.name}`, or copy those files there "
            "and point the encoder's weights setting at the folder.",
        )
    found = {f.role: find_file(f, root) for f in spec.files}
    return {role: path for role, path in found.items() if path is not None}


# --- hashes and the manifest -------------------------------------------------------


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def git_blob_sha1(path: Path) -> str:
    """The git blob id of a file (how the hub names small, non-LFS files)."""
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def read_manifest(root: Path) -> dict[str, dict[str, Any]]:
    """Per-file records (sha256, size, mtime, source) kept beside the weights."""
    path = root / MANIFEST_NAME
    if not path.is_file():
        return {}
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")).get("files", {}))
    except (OSError, ValueError):
        return {}


def _write_manifest(root: Path, files: dict[str, dict[str, Any]]) -> None:
    try:
        text = json.dumps({"files": files}, indent=2, sort_keys=True)
        (root / MANIFEST_NAME).write_text(text, encoding="utf-8")
    except OSError:
        pass  # a read-only weights folder still works; hashes are recomputed


def record_file(root: Path, path: Path, sha256: str | None = None, **extra: Any) -> str:
    """Store ``path``'s sha256 (hashed unless given), size and mtime in the manifest."""
    stat = path.stat()
    sha256 = sha256 or sha256_of(path)
    files = read_manifest(root)
    files[path.relative_to(root).as_posix()] = {
        "sha256": sha256,
        "size": stat.st_size,
        "mtime_ns": stat.st_mtime_ns,
        **extra,
    }
    _write_manifest(root, files)
    return sha256


def cached_sha256(root: Path, path: Path) -> str:
    """sha256 of ``path``, reused from the manifest while size and mtime are unchanged."""
    entry = read_manifest(root).get(path.relative_to(root).as_posix())
    stat = path.stat()
    if entry and entry.get("size") == stat.st_size and entry.get("mtime_ns") == stat.st_mtime_ns:
        return str(entry["sha256"])
    return record_file(root, path)


def weights_identity(root: Path, path: Path) -> str:
    """sha256 naming the weights in ``path``; a converted file reports its source's hash."""
    if path.suffix == ".safetensors":
        source = safetensors_metadata(path).get("source_sha256")
        if source:
            return source
    return cached_sha256(root, path)


def safetensors_metadata(path: Path) -> dict[str, str]:
    """The string metadata stored in a safetensors header."""
    with open(path, "rb") as fh:
        size = int.from_bytes(fh.read(8), "little")
        header = json.loads(fh.read(size))
    return dict(header.get("__metadata__", {}))


def require(module: str, extra: str = "clamp3") -> Any:
    """Import an optional dependency, or say which extra (``soundscout[extra]``) installs it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise EncoderUnavailableError(
            f"This model needs the Python package {module.split('.')[0]!r}.",
            hint=f"Install the extra: pip install 'soundscout[{extra}]'.",
        ) from exc

"""Model files: where they live, how they are fetched, verified, hashed and converted.

A model spec is data (``encoders/configs/<name>.json``): its architecture plus a
``files`` list naming, for each role, the hub repository and file, the local
subfolder and any converted file accepted in its place. Everything here is generic;
heavy libraries (torch, safetensors, huggingface_hub) are imported only when used.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable
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


# --- download ------------------------------------------------------------------------


@dataclass(frozen=True)
class RemoteFile:
    """What the hub says a file should be."""

    size: int | None = None
    sha256: str | None = None
    git_sha1: str | None = None


Fetch = Callable[[WeightFile, Path], Path]
RemoteInfo = Callable[[WeightFile], RemoteFile]


def hub_fetch(item: WeightFile, root: Path) -> Path:
    """Download one file with huggingface_hub (resumable, with a progress bar)."""
    hub = require("huggingface_hub")
    try:
        path = hub.hf_hub_download(
            item.repo_id, item.filename, revision=item.revision, local_dir=root / item.subdir
        )
    except Exception as exc:  # network, auth, disk: all end the download the same way
        raise _download_error(item, root, exc) from exc
    return Path(path)


def hub_remote_info(item: WeightFile) -> RemoteFile:
    """Size and hash of a file as the hub lists it (LFS sha256, else git blob id)."""
    hub = require("huggingface_hub")
    try:
        infos = hub.HfApi().get_paths_info(
            item.repo_id, [item.filename], revision=item.revision, expand=True
        )
    except Exception as exc:
        raise _download_error(item, root=None, exc=exc) from exc
    if not infos:
        raise EncoderUnavailableError(f"{item.url} does not exist on the hub.")
    info = infos[0]
    lfs = getattr(info, "lfs", None)
    if lfs is not None:
        return RemoteFile(size=lfs.size, sha256=lfs.sha256)
    return RemoteFile(size=getattr(info, "size", None), git_sha1=getattr(info, "blob_id", None))


def verify_file(path: Path, expected: RemoteFile) -> str:
    """Check size and hash against ``expected``; return the file's sha256."""
    size = path.stat().st_size
    if expected.size is not None and size != expected.size:
        raise EncoderUnavailableError(f"{path} has {size} bytes, expected {expected.size}.")
    sha = sha256_of(path)
    if expected.sha256 and sha != expected.sha256:
        raise EncoderUnavailableError(f"{path} has sha256 {sha}, expected {expected.sha256}.")
    if expected.git_sha1 and git_blob_sha1(path) != expected.git_sha1:
        raise EncoderUnavailableError(f"{path} does not match the hub's blob {expected.git_sha1}.")
    return sha


def download_files(
    spec: ModelSpec,
    root: Path,
    *,
    fetch: Fetch | None = None,
    remote_info: RemoteInfo | None = None,
    force: bool = False,
) -> dict[str, Path]:
    """Fetch every file of ``spec`` into ``root`` that is not there yet, verifying each.

    ``fetch`` and ``remote_info`` default to the Hugging Face hub. A file that fails
    verification is deleted so that the next run fetches it again.
    """
    fetch, remote_info = fetch or hub_fetch, remote_info or hub_remote_info
    root.mkdir(parents=True, exist_ok=True)
    done: dict[str, Path] = {}
    for item in spec.files:
        local = find_file(item, root)
        if local is not None and not force:
            done[item.role] = local
            continue
        expected = remote_info(item)
        if item.sha256:
            expected = RemoteFile(size=expected.size, sha256=item.sha256)
        path = fetch(item, root)
        try:
            sha = verify_file(path, expected)
        except EncoderUnavailableError:
            path.unlink(missing_ok=True)
            raise
        record_file(root, path, sha, repo_id=item.repo_id, revision=item.revision)
        done[item.role] = path
    return done


def _download_error(item: WeightFile, root: Path | None, exc: Exception) -> EncoderUnavailableError:
    where = f" into {root / item.subdir}" if root is not None else ""
    return EncoderUnavailableError(
        f"Could not download {item.url}{where}: {type(exc).__name__}: {exc}",
        hint="Check the network and run the command again (it resumes), or copy the files "
        "by hand and point the encoder's weights setting at their folder.",
    )


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


# --- state dicts -----------------------------------------------------------------------


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


def safetensors_metadata(path: Path) -> dict[str, str]:
    """The string metadata stored in a safetensors header."""
    with open(path, "rb") as fh:
        size = int.from_bytes(fh.read(8), "little")
        header = json.loads(fh.read(size))
    return dict(header.get("__metadata__", {}))


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


def require(module: str) -> Any:
    """Import an optional dependency, or say which extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise EncoderUnavailableError(
            f"This model needs the Python package {module.split('.')[0]!r}.",
            hint="Install the extra: pip install 'soundscout[clamp3]'.",
        ) from exc

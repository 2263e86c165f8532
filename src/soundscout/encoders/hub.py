"""Fetching a model's files from the Hugging Face hub, resumably, and verifying them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from soundscout.encoders.weights import (
    ModelSpec,
    WeightFile,
    find_file,
    git_blob_sha1,
    record_file,
    require,
    sha256_of,
)
from soundscout.errors import EncoderUnavailableError


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

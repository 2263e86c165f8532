"""Build the Soundscout image without a container registry, caching the slow inputs.

- base: a Debian bookworm root filesystem made by ``docker/base-image.sh`` (mmdebstrap
  from the host's apt sources), imported into the daemon;
- wheelhouse: torch and every dependency as wheels (``docker/wheelhouse.sh``), so the
  build runs with ``OFFLINE=1``;
- image: ``docker build`` of ``docker/Dockerfile`` on a copy of the repository's build
  context, with BuildKit (Debian's client, ``DOCKER_BUILDKIT=1``: about twice as fast as
  the legacy builder here, which the Dockerfile also supports) and host networking.

The base tarball and the wheelhouse are cached under :data:`CACHE`, keyed by a hash of
what they are made from; from an empty cache everything is built.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from tests.container.dockerd import Daemon, DockerError

REPO = Path(__file__).resolve().parents[2]
DOCKER_DIR = REPO / "docker"
CACHE = Path(os.environ.get("SOUNDSCOUT_DOCKER_CACHE", "/var/tmp/soundscout-docker-cache"))
TORCH_VERSION = os.environ.get("TORCH_VERSION", "2.13.0")
#: What the build context holds (the same allowlist as .dockerignore).
CONTEXT_FILES = ("pyproject.toml", "README.md", ".dockerignore")
T = TypeVar("T")
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "*.whl", ".env", "models")


@dataclass
class BuildInputs:
    """What a build needs from outside the daemon, and what preparing it took."""

    base_tarball: Path
    wheelhouse: Path
    seconds: dict[str, float]


@dataclass
class BuiltImage:
    """A built image and what it cost."""

    tag: str
    size_bytes: int
    build_seconds: float


def _script(cmd: list[str], timeout: float, env: dict[str, str] | None = None) -> None:
    """Run a helper script; on failure raise with the end of its output."""
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    if proc.returncode != 0:
        output = (proc.stdout + proc.stderr)[-3000:]
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{output}")


def install_packages() -> None:
    """Debian's docker.io, docker-compose and mmdebstrap (``docker/test-setup.sh``)."""
    _script([str(DOCKER_DIR / "test-setup.sh")], timeout=900)


def dockerfile_extras() -> str:
    """The Dockerfile's default ``EXTRAS``: the wheelhouse must hold their dependencies."""
    text = (DOCKER_DIR / "Dockerfile").read_text()
    match = re.search(r"^ARG EXTRAS=(\S*)", text, re.MULTILINE)
    return match.group(1).strip("\"'") if match else ""


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()[:16]


def _files_bytes(paths: list[Path]) -> list[bytes]:
    return [p.name.encode() + b"\0" + p.read_bytes() for p in sorted(paths) if p.is_file()]


def _prune(pattern: str, keep: Path) -> None:
    """Remove cache entries of other keys (plain files, or wheelhouse directories)."""
    for old in CACHE.glob(pattern):
        if old == keep:
            continue
        if old.is_dir() and not old.is_mount():
            shutil.rmtree(old, ignore_errors=True)
        elif old.is_file():
            old.unlink(missing_ok=True)


def base_tarball() -> Path:
    """The cached root filesystem tarball, built when missing."""
    inputs = [
        (DOCKER_DIR / "base-image.sh").read_bytes(),
        *_files_bytes(list(Path("/etc/apt/sources.list.d").glob("*.sources"))),
        *_files_bytes([Path("/etc/apt/sources.list")]),
        *_files_bytes(list(Path("/usr/local/share/ca-certificates").glob("**/*"))),
    ]
    tarball = CACHE / f"base-{_digest(*inputs)}.tar"
    if not tarball.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        # mmdebstrap picks its output format from the extension: keep ".tar".
        partial = CACHE / f".{tarball.stem}.{os.getpid()}.tar"
        try:
            _script([str(DOCKER_DIR / "base-image.sh"), str(partial)], timeout=600)
            partial.rename(tarball)
        finally:
            partial.unlink(missing_ok=True)
        _prune("base-*.tar", tarball)
    return tarball


def import_base(daemon: Daemon, tarball: Path) -> str:
    """``docker import`` the tarball; returns the tag."""
    tag = f"soundscout-base:{tarball.stem.removeprefix('base-')}"
    daemon.docker("import", "--change", "ENV LANG=C.UTF-8", str(tarball), tag, timeout=300)
    return tag


def wheelhouse(extras: str) -> Path:
    """The cached wheelhouse for these extras, filled when missing."""
    key = _digest(
        (REPO / "pyproject.toml").read_bytes(),
        (DOCKER_DIR / "wheelhouse.sh").read_bytes(),
        TORCH_VERSION.encode(),
        extras.encode(),
    )
    target = CACHE / f"wheelhouse-{key}"
    if not target.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = CACHE / f"wheelhouse-{key}.{os.getpid()}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        env = {**os.environ, "TORCH_VERSION": TORCH_VERSION, "EXTRAS": extras}
        try:
            _script([str(DOCKER_DIR / "wheelhouse.sh"), str(partial)], timeout=900, env=env)
            partial.rename(target)
        finally:
            shutil.rmtree(partial, ignore_errors=True)
        _prune("wheelhouse-*", target)
    return target


def build_context(dest: Path, wheels: Path) -> Path:
    """A copy of the repository's build context with ``wheels`` in docker/wheelhouse/."""
    dest.mkdir(parents=True)
    for name in CONTEXT_FILES:
        shutil.copy2(REPO / name, dest / name)
    shutil.copytree(REPO / "src", dest / "src", ignore=_IGNORE)
    shutil.copytree(DOCKER_DIR, dest / "docker", ignore=_IGNORE)
    house = dest / "docker" / "wheelhouse"
    for wheel in wheels.glob("*.whl"):
        try:
            os.link(wheel, house / wheel.name)
        except OSError:
            shutil.copy2(wheel, house / wheel.name)
    return dest


def _timed(seconds: dict[str, float], name: str, func: Callable[[], T]) -> T:
    t0 = time.monotonic()
    result = func()
    seconds[name] = round(time.monotonic() - t0, 1)
    return result


def prepare_inputs() -> BuildInputs:
    """Install the packages, then the base tarball, with the wheelhouse filled meanwhile."""
    seconds: dict[str, float] = {}
    with ThreadPoolExecutor(1) as pool:
        wheels = pool.submit(_timed, seconds, "wheelhouse", lambda: wheelhouse(dockerfile_extras()))
        _timed(seconds, "packages", install_packages)
        tarball = _timed(seconds, "base", base_tarball)
        return BuildInputs(tarball, wheels.result(timeout=900), seconds)


def build_image(daemon: Daemon, inputs: BuildInputs, tag: str) -> BuiltImage:
    """``docker build`` with ``OFFLINE=1`` on the imported base (BuildKit, host network)."""
    t0 = time.monotonic()
    base = import_base(daemon, inputs.base_tarball)
    context = build_context(daemon.root / "context", inputs.wheelhouse)
    args = ["build", "--progress", "plain", "--network", "host", "-f", "docker/Dockerfile"]
    args += ["--build-arg", f"BASE={base}", "--build-arg", "OFFLINE=1"]
    args += ["--build-arg", f"TORCH_VERSION={TORCH_VERSION}", "-t", tag, "."]
    try:
        daemon.docker(*args, timeout=900, cwd=str(context), buildkit=True)
    except DockerError as exc:
        raise DockerError(f"image build failed: {exc}") from None
    finally:
        shutil.rmtree(context, ignore_errors=True)
    seconds = time.monotonic() - t0
    size = int(daemon.docker("image", "inspect", "-f", "{{.Size}}", tag).strip())
    return BuiltImage(tag, size, seconds)

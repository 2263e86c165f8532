"""Session fixtures for the container tests: a private dockerd, the image, a library.

Everything is torn down in finalizers: containers, volumes, the daemon (by its PID) and
its temporary directory. Timings and the image size go to
``test-artifacts/container.json``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.audiogen import make_library
from tests.container import dockerd
from tests.container.images import REPO, BuildInputs, BuiltImage, build_image, prepare_inputs

IMAGE_TAG = "soundscout:test"
DAEMON_PREFIX = "soundscout-docker-"


@pytest.fixture(scope="session")
def container_report() -> Iterator[dict[str, Any]]:
    """Timings and sizes, written to test-artifacts/container.json at the end."""
    report: dict[str, Any] = {}
    start = time.monotonic()
    yield report
    if report:
        report["total_seconds"] = round(time.monotonic() - start, 1)
        out = REPO / "test-artifacts" / "container.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(report, indent=2) + "\n")


@pytest.fixture(scope="session")
def build_inputs(container_report: dict[str, Any]) -> BuildInputs:
    """Packages installed, base tarball and wheelhouse ready (cached between runs)."""
    if os.geteuid() != 0:
        pytest.skip("the container tests run their own dockerd: they need root")
    inputs = prepare_inputs()
    container_report.update({f"{k}_seconds": v for k, v in inputs.seconds.items()})
    return inputs


@pytest.fixture(scope="session")
def daemon(build_inputs: BuildInputs) -> Iterator[dockerd.Daemon]:
    """A private dockerd on a tmpfs under /tmp (``SOUNDSCOUT_DOCKER_TMPFS``: its size, 0 = disk)."""
    dockerd.reap_stale(Path("/tmp"), DAEMON_PREFIX)
    root = Path(tempfile.mkdtemp(prefix=DAEMON_PREFIX, dir="/tmp"))
    tmpfs = os.environ.get("SOUNDSCOUT_DOCKER_TMPFS", "10g")
    try:
        daemon = dockerd.start(root, tmpfs_size=None if tmpfs in ("", "0") else tmpfs)
    except BaseException:
        if root.is_mount():
            subprocess.run(["umount", "-l", str(root)], check=False)
        shutil.rmtree(root, ignore_errors=True)
        raise
    try:
        yield daemon
    finally:
        try:
            leftovers = daemon.docker("ps", "-aq", check=False, timeout=30).split()
            if leftovers:
                daemon.docker("rm", "-f", "-v", *leftovers, check=False, timeout=60)
        finally:
            dockerd.stop(daemon)


@pytest.fixture(scope="session")
def image(
    daemon: dockerd.Daemon, build_inputs: BuildInputs, container_report: dict[str, Any]
) -> BuiltImage:
    """The Soundscout image, built offline on a registry-free base."""
    built = build_image(daemon, build_inputs, IMAGE_TAG)
    container_report.update(
        image_size_mb=round(built.size_bytes / 1e6), build_seconds=round(built.build_seconds, 1)
    )
    return built


@pytest.fixture(scope="session")
def sounds(daemon: dockerd.Daemon) -> Path:
    """A generated library, readable by the image's non-root user."""
    root = daemon.root / "sounds"
    make_library(root, n_per_kind=3)
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return root


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

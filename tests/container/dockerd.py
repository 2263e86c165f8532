"""A private Docker daemon for the container tests: started in a temporary directory,
reached through its own socket, stopped by its PID.

Nothing here touches a system daemon or the host's firewall: the daemon runs with
``--bridge=none --iptables=false``, so every container uses host networking and all
traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

#: Debian's client (docker.io): /usr/local/bin/docker, when there, may be a newer client
#: that wants buildx for BuildKit builds. Debian's has BuildKit built in.
DOCKER = "/usr/bin/docker"
COMPOSE = "/usr/bin/docker-compose"
DOCKERD = "/usr/sbin/dockerd"


class DockerError(RuntimeError):
    """A docker or docker-compose command failed; the message holds its output."""


@dataclass
class Daemon:
    """A running dockerd and the environment that points clients at it."""

    root: Path
    process: subprocess.Popen[bytes]

    @property
    def socket(self) -> Path:
        return self.root / "docker.sock"

    @property
    def env(self) -> dict[str, str]:
        """The caller's environment with DOCKER_HOST on this daemon."""
        env = dict(os.environ)
        env.update(DOCKER_HOST=f"unix://{self.socket}", DOCKER_BUILDKIT="0")
        env.pop("DOCKER_CONTEXT", None)
        return env

    def docker(
        self,
        *args: str,
        timeout: float = 120,
        check: bool = True,
        cwd: str | None = None,
        merge: bool = False,
        buildkit: bool = False,
    ) -> str:
        """Run ``docker ARGS`` against this daemon (see :func:`run`); ``buildkit`` for builds."""
        env = {**self.env, "DOCKER_BUILDKIT": "1"} if buildkit else self.env
        return run([DOCKER, *args], env, timeout, check, cwd, merge)

    def compose(
        self,
        *args: str,
        env: dict[str, str],
        timeout: float = 120,
        check: bool = True,
        merge: bool = False,
    ) -> str:
        """Run ``docker-compose ARGS`` against this daemon with extra environment ``env``."""
        return run([COMPOSE, *args], {**self.env, **env}, timeout, check, None, merge)

    def log_tail(self, lines: int = 40) -> str:
        """The end of the daemon's own log, for failure messages."""
        log = self.root / "dockerd.log"
        if not log.exists():
            return ""
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def run(
    cmd: Sequence[str],
    env: dict[str, str],
    timeout: float,
    check: bool,
    cwd: str | None = None,
    merge: bool = False,
) -> str:
    """Run ``cmd``; its stdout (and stderr when ``merge``).

    Raises:
        DockerError: with the command's output, when it fails and ``check``, or times out.
    """
    try:
        proc = subprocess.run(
            list(cmd), env=env, capture_output=True, text=True, timeout=timeout, cwd=cwd
        )
    except subprocess.TimeoutExpired as exc:
        raise DockerError(f"{' '.join(cmd)} timed out after {timeout:.0f} s") from exc
    if check and proc.returncode != 0:
        raise DockerError(
            f"{' '.join(cmd)} exited {proc.returncode}\n{proc.stdout[-4000:]}{proc.stderr[-4000:]}"
        )
    return proc.stdout + proc.stderr if merge else proc.stdout


def start(root: Path, tmpfs_size: str | None = "10g", timeout: float = 30) -> Daemon:
    """Start dockerd with all its state under ``root`` and wait until it answers.

    Args:
        root: an empty directory for the daemon's data, sockets, logs and the test files.
        tmpfs_size: mount a tmpfs of at most this size on ``root`` first (None: stay on
            disk). The image's layers are written several times over (build, export,
            containers): in memory the build runs faster and teardown is an unmount
            instead of deleting tens of thousands of files.
        timeout: seconds to wait for the daemon to answer.
    """
    root.mkdir(parents=True, exist_ok=True)
    if tmpfs_size:
        opts = f"size={tmpfs_size},mode=0700"
        subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "soundscout-docker", str(root)],
                       check=True, capture_output=True)  # fmt: skip
    log = open(root / "dockerd.log", "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [
            DOCKERD,
            f"--data-root={root / 'data'}",
            f"--exec-root={root / 'exec'}",
            f"--pidfile={root / 'dockerd.pid'}",
            f"--host=unix://{root / 'docker.sock'}",
            "--bridge=none",
            "--iptables=false",
            "--ip6tables=false",
            "--log-level=warn",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )
    log.close()
    daemon = Daemon(root, process)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DockerError(f"dockerd exited {process.returncode}\n{daemon.log_tail()}")
        if daemon.socket.exists():
            try:
                daemon.docker("version", "--format", "{{.Server.Version}}", timeout=10)
                return daemon
            except DockerError:
                pass
        time.sleep(0.2)
    stop(daemon)
    raise DockerError(f"dockerd did not answer within {timeout:.0f} s\n{daemon.log_tail()}")


def _die_with_parent() -> None:
    """In the child: SIGTERM when the test process dies, even by SIGKILL (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def reap_stale(parent: Path, prefix: str) -> list[Path]:
    """Unmount and remove ``parent/prefix*`` directories left by a killed test session.

    A directory whose dockerd (its pidfile) still runs belongs to a live session and is
    left alone. Returns the directories removed.
    """
    reaped = []
    for root in sorted(parent.glob(f"{prefix}*")):
        pid = _read_pid(root / "dockerd.pid")
        if pid is not None and _runs_dockerd(pid, root):
            continue
        containerd_pid = _read_pid(root / "exec" / "containerd" / "containerd.pid")
        if containerd_pid is not None and _runs_dockerd(containerd_pid, root):
            _kill_pid(containerd_pid)
        _unmount_under(root)
        if root.is_mount():
            subprocess.run(["umount", "-l", str(root)], capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)
        reaped.append(root)
    return reaped


def _runs_dockerd(pid: int, root: Path) -> bool:
    """True when process ``pid`` is alive and was started with ``root`` in its arguments
    (dockerd, or the containerd it started): never signal a process that reused a PID."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return str(root).encode() in cmdline


def stop(daemon: Daemon, timeout: float = 30) -> None:
    """Stop the daemon by its PID (and the containerd it started), unmount and remove ``root``.

    Containers should be removed before; the daemon stops any that are left.
    """
    containerd_pid = _read_pid(daemon.root / "exec" / "containerd" / "containerd.pid")
    if daemon.process.poll() is None:
        daemon.process.send_signal(signal.SIGTERM)
        try:
            daemon.process.wait(timeout)
        except subprocess.TimeoutExpired:
            daemon.process.kill()
            daemon.process.wait(10)
    if containerd_pid is not None and _runs_dockerd(containerd_pid, daemon.root):
        _kill_pid(containerd_pid)
    _unmount_under(daemon.root)
    if daemon.root.is_mount():
        subprocess.run(["umount", "-l", str(daemon.root)], capture_output=True, check=False)
    shutil.rmtree(daemon.root, ignore_errors=True)


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _kill_pid(pid: int, timeout: float = 10) -> None:
    """SIGTERM ``pid`` if it still runs, SIGKILL after ``timeout``."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _unmount_under(root: Path) -> None:
    """Lazily unmount anything the daemon left mounted below ``root`` (deepest first)."""
    prefix = str(root.resolve()) + "/"
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return
    points = [line.split()[4] for line in lines if line.split()[4].startswith(prefix)]
    for point in sorted(points, key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True, check=False)

"""The container image and compose files, built, started and queried for real.

Flow: index a generated library (mounted read-only) in a one-off container, serve it,
check health, text search, audio search and a ranged download; replace the container
and check the catalog survived in the volume; then the same through docker-compose
with the host-network file. All traffic stays on 127.0.0.1 (host networking).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.container.conftest import free_port
from tests.container.dockerd import Daemon, DockerError
from tests.container.images import DOCKER_DIR, REPO, BuiltImage

pytestmark = [pytest.mark.container, pytest.mark.timeout(900)]

VOLUME = "sstest-data"
START_TIMEOUT = 120


def wait_healthy(url: str, timeout: float, logs: Any = None) -> float:
    """Poll ``url``/api/health until it answers 200; seconds waited."""
    t0 = time.monotonic()
    last: object = None
    while time.monotonic() - t0 < timeout:
        try:
            response = httpx.get(f"{url}/api/health", timeout=2)
            if response.status_code == 200 and response.json()["ok"]:
                return time.monotonic() - t0
            last = response.status_code
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.25)
    detail = logs() if logs else ""
    raise AssertionError(f"{url} not healthy after {timeout:.0f} s ({last!r})\n{detail}")


def search(url: str, q: str, **params: Any) -> dict[str, Any]:
    response = httpx.get(f"{url}/api/search", params={"q": q, **params}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


@dataclass
class Served:
    """A serve container over the indexed volume."""

    daemon: Daemon
    image: str
    sounds: Path
    port: int
    name: str = "sstest-serve"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        """Run the serve container; seconds until /api/health answered."""
        self.daemon.docker(
            "run", "-d", "--name", self.name, "--network", "host",
            "--health-interval", "2s", "--health-start-period", "5s",
            "-v", f"{self.sounds}:/library:ro", "-v", f"{VOLUME}:/data",
            "-e", "SOUNDSCOUT_SERVER__HOST=127.0.0.1",
            "-e", f"SOUNDSCOUT_SERVER__PORT={self.port}",
            self.image,
        )  # fmt: skip
        return wait_healthy(self.url, START_TIMEOUT, self.logs)

    def remove(self) -> None:
        self.daemon.docker("rm", "-f", self.name, check=False)

    def logs(self) -> str:
        return self.daemon.docker("logs", "--tail", "60", self.name, check=False, merge=True)

    def health_status(self) -> str:
        fmt = "{{.State.Health.Status}}"
        return self.daemon.docker("inspect", "-f", fmt, self.name).strip()


@pytest.fixture(scope="module")
def served(
    daemon: Daemon, image: BuiltImage, sounds: Path, container_report: dict[str, Any]
) -> Iterator[Served]:
    """Index ``sounds`` in a one-off container, then serve the volume on a free port."""
    t0 = time.monotonic()
    daemon.docker(
        "run", "--rm", "--network", "host",
        "-v", f"{sounds}:/library:ro", "-v", f"{VOLUME}:/data",
        image.tag, "index", "/library", timeout=300,
    )  # fmt: skip
    container_report["index_seconds"] = round(time.monotonic() - t0, 1)
    server = Served(daemon, image.tag, sounds, free_port())
    try:
        container_report["startup_seconds"] = round(server.start(), 1)
        yield server
    finally:
        server.remove()
        daemon.docker("volume", "rm", "-f", VOLUME, check=False)


def test_image_is_standard(daemon: Daemon, image: BuiltImage) -> None:
    """Non-root user, entrypoint, CMD, healthcheck, volumes; every package data file inside."""
    cfg = json.loads(daemon.docker("image", "inspect", "-f", "{{json .Config}}", image.tag))
    assert cfg["User"] == "soundscout"
    assert cfg["Entrypoint"] == ["soundscout"]
    assert cfg["Cmd"] == ["serve"]
    assert "/opt/soundscout/healthcheck.py" in cfg["Healthcheck"]["Test"]
    assert {"/data", "/library"} <= set(cfg["Volumes"])
    uid = daemon.docker("run", "--rm", "--network", "none", "--entrypoint", "id", image.tag, "-u")
    assert uid.strip() != "0"
    # Package data (web page, model configs, the builtin model's weights...) all inside.
    probe = (
        "import pathlib, soundscout; root = pathlib.Path(soundscout.__file__).parent;"
        "print('\\n'.join(sorted(str(p.relative_to(root)) for p in root.rglob('*')"
        " if p.is_file() and p.suffix not in ('.py', '.pyc'))))"
    )
    shipped = daemon.docker(
        "run", "--rm", "--network", "none", "--entrypoint", "python3", image.tag, "-c", probe
    ).split()
    source = REPO / "src" / "soundscout"
    in_repo = [
        str(p.relative_to(source))
        for p in source.rglob("*")
        if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts
    ]
    missing = sorted(set(in_repo) - set(shipped))
    assert not missing, f"not in the image (package-data in pyproject.toml?): {missing}"


def test_serve_refuses_open_bind_without_key(daemon: Daemon, image: BuiltImage) -> None:
    """The default CMD binds 0.0.0.0 and keeps the API-key rule: no key, no server."""
    port = free_port()
    with pytest.raises(DockerError, match="Refusing to serve on 0.0.0.0"):
        daemon.docker(
            "run", "--rm", "--network", "host", "-e", f"SOUNDSCOUT_SERVER__PORT={port}",
            image.tag, timeout=60,
        )  # fmt: skip


def test_health_and_healthcheck(served: Served) -> None:
    """/api/health answers and Docker's HEALTHCHECK reports healthy."""
    assert httpx.get(f"{served.url}/api/health", timeout=5).json()["ok"] is True
    deadline = time.monotonic() + 30
    while served.health_status() != "healthy":
        assert time.monotonic() < deadline, f"health: {served.health_status()}\n{served.logs()}"
        time.sleep(0.5)


def test_text_search(served: Served) -> None:
    body = search(served.url, "deep bass kick", k=5)
    assert body["mode"] == "text"
    assert len(body["results"]) == 5  # the library holds 12 sounds
    assert all(hit["path"].startswith("/library/") for hit in body["results"])


def test_audio_search(served: Served) -> None:
    """Upload a sound: results come from the library."""
    kick = next(served.sounds.glob("kicks/*.wav"))
    files = {"file": (kick.name, kick.read_bytes(), "audio/wav")}
    response = httpx.post(f"{served.url}/api/search/audio", files=files, timeout=60)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mode"] == "audio"
    assert len(body["results"]) == 11  # every other sound (default k is 20)
    own = f"/library/{kick.relative_to(served.sounds).as_posix()}"
    assert own not in [hit["path"] for hit in body["results"]]
    assert all(hit["path"].startswith("/library/") for hit in body["results"])


def test_ranged_download(served: Served) -> None:
    """A Range request gets 206 and the file's own bytes."""
    hit = search(served.url, "pad", k=1)["results"][0]
    original = (served.sounds / Path(hit["path"]).relative_to("/library")).read_bytes()
    url = f"{served.url}/api/sounds/{hit['id']}/audio"
    response = httpx.get(url, headers={"Range": "bytes=0-99"}, timeout=30)
    assert response.status_code == 206
    assert response.headers["content-range"] == f"bytes 0-99/{len(original)}"
    assert response.content == original[:100]


def test_catalog_survives_a_new_container(served: Served) -> None:
    """Remove the container, start a fresh one on the same volume: same catalog."""
    before = [hit["id"] for hit in search(served.url, "warm pad", k=10)["results"]]
    served.remove()
    served.start()
    after = [hit["id"] for hit in search(served.url, "warm pad", k=10)["results"]]
    assert after == before


@pytest.fixture
def compose_env(daemon: Daemon, image: BuiltImage, sounds: Path) -> dict[str, str]:
    """Host-side compose settings: our image, library, a config with default_k 3."""
    config = daemon.root / "compose-config"
    config.mkdir(exist_ok=True)
    (config / "soundscout.yaml").write_text("search:\n  default_k: 3\n")
    models = daemon.root / "compose-models"
    models.mkdir(exist_ok=True)
    env_file = daemon.root / "compose.env"
    env_file.write_text("")
    return {
        "IMAGE": image.tag,
        "LIBRARY": str(sounds),
        "PORT": str(free_port()),
        "CONFIG_DIR": str(config),
        "MODELS": str(models),
        "ENV_FILE": str(env_file),
    }


def test_compose_host_network(
    daemon: Daemon, compose_env: dict[str, str], container_report: dict[str, Any]
) -> None:
    """index (profile) then serve with compose.host.yaml: health, YAML config, search."""
    base = ["--env-file", compose_env["ENV_FILE"], "-p", "sstest"]
    daemon.compose(*base, "-f", str(DOCKER_DIR / "compose.yaml"), "config", "-q", env=compose_env)
    host = [*base, "-f", str(DOCKER_DIR / "compose.host.yaml")]
    url = f"http://127.0.0.1:{compose_env['PORT']}"
    try:
        daemon.compose(*host, "--profile", "index", "run", "--rm", "index", env=compose_env,
                       timeout=300)  # fmt: skip
        shown = daemon.compose(
            *host, "run", "--rm", "serve", "config", "show", "--sources", env=compose_env
        )
        assert "search.default_k = 3  # file:/config/soundscout.yaml" in shown
        t0 = time.monotonic()
        daemon.compose(*host, "up", "-d", "serve", env=compose_env)
        wait_healthy(url, START_TIMEOUT, lambda: daemon.compose(
            *host, "logs", "--tail", "60", env=compose_env, check=False, merge=True))  # fmt: skip
        container_report["compose_startup_seconds"] = round(time.monotonic() - t0, 1)
        body = search(url, "deep bass kick")
        assert len(body["results"]) == 3  # search.default_k from the mounted YAML
        daemon.compose(
            *host, "exec", "-T", "serve", "python3", "/opt/soundscout/healthcheck.py",
            env=compose_env,
        )  # fmt: skip
    finally:
        daemon.compose(*host, "down", "-v", "--remove-orphans", env=compose_env, check=False)

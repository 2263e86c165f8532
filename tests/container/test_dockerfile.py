"""Static checks of the container files, without Docker (they run in `make test-fast` too)."""

from __future__ import annotations

import importlib.util
import re
import tomllib

from tests.container.images import DOCKER_DIR, REPO, dockerfile_extras

#: Extras the serving image leaves out: development tools, and `ray` (distributed ingest on
#: a cluster, which has its own image: deploy/ray/Dockerfile).
NOT_IN_IMAGE = {"dev", "test", "tests", "docs", "lint", "bench", "train", "training", "ray"}


def test_image_carries_every_runtime_extra() -> None:
    """Every encoder's extra is in the image, so whatever encoder is configured works."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = set(project.get("optional-dependencies", {}))
    installed = {e.strip() for e in dockerfile_extras().split(",") if e.strip()}
    assert installed <= declared, f"ARG EXTRAS names unknown extras: {installed - declared}"
    missing = declared - NOT_IN_IMAGE - installed
    assert not missing, f"add {sorted(missing)} to `ARG EXTRAS=` in docker/Dockerfile"


def test_torch_pin_matches_install_script() -> None:
    """The image and `scripts/install.sh` install the same torch release."""
    script = (REPO / "scripts/install.sh").read_text()
    dockerfile = (DOCKER_DIR / "Dockerfile").read_text()
    pinned = re.search(r'TORCH_VERSION="\$\{TORCH_VERSION:-([^}]+)\}"', script)
    arg = re.search(r"^ARG TORCH_VERSION=(\S+)", dockerfile, re.M)
    assert pinned and arg and pinned.group(1) == arg.group(1)


def test_dockerfile_builds_without_a_registry_frontend() -> None:
    """No `# syntax=` line (it pulls a frontend image) and a base chosen by ARG BASE."""
    text = (DOCKER_DIR / "Dockerfile").read_text()
    assert not re.search(r"^#\s*syntax\s*=", text, re.M | re.I)
    assert "ARG BASE=python:3.11-slim" in text
    assert re.search(r"^FROM \$\{BASE\} AS build$", text, re.M)
    assert re.search(r"^FROM \$\{BASE\} AS runtime$", text, re.M)


def test_compose_files_keep_the_port_on_loopback() -> None:
    """compose.yaml publishes on 127.0.0.1 only; the host-network file binds 127.0.0.1."""
    bridge = (DOCKER_DIR / "compose.yaml").read_text()
    ports = re.findall(r'^\s+- "([^"]+:8000)"$', bridge, re.M)
    assert ports and all(p.startswith("127.0.0.1:") for p in ports)
    host = (DOCKER_DIR / "compose.host.yaml").read_text()
    assert "network_mode: host" in host
    assert "SOUNDSCOUT_SERVER__HOST: ${SOUNDSCOUT_SERVER__HOST:-127.0.0.1}" in host
    assert "--force" not in re.sub(r"#.*", "", host)


def test_dependency_layer_lists_the_project_requirements() -> None:
    """docker/requirements.py: core dependencies plus the image's extras, no self-reference."""
    spec = importlib.util.spec_from_file_location("reqs", DOCKER_DIR / "requirements.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    deps = module.requirements(str(REPO / "pyproject.toml"), dockerfile_extras())
    assert set(project["dependencies"]) <= set(deps)
    assert not [d for d in deps if d.lower().startswith("soundscout")]
    everything = module.requirements(
        str(REPO / "pyproject.toml"),
        ",".join(NOT_IN_IMAGE & set(project.get("optional-dependencies", {}))),
    )
    assert not [d for d in everything if d.lower().startswith("soundscout[")]

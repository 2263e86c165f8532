"""Stage `packages`: fetch the Debian packages and unpack them under the work dir.

``apt-get download`` + ``dpkg-deb -x`` rather than ``apt-get install``: no root
needed, no game binaries or dependencies pulled in, and the files land in one
folder per package so every file keeps its package of origin.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from training import config


def download(packages: list[str]) -> None:
    """Download the .deb files that are not there yet."""
    config.DEBS.mkdir(parents=True, exist_ok=True)
    have = {p.name.split("_")[0] for p in config.DEBS.glob("*.deb")}
    missing = [p for p in packages if p not in have]
    if missing:
        subprocess.run(["apt-get", "download", *missing], cwd=config.DEBS, check=True)


def unpack(packages: list[str]) -> None:
    """Unpack each .deb into ``pkgs/<package>`` (skipped when already there)."""
    for deb in sorted(config.DEBS.glob("*.deb")):
        name = deb.name.split("_")[0]
        target = config.PKGS / name
        if name not in packages or target.exists():
            continue
        target.mkdir(parents=True)
        subprocess.run(["dpkg-deb", "-x", str(deb), str(target)], check=True)


def package_root(name: str) -> Path:
    """Where a package's files are; the system soundfont package is read from ``/``."""
    if name == "fluid-soundfont-gm":
        return Path("/")
    return config.PKGS / name


def licence(name: str) -> str:
    """Licence names from the package's Debian copyright file (``License:`` fields)."""
    root = package_root(name)
    own = root / "usr/share/doc" / name / "copyright"
    candidates = [own] if own.exists() else sorted((root / "usr/share/doc").glob("*/copyright"))
    if not candidates:
        return "unknown (no copyright file)"
    text = candidates[0].read_text(errors="replace")
    names: list[str] = []
    for match in re.finditer(r"^Licen[cs]e:[ \t]*(\S.*)$", text, flags=re.M):
        value = match.group(1).strip()
        if len(value) <= 60 and not value.startswith(("This ", "From ")) and value not in names:
            names.append(value)
    if not names:  # free-form copyright file: name the licences it mentions
        for pattern, label in _FREEFORM:
            if re.search(pattern, text, flags=re.I) and label not in names:
                names.append(label)
    return "; ".join(names) if names else "see the package's copyright file"


_FREEFORM = [
    (r"MIT licen[cs]e|Permission is hereby granted, free of charge", "MIT/Expat"),
    (r"GNU General Public License|GPL", "GPL"),
    (r"Lesser General Public|LGPL", "LGPL"),
    (r"Creative Commons|CC-BY", "Creative Commons"),
    (r"public domain", "public-domain"),
    (r"BSD", "BSD"),
]


def run() -> None:
    """Download and unpack every package of the recipe."""
    config.check_packages(config.ALL_PACKAGES)
    download(config.ALL_PACKAGES)
    unpack(config.ALL_PACKAGES)

"""Print soundscout's dependencies (and those of the given extras) from pyproject.toml.

Used by docker/Dockerfile to install the dependencies on their own layer before the
sources are copied, so that a code change rebuilds only the small soundscout layer.

    python3 requirements.py pyproject.toml [EXTRA,EXTRA...]
"""

from __future__ import annotations

import sys
import tomllib


def requirements(pyproject: str, extras: str = "") -> list[str]:
    """Dependency specifiers; references to the project itself (``name[extra]``) are dropped."""
    with open(pyproject, "rb") as fh:
        project = tomllib.load(fh)["project"]
    name = project["name"].lower()
    optional = project.get("optional-dependencies", {})
    chosen = [e.strip() for e in extras.split(",") if e.strip()]
    unknown = [e for e in chosen if e not in optional]
    if unknown:
        raise SystemExit(f"unknown extras {unknown}; {pyproject} defines {sorted(optional)}")
    deps = list(project.get("dependencies", []))
    for extra in chosen:
        deps += optional[extra]
    return [d for d in deps if not d.lower().replace(" ", "").startswith(name + "[")]


if __name__ == "__main__":
    print("\n".join(requirements(*sys.argv[1:3])))

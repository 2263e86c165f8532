#!/usr/bin/env bash
# Fill a wheelhouse for an offline image build (docker build --build-arg OFFLINE=1):
# torch (pinned), the build backend (setuptools, wheel) and every dependency of
# soundscout, as wheels for this machine's Python (3.11, x86_64 Linux).
#
#   docker/wheelhouse.sh [DIR]      # default DIR: docker/wheelhouse
#
# Environment: PIP (default: .venv/bin/pip, else pip3), TORCH_VERSION (2.13.0),
# EXTRAS (soundscout extras, comma-separated; default: the Dockerfile's `ARG EXTRAS=`,
# so that the default build finds everything). pip's own configuration
# (index, find-links, proxies, certificates) applies, so a local torch CPU wheel or a
# CPU index set there is what ends up here.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DIR="${1:-$ROOT/docker/wheelhouse}"
TORCH_VERSION="${TORCH_VERSION:-2.13.0}"
EXTRAS="${EXTRAS-$(sed -n 's/^ARG EXTRAS=//p' "$ROOT/docker/Dockerfile")}"
if [[ -z "${PIP:-}" ]]; then
    if [[ -x "$ROOT/.venv/bin/pip" ]]; then PIP="$ROOT/.venv/bin/pip"; else PIP=pip3; fi
fi

mkdir -p "$DIR"
"$PIP" wheel --quiet --wheel-dir "$DIR" \
    "torch==$TORCH_VERSION" setuptools wheel "$ROOT${EXTRAS:+[$EXTRAS]}"
# The image builds soundscout from src/ itself; a wheel of it here would only go stale.
rm -f "$DIR"/soundscout-*.whl
echo "$(find "$DIR" -name '*.whl' | wc -l) wheels, $(du -sh "$DIR" | cut -f1) in $DIR"

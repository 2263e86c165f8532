#!/usr/bin/env bash
# Install everything Soundscout needs on a Debian machine: system packages, then a
# Python virtual environment in .venv with the CPU build of torch and the project.
# Safe to re-run; it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"
TORCH_VERSION="${TORCH_VERSION:-2.13.0}"
EXTRAS="${EXTRAS:-dev}"

# Debian packages: fluidsynth + General MIDI soundfonts render the demo library and test
# sounds; chromium drives the web page tests; ffmpeg is handy for converting audio.
APT_PACKAGES=(fluidsynth fluid-soundfont-gm timgm6mb-soundfont ffmpeg chromium fonts-dejavu-core)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$pkg")
done
if ((${#missing[@]})); then
    echo "Installing Debian packages: ${missing[*]}"
    SUDO=""
    [[ $(id -u) -ne 0 ]] && SUDO="sudo"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
        "${missing[@]}"
fi

if [[ ! -x "$VENV/bin/python" ]]; then
    echo "Creating the virtual environment in $VENV"
    "$PYTHON" -m venv "$VENV"
fi
# torch first and pinned: an unpinned torch would pull a multi-GB CUDA build.
if ! "$VENV/bin/python" -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '$TORCH_VERSION')" 2>/dev/null; then
    echo "Installing torch==$TORCH_VERSION (CPU)"
    "$VENV/bin/pip" install -q "torch==$TORCH_VERSION"
fi
echo "Installing soundscout[$EXTRAS]"
"$VENV/bin/pip" install -q -e ".[$EXTRAS]" 2>&1 | grep -v "^WARNING: Location" || true
"$VENV/bin/python" -c "import soundscout, torch; print('soundscout', soundscout.__version__, 'torch', torch.__version__)"

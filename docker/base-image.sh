#!/usr/bin/env bash
# Build a Debian bookworm base image with Python 3.11 without any container registry:
# a root filesystem tarball from the host's own apt sources (mmdebstrap), ready for
# `docker import`. For hosts that cannot pull python:3.11-slim (air-gapped NAS, CI).
#
#   docker/base-image.sh rootfs.tar [SOURCES]
#   docker import --change 'ENV LANG=C.UTF-8' rootfs.tar soundscout-base:bookworm
#   docker build -f docker/Dockerfile --build-arg BASE=soundscout-base:bookworm -t soundscout .
#
# SOURCES: an apt sources file, one-line or deb822 (default: the host's own, from
# /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list). Locally added CA
# certificates (/usr/local/share/ca-certificates, e.g. a proxy's) are copied in so pip
# inside the build trusts the same TLS as the host. Needs root and mmdebstrap.
set -euo pipefail
OUT="${1:?usage: base-image.sh OUT.tar [SOURCES]}"
SOURCES="${2:-}"
# mmdebstrap picks its output format from the name: anything else would be a directory.
[[ "$OUT" == *.tar ]] || { echo "base-image.sh: OUT must end in .tar" >&2; exit 1; }
if [[ -z "$SOURCES" ]]; then
    for candidate in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/*.sources \
        /etc/apt/sources.list; do
        if [[ -s "$candidate" ]]; then SOURCES="$candidate"; break; fi
    done
fi
[[ -n "$SOURCES" ]] || { echo "base-image.sh: no apt sources file found" >&2; exit 1; }

hooks=()
if compgen -G "/usr/local/share/ca-certificates/*" >/dev/null; then
    # pip vendors its own CA bundle: point it at the system one, which now has them.
    hooks+=(--customize-hook='copy-in /usr/local/share/ca-certificates /usr/local/share'
            --customize-hook='chroot "$1" update-ca-certificates --fresh >/dev/null 2>&1'
            --customize-hook='printf "[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n" >"$1/etc/pip.conf"')
fi
# pip installs into a virtual environment in the image; Debian's marker would only get
# in the way of anyone using the base directly.
hooks+=(--customize-hook='rm -f "$1"/usr/lib/python3*/EXTERNALLY-MANAGED')

mmdebstrap --quiet --variant=minbase \
    --include=python3,python3-venv,python-is-python3,ca-certificates \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='force-unsafe-io' \
    --aptopt='Acquire::Languages "none"' \
    "${hooks[@]}" \
    bookworm "$OUT" "$SOURCES"

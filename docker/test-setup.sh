#!/usr/bin/env bash
# Install what the container test (tests/container) needs on a Debian machine, as root:
# Debian's Docker engine and client, docker-compose 1.29 and mmdebstrap. Idempotent and
# quiet when everything is there. dockerd is NOT started here: the test runs its own,
# private daemon (tests/container/dockerd.py).
set -euo pipefail
PACKAGES=(docker.io docker-compose mmdebstrap)
missing=()
for pkg in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$pkg")
done
((${#missing[@]})) || exit 0
if [[ $(id -u) -ne 0 ]]; then
    echo "test-setup.sh: need root to install ${missing[*]}" >&2
    exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The package would start dockerd through systemd or init scripts where they run: keep
# it from doing so (the test starts its own daemon), without touching an existing policy.
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
APT=(apt-get -q -o DPkg::Lock::Timeout=300)
"${APT[@]}" update >/dev/null
"${APT[@]}" install -y --no-install-recommends "${missing[@]}" >/dev/null

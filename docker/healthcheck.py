"""Container HEALTHCHECK: exit 0 when GET /api/health answers 200, else 1.

Standard library only (no soundscout import: it must stay fast). The port and the API
key come from the same SOUNDSCOUT_* variables the server reads; the server always binds
inside the container, so 127.0.0.1 reaches it whatever server.host is.
"""

from __future__ import annotations

import os
import sys
import urllib.request


def main() -> int:
    """Probe /api/health once."""
    port = os.environ.get("SOUNDSCOUT_SERVER__PORT", "8000")
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/health")
    api_key = os.environ.get("SOUNDSCOUT_SERVER__API_KEY")
    if api_key:
        request.add_header("X-API-Key", api_key)
    try:
        with urllib.request.urlopen(request, timeout=4) as response:
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

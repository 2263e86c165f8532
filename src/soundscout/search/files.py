"""Which catalogued files may be handed out (streamed, drawn): only what was indexed."""

from __future__ import annotations

import stat
from pathlib import Path

from soundscout.catalog.catalog import SoundRow
from soundscout.errors import DecodeError, NotFoundError


def served_file(row: SoundRow) -> Path:
    """The file of an indexed sound, if it is still the file that was indexed.

    Only sounds that decoded as audio are served, and only while the file's size and
    modification time match the catalog, so a failed entry (a link to a text file, say)
    or a file swapped since indexing is never handed out.
    """
    if row.status == "failed":
        raise DecodeError(
            f"Sound {row.id} failed to index, so it is not served: {row.error}",
            hint="Run `soundscout status` to see failed files and their reasons.",
        )
    if row.status != "done":
        raise NotFoundError(
            f"Sound {row.id} is not indexed yet, so it is not served.",
            hint="Run `soundscout index` on its folder, then try again.",
        )
    path = Path(row.path)
    try:
        st = path.stat()
    except OSError:
        st = None
    if st is None or not stat.S_ISREG(st.st_mode):
        raise NotFoundError(
            f"The file of sound {row.id} is gone: {row.path}",
            hint="Run `soundscout index` on its folder to update the catalog.",
        )
    if (st.st_size, st.st_mtime_ns) != (row.size, row.mtime_ns):
        raise NotFoundError(
            f"The file of sound {row.id} has changed since it was indexed: {row.path}",
            hint="Run `soundscout index` on its folder to update the catalog.",
        )
    return path

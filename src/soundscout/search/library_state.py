"""What a library holds and what is happening to it, for `status`, /api/stats and the
errors of a search that comes too early."""

from __future__ import annotations

from pathlib import Path

from soundscout.catalog import segments as segdb
from soundscout.catalog.catalog import Catalog
from soundscout.encoders.base import Encoder
from soundscout.errors import EmptyLibraryError
from soundscout.index.faiss_index import CURRENT_FILE, VectorIndex
from soundscout.ingest.run_state import read_run_state


def run_in_progress(library_dir: Path) -> dict[str, object] | None:
    """The index run changing this library now (phase, done, total, root, started)."""
    state = read_run_state(library_dir)
    if state is None:
        return None
    return {
        "phase": state.phase,
        "done": state.done,
        "total": state.total,
        "root": state.root,
        "started": state.started,
    }


def describe_run(run: dict[str, object]) -> str:
    """ "indexing 120 of 848 files" (or "scanning") for an index run's state."""
    if run["total"] is None:
        return str(run["phase"])
    return f"{run['phase']} {run['done']} of {run['total']} files"


def nothing_indexed(library_dir: Path) -> EmptyLibraryError:
    """The error for a search before any sound is indexed, naming a run under way."""
    run = run_in_progress(library_dir)
    if run is None:
        return EmptyLibraryError("No sounds are indexed yet.")
    return EmptyLibraryError(
        f"No sounds are indexed yet: an index run is under way ({describe_run(run)}).",
        hint="Search again in a moment: sounds can be found as soon as the first batch "
        "is committed.",
    )


def decoder_warned(catalog: Catalog, limit: int = 10) -> dict[str, object]:
    """How many indexed sounds made the decoders print (their files may be damaged), and
    the first ``limit`` of them (id, path)."""
    where = "decoder_warnings IS NOT NULL AND decoder_warnings != '[]'"
    count = catalog.query(f"SELECT COUNT(*) FROM sounds WHERE {where}")[0][0]
    rows = catalog.query(f"SELECT id, path FROM sounds WHERE {where} ORDER BY id LIMIT ?", [limit])
    return {"count": count, "sounds": [{"id": i, "path": p} for i, p in rows]}


def moments_state(catalog: Catalog, max_file_seconds: float | None) -> dict[str, object]:
    """Sounds with segments, segments in all, and the sounds cut at ``max_file_seconds``."""
    with catalog.reading() as conn:
        sounds, segments = segdb.segment_counts(conn)
        count, cut = segdb.cut_sounds(conn, max_file_seconds) if max_file_seconds else (0, [])
    return {
        "sounds": sounds,
        "segments": segments,
        "cut": {
            "count": count,
            "max_file_seconds": max_file_seconds,
            "sounds": [{"id": i, "path": p, "duration": d} for i, p, d in cut],
        },
    }


def library_stats(
    library_dir: Path,
    catalog: Catalog,
    encoder_name: str,
    encoder: Encoder | None,
    index_dir: Path,
    max_file_seconds: float | None = None,
) -> dict[str, object]:
    """Counts, encoder (its version once loaded), words, a run under way, the saved index,
    the segments of long sounds (moments) and the sounds too long to embed whole."""
    manifest = VectorIndex.saved_manifest(index_dir)
    loaded = {"version": encoder.version, "dim": encoder.dim} if encoder is not None else {}
    return {
        "library": str(library_dir),
        "roots": catalog.roots(),
        "sounds": catalog.counts(),
        "catalog_revision": catalog.revision,
        "encoder": {"name": encoder_name, **loaded},
        "words": catalog.words_counts(),
        "decoder_warnings": decoder_warned(catalog),
        "moments": moments_state(catalog, max_file_seconds),
        "indexing": run_in_progress(library_dir),
        # files in the index folder, none of them readable: damaged, not missing
        "index_unreadable": manifest is None and (index_dir / CURRENT_FILE).is_file(),
        "index": None
        if manifest is None
        else {
            "type": manifest.index_type,
            "count": manifest.count,
            "catalog_revision": manifest.catalog_revision,
            "params": manifest.params,
            "encoder": manifest.encoder_name,
            "encoder_version": manifest.encoder_version,
            "dim": manifest.dim,
            "stale": manifest.catalog_revision != catalog.revision,
        },
    }

"""Bit depth end to end: read while indexing, stored, in search hits and the API; a library
indexed before bit depths were read gets them from its files' headers, nothing embedded."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx

from soundscout.catalog.catalog import CATALOG_FILENAME
from soundscout.search.query import Filters
from soundscout.search.service import SearchService
from tests.api.live import LiveServer
from tests.audiogen import tone, write_audio
from tests.conftest import make_settings

#: file -> (soundfile subtype or None for the format's default, bit depth)
FILES = {
    "wav16.wav": ("PCM_16", 16),
    "wav24.wav": ("PCM_24", 24),
    "flac24.flac": ("PCM_24", 24),
    "lossy.mp3": (None, None),
}


def _folder(root: Path) -> Path:
    for i, (name, (subtype, _)) in enumerate(FILES.items()):
        write_audio(root / name, tone(220 * (i + 1), 0.6), 22050, subtype=subtype)
    return root


def _by_name(service: SearchService) -> dict[str, int | None]:
    hits = service.search(filters=Filters(min_duration=0.1), k=20).hits  # browse all
    return {Path(hit.path).name: hit.bit_depth for hit in hits}


def test_bit_depth_from_index_to_the_api(tmp_path: Path) -> None:
    root = _folder(tmp_path / "sounds")
    settings = make_settings(tmp_path / "library", **{"ingest.workers": 2})
    service = SearchService(settings)
    try:
        assert service.index_folder(root, progress=False).ok == len(FILES)
        expected = {name: bits for name, (_, bits) in FILES.items()}
        assert _by_name(service) == expected
        ids = {Path(p).name: row.id for p, row in service.catalog.rows_under(str(root)).items()}
    finally:
        service.close()
    server = LiveServer(settings).start()
    try:
        results = httpx.get(
            f"{server.url}/api/search", params={"min_duration": 0.1, "k": 20}
        ).json()
        assert {r["name"]: r["bit_depth"] for r in results["results"]} == expected
        for name, bits in expected.items():
            sound = httpx.get(f"{server.url}/api/sounds/{ids[name]}").json()
            assert sound["bit_depth"] == bits, name
    finally:
        server.stop()


def _as_before_bit_depths(library: Path) -> None:
    """Turn a library back into what Soundscout wrote before migration 0006 (schema 5)."""
    conn = sqlite3.connect(library / CATALOG_FILENAME)
    try:
        conn.execute("DROP TABLE sound_word_forms_vocab")
        conn.execute("DROP TABLE sound_word_forms")
        conn.execute("ALTER TABLE segment_sets DROP COLUMN prints_version")
        conn.execute("ALTER TABLE segment_sets DROP COLUMN prints")
        conn.execute("DROP TABLE bit_depth_pending")
        conn.execute("ALTER TABLE sounds DROP COLUMN decoder_warnings")
        conn.execute("ALTER TABLE sounds DROP COLUMN bit_depth")
        conn.execute("PRAGMA user_version = 5")
        conn.commit()
    finally:
        conn.close()


def test_an_older_library_reads_bit_depths_without_embedding(tmp_path: Path) -> None:
    root, library = _folder(tmp_path / "sounds"), tmp_path / "library"
    settings = make_settings(library)
    service = SearchService(settings)
    service.index_folder(root, progress=False)
    service.close()
    _as_before_bit_depths(library)

    service = SearchService(settings)  # migrates: bit depths unknown, lossless files listed
    try:
        before = {
            p: (r.embedded_at, r.bit_depth) for p, r in service.catalog.rows_under("/").items()
        }
        assert {bits for _, bits in before.values()} == {None}
        report = service.index_folder(root, progress=False)
        assert report.bit_depths_read == 3  # not the MP3: lossy files have none
        assert (report.ok, report.failed, report.unchanged) == (0, 0, len(FILES))
        after = service.catalog.rows_under("/")
        for path, (embedded_at, _) in before.items():
            assert after[path].embedded_at == embedded_at, "embedded again"
        assert _by_name(service) == {name: bits for name, (_, bits) in FILES.items()}
        assert service.index_folder(root, progress=False).bit_depths_read == 0  # once only
    finally:
        service.close()

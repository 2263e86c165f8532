"""The FAISS wrapper and the manifest: exact/IVF, incremental updates, mismatch refusal."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from soundscout.encoders.tiny import TinyEncoder
from soundscout.errors import IndexMismatchError
from soundscout.index.faiss_index import IndexParams, VectorIndex
from soundscout.index.manifest import Manifest
from soundscout.search.service import SearchService


def _unit(n: int, dim: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.mark.parametrize("threshold", [10**9, 100])
def test_exact_and_ivf_find_each_vector_and_update(threshold: int, tmp_path: Path) -> None:
    vectors, ids = _unit(3000, 16), np.arange(1000, 4000)
    index = VectorIndex.build(16, ids, vectors, IndexParams(ann_threshold=threshold))
    assert index.is_ivf == (threshold <= 3000)
    _, found = index.search(vectors[:50], 1)
    assert (found[:, 0] == ids[:50]).mean() >= 0.95
    assert index.remove(ids[:10]) == 10 and index.count == 2990
    _, found = index.search(vectors[:1], 3)
    assert ids[0] not in found[0]
    index.add(ids[:1], vectors[:1])
    _, found = index.search(vectors[:1], 1)
    assert found[0, 0] == ids[0]
    _, only = index.search(vectors[:1], 5, allowed_ids=ids[100:103])
    assert set(only[0][only[0] >= 0]) <= set(ids[100:103])
    manifest = Manifest("t", "t-1", 16, index.count, 7, index.index_type, index.params)
    index.save(tmp_path, manifest)
    index.save(tmp_path, manifest)
    loaded, saved = VectorIndex.load(tmp_path)
    assert loaded.count == index.count and saved.catalog_revision == 7
    assert saved.params == index.params
    assert len(list(tmp_path.glob("gen-*"))) <= 2


def test_mismatched_encoder_is_refused(indexed: SearchService) -> None:
    other = SearchService(indexed.settings, encoder=TinyEncoder(dim=32))
    try:
        with pytest.raises(IndexMismatchError) as err:
            other.search(text="kick")
        assert "tiny-v1-d64-s0" in err.value.message and "soundscout index" in err.value.hint
    finally:
        other.close()


def test_manifest_check_names_both_encoders() -> None:
    manifest = Manifest("builtin", "b-1", 384, 10, 1, "flat")
    manifest.check_compatible("builtin", "b-1", 384)
    with pytest.raises(IndexMismatchError, match="clamp3"):
        manifest.check_compatible("clamp3", "c-1", 768)


def test_stale_index_is_caught_up_from_the_catalog(indexed: SearchService) -> None:
    saved = VectorIndex.saved_manifest(indexed.index_dir)
    assert saved.catalog_revision == indexed.catalog.revision
    victim = indexed.search(text="kick", k=1).hits[0].id
    indexed.catalog.delete([victim])  # another process changes the catalog
    assert indexed.stats()["index"]["stale"] is True
    hits = indexed.search(text="kick", k=100).hits
    assert victim not in [h.id for h in hits]
    fresh = SearchService(indexed.settings)  # a new process: loads the saved index, catches up
    try:
        assert victim not in [h.id for h in fresh.search(text="kick", k=100).hits]
        assert fresh.sync_index().count == indexed.catalog.counts()["done"]
    finally:
        fresh.close()


def test_rebuild_matches_catalog(indexed: SearchService) -> None:
    import shutil

    shutil.rmtree(indexed.index_dir)
    index = indexed.rebuild()
    assert index.count == indexed.catalog.counts()["done"]
    assert VectorIndex.saved_manifest(indexed.index_dir).count == index.count


@pytest.mark.parametrize("damage", ["garbled index", "missing generation", "pointer outside"])
def test_a_damaged_save_is_rebuilt_from_the_catalog(
    indexed: SearchService, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    folder = indexed.index_dir
    current = folder / (folder / "CURRENT").read_text().strip()
    expected = indexed.search(text="kick", k=5).hits
    if damage == "garbled index":
        (current / "index.faiss").write_bytes(b"garbage" * 100)
    elif damage == "missing generation":
        (folder / "CURRENT").write_text("gen-gone")
    else:
        (folder / "CURRENT").write_text("../../../etc")
    fresh = SearchService(indexed.settings)
    try:
        if damage != "garbled index":  # (its manifest is still readable)
            assert fresh.stats()["index"] is None  # nothing readable saved
        assert [h.id for h in fresh.search(text="kick", k=5).hits] == [h.id for h in expected]
        assert "cannot be read" in caplog.text and "rebuilt from the catalog" in caplog.text
        fresh.rebuild()
        assert fresh.stats()["index"]["count"] == indexed.catalog.counts()["done"]
    finally:
        fresh.close()

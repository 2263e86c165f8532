"""builtin-2's text tower: USE multilingual v3 in numpy, and its load cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from soundscout.encoders.use_text import DIM, MultilingualUSE

TEXTS = ["deep bass kick", "perro ladrando", "木のドアがバタンと閉まる", "", "rain " * 200]


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    """Vectors from a first load (no cache yet), and the cache folder it left."""
    root = tmp_path_factory.mktemp("use-cache")
    vectors = MultilingualUSE(cache_root=root).encode(TEXTS)
    return root, vectors


def test_vectors_are_normalised_rows(fresh: tuple[Path, np.ndarray]) -> None:
    _, vectors = fresh
    assert vectors.shape == (len(TEXTS), DIM) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert MultilingualUSE().encode([]).shape == (0, DIM)


def test_translations_are_nearer_than_other_meanings() -> None:
    tower = MultilingualUSE()
    pairs = {
        "dog barking": ["perro ladrando", "Hundegebell", "aboiement de chien", "犬の鳴き声"],
        "glass breaking": ["vidrio rompiéndose", "Glas zerbricht", "verre brisé", "玻璃破碎"],
    }
    english = tower.encode(list(pairs))
    for row, (_, translations) in enumerate(pairs.items()):
        sims = tower.encode(translations) @ english.T
        assert (sims[:, row] > sims[:, 1 - row] + 0.2).all(), sims


def test_a_second_process_loads_the_cache_and_gets_the_same_vectors(
    fresh: tuple[Path, np.ndarray],
) -> None:
    root, vectors = fresh
    (cache,) = root.iterdir()
    assert (cache / "done").exists() and (cache / "table.npy").exists()
    again = MultilingualUSE(cache_root=root)
    np.testing.assert_array_equal(again.encode(TEXTS), vectors)
    assert isinstance(again._use._backend.table, np.memmap)  # mapped, not inflated again


def test_a_damaged_cache_is_rebuilt(tmp_path: Path, fresh: tuple[Path, np.ndarray]) -> None:
    _, vectors = fresh
    MultilingualUSE(cache_root=tmp_path).encode(["x"])
    (cache,) = tmp_path.iterdir()
    (cache / "tokenizer.pickle").write_bytes(b"not a pickle")
    np.testing.assert_array_equal(MultilingualUSE(cache_root=tmp_path).encode(TEXTS), vectors)
    assert (cache / "done").exists()
    np.testing.assert_array_equal(MultilingualUSE(cache_root=tmp_path).encode(TEXTS), vectors)

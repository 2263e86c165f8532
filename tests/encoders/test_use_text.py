"""builtin-2's text tower: USE multilingual v3 in numpy, and its load cache."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from soundscout.encoders.use_text import DIM, MultilingualUSE

TEXTS = ["deep bass kick", "perro ladrando", "木のドアがバタンと閉まる", "", "rain " * 200]


@pytest.fixture(autouse=True)
def no_user_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Towers made without a cache_root load without a cache (nothing in the real home)."""
    monkeypatch.setenv("SOUNDSCOUT_TEXT_CACHE", "off")


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray, MultilingualUSE]:
    """A first load (no cache yet): its vectors, the cache root it filled, the tower."""
    root = tmp_path_factory.mktemp("use-cache")
    tower = MultilingualUSE(cache_root=root)
    return root, tower.encode(TEXTS), tower


def only_cache(root: Path) -> Path:
    (cache,) = [p for p in root.iterdir() if p.is_dir()]
    return cache


def test_vectors_are_normalised_rows(fresh) -> None:
    _, vectors, _ = fresh
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


def test_a_later_load_from_the_cache_is_the_same_model(fresh) -> None:
    root, vectors, first = fresh
    cache = only_cache(root)
    assert (cache / "done").exists() and (cache / "table.npy").exists()
    again = MultilingualUSE(cache_root=root)
    np.testing.assert_array_equal(again.encode(TEXTS), vectors)
    cached, built = again._use._backend, first._use._backend
    assert isinstance(cached.table, np.memmap)  # mapped, not inflated again
    assert set(vars(cached)) == set(vars(built))
    assert cached.threads == built.threads == 1 and again._use.threads == 1
    assert callable(cached._threadpool) and cached.sp is again._use._sp
    for key, value in vars(built).items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(getattr(cached, key), value)


def test_a_damaged_cache_is_rebuilt(tmp_path: Path, fresh) -> None:
    _, vectors, _ = fresh
    MultilingualUSE(cache_root=tmp_path).encode(["x"])
    cache = only_cache(tmp_path)
    (cache / "tokenizer.pickle").write_bytes(b"not a pickle")
    np.testing.assert_array_equal(MultilingualUSE(cache_root=tmp_path).encode(TEXTS), vectors)
    rebuilt = only_cache(tmp_path)
    assert (rebuilt / "tokenizer.pickle").read_bytes() != b"not a pickle"
    assert (rebuilt / "done").exists()


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_cache_others_can_write_is_not_loaded(tmp_path: Path, fresh) -> None:
    _, vectors, _ = fresh
    MultilingualUSE(cache_root=tmp_path).encode(["x"])
    cache = only_cache(tmp_path)
    # Somebody else's pickle: loading it would make the tokenizer a string.
    (cache / "tokenizer.pickle").write_bytes(pickle.dumps("planted"))
    cache.chmod(0o777)
    tower = MultilingualUSE(cache_root=tmp_path)
    np.testing.assert_array_equal(tower.encode(TEXTS), vectors)
    assert tower._use._sp != "planted"


def test_folded_case_makes_one_query_of_every_casing(fresh) -> None:
    from soundscout.encoders.builtin import cased_text_vectors
    from soundscout.encoders.builtin_config import case_forms

    _, _, tower = fresh
    casings = ["kick drum", "KICK DRUM", "Kick Drum", "kIcK dRuM"]
    raw = tower.encode(casings)
    # The tower alone is case-sensitive: the same words typed otherwise are another query.
    assert float(raw[0] @ raw[1]) < 0.7
    folded = cased_text_vectors(casings, "folded", tower.encode)
    np.testing.assert_allclose(folded, np.repeat(folded[:1], len(casings), axis=0), atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(folded, axis=1), 1.0, atol=1e-5)
    # Its vector is the mean of the lower-case and capitalised forms' vectors, normalised.
    forms = tower.encode(case_forms("KICK DRUM", "folded"))
    mean = forms.mean(0) / np.linalg.norm(forms.mean(0))
    np.testing.assert_allclose(folded[1], mean, atol=1e-5)
    # as-typed is the tower as it is; scripts without case have one form.
    np.testing.assert_allclose(cased_text_vectors(casings, "as-typed", tower.encode), raw)
    assert case_forms("底鼓", "folded") == ["底鼓"]
    assert case_forms("Tiefe BASSDRUM", "folded") == ["tiefe bassdrum", "Tiefe bassdrum"]
    assert cased_text_vectors([], "folded", tower.encode).shape == (0, DIM)
    with pytest.raises(ValueError, match="text_case"):
        case_forms("kick", "upper")

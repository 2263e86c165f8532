"""The clap encoder on a tiny random ClapModel saved in the hub's layout, against transformers.

The reference is transformers' own path: ``ClapProcessor`` then ``ClapModel.get_audio_features``
/ ``get_text_features``, loaded independently from the same folder.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import socket
from pathlib import Path
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from typer.testing import CliRunner  # noqa: E402

from soundscout.cli.models import app  # noqa: E402
from soundscout.encoders import hub  # noqa: E402
from soundscout.encoders import weights as W  # noqa: E402
from soundscout.encoders.clap import ClapEncoder, pool_windows, window_starts  # noqa: E402
from soundscout.encoders.registry import create_encoder  # noqa: E402
from soundscout.errors import EncoderUnavailableError  # noqa: E402
from tests.encoders.test_clamp3_weights import fake_hub  # noqa: E402

SR, WIN = 48000, 480000
SPEC = W.load_spec("clap")
WORDS = ["Ġdog", "Ġbark", "Ġkick", "Ġrain", "Ġdoor"]
SPECIALS = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>"}
SPECIALS |= {"pad_token": "<pad>", "cls_token": "<s>", "mask_token": "<mask>"}


def _tokenizer_files(root: Path) -> None:
    """A byte-level BPE vocabulary in RoBERTa's files (vocab.json, merges.txt, configs)."""
    from tokenizers import pre_tokenizers

    vocab = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for ch in sorted(pre_tokenizers.ByteLevel.alphabet()):
        vocab[ch] = len(vocab)
    merges = []
    for word in WORDS:
        for end in range(2, len(word) + 1):
            merges.append(f"{word[: end - 1]} {word[end - 1]}")
            vocab.setdefault(word[:end], len(vocab))
    vocab["<mask>"] = len(vocab)
    (root / "vocab.json").write_text(json.dumps(vocab))
    (root / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n")
    config = {"tokenizer_class": "RobertaTokenizer", "model_max_length": 512, **SPECIALS}
    (root / "tokenizer_config.json").write_text(json.dumps(config))
    (root / "special_tokens_map.json").write_text(json.dumps(SPECIALS))


def _randomise(model: Any, seed: int) -> None:
    """Every weight and buffer random (attention biases, batch-norm statistics included)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in [*model.named_parameters(), *model.named_buffers()]:
            if not tensor.is_floating_point():
                continue
            noise = torch.randn(tensor.shape, generator=gen)
            tensor.copy_(noise.abs() + 0.5 if name.endswith("running_var") else tensor + noise / 10)


def write_tiny_clap(root: Path, seed: int = 0, fused: bool = False, **preprocessor: Any) -> Path:
    """Every clap file, as downloaded, with a toy-size random ClapModel (``fused``: with
    the feature-fusion branch and the ``fusion`` feature extractor of laion/clap-htsat-fused)."""
    root.mkdir(parents=True, exist_ok=True)
    arch = W.load_spec("clap-tiny").architecture["model_config"]
    arch["audio_config"]["enable_fusion"] = fused
    config = transformers.ClapConfig(**arch)
    torch.manual_seed(seed)
    model = transformers.ClapModel(config)
    _randomise(model, seed)
    config.to_json_file(str(root / "config.json"))
    torch.save(model.state_dict(), root / "pytorch_model.bin")
    pp = {**SPEC.architecture["preprocessor_config"], **preprocessor}
    pp["truncation"] = "fusion" if fused else pp["truncation"]
    (root / "preprocessor_config.json").write_text(json.dumps(pp, indent=2))
    _tokenizer_files(root)
    return root


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_clap(tmp_path_factory.mktemp("clap-tiny"))


@pytest.fixture(scope="module")
def enc(tiny: Path) -> ClapEncoder:
    return create_encoder("clap", weights=tiny, device="cpu")  # type: ignore[return-value]


@pytest.fixture(scope="module")
def ref(tiny: Path) -> tuple[Any, Any]:
    """transformers' own model and processor, loaded on their own from the same folder."""
    model = transformers.ClapModel.from_pretrained(str(tiny), local_files_only=True).eval()
    return model, transformers.ClapProcessor.from_pretrained(str(tiny), local_files_only=True)


def _out(features: Any) -> np.ndarray:
    tensor = features if isinstance(features, torch.Tensor) else features.pooler_output
    return tensor.detach().numpy()


def ref_audio(ref: tuple[Any, Any], x: np.ndarray) -> np.ndarray:
    model, processor = ref
    inputs = processor(audio=x, sampling_rate=SR, return_tensors="pt")
    with torch.no_grad():
        return _out(model.get_audio_features(**inputs))[0]


def sound(seconds: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(seconds * SR))) / SR
    tone = np.sin(2 * np.pi * (180 + 90 * seed) * t * (1 + t / 8)) * np.exp(-3 * (t % 0.7))
    return (0.4 * tone + 0.03 * rng.standard_normal(t.size)).astype(np.float32)


# --- windows and pooling ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "starts"),
    [
        (0, [0]),
        (1, [0]),
        (WIN, [0]),
        (WIN + 1, [0, 1]),  # the last window ends at the file's end
        (2 * WIN, [0, WIN]),
        (25 * SR, [0, WIN, 15 * SR]),
    ],
)
def test_windows_are_fixed_10s_the_last_ending_at_the_end(n: int, starts: list[int]) -> None:
    assert window_starts(n, WIN, WIN) == starts


def test_window_times_name_each_window(enc: ClapEncoder) -> None:
    assert enc.window_times(3 * SR) == [(0.0, 3.0)]
    assert enc.window_times(25 * SR) == [(0.0, 10.0), (10.0, 20.0), (15.0, 25.0)]


def test_pooling_is_the_normalised_mean_of_the_window_vectors() -> None:
    a, b = np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.6, 0.8])
    np.testing.assert_allclose(pool_windows(np.stack([a, b])), (a + b) / np.linalg.norm(a + b))
    np.testing.assert_allclose(pool_windows(np.stack([b, a])), pool_windows(np.stack([a, b])))
    np.testing.assert_allclose(pool_windows(b[None]), b, rtol=1e-6)


# --- parity with transformers -----------------------------------------------------------------


@pytest.mark.parametrize("seconds", [0.05, 3.0, 10.0])
def test_one_window_equals_get_audio_features(enc: ClapEncoder, ref, seconds: float) -> None:
    x = sound(seconds)
    expected = ref_audio(ref, x)
    np.testing.assert_allclose(enc.encode_audio(x), expected, atol=1e-5)
    np.testing.assert_allclose(enc.embed_windows(x), expected[None], atol=1e-5)


def test_text_equals_get_text_features(enc: ClapEncoder, ref) -> None:
    model, processor = ref
    texts = ["dog bark", "a kick drum", "rain on a door", ""]
    with torch.no_grad():
        expected = _out(
            model.get_text_features(**processor(text=texts, return_tensors="pt", padding=True))
        )
    np.testing.assert_allclose(enc.encode_text(texts), expected, atol=1e-5)


def test_texts_are_cut_at_77_tokens(enc: ClapEncoder) -> None:
    long = " ".join(["dog"] * 80)  # 82 tokens with <s> and </s>
    np.testing.assert_allclose(
        enc.encode_text(long + " bark rain"), enc.encode_text(long + " kick")
    )
    assert not np.allclose(enc.encode_text("dog bark"), enc.encode_text("dog kick"))


def test_long_files_are_fixed_windows_then_pooled(enc: ClapEncoder, ref) -> None:
    x = sound(25.0, seed=1)
    rows = enc.embed_windows(x)
    assert rows.shape == (3, enc.dim)
    for row, (start, end) in zip(rows, enc.window_times(x.size), strict=True):
        np.testing.assert_allclose(
            row, ref_audio(ref, x[int(start * SR) : int(end * SR)]), atol=1e-5
        )
    np.testing.assert_allclose(enc.encode_audio(x), pool_windows(rows), atol=1e-6)
    np.testing.assert_array_equal(enc.encode_audio(x), enc.encode_audio(x))


def test_same_file_same_vector_alone_or_in_any_batch(enc: ClapEncoder) -> None:
    files = [sound(0.3, 0), sound(4.0, 1), sound(10.0, 2), sound(23.0, 3), np.zeros(0, np.float32)]
    alone = np.stack([enc.encode_audio(x) for x in files])
    small = ClapEncoder(enc.model, enc.processor, enc.arch, enc.version, batch_windows=3)
    for encoder in (enc, small):
        np.testing.assert_allclose(encoder.encode_audio(files, batch_size=5), alone, atol=1e-5)
        backwards = encoder.encode_audio(files[::-1], batch_size=2)[::-1]
        np.testing.assert_allclose(backwards, alone, atol=1e-5)
    assert np.isfinite(alone).all()


def test_fused_checkpoints_never_take_the_random_longer_flag(tmp_path: Path) -> None:
    """The fusion feature extractor flags a random item of an all-short batch as longer."""
    root = write_tiny_clap(tmp_path / "fused", fused=True)
    encoder = create_encoder("clap", weights=root, device="cpu")
    model = transformers.ClapModel.from_pretrained(str(root), local_files_only=True).eval()
    processor = transformers.ClapProcessor.from_pretrained(str(root), local_files_only=True)
    files = [sound(4.0, 1), sound(0.3, 0)]
    inputs = processor(audio=files, sampling_rate=SR, return_tensors="pt")
    assert inputs["is_longer"].sum() == 1
    inputs["is_longer"][:] = False
    with torch.no_grad():
        expected = _out(model.get_audio_features(**inputs))
    np.testing.assert_allclose(encoder.encode_audio(files), expected, atol=1e-5)
    np.testing.assert_allclose(encoder.encode_audio(files[0]), expected[0], atol=1e-5)


# --- loading -------------------------------------------------------------------------------------


def _edit_state(root: Path, edit) -> None:
    path = root / "pytorch_model.bin"
    state = torch.load(path, weights_only=True)
    edit(state)
    torch.save(state, path)


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (
            lambda s: s.pop("text_projection.linear1.bias"),
            "missing ['text_projection.linear1.bias']",
        ),
        (lambda s: s.__setitem__("audio_model.extra.weight", torch.zeros(1)), "audio_model.extra"),
        (
            lambda s: s.__setitem__("audio_projection.linear2.bias", torch.zeros(3)),
            "wrong shape for its config.json: ['audio_projection.linear2.bias']",
        ),
    ],
)
def test_weights_must_match_the_architecture(tmp_path: Path, edit, named: str) -> None:
    root = write_tiny_clap(tmp_path / "clap")
    _edit_state(root, edit)
    with pytest.raises(EncoderUnavailableError, match="The CLAP checkpoint in") as info:
        create_encoder("clap", weights=root, device="cpu")
    assert named in info.value.message


def test_recomputed_buffers_may_be_absent(tmp_path: Path, enc: ClapEncoder) -> None:
    root = write_tiny_clap(tmp_path / "clap")
    buffers = ("embeddings.position_ids", "embeddings.token_type_ids", "relative_position_index")
    _edit_state(root, lambda s: [s.pop(k) for k in list(s) if k.endswith(buffers)])
    other = create_encoder("clap", weights=root, device="cpu")
    np.testing.assert_allclose(
        other.encode_text("dog bark"), enc.encode_text("dog bark"), atol=1e-6
    )
    np.testing.assert_allclose(
        other.encode_audio(sound(2.0)), enc.encode_audio(sound(2.0)), atol=1e-6
    )


def test_a_feature_extractor_of_another_rate_is_refused(tmp_path: Path) -> None:
    root = write_tiny_clap(tmp_path / "clap", sampling_rate=44100)
    with pytest.raises(EncoderUnavailableError, match="44100 Hz"):
        create_encoder("clap", weights=root, device="cpu")


def test_missing_files_are_named_with_their_pinned_urls(tmp_path: Path) -> None:
    with pytest.raises(EncoderUnavailableError) as info:
        create_encoder("clap", weights=tmp_path / "none", device="cpu")
    assert "not downloaded" in info.value.message  # nothing there: not "incomplete"
    assert "soundscout models download clap" in (info.value.hint or "")
    first, *rest = SPEC.files
    (tmp_path / "some" / first.filename).parent.mkdir(parents=True)
    (tmp_path / "some" / first.filename).write_text("{}")
    with pytest.raises(EncoderUnavailableError) as info:
        create_encoder("clap", weights=tmp_path / "some", device="cpu")
    assert "incomplete" in info.value.message
    for item in rest:
        assert str(tmp_path / "some" / item.filename) in info.value.message
    rev = "ada0c23a36c4e8582805bb38fec3905903f18b41"
    assert f"huggingface.co/laion/larger_clap_general/resolve/{rev}/pytorch_model.bin" in (
        info.value.message
    )
    assert "soundscout models download clap" in (info.value.hint or "")


def test_version_names_the_weights(tmp_path: Path, tiny: Path, enc: ClapEncoder) -> None:
    assert enc.version.startswith("clap-pp1-")
    assert create_encoder("clap", weights=tiny, device="cpu").version == enc.version
    other = create_encoder("clap", weights=write_tiny_clap(tmp_path / "o", seed=5), device="cpu")
    assert other.version != enc.version
    assert W.read_manifest(tmp_path / "o")["pytorch_model.bin"]["sha256"]


def test_packaged_config_is_the_pinned_checkpoint_config() -> None:
    """The real-size config the benchmark builds is byte for byte the pinned config.json."""
    text = json.dumps(SPEC.architecture["model_config"], indent=2, sort_keys=True) + "\n"
    assert hashlib.sha256(text.encode()).hexdigest() == SPEC.file("config").sha256
    pp = json.dumps(SPEC.architecture["preprocessor_config"], indent=2, sort_keys=True) + "\n"
    assert hashlib.sha256(pp.encode()).hexdigest() == SPEC.file("preprocessor").sha256


# --- soundscout models -----------------------------------------------------------------------

runner = CliRunner()


def test_list_shows_clap_its_alternative_and_licences(tmp_path: Path) -> None:
    result = runner.invoke(app, ["list", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "clap: not installed (7 files missing)" in result.output
    assert "clap-htsat-unfused: not installed (7 files missing)" in result.output
    assert "laion/larger_clap_general, model card): Apache-2.0" in result.output


def test_download_records_every_file_and_loads(tiny: Path, tmp_path: Path, enc) -> None:
    unpinned = dataclasses.replace(
        SPEC, files=tuple(dataclasses.replace(f, sha256=None) for f in SPEC.files)
    )
    calls: list[str] = []
    fetch, info = fake_hub(tiny, calls)
    hub.download_files(unpinned, tmp_path, fetch=fetch, remote_info=info)
    assert sorted(calls) == sorted(f.role for f in SPEC.files)
    manifest = W.read_manifest(tmp_path)
    assert manifest["pytorch_model.bin"]["sha256"] == W.sha256_of(tiny / "pytorch_model.bin")
    assert manifest["config.json"]["revision"] == SPEC.file("config").revision
    loaded = create_encoder("clap", weights=tmp_path, device="cpu")
    assert loaded.version == enc.version
    np.testing.assert_allclose(loaded.encode_text("dog"), enc.encode_text("dog"))


def test_download_checks_the_pinned_sha256(tiny: Path, tmp_path: Path, monkeypatch) -> None:
    fetch, info = fake_hub(tiny, [])
    monkeypatch.setattr(hub, "hub_fetch", fetch)
    monkeypatch.setattr(hub, "hub_remote_info", info)
    result = runner.invoke(app, ["download", "clap", "--dir", str(tmp_path)])
    assert result.exit_code != 0
    assert f"expected {SPEC.file('config').sha256}" in str(result.exception)
    assert not (tmp_path / "config.json").exists()


def test_download_of_the_alternative_checkpoint(tiny: Path, tmp_path: Path, monkeypatch) -> None:
    calls: list[str] = []
    fetch, info = fake_hub(tiny, calls)
    monkeypatch.setattr(hub, "hub_fetch", fetch)
    monkeypatch.setattr(hub, "hub_remote_info", info)
    result = runner.invoke(app, ["download", "clap-htsat-unfused", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Apache-2.0" in result.output and "`encoder.name: clap`" in result.output
    assert len(calls) == 7
    loaded = create_encoder("clap", weights=tmp_path, device="cpu", variant="clap-htsat-unfused")
    assert loaded.encode_audio(sound(1.0)).shape == (8,)


def test_download_offline_says_what_failed_and_what_to_do(tmp_path: Path, monkeypatch) -> None:
    import huggingface_hub

    with socket.socket() as sock:  # a port on this machine that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", f"http://127.0.0.1:{port}")
    result = runner.invoke(app, ["download", "clap", "--dir", str(tmp_path / "c")])
    assert result.exit_code != 0
    error = result.exception
    assert isinstance(error, EncoderUnavailableError)
    url = SPEC.file("config").url
    assert f"Could not download {url}" in error.message and "Connect" in error.message
    assert "copy the files" in (error.hint or "")
    assert not (tmp_path / "c" / "config.json").exists()
    shutil.rmtree(tmp_path / "c", ignore_errors=True)

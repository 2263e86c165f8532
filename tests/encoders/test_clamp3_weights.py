"""clamp3 weights: strict loading of the reference layouts, conversion, download, errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from soundscout.encoders import checkpoints, hub  # noqa: E402
from soundscout.encoders import weights as W  # noqa: E402
from soundscout.encoders.mert import (  # noqa: E402
    check_mert_config,
    legacy_to_parametrized,
    parametrized_to_legacy,
)
from soundscout.encoders.registry import create_encoder  # noqa: E402
from soundscout.errors import EncoderUnavailableError  # noqa: E402
from tests.encoders.conftest import tiny_arch, write_tiny_weights  # noqa: E402

SPEC = W.load_spec("clamp3")


def load(root: Path):
    return create_encoder("clamp3", weights=root, device="cpu", architecture="clamp3-tiny")


def sound(seconds: float = 6.0) -> np.ndarray:
    t = np.arange(int(seconds * 24000)) / 24000
    return (np.sin(2 * np.pi * 330 * t) * np.exp(-(t % 0.5) * 6)).astype(np.float32)


def test_missing_weights_name_every_file_and_where(tmp_path: Path) -> None:
    with pytest.raises(EncoderUnavailableError) as info:
        load(tmp_path / "nothing")
    message = info.value.message
    for item in SPEC.files:
        assert (str(tmp_path / "nothing" / item.relpath) in message) == item.required
    assert "huggingface.co/sander-wood/clamp3/resolve/main/weights_clamp3_saas" in message
    assert "soundscout models download clamp3" in (info.value.hint or "")


def test_only_the_missing_file_is_named(fresh_tiny_weights: Path) -> None:
    (fresh_tiny_weights / SPEC.file("tokenizer").relpath).unlink()
    with pytest.raises(EncoderUnavailableError) as info:
        load(fresh_tiny_weights)
    assert "tokenizer.json" in info.value.message
    assert "pytorch_model.bin" not in info.value.message


def test_default_location_is_the_models_cache(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SOUNDSCOUT_MODELS_DIR", str(tmp_path))
    assert W.model_dir("clamp3") == tmp_path / "clamp3"
    assert W.model_dir("clamp3", tmp_path / "x") == tmp_path / "x"
    write_tiny_weights(tmp_path / "clamp3")
    assert create_encoder("clamp3", device="cpu", architecture="clamp3-tiny").dim == 16


def test_legacy_weight_norm_keys_load_into_the_parametrization(tiny_clamp3, tiny_weights) -> None:
    saved = torch.load(tiny_weights / SPEC.file("mert_weights").relpath, weights_only=True)
    conv = tiny_clamp3.mert.model.encoder.pos_conv_embed.conv
    g = saved["encoder.pos_conv_embed.conv.weight_g"]
    v = saved["encoder.pos_conv_embed.conv.weight_v"]
    torch.testing.assert_close(conv.weight, torch._weight_norm(v, g, 2))
    state = {"a.conv.weight_g": 1, "a.conv.weight_v": 2, "a.conv.bias": 3}
    assert parametrized_to_legacy(legacy_to_parametrized(state)) == state


@pytest.mark.parametrize("change", ["extra", "missing"])
def test_mert_keys_are_checked_strictly(fresh_tiny_weights: Path, change: str) -> None:
    path = fresh_tiny_weights / SPEC.file("mert_weights").relpath
    state = torch.load(path, weights_only=True)
    if change == "extra":
        state["encoder.unexpected.weight"] = torch.zeros(1)
    else:
        del state["encoder.layers.0.attention.k_proj.weight"]
    torch.save(state, path)
    with pytest.raises(EncoderUnavailableError, match="MERT checkpoint"):
        load(fresh_tiny_weights)


@pytest.mark.parametrize("change", ["extra", "missing"])
def test_clamp3_keys_are_checked_strictly(fresh_tiny_weights: Path, change: str) -> None:
    path = fresh_tiny_weights / SPEC.file("clamp3_weights").relpath
    checkpoint = torch.load(path, weights_only=True)
    if change == "extra":
        checkpoint["model"]["audio_model.encoder.extra.weight"] = torch.zeros(1)
    else:
        del checkpoint["model"]["text_proj.bias"]
    torch.save(checkpoint, path)
    with pytest.raises(EncoderUnavailableError, match="CLaMP 3 checkpoint"):
        load(fresh_tiny_weights)


def test_unusable_mert_configs_are_refused() -> None:
    arch = tiny_arch()["mert"]
    check_mert_config({**arch, "feature_extractor_cqt": False}, arch)
    with pytest.raises(EncoderUnavailableError, match="cqt"):
        check_mert_config({**arch, "feature_extractor_cqt": True}, arch)
    with pytest.raises(EncoderUnavailableError, match="hidden_size"):
        check_mert_config({**arch, "hidden_size": 1024}, arch)


def test_slim_conversion_keeps_vectors_and_version(fresh_tiny_weights: Path, tiny_clamp3) -> None:
    slim = checkpoints.convert_model(SPEC, fresh_tiny_weights)
    assert slim is not None and slim.name == "clamp3-saas-slim.safetensors"
    assert not (fresh_tiny_weights / SPEC.file("clamp3_weights").relpath).exists()
    keys = checkpoints.load_tensors(slim).keys()
    assert {k.split(".")[0] for k in keys} == {
        "text_model",
        "text_proj",
        "audio_model",
        "audio_proj",
    }
    assert not any(".pooler." in k for k in keys)
    encoder = load(fresh_tiny_weights)
    assert encoder.version == tiny_clamp3.version
    x = sound()
    np.testing.assert_allclose(encoder.encode_audio(x), tiny_clamp3.encode_audio(x), atol=1e-6)
    np.testing.assert_allclose(encoder.encode_text("dog"), tiny_clamp3.encode_text("dog"))


def test_version_names_the_weights(tmp_path: Path, tiny_clamp3) -> None:
    other = load(write_tiny_weights(tmp_path / "other", seed=7))
    assert other.version != tiny_clamp3.version
    manifest = W.read_manifest(tmp_path / "other")
    assert SPEC.file("clamp3_weights").relpath in manifest


def fake_hub(source: Path, calls: list[str], corrupt: str | None = None):
    """fetch/remote_info that copy from a local folder, as the hub would serve it."""

    def remote_info(item: W.WeightFile) -> hub.RemoteFile:
        path = source / item.relpath
        sha = "0" * 64 if item.role == corrupt else W.sha256_of(path)
        return hub.RemoteFile(size=path.stat().st_size, sha256=sha)

    def fetch(item: W.WeightFile, root: Path) -> Path:
        calls.append(item.role)
        target = root / item.relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / item.relpath, target)
        return target

    return fetch, remote_info


def test_download_verifies_records_and_resumes(tiny_weights: Path, tmp_path: Path) -> None:
    calls: list[str] = []
    fetch, info = fake_hub(tiny_weights, calls)
    paths = hub.download_files(SPEC, tmp_path, fetch=fetch, remote_info=info)
    assert sorted(paths) == sorted(f.role for f in SPEC.files)
    manifest = json.loads((tmp_path / W.MANIFEST_NAME).read_text())["files"]
    mert = SPEC.file("mert_weights").relpath
    assert manifest[mert]["sha256"] == W.sha256_of(tiny_weights / mert)
    calls.clear()
    (tmp_path / SPEC.file("tokenizer").relpath).unlink()
    hub.download_files(SPEC, tmp_path, fetch=fetch, remote_info=info)
    assert calls == ["tokenizer"]  # files already there are not fetched again


def test_download_rejects_a_corrupt_file(tiny_weights: Path, tmp_path: Path) -> None:
    fetch, info = fake_hub(tiny_weights, [], corrupt="clamp3_weights")
    with pytest.raises(EncoderUnavailableError, match="sha256"):
        hub.download_files(SPEC, tmp_path, fetch=fetch, remote_info=info)
    assert not (tmp_path / SPEC.file("clamp3_weights").relpath).exists()


def test_missing_extra_says_what_to_install() -> None:
    with pytest.raises(EncoderUnavailableError) as info:
        W.require("soundscout_no_such_package")
    assert "soundscout[clamp3]" in (info.value.hint or "")


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is present")
def test_cuda_without_a_gpu_is_an_error(tiny_weights: Path) -> None:
    with pytest.raises(EncoderUnavailableError, match="CUDA"):
        create_encoder("clamp3", weights=tiny_weights, device="cuda", architecture="clamp3-tiny")
    auto = create_encoder("clamp3", weights=tiny_weights, device="auto", architecture="clamp3-tiny")
    assert auto.device == "cpu"

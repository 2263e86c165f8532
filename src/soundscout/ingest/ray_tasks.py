"""What runs on the Ray workers of ``--engine ray``: decode tasks and encoder actors.

Importable from the installed package (Ray workers unpickle these by reference) and
free of any Ray import, so that the local engine's tests need no Ray. The rows that
travel between the stages are plain columns: ids, paths, waveform bytes, metadata,
vectors and failure reasons.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from soundscout.audio.decode import AudioInfo
from soundscout.catalog.catalog import Outcome
from soundscout.config import EncoderSettings
from soundscout.encoders.base import Encoder
from soundscout.errors import EncoderUnavailableError
from soundscout.ingest.stages import Decoded, decode_stage, embed_stage


@dataclass(frozen=True)
class EncoderSpec:
    """How an actor creates its own copy of the encoder (by registry name)."""

    name: str
    weights: str | None = None
    device: str = "auto"
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: EncoderSettings) -> EncoderSpec:
        """The spec of the configured encoder (``encoder.*``)."""
        weights = str(settings.weights) if settings.weights is not None else None
        return cls(settings.name, weights, settings.device)

    def create(self) -> Encoder:
        """The encoder, created through the registry on this process's devices."""
        from soundscout.encoders.registry import create_encoder

        return create_encoder(self.name, device=self.device, weights=self.weights, **self.options)


def decode_row(row: dict[str, Any], sample_rate: int, max_seconds: float | None) -> dict[str, Any]:
    """Decode task: one pending (sound_id, path) into a waveform row or a failure row."""
    item = decode_stage(int(row["sound_id"]), str(row["path"]), sample_rate, max_seconds)
    info = item.info
    wave = item.waveform if item.waveform is not None else np.zeros(0, np.float32)
    return {
        "sound_id": item.sound_id,
        "path": item.path,
        "wave": np.ascontiguousarray(wave, dtype=np.float32).tobytes(),
        "error": item.error or "",
        "content_hash": item.content_hash or "",
        "duration": info.duration if info else math.nan,
        "sample_rate": info.sample_rate if info else -1,
        "channels": info.channels if info else -1,
        "format": info.format if info else "",
        "bit_depth": _int_or_minus(info.bit_depth if info else None),
        "decoder_warnings": "\n".join(item.decoder_warnings),
    }


class EmbedActor:
    """Encoder actor: one model copy, embeds batches of decoded rows."""

    def __init__(self, spec: EncoderSpec, expected_version: str, batch_size: int) -> None:
        _one_torch_thread()
        self.encoder = spec.create()
        self.batch_size = batch_size
        if self.encoder.version != expected_version:
            raise EncoderUnavailableError(
                f"The Ray workers created encoder {self.encoder.version}, but the driver "
                f"embeds with {expected_version}.",
                hint="Give every node the same encoder weights (encoder.weights on a shared "
                "mount) and the same Soundscout version.",
            )

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        items = [_decoded(batch, i, self.encoder.sample_rate) for i in range(len(batch["path"]))]
        paths = {item.sound_id: item.path for item in items}
        outcomes = embed_stage(self.encoder, items, self.batch_size)
        return outcome_columns(outcomes, paths, self.encoder.dim)


def _one_torch_thread() -> None:
    """One intra-op thread per actor: the actor count already matches the CPUs."""
    try:
        import torch
    except ImportError:
        return
    torch.set_num_threads(1)


def _decoded(batch: dict[str, np.ndarray], i: int, rate: int) -> Decoded:
    """Rebuild the decode stage's item from one row of a decoded batch."""
    item = Decoded(int(batch["sound_id"][i]), str(batch["path"][i]), rate=rate)
    item.error = str(batch["error"][i]) or None
    item.content_hash = str(batch["content_hash"][i]) or None
    if int(batch["sample_rate"][i]) >= 0:
        item.info = AudioInfo(
            duration=float(batch["duration"][i]),
            sample_rate=int(batch["sample_rate"][i]),
            channels=int(batch["channels"][i]),
            format=str(batch["format"][i]),
            frames=None,
            bit_depth=_none_if_minus(batch["bit_depth"][i]),
        )
    item.decoder_warnings = _lines(batch["decoder_warnings"][i])
    if item.error is None:
        item.waveform = np.frombuffer(batch["wave"][i], dtype=np.float32)
    return item


def outcome_columns(outcomes: list[Outcome], paths: dict[int, str], dim: int) -> dict[str, Any]:
    """Outcomes as columns (vector rows are zeros where ``error`` is set)."""
    vectors = np.zeros((len(outcomes), dim), dtype=np.float32)
    for row, outcome in enumerate(outcomes):
        if outcome.vector is not None:
            vectors[row] = outcome.vector
    return {
        "sound_id": np.array([o.sound_id for o in outcomes], dtype=np.int64),
        "path": np.array([paths[o.sound_id] for o in outcomes], dtype=object),
        "vector": vectors,
        "error": np.array([o.error or "" for o in outcomes], dtype=object),
        "content_hash": np.array([o.content_hash or "" for o in outcomes], dtype=object),
        "duration": np.array([_nan(o.duration) for o in outcomes], dtype=np.float64),
        "sample_rate": np.array([o.sample_rate or -1 for o in outcomes], dtype=np.int64),
        "channels": np.array([o.channels or -1 for o in outcomes], dtype=np.int64),
        "format": np.array([o.format or "" for o in outcomes], dtype=object),
        "bit_depth": np.array([_int_or_minus(o.bit_depth) for o in outcomes], dtype=np.int64),
        "decoder_warnings": np.array(
            ["\n".join(o.decoder_warnings) for o in outcomes], dtype=object
        ),
    }


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def _int_or_minus(value: int | None) -> int:
    return -1 if value is None else int(value)


def _none_if_minus(value: object) -> int | None:
    number = int(value)  # type: ignore[call-overload]
    return None if number < 0 else number


def _lines(text: object) -> tuple[str, ...]:
    return tuple(line for line in str(text).split("\n") if line)


def outcomes_from_columns(batch: dict[str, np.ndarray]) -> Iterator[tuple[str, Outcome]]:
    """(path, Outcome) per row of an actor's output batch."""
    for i in range(len(batch["sound_id"])):
        error = str(batch["error"][i]) or None
        duration = float(batch["duration"][i])
        rate, channels = int(batch["sample_rate"][i]), int(batch["channels"][i])
        yield (
            str(batch["path"][i]),
            Outcome(
                int(batch["sound_id"][i]),
                content_hash=str(batch["content_hash"][i]) or None,
                duration=None if math.isnan(duration) else duration,
                sample_rate=rate if rate >= 0 else None,
                channels=channels if channels >= 0 else None,
                format=str(batch["format"][i]) or None,
                vector=None if error else np.array(batch["vector"][i], dtype=np.float32),
                error=error,
                bit_depth=_none_if_minus(batch["bit_depth"][i]),
                decoder_warnings=_lines(batch["decoder_warnings"][i]),
            ),
        )

"""What runs on the Ray workers of ``--engine ray``: decode tasks and encoder actors.

Importable from the installed package (Ray workers unpickle these by reference) and
free of any Ray import, so that the local engine's tests need no Ray. The rows that
travel between the stages are plain columns: ids, paths, waveform bytes, metadata, the
file's tags, its fingerprint, vectors, a long sound's segments (moments) and failure
reasons; so a Ray run stores all that a local run does, and nothing is read again after.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from soundscout.audio.decode import AudioInfo
from soundscout.catalog.catalog import Outcome
from soundscout.config import EncoderSettings
from soundscout.duplicates.fingerprint import BANDS, Print
from soundscout.encoders.base import Encoder
from soundscout.errors import EncoderUnavailableError
from soundscout.ingest.stages import Decoded, SegmentPlan, decode_stage, embed_stage
from soundscout.moments.segments import Segments


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
        **_file_columns(item.tags, item.tag_warnings, item.audio_hash, item.fingerprint),
    }


def _file_columns(
    tags: dict[str, str] | None,
    tag_warnings: tuple[str, ...],
    audio_hash: str | None,
    fingerprint: Print | None,
) -> dict[str, Any]:
    """What a file carries besides its audio: tags, the decoded audio's hash, its print."""
    return {
        "tags": "" if tags is None else json.dumps(tags),
        "tag_warnings": "\n".join(tag_warnings),
        "audio_hash": audio_hash or "",
        "print": b"" if fingerprint is None or fingerprint.data is None else fingerprint.data,
        "print_version": _print_version(fingerprint),
    }


def _print_version(fingerprint: Print | None) -> int:
    """-1: no print; 0: a silent sound's; else the print's version."""
    if fingerprint is None:
        return -1
    return 0 if fingerprint.silent else fingerprint.version


def _tags(text: object) -> dict[str, str] | None:
    return json.loads(str(text)) if str(text) else None


def _print(data: object, version: object) -> Print | None:
    number = int(version)  # type: ignore[call-overload]
    if number < 0:
        return None
    if number == 0:
        return Print(None, silent=True)
    return Print(bytes(data), silent=False, version=number)  # type: ignore[call-overload]


class EmbedActor:
    """Encoder actor: one model copy, embeds batches of decoded rows.

    With a ``plan``, a long sound decoded whole also gets its segments (moments), as in a
    local run; one the decode task cut short (longer than ``stream_seconds``, which a
    local run streams in pieces) gets none, and the next local ``index`` adds them.
    """

    def __init__(
        self,
        spec: EncoderSpec,
        expected_version: str,
        batch_size: int,
        plan: SegmentPlan | None = None,
    ) -> None:
        _one_torch_thread()
        self.encoder = spec.create()
        self.batch_size, self.plan = batch_size, plan
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
        whole, cut = [], []
        for item in items:
            (cut if _cut_short(item, self.plan) else whole).append(item)
        outcomes = embed_stage(self.encoder, whole, self.batch_size, plan=self.plan)
        for item in cut:  # a hash of part of the audio would make takes that differ later
            item.audio_hash = None  # look like exact copies; the next local run hashes it
        if cut:
            outcomes += embed_stage(self.encoder, cut, self.batch_size)
        return outcome_columns(outcomes, paths, self.encoder.dim)


def _cut_short(item: Decoded, plan: SegmentPlan | None) -> bool:
    """Whether the decode task kept less of a sound than a local run embeds (it streams
    what is longer than a piece, up to ``plan.max_seconds``)."""
    if plan is None or item.info is None or item.waveform is None:
        return False
    kept = item.seconds
    if plan.max_seconds is not None and kept >= plan.max_seconds - 0.01:
        return False  # a local run stops there too
    return item.info.duration > kept + 0.01


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
    item.tags, item.tag_warnings = _tags(batch["tags"][i]), _lines(batch["tag_warnings"][i])
    item.audio_hash = str(batch["audio_hash"][i]) or None
    item.fingerprint = _print(batch["print"][i], batch["print_version"][i])
    if item.error is None:  # writable: a model may take it as a tensor
        item.waveform = np.frombuffer(bytearray(batch["wave"][i]), dtype=np.float32)
    return item


def outcome_columns(outcomes: list[Outcome], paths: dict[int, str], dim: int) -> dict[str, Any]:
    """Outcomes as columns (vector rows are zeros where ``error`` is set)."""
    vectors = np.zeros((len(outcomes), dim), dtype=np.float32)
    for row, outcome in enumerate(outcomes):
        if outcome.vector is not None:
            vectors[row] = outcome.vector
    extra = [
        _file_columns(o.tags, o.tag_warnings, o.audio_hash, o.fingerprint)
        | _segment_columns(o.segments)
        for o in outcomes
    ]
    keys = [*_file_columns(None, (), None, None), *_segment_columns(None)]
    return {
        **{key: np.array([row[key] for row in extra], dtype=object) for key in keys},
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


def _segment_columns(segments: Segments | None) -> dict[str, Any]:
    """A long sound's segments as bytes (empty for a sound without)."""
    if segments is None:
        return {"segment_times": b"", "segment_vectors": b"", "segment_prints": b""}
    prints = segments.prints
    return {
        "segment_times": np.ascontiguousarray(segments.times, dtype=np.float32).tobytes(),
        "segment_vectors": np.ascontiguousarray(segments.vectors, dtype=np.float32).tobytes(),
        "segment_prints": b"-" if prints is None else np.ascontiguousarray(prints).tobytes(),
    }


def _segments(batch: dict[str, np.ndarray], i: int) -> Segments | None:
    times = bytes(batch["segment_times"][i])
    if not times:
        return None
    dim = np.asarray(batch["vector"][i]).size
    prints = bytes(batch["segment_prints"][i])
    levels = None if prints == b"-" else np.frombuffer(prints, np.uint8).reshape(-1, BANDS).copy()
    return Segments(
        times=np.frombuffer(times, dtype=np.float32).reshape(-1, 2).copy(),
        vectors=np.frombuffer(bytes(batch["segment_vectors"][i]), dtype=np.float32)
        .reshape(-1, dim)
        .copy(),
        prints=levels,
    )


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
                tags=_tags(batch["tags"][i]),
                tag_warnings=_lines(batch["tag_warnings"][i]),
                audio_hash=str(batch["audio_hash"][i]) or None,
                fingerprint=_print(batch["print"][i], batch["print_version"][i]),
                segments=None if error else _segments(batch, i),
            ),
        )

"""`soundscout eval`: find the files, label them, get each encoder's vectors, score them.

Every encoder is created before any file is embedded, so an unknown encoder or missing
weights fail at once. Scores are computed over the files every encoder could read, and
only over labels with at least ``min_files`` of them.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from soundscout.config import Settings
from soundscout.encoders.base import Encoder, l2_normalize
from soundscout.encoders.registry import available_encoders, create_encoder
from soundscout.errors import EncoderUnavailableError
from soundscout.evaluation import EvaluationError, mfcc
from soundscout.evaluation.labels import (
    Labelled,
    csv_labels,
    folder_labels,
    keep_labels,
    read_queries,
    ucs_labels,
)
from soundscout.evaluation.metrics import best_precision
from soundscout.evaluation.scores import Row, score_random, score_vectors
from soundscout.evaluation.vectors import (
    Vectors,
    embedded_vectors,
    library_vectors,
    mfcc_vectors,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvalRequest:
    """What to measure: a folder, how its files are labelled, which encoders."""

    folder: Path
    labels: str = "folders"  # "folders", "ucs" or the path of a CSV
    depth: int | None = None
    encoders: tuple[str, ...] = ()  # default: the configured encoder; mfcc is always added
    queries: Path | None = None
    min_files: int = 5
    k: int = 10
    progress: bool = True


@dataclass
class EvalReport:
    """Everything ``soundscout eval`` found: labels, what was left out, one row per encoder
    and baseline."""

    folder: str
    labels_source: str
    k: int
    min_files: int
    labels: dict[str, dict[str, object]]  # label -> {"files": n, "queries": [...]}
    rows: list[Row]
    left_out: dict[str, object] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """The ``--json`` output."""
        return {
            "folder": self.folder,
            "labels_from": self.labels_source,
            "k": self.k,
            "min_files": self.min_files,
            "files": sum(int(v["files"]) for v in self.labels.values()),  # type: ignore[call-overload]
            "labels": {
                label: {**info, "best_precision": best_precision(int(info["files"]), self.k)}  # type: ignore[call-overload]
                for label, info in self.labels.items()
            },
            "left_out": self.left_out,
            "results": [row.to_dict() for row in self.rows],
        }


def run_eval(request: EvalRequest, settings: Settings) -> EvalReport:
    """Measure the requested encoders (plus the MFCC and random baselines) on a folder."""
    root = os.path.abspath(os.path.expanduser(str(request.folder)))
    if not os.path.isdir(root):
        raise EvaluationError(f"Not a folder: {root}", hint="Give the folder holding your sounds.")
    names = _encoder_names(request.encoders, settings)
    encoders = {name: _create(name, settings) for name in names if name != mfcc.NAME}
    kept, small = _labelled_files(request, root, settings)
    found: dict[str, Vectors] = {}
    for name in names:
        found[name] = _vectors(name, encoders.get(name), kept, root, settings, request.progress)
    failed = {f: r for v in found.values() for f, r in v.failed.items()}
    kept, small_after = keep_labels(kept.without(set(failed)), request.min_files)
    small.update(small_after)
    _check_enough(kept, request, small, failed)
    rows = [_score(name, encoders.get(name), found[name], kept, request.k) for name in names]
    rows.append(score_random(kept.labels, request.k))
    counts = kept.counts()
    return EvalReport(
        folder=root,
        labels_source=kept.source,
        k=request.k,
        min_files=request.min_files,
        labels={lab: {"files": counts[lab], "queries": kept.texts[lab]} for lab in sorted(counts)},
        rows=rows,
        left_out={
            "unlabelled": kept.unlabelled,
            "outside_folder": kept.outside,
            "small_labels": small,
            "failed": failed,
        },
    )


def _labelled_files(
    request: EvalRequest, root: str, settings: Settings
) -> tuple[Labelled, dict[str, int]]:
    """The files of labels large enough to score, with their queries; the small labels."""
    labelled = _label(request, root, settings)
    if request.queries is not None:
        labelled.texts.update(read_queries(request.queries, set(labelled.labels)))
    kept, small = keep_labels(labelled, request.min_files)
    _check_enough(kept, request, small)
    return kept, small


def _encoder_names(asked: tuple[str, ...], settings: Settings) -> list[str]:
    """The asked encoders in order without repeats (default: the configured one), then the
    MFCC baseline unless asked for."""
    names = list(dict.fromkeys(asked or (settings.encoder.name,)))
    return names if mfcc.NAME in names else [*names, mfcc.NAME]


def _create(name: str, settings: Settings) -> Encoder:
    """An encoder by name (its configured weights if it is the configured one)."""
    known = {entry.name for entry in available_encoders()}
    if name not in known:
        choices = ", ".join(sorted(known | {mfcc.NAME}))
        raise EncoderUnavailableError(
            f"Unknown encoder {name!r}.", hint=f"Choose one of: {choices} (repeat --encoder)."
        )
    cfg = settings.encoder
    weights = cfg.weights if name == cfg.name else None
    return create_encoder(name, device=cfg.device, weights=weights)


def _label(request: EvalRequest, root: str, settings: Settings) -> Labelled:
    """Find the folder's audio files and label them as asked."""
    from soundscout.ingest.scan import scan_folder

    extensions = settings.ingest.extensions
    scan = scan_folder(Path(root), extensions, settings.ingest.follow_symlinks)
    files = [entry.path for entry in scan.entries if entry.size >= 0]
    if not files:
        raise EvaluationError(
            f"No audio files under {root}.",
            hint=f"Give the folder holding your sounds (extensions: {', '.join(extensions)}).",
        )
    if request.labels == "folders":
        return folder_labels(root, files, request.depth)
    if request.depth is not None:
        raise EvaluationError("--depth only applies with --labels folders.")
    if request.labels == "ucs":
        return ucs_labels(files)
    return csv_labels(Path(request.labels).expanduser(), root, files)


def _check_enough(
    kept: Labelled, request: EvalRequest, small: dict[str, int], failed: dict | None = None
) -> None:
    """Refuse to score fewer than two labels: every neighbour would be relevant."""
    labels = sorted(set(kept.labels))
    if len(labels) >= 2:
        return
    named = f" ({', '.join(labels)})" if labels else ""
    found = f"{len(labels)} label{'s' if len(labels) != 1 else ''}{named}"
    small_text = ", ".join(f"{lab} ({n})" for lab, n in list(small.items())[:8])
    why = f"; left out with fewer than {request.min_files} files: {small_text}" if small else ""
    unreadable = f"; {len(failed)} files could not be read" if failed else ""
    raise EvaluationError(
        f"{kept.source}: only {found} with at least {request.min_files} files{why}"
        f"{unreadable}. Comparing needs two labels or more.",
        hint=_more_labels_hint(request),
    )


def _more_labels_hint(request: EvalRequest) -> str:
    if request.labels == "folders":
        return (
            "Put each kind of sound in its own folder, try --depth 1 or 2, lower --min-files, "
            "or give a CSV with --labels labels.csv (header `path,label`)."
        )
    if request.labels == "ucs":
        return "Few files have UCS names here: use --labels folders or a labels CSV instead."
    return "Give the CSV two labels or more, each on at least --min-files files."


def _vectors(
    name: str, encoder: Encoder | None, kept: Labelled, root: str, settings: Settings, bar: bool
) -> Vectors:
    """One encoder's vectors: stored in the library, else embedded in a throwaway one."""
    if encoder is None:
        log.info("mfcc: computing MFCC statistics of %d files", len(kept.files))
        return mfcc_vectors(kept.files, settings.ingest.max_file_seconds, bar)
    stored = library_vectors(settings.library_path, encoder.version, root, kept.files)
    if stored is not None:
        log.info("%s: reading %d stored vectors from the library", name, len(stored.vectors))
        return stored
    log.info("%s: embedding %d files into a throwaway library", name, len(kept.files))
    return embedded_vectors(settings, encoder, root, kept.files, bar)


def _score(name: str, encoder: Encoder | None, found: Vectors, kept: Labelled, k: int) -> Row:
    """Score one encoder on the files every encoder could read."""
    matrix = np.stack([found.vectors[f] for f in kept.files])
    queries = None
    text_seconds = 0.0
    if encoder is None:
        matrix = mfcc.standardise(matrix)
    else:
        matrix = l2_normalize(matrix)
        started = time.perf_counter()
        queries = _text_vectors(encoder, kept.texts)
        text_seconds = time.perf_counter() - started
    row = score_vectors(name, matrix, kept.labels, queries, k)
    row.kind = "baseline" if encoder is None else "encoder"
    row.version = encoder.version if encoder is not None else "mfcc-20-mean-std"
    row.vectors = found.source
    row.seconds = {"vectors": found.seconds, "text": text_seconds, **row.seconds}
    if found.seconds > 0 and found.source != "library":
        row.seconds["files_per_second"] = len(found.vectors) / found.seconds
    return row


def _text_vectors(encoder: Encoder, texts: dict[str, list[str]]) -> dict[str, np.ndarray]:
    """Each label's query vectors, all texts embedded in one call."""
    flat = [text for phrasings in texts.values() for text in phrasings]
    vectors = encoder.encode_text(flat) if flat else np.zeros((0, encoder.dim))
    out, start = {}, 0
    for label, phrasings in texts.items():
        out[label] = vectors[start : start + len(phrasings)]
        start += len(phrasings)
    return out

"""Precision and recall of "same recording" and "variants" on held-out recordings.

    PYTHONPATH=. .venv/bin/python benchmarks/eval_duplicates.py --prepare   # ffmpeg, once
    PYTHONPATH=. .venv/bin/python benchmarks/eval_duplicates.py --run [--chromaprint]

``--prepare`` writes the copies and hard negatives of ``benchmarks/dupeval_data.py`` under
``--out`` (default ``/tmp/soundscout-dupeval``). ``--run`` indexes them with the builtin
encoder (the ingest computes the fingerprints, the run ends by grouping with the shipped
thresholds), then scores:

* **groups at the shipped thresholds**, over pairs of files: a predicted "same recording"
  pair is two files in one recording group; a true one, two files made from one original
  (or from two originals whose decoded audio is the same, as a soundfont's drum kits share
  samples). Variants likewise: two files in one variant group but not one recording group,
  against two files of one take group (``smith_00``/``smith_01``; a soundfont note at
  another velocity or length) made from different recordings. Per copy kind, the share of
  copies grouped with their original; per kind of hard negative, the share wrongly grouped.
* **edge-level sweeps** over every candidate pair the grouping looks at (each sound's 32
  nearest neighbours with cosine >= 0.5): the fingerprint distance (with the duration rule),
  the embedding cosine alone, and, with ``--chromaprint``, chromaprint's bit error rate
  (libchromaprint through ``benchmarks/chromaprint_raw.py``) — which is how the
  fingerprint was chosen.

Results: a JSON file (``--json``, default ``OUT/results.json``) and the tables printed.
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import dupeval_data  # noqa: E402

OUT = Path("/tmp/soundscout-dupeval")
RECORDING_SWEEP = (0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0)
VARIANT_SWEEP = (0.85, 0.88, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98)
COSINE_SWEEP = (0.97, 0.98, 0.99, 0.995, 0.998, 0.999)
CHROMA_SWEEP = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35)


def open_service(out: Path, **overrides: Any) -> Any:
    """A SearchService on ``out/catalog`` with the builtin encoder."""
    from soundscout.config import load_config
    from soundscout.search.service import SearchService

    base = {"library.path": str(out / "catalog"), "encoder.name": "builtin"}
    return SearchService(load_config(overrides={**base, **overrides}, environ={}).settings)


# -- truth ---------------------------------------------------------------------------------
def load_truth(
    out: Path, service: Any, strict: bool = False
) -> tuple[dict[int, dict], dict[int, str], dict[int, str], list[tuple[str, str]]]:
    """(file entry by sound id, recording by id, take group by id, merged recordings).

    Two source files are one recording when their decoded audio is (the waveform-level
    definition, independent of the fingerprint): lengths within the trim tolerance and a
    normalised cross-correlation of at least :data:`SAME_AUDIO` within 0.1 s of lag, as a
    soundfont's drum kits and velocities share one sample at other levels. With ``strict``
    effect versions are never merged (an effect that changed nothing still counts as
    another sound).
    """
    truth = json.loads((out / "truth.json").read_text())
    entries = {}
    for entry in truth["files"]:
        row = service.catalog.find_by_path(entry["path"])
        if row is not None and row.status == "done":
            entries[row.id] = entry
    merged = _same_audio_sources(service, entries, strict)
    alias = _union(merged)
    recording = {i: alias.get(e["recording"], e["recording"]) for i, e in entries.items()}
    take = {i: e["take"] for i, e in entries.items() if e["take"]}
    return entries, recording, take, merged


#: Normalised cross-correlation from which two decoded sources are one recording.
SAME_AUDIO = 0.99


def _same_audio_sources(
    service: Any, entries: dict[int, dict], strict: bool
) -> list[tuple[str, str]]:
    """Pairs of source recordings (originals, effect versions) whose decoded audio is the
    same up to gain, among each one's 32 nearest neighbours by embedding."""
    from soundscout.audio.decode import decode_file
    from soundscout.duplicates.rules import same_length

    sources = {
        i: e
        for i, e in entries.items()
        if e["version"] == "original" or ("+" in e["recording"] and not strict)
    }
    ids = sorted(sources)
    near = candidate_pairs(service, ids)
    rows = service.catalog.get_many(ids)
    waves: dict[int, np.ndarray] = {}
    pairs = []
    for (a, b), cosine in sorted(near.items()):
        ra, rb = sources[a]["recording"], sources[b]["recording"]
        if ra == rb or cosine < 0.9 or not same_length(rows[a].duration, rows[b].duration):
            continue
        for i in (a, b):
            if i not in waves:
                waves[i] = decode_file(sources[i]["path"], 16000)[1]
        if _correlation(waves[a], waves[b]) >= SAME_AUDIO:
            pairs.append((ra, rb))
    return pairs


def _correlation(a: np.ndarray, b: np.ndarray, max_lag: int = 1600) -> float:
    """Largest normalised cross-correlation of two waveforms within ``max_lag`` samples."""
    from scipy.signal import correlate

    a, b = a.astype(np.float64), b.astype(np.float64)
    norm = np.sqrt((a * a).sum() * (b * b).sum())
    if norm == 0:
        return 0.0
    full = correlate(a, b, mode="full", method="fft")
    zero = len(b) - 1
    window = full[max(0, zero - max_lag) : zero + max_lag + 1]
    return float(window.max() / norm)


def _union(pairs: list[tuple[str, str]]) -> dict[str, str]:
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: find(x) for x in parent}


def negative_kind(a: dict, b: dict) -> str:
    """Which hard negative two files of different recordings are."""
    if "+" in a["recording"] or "+" in b["recording"]:
        source = a["source"] == b["source"]
        return "same sound, another effect" if source else "other sounds"
    if a["take"] and a["take"] == b["take"]:
        return (
            "other takes (same note: other velocity, length)" if a["soundfont"] else "other takes"
        )
    one_instrument = Path(a["source"]).parent == Path(b["source"]).parent
    if a["soundfont"] and b["soundfont"] and one_instrument:
        return "other pitches of one instrument"
    return "other sounds"


# -- scoring the stored groups -------------------------------------------------------------
def pairs_within(groups: dict[int, list[int]]) -> set[tuple[int, int]]:
    """Every pair of ids sharing a group."""
    return {
        (min(a, b), max(a, b))
        for members in groups.values()
        for a, b in itertools.combinations(members, 2)
    }


def score_groups(
    service: Any, entries: dict[int, dict], recording: dict[int, str], take: dict[int, str]
) -> dict[str, Any]:
    """Pair precision and recall of the stored groups, with breakdowns."""
    rows = service.catalog.query(
        "SELECT sound_id, recording_group, variant_group FROM duplicate_groups"
    )
    rec_groups: dict[int, list[int]] = defaultdict(list)
    var_groups: dict[int, list[int]] = defaultdict(list)
    for sid, rec, var in rows:
        if sid in entries:
            if rec is not None:
                rec_groups[rec].append(sid)
            var_groups[var].append(sid)
    predicted_rec = pairs_within(rec_groups)
    by_recording: dict[str, list[int]] = defaultdict(list)
    for i, r in recording.items():
        by_recording[r].append(i)
    true_rec = pairs_within(by_recording)
    # Variants between recordings, each counted once (by its original file), so that two
    # groups of 14 copies are one pair, not 196.
    originals = {i for i, e in entries.items() if e["version"] == "original"}
    predicted_var = {
        (a, b)
        for a, b in pairs_within(var_groups) - predicted_rec
        if a in originals and b in originals
    }
    true_var = {
        (a, b)
        for a, b in pairs_within(_by({i: t for i, t in take.items() if i in originals}))
        if recording[a] != recording[b]
    }
    group_of = {sid: rec for rec, members in rec_groups.items() for sid in members}
    return {
        "same recording": _pr(predicted_rec, true_rec),
        "variants": _pr(predicted_var, true_var),
        "recall by copy kind": _copy_recall(entries, recording, group_of),
        "same recording false pairs by kind": _false_by_kind(predicted_rec - true_rec, entries),
        "variant false pairs by kind": _false_by_kind(predicted_var - true_var, entries),
        "variant misses by kind": _false_by_kind(true_var - predicted_var, entries),
    }


def _by(mapping: dict[int, str]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = defaultdict(list)
    for i, value in mapping.items():
        out[value].append(i)
    return out


def _pr(predicted: set, true: set) -> dict[str, float | int]:
    hit = len(predicted & true)
    return {
        "precision": round(hit / len(predicted), 4) if predicted else float("nan"),
        "recall": round(hit / len(true), 4) if true else float("nan"),
        "predicted_pairs": len(predicted),
        "true_pairs": len(true),
    }


def _copy_recall(
    entries: dict[int, dict], recording: dict[int, str], group_of: dict[int, int]
) -> dict[str, float]:
    original = {recording[i]: i for i, e in entries.items() if e["version"] == "original"}
    found: dict[str, list[bool]] = defaultdict(list)
    for i, e in entries.items():
        if e["version"] in dupeval_data.COPIES:
            j = original.get(recording[i])
            found[e["version"]].append(j is not None and group_of.get(i, -1) == group_of.get(j))
    return {kind: round(float(np.mean(v)), 4) for kind, v in sorted(found.items())}


def _false_by_kind(pairs: set[tuple[int, int]], entries: dict[int, dict]) -> dict[str, int]:
    return dict(Counter(negative_kind(entries[a], entries[b]) for a, b in pairs))


# -- edge-level sweeps ---------------------------------------------------------------------
def candidate_pairs(service: Any, ids: list[int], k: int = 32) -> dict[tuple[int, int], float]:
    """Each sound's k nearest neighbours with cosine >= 0.5 (what the grouping compares)."""
    import faiss

    vectors = service.catalog.embeddings(ids)
    order = [i for i in ids if i in vectors]
    matrix = np.ascontiguousarray(np.stack([vectors[i] for i in order]), dtype=np.float32)
    scores, found = faiss.knn(matrix, matrix, k + 1, metric=faiss.METRIC_INNER_PRODUCT)
    out = {}
    for row, (s_row, f_row) in enumerate(zip(scores, found, strict=True)):
        for s, j in zip(s_row, f_row, strict=True):
            if j != row and j >= 0 and s >= 0.5:
                a, b = order[row], order[j]
                out[(min(a, b), max(a, b))] = float(s)
    return out


def sweeps(
    service: Any,
    entries: dict[int, dict],
    recording: dict[int, str],
    take: dict[int, str],
    chromaprint: bool,
) -> dict[str, Any]:
    """P/R over candidate pairs for each measure and threshold."""
    from soundscout.catalog import duplicates as store
    from soundscout.duplicates.fingerprint import distance
    from soundscout.duplicates.rules import same_length

    ids = sorted(entries)
    near = candidate_pairs(service, ids)
    rows = service.catalog.get_many(ids)
    with service.catalog.reading() as conn:
        prints = store.prints(conn, ids)
    measures = []
    for (a, b), cosine in near.items():
        fp = distance(prints[a], prints[b]) if a in prints and b in prints else float("inf")
        length = same_length(rows[a].duration, rows[b].duration)
        same = recording[a] == recording[b]
        variant = not same and take.get(a) is not None and take.get(a) == take.get(b)
        measures.append((a, b, cosine, fp, length, same, variant))
    n_true = sum(m[5] for m in measures)
    out: dict[str, Any] = {"candidate_pairs": len(measures), "true_same_in_candidates": n_true}
    out["fingerprint"] = {
        t: _edge_pr([m[4] and m[3] <= t for m in measures], [m[5] for m in measures])
        for t in RECORDING_SWEEP
    }
    out["embedding cosine"] = {
        t: _edge_pr([m[2] >= t for m in measures], [m[5] for m in measures]) for t in COSINE_SWEEP
    }
    originals = {i for i, e in entries.items() if e["version"] == "original"}
    not_same = [m for m in measures if not m[5] and m[0] in originals and m[1] in originals]
    out["variants (cosine, pairs not the same recording)"] = {
        t: _edge_pr([m[2] >= t for m in not_same], [m[6] for m in not_same]) for t in VARIANT_SWEEP
    }
    if chromaprint:
        out["chromaprint"] = _chromaprint_sweep(entries, measures)
    return out


def _edge_pr(predicted: list[bool], true: list[bool]) -> dict[str, float]:
    p, t = np.asarray(predicted), np.asarray(true)
    hit = int((p & t).sum())
    return {
        "precision": round(hit / p.sum(), 4) if p.sum() else float("nan"),
        "recall": round(hit / t.sum(), 4) if t.sum() else float("nan"),
    }


def _chromaprint_sweep(entries: dict[int, dict], measures: list[tuple]) -> dict[str, Any]:
    from benchmarks.chromaprint_raw import bit_error_rate, raw_fingerprint

    from soundscout.audio.decode import decode_file

    needed = sorted({i for m in measures for i in m[:2]})
    prints = {}
    for i in needed:
        prints[i] = raw_fingerprint(decode_file(entries[i]["path"], 16000)[1], 16000)
    empty = float(np.mean([len(p) == 0 for p in prints.values()]))
    ber = [bit_error_rate(prints[m[0]], prints[m[1]]) for m in measures]
    table = {
        t: _edge_pr([m[4] and b <= t for m, b in zip(measures, ber, strict=True)],
                    [m[5] for m in measures])
        for t in CHROMA_SWEEP
    }  # fmt: skip
    return {"files_without_a_chromaprint": round(empty, 4), "sweep": table}


# -- main ----------------------------------------------------------------------------------
def _merged_counts(merged: list[tuple[str, str]]) -> dict[str, int]:
    """How many source pairs the waveform truth made one recording, effects apart."""
    effects = sum(1 for a, b in merged if "+" in a or "+" in b)
    return {"effect versions": effects, "other sources": len(merged) - effects}


def run(
    out: Path, chromaprint: bool, workers: int, strict: bool, variants: float | None
) -> dict[str, Any]:
    overrides: dict[str, Any] = {"ingest.workers": workers}
    if variants is not None:
        overrides["duplicates.variant_threshold"] = variants
    service = open_service(out, **overrides)
    try:
        started = time.perf_counter()
        ingest = service.index_folder(out / "library", progress=False)
        grouping = service.update_duplicates()
        entries, recording, take, merged = load_truth(out, service, strict)
        result = {
            "machine": f"{platform.node()} {platform.machine()} {platform.processor()}",
            "files": len(entries),
            "merged_sources": _merged_counts(merged),
            "ingest_seconds": round(time.perf_counter() - started, 1),
            "ingest_ok": ingest.ok,
            "settings": service.settings.duplicates.model_dump(),
            "groups": score_groups(service, entries, recording, take),
            "sweeps": sweeps(service, entries, recording, take, chromaprint),
            "last_grouping_seconds": round(grouping.seconds, 2),
        }
    finally:
        service.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--prepare", action="store_true")
    parser.add_argument("--run", action="store_true")
    parser.add_argument("--chromaprint", action="store_true")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--strict", action="store_true", help="effects never the same")
    parser.add_argument("--variant-threshold", type=float, default=None)
    parser.add_argument("--sfx", type=int, default=200)
    parser.add_argument("--instruments", type=int, default=25)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if args.prepare:
        truth = dupeval_data.prepare(args.out, args.sfx, args.instruments)
        print(f"wrote {len(truth['files'])} files under {args.out / 'library'}")
    if args.run:
        result = run(args.out, args.chromaprint, args.workers, args.strict, args.variant_threshold)
        target = args.json or args.out / "results.json"
        target.write_text(json.dumps(result, indent=1, default=str))
        print(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()

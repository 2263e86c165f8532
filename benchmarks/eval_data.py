"""Data of ``benchmarks/eval_words.py``: the recipe's held-out sounds, named and anonymous.

``PYTHONPATH=. .venv/bin/python benchmarks/eval_words.py --prepare [--sets sfx,soundfont]``

Only the packages the training recipe holds out (``training/config.py``): the SFX packages
``HOLDOUT_SFX`` (downloaded and unpacked with ``training.packages``, audio entries from
``training.extract.iter_entries``) and the soundfont ``HOLDOUT_SOUNDFONT`` (rendered note by
note with ``training.render`` as the feature stage does). Everything lands under
``/work/eval-data`` (``SOUNDSCOUT_TRAIN_DIR`` is pointed at ``/work/eval-data/train``):

* ``sfx-named/<package>/<path in the package>``: original folders and names (an entry inside
  a container, ``x.zip:a/b.wav``, becomes ``x.zip/a/b.wav``);
* ``sfx-anon/<package>/Audio NNNN.<ext>``: the same bytes, numbered in a seeded random order;
* ``soundfont-named/<instrument>/<render label>.wav`` and ``soundfont-anon/...``;
* ``labels.csv``: path, anon_path, package, category (empty: a distractor, never relevant).

SFX categories follow the recipe (``training/data.py: recaption``):
``sfx_category(path_caption(path, package))``; soundfont notes keep the GM family or drum
type that ``render.render_soundfont`` gives them (``evaluate.SOUNDFONT_QUERIES``).
"""

from __future__ import annotations

import csv
import os
import random
from collections.abc import Iterator
from pathlib import Path

DATA = Path(os.environ.get("SOUNDSCOUT_EVAL_DIR", "/work/eval-data"))
LABELS = DATA / "labels.csv"
FIELDS = ["path", "anon_path", "package", "category"]
_MAGIC_EXT = {b"RIFF": ".wav", b"OggS": ".ogg", b"fLaC": ".flac", b"ID3": ".mp3", b"FORM": ".aiff"}


def _training() -> None:
    """Point the recipe at the evaluation folder before ``training.config`` is imported."""
    os.environ["SOUNDSCOUT_TRAIN_DIR"] = str(DATA / "train")
    from training import config

    if config.WORK != DATA / "train":
        raise SystemExit(f"training.config already imported with WORK={config.WORK}")


def disk_name(rel: str, head: bytes) -> str:
    """Relative file path of an entry: containers become folders, extensionless audio
    gets the extension its magic bytes say (the indexer goes by extension)."""
    name = rel.lstrip("/").replace(":", "/")
    if "." not in name.rsplit("/", 1)[-1]:
        name += next((e for m, e in _MAGIC_EXT.items() if head.startswith(m)), ".wav")
    return name


def sfx_entries() -> Iterator[tuple[str, str, bytes, str]]:
    """(package, relative disk path, bytes, category or "") of every held-out SFX entry."""
    _training()
    from training import captions, config, extract, packages

    packages.download(config.HOLDOUT_SFX)
    packages.unpack(config.HOLDOUT_SFX)
    for package in config.HOLDOUT_SFX:
        for rel, data in extract.iter_entries(package):
            caption = captions.path_caption(rel, package)
            category = captions.sfx_category(caption) if caption else None
            yield package, disk_name(rel, data[:4]), data, category or ""


def soundfont_entries() -> Iterator[tuple[str, str, bytes, str]]:
    """(package, relative disk path, wav bytes, category) of every rendered note of the
    held-out soundfont, with the feature stage's seed and sample rate."""
    import io

    import soundfile as sf

    _training()
    from training import config, features, packages, render

    name = config.HOLDOUT_SOUNDFONT
    packages.download([name])
    packages.unpack([name])
    font = packages.package_root(name) / features._SF_FILES[name]
    seed = config.SEED + sum(map(ord, name))
    for meta, wave in render.render_soundfont(font, config.SAMPLE_RATE, seed, "gm"):
        buf = io.BytesIO()
        sf.write(buf, wave, config.SAMPLE_RATE, format="WAV", subtype="PCM_16")
        rel = f"{meta['captions'][0]}/{meta['render']}.wav"
        yield name, rel, buf.getvalue(), meta["category"]


def _write(path: Path, data: bytes) -> None:
    if not path.exists() or path.stat().st_size != len(data):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def prepare(sets: list[str], seed: int = 1234) -> list[dict[str, str]]:
    """Write the named and anonymous copies of every set and ``labels.csv``."""
    rows = [r for r in read_labels() if r["set"] not in sets]
    for set_name in sets:
        entries = list(sfx_entries() if set_name == "sfx" else soundfont_entries())
        order = list(range(len(entries)))
        random.Random(seed).shuffle(order)
        width = max(4, len(str(len(entries))))
        for number, i in enumerate(order, 1):
            package, rel, data, category = entries[i]
            ext = Path(rel).suffix.lower() or ".wav"
            named = f"{set_name}-named/{package}/{rel}"
            anon = f"{set_name}-anon/{package}/Audio {number:0{width}d}{ext}"
            _write(DATA / named, data)
            _write(DATA / anon, data)
            rows.append(
                {"path": named, "anon_path": anon, "package": package, "category": category}
            )
    rows.sort(key=lambda r: r["path"])
    with LABELS.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return read_labels()


def read_labels() -> list[dict[str, str]]:
    """Rows of ``labels.csv`` (paths relative to the data folder), with their set name."""
    if not LABELS.exists():
        return []
    with LABELS.open(newline="") as fh:
        return [{**r, "set": r["path"].split("-", 1)[0]} for r in csv.DictReader(fh)]

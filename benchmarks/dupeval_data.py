"""Data of ``benchmarks/eval_duplicates.py``: true copies and hard negatives made with ffmpeg.

From the held-out recordings under ``/work/eval-data`` (the training recipe's held-out
packages ``widelands-data``, ``warmux-data``, ``lugaru-data`` and the rendered
``timgm6mb-soundfont``; nothing else) this writes, into ``OUT/library``:

* ``copies/<n>/``: an original and its copies, each the same recording: MP3 128 and 320
  kbit/s, Ogg Vorbis, FLAC, WAV at 22.05 / 44.1 / 48 kHz, -6 dB, +6 dB (32-bit float, not
  clipped), peak-normalised, trimmed by 50 ms at both ends, mono <-> stereo, and all at
  once (MP3 192k, 44.1 kHz, -3 dB, 30 ms trimmed);
* ``effects/<n>/``: hard negatives, the original through another effect (reverb, a 1.5 kHz
  high-pass, a 1.5 kHz low-pass, pitched up 2 semitones, chorus);
* ``takes/``: every SFX file whose name is one of several takes (``smith_00``, ``smith_01``)
  and every note of the chosen soundfont instruments (other pitches, velocities, lengths).

``OUT/truth.json`` lists each file with its recording (the original's, or its own for an
effect) and its take group (a stem of takes, an instrument's note), from which the pairs of
"same recording" and of "variants" follow.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import soundfile as sf

DATA = Path("/work/eval-data")
SFX = DATA / "sfx-named"
SOUNDFONT = DATA / "soundfont-named" / "timgm6mb-soundfont"

#: name -> (ffmpeg output options, extension); "{sr}" is the source rate, "{ac}" the other
#: channel count, "{end}" the source duration minus 50 ms, "{peak}" the gain to 0 dBFS.
COPIES: dict[str, tuple[str, str]] = {
    "mp3_128": ("-c:a libmp3lame -b:a 128k", "mp3"),
    "mp3_320": ("-c:a libmp3lame -b:a 320k", "mp3"),
    "ogg": ("-c:a libvorbis -q:a 4", "ogg"),
    "flac": ("-c:a flac", "flac"),
    "sr22050": ("-ar 22050 -c:a pcm_s16le", "wav"),
    "sr44100": ("-ar 44100 -c:a pcm_s16le", "wav"),
    "sr48000": ("-ar 48000 -c:a pcm_s24le", "wav"),
    "gain_minus6": ("-af volume=-6dB -c:a pcm_s16le", "wav"),
    "gain_plus6": ("-af volume=6dB -c:a pcm_f32le", "wav"),
    "normalised": ("-af volume={peak}dB -c:a pcm_s16le", "wav"),
    "trim50": ("-af atrim=start=0.05:end={end},asetpts=N/SR/TB -c:a pcm_s16le", "wav"),
    "channels": ("-ac {ac} -c:a pcm_s16le", "wav"),
    "all_at_once": (
        "-af atrim=start=0.03,asetpts=N/SR/TB,volume=-3dB -ar 44100 -c:a libmp3lame -b:a 192k",
        "mp3",
    ),
}
EFFECTS: dict[str, str] = {
    "reverb": "aecho=0.8:0.7:60|130:0.45|0.3",
    "highpass": "highpass=f=1500,highpass=f=1500",
    "lowpass": "lowpass=f=1500,lowpass=f=1500",
    "pitch_up": "asetrate={sr}*1.1225,aresample={sr}",
    "chorus": "chorus=0.6:0.9:50|60:0.4|0.32:0.25|0.4:2|1.3",
}
#: Longer files are left out (the music tracks; the 3-hour case is a test of its own).
MAX_SECONDS = 30.0
#: Copies that are trimmed, made only of sounds at least this long (trimming 100 ms of a
#: 150 ms click leaves another sound, not a copy).
TRIMMED = ("trim50", "all_at_once")
MIN_TRIMMED_SECONDS = 0.5
_TAKE = re.compile(r"^(.*?)[ _-]?(\d+)$")
_NOTE = re.compile(r"program (\d+) note (\d+) vel (\d+) len ([\d.]+)")


def take_stem(path: Path) -> str | None:
    """The stem shared by a file's takes (``smith`` of ``smith_01.ogg``), or None."""
    match = _TAKE.match(path.stem)
    return f"{path.parent}/{match.group(1)}" if match else None


def sfx_files() -> list[Path]:
    """Every held-out SFX file, sorted."""
    return sorted(p for p in SFX.rglob("*") if p.is_file())


def choose(n_sfx: int, n_instruments: int, seed: int) -> tuple[list[Path], list[Path], list[Path]]:
    """(originals to copy, SFX takes, soundfont notes); originals include takes and notes."""
    rng = random.Random(seed)
    files = sfx_files()
    stems: dict[str, list[Path]] = defaultdict(list)
    for path in files:
        if (stem := take_stem(path)) is not None:
            stems[stem].append(path)
    takes = sorted(p for group in stems.values() if len(group) > 1 for p in group)
    takes = [p for p in takes if sf.info(p).duration <= MAX_SECONDS]  # music is no take
    others = [p for p in files if p not in set(takes) and sf.info(p).duration <= MAX_SECONDS]
    originals = rng.sample(takes, min(len(takes), n_sfx // 2))
    originals += rng.sample(others, min(len(others), n_sfx - len(originals)))
    instruments = rng.sample(sorted(d for d in SOUNDFONT.iterdir() if d.is_dir()), n_instruments)
    notes = sorted(p for d in instruments for p in d.glob("*.wav"))
    originals += [sorted(d.glob("*.wav"))[0] for d in instruments]
    return sorted(originals), takes, notes


def _ffmpeg(src: Path, dst: Path, options: str, af: str | None = None) -> None:
    args = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(src)]
    if af is not None:
        args += ["-af", af]
    args += [*options.split(), str(dst)]
    subprocess.run(args, check=True)


def _peak_db(src: Path) -> float:
    data, _ = sf.read(src, dtype="float32", always_2d=True)
    peak = float(abs(data).max()) or 1.0
    return round(-20 * __import__("math").log10(peak) - 0.1, 2)


def _copy_jobs(src: Path, folder: Path) -> list[tuple[Path, Path, str, str | None]]:
    info = sf.info(src)
    values = {
        "sr": info.samplerate,
        "ac": 1 if info.channels > 1 else 2,
        "end": round(max(info.duration - 0.05, 0.06), 4),
        "peak": _peak_db(src),
    }
    jobs = []
    for name, (options, ext) in COPIES.items():
        if name in TRIMMED and info.duration < MIN_TRIMMED_SECONDS:
            continue
        jobs.append((src, folder / f"{name}.{ext}", options.format(**values), None))
    return jobs


def _effect_jobs(src: Path, folder: Path) -> list[tuple[Path, Path, str, str | None]]:
    rate = sf.info(src).samplerate
    return [
        (src, folder / f"{name}.wav", "-c:a pcm_s16le", af.format(sr=rate))
        for name, af in EFFECTS.items()
    ]


def _run(job: tuple[Path, Path, str, str | None]) -> None:
    _ffmpeg(*job)


def _key(path: Path) -> str:
    return str(path.relative_to(DATA))


def _take_group(path: Path) -> str | None:
    """Takes of one stem (SFX), or one note at other velocities and lengths (soundfont)."""
    if path.is_relative_to(SOUNDFONT):
        match = _NOTE.search(path.stem)
        return f"{path.parent.name}/note {match.group(2)}" if match else None
    stem = take_stem(path)
    return stem if stem is not None else None


def prepare(out: Path, n_sfx: int = 200, n_instruments: int = 25, seed: int = 7) -> dict:
    """Write the library under ``out/library`` and ``out/truth.json``; returns the truth."""
    library = out / "library"
    if library.exists():
        shutil.rmtree(library)
    originals, takes, notes = choose(n_sfx, n_instruments, seed)
    takes_with_groups = {p: _take_group(p) for p in [*takes, *notes]}
    files: list[dict[str, object]] = []
    jobs = []
    placed: set[Path] = set()
    for n, src in enumerate(originals):
        folder = library / "copies" / f"{n:04d}"
        folder.mkdir(parents=True)
        original = folder / f"original{src.suffix}"
        shutil.copyfile(src, original)
        placed.add(src)
        group = takes_with_groups.get(src)
        files.append(_entry(original, library, src, "original", _key(src), group))
        for job in _copy_jobs(src, folder):
            jobs.append(job)
            name = job[1].stem
            files.append(_entry(job[1], library, src, name, _key(src), group))
        if n % 2 == 0:
            efolder = library / "effects" / f"{n:04d}"
            efolder.mkdir(parents=True)
            for job in _effect_jobs(src, efolder):
                jobs.append(job)
                name = job[1].stem
                files.append(_entry(job[1], library, src, name, f"{_key(src)}+{name}", None))
    for src, group in takes_with_groups.items():
        if src in placed:
            continue
        dst = library / "takes" / _key(src)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        files.append(_entry(dst, library, src, "original", _key(src), group))
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(_run, jobs))
    truth = {"files": files, "seed": seed, "n_sfx": n_sfx, "n_instruments": n_instruments}
    (out / "truth.json").write_text(json.dumps(truth, indent=1))
    return truth


def _entry(
    path: Path, library: Path, src: Path, version: str, recording: str, take: str | None
) -> dict[str, object]:
    return {
        "path": str(path),
        "source": _key(src),
        "version": version,
        "recording": recording,
        "take": take,
        "soundfont": src.is_relative_to(SOUNDFONT),
    }

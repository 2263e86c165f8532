"""Data of ``benchmarks/eval_moments.py``: long recordings with events at known times.

    PYTHONPATH=. .venv/bin/python benchmarks/moments_data.py --out /tmp/moments-eval/data
        [--files 40 --oneshots 300 --seed 11]

Only the held-out evaluation data of ``benchmarks/eval_data.py`` (``/work/eval-data``:
``widelands-data``, ``warmux-data``, ``lugaru-data`` and the rendered ``timgm6mb-soundfont``
notes). Into ``OUT/library`` it writes, at 16 kHz mono (PCM 16):

* ``long/Recording NNN.wav``: 2-10 minute beds, one kind each in turn: ``music`` (held-out
  music tracks chained with 2 s crossfades), ``ambience`` (the held-out ambience loops
  :data:`AMBIENCES`, looped with 1 s crossfades), ``room tone`` (band-limited pink noise at
  -50..-40 dBFS) and ``stem`` (one reserved soundfont instrument's notes at random onsets);
  each holds 1-4 **events**: held-out one-shots with a category (SFX, or a soundfont note),
  trimmed to their audible part (frames within 40 dB of the loudest), 0.3-6 s long,
  non-overlapping, at least 5 s apart, each of another category, none of a category of
  the bed; the event's RMS is the bed's RMS over the event span (floored at a tenth of the
  bed's overall RMS) plus the event's SNR, 0, -10 or -20 dB in equal shares;
* ``oneshots/Audio NNNN.<ext>``: distractors, held-out one-shots (up to 8 s) placed in no
  long file and used by no query, copied byte for byte.

``OUT/truth.json`` holds every long file (its bed and events: start, end, category,
source, SNR), every one-shot (source, category) and the audio queries: per event the
placed one-shot itself (``same``) and, when one exists, another one-shot of its category
that is neither placed nor in the library (``other``); plus the recipe's text queries
(``training.evaluate.SFX_QUERIES`` / ``SOUNDFONT_QUERIES``) of the categories present.
Everything follows from ``--seed``.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import math
import random
import shutil
import sys
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import eval_data  # noqa: E402

SR = 16000
SNRS = (0.0, -10.0, -20.0)
KINDS = ("music", "ambience", "room tone", "stem")
AMBIENCES = ("DesertAmbient.ogg", "Wind.ogg", "inn_01.ogg", "weaver.ogg", "weaving.ogg")
STEM_CATEGORIES = ("piano", "organ", "strings", "guitar", "synth pad", "ensemble", "bass")
EVENT_SECONDS = (0.3, 6.0)
ONESHOT_MAX_SECONDS = 8.0
MIN_GAP, EDGE = 5.0, 3.0
LENGTH_SECONDS = (120.0, 600.0)
SFX_SHARE = 0.6  # of the events; the rest are soundfont notes


@dataclass(frozen=True)
class Sound:
    """One held-out file of ``labels.csv``."""

    path: str  # named, relative to the data folder
    anon: str  # anonymous copy, relative to the data folder
    category: str
    set: str  # "sfx" or "soundfont"
    duration: float

    @property
    def instrument(self) -> str:
        """The soundfont instrument (folder) of a note; "" for SFX."""
        return Path(self.path).parent.name if self.set == "soundfont" else ""


def catalogue() -> list[Sound]:
    """Every held-out file with its duration, sorted by path."""
    return [
        Sound(
            r["path"],
            r["anon_path"],
            r["category"],
            r["set"],
            sf.info(eval_data.DATA / r["path"]).duration,
        )
        for r in sorted(eval_data.read_labels(), key=lambda r: r["path"])
    ]


@functools.lru_cache(maxsize=512)
def load(rel: str) -> np.ndarray:
    """Mono float32 at :data:`SR` of a file under the data folder (short files only)."""
    from soundscout.audio.decode import load_audio

    return load_audio(eval_data.DATA / rel, SR)


def active(wave: np.ndarray, floor_db: float = -40.0) -> np.ndarray:
    """The audible part: from the first to the last 10 ms frame within ``floor_db`` of the
    loudest frame."""
    hop = SR // 100
    frames = wave[: len(wave) // hop * hop].reshape(-1, hop)
    if not len(frames):
        return wave
    rms = np.sqrt((frames.astype(np.float64) ** 2).mean(axis=1))
    on = np.flatnonzero(rms >= rms.max() * 10 ** (floor_db / 20))
    return wave[on[0] * hop : (on[-1] + 1) * hop]


def event_wave(sound: Sound) -> np.ndarray | None:
    """The trimmed one-shot, or None when it is not 0.3-6 s long once trimmed."""
    if not EVENT_SECONDS[0] <= sound.duration <= ONESHOT_MAX_SECONDS:
        return None
    wave = active(load(sound.path))
    return wave if EVENT_SECONDS[0] <= len(wave) / SR <= EVENT_SECONDS[1] else None


def _placeable(sound: Sound) -> np.ndarray:
    wave = event_wave(sound)
    if wave is None:
        raise ValueError(f"{sound.path} is no event")
    return wave


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if len(x) else 0.0


# -- beds ------------------------------------------------------------------------------
def chain(pieces: Any, n: int, fade_s: float) -> np.ndarray:
    """``n`` samples of the pieces an iterator yields, joined by equal-power crossfades."""
    fade = int(fade_s * SR)
    up = np.sin(np.linspace(0, np.pi / 2, fade, dtype=np.float32))
    out = np.zeros(n, dtype=np.float32)
    pos = 0
    while pos < n:
        piece = next(pieces)[: n - pos + fade].copy()
        if len(piece) < 2 * fade:
            continue
        piece[:fade] *= up
        piece[-fade:] *= up[::-1]
        out[pos : pos + len(piece)] += piece[: n - pos]
        pos += len(piece) - fade
    return out


def room_tone(rng: random.Random, n: int) -> np.ndarray:
    """Pink noise band-limited to a random band (60-200 Hz to 1.5-5 kHz)."""
    noise = np.random.default_rng(rng.randrange(2**32)).standard_normal(n)
    spectrum = np.fft.rfft(noise)
    freq = np.fft.rfftfreq(n, 1 / SR)
    lo, hi = rng.uniform(60, 200), rng.uniform(1500, 5000)
    spectrum *= ((freq >= lo) & (freq <= hi)) / np.sqrt(np.maximum(freq, lo) / lo)
    return np.fft.irfft(spectrum, n).astype(np.float32)


def stem(rng: random.Random, notes: list[str], n: int) -> np.ndarray:
    """One instrument's notes at random onsets 0.15-0.7 s apart, with a few rests."""
    out = np.zeros(n + 10 * SR, dtype=np.float32)
    pos = 0
    while pos < n:
        wave = load(rng.choice(notes))
        out[pos : pos + len(wave)] += rng.uniform(0.3, 1.0) * wave
        pos += int(SR * (rng.uniform(1, 3) if rng.random() < 0.1 else rng.uniform(0.15, 0.7)))
    return out[:n]


def _pieces(rng: random.Random, paths: list[str]) -> Iterator[np.ndarray]:
    """The files in order, again and again, the first from a random offset."""
    from soundscout.audio.decode import load_audio

    for i, path in enumerate(itertools.cycle(paths)):
        wave = load_audio(eval_data.DATA / path, SR)
        yield wave[int(rng.uniform(0, 0.5) * len(wave)) :] if i == 0 else wave


def render_bed(rng: random.Random, spec: dict[str, Any], n: int) -> np.ndarray:
    """``n`` samples of the bed ``spec`` describes, at its level."""
    kind, order = spec["kind"], spec["order"]
    if kind in ("music", "ambience"):
        wave = chain(_pieces(rng, order), n, 2.0 if kind == "music" else 1.0)
    elif kind == "room tone":
        wave = room_tone(rng, n)
    else:
        wave = stem(rng, order, n)
    return wave * np.float32(10 ** (spec["rms_dbfs"] / 20) / max(rms(wave), 1e-9))


def plan_bed(rng: random.Random, kind: str, seconds: float, pools: dict[str, Any]) -> dict:
    """Kind, sources in playing order, categories and level of one bed."""
    order: list[Sound] = []
    if kind == "music":
        tracks = rng.sample(pools["music"], len(pools["music"]))
        while sum(s.duration for s in order) < 1.5 * seconds:
            order.append(tracks[len(order) % len(tracks)])
    elif kind == "ambience":
        loops = rng.sample(pools["ambience"], rng.randint(1, 2))
        while sum(s.duration for s in order) < 1.5 * seconds:
            order.append(rng.choice(loops))
    elif kind == "stem":
        instrument = pools["stems"].pop()
        order = [s for s in pools["notes"] if s.instrument == instrument]
    level = {"music": -21, "ambience": -27, "room tone": -45, "stem": -21}[kind]
    return {
        "kind": kind,
        "order": [s.path for s in order],
        "sources": sorted({s.path for s in order}),
        "categories": sorted({s.category for s in order if s.category}),
        "rms_dbfs": round(level + rng.uniform(-5, 5), 2),
    }


# -- events ------------------------------------------------------------------------------
def starts(rng: random.Random, durations: list[float], seconds: float) -> list[float]:
    """Random start times, the events non-overlapping and :data:`MIN_GAP` apart."""
    for _ in range(10_000):
        times = [rng.uniform(EDGE, seconds - EDGE - d) for d in durations]
        spans = sorted(zip(times, durations, strict=True))
        if all(b[0] - (a[0] + a[1]) >= MIN_GAP for a, b in itertools.pairwise(spans)):
            return [round(t, 3) for t in times]
    raise RuntimeError(f"cannot place {len(durations)} events in {seconds:.0f} s")


def mix(rng: random.Random, wave: np.ndarray, events: list[dict]) -> list[dict]:
    """Add the events to ``wave`` at their SNR; returns their truth rows."""
    floor = 0.1 * rms(wave)
    shots = [_placeable(e["sound"]) for e in events]
    times = starts(rng, [len(s) / SR for s in shots], len(wave) / SR)
    rows = []
    for event, shot, start in zip(events, shots, times, strict=True):
        first = int(start * SR)
        span = wave[first : first + len(shot)]
        level = max(rms(span), floor) * 10 ** (event["snr_db"] / 20)
        shot = shot * np.float32(level / rms(shot))
        fade = min(SR // 200, len(shot) // 2)
        shot[:fade] *= np.linspace(0, 1, fade, dtype=np.float32)
        shot[len(shot) - fade :] *= np.linspace(1, 0, fade, dtype=np.float32)
        sound = event["sound"]
        rows.append(
            {
                "start": first / SR,
                "end": (first + len(shot)) / SR,
                "category": sound.category,
                "source": sound.path,
                "audio": sound.anon,
                "set": sound.set,
                "snr_db": event["snr_db"],
                "bed_rms_floored": bool(rms(span) < floor),
                "other": event["other"].anon if event["other"] else None,
            }
        )
        span += shot
    return sorted(rows, key=lambda r: r["start"])


def _round_robin(groups: dict[str, list[Sound]], rng: random.Random) -> list[Sound]:
    """One of each category in turn (categories in random order) until all are used."""
    lists = [list(groups[c]) for c in rng.sample(sorted(groups), len(groups))]
    out = []
    while any(lists):
        out += [group.pop(0) for group in lists if group]
    return out


def sfx_events(rng: random.Random, sounds: list[Sound]) -> tuple[list[Sound], dict[str, list]]:
    """(SFX one-shots to place, round robin over categories; others kept aside per
    category): about half of each category placed, half the rest aside."""
    from training.evaluate import SFX_QUERIES

    wanted = set(SFX_QUERIES.values())
    groups: dict[str, list[Sound]] = {}
    for s in sounds:
        if s.set == "sfx" and s.category in wanted and event_wave(s) is not None:
            groups.setdefault(s.category, []).append(s)
    placed, aside = {}, {}
    for category, group in groups.items():
        rng.shuffle(group)
        n_placed = max(1, -(-len(group) // 2))
        n_aside = -(-(len(group) - n_placed) // 2)
        placed[category] = group[:n_placed]
        aside[category] = group[n_placed : n_placed + n_aside]
    return _round_robin(placed, rng), aside


def soundfont_events(
    rng: random.Random, sounds: list[Sound], n: int, reserved: set[str]
) -> list[tuple[Sound, Sound | None]]:
    """``n`` (note to place, another note of its category, of another instrument when one
    exists), the categories in turn."""
    from training.evaluate import SOUNDFONT_QUERIES

    groups: dict[str, list[Sound]] = {}
    for s in sounds:
        free = s.set == "soundfont" and s.instrument not in reserved
        if free and s.category in SOUNDFONT_QUERIES.values() and s.duration <= ONESHOT_MAX_SECONDS:
            groups.setdefault(s.category, []).append(s)
    categories = rng.sample(sorted(groups), len(groups))
    out: list[tuple[Sound, Sound | None]] = []
    for i in itertools.count():
        if len(out) >= n or not any(groups.values()):
            return out
        group = groups[categories[i % len(categories)]]
        note = group.pop(rng.randrange(len(group))) if group else None
        if note is None or event_wave(note) is None:
            continue
        others = [s for s in group if s.instrument != note.instrument] or group
        other = others[rng.randrange(len(others))] if others else None
        if other is not None:
            group.remove(other)
        out.append((note, other))
    return out


def assign(events: list[dict], counts: list[int], beds: list[dict]) -> list[list[dict]]:
    """Events per file, in turn: none of a bed's category, none twice of one category."""
    remaining = list(events)
    out = []
    for count, spec in zip(counts, beds, strict=True):
        taken: list[dict] = []
        for event in list(remaining):
            if len(taken) == count:
                break
            category = event["sound"].category
            if category not in spec["categories"] and all(
                category != e["sound"].category for e in taken
            ):
                taken.append(event)
                remaining.remove(event)
        out.append(taken)
    return out


def plan(sounds: list[Sound], n_files: int, n_oneshots: int, seed: int) -> tuple[list, list]:
    """(long files: path, length, bed and events; distractor one-shots), from ``seed``."""
    rng = random.Random(seed)
    kinds = rng.sample([KINDS[i % len(KINDS)] for i in range(n_files)], n_files)
    instruments = {s.instrument for s in sounds if s.category in STEM_CATEGORIES}
    pools: dict[str, Any] = {
        "music": [s for s in sounds if s.category == "music" and s.duration >= 20],
        "ambience": [s for s in sounds if Path(s.path).name in AMBIENCES],
        "stems": rng.sample(sorted(instruments - {""}), kinds.count("stem")),
        "notes": [s for s in sounds if s.set == "soundfont"],
    }
    reserved = set(pools["stems"])
    lengths = [round(math.exp(rng.uniform(*map(math.log, LENGTH_SECONDS))), 1) for _ in kinds]
    beds = [plan_bed(rng, k, s, pools) for k, s in zip(kinds, lengths, strict=True)]
    counts = [rng.randint(1, 4) for _ in kinds]
    placeable, aside = sfx_events(rng, sounds)
    n_sfx = min(len(placeable), round(SFX_SHARE * sum(counts)))
    seen: dict[str, int] = {}
    events = []
    for s in placeable[:n_sfx]:
        others, seen[s.category] = aside[s.category], seen.get(s.category, -1) + 1
        events.append(
            {"sound": s, "other": others[seen[s.category] % len(others)] if others else None}
        )
    notes = soundfont_events(rng, sounds, sum(counts) - n_sfx, reserved)
    events += [{"sound": n, "other": o} for n, o in notes]
    per_file = assign(rng.sample(events, len(events)), counts, beds)
    snrs = rng.sample(
        [SNRS[i % len(SNRS)] for i in range(sum(map(len, per_file)))], k=sum(map(len, per_file))
    )
    for event in itertools.chain(*per_file):
        event["snr_db"] = snrs.pop()
    files = [
        {"path": f"long/Recording {i + 1:03d}.wav", "seconds": s, "bed": b, "events": e}
        for i, (s, b, e) in enumerate(zip(lengths, beds, per_file, strict=True))
    ]
    used = {e["sound"].path for e in itertools.chain(*per_file)}
    used |= {s.path for group in aside.values() for s in group} | {o.path for _, o in notes if o}
    return files, distractors(rng, sounds, used | reserved, n_oneshots)


def distractors(rng: random.Random, sounds: list[Sound], used: set[str], n: int) -> list[Sound]:
    """``n`` one-shots (up to 8 s) neither placed nor queries nor of a stem's instrument:
    every free SFX one-shot up to 55 %, the rest soundfont notes."""
    free = [
        s
        for s in sounds
        if s.duration <= ONESHOT_MAX_SECONDS and s.path not in used and s.instrument not in used
    ]
    sfx = [s for s in free if s.set == "sfx"]
    chosen = rng.sample(sfx, min(len(sfx), round(0.55 * n)))
    notes = [s for s in free if s.set == "soundfont"]
    chosen += rng.sample(notes, min(len(notes), n - len(chosen)))
    return rng.sample(chosen, len(chosen))


def render(path: Path, spec: dict[str, Any], seed: str) -> list[dict]:
    """Write one long file; returns its event rows."""
    rng = random.Random(seed)
    wave = render_bed(rng, spec["bed"], int(spec["seconds"] * SR))
    rows = mix(rng, wave, spec["events"])
    peak = float(np.abs(wave).max())
    if peak > 0.99:
        wave *= np.float32(0.99 / peak)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, wave, SR, subtype="PCM_16")
    return rows


def write(out: Path, files: list[dict], oneshots: list[Sound], seed: int) -> dict:
    """Render and copy everything into ``out/library``; write and return the truth."""
    from training.evaluate import SFX_QUERIES, SOUNDFONT_QUERIES

    library = out / "library"
    if library.exists():
        shutil.rmtree(library)
    long_rows, queries = [], []
    for n, spec in enumerate(files):
        events = render(library / spec["path"], spec, f"{seed}/{n}")
        bed = {k: v for k, v in spec["bed"].items() if k != "order"}
        long_rows.append(
            {"path": spec["path"], "duration": spec["seconds"], "bed": bed, "events": events}
        )
        for i, event in enumerate(events):
            queries.append(
                {"long": spec["path"], "event": i, "kind": "same", "audio": event["audio"]}
            )
            if event["other"]:
                queries.append(
                    {"long": spec["path"], "event": i, "kind": "other", "audio": event["other"]}
                )
        print(
            f"{spec['path']}: {spec['seconds']:.0f} s {bed['kind']}, {len(events)} events",
            flush=True,
        )
    shot_rows = []
    for n, sound in enumerate(oneshots, 1):
        rel = f"oneshots/Audio {n:04d}{Path(sound.anon).suffix.lower()}"
        (library / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(eval_data.DATA / sound.anon, library / rel)
        shot_rows.append({**asdict(sound), "path": rel, "source": sound.path})
    present = {r["category"] for r in shot_rows} | {
        e["category"] for f in long_rows for e in f["events"]
    }
    texts = {q: c for q, c in {**SOUNDFONT_QUERIES, **SFX_QUERIES}.items() if c in present}
    truth = {
        "seed": seed,
        "sample_rate": SR,
        "data": str(eval_data.DATA),
        "long": long_rows,
        "oneshots": shot_rows,
        "queries": queries,
        "text_queries": texts,
    }
    (out / "truth.json").write_text(json.dumps(truth, indent=1))
    return truth


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/moments-eval/data"))
    parser.add_argument("--files", type=int, default=40, help="long files")
    parser.add_argument("--oneshots", type=int, default=300, help="distractor one-shots")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    sounds = catalogue()
    if not sounds:
        parser.error(f"no labels under {eval_data.DATA}: run eval_words.py --prepare first")
    files, oneshots = plan(sounds, args.files, args.oneshots, args.seed)
    truth = write(args.out, files, oneshots, args.seed)
    events = [e for f in truth["long"] for e in f["events"]]
    hours = sum(f["duration"] for f in truth["long"]) / 3600
    print(
        f"wrote {len(truth['long'])} long files ({hours:.2f} h, {len(events)} events), "
        f"{len(oneshots)} one-shots, {len(truth['queries'])} audio queries to {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

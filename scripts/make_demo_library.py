"""Render a demo sound library with descriptive names, from Debian's soundfonts.

Usage: python scripts/make_demo_library.py OUT_DIR

Every General MIDI instrument at two pitches, the percussion map at two velocities and a
set of synthesised effects (risers, impacts, whooshes...), written as WAV and FLAC under
folders such as ``Drums/Kick`` and ``Instruments/Bass``. Uses the held-out TimGM6mb
soundfont when installed (so the built-in model is shown sounds it was not trained on),
otherwise FluidR3 GM.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from training import gm, synth  # noqa: E402
from training.render import Note, cut, render  # noqa: E402

SOUNDFONTS = (
    Path("/usr/share/sounds/sf2/TimGM6mb.sf2"),
    Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
)
RATE = 44100
NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
EFFECTS = (
    "riser",
    "impact",
    "whoosh",
    "drone",
    "noise_burst",
    "blip",
    "sweep",
    "laser",
    "synth_kick",
    "beep_tone",
)


def plan() -> list[Note]:
    """Two pitches per GM program, two velocities per drum, each in its own time slot."""
    notes, t = [], 0.5
    for program in range(128):
        low = 36 if program // 8 == 4 else 48
        for key in (low, low + 19):
            notes.append(Note("program", program, key, 100, 1.0, t, 2.6))
            t += 2.6
    for key in gm.DRUMS:
        for velocity in (70, 120):
            notes.append(Note("drum", key, key, velocity, 0.2, t, 2.4))
            t += 2.4
    return notes


def file_name(note: Note) -> Path:
    """A folder and a name as a sound designer would file the sound."""
    if note.kind == "drum":
        name, kind = gm.DRUMS[note.number]
        level = "soft" if note.velocity < 100 else "hard"
        return Path("Drums") / kind.title() / f"{name} {level}.wav"
    family = gm.family(note.number).title()
    pitch = f"{NOTE_NAMES[note.note % 12]}{note.note // 12 - 1}"
    return Path("Instruments") / family / f"{gm.PROGRAMS[note.number]} {pitch}.flac"


def main(out: Path) -> None:
    soundfont = next((p for p in SOUNDFONTS if p.exists()), None)
    if soundfont is None:
        sys.exit("No General MIDI soundfont found: run `make install` (fluid-soundfont-gm).")
    notes = plan()
    print(f"Rendering {len(notes)} notes from {soundfont.name} into {out} ...")
    audio = render(soundfont, notes, RATE)
    written = 0
    for note in notes:
        clip = cut(audio, note, RATE)
        if clip.size < RATE * 0.02:
            continue
        path = out / file_name(note)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():  # two GM programs can share a plain name
            path = path.with_name(f"{path.stem} ({note.number}){path.suffix}")
        sf.write(path, clip, RATE)
        written += 1
    rng = np.random.default_rng(7)
    for name in EFFECTS:
        for i in range(4):
            wave, caption = getattr(synth, name)(rng)
            wave = 0.8 * wave / max(float(np.abs(wave).max()), 1e-6)
            path = out / "FX" / f"{caption} {i + 1}.wav"
            path.parent.mkdir(parents=True, exist_ok=True)
            sf.write(path, wave.astype(np.float32), synth.SR)
            written += 1
    print(f"Wrote {written} sounds to {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))

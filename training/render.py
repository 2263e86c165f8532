"""Stage `render`: GM programs and the percussion map of a soundfont, note by note.

One MIDI file per soundfont holds every note in its own time slot; fluidsynth renders
it offline in one go (much faster than one process per note) and the result is cut
back into notes at the known slot times.
"""

from __future__ import annotations

import random
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from training import gm

#: GM/GS drum kits tried on channel 10 (standard, room, power, electronic, 808, jazz, brush).
KITS = (0, 8, 16, 24, 25, 32, 40)
#: GM keys that acoustic drum-kit soundfonts (AVLdrums) map the GM way.
KIT_KEYS = (35, 36, 37, 38, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 53, 57, 59)
#: Pitches tried per family (bass low, piccolo high...).
_RANGES = {
    4: (28, 55),
    0: (36, 96),
    5: (40, 84),
    7: (40, 80),
    8: (45, 84),
    9: (60, 96),
    12: (45, 84),
}


@dataclass
class Note:
    """One slot of the render: what plays, when, and its captions."""

    kind: str  # "program" or "drum"
    number: int  # program (0-127) or drum key
    note: int
    velocity: int
    seconds: float
    start: float
    slot: float
    kit: int = 0
    bank: int = 0
    name: str = ""


def plan_notes(rng: random.Random, pitches: int = 6, drums_only: bool = False) -> list[Note]:
    """Every GM program at a few pitches, velocities and lengths, then the drum map."""
    notes: list[Note] = []
    t = 0.5
    if not drums_only:
        for program in range(128):
            lo, hi = _RANGES.get(program // 8, (40, 88))
            keys = sorted(rng.sample(range(lo, hi + 1), pitches))
            for i, key in enumerate(keys):
                velocity = (64, 112)[i % 2]
                for seconds in (0.3, 1.2):
                    slot = seconds + 1.6
                    notes.append(Note("program", program, key, velocity, seconds, t, slot))
                    t += slot
    for kit in KITS:
        for key in gm.DRUMS:
            for velocity in (50, 90, 127):
                notes.append(Note("drum", key, key, velocity, 0.2, t, 2.4, kit))
                t += 2.4
    return notes


def plan_presets(presets: list[tuple[int, int, str]], rng: random.Random) -> list[Note]:
    """Named presets (GS sound-effect banks) at a few pitches and lengths."""
    notes, t = [], 0.5
    for bank, program, name in presets:
        for key in (48, 60, 67):
            for seconds in (0.4, 1.5, 3.0):
                velocity = rng.choice((80, 100, 120))
                notes.append(
                    Note("preset", program, key, velocity, seconds, t, seconds + 2.0, 0, bank, name)
                )
                t += seconds + 2.0
    return notes


def plan_kit_keys(rng: random.Random) -> list[Note]:
    """A drum-kit soundfont played on a melodic channel (bank 0, program 0), GM keys."""
    notes, t = [], 0.5
    for key in KIT_KEYS:
        for velocity in (30, 55, 80, 100, 127):
            notes.append(Note("kitkey", 0, key, velocity, 0.2, t, 2.4))
            t += 2.4
    return notes


def write_midi(notes: list[Note], path: Path) -> None:
    """A type-0 MIDI file; 1 tick = 1 ms (tempo 1 s per quarter, 1000 ticks per quarter)."""
    events: list[tuple[int, bytes]] = []
    for n in notes:
        on = int(round(n.start * 1000))
        off = int(round((n.start + n.seconds) * 1000))
        if n.kind in ("program", "preset", "kitkey"):
            events.append((on - 6, bytes([0xB0, 0x00, n.bank])))
            events.append((on - 5, bytes([0xC0, n.number])))
            events.append((on, bytes([0x90, n.note, n.velocity])))
            events.append((off, bytes([0x80, n.note, 0])))
        else:
            events.append((on - 5, bytes([0xC9, n.kit])))
            events.append((on, bytes([0x99, n.note, n.velocity])))
            events.append((off, bytes([0x89, n.note, 0])))
    events.sort(key=lambda e: e[0])
    track = bytearray(b"\x00\xff\x51\x03\x0f\x42\x40")  # tempo 1,000,000 us per quarter
    now = 0
    for tick, data in events:
        track += _varlen(max(0, tick - now)) + data
        now = max(now, tick)
    track += b"\x00\xff\x2f\x00"
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, 1000)
    path.write_bytes(header + b"MTrk" + struct.pack(">I", len(track)) + bytes(track))


def _varlen(value: int) -> bytes:
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    return bytes(reversed(out))


def render(soundfont: Path, notes: list[Note], sample_rate: int) -> np.ndarray:
    """Render the planned notes with fluidsynth (no reverb or chorus): mono float32."""
    with tempfile.TemporaryDirectory() as tmp:
        midi, wav = Path(tmp) / "notes.mid", Path(tmp) / "out.wav"
        write_midi(notes, midi)
        cmd = [
            "fluidsynth",
            "-ni",
            "-q",
            "-R",
            "0",
            "-C",
            "0",
            "-g",
            "0.6",
            "-r",
            str(sample_rate),
            "-F",
            str(wav),
            str(soundfont),
            str(midi),
        ]
        subprocess.run(cmd, check=True, capture_output=True)
        audio, _ = sf.read(wav, dtype="float32", always_2d=True)
    return audio.mean(axis=1)


def cut(audio: np.ndarray, note: Note, sample_rate: int) -> np.ndarray:
    """One note out of the render, trailing silence (-60 dB) trimmed."""
    a = int(note.start * sample_rate)
    b = int((note.start + note.seconds + 1.2) * sample_rate)
    clip = audio[a:b]
    peak = float(np.abs(clip).max()) if clip.size else 0.0
    if peak < 1e-4:
        return clip[:0]
    loud = np.nonzero(np.abs(clip) > peak * 1e-3)[0]
    return clip[: loud[-1] + 1]


def render_soundfont(soundfont: Path, sample_rate: int, seed: int, mode: str = "gm"):
    """Yield (meta, waveform) for every audible note of a soundfont.

    Modes: ``gm`` (GM programs + drum kits), ``presets`` (named non-GM presets, e.g.
    the GS sound-effect banks), ``kit`` (a drum-kit soundfont on GM keys).
    """
    rng = random.Random(seed)
    if mode == "presets":
        presets = [p for p in sf2_presets(soundfont) if 0 < p[0] < 128]
        notes = plan_presets(presets, rng)
    elif mode == "kit":
        notes = plan_kit_keys(rng)
    else:
        notes = plan_notes(rng)
    audio = render(soundfont, notes, sample_rate)
    for n in notes:
        clip = cut(audio, n, sample_rate)
        if clip.size < sample_rate * 0.02:
            continue
        if n.kind == "program":
            caps = gm.program_captions(n.number, n.note, n.velocity, n.seconds, rng)
            category = gm.family(n.number)
            label = f"program {n.number} note {n.note} vel {n.velocity} len {n.seconds}"
        elif n.kind == "preset":
            caps = gm.preset_captions(n.name, n.seconds, rng)
            category = "sound effects"
            label = f"bank {n.bank} preset {n.number} note {n.note} len {n.seconds}"
        else:
            caps = gm.drum_captions(n.note, n.velocity, rng)
            category = "drum: " + gm.drum_type(n.note)
            label = f"drum {n.note} vel {n.velocity} kit {n.kit}" + (
                " (kit on channel 1)" if n.kind == "kitkey" else ""
            )
        yield {"captions": caps, "category": category, "render": label}, clip


def sf2_presets(path: Path) -> list[tuple[int, int, str]]:
    """(bank, program, name) of every preset of a .sf2 file (its PHDR chunk)."""
    data = path.read_bytes()
    pos = data.find(b"phdr")
    size = struct.unpack_from("<I", data, pos + 4)[0]
    out = []
    for off in range(pos + 8, pos + 8 + size - 38, 38):  # the last record is the terminal EOP
        name = data[off : off + 20].split(b"\0")[0].decode("latin-1").strip()
        program, bank = struct.unpack_from("<HH", data, off + 20)
        out.append((bank, program, name))
    return sorted(out)

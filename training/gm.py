"""General MIDI names, families and drum map, turned into natural captions."""

from __future__ import annotations

import random

#: The 16 GM families (8 programs each), with plain words a user would type.
FAMILIES = [
    ("piano", ["piano", "keys"]),
    ("chromatic percussion", ["mallet percussion", "bells", "tuned percussion"]),
    ("organ", ["organ", "keyboard organ"]),
    ("guitar", ["guitar", "plucked guitar"]),
    ("bass", ["bass", "bass line instrument"]),
    ("strings", ["strings", "bowed string instrument"]),
    ("ensemble", ["ensemble", "section"]),
    ("brass", ["brass", "brass instrument"]),
    ("reed", ["reed instrument", "woodwind"]),
    ("pipe", ["wind instrument", "flute-like pipe"]),
    ("synth lead", ["synth lead", "lead synthesizer"]),
    ("synth pad", ["synth pad", "pad", "atmospheric synth"]),
    ("synth effects", ["synth effect", "synthesizer texture"]),
    ("ethnic", ["folk instrument", "world instrument"]),
    ("percussive", ["percussion", "struck percussion"]),
    ("sound effects", ["sound effect"]),
]

#: GM programs 0-127 in plain words.
PROGRAMS = [
    "acoustic grand piano",
    "bright acoustic piano",
    "electric grand piano",
    "honky-tonk piano",
    "electric piano",
    "electric piano with chorus",
    "harpsichord",
    "clavinet",
    "celesta",
    "glockenspiel",
    "music box",
    "vibraphone",
    "marimba",
    "xylophone",
    "tubular bells",
    "dulcimer",
    "drawbar organ",
    "percussive organ",
    "rock organ",
    "church organ",
    "reed organ",
    "accordion",
    "harmonica",
    "tango accordion",
    "nylon string acoustic guitar",
    "steel string acoustic guitar",
    "jazz electric guitar",
    "clean electric guitar",
    "muted electric guitar",
    "overdriven guitar",
    "distorted guitar",
    "guitar harmonics",
    "acoustic bass",
    "fingered electric bass",
    "picked electric bass",
    "fretless bass",
    "slap bass",
    "slap bass",
    "synth bass",
    "synth bass",
    "violin",
    "viola",
    "cello",
    "contrabass",
    "tremolo strings",
    "pizzicato strings",
    "orchestral harp",
    "timpani",
    "string ensemble",
    "slow string ensemble",
    "synth strings",
    "synth strings",
    "choir aahs",
    "voice oohs",
    "synth voice",
    "orchestra hit",
    "trumpet",
    "trombone",
    "tuba",
    "muted trumpet",
    "french horn",
    "brass section",
    "synth brass",
    "synth brass",
    "soprano sax",
    "alto sax",
    "tenor sax",
    "baritone sax",
    "oboe",
    "english horn",
    "bassoon",
    "clarinet",
    "piccolo",
    "flute",
    "recorder",
    "pan flute",
    "blown bottle",
    "shakuhachi",
    "whistle",
    "ocarina",
    "square wave lead",
    "sawtooth lead",
    "calliope lead",
    "chiff lead",
    "charang lead",
    "voice lead",
    "fifths lead",
    "bass and lead",
    "new age pad",
    "warm pad",
    "polysynth pad",
    "choir pad",
    "bowed pad",
    "metallic pad",
    "halo pad",
    "sweep pad",
    "rain synth effect",
    "soundtrack synth effect",
    "crystal synth effect",
    "atmosphere synth effect",
    "brightness synth effect",
    "goblins synth effect",
    "echoes synth effect",
    "sci-fi synth effect",
    "sitar",
    "banjo",
    "shamisen",
    "koto",
    "kalimba",
    "bagpipe",
    "fiddle",
    "shanai",
    "tinkle bell",
    "agogo",
    "steel drums",
    "woodblock",
    "taiko drum",
    "melodic tom",
    "synth drum",
    "reverse cymbal",
    "guitar fret noise",
    "breath noise",
    "seashore waves",
    "bird tweet",
    "telephone ring",
    "helicopter",
    "applause",
    "gunshot",
]

#: GM percussion map (key -> plain name, drum type used for evaluation).
DRUMS = {
    35: ("acoustic bass drum", "kick"),
    36: ("bass drum", "kick"),
    37: ("side stick rimshot", "rim"),
    38: ("acoustic snare drum", "snare"),
    39: ("hand clap", "clap"),
    40: ("electric snare", "snare"),
    41: ("low floor tom", "tom"),
    42: ("closed hi-hat", "closed hi-hat"),
    43: ("high floor tom", "tom"),
    44: ("pedal hi-hat", "closed hi-hat"),
    45: ("low tom", "tom"),
    46: ("open hi-hat", "open hi-hat"),
    47: ("low mid tom", "tom"),
    48: ("high mid tom", "tom"),
    49: ("crash cymbal", "crash cymbal"),
    50: ("high tom", "tom"),
    51: ("ride cymbal", "ride cymbal"),
    52: ("chinese cymbal", "crash cymbal"),
    53: ("ride bell", "ride cymbal"),
    54: ("tambourine", "shaker"),
    55: ("splash cymbal", "crash cymbal"),
    56: ("cowbell", "cowbell"),
    57: ("crash cymbal", "crash cymbal"),
    58: ("vibraslap", "other"),
    59: ("ride cymbal", "ride cymbal"),
    60: ("high bongo", "hand drum"),
    61: ("low bongo", "hand drum"),
    62: ("muted high conga", "hand drum"),
    63: ("open high conga", "hand drum"),
    64: ("low conga", "hand drum"),
    65: ("high timbale", "hand drum"),
    66: ("low timbale", "hand drum"),
    67: ("high agogo bell", "cowbell"),
    68: ("low agogo bell", "cowbell"),
    69: ("cabasa", "shaker"),
    70: ("maracas", "shaker"),
    71: ("short whistle", "other"),
    72: ("long whistle", "other"),
    73: ("short guiro", "shaker"),
    74: ("long guiro", "shaker"),
    75: ("claves", "woodblock"),
    76: ("high wood block", "woodblock"),
    77: ("low wood block", "woodblock"),
    78: ("muted cuica", "other"),
    79: ("open cuica", "other"),
    80: ("muted triangle", "triangle"),
    81: ("open triangle", "triangle"),
}

DRUM_WORDS = {
    "kick": ["kick drum", "bass drum kick", "kick"],
    "snare": ["snare drum", "snare hit"],
    "closed hi-hat": ["closed hi-hat", "hi-hat tick", "hihat"],
    "open hi-hat": ["open hi-hat", "open hihat"],
    "tom": ["tom drum", "tom-tom"],
    "crash cymbal": ["cymbal crash", "crash cymbal"],
    "ride cymbal": ["ride cymbal"],
    "clap": ["hand clap", "clap"],
    "rim": ["rimshot", "side stick"],
    "cowbell": ["cowbell", "metal bell"],
    "shaker": ["shaker", "rattle"],
    "hand drum": ["hand drum", "conga or bongo"],
    "woodblock": ["wood block", "woody click"],
    "triangle": ["triangle", "triangle ding"],
    "other": ["percussion"],
}


def family(program: int) -> str:
    """GM family name of a program number (0-127)."""
    return FAMILIES[program // 8][0]


def _pitch_word(note: int) -> str:
    if note < 40:
        return "very low"
    if note < 55:
        return "low"
    if note < 72:
        return "mid"
    return "high"


def program_captions(
    program: int, note: int, velocity: int, seconds: float, rng: random.Random
) -> list[str]:
    """Three varied captions of one rendered note of a GM program."""
    name = PROGRAMS[program]
    fam_words = FAMILIES[program // 8][1]
    loud = "soft" if velocity < 60 else ("hard" if velocity > 110 else "")
    length = "short" if seconds < 0.5 else "long sustained"
    pitch = _pitch_word(note)
    if program // 8 == 4 and note < 45:
        pitch = rng.choice(["deep", "low", "sub"])
    opts = [
        f"{name}",
        f"{pitch} {name} note",
        f"{length} {name} note".replace("  ", " "),
        f"{loud} {name}".strip(),
        f"{'an' if name[0] in 'aeiou' else 'a'} {name} playing a {pitch} note",
        f"{rng.choice(fam_words)}: {name}",
        f"{length} {pitch} {rng.choice(fam_words)} note",
    ]
    rng.shuffle(opts)
    return [name] + [o for o in opts if o != name][:2]


def drum_captions(key: int, velocity: int, rng: random.Random) -> list[str]:
    """Three varied captions of one GM percussion hit."""
    name, kind = DRUMS[key]
    words = DRUM_WORDS[kind]
    loud = "soft" if velocity < 60 else ("hard" if velocity > 110 else "")
    deep = rng.choice(["deep ", "punchy ", "boomy ", ""]) if kind == "kick" else ""
    opts = [
        f"{deep}{rng.choice(words)}",
        f"{loud} {name} hit".strip(),
        f"{rng.choice(words)} one-shot",
        f"drum sample: {name}",
        f"{name} drum hit",
    ]
    rng.shuffle(opts)
    return [name] + [o for o in opts if o != name][:2]


def drum_type(key: int) -> str:
    """Evaluation category of a percussion key (kick, snare, closed hi-hat...)."""
    return DRUMS[key][1]


def preset_captions(name: str, seconds: float, rng: random.Random) -> list[str]:
    """Captions of a named sound-effect preset ("Car-Engine", "Door Slam", "Bird  2")."""
    words = " ".join("".join(c if c.isalpha() else " " for c in name).lower().split())
    length = "short" if seconds < 1 else "long"
    opts = [f"{words} sound effect", f"the sound of {words}", f"{length} {words} sound"]
    rng.shuffle(opts)
    return [words] + opts[:2]

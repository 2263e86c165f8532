"""Searchable words from file and folder names.

Names are split at separators (``_ - . ( )`` spaces, ...), at camelCase humps (``DoorSlam``,
``HTTPServer``, the UCS CatID ``DOORWood``) and between letters and digits (``kick808``),
then lower-cased. Unicode letters are kept (``Tür``); scripts without case (Japanese) stay
one token per run of letters.

Noise is dropped: take and version numbers (``_03``, ``-01``, `` 2``, ``(1)``, ``0001``,
``v2``, ``V03``, ``take4``, ``Take 3``), single ASCII letters (variant ``_A``/``_B``) and a
trailing ``copy`` (``Door copy 2``). Numbers that mean something are kept: three or more
digits not starting with 0 (``808``, ``1984``, ``747``), and short model numbers stay whole
(``AK47``, ``TR808``, ``MP5``, ``9mm``).
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

#: Sound-library abbreviations, whole lower-case tokens -> words added after the token (the
#: token itself is kept). Left out on purpose, because each has a common second meaning:
#: ``oh``/``ch`` (open/closed hi-hat vs the word "oh", "channel"), ``rev`` (reverse, reverb,
#: an engine rev), ``dist`` (distant, distorted, distance), ``imp`` (impact vs the creature),
#: ``sd`` (snare drum vs SD card), ``eng`` (engine vs English), ``trk`` (truck vs track),
#: ``env`` (environment vs envelope), ``mc``, ``rm``, ``str``, ``med``, ``sm``/``lg``,
#: ``wnd`` (wind vs window), ``crk`` (creak vs crack), ``frst`` (forest vs frost).
#: `` | `` parts other ways of saying it; each part is a word or a phrase (a query's ``hh``
#: matches "hihat" or the phrase "hi hat": :func:`abbreviation_alternatives`).
ABBREVIATIONS: dict[str, str] = {
    # ambiences and general
    "amb": "ambience",
    "ambi": "ambience",
    "atmos": "atmosphere",
    "atmo": "atmosphere",
    "bg": "background",
    "bkg": "background",
    "bgd": "background",
    "sfx": "sound effects",
    "fx": "effects",
    "lp": "loop",
    "lps": "loops",
    "int": "interior",
    "ext": "exterior",
    "dsgn": "designed",
    "fol": "foley",
    # voices
    "vox": "voice | vocal",
    "vo": "voice over",
    "dlg": "dialogue",
    "fem": "female",
    "ppl": "people",
    "crwd": "crowd",
    # drums and instruments
    "hh": "hihat | hi hat",
    "hihat": "hi hat",
    "perc": "percussion",
    "kck": "kick",
    "kik": "kick",
    "bd": "bass drum | kick",
    "snr": "snare",
    "sn": "snare",
    "cym": "cymbal",
    "cyms": "cymbals",
    "clp": "clap",
    "shkr": "shaker",
    "drm": "drum",
    "synth": "synthesizer",
    "pno": "piano",
    "gtr": "guitar",
    "vln": "violin",
    "orch": "orchestra | orchestral",
    # sound effects
    "wpn": "weapon",
    "expl": "explosion",
    "ftsp": "footsteps",
    "fstp": "footsteps",
    "ftstps": "footsteps",
    "mvmt": "movement",
    "whsh": "whoosh",
    "wsh": "whoosh",
    "swsh": "swoosh",
    "mech": "mechanical",
    "elec": "electric",
    "veh": "vehicle",
    "heli": "helicopter",
    "mcycle": "motorcycle",
    "wdn": "wooden | wood",
    "mtl": "metal",
    "anml": "animal",
    "crtr": "creature",
    "wthr": "weather",
    "thndr": "thunder",
    "trfc": "traffic",
    "wndw": "window",
    "ui": "user interface",
    "btn": "button",
    "notif": "notification",
    "sqk": "squeak",
    "scrp": "scrape",
    "lrg": "large",
    "sml": "small",
}
_EXPANSIONS: dict[str, tuple[str, ...]] = {
    k: tuple(v.replace("|", " ").split()) for k, v in ABBREVIATIONS.items()
}


def abbreviation_alternatives(word: str) -> tuple[str, ...]:
    """What a sound-library abbreviation stands for, each way of saying it a word or a
    phrase ("hh": "hihat", "hi hat"); empty for any other word."""
    said = ABBREVIATIONS.get(word)
    return tuple(part.strip() for part in said.split("|")) if said else ()


# Runs of letters and digits: everything else (``_``, punctuation, spaces) separates.
_CHUNK = re.compile(r"[^\W_]+")
# ASCII camelCase and letter/digit boundaries: HTTPServer -> HTTP Server, kick808 -> kick 808.
_ASCII_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
# Model numbers kept whole: up to three letters then digits (AK47, TR808), digits then up
# to three letters (9mm, 44k, 16bit).
_MODEL = re.compile(r"[A-Za-z]{1,3}[0-9]+|[0-9]+[A-Za-z]{1,3}")
# Version and take markers dropped whole: v2, V03, ver2, version3, take4, tk2.
_VERSION = re.compile(r"(?:v|ver|version|take|tk)[0-9]+", re.IGNORECASE)
_TAKE_WORDS = frozenset({"take", "tk"})
_APOSTROPHES = re.compile(r"(?<=\w)['\u2019](?=\w)")
# Elided words that stand on their own: one letter (French and Italian "d'", "l'"), "qu'",
# French "jusqu'", "lorsqu'"..., Italian articles and prepositions ("dell'acqua", "un'auto").
_ELIDED = "|".join(
    ("qu", "jusqu", "lorsqu", "puisqu", "quoiqu", "presqu")
    + ("dell", "dall", "nell", "sull", "all", "coll", "quell", "quest", "un", "bell")
)
_ELISION = re.compile(rf"(?<!\w)([^\W\d_]|(?:{_ELIDED}))['\u2019](?=\w)", re.IGNORECASE)
_AUDIO_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,5}$")


def plain_text(text: str) -> str:
    """Text as words are indexed and searched: composed Unicode with compatibility forms
    folded (NFKC: macOS writes names decomposed, Japanese keyboards type full-width Latin,
    "ｄｏｏｒ", and half-width katakana, "ﾄﾞｱ"), no in-word apostrophes ("don't" and "dont"
    are one word) except after an elided word (French "d'alarme" is "d alarme", Italian
    "dell'acqua" is "dell acqua")."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    if "'" not in text and "\u2019" not in text:
        return text
    return _APOSTROPHES.sub("", _ELISION.sub(r"\1 ", text))


@dataclass(frozen=True)
class NameWords:
    """The words of a file's name and of its folders below the indexed root."""

    name: str
    folders: str


def _keep_number(digits: str) -> bool:
    """Whether a number is meaningful (808, 1984) rather than a take number (03, 2, 0001)."""
    return len(digits) >= 3 and digits[0] != "0"


def _split_cased(chunk: str) -> list[str]:
    """Split a non-ASCII chunk at lower->upper humps and letter/digit boundaries."""
    parts: list[str] = []
    start = 0
    for i in range(1, len(chunk)):
        prev, cur = chunk[i - 1], chunk[i]
        if prev.isdigit() != cur.isdigit() or (prev.islower() and cur.isupper()):
            parts.append(chunk[start:i])
            start = i
    parts.append(chunk[start:])
    return parts


def _case_parts(chunk: str) -> list[str]:
    """A separator-free chunk cut at its case humps and letter/digit boundaries."""
    return _ASCII_PART.findall(chunk) if chunk.isascii() else _split_cased(chunk)


_LETTER_RUN = re.compile(r"[^\W\d_]+")


def fold_stray_capitals(text: str) -> str:
    """``text`` with each run of letters whose capitals cannot be a name's humps in lower case.

    Humps split a name into words of two letters or more ("FootStepSnow", "HTTPServer",
    "UIClick"); a run they would cut into a one-letter piece ("eXpLoSiOn", "explosioN",
    "DOor", "вЗрЫв") was typed with shift or caps lock astray, and is one word.
    """

    def fold(match: re.Match[str]) -> str:
        run = match.group()
        if run.islower() or run.istitle() or run.isupper():
            return run
        return run.lower() if any(len(p) == 1 for p in _case_parts(run)) else run

    return _LETTER_RUN.sub(fold, text)


def _chunk_words(chunk: str, out: list[str]) -> None:
    """Append the lower-case words of one separator-free chunk to ``out``."""
    if chunk.isalpha():
        if chunk.islower() or chunk.istitle() or chunk.isupper():  # the common case: one word
            if len(chunk) > 1 or not chunk.isascii():
                out.append(chunk.lower())
            return
        parts = _case_parts(chunk)
    elif chunk.isdigit():
        if _keep_number(chunk):
            out.append(chunk)
        return
    elif _VERSION.fullmatch(chunk):
        return
    elif chunk.isascii() and _MODEL.fullmatch(chunk):
        out.append(chunk.lower())
        return
    else:
        parts = _case_parts(chunk)
    for part in parts:
        if part.isdigit():
            if _keep_number(part):
                out.append(part)
        elif len(part) > 1 or not part.isascii():
            out.append(part.lower())


def split_words(text: str) -> list[str]:
    """Split a file or folder name into lower-case words, without take/version noise.

    Args:
        text: a file stem or folder name, e.g. ``"Kick_808_Deep_v2"``.

    Returns:
        The words in order, e.g. ``["kick", "808", "deep"]``.
    """
    text = plain_text(text)
    words: list[str] = []
    chunks = _CHUNK.findall(text)
    for i, chunk in enumerate(chunks):
        if (
            len(chunk) in (2, 4)
            and chunk.lower() in _TAKE_WORDS
            and i + 1 < len(chunks)
            and chunks[i + 1].isdigit()
        ):
            continue  # "Take 3", "take_03"
        _chunk_words(chunk, words)
    if len(words) > 1 and words[-1] == "copy":
        words.pop()  # "Door Slam copy 2", "Door Slam - Copy (2)"
    return words


def expand_words(words: list[str]) -> list[str]:
    """Add the expansions of known abbreviations after each one, dropping repeated words."""
    out: dict[str, None] = {}
    for word in words:
        out[word] = None
        extra = _EXPANSIONS.get(word)
        if extra:
            for e in extra:
                out[e] = None
    return list(out)


def name_words(text: str) -> str:
    """The searchable words of one name: split, abbreviations expanded, space-joined."""
    return " ".join(expand_words(split_words(text)))


_folder_words = lru_cache(maxsize=1 << 16)(name_words)


def _relative_parts(path: str, root: str) -> list[str]:
    """The path's components below ``root`` (folders then file name); [name] if not below."""
    if "\\" in path:
        path = path.replace("\\", "/")
        root = root.replace("\\", "/")
    root = root.rstrip("/")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] == "/":
        rel = path[len(root) + 1 :]
    elif not root:
        rel = path
    else:
        rel = os.path.relpath(path, root).replace("\\", "/")
        if rel.startswith("../") or rel == "..":
            return [path.rsplit("/", 1)[-1]]
    return [p for p in rel.split("/") if p and p != "."]


def words_from_path(path: str, root: str) -> NameWords:
    """The words of a sound's file name and of its folders up to (not including) ``root``.

    Args:
        path: the file's path, e.g. ``"/lib/Doors/Wood/door_slam_heavy_03.wav"``.
        root: the indexed folder holding it, e.g. ``"/lib"``.

    Returns:
        ``NameWords(name="door slam heavy", folders="wood doors")``: folders nearest first.
    """
    parts = _relative_parts(path, root)
    if not parts:
        return NameWords("", "")
    stem = _AUDIO_SUFFIX.sub("", parts[-1])
    folders = " ".join(w for w in map(_folder_words, reversed(parts[:-1])) if w)
    return NameWords(name_words(stem), folders)

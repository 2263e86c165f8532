"""The search's query lexicon, made from the sound glossary.

``python -m training.lexicon`` writes ``src/soundscout/search/data/lexicon.json``: per
language, each phrase of the glossary (``training/glossary/<lang>.json``: every SFX caption
word's phrasings, every General MIDI instrument, drum and family name's phrases) and of
the search vocabulary (``training/glossary/search/<lang>.json``: the words of the UCS
category and subcategory names the glossary lacks, and each English word of its phrases on
its own; training does not use it) -> the
English it stands for, and the same keyed by the phrase's Snowball stems.
:mod:`soundscout.search.crosslingual` looks query words up in it so that the words side
searches English file names too. Keys and English phrasings are split into words as
queries are (:func:`soundscout.search.lexical.parse_words`) and folded as lookups are
(:func:`soundscout.search.crosslingual.fold`); ``tests/search/test_crosslingual.py``
checks that the shipped file is what this writes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from soundscout.metadata.names import ABBREVIATIONS
from soundscout.metadata.ucs import ucs_list, ucs_words
from soundscout.search.crosslingual import (
    LEXICON_FORMAT,
    LEXICON_PATH,
    STEMMERS,
    UNSPACED,
    fold,
    stem_key,
)
from soundscout.search.lexical import STOP_WORDS, parse_words
from training.translate import GLOSSARY, LANGUAGES, glossary, phrasings

#: Hand-written words for the search only (not the training captions).
SEARCH_WORDS = GLOSSARY / "search"


def phrase_words(text: str) -> list[str]:
    """A phrase's words (lower case), split as a query's are."""
    return [w for term in parse_words(text).include for w in term.words]


def search_words(language: str) -> dict[str, list[str] | None]:
    """The search-only vocabulary of one language (``glossary/search/<lang>.json``): the
    words of the UCS category and subcategory names that the training glossary lacks, and
    each English word of the glossary's phrases on its own ("drum" of "bass drum")."""
    path = SEARCH_WORDS / f"{language}.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("language") != language:
        raise ValueError(f"{path} names language {data.get('language')!r}")
    return data["words"]


def _pairs(language: str) -> list[tuple[str, str]]:
    """(English, how the language says it) of every glossary and search-vocabulary entry."""
    data = glossary(language)
    pairs: list[tuple[str, str]] = []
    for word, said in [*data["sfx"].items(), *search_words(language).items()]:
        pairs += [(word, p) for p in phrasings(said)]
    for term, phrases in data["sf"].items():
        pairs += [(term, p) for p in phrases if p]
    return pairs


def _forms(words: list[str]) -> list[list[str]]:
    """A phrase's words, and the same without the ones a query drops as English stop words
    once they are folded ("cloche à vache" typed "cloche a vache")."""
    kept = [w for w in words if fold(w) not in STOP_WORDS]
    return [words, kept] if kept and len(kept) < len(words) else [words]


def _merged(table: dict[str, list[list[str]]]) -> dict[str, list[str]]:
    """Key -> English phrasings; one holding every word of another is left out ("bass drum"
    covers "acoustic bass drum"); none when the English is only stop words ("sound")."""
    out: dict[str, list[str]] = {}
    for key, said in sorted(table.items()):
        meaningful = [e for e in said if not set(e) <= STOP_WORDS]
        out[key] = [" ".join(e) for e in meaningful if not any(set(o) < set(e) for o in meaningful)]
    return out


def build() -> dict:
    """The lexicon: ``{"format", "english": [the glossary's English words], "vocabulary":
    [English stems of those, of the UCS list's names and synonyms and of file-name
    abbreviations], "surface": [those words as written], "languages": {lang: {key:
    [english]}}, "stems": {lang: {stem key: [english]}}}``."""
    english: set[str] = set()
    languages: dict[str, dict[str, list[str]]] = {}
    stems: dict[str, dict[str, list[str]]] = {}
    for language in LANGUAGES:
        exact: dict[str, list[list[str]]] = {}
        stemmed: dict[str, list[list[str]]] = {}
        for source, phrase in _pairs(language):
            said_in_english = [fold(w) for w in phrase_words(source)]
            english.update(said_in_english)
            words = phrase_words(phrase)
            if not words or not said_in_english:
                continue
            tables = []
            for form in _forms(words):
                tables.append((exact, ("" if language in UNSPACED else " ").join(map(fold, form))))
                if language in STEMMERS:
                    tables.append((stemmed, stem_key(language, form)))
            for table, k in tables:
                known = table.setdefault(k, [])
                if said_in_english not in known:
                    known.append(said_in_english)
        languages[language] = _merged(exact)
        if stemmed:
            stems[language] = _merged(stemmed)
    ucs = {w for e in ucs_list().entries() for w in phrase_words(ucs_words(e))}
    abbreviations = {w for a in ABBREVIATIONS for w in phrase_words(a)}  # sfx, amb, bg...
    vocabulary = {stem_key("en", [w]) for w in ucs | abbreviations | english}
    return {
        "format": LEXICON_FORMAT,
        "english": sorted(english),
        "vocabulary": sorted(vocabulary),
        "surface": sorted(ucs | abbreviations | english),
        "languages": languages,
        "stems": stems,
    }


def render(lexicon: dict) -> str:
    """The file's text: one key per line, so that a change reads well in a diff."""
    return json.dumps(lexicon, ensure_ascii=False, indent=0) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=LEXICON_PATH)
    args = parser.parse_args(argv)
    lexicon = build()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(lexicon), encoding="utf-8")
    sizes = ", ".join(f"{lang} {len(t)}" for lang, t in lexicon["languages"].items())
    print(f"wrote {args.out}: {sizes} phrases; {len(lexicon['english'])} English words")


if __name__ == "__main__":
    main()

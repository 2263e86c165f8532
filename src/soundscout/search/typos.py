"""A query word no sound holds, one slip away from a word the library does: ``rian`` is
also searched as ``rain``, ``thuner`` as ``thunder``.

Only plain words are looked at: letters, four or more of them, typed as they are (no
prefix, no translation or other way to match them yet), in no sound's words. Their slips of
one letter (one dropped, added, changed, or two neighbours swapped, as Damerau counts them)
are looked up among the library's own written words (the catalog's ``sound_word_forms``),
and the one most sounds hold becomes one more way to match the term, with a note saying
so. When none is, the slips that are English words are looked up by stem: "screeming" is
"screaming", which a library writing only "scream" holds by its stem.

Never corrected: a word the library holds, an English word (the lexicon's, or one of
pyspellchecker's English dictionary: "saying" is no slip of "sawing", nor "word" of
"world"), a word none of whose slips is a library word.
"""

from __future__ import annotations

import functools
import string
from dataclasses import replace
from typing import Any

from soundscout.catalog.catalog import Catalog
from soundscout.search.crosslingual import Lexicon, fold, shipped_lexicon
from soundscout.search.lexical import Term, WordsQuery
from soundscout.search.notes import shown
from soundscout.search.word_forms import held_words, porter_stem, written_words

SHORTEST = 4  # letters: shorter words are one slip from too many others
_LETTERS = string.ascii_lowercase


def with_corrections(
    catalog: Catalog, query: WordsQuery, lexicon: Lexicon | None = None
) -> WordsQuery:
    """The query with each plain word no sound holds also matched by the library word one
    slip away that most sounds hold, and a note per word corrected."""
    if not any(_plain(t) for t in query.include):
        return query
    lexicon = lexicon or shipped_lexicon()
    include, notes = [], list(query.notes)
    for term in query.include:
        word = fold(term.words[0]) if _plain(term) else ""
        fixed = correction(catalog, word, lexicon) if word else None
        if fixed is None:
            include.append(term)
            continue
        include.append(replace(term, also=((fixed,),)))
        notes.append(f"no sound holds {shown(term.words[0])}: also searched as {shown(fixed)}")
    if len(notes) == len(query.notes):
        return query
    return replace(query, include=tuple(include), notes=tuple(notes))


def correction(catalog: Catalog, word: str, lexicon: Lexicon) -> str | None:
    """The library word one slip from ``word`` that most sounds hold, or None (also when
    ``word`` itself is a word of the library, or English: the lexicon's or the
    dictionary's)."""
    if lexicon.is_english(word) or held_words(catalog, [word]) or _english_word(word):
        return None  # the dictionary loads only for a word no sound holds
    near = slips(word)
    # else a slip the library holds in another form: "screeming" is "screaming", "scream"
    found = held_words(catalog, sorted(near)) or _by_stem(
        catalog, {w for w in near if _english_word(w)}
    )
    return max(sorted(found), key=lambda w: found[w]) if found else None


def slips(word: str) -> set[str]:
    """Every word one slip from ``word``: a letter dropped, swapped with its neighbour,
    changed or added (``word`` itself left out)."""
    cuts = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    dropped = {a + b[1:] for a, b in cuts if b}
    swapped = {a + b[1] + b[0] + b[2:] for a, b in cuts if len(b) > 1}
    changed = {a + c + b[1:] for a, b in cuts if b for c in _LETTERS}
    added = {a + c + b for a, b in cuts for c in _LETTERS}
    return (dropped | swapped | changed | added) - {word}


@functools.cache
def _english() -> Any:
    from spellchecker import SpellChecker  # ~0.15 s: only for a word that may be a slip

    return SpellChecker(language="en", distance=1)


def _english_word(word: str) -> bool:
    """Whether ``word`` is in pyspellchecker's English dictionary."""
    return word in _english()


def _by_stem(catalog: Catalog, words: set[str]) -> dict[str, int]:
    """The library's written words with the Porter stem of one of ``words``, each with how
    many sounds hold it."""
    out: dict[str, int] = {}
    for stem in sorted({porter_stem(w) for w in words}):
        out.update({w: n for w, n in written_words(catalog, stem) if porter_stem(w) == stem})
    return out


def _plain(term: Term) -> bool:
    if term.prefix or term.also or len(term.words) != 1:
        return False
    word = term.words[0]
    return len(word) >= SHORTEST and word.isascii() and word.isalpha()

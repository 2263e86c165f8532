"""Words typed apart find the word a library writes them as: ``foot steps`` finds
``tux_footstep.ogg``, ``space ship`` finds ``spaceship_engine.ogg``.

The reverse of :mod:`soundscout.search.compounds` (a compound typed whole finds its parts
written apart). Two neighbouring query words, each typed plainly (no prefix, no other way
to match it yet), are looked up joined in the library's own written words (the catalog's
``sound_word_forms``, as :mod:`~soundscout.search.word_forms` does), by stem: ``foot`` +
``steps`` finds "footstep" and "footsteps". When the library writes them joined, each of
the two terms also matches the joined word: a sound holding "footsteps" holds both terms
(and ranks as a sound holding "foot" and "steps" does), one holding "foot" alone holds
one of two, as before. Coverage, the loose tier and the explanations count the two terms
as typed.
"""

from __future__ import annotations

import os
from dataclasses import replace

from soundscout.catalog.catalog import Catalog
from soundscout.search.crosslingual import fold
from soundscout.search.lexical import STOP_WORDS, Term, WordsQuery
from soundscout.search.word_forms import porter_stem, written_words

#: The most joined forms kept for one pair ("footstep", "footsteps").
MAX_JOINED = 4
SHORTEST_PART = 2  # "hi" + "hat"


def with_joined_words(catalog: Catalog, query: WordsQuery) -> WordsQuery:
    """The query with the joined word of each pair of neighbouring plain words that the
    library writes joined as one more way to match both words' terms."""
    terms = list(query.include)
    if len(terms) < 2 or not any(
        _plain(a) and _plain(b) for a, b in zip(terms, terms[1:], strict=False)
    ):
        return query
    i = 0
    while i + 1 < len(terms):
        first, second = terms[i], terms[i + 1]
        joined = (
            joined_forms(catalog, first.words[0], second.words[0])
            if (_plain(first) and _plain(second))
            else ()
        )
        if joined:
            also = tuple((w,) for w in joined)
            terms[i], terms[i + 1] = replace(first, also=also), replace(second, also=also)
            i += 2
        else:
            i += 1
    return replace(query, include=tuple(terms)) if terms != list(query.include) else query


def joined_forms(catalog: Catalog, first: str, second: str) -> tuple[str, ...]:
    """The library's written words that are ``first`` and ``second`` run together, in any
    form of the second ("foot" + "steps": "footstep", "footsteps"), most common first."""
    a, b = fold(first), fold(second)
    whole = porter_stem(a + b)
    start = a + os.path.commonprefix([b, porter_stem(b)])  # "happy": "happi"
    found = [(w, n) for w, n in written_words(catalog, start) if porter_stem(w) == whole]
    found.sort(key=lambda row: (-row[1], row[0]))
    return tuple(word for word, _ in found[:MAX_JOINED])


def _plain(term: Term) -> bool:
    """A word typed as it is: one word of letters, no prefix, nothing else matching it."""
    if term.prefix or term.also or len(term.words) != 1:
        return False
    word = term.words[0]
    return len(word) >= SHORTEST_PART and word.isalpha() and word not in STOP_WORDS

"""Prefixes over stemmed words: ``runni*`` finds "running", ``typi*`` finds "typing".

The lexical index stores Porter stems ("running" is "run", "typing" is "type"), and FTS5
stems a prefix as if it were a whole word, so a prefix that reaches past a word's stem
matched nothing. The catalog also keeps the words as written (``sound_word_forms``, a
vocabulary without positions); :func:`with_word_forms` looks each one-word prefix up there
and adds the written words it starts whose stems the prefix would miss, as other ways to
match the term (the most common :data:`MAX_FORMS` of them).
"""

from __future__ import annotations

import functools
from dataclasses import replace

from soundscout.catalog.catalog import Catalog
from soundscout.search.crosslingual import fold, snowball_stem
from soundscout.search.lexical import Term, WordsQuery

MAX_FORMS = 32
_LAST = "\U0010ffff"  # after every character: [p, p + _LAST) holds the words p starts
_CHUNK = 500  # SQL parameters per lookup


def with_word_forms(catalog: Catalog, query: WordsQuery) -> WordsQuery:
    """The query with the written words of its one-word prefixes added to those terms."""
    if not any(t.prefix for t in (*query.include, *query.exclude, *query.as_typed)):
        return query
    found: dict[str, tuple[str, ...]] = {}

    def expand(terms: tuple[Term, ...]) -> tuple[Term, ...]:
        out = []
        for term in terms:
            if term.prefix and len(term.words) == 1:
                prefix = term.words[0]
                if prefix not in found:
                    found[prefix] = missed_forms(catalog, prefix)
                term = replace(term, also=(*term.also, *((w,) for w in found[prefix])))
            out.append(term)
        return tuple(out)

    return replace(
        query,
        include=expand(query.include),
        exclude=expand(query.exclude),
        as_typed=expand(query.as_typed),
    )


def missed_forms(catalog: Catalog, prefix: str) -> tuple[str, ...]:
    """The library's written words that start with ``prefix`` but whose stems do not start
    with the prefix's own stem (FTS5 would miss them), most common first."""
    start = fold(prefix)
    stem = porter_stem(start)
    found = written_words(catalog, start)
    missed = [(w, n) for w, n in found if not porter_stem(w).startswith(stem)]
    missed.sort(key=lambda row: (-row[1], row[0]))
    return tuple(word for word, _ in missed[:MAX_FORMS])


def written_words(catalog: Catalog, start: str) -> list[tuple[str, int]]:
    """The library's words as written that start with ``start`` (folded), each with how
    many sounds hold it."""
    rows = catalog.query(
        "SELECT term, doc FROM sound_word_forms_vocab WHERE term >= ? AND term < ?",
        [start, start + _LAST],
    )
    return [(str(r[0]), int(r[1])) for r in rows]  # type: ignore[call-overload]


def held_words(catalog: Catalog, words: list[str]) -> dict[str, int]:
    """Which of ``words`` (folded) the library holds as written, each with how many sounds
    hold it."""
    out: dict[str, int] = {}
    for start in range(0, len(words), _CHUNK):
        chunk = words[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        rows = catalog.query(
            f"SELECT term, doc FROM sound_word_forms_vocab WHERE term IN ({marks})", chunk
        )
        out.update({str(r[0]): int(r[1]) for r in rows})  # type: ignore[call-overload]
    return out


@functools.lru_cache(maxsize=8192)
def porter_stem(word: str) -> str:
    """The Porter stem of a word, the algorithm of FTS5's ``porter`` tokenizer."""
    return snowball_stem("porter", word)

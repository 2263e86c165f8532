"""English compounds matched by their parts: ``gunshot`` finds ``Gun_Shot_01.wav``.

Sound libraries write many compounds apart ("Door Bell", "Foot_Steps", "Bird Song"), and a
name split at ``_`` or a space never holds the joined word. A query word (or the English a
word of another language was translated to, ``birdsong`` for "canto de pájaros") that is
two English sound-library words run together also matches a sound holding both parts, in
any order: one more way to match its term (:attr:`~soundscout.search.lexical.Term.also`).
"""

from __future__ import annotations

from dataclasses import replace

from soundscout.search.crosslingual import Lexicon, fold, shipped_lexicon, stem_key
from soundscout.search.lexical import Term, WordsQuery

SHORTEST_FIRST = 3  # "gun", "car", "air"
SHORTEST_SECOND = 4  # "hot", "age", "non" end too many words


def with_compound_parts(query: WordsQuery, lexicon: Lexicon | None = None) -> WordsQuery:
    """The query with each compound's parts as another way to match its term."""
    if not any(_splittable(t) for t in (*query.include, *query.exclude)):
        return query
    lexicon = lexicon or shipped_lexicon()
    include = tuple(_with_parts(t, lexicon) for t in query.include)
    exclude = tuple(_with_parts(t, lexicon) for t in query.exclude)
    if include == query.include and exclude == query.exclude:
        return query
    return replace(query, include=include, exclude=exclude)


def compound_parts(word: str, lexicon: Lexicon | None = None) -> tuple[str, str] | None:
    """The two English sound-library words ``word`` is made of, or None."""
    return _parts(fold(word), lexicon or shipped_lexicon())


def _splittable(term: Term) -> bool:
    return not term.prefix and (len(term.words) == 1 or any(len(group) == 1 for group in term.also))


def _with_parts(term: Term, lexicon: Lexicon) -> Term:
    if not _splittable(term):
        return term
    words = [term.words[0]] if len(term.words) == 1 else []
    words += [group[0] for group in term.also if len(group) == 1]
    found = [parts for w in words if (parts := _parts(fold(w), lexicon)) is not None]
    groups = [g for g in dict.fromkeys(found) if g not in term.also]
    return replace(term, also=(*term.also, *groups)) if groups else term


def _parts(word: str, lexicon: Lexicon) -> tuple[str, str] | None:
    """The best cut of ``word``: a first part known as written and a second known as
    written or by its stem ("foot" + "steps"), both as written first, then the shorter
    first part ("gun" + "shot", not "guns" + "hot")."""
    if len(word) < SHORTEST_FIRST + SHORTEST_SECOND or not (word.isascii() and word.isalpha()):
        return None
    stem = stem_key("en", [word])  # "stepping" is "step": an ending, not a second word
    best: tuple[str, str] | None = None
    for cut in range(SHORTEST_FIRST, len(word) - SHORTEST_SECOND + 1):
        first, second = word[:cut], word[cut:]
        if len(stem) <= cut or not _written(first, lexicon):
            continue
        if _written(second, lexicon):
            return first, second
        if best is None and stem_key("en", [second]) in lexicon.vocabulary:
            best = (first, second)
    return best


def _written(part: str, lexicon: Lexicon) -> bool:
    """An English sound-library word as written."""
    return part in lexicon.surface or part in lexicon.english

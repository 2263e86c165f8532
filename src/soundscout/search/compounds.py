"""English compounds matched by their parts: ``gunshot`` finds ``Gun_Shot_01.wav``.

Sound libraries write many compounds apart ("Door Bell", "Foot_Steps", "Bird Song"), and a
name split at ``_`` or a space never holds the joined word. A query word (or the English a
word of another language was translated to, ``birdsong`` for "canto de pájaros") that is
two English sound-library words run together also matches a sound holding both parts, in
any order: one more way to match its term (:attr:`~soundscout.search.lexical.Term.also`).
A word with a part of two letters ("hihat", "scifi") matches the two parts only side by
side, as a phrase ("Hi-Hat", "Sci Fi").
"""

from __future__ import annotations

from dataclasses import replace

from soundscout.search.crosslingual import Lexicon, fold, shipped_lexicon, stem_key
from soundscout.search.lexical import STOP_WORDS, Term, WordsQuery

SHORTEST_FIRST = 3  # "gun", "car", "air"
SHORTEST_SECOND = 4  # "hot", "age", "non" end too many words
SHORTEST_PHRASE_PART = 2  # "hi" + "hat": a phrase, so short parts cannot match apart


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
    found = [group for w in words if (group := _group(fold(w), lexicon)) is not None]
    groups = [g for g in dict.fromkeys(found) if g not in term.also]
    return replace(term, also=(*term.also, *groups)) if groups else term


def _group(word: str, lexicon: Lexicon) -> tuple[str, ...] | None:
    """How a sound holding ``word`` apart matches it: both parts anywhere, or, for a word
    with a part too short to stand alone ("hihat", "scifi"), the two as a phrase."""
    parts = _parts(word, lexicon)
    if parts is not None:
        return parts
    phrase = _short_parts(word, lexicon)
    return (" ".join(phrase),) if phrase is not None else None


def _short_parts(word: str, lexicon: Lexicon) -> tuple[str, str] | None:
    """Two English words of the glossary, one of two letters, ``word`` is made of
    (abbreviations such as "dr" and "et" are not enough):
    written apart, they are searched as a phrase ("hi hat", "sci fi")."""
    if len(word) < 2 * SHORTEST_PHRASE_PART or not (word.isascii() and word.isalpha()):
        return None
    stem = stem_key("en", [word])
    for cut in range(SHORTEST_PHRASE_PART, len(word) - SHORTEST_PHRASE_PART + 1):
        first, second = word[:cut], word[cut:]
        if SHORTEST_PHRASE_PART not in (len(first), len(second)) or len(stem) <= cut:
            continue  # longer parts are :func:`_parts`'s
        if all(p not in STOP_WORDS and p in lexicon.english for p in (first, second)):
            return first, second
    return None


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

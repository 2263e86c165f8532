"""Sound-library abbreviations typed in a query: ``hh`` finds ``Hi-Hat_Open.wav``.

A file named ``HH_01.wav`` is indexed with what ``hh`` stands for ("hihat", "hi hat":
:data:`soundscout.metadata.names.ABBREVIATIONS`), so "hihat" finds it. The other way
round, a user typing the shorthand of their trade (``hh``, ``amb``, ``snr``, ``vox``,
``perc``) used to find only files whose names hold the shorthand itself. Now a query word
that is such an abbreviation also matches what it stands for, each way of saying it as a
word or a phrase (:attr:`~soundscout.search.lexical.Term.also`): ``hh`` is
``("hh" OR "hihat" OR "hi hat")``. A shorthand that is a word of its own, typed as such
(``synth``, ``hihat``: English words of the lexicon), is left as it is: its names are
indexed with both forms, and a sound holding "synth" and "synthesizer" would outrank one
holding the query's other words ("synth lead" finding synth basses before leads).
"""

from __future__ import annotations

from dataclasses import replace

from soundscout.metadata.names import abbreviation_alternatives
from soundscout.search.crosslingual import Lexicon, shipped_lexicon
from soundscout.search.lexical import Term, WordsQuery


def with_expansions(query: WordsQuery, lexicon: Lexicon | None = None) -> WordsQuery:
    """The query with each abbreviation's meanings as other ways to match its term."""
    if not any(_abbreviation(t) for t in (*query.include, *query.exclude)):
        return query
    words = (lexicon or shipped_lexicon()).english
    include = tuple(_expanded(t, words) for t in query.include)
    exclude = tuple(_expanded(t, words) for t in query.exclude)
    if include == query.include and exclude == query.exclude:
        return query
    return replace(query, include=include, exclude=exclude)


def _abbreviation(term: Term) -> bool:
    return (
        not term.prefix and len(term.words) == 1 and bool(abbreviation_alternatives(term.words[0]))
    )


def _expanded(term: Term, english: frozenset[str]) -> Term:
    if not _abbreviation(term) or term.words[0] in english:
        return term
    groups = [(said,) for said in abbreviation_alternatives(term.words[0])]
    new = [g for g in groups if g not in term.also]
    return replace(term, also=(*term.also, *new)) if new else term

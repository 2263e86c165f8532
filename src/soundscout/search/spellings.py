"""Words English writes more than one way: a query's ``ambience`` finds ``DesertAmbient.ogg``.

A library names a sound the way its maker spells it: British or American (``tyre`` and
``tire``, ``aluminium`` and ``aluminum``, ``grey`` and ``gray``), or one of the ways sound
libraries write the same word (``ambience``, ``ambiance`` and ``ambient``; ``woosh`` for
``whoosh``), and a few things British and American English name by other words (``lorry``
and ``truck``, ``petrol`` and ``gasoline``). So do the forms of one sound word that the
index's Porter stemmer keeps apart (:data:`FORMS`: ``rainy`` and ``rain``, ``wooden`` and
``wood``, ``explosion`` and ``explode``). A query word of one of these groups, typed or an
English alternative another step added (a translation, an abbreviation's meaning), also
matches the group's other words (:attr:`~soundscout.search.lexical.Term.also`), and a
plural too: ``tyres`` finds ``Tire_Screech.wav``.

Only words with no other common sense in a sound library are listed: not ``tap`` (a
faucet, or tapping), ``torch`` (a flashlight, or a flaming torch), ``lift`` or ``meter``.
"""

from __future__ import annotations

import functools
from dataclasses import replace

from soundscout.search.lexical import Term, WordsQuery

#: Groups of words that name one thing; each finds the others.
SPELLINGS: tuple[tuple[str, ...], ...] = (
    ("ambience", "ambiance", "ambient"),
    ("whoosh", "woosh"),
    ("tyre", "tire"),
    ("aeroplane", "airplane"),
    ("aluminium", "aluminum"),
    ("armour", "armor"),
    ("harbour", "harbor"),
    ("grey", "gray"),
    ("theatre", "theater"),
    ("plough", "plow"),
    ("vapour", "vapor"),
    ("kerb", "curb"),
    ("neighbour", "neighbor"),
    ("manoeuvre", "maneuver"),
    ("jewellery", "jewelry"),
    ("axe", "ax"),
    ("lorry", "truck"),
    ("petrol", "gasoline"),
    ("motorbike", "motorcycle"),
)
#: Forms of one sound word whose Porter stems differ ("rainy" is "raini", "rain" "rain"),
#: so the index does not join them; each finds the others.
FORMS: tuple[tuple[str, ...], ...] = (
    ("rain", "rainy"),
    ("wind", "windy"),
    ("storm", "stormy"),
    ("snow", "snowy"),
    ("ice", "icy"),
    ("noise", "noisy"),
    ("creak", "creaky"),
    ("squeak", "squeaky"),
    ("crunch", "crunchy"),
    ("squish", "squishy"),
    ("slime", "slimy"),
    ("mud", "muddy"),
    ("rust", "rusty"),
    ("glitch", "glitchy"),
    ("bubble", "bubbly"),
    ("fire", "fiery"),
    ("wood", "wooden"),
    ("explosion", "explode"),
    ("collision", "collide"),
    ("applause", "applaud"),
)


def other_spellings(word: str) -> tuple[str, ...]:
    """The other words of the group of ``word`` (or of its singular), or nothing."""
    word = word.lower()
    group = _groups().get(word, ())
    return tuple(w for w in group if word not in _forms(w))


def with_spellings(query: WordsQuery) -> WordsQuery:
    """The query with each one-word term's (or one-word alternative's) other spellings as
    more ways to match it."""
    include = tuple(_spelt(t) for t in query.include)
    exclude = tuple(_spelt(t) for t in query.exclude)
    if include == query.include and exclude == query.exclude:
        return query
    return replace(query, include=include, exclude=exclude)


def _spelt(term: Term) -> Term:
    if term.prefix:
        return term
    ways = [term.words, *term.also]
    new = [
        (other,)
        for way in ways
        if len(way) == 1
        for other in other_spellings(way[0])
        if (other,) not in ways
    ]
    new = list(dict.fromkeys(new))
    return replace(term, also=(*term.also, *new)) if new else term


def _forms(word: str) -> tuple[str, str, str]:
    """A word and its plurals (the index stems words, so the word alone finds them)."""
    return word, word + "s", word + "es"


@functools.cache
def _groups() -> dict[str, tuple[str, ...]]:
    return {form: group for group in (*SPELLINGS, *FORMS) for w in group for form in _forms(w)}

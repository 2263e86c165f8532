"""A text query's words for the words index: parsed, then each term given the other ways a
library may write it, one step per module.

1. :func:`~soundscout.search.lexical.parse_words`: terms, left-out terms, prefixes, phrases.
2. :func:`~soundscout.search.crosslingual.translate_words`: a word of eight other languages
   also matches its English ("bombo" finds ``Kick_01.wav``).
3. :func:`~soundscout.search.abbreviations.with_expansions`: "hh" finds ``Hi-Hat.wav``.
4. :func:`~soundscout.search.spellings.with_spellings`: "tyre" finds ``Tire_Screech.wav``.
5. :func:`~soundscout.search.compounds.with_compound_parts`: "gunshot" finds ``Gun_Shot.wav``.
6. :func:`~soundscout.search.word_forms.with_word_forms`: "runni*" finds "running".
7. :func:`~soundscout.search.joined_words.with_joined_words`: "foot steps" finds "footstep".
8. :func:`~soundscout.search.typos.with_corrections`: "rian" finds "rain" when no sound
   holds "rian".

Steps 6-8 read the library's own written words; the others need nothing but the query.
"""

from __future__ import annotations

from soundscout.catalog.catalog import Catalog
from soundscout.search.abbreviations import with_expansions
from soundscout.search.compounds import with_compound_parts
from soundscout.search.crosslingual import translate_words
from soundscout.search.joined_words import with_joined_words
from soundscout.search.lexical import WordsQuery, parse_words
from soundscout.search.spellings import with_spellings
from soundscout.search.typos import with_corrections
from soundscout.search.word_forms import with_word_forms


def words_query(text: str, catalog: Catalog, translate: bool = True) -> WordsQuery:
    """The words query of ``text`` over ``catalog``'s library (``translate``: the words of
    other languages also match their English; ``search.translate_words``)."""
    words = parse_words(text)
    if translate:
        words = translate_words(words)
    words = with_expansions(words)
    words = with_spellings(words)
    words = with_compound_parts(words)
    words = with_word_forms(catalog, words)
    words = with_joined_words(catalog, words)
    return with_corrections(catalog, words)

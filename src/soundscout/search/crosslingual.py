"""Query words in other languages, searched in English too.

Sound libraries name their files in English (UCS names, vendors' names, most folders), so
a query typed in Spanish, German or Chinese used to find nothing on the words side, even
where its sound side (the multilingual text tower) understood it. :func:`translate_words`
gives each query word or phrase it knows in Spanish, French, German, Italian, Portuguese,
Japanese, Chinese or Russian its English equivalents as alternatives: the term matches a
sound whose words hold it as typed *or* any of them (``bombo`` finds ``Kick_01.wav`` and
``Bass Drum.wav``, and still ``bombo_seco.wav``). An English phrasing matches a sound
holding all its words, in any order ("distorted guitar" matches ``Guitar_Distorted.wav``).

The lexicon, ``search/data/lexicon.json``, is made by ``python -m training.lexicon`` from
hand-written word lists: the training recipe's sound glossary (every sound word of the SFX
captions, every General MIDI instrument, drum and family name) and a search-only list of
the words of the UCS category and subcategory names, each with how each language says it.
Other forms of a word are found by their Snowball stems ("puertas", "двери").

- **Which language.** Each language's words are matched against the query, the longest
  phrase first ("caisse claire" before "caisse"); the language that covers the most words
  is used, then the one whose function words cover most of the rest, then the first in
  :data:`LANGUAGES`. English queries are left as they are: a query whose every word is
  an English word of sound libraries (the UCS list's names and synonyms, the glossary's
  English) is not translated, nor, in any query, is a word or phrase of the glossary's
  English ("piano", "metal", "synth lead").
  German compounds are cut into words the lexicon knows (``Alarmsirene``: alarm +
  Sirene), one of them not English.
- **Chinese and Japanese** are written without spaces: a run of those scripts is cut into
  the longest words the two languages' lexicons know, left to right, and what lies between
  them (particles such as の or 的) is dropped when something was found.
- **Function words** of the chosen language ("de", "la", "der", "и") are dropped, as English
  stop words are, unless nothing else is left.

Lookups ignore case and Latin accents (``percusion`` finds ``percusión``) and read Russian
``ё`` as ``е``. A term with alternatives is one FTS5 ``(a OR b OR c)`` group, so coverage,
the every-word pass and the explanations treat it as one word of the query.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from soundscout.search.lexical import STOP_WORDS, Term, WordsQuery

#: The lexicon's languages, in the order a tie is broken.
LANGUAGES = ("es", "fr", "de", "it", "pt", "ru", "ja", "zh")
#: Languages written without spaces between words.
UNSPACED = ("ja", "zh")
LEXICON_PATH = Path(__file__).parent / "data" / "lexicon.json"
LEXICON_FORMAT = 1

#: Articles, prepositions and conjunctions a query in each language may hold.
_FUNCTION_WORDS = {  # closed classes only; "bajo", "baixo" (bass) are sound words
    "es": "el la los las lo un una unos unas al del a ante con contra de desde durante en "
    "entre hacia hasta mediante para por según sin sobre tras y e o u ni que pero se su sus "
    "muy",
    "fr": "le la les l un une des du de d au aux à a avec chez dans en entre par pour sans "
    "sous sur vers contre et ou ni que qu qui se sa son ses leur très",
    "de": "der die das den dem des ein eine einer einen einem eines an am ans auf aus bei "
    "beim durch für gegen hinter in im ins mit nach ohne über um unter von vom vor zu zum "
    "zur zwischen und oder aber sehr",
    "it": "il lo la i gli le l un uno una a al all allo alla ai agli alle da dal dall dallo "
    "dalla dai dagli dalle d di del dell dello della dei degli delle in nel nell nello nella nei "
    "negli nelle su sul sull sullo sulla sui sugli sulle con col per tra fra e ed o che "
    "molto",
    "pt": "o a os as um uma uns umas ao à aos às de do da dos das em no na nos nas por pelo "
    "pela pelos pelas para com sem sobre entre até contra e ou que muito",
    "ru": "и в во на с со по из от к ко о об обо у за для без под над при про через до "
    "после перед между или а но очень",
}
#: Letters of the scripts written without spaces (CJK ideographs, kana).
_UNSPACED_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_WORD = re.compile(r"[^\W_]+")
_LONGEST_UNSPACED = 12  # characters


def fold(text: str) -> str:
    """A word as the lexicon is looked up: case-folded, Latin accents dropped, ``ё`` read
    as ``е``."""
    text = text.casefold()
    if text.isascii():
        return text
    out: list[str] = []
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char) and out and out[-1] < "\u0250" and out[-1].isalpha():
            continue  # an accent on a Latin letter
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out)).replace("ё", "е")


#: Each spaced language's function words, folded.
FUNCTION_WORDS = {
    lang: frozenset(map(fold, said.split())) for lang, said in _FUNCTION_WORDS.items()
}


#: Snowball stemmers of the spaced languages: a word's other forms are found too
#: ("puertas" finds "puerta", "двери" finds "дверь", "eléctrica" finds "eléctrico").
STEMMERS = {
    "en": "english",
    "es": "spanish",
    "fr": "french",
    "de": "german",
    "it": "italian",
    "pt": "portuguese",
    "ru": "russian",
}


@functools.lru_cache(maxsize=4096)
def _stem(language: str, word: str) -> str:
    return fold(_stemmer(language).stemWord(word.lower()))


@functools.cache
def _stemmer(language: str) -> Any:
    import snowballstemmer  # only for a query with words to look up (~20 ms)

    return snowballstemmer.stemmer(STEMMERS[language])


def stem_key(language: str, words: Sequence[str]) -> str:
    """The key of a phrase of a spaced language in the lexicon's ``stems``."""
    return " ".join(_stem(language, w) for w in words)


@dataclass(frozen=True)
class Lexicon:
    """Per language, a folded word or phrase -> its English phrasings (words joined by
    spaces; none for a word with no sound meaning, such as "sonido"), and the same by
    stem; plus the English words the lexicon knows."""

    languages: Mapping[str, Mapping[str, Sequence[str]]]
    stems: Mapping[str, Mapping[str, Sequence[str]]]
    english: frozenset[str]
    #: English words of sound libraries (the UCS list's names and synonyms, and the above),
    #: by English stem: a query made only of these is English and left as it is
    vocabulary: frozenset[str] = frozenset()

    @functools.cached_property
    def longest(self) -> int:
        """The most words in a phrase of the spaced languages."""
        return max(
            (
                k.count(" ") + 1
                for lang, table in self.languages.items()
                if lang not in UNSPACED
                for k in table
            ),
            default=1,
        )

    def lookup(
        self, language: str, words: Sequence[str], english_too: bool = False
    ) -> tuple[tuple[str, ...], ...] | None:
        """The English of a phrase (its words as typed, lower case) as word groups: () for
        a word with no sound meaning, None when the language does not know it. A phrase of
        English words of the lexicon is not looked up, or with ``english_too`` is its own
        English (a part of a compound: Alarm-sirene). The phrase's form as written first,
        then its stems."""
        folded = [fold(w) for w in words]
        key = ("" if language in UNSPACED else " ").join(folded)
        if all(w in self.english for w in folded):  # English already ("synth lead")
            return (tuple(folded),) if english_too else None
        said = self.languages.get(language, {}).get(key)
        if said is None and language in STEMMERS and language in self.stems:
            said = self.stems[language].get(stem_key(language, words))
        if said is None:
            return None
        return tuple(tuple(_WORD.findall(p)) for p in said if _WORD.search(p))


@functools.cache
def shipped_lexicon() -> Lexicon:
    """The lexicon shipped with the package (read once, with the stemmers loaded: the
    server's warm-up search reads it, so its first user search does not pay for either)."""
    _stemmer("en")
    return read_lexicon(LEXICON_PATH)


def read_lexicon(path: Path) -> Lexicon:
    """A lexicon file written by ``python -m training.lexicon``."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != LEXICON_FORMAT:
        raise ValueError(f"{path}: lexicon format {data.get('format')!r}, not {LEXICON_FORMAT}")
    return Lexicon(
        data["languages"], data["stems"], frozenset(data["english"]), frozenset(data["vocabulary"])
    )


#: Languages whose words are compounds of words (``Hundegebell``: Hund + Gebell).
COMPOUNDING = ("de",)
_LINKS = ("s", "es", "n", "en", "e", "er")  # German linking letters: Schmerz-ens-schrei
_SHORTEST_PART = 3


@dataclass(frozen=True)
class _Span:
    """Query terms ``start:stop``, matched as one or more pieces: (the words of the
    piece, its English; none for a word with no sound meaning)."""

    start: int
    stop: int
    pieces: tuple[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]], ...]


def translate_words(query: WordsQuery, lexicon: Lexicon | None = None) -> WordsQuery:
    """``query`` with the English of its words in another language as alternatives (see
    the module docstring); the query unchanged when none is found. The sound side's text
    (``sound_text``) is never changed."""
    if not query.include and not query.exclude:
        return query
    lexicon = lexicon or shipped_lexicon()
    if _is_english(query, lexicon):
        return query
    include, language = _translated(list(query.include), lexicon, drop_function_words=True)
    exclude, _ = _translated(list(query.exclude), lexicon, language=language)
    if include == list(query.include) and exclude == list(query.exclude):
        return query
    return replace(
        query, include=tuple(dict.fromkeys(include)), exclude=tuple(dict.fromkeys(exclude))
    )


def _is_english(query: WordsQuery, lexicon: Lexicon) -> bool:
    """Whether every word of the query is an English word of sound libraries in some form
    (numbers and stop words aside): "man speaking" is not Spanish "mano"."""
    words = [w.lower() for t in (*query.include, *query.exclude) for w in t.words]
    return all(
        w in STOP_WORDS or any(c.isdigit() for c in w) or _stem("en", w) in lexicon.vocabulary
        for w in words
    )


def _translated(
    terms: list[Term],
    lexicon: Lexicon,
    *,
    drop_function_words: bool = False,
    language: str | None = None,
) -> tuple[list[Term], str | None]:
    """The terms with alternatives, and the spaced language used (None: none)."""
    words = [_plain_word(t) for t in terms]
    if language is None:
        language = _best_language(words, lexicon)
    spans = {s.start: s for s in _spans(words, lexicon, language)} if language else {}
    out: list[Term] = []
    meaningless: set[Term] = set()  # function words and words like "sonido"
    skip_to = 0
    for i, term in enumerate(terms):
        if i < skip_to:
            continue
        span = spans.get(i)
        if span is not None:
            for original, english in span.pieces:
                translated = _with_english(original, english)
                if english and not translated.also and len(span.pieces) == 1:
                    out.extend(terms[span.start : span.stop])  # nothing new: as typed
                    continue
                out.append(translated)
                if not english:
                    meaningless.add(translated)
            skip_to = span.stop
        elif words[i] is not None and _UNSPACED_CHAR.search(words[i] or ""):
            out.extend(_cut_unspaced(term, lexicon))
        elif len(term.words) > 1 and not term.prefix and language:  # a quoted phrase, whole
            out.append(_with_english(term.words, lexicon.lookup(language, term.words) or ()))
        else:
            out.append(term)
            if language in FUNCTION_WORDS and fold(term.words[0]) in FUNCTION_WORDS[language]:
                meaningless.add(term)
    if drop_function_words:
        out = [t for t in out if t not in meaningless] or out
    return out, language


def _plain_word(term: Term) -> str | None:
    """The word of a one-word, non-prefix term (None for phrases and prefixes)."""
    return None if term.prefix or len(term.words) != 1 else term.words[0]


def _best_language(words: list[str | None], lexicon: Lexicon) -> str | None:
    """The spaced language whose phrases cover the most of the query's words, then the
    most of its other words as function words ("cane che abbaia" is Italian, not Spanish);
    None when no phrase matches."""
    best, best_covered = None, (0, 0)
    for language in LANGUAGES:
        if language in UNSPACED:
            continue
        spans = _spans(words, lexicon, language)
        inside = {i for s in spans for i in range(s.start, s.stop)}
        function_words = FUNCTION_WORDS.get(language, frozenset())
        others = sum(
            1 for i, w in enumerate(words) if i not in inside and w and fold(w) in function_words
        )
        if spans and (len(inside), others) > best_covered:
            best, best_covered = language, (len(inside), others)
    return best


def _spans(words: list[str | None], lexicon: Lexicon, language: str) -> list[_Span]:
    """The longest-first matches of one language's phrases over the query's words; a
    word matching none may be a compound of known words (:data:`COMPOUNDING`)."""
    spans: list[_Span] = []
    i = 0
    while i < len(words):
        for length in range(min(lexicon.longest, len(words) - i), 0, -1):
            part = words[i : i + length]
            if any(w is None or _UNSPACED_CHAR.search(w) for w in part):
                continue
            english = lexicon.lookup(language, part)  # type: ignore[arg-type]
            if english is not None:
                spans.append(_Span(i, i + length, ((tuple(part), english),)))  # type: ignore[arg-type]
                i += length
                break
        else:
            word = words[i]
            pieces = (
                _compound(word, lexicon, language) if word and language in COMPOUNDING else None
            )
            if pieces:
                spans.append(_Span(i, i + 1, tuple(pieces)))
            i += 1
    return spans


def _compound(
    word: str, lexicon: Lexicon, language: str, depth: int = 0
) -> list[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]] | None:
    """A compound cut into two or three words the lexicon knows, one of them not English
    (the longest first word first; linking letters between them dropped), each with its
    English; None if none."""
    if depth > 1 or len(word) < 2 * _SHORTEST_PART:
        return None
    for cut in range(len(word) - _SHORTEST_PART, _SHORTEST_PART - 1, -1):
        head, tail = word[:cut], word[cut:]
        tail_english = lexicon.lookup(language, [tail], english_too=True)
        rest = (
            [((tail,), tail_english)]
            if tail_english
            else _compound(tail, lexicon, language, depth + 1)
        )
        if not rest:
            continue
        for link in ("", *_LINKS):
            if link and (not head.endswith(link) or len(head) - len(link) < _SHORTEST_PART):
                continue
            stem = head[: len(head) - len(link)]
            english = lexicon.lookup(language, [stem], english_too=True)
            parts = [((stem,), english), *rest]
            if english and (depth or not all(p[0][0] in lexicon.english for p in parts)):
                return parts  # an English word ("gunshot") is not cut into English words
    return None


def _cut_unspaced(term: Term, lexicon: Lexicon) -> list[Term]:
    """A Chinese or Japanese word cut into the longest words the lexicons know, each with
    its English; the term as it was when none is known."""
    text = fold(term.words[0])
    found: list[Term] = []
    i = 0
    while i < len(text):
        for length in range(min(_LONGEST_UNSPACED, len(text) - i), 0, -1):
            piece = text[i : i + length]
            said = [lexicon.lookup(lang, [piece]) for lang in UNSPACED]
            english = tuple(dict.fromkeys(e for found in said if found for e in found))
            if english:
                found.append(_with_english((piece,), english))
                i += length
                break
        else:
            i += 1
    return found or [term]


def _with_english(original: tuple[str, ...], english: tuple[tuple[str, ...], ...]) -> Term:
    """A term matching ``original`` or all the words of any English phrasing; a phrasing
    holding every word of another is left out (a sound with "acoustic", "bass" and "drum"
    has "bass" and "drum")."""
    groups = [e for e in dict.fromkeys(english) if e and set(e) != set(original)]
    kept = [e for e in groups if not any(set(o) < set(e) for o in [*groups, original])]
    return Term(original, also=tuple(kept))

"""Query words in other languages, searched in English too.

Sound libraries name their files in English (UCS names, vendors' names, most folders), so
a query typed in Spanish, German or Chinese used to find nothing on the words side, even
where its sound side (the multilingual text tower) understood it. :func:`translate_words`
gives each query word or phrase it knows in Spanish, French, German, Italian, Portuguese,
Russian, Japanese or Chinese its English equivalents as alternatives: the term matches a
sound whose words hold it as typed *or* any of them (``bombo`` finds ``Kick_01.wav`` and
``Bass Drum.wav``, and still ``bombo_seco.wav``). An English phrasing matches a sound
holding all its words, in any order ("distorted guitar" matches ``Guitar_Distorted.wav``).

The lexicon, ``search/data/lexicon.json``, is made by ``python -m training.lexicon`` from
hand-written word lists: the training recipe's sound glossary (every sound word of the SFX
captions, every General MIDI instrument, drum and family name) and a search-only list of
the words of the UCS category and subcategory names, each with how each language says it.

- **Which language.** Each language's phrases are matched against the query's words, the
  longest first ("caisse claire" before "caisse"); the language with the most evidence is
  used: a word found as written counts 1, by stem or as a compound's part 0.5, a function
  word of the language 1 ("cane che abbaia" is Italian); then the one covering more
  words, then the first in :data:`LANGUAGES`. Other forms of a word are found by their
  Snowball stems ("puertas", "двери"); case and Latin accents do not matter.
- **English stays English.** A query whose every word is an English word of sound
  libraries in some form (the UCS list's names and synonyms, file-name abbreviations, the
  glossary's English; by English stem) is left as it is, unless it holds a phrase of two
  or more words of another language as written ("piano de cola"). In other queries, an English word
  is looked up only as written (never by stem, never cut as a compound): one English word
  gets the query language's English when that is another word first ("el motor" is also
  an engine, :meth:`Lexicon.abroad`), and a phrase of the glossary's English words
  ("synth lead") gets nothing.
- **German compounds** the lexicon lacks are cut into words it knows, one of them German
  (``Alarmsirene``: alarm + Sirene), like a Chinese or Japanese run (below).
- **Chinese and Japanese** are written without spaces: a run of those scripts is cut into
  the longest words the two languages know; unknown runs of those scripts between them
  (particles such as の or 的) are dropped, other letters and digits kept. A single kanji
  known only in Japanese is no word inside a longer run without kana (琴, koto, in Chinese
  电子琴, an electronic keyboard).
- **A cut word** gives a term per part, each matched by the part, its English, or the
  whole word as typed (a sound named as typed holds every term). A left-out cut word is
  one term: the word as typed or all its parts' English.
- **Function words** of the chosen language ("de", "la", "der", "и") and its words for
  "sound" itself ("sonido", "Geräusch", 音) are dropped, as English stop words are,
  unless nothing else is left.
- A quoted phrase is translated only whole and as written (``"caisse claire"``); a prefix
  (``explos*``) is searched as typed.

The words as typed rank first (:attr:`WordsQuery.as_typed`). A term with alternatives is
one FTS5 ``(a OR (b AND c))`` group; at most :data:`MAX_TERMS` terms are kept.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import threading
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from soundscout.search.lexical import MAX_TERMS, STOP_WORDS, Term, WordsQuery

#: The lexicon's languages, in the order a tie is broken.
LANGUAGES = ("es", "fr", "de", "it", "pt", "ru", "ja", "zh")
#: Languages written without spaces between words.
UNSPACED = ("ja", "zh")
#: Languages whose words are compounds of words (``Hundegebell``: Hund + Gebell).
COMPOUNDING = ("de",)
LEXICON_PATH = Path(__file__).parent / "data" / "lexicon.json"
LEXICON_FORMAT = 1

#: Articles, prepositions and conjunctions, and the words for "sound" itself.
_FUNCTION_WORDS = {  # closed classes only; "bajo", "baixo" (bass) are sound words
    "es": "el la los las lo un una unos unas al del a ante con contra de desde durante en "
    "entre hacia hasta mediante para por según sin sobre tras y e o u ni que pero se su sus "
    "muy sonido sonidos",
    "fr": "le la les l un une des du de d au aux à a avec chez dans en entre par pour sans "
    "sous sur vers contre et ou ni que qu qui se sa son ses leur très sons",
    "de": "der die das den dem des ein eine einer einen einem eines an am ans auf aus bei "
    "beim durch für gegen hinter in im ins mit nach ohne über um unter von vom vor zu zum "
    "zur zwischen und oder aber sehr geräusch geräusche klang sound sounds",
    "it": "il lo la i gli le l un uno una a al all allo alla ai agli alle da dal dall dallo "
    "dalla dai dagli dalle d di del dell dello della dei degli delle in nel nell nello "
    "nella nei negli nelle su sul sull sullo sulla sui sugli sulle con col per tra fra e "
    "ed o che molto suono suoni",
    "pt": "o a os as um uma uns umas ao à aos às de do da dos das em no na nos nas por pelo "
    "pela pelos pelas para com sem sobre entre até contra e ou que muito som sons",
    "ru": "и в во на с со по из от к ко о об обо у за для без под над при про через до "
    "после перед между или а но очень звук звуки",
}
#: Chinese and Japanese words for "sound" itself, dropped like English "sound".
_UNSPACED_SOUND_WORDS = frozenset({"音", "声音", "音效", "効果音", "サウンド", "声响"})
_UNSPACED_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_KANA = re.compile(r"[\u3040-\u30ff\uff66-\uff9f]")
_WORD = re.compile(r"[^\W_]+")
_LINKS = ("s", "es", "n", "en", "e", "er")  # German linking letters: Schmerz-ens-schrei
_SHORTEST_PART = 3
_SHORTEST_STEMMED = 4  # letters: shorter words match too much by their stems
_LONGEST_COMPOUND = 40  # letters; longer words are not cut
_LONGEST_RUN = 64  # characters of a Chinese or Japanese run that are cut
_MOST_GROUPS = 8  # English word groups of one cut word


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

#: Snowball stemmers: a word's other forms are found too ("puertas" finds "puerta",
#: "двери" finds "дверь"); English ones tell English words apart.
STEMMERS = {
    "en": "english",
    "es": "spanish",
    "fr": "french",
    "de": "german",
    "it": "italian",
    "pt": "portuguese",
    "ru": "russian",
}
#: Languages whose stemmer cuts a noun's base form further than its other forms: Russian
#: "ресторан" stems to "рестора", "в ресторане" to "ресторан". A form not found whose stem
#: is a base form the lexicon has is stemmed once more, to reach that base form's stem.
STEMMED_TWICE = frozenset({"ru"})
_STEM_LOCK = threading.Lock()  # a Snowball stemmer keeps its state on the object


@functools.lru_cache(maxsize=8192)
def _stem(language: str, word: str) -> str:
    return fold(snowball_stem(STEMMERS[language], word.lower()))


def snowball_stem(algorithm: str, word: str) -> str:
    """A word's stem by one of Snowball's algorithms ("english", "porter"...), safe from
    any thread."""
    stemmer = _stemmer(algorithm)
    with _STEM_LOCK:
        return str(stemmer.stemWord(word))


@functools.cache
def _stemmer(algorithm: str) -> Any:
    import snowballstemmer  # only for a query with words to look up (~20 ms)

    return snowballstemmer.stemmer(algorithm)


def stem_key(language: str, words: Sequence[str]) -> str:
    """The key of a phrase of a spaced language in the lexicon's ``stems``."""
    return " ".join(_stem(language, w) for w in words)


Groups = tuple[tuple[str, ...], ...]  # English word groups: any group, all its words


@dataclass(frozen=True)
class Lexicon:
    """Per language, a folded word or phrase -> its English phrasings (words joined by
    spaces; none for a word with no sound meaning), and the same by stem; plus the English
    words of the glossary, and the English stems of sound-library words."""

    languages: Mapping[str, Mapping[str, Sequence[str]]]
    stems: Mapping[str, Mapping[str, Sequence[str]]]
    english: frozenset[str]
    #: English stems of sound libraries' words (the UCS list's names and synonyms,
    #: file-name abbreviations, the glossary's English)
    vocabulary: frozenset[str] = frozenset()
    #: those words as written
    surface: frozenset[str] = frozenset()

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

    @functools.cached_property
    def longest_unspaced(self) -> int:
        """The most characters in a Chinese or Japanese phrase."""
        return max((len(k) for lang in UNSPACED for k in self.languages.get(lang, {})), default=1)

    def is_english(self, word: str) -> bool:
        """Whether a word is an English word of sound libraries: as written, or another
        form of one that is not a word of another language as written ("speaking" is,
        German "Applaus" is not; nor is a word typed with accents that English writes
        without them: "épée", "armónica")."""
        folded, typed = fold(word), word.casefold()
        if folded != typed:
            return typed in self.surface or typed in self.english
        if folded in self.surface or folded in self.english:
            return True
        return _stem("en", word) in self.vocabulary and not any(
            folded in table for lang, table in self.languages.items() if lang not in UNSPACED
        )

    def lookup(self, language: str, words: Sequence[str]) -> Groups | None:
        """The English of a phrase (its words as typed, lower case) as word groups: () for
        a word with no sound meaning, None when the language does not know it."""
        found = self.match(language, words)
        return found[0] if found else None

    def abroad(self, language: str, word: str) -> Groups:
        """The English of a word that is English too, as ``language`` writes it (Spanish
        "motor" is an engine): for a query of that language; () when it has none, or when
        its first sense is the word itself (Italian "synth": adding "synthesizer" would
        rank sounds holding both above those holding the query's other words)."""
        said = self.languages.get(language, {}).get(fold(word), [])
        groups = tuple(tuple(_WORD.findall(p)) for p in said if _WORD.search(p))
        return groups if groups and groups[0] != (fold(word),) else ()

    def match(self, language: str, words: Sequence[str]) -> tuple[Groups, bool] | None:
        """:meth:`lookup`, and whether the phrase was found as written (else by its
        stems, for words of four letters or more). A phrase of the glossary's English
        words is not looked up, nor is a phrase of English words by stem."""
        folded = [fold(w) for w in words]
        if all(w.casefold() in self.english for w in words):
            return None  # English already ("synth lead"), accents and all
        key = ("" if language in UNSPACED else " ").join(folded)
        said = self.languages.get(language, {}).get(key)
        exact = said is not None
        stemmed = self.stems.get(language)
        if (
            said is None
            and stemmed
            and all(len(w) >= _SHORTEST_STEMMED for w in words)  # "rev" is no "revés"
            and not all(self.is_english(w) for w in words)
        ):
            key = stem_key(language, words)
            said = stemmed.get(key)
            once = key.split() if said is None and language in STEMMED_TWICE else ()
            if once and all(w in self.languages.get(language, {}) for w in once):
                # each word stemmed once is a base form the lexicon has ("ресторане" gives
                # "ресторан"; "рояли" gives "роял", no word, whose stem "ро" is a swarm's)
                said = stemmed.get(" ".join(_stem(language, w) for w in once))
        if said is None:
            return None
        return tuple(tuple(_WORD.findall(p)) for p in said if _WORD.search(p)), exact


@functools.cache
def shipped_lexicon() -> Lexicon:
    """The lexicon shipped with the package (read once, with the English stemmer loaded:
    the server's warm-up search reads it, so its first user search pays for neither)."""
    _stemmer(STEMMERS["en"])
    return read_lexicon(LEXICON_PATH)


def read_lexicon(path: Path) -> Lexicon:
    """A lexicon file written by ``python -m training.lexicon``."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != LEXICON_FORMAT:
        raise ValueError(f"{path}: lexicon format {data.get('format')!r}, not {LEXICON_FORMAT}")
    return Lexicon(
        data["languages"],
        data["stems"],
        frozenset(data["english"]),
        frozenset(data["vocabulary"]),
        frozenset(data["surface"]),
    )


@dataclass(frozen=True)
class _Span:
    """Query words ``start:stop`` matched by one phrase (``english``: its English), or one
    word cut into ``parts`` (``english``: what holds them all); ``weight``: how much each
    word says the query is in that language (1 found as written, 0.5 by stem or cut)."""

    start: int
    stop: int
    english: Groups
    weight: float = 1.0
    parts: tuple[_Part, ...] = ()  # a cut word's


def translate_words(query: WordsQuery, lexicon: Lexicon | None = None) -> WordsQuery:
    """``query`` with the English of its words in another language as alternatives (see
    the module docstring), and the terms as typed kept in ``as_typed``; the query itself
    when nothing is translated. The sound side's text (``sound_text``) is never changed."""
    if not query.include and not query.exclude:
        return query
    lexicon = lexicon or shipped_lexicon()
    if _is_english(query, lexicon) and not _foreign_phrase(query, lexicon):
        return query
    include, language = _translated(list(query.include), lexicon, left_out=False)
    exclude, _ = _translated(list(query.exclude), lexicon, left_out=True, language=language)
    if include == list(query.include) and exclude == list(query.exclude):
        return query
    include = list(dict.fromkeys(include))
    notes = query.notes
    if len(include) > MAX_TERMS:
        include = include[:MAX_TERMS]
        note = f"only the first {MAX_TERMS} words were matched"
        notes = notes if note in notes else (*notes, note)
    return replace(
        query,
        include=tuple(include),
        exclude=tuple(dict.fromkeys(exclude))[:MAX_TERMS],
        notes=notes,
        as_typed=query.include,
    )


def knows_a_word(query: WordsQuery, lexicon: Lexicon | None = None) -> bool:
    """Whether the lexicon knows a positive word of the (translated) query: one with an
    English alternative, an English word of sound libraries, a model number. "qwertyuiop"
    and "lorem ipsum" hold none."""
    lexicon = lexicon or shipped_lexicon()
    return any(term.also or any(_known(w, lexicon) for w in term.words) for term in query.include)


def _known(word: str, lexicon: Lexicon) -> bool:
    """An English word of sound libraries, a model number ("808", "AK47") or a Chinese or
    Japanese word for "sound" itself (効果音, searched as typed)."""
    return (
        lexicon.is_english(word) or any(c.isdigit() for c in word) or word in _UNSPACED_SOUND_WORDS
    )


def _is_english(query: WordsQuery, lexicon: Lexicon) -> bool:
    """Whether every word of the query is an English word of sound libraries in some form
    (numbers and stop words aside): "man speaking" is not Spanish "mano"."""
    words = [w for t in (*query.include, *query.exclude) for w in t.words]
    return all(
        w in STOP_WORDS or any(c.isdigit() for c in w) or lexicon.is_english(w) for w in words
    )


def _foreign_phrase(query: WordsQuery, lexicon: Lexicon) -> bool:
    """Whether the query holds a phrase of two or more words of another language as
    written ("piano de cola", although every word of it is English too)."""
    words = [_plain_word(t) for t in query.include]
    return any(
        s.weight == 1.0 and s.stop - s.start > 1
        for lang in LANGUAGES
        if lang not in UNSPACED
        for s in _spans(words, lexicon, lang)
    )


def _translated(
    terms: list[Term], lexicon: Lexicon, *, left_out: bool, language: str | None = None
) -> tuple[list[Term], str | None]:
    """The terms with alternatives, and the spaced language used (None: none)."""
    words = [_plain_word(t) for t in terms]
    candidates = [language] if language else [lang for lang in LANGUAGES if lang not in UNSPACED]
    spans_of = {lang: _spans(words, lexicon, lang, left_out) for lang in candidates}
    if language is None:
        language = _best_language(words, spans_of)
    spans = {s.start: s for s in spans_of.get(language or "", [])}
    stop = FUNCTION_WORDS.get(language or "", frozenset())
    inside = {i for s in spans.values() for i in range(s.start, s.stop)}
    # an English word the language does not hold: a query of mixed languages ("lluvia tin
    # roof"), whose English words keep their English sense only
    mixed = any(
        w
        and i not in inside
        and fold(w) not in stop
        and lexicon.is_english(w)
        and not lexicon.abroad(language or "", w)
        for i, w in enumerate(words)
    )
    out: list[Term] = []
    meaningless: list[Term] = []  # function words, words for "sound"
    skip_to = 0
    for i, term in enumerate(terms):
        if i < skip_to:
            continue
        span = spans.get(i)
        word = words[i]
        if span is not None and span.parts and not left_out:
            skip_to = span.stop
            out.extend(_part_terms(term.words[0], span.parts))
        elif span is not None:
            skip_to = span.stop
            typed = tuple(w for t in terms[span.start : span.stop] for w in t.words)
            translated = _with_english(typed, span.english)
            if span.english and not translated.also:  # nothing new
                out.extend(terms[span.start : span.stop])
            else:
                out.append(translated)
                if not span.english:
                    meaningless.append(translated)
        elif word is not None and _UNSPACED_CHAR.search(word):
            cut = _cut_unspaced(word, lexicon, left_out)
            # a word for "sound" is never translated ("音" alone is no musical note)
            cut = [Term(t.words) if t.words[0] in _UNSPACED_SOUND_WORDS else t for t in cut]
            out.extend(cut)
            meaningless.extend(t for t in cut if t.words[0] in _UNSPACED_SOUND_WORDS)
        elif (
            word
            and language
            and not left_out
            and fold(word) not in stop
            and lexicon.is_english(word)
            and not mixed
        ):
            # English too, in a query of another language ("el motor"): its English as well
            abroad = _with_english(term.words, lexicon.abroad(language, word))
            out.append(abroad if abroad.also else term)
        elif len(term.words) > 1 and not term.prefix:  # a quoted phrase: as written, whole
            found = (lexicon.match(lang, term.words) for lang in (language, *LANGUAGES) if lang)
            english = next((f[0] for f in found if f and f[1] and f[0]), ())  # the first
            out.append(_with_english(term.words, english))
        else:
            out.append(term)
            if word is not None and fold(word) in stop:
                meaningless.append(term)
    if not left_out:
        out = [t for t in out if t not in meaningless] or out
    return out, language


def _plain_word(term: Term) -> str | None:
    """The word of a one-word, non-prefix term (None for phrases and prefixes)."""
    return None if term.prefix or len(term.words) != 1 else term.words[0]


def _best_language(words: list[str | None], spans_of: Mapping[str, list[_Span]]) -> str | None:
    """The spaced language with the most evidence: each word its phrases cover as written
    counts 1, by stem or cut 0.5, each of its function words 1 ("ruido de las olas" is
    Spanish, though French stems "las" as in "laser"); then the most words covered, then
    the first. None when no language has any."""
    best, best_score = None, (0.0, 0)
    for language, spans in spans_of.items():
        inside = {i for s in spans for i in range(s.start, s.stop)}
        stop = FUNCTION_WORDS.get(language, frozenset())
        others = sum(1 for i, w in enumerate(words) if i not in inside and w and fold(w) in stop)
        evidence = sum(s.weight * (s.stop - s.start) for s in spans) + others
        if (evidence, len(inside)) > best_score:
            best, best_score = language, (evidence, len(inside))
    return best


def _spans(
    words: list[str | None], lexicon: Lexicon, language: str, left_out: bool = False
) -> list[_Span]:
    """The longest-first matches of one language's phrases over the query's words (a
    function word alone is no match); a word matching none may be a compound of known
    words (:data:`COMPOUNDING`)."""
    stop = FUNCTION_WORDS.get(language, frozenset())
    spans: list[_Span] = []
    i = 0
    while i < len(words):
        for length in range(min(lexicon.longest, len(words) - i), 0, -1):
            part = words[i : i + length]
            if any(w is None or _UNSPACED_CHAR.search(w) for w in part):
                continue
            if length == 1 and fold(part[0] or "") in stop:
                continue
            found = lexicon.match(language, part)  # type: ignore[arg-type]
            if found is not None:
                spans.append(_Span(i, i + length, found[0], 1.0 if found[1] else 0.5))
                i += length
                break
        else:
            word = words[i]
            if word and language in COMPOUNDING and _may_be_compound(word, lexicon):
                parts = _compound(word, lexicon, language, {})
                if parts and any(p.foreign for p in parts):
                    english = _all_of([p.english for p in parts])
                    spans.append(_Span(i, i + 1, english, 0.5, tuple(parts)))
            i += 1
    return spans


def _may_be_compound(word: str, lexicon: Lexicon) -> bool:
    return (
        2 * _SHORTEST_PART <= len(word) <= _LONGEST_COMPOUND
        and word.isalpha()
        and not _UNSPACED_CHAR.search(word)
        and not lexicon.is_english(word)
    )


def _compound(
    word: str,
    lexicon: Lexicon,
    language: str,
    memo: dict[tuple[str, int], list[_Part] | None],
    depth: int = 0,
) -> list[_Part] | None:
    """A word cut into two or three words the lexicon knows (the longest first part
    first; German linking letters dropped); None if it cannot be cut. ``memo`` holds the
    cuts of suffixes already tried, by depth (a suffix is a tail at several depths)."""
    if (word, depth) in memo:
        return memo[word, depth]
    memo[word, depth] = None
    if depth > 1 or len(word) < 2 * _SHORTEST_PART:
        return None
    for cut in range(len(word) - _SHORTEST_PART, _SHORTEST_PART - 1, -1):
        head, tail = word[:cut], word[cut:]
        found = _part(tail, lexicon, language)
        rest = [found] if found else _compound(tail, lexicon, language, memo, depth + 1)
        if not rest:
            continue
        for link in ("", *_LINKS):
            if link and (not head.endswith(link) or len(head) - len(link) < _SHORTEST_PART):
                continue
            first = _part(head[: len(head) - len(link)], lexicon, language)
            if first:
                memo[word, depth] = [first, *rest]
                return memo[word, depth]
    return None


@dataclass(frozen=True)
class _Part:
    """A part of a cut word: as written, its English, and whether the language knows it
    (else it is an English word)."""

    text: str
    english: Groups
    foreign: bool = True


def _part(word: str, lexicon: Lexicon, language: str) -> _Part | None:
    """A compound's part, if the language knows it or it is an English word as written."""
    english = lexicon.lookup(language, [word])
    if english:
        return _Part(word, english)
    if word.isascii() and fold(word) in lexicon.english:
        return _Part(word, ((fold(word),),), foreign=False)
    return None


def _all_of(parts: list[Groups]) -> Groups:
    """Word groups holding one English phrasing of every part (the first few)."""
    combos = itertools.islice(itertools.product(*parts), _MOST_GROUPS)
    return tuple(tuple(dict.fromkeys(w for group in combo for w in group)) for combo in combos)


def _cut_unspaced(word: str, lexicon: Lexicon, left_out: bool) -> list[Term]:
    """A Chinese or Japanese run cut into the longest words the lexicons know, each a
    term with its English and the whole run as typed; letters and digits of other
    scripts kept as they are. A left-out run is one term (all the parts' English). The
    run as it was when nothing is known."""
    text = fold(word)
    known: list[_Part] = []
    kana = bool(_KANA.search(text))
    kept: list[str] = []
    i = 0
    while i < min(len(text), _LONGEST_RUN):
        for length in range(min(lexicon.longest_unspaced, len(text) - i), 0, -1):
            piece = text[i : i + length]
            ja, zh = (lexicon.lookup(lang, [piece]) for lang in UNSPACED)
            if length == 1 < len(text) and zh is None and not kana:
                ja = None  # one kanji, Japanese only, in a run with no kana: 琴 in 电子琴
            english = tuple(dict.fromkeys(g for groups in (ja, zh) if groups for g in groups))
            if english or piece in _UNSPACED_SOUND_WORDS:
                known.append(_Part(piece, english))
                i += length
                break
        else:
            end = i
            while end < len(text) and text[end].isalnum() and not _UNSPACED_CHAR.match(text[end]):
                end += 1
            if end > i:  # Latin letters or digits: kept ("ドアslam")
                kept.append(text[i:end])
            i = max(end, i + 1)  # an unknown character of those scripts is dropped
    if not known:
        return [Term((word,))]
    if left_out:
        return [_with_english((word,), _all_of([p.english for p in known if p.english]))]
    return [*_part_terms(text, known), *(Term((k,)) for k in kept)]


def _part_terms(whole: str, parts: Sequence[_Part]) -> list[Term]:
    """One term per part of a cut word: the part, its English, or the whole word as
    typed (so a sound named as typed holds every term)."""
    return [
        _with_english((p.text,), p.english if p.text == whole else ((whole,), *p.english))
        for p in parts
    ]


def _with_english(original: tuple[str, ...], english: Groups) -> Term:
    """A term matching ``original`` or all the words of any English phrasing; a phrasing
    holding every word of another is left out (a sound with "acoustic", "bass" and "drum"
    has "bass" and "drum")."""
    groups = [e for e in dict.fromkeys(english) if e and set(e) != set(original)]
    kept = [e for e in groups if not any(set(o) < set(e) for o in [*groups, original])]
    return Term(original, also=tuple(kept))

"""Words search: the catalog's FTS5 index (BM25) queried with what a user typed.

User text never reaches FTS5 syntax raw: :func:`parse_words` keeps only words (Unicode
letters and digits, split as file names are), quoted phrases, a trailing ``*`` for a prefix
and a leading ``-`` for a term to leave out, and :meth:`WordsQuery.fts` quotes every term
itself. Sounds holding every positive term come first; then those holding some (the OR of
the terms, BM25 ranking more and rarer terms first). Stop words are dropped unless nothing
else is left.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from soundscout.catalog.catalog import Catalog
from soundscout.errors import InvalidQueryError
from soundscout.metadata.names import fold_stray_capitals, plain_text, split_words
from soundscout.metadata.words import FIELDS
from soundscout.search.notes import shown
from soundscout.search.query import Filters, WordMatch

#: BM25 weight of each lexical field, in :data:`FIELDS` order (name first).
FIELD_WEIGHTS = {
    "name": 6.0,
    "title": 5.0,
    "description": 4.0,
    "keywords": 4.0,
    "category": 3.0,
    "folders": 2.0,
    "other": 1.0,
}
MAX_TERMS = 16
#: Fields the as-typed tier leaves out: an artist "Video-Kuh Produktion" says nothing of a
#: waterfall, and must not lift it above the cows of a German query's "Kuh".
AS_TYPED_LEFT_OUT = ("other",)
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD = re.compile(r"[^\W_]+")
STOP_WORDS = frozenset(
    {"a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "in", "into", "is"}
    | {"it", "of", "on", "or", "that", "the", "this", "to", "with", "sound", "sounds"}
)
_OPEN, _CLOSE = "\ue000", "\ue001"  # highlight markers no tag can hold


@dataclass(frozen=True)
class Term:
    """One positive or negative term: a word, a phrase of words, or a word prefix."""

    words: tuple[str, ...]
    prefix: bool = False
    #: other ways to match it, each a group of words a sound must all hold, in any order
    #: (a one-element group with a space is a phrase, "hi hat"): the English of a word in
    #: another language (:mod:`soundscout.search.crosslingual`), a compound's parts
    #: (:mod:`~soundscout.search.compounds`), what an abbreviation stands for
    also: tuple[tuple[str, ...], ...] = ()

    def fts(self) -> str:
        """This term in FTS5 syntax: one quoted string, ``*`` after it for a prefix; with
        ``also``, the OR of the term and its word groups, in parentheses."""
        quoted = _quoted(" ".join(self.words)) + ("*" if self.prefix else "")
        if not self.also:
            return quoted
        groups = [" AND ".join(_quoted(w) for w in group) for group in self.also]
        return "(" + " OR ".join([quoted, *(f"({g})" if " " in g else g for g in groups)]) + ")"

    def loose_words(self) -> tuple[str, ...]:
        """The words of this term's first English alternative when it takes more than one
        word ("bird" and "tweet" of 鳥のさえずり's "bird tweet"; "bird" and "song" of
        "birdsong", a compound, by its parts; "gun" and "shot" of a typed "gunshot"), each
        of which alone also matches the term loosely, as the words of an English query
        typed apart do. Nothing when it is one word ("kick" says キック: "bass" of its other
        alternative "bass drum" alone is no kick), and only the first alternative: the
        later ones say the same in other words ("synth" and "synthesizer")."""
        english = [g for g in self.also if all(w.isascii() for w in g)]  # not a typed run
        if not english:
            return ()
        first = english[0]
        if len(first) == 1:  # a compound's parts follow it ("birdsong", then bird + song)
            first = next((g for g in english if len(g) > 1 and "".join(g) == first[0]), ())
        return tuple(dict.fromkeys(w for w in first if len(w) >= 3 and w not in STOP_WORDS))

    def loose_fts(self) -> str:
        """This term, or any one of its :meth:`loose_words`, in FTS5 syntax."""
        loose = self.loose_words()
        if not loose:
            return self.fts()
        return "(" + " OR ".join([self.fts(), *(_quoted(w) for w in loose)]) + ")"


def _quoted(text: str) -> str:
    """An FTS5 string (a quote inside doubled; words never hold one)."""
    return '"' + text.replace('"', '""') + '"'


@dataclass(frozen=True)
class WordsQuery:
    """What a text query asks of the words: terms to find and terms to leave out."""

    include: tuple[Term, ...] = ()
    exclude: tuple[Term, ...] = ()
    sound_text: str = ""  # the text for the sound side: words only, no syntax
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: the positive terms as typed, when ``include`` holds translations of them
    #: (:mod:`soundscout.search.crosslingual`): sounds holding all of these rank first
    as_typed: tuple[Term, ...] = ()

    def fts(self, every: bool = False) -> str | None:
        """The FTS5 MATCH expression of the positive terms (any of them, or ``every`` one),
        or None when there are none."""
        if not self.include:
            return None
        return (" AND " if every else " OR ").join(t.fts() for t in self.include)

    def loose_fts(self) -> str | None:
        """The MATCH expression of the positive terms loosely (each also by any one of
        its :meth:`Term.loose_words`), or None when no term has loose words."""
        if not any(t.loose_words() for t in self.include):
            return None
        return " OR ".join(t.loose_fts() for t in self.include)

    def width(self) -> int:
        """How many words the positive terms ask for: a term counts its loose words (one
        holding "bird tweet" in full asks for two, as the English "bird tweet" does)."""
        return sum(max(1, len(t.loose_words())) for t in self.include)

    def exclude_fts(self) -> str | None:
        """The MATCH expression of the negative terms, or None."""
        return " OR ".join(t.fts() for t in self.exclude) or None


def parse_words(text: str) -> WordsQuery:
    """Split a user's query into terms; never raises, whatever the text.

    A bare token is split as file names are (``door_slam``, ``FootStepSnow1``,
    ``door/slam`` are two or three words, take numbers dropped; capitals typed astray, as in
    ``eXpLoSiOn``, are not humps) and each word is its own
    term (a left-out token is one phrase); a quoted phrase is one term; ``*`` after two or
    more letters makes a prefix.
    """
    include: list[Term] = []
    exclude: list[Term] = []
    notes = []
    for match in _TOKEN.finditer(fold_stray_capitals(plain_text(text or ""))):
        negative, quoted, bare = bool(match.group(1)), match.group(2), match.group(3)
        if bare is not None:
            negative = bare.startswith("-")
            words = _words_of(bare)
            # a left-out hi-hat leaves out the phrase, not every hat
            terms = [Term(words)] if negative and words else [Term((w,)) for w in words]
            if terms and bare.endswith("*"):
                if len(terms[-1].words[-1]) >= 2:
                    terms[-1] = Term(terms[-1].words, prefix=True)
                else:
                    notes.append(f"{bare.lstrip('-')!r}: a prefix needs two letters or more")
        else:
            words = _words_of(quoted)
            terms = [Term(words)] if words else []
        (exclude if negative else include).extend(terms)
    sound_text = " ".join(" ".join(t.words) for t in include)
    meaningful = [
        t for t in include if len(t.words) > 1 or t.prefix or t.words[0] not in STOP_WORDS
    ]
    include = list(dict.fromkeys(meaningful or include))  # only common words: match them
    if len(include) > MAX_TERMS:
        notes.append(f"only the first {MAX_TERMS} words were matched")
        include = include[:MAX_TERMS]
    exclude = list(dict.fromkeys(exclude))[:MAX_TERMS]
    return WordsQuery(tuple(include), tuple(exclude), sound_text, tuple(notes))


def nothing_to_find(text: str, query: WordsQuery) -> InvalidQueryError:
    """The error for a text query that holds nothing to find (emoji, punctuation, or only
    left-out words) and no reference sound."""
    if query.exclude:
        return InvalidQueryError(
            f"{shown(text)} only leaves words out: add a word to find, or a reference sound."
        )
    return InvalidQueryError(
        f"Nothing to search for in {shown(text)}: a query needs a word (letters or digits) "
        "or a reference sound."
    )


def _words_of(token: str) -> tuple[str, ...]:
    """The words of one token as names are split; its plain words when that leaves none
    (a lone number, a single letter)."""
    return tuple(split_words(token)) or tuple(w.lower() for w in _WORD.findall(token))


class LexicalIndex:
    """BM25 queries over the catalog's ``sound_words`` table."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        weights = ", ".join(str(FIELD_WEIGHTS[f]) for f in FIELDS)
        self._rank = f"bm25(sound_words, {weights})"

    def search(
        self, query: WordsQuery, limit: int, filters: Filters | None = None
    ) -> list[tuple[int, float]]:
        """(sound id, words score) best first; the score is BM25 made positive.

        Sounds holding every word come first (BM25 order among them), then the rest of
        the OR query's BM25 order; the OR query runs only when fewer than ``limit`` sounds
        hold every word (BM25 scores every matching row, ~2 us each at 10^6 sounds). When
        the terms hold translations (``as_typed``), sounds holding every word as typed (in
        their names, tags and folders, not :data:`AS_TYPED_LEFT_OUT`) come before all of
        these. Then, while the list has room, sounds holding one word of a term's first
        English alternative of two or more words (:meth:`Term.loose_words`):
        a word of another language that translates to two English words ("bird tweet")
        finds what the English query's OR finds.
        """
        every, any_ = query.fts(every=True), query.fts()
        if every is None or any_ is None or limit < 1:
            return []
        tiers = [every, any_] if len(query.include) > 1 else [every]
        typed = WordsQuery(query.as_typed).fts(every=True)
        if typed is not None:  # in the fields that say what a sound is, not who made it
            tiers.insert(0, f"- {{{' '.join(AS_TYPED_LEFT_OUT)}}} : ({typed})")
        rows: list[tuple[int, float]] = []
        for expression in tiers:
            if len(rows) >= limit:
                break
            seen = {i for i, _ in rows}
            more = self._ranked(expression, query, limit, filters)
            rows += [r for r in more if r[0] not in seen][: limit - len(rows)]
        loose = query.loose_fts()
        if len(rows) < limit and loose is not None:
            seen = {i for i, _ in rows}
            more = self._ranked(loose, query, limit, filters)
            rows += [r for r in more if r[0] not in seen][: limit - len(rows)]
        return rows

    def _ranked(
        self, expression: str, query: WordsQuery, limit: int, filters: Filters | None
    ) -> list[tuple[int, float]]:
        excluded = query.exclude_fts()
        if excluded is not None:
            expression = f"({expression}) NOT ({excluded})"
        if filters is not None and filters.active:
            where, params = self.catalog.filter_clause(filters)
            sql = (
                f"SELECT w.rowid, -{self._rank} FROM sound_words w JOIN sounds ON sounds.id = "
                f"w.rowid WHERE sound_words MATCH ? AND {where} ORDER BY {self._rank} LIMIT ?"
            )
            rows = self.catalog.query(sql, [expression, *params, limit])
        else:
            sql = (
                f"SELECT rowid, -{self._rank} FROM sound_words WHERE sound_words MATCH ? "
                f"ORDER BY {self._rank} LIMIT ?"
            )
            rows = self.catalog.query(sql, [expression, limit])
        return [(int(r[0]), float(r[1])) for r in rows]  # type: ignore[arg-type]

    def fields(self, sound_id: int) -> dict[str, str]:
        """The text of each lexical field of one sound (empty when it has none)."""
        rows = self.catalog.query(
            f"SELECT {', '.join(FIELDS)} FROM sound_words WHERE rowid = ?", [sound_id]
        )
        return {f: str(v) for f, v in zip(FIELDS, rows[0], strict=True) if v} if rows else {}

    def excluded(self, query: WordsQuery, ids: Sequence[int]) -> set[int]:
        """Those of ``ids`` whose words hold a negative term of the query."""
        expression = query.exclude_fts()
        if expression is None or not ids:
            return set()
        return self._matching(expression, ids)

    def _matching(self, expression: str, ids: Sequence[int]) -> set[int]:
        out: set[int] = set()
        for start in range(0, len(ids), 500):
            chunk = [int(i) for i in ids[start : start + 500]]
            marks = ",".join("?" * len(chunk))
            rows = self.catalog.query(
                f"SELECT rowid FROM sound_words WHERE sound_words MATCH ? AND rowid IN ({marks})",
                [expression, *chunk],
            )
            out.update(int(r[0]) for r in rows)  # type: ignore[call-overload]
        return out

    def coverage(self, query: WordsQuery, ids: Sequence[int]) -> dict[int, float]:
        """Share of the query's positive terms each sound's words hold (0..1)."""
        if not query.include or not ids:
            return {int(i): 0.0 for i in ids}
        found = {int(i): 0.0 for i in ids}
        for term in query.include:
            held = self._matching(term.fts(), list(found))
            for sound_id in held:
                found[sound_id] += 1.0
            for sound_id, share in self._loose_shares(term, [i for i in found if i not in held]):
                found[sound_id] += share
        return {i: n / len(query.include) for i, n in found.items()}

    def _loose_shares(self, term: Term, ids: list[int]) -> list[tuple[int, float]]:
        """For sounds not holding ``term``: the share of its loose words each holds (a
        sound named "bird" holds half of "bird tweet"), where above 0."""
        loose = term.loose_words()
        if not loose or not ids:
            return []
        holders = [self._matching(_quoted(w), ids) for w in loose]
        shares = [(i, sum(i in held for held in holders) / len(loose)) for i in ids]
        return [(i, share) for i, share in shares if share > 0]

    def matches(self, query: WordsQuery, ids: Sequence[int]) -> dict[int, list[WordMatch]]:
        """The query words found in each field of each sound (for explanations)."""
        expression = query.loose_fts() or query.fts()
        if expression is None or not ids:
            return {}
        columns = ", ".join(
            f"highlight(sound_words, {n}, '{_OPEN}', '{_CLOSE}')" for n in range(len(FIELDS))
        )
        chunk = [int(i) for i in ids][:500]
        rows = self.catalog.query(
            f"SELECT rowid, {columns} FROM sound_words WHERE sound_words MATCH ? "
            f"AND rowid IN ({','.join('?' * len(chunk))})",
            [expression, *chunk],
        )
        out: dict[int, list[WordMatch]] = {}
        for row in rows:
            found = [
                WordMatch(name, words)
                for name, text in zip(FIELDS, row[1:], strict=True)
                if (words := _highlighted(str(text or "")))
            ]
            out[int(row[0])] = found  # type: ignore[call-overload]
        return out


def _highlighted(text: str) -> tuple[str, ...]:
    """The distinct marked words of a highlighted field text, less a name's joined pair
    (``footstep`` of ``FootStep``, :func:`soundscout.metadata.words`) whose two words are
    marked too: "foot step", not "foot step footstep"."""
    found = re.findall(f"{_OPEN}(.*?){_CLOSE}", text, flags=re.S)
    words = tuple(dict.fromkeys(w.strip().lower() for w in found if w.strip()))
    held = set(words)
    return tuple(w for w in words if not _joins_two(w, held))


def _joins_two(word: str, held: set[str]) -> bool:
    """Whether ``word`` is two other words of ``held`` written together."""
    return any(word[:i] in held and word[i:] in held for i in range(1, len(word)))

"""The lexical side: parsing what a user typed, and BM25 queries over a real catalog's FTS5."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soundscout.catalog.catalog import Catalog, FileEntry, Outcome
from soundscout.errors import InvalidQueryError
from soundscout.metadata.words import FIELDS
from soundscout.search.lexical import (
    FIELD_WEIGHTS,
    MAX_TERMS,
    LexicalIndex,
    Term,
    WordsQuery,
    parse_words,
)
from soundscout.search.query import Filters, WordMatch

STOP_NOTE = "only common words (such as 'the', 'of') were given to match"


def _t(*words: str, prefix: bool = False) -> Term:
    return Term(tuple(words), prefix=prefix)


# (typed, include, exclude, sound_text, notes)
PARSE_CASES = [
    ("door slam", [_t("door"), _t("slam")], [], "door slam", []),
    ('"door slam" heavy', [_t("door", "slam"), _t("heavy")], [], "door slam heavy", []),
    ("expl*", [_t("expl", prefix=True)], [], "expl", []),
    ("impact -metal", [_t("impact")], [_t("metal")], "impact", []),
    ('impact -"metal door"', [_t("impact")], [_t("metal", "door")], "impact", []),
    ("hi-hat", [_t("hi"), _t("hat")], [], "hi hat", []),
    ("-hi-hat", [], [_t("hi", "hat")], "", []),
    ("hi-ha*", [_t("hi"), _t("ha", prefix=True)], [], "hi ha", []),
    # a one-letter prefix would match nearly everything: the letter, and a note
    ("e*", [_t("e")], [], "e", ["'e*': a prefix needs two letters or more"]),
    ('"door slam"*', [_t("door", "slam")], [], "door slam", []),  # a phrase has no prefix
    ("door*slam", [_t("door"), _t("slam")], [], "door slam", []),
    ("door_slam", [_t("door"), _t("slam")], [], "door slam", []),  # split as names are
    ("FootStepSnow1", [_t("foot"), _t("step"), _t("snow")], [], "foot step snow", []),
    ("sheep_02", [_t("sheep")], [], "sheep", []),  # take numbers dropped, as in names
    ("DOORWood", [_t("door"), _t("wood")], [], "door wood", []),
    ("Door DOOR door", [_t("door")], [], "door door door", []),
    ("the door", [_t("door")], [], "the door", []),
    ("the of", [_t("the"), _t("of")], [], "the of", []),  # only common words: matched
    ("a sound", [_t("a"), _t("sound")], [], "a sound", []),
    ('"the of"', [_t("the", "of")], [], "the of", []),  # a quoted phrase is kept
    ('"unbalanced quote', [_t("unbalanced", "quote")], [], "unbalanced quote", []),
    ('door "', [_t("door")], [], "door", []),
    ("-", [], [], "", []),
    ("--", [], [], "", []),
    ("*", [], [], "", []),
    ("-*", [], [], "", []),
    (":", [], [], "", []),
    ('""', [], [], "", []),
    ("", [], [], "", []),
    ("   ", [], [], "", []),
    ("name:door", [_t("name"), _t("door")], [], "name door", []),  # no column filter
    ("NEAR(door", [_t("near"), _t("door")], [], "near door", []),
    (
        "NEAR(door slam, 2)",
        [_t("near"), _t("door"), _t("slam"), _t("2")],
        [],
        "near door slam 2",
        [],
    ),
    # FTS5 operators are words: AND and OR are stop words, NOT is searched for.
    ("door AND slam OR NOT", [_t("door"), _t("slam"), _t("not")], [], "door and slam or not", []),
    ("AND OR", [_t("and"), _t("or")], [], "and or", []),
    ("^door {slam}", [_t("door"), _t("slam")], [], "door slam", []),
    ("door\\ \x00slam", [_t("door"), _t("slam")], [], "door slam", []),
    ("Tür Café", [_t("tür"), _t("café")], [], "tür café", []),
    ("扉 ドア", [_t("扉"), _t("ドア")], [], "扉 ドア", []),
    ("🚪door", [_t("door")], [], "door", []),
    ("kick_808", [_t("kick"), _t("808")], [], "kick 808", []),
    # Capitals typed astray are one word, not humps: the sound side hears the word.
    ("eXpLoSiOn", [_t("explosion")], [], "explosion", []),
    ("explosioN", [_t("explosion")], [], "explosion", []),
    ("bIrD sOnG", [_t("bird"), _t("song")], [], "bird song", []),
    ("DOor -sLaM", [_t("door")], [_t("slam")], "door", []),
    ("вЗрЫв", [_t("взрыв")], [], "взрыв", []),
    (
        '"vOgElGeZwItScHeR im Wald"',
        [_t("vogelgezwitscher", "im", "wald")],
        [],
        "vogelgezwitscher im wald",
        [],
    ),
]


@pytest.mark.parametrize(
    ("typed", "include", "exclude", "sound_text", "notes"), PARSE_CASES, ids=range(len(PARSE_CASES))
)
def test_parse_words(
    typed: str, include: list[Term], exclude: list[Term], sound_text: str, notes: list[str]
) -> None:
    query = parse_words(typed)
    assert list(query.include) == include
    assert list(query.exclude) == exclude
    assert query.sound_text == sound_text
    assert list(query.notes) == notes


def test_parse_none() -> None:
    assert parse_words(None) == WordsQuery()  # type: ignore[arg-type]


def test_fts_expressions() -> None:
    query = parse_words('"door slam" expl* -metal -"tin can"')
    assert query.fts() == '"door slam" OR "expl"*'
    assert query.exclude_fts() == '"metal" OR "tin can"'
    assert parse_words("-metal").fts() is None
    assert parse_words("door").exclude_fts() is None
    assert _t("hi", "ha", prefix=True).fts() == '"hi ha"*'


@pytest.mark.parametrize("text", ["e*", "weapon -e*", "x* door"])
def test_a_one_letter_prefix_is_named_in_a_note(text: str) -> None:
    query = parse_words(text)
    assert not any(t.prefix for t in (*query.include, *query.exclude))
    assert len(query.notes) == 1 and "a prefix needs two letters or more" in query.notes[0]
    assert parse_words("ex* door").notes == ()


def test_long_queries_are_capped() -> None:
    many = parse_words(" ".join(f"w{i}" for i in range(40)))
    assert [t.words[0] for t in many.include] == [f"w{i}" for i in range(MAX_TERMS)]
    assert many.notes == (f"only the first {MAX_TERMS} words were matched",)
    negatives = parse_words(" ".join(f"-n{i}" for i in range(40)) + " door")
    assert len(negatives.exclude) == MAX_TERMS and negatives.include == (_t("door"),)
    huge = parse_words("a" * 100_000)
    assert len(huge.include) == 1


def _fts_table() -> sqlite3.Connection:
    """The catalog's FTS5 table shape, in memory."""
    conn = sqlite3.connect(":memory:")
    conn.execute(
        f"CREATE VIRTUAL TABLE w USING fts5 ({', '.join(FIELDS)}, "
        "tokenize = 'porter unicode61 remove_diacritics 2', prefix = '2 3')"
    )
    conn.execute(
        f"INSERT INTO w VALUES ({', '.join('?' * len(FIELDS))})",
        ("door slam", "", "", "", "", "", ""),
    )
    return conn


_ALPHABET = list("abc xyz-*\"():^{}+\\'.,;0123456789 _ NEAR AND OR NOT é ドア \x00\u200b🚪")


def _random_queries(n: int) -> Iterator[str]:
    rng = random.Random(1234)
    for _ in range(n):
        yield "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(1, 30)))


def test_every_expression_is_valid_fts5() -> None:
    """Whatever is typed, the expressions built from it are accepted by FTS5 itself."""
    conn = _fts_table()
    typed = [case[0] for case in PARSE_CASES] + list(_random_queries(3000))
    for text in typed:
        query = parse_words(text)
        for expression in (query.fts(), query.exclude_fts()):
            if expression is not None:
                conn.execute("SELECT rowid FROM w WHERE w MATCH ?", (expression,)).fetchall()


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(max_size=60))
def test_any_text_parses_to_valid_fts5(text: str) -> None:
    query = parse_words(text)
    conn = _fts_table()
    for expression in (query.fts(), query.exclude_fts()):
        if expression is not None:
            conn.execute("SELECT rowid FROM w WHERE w MATCH ?", (expression,)).fetchall()
    assert len(query.include) <= MAX_TERMS and len(query.exclude) <= MAX_TERMS
    assert all(t.words and all(w == w.lower() for w in t.words) for t in query.include)


# --- LexicalIndex over a real catalog --------------------------------------------------------


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    cat = Catalog(tmp_path)
    yield cat
    cat.close()


def _add(
    catalog: Catalog,
    path: str,
    tags: dict[str, str] | None = None,
    fmt: str = "wav",
    duration: float = 1.0,
) -> int:
    """Catalogue one indexed sound at ``path`` (under /lib) with these embedded tags."""
    catalog.apply_scan("/lib", [FileEntry(path, 10, 1)], [], [], [])
    row = catalog.find_by_path(path)
    assert row is not None
    outcome = Outcome(
        row.id,
        content_hash=path,
        duration=duration,
        sample_rate=44100,
        channels=1,
        format=fmt,
        vector=np.ones(4, np.float32),
        tags=tags or {},
    )
    catalog.commit_outcomes([outcome], "enc")
    return row.id


def test_field_weights_order_the_same_word(catalog: Catalog) -> None:
    ids = {
        "name": _add(catalog, "/lib/Thunder Roll.wav"),
        "title": _add(catalog, "/lib/t1.wav", {"tag.title": "Thunder roll"}),
        "description": _add(catalog, "/lib/t2.wav", {"bext.description": "Thunder roll"}),
        "folders": _add(catalog, "/lib/Thunder Roll/t3.wav"),
        "other": _add(catalog, "/lib/t4.wav", {"tag.album": "Thunder roll"}),
    }
    lexical = LexicalIndex(catalog)
    ranked = lexical.search(parse_words("thunder"), 10)
    assert [i for i, _ in ranked] == [
        ids[f] for f in ("name", "title", "description", "folders", "other")
    ]
    scores = [s for _, s in ranked]
    assert all(s > 0 for s in scores) and scores == sorted(scores, reverse=True)
    assert FIELD_WEIGHTS["name"] > FIELD_WEIGHTS["title"] > FIELD_WEIGHTS["other"]
    assert lexical.search(parse_words("thunder"), 2) == ranked[:2]
    assert lexical.search(parse_words("thunder"), 0) == []


def test_matching_more_terms_ranks_first(catalog: Catalog) -> None:
    both = _add(catalog, "/lib/rain roof.wav")
    one = _add(catalog, "/lib/rain.wav")
    lexical = LexicalIndex(catalog)
    query = parse_words("rain roof")
    assert [i for i, _ in lexical.search(query, 10)] == [both, one]
    assert lexical.coverage(query, [both, one]) == {both: 1.0, one: 0.5}
    assert lexical.coverage(parse_words("the"), [both]) == {both: 0.0}


def test_sounds_holding_every_word_come_first(catalog: Catalog) -> None:
    """A rare word alone in a short name outscores two common words in a long one by BM25;
    the sounds holding every word still come first, then the rest in BM25 order."""
    every = _add(catalog, "/lib/metal door heavy old rusty squeaky hinge long name.wav")
    rare = _add(catalog, "/lib/metal.wav")
    for n in range(8):  # make "door" common, so its BM25 weight is small
        _add(catalog, f"/lib/door {n}.wav")
    lexical = LexicalIndex(catalog)
    query = parse_words("metal door")
    or_order = lexical._ranked(query.fts() or "", query, 3, None)
    assert [i for i, _ in or_order][0] == rare  # BM25 alone puts the rare word first
    ranked = lexical.search(query, 3)
    assert [i for i, _ in ranked][:2] == [every, rare]
    assert [i for i, _ in lexical.search(query, 1)] == [every]  # enough: no OR query


def test_one_word_of_a_translation_matches_after_the_whole(catalog: Catalog) -> None:
    """A word translated to two English words ("bird tweet") also finds, after the sounds
    holding both, sounds holding one of them: what the English query's OR would find.
    Only the first alternative's words count, and a sound holding the whole comes first."""
    bird = _add(catalog, "/lib/Bird Morning.wav")
    synth = _add(catalog, "/lib/Synth Pad.wav")  # a word of the second alternative only
    _add(catalog, "/lib/Rain.wav")
    lexical = LexicalIndex(catalog)
    term = Term(("鳥のさえずり",), also=(("bird", "tweet"), ("chirp", "synth")))
    query = WordsQuery((term,))
    assert term.loose_words() == ("bird", "tweet") and query.width() == 2
    assert [i for i, _ in lexical._ranked(query.fts() or "", query, 10, None)] == []
    assert [i for i, _ in lexical.search(query, 10)] == [bird]
    assert lexical.coverage(query, [bird, synth]) == {bird: 0.5, synth: 0.0}
    assert lexical.matches(query, [bird])[bird] == [WordMatch("name", ("bird",))]
    tweet = _add(catalog, "/lib/Bird Tweet.wav")
    assert [i for i, _ in lexical.search(query, 10)] == [tweet, bird]
    assert [i for i, _ in lexical.search(query, 1)] == [tweet]  # no room: no loose tier
    assert lexical.coverage(query, [tweet, bird]) == {tweet: 1.0, bird: 0.5}


@pytest.mark.parametrize(
    ("term", "loose"),
    [
        # one English word says it: the other alternative's "bass" alone is no kick
        (Term(("キック",), also=(("kick",), ("bass", "drum"))), ()),
        # a one-word alternative that is a compound: by its parts
        (Term(("canto",), also=(("birdsong",), ("bird", "song"))), ("bird", "song")),
        (Term(("gunshot",), also=(("gun", "shot"),)), ("gun", "shot")),  # typed apart, "gun shot"
        (Term(("hihat",), also=(("hi hat",),)), ()),  # a phrase: never its parts
        (Term(("x",), also=(("open", "hi", "hat"),)), ("open", "hat")),  # two letters: too loose
        (Term(("bird", "tweet")), ()),  # English words as typed: their OR is the query's
    ],
)
def test_loose_words(term: Term, loose: tuple[str, ...]) -> None:
    assert term.loose_words() == loose
    assert (WordsQuery((term,)).loose_fts() is None) == (not loose)
    assert parse_words("bird tweet").loose_fts() is None


def test_matches_name_each_field(catalog: Catalog) -> None:
    sound = _add(
        catalog,
        "/lib/Doors/door_slam.wav",
        {"ixml.USER.KEYWORDS": "slam, wooden", "bext.description": "A heavy door slams"},
    )
    other = _add(catalog, "/lib/quiet.wav")
    lexical = LexicalIndex(catalog)
    found = lexical.matches(parse_words("door slam"), [sound, other])
    assert set(found) == {sound}
    by_field = {m.field: m.words for m in found[sound]}
    assert by_field == {
        "name": ("door", "slam"),
        "description": ("door", "slams"),  # the words as written, matched by their stem
        "keywords": ("slam",),
        "folders": ("doors",),
    }
    assert lexical.matches(parse_words("-door"), [sound]) == {}
    assert lexical.fields(sound)["folders"] == "doors"
    assert lexical.fields(12345) == {}


def test_excluded(catalog: Catalog) -> None:
    metal = _add(catalog, "/lib/impact.wav", {"tag.comment": "metal hit"})
    wood = _add(catalog, "/lib/impact wood.wav")
    lexical = LexicalIndex(catalog)
    query = parse_words("impact -metal")
    assert lexical.excluded(query, [metal, wood]) == {metal}
    assert [i for i, _ in lexical.search(query, 10)] == [wood]
    assert lexical.excluded(parse_words("impact"), [metal, wood]) == set()
    many = list(range(1, 1200)) + [metal]  # more ids than one SQL statement's chunk
    assert lexical.excluded(query, many) == {metal}


def test_search_with_filters(catalog: Catalog) -> None:
    wav = _add(catalog, "/lib/DOORWood_Creak Slow_JD_LIB.wav", duration=3.0)
    mp3 = _add(catalog, "/lib/door creak.mp3", fmt="mp3", duration=0.5)
    lexical = LexicalIndex(catalog)
    query = parse_words("creak")
    assert {i for i, _ in lexical.search(query, 10)} == {wav, mp3}
    assert [i for i, _ in lexical.search(query, 10, Filters(formats=("mp3",)))] == [mp3]
    assert [i for i, _ in lexical.search(query, 10, Filters(min_duration=1.0))] == [wav]
    assert [i for i, _ in lexical.search(query, 10, Filters(category="DOORS"))] == [wav]
    assert lexical.search(query, 10, Filters(category="WATER")) == []
    assert [i for i, _ in lexical.search(query, 10, Filters())] != []  # inactive filters
    with pytest.raises(InvalidQueryError):
        lexical.search(query, 10, Filters(category="NOPE"))


def test_only_indexed_sounds_are_searched(catalog: Catalog) -> None:
    done = _add(catalog, "/lib/bell.wav")
    catalog.apply_scan("/lib", [FileEntry("/lib/bell two.wav", 10, 1)], [], [], [])
    pending = catalog.find_by_path("/lib/bell two.wav")
    assert pending is not None
    lexical = LexicalIndex(catalog)
    assert [i for i, _ in lexical.search(parse_words("bell"), 10)] == [done]
    catalog.commit_outcomes([Outcome(pending.id, error="not audio")], "enc")
    assert [i for i, _ in lexical.search(parse_words("bell"), 10)] == [done]


def test_write_words_skips_sounds_that_are_not_done(catalog: Catalog) -> None:
    catalog.apply_scan("/lib", [FileEntry("/lib/x.wav", 10, 1)], [], [], [])
    row = catalog.find_by_path("/lib/x.wav")
    assert row is not None
    catalog.commit_words([(row.id, {"tag.title": "Gloop"}, ())])  # pending: not written
    assert LexicalIndex(catalog).search(parse_words("gloop"), 10) == []
    assert catalog.tags(row.id) == ({}, [])

"""Query words in other languages searched in English too: the lexicon, the translation
of a parsed query, and words search through the service over real English file names."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soundscout.search.compounds import with_compound_parts
from soundscout.search.crosslingual import (
    LEXICON_PATH,
    Groups,
    Lexicon,
    _stem,
    fold,
    read_lexicon,
    shipped_lexicon,
    stem_key,
    translate_words,
)
from soundscout.search.lexical import MAX_TERMS, Term, WordsQuery, parse_words
from soundscout.search.service import SearchService
from tests.conftest import make_settings
from tests.taggen import plain

# A small lexicon whose every entry the cases below rely on.
SMALL = Lexicon(
    languages={
        "es": {
            "cane": ["reed"],
            "caja": ["snare", "box"],
            "caja clara": ["snare drum"],
            "bombo": ["kick", "bass drum", "acoustic bass drum"],
            "puerta": ["door"],
            "sonido": [],
            "metal": ["metal"],
            "con": ["cone"],  # a function word that is also a key
        },
        "fr": {"porte": ["door"], "caisse claire": ["snare"], "pas": ["footstep"]},
        "it": {"cane": ["dog"], "porta": ["door"]},
        "de": {
            "tür": ["door"],
            "schritte": ["footstep"],
            "kies": ["gravel"],
            "hund": ["dog"],
            "bellen": ["bark"],
            "sirene": ["siren"],
        },
        "ja": {"ドア": ["door"], "閉まる": ["close"], "琴": ["koto"]},
        "zh": {"底鼓": ["kick", "bass drum"], "关门": ["door close"]},
    },
    stems={"es": {stem_key("es", ["puerta"]): ["door"]}},
    english=frozenset(
        {"snare", "door", "metal", "kick", "die", "footstep", "alarm", "gun", "shot"}
    ),
)


def _fts(text: str, lexicon: Lexicon = SMALL) -> str | None:
    return translate_words(parse_words(text), lexicon).fts()


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        # a known word gets its English; a phrasing holding another's words is left out
        ("bombo", '("bombo" OR "kick" OR ("bass" AND "drum"))'),
        # the longest phrase first
        ("caja clara", '("caja clara" OR ("snare" AND "drum"))'),
        ("caja", '("caja" OR "snare" OR "box")'),
        # function words of the query's language and words with no sound meaning dropped
        ("sonido de una puerta", '("puerta" OR "door")'),
        # other forms by stem; accents and case ignored
        ("PUERTAS", '("puertas" OR "door")'),
        # the language that covers most words is used: "pas" is French here
        ("caisse claire pas", '("caisse claire" OR "snare") OR ("pas" OR "footstep")'),
        ("Schritte auf Kies", '("schritte" OR "footstep") OR ("kies" OR "gravel")'),
        # the same words cover as much in two languages: the one whose function words
        # cover the rest wins, else the first
        ("cane che abbaia", '("cane" OR "dog") OR "abbaia"'),
        ("cane", '("cane" OR "reed")'),
        # a German compound cut into known words (a linking letter dropped), one of them
        # German: a term per part, each also matched by the whole word as typed
        (
            "Hundebellen",
            '("hund" OR "hundebellen" OR "dog") OR ("bellen" OR "hundebellen" OR "bark")',
        ),
        ("Alarmsirene", '("alarm" OR "alarmsirene") OR ("sirene" OR "alarmsirene" OR "siren")'),
        ("Holztürhund", '"holztürhund"'),  # "holz" is unknown here
        ("gunshot", '"gunshot"'),  # an English word is not cut into English words
        # Chinese and Japanese cut into known words, each also matched by the whole run
        # as typed; particles between them dropped, Latin letters kept
        (
            "ドアが閉まる",
            '("ドア" OR "ドアが閉まる" OR "door") OR ("閉まる" OR "ドアが閉まる" OR "close")',
        ),
        ("底鼓", '("底鼓" OR "kick" OR ("bass" AND "drum"))'),
        ("关门声", '("关门" OR "关门声" OR ("door" AND "close"))'),
        ("ドアslam", '("ドア" OR "ドアslam" OR "door") OR "slam"'),
        # English words are never translated, nor is what nothing matches
        ("metal door", '"metal" OR "door"'),
        ("die", '"die"'),
        ("deep bass kick", '"deep" OR "bass" OR "kick"'),
        ("未知", '"未知"'),
        ("bombo*", '"bombo"*'),
        # only function words: matched as they are; a function word is never translated
        ("de la", '"de" OR "la"'),
        ("puerta con bombo", '("puerta" OR "door") OR ("bombo" OR "kick" OR ("bass" AND "drum"))'),
        # a quoted phrase is translated whole, as written, or not at all
        ('"caja clara"', '("caja clara" OR ("snare" AND "drum"))'),
        ('"caja puerta"', '"caja puerta"'),
        # a kanji known only in Japanese is no word inside a longer run without kana
        # (电子琴 is not a koto); alone or among kana it is
        ("电子琴", '"电子琴"'),
        ("琴", '("琴" OR "koto")'),
        ("琴の音", '("琴" OR "琴の音" OR "koto")'),
    ],
)
def test_translation(typed: str, expected: str) -> None:
    assert _fts(typed) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("el motor", '("motor" OR "engine" OR "motors")'),
        ("motor de coche", '("motor" OR "engine" OR "motors") OR ("coche" OR "car")'),
        ("motor", '"motor"'),  # alone, or among English words: English
        ("motor noise", '"motor" OR "noise"'),
        ("lead di synth", '"lead" OR "synth"'),  # Italian "synth" is first of all a synth
        # a query of mixed languages: "roof" is English only, so "motor" stays English too
        ("motor lluvia roof", '"motor" OR ("lluvia" OR "rain") OR "roof"'),
    ],
)
def test_a_word_that_is_english_too_gets_its_english_in_a_query_of_another_language(
    typed: str, expected: str
) -> None:
    assert _fts(typed, shipped_lexicon()) == expected


@pytest.mark.parametrize(
    ("typed", "english"),
    [("в ресторане", "restaurant"), ("на барабане", "drum"), ("в океане", "ocean")],
)
def test_russian_forms_the_stemmer_cuts_short_of_the_base_forms_stem(
    typed: str, english: str
) -> None:
    """Snowball's Russian cuts "ресторан" to "рестора" but "ресторане" to "ресторан"."""
    query = translate_words(parse_words(typed), shipped_lexicon())
    assert (english,) in query.include[0].also


def test_a_russian_form_is_stemmed_twice_only_to_reach_a_base_form() -> None:
    """ "рояли" stems to "роял", no word of the lexicon; stemmed again, "ро" would be the
    stem of "рой", a swarm of bees."""
    query = translate_words(parse_words("рояли"), shipped_lexicon())
    assert ("bee",) not in query.include[0].also


def test_left_out_words_are_translated_in_the_query_language() -> None:
    query = translate_words(parse_words("bombo -puerta"), SMALL)
    assert query.exclude_fts() == '("puerta" OR "door")'
    assert query.sound_text == parse_words("bombo -puerta").sound_text


def test_a_left_out_cut_word_is_one_term() -> None:
    """A left-out run or compound leaves out what holds all its parts, not each part."""
    query = translate_words(parse_words("kick -ドアが閉まる -Alarmsirene"), SMALL)
    assert query.exclude_fts() == (
        '("ドアが閉まる" OR ("door" AND "close")) OR ("alarmsirene" OR ("alarm" AND "siren"))'
    )


def test_the_terms_as_typed_are_kept() -> None:
    typed = parse_words("Alarmsirene ドアが閉まる")
    assert translate_words(typed, SMALL).as_typed == typed.include
    assert parse_words("door").as_typed == ()


def test_translated_terms_are_capped() -> None:
    """16 runs cut into two words each stay at MAX_TERMS terms, with the note."""
    typed = " ".join(f"ドア{kana}閉まる" for kana in "あいうえおかきくけこさしすせそた")
    assert len(parse_words(typed).include) == 16
    query = translate_words(parse_words(typed), SMALL)
    assert len(query.include) == MAX_TERMS
    assert f"only the first {MAX_TERMS} words were matched" in query.notes


class CountingLexicon(Lexicon):
    """SMALL, counting its lookups."""

    def match(self, language: str, words: Sequence[str]) -> tuple[Groups, bool] | None:
        self.calls.append(1)
        return super().match(language, words)


@pytest.mark.parametrize("typed", ["a" * 2000, "Schmerzensschrei" * 120, "雨" * 2000])
def test_long_words_cost_a_bounded_number_of_lookups(typed: str) -> None:
    """A long word is not cut into every possible compound (that took seconds)."""
    lexicon = CountingLexicon(SMALL.languages, SMALL.stems, SMALL.english)
    object.__setattr__(lexicon, "calls", [])
    translate_words(parse_words(typed), lexicon)
    assert len(lexicon.calls) < 2000  # type: ignore[attr-defined]


def test_stems_are_the_same_from_many_threads() -> None:
    """Snowball stemmers keep state on the object: they are used under a lock (without
    it, threads got one another's stems and IndexErrors)."""
    stems = [f"{a}{b}" for a in ("puert", "ventan", "torment", "explosion") for b in "aeiou"]
    words = [f"{stem}{end}" for stem in stems for end in ("as", "es", "aciones", "amente")]
    serial = [_stem.__wrapped__("es", w) for w in words]
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with ThreadPoolExecutor(8) as pool:
            for _ in range(5):
                assert list(pool.map(lambda w: _stem.__wrapped__("es", w), words)) == serial
    finally:
        sys.setswitchinterval(switch)


def test_the_sound_side_keeps_what_was_typed() -> None:
    typed = "sonido de una puerta"
    assert translate_words(parse_words(typed), SMALL).sound_text == parse_words(typed).sound_text


def test_a_query_with_nothing_to_translate_is_the_same_object() -> None:
    query = parse_words("heavy wooden door slam")
    assert translate_words(query, SMALL) is query
    assert translate_words(WordsQuery(), SMALL) == WordsQuery()


def test_fold() -> None:
    assert fold("Percusión") == "percusion"
    assert fold("Türen") == "turen"
    assert fold("Ёлка") == "елка"
    assert fold("ガヤ") == "ガヤ"  # a voiced kana keeps its mark
    assert fold("Straße") == "strasse"


# --- the shipped lexicon ----------------------------------------------------------------


def test_shipped_lexicon_is_what_the_glossary_gives() -> None:
    """``python -m training.lexicon`` wrote it from training/glossary: rebuild and compare."""
    from training.lexicon import build, render

    assert LEXICON_PATH.read_text(encoding="utf-8") == render(build()), (
        "run `PYTHONPATH=. .venv/bin/python -m training.lexicon` after changing the glossary"
    )


def test_shipped_lexicon_reads_and_covers_every_language() -> None:
    lexicon = read_lexicon(LEXICON_PATH)
    assert set(lexicon.languages) == {"es", "fr", "de", "it", "pt", "ja", "zh", "ru"}
    assert all(len(table) > 500 for table in lexicon.languages.values())
    assert {"kick", "snare", "door", "rain"} <= lexicon.english


@pytest.mark.parametrize(
    ("typed", "english"),
    [
        ("bombo", "kick"),  # es
        ("caisse claire", "snare"),  # fr
        ("Schritte", "footstep"),  # de
        ("cassa", "kick"),  # it
        ("chimbal", "hihat"),  # pt
        ("бочка", "kick"),  # ru
        ("底鼓", "kick"),  # zh
        ("バスドラム", "bass drum"),  # ja
        # noise colours: one phrase, not "noise" and an untranslated colour
        ("rumore bianco", "white noise"),  # it
        ("weißem Rauschen", "white noise"),  # de, another form
        ("bruit rose", "pink noise"),  # fr
        ("коричневый шум", "brown noise"),  # ru
        ("白噪声", "white noise"),  # zh
    ],
)
def test_shipped_lexicon_knows_the_trade_words(typed: str, english: str) -> None:
    query = translate_words(parse_words(typed), shipped_lexicon())
    assert len(query.include) == 1
    assert tuple(english.split()) in query.include[0].also


@pytest.mark.parametrize(
    ("typed", "english"), [("épée", "sword"), ("armónica", "harmonica"), ("cañón", "cannon")]
)
def test_a_word_typed_with_accents_is_not_english(typed: str, english: str) -> None:
    """English writes these without accents ("epee", "harmonica" are sound-library words):
    typed with them, they are another language's and translated."""
    lexicon = shipped_lexicon()
    assert lexicon.is_english(fold(typed)) and not lexicon.is_english(typed)
    query = translate_words(parse_words(typed), lexicon)
    assert (english,) in query.include[0].also
    assert translate_words(parse_words(fold(typed)), lexicon).include[0].also == ()


ENGLISH_QUERIES = [
    "man speaking",  # "man" is a Spanish stem ("mano") but the query is English
    "ui click",
    "notification chime",
    "chair squeak",  # French "chair" is flesh
    "synth lead",  # a phrase some languages also use
    "gunshot",
    "dogs barking loudly",
    "808 cowbell",
    "motorcycle rev",  # "motor" is German too: an English word is not cut
    "glockenspiel sfx",  # file-name abbreviations are English
    "opera singer",  # not French "singe" (a primate) by stem
]


#: English queries that are also a word of another language as written, and gain its
#: English: French "saxophone" is "sax" in the glossary's General MIDI names.
SPELT_THE_SAME = {"saxophone": '("saxophone" OR "sax")'}


def test_english_queries_are_left_as_they_are() -> None:
    """The recipe's held-out English queries and a few traps: never translated, apart
    from words spelt the same in another language, which gain alternatives only."""
    from training.evaluate import SFX_QUERIES, SOUNDFONT_QUERIES

    for typed in [*SFX_QUERIES, *SOUNDFONT_QUERIES, *ENGLISH_QUERIES]:
        query = parse_words(typed)
        translated = translate_words(query, shipped_lexicon())
        if typed in SPELT_THE_SAME:
            assert translated.fts() == SPELT_THE_SAME[typed]
        else:
            assert translated == query, typed


def test_a_word_of_another_language_that_is_an_english_stem_is_translated() -> None:
    """German "Applaus" stems like "applause" but is German as written."""
    query = translate_words(parse_words("Applaus"), shipped_lexicon())
    assert ("applause",) in query.include[0].also


@pytest.mark.parametrize(
    ("typed", "absent"),
    [
        ("ruido de las olas", "laser"),  # Spanish "las", not French "laser" by stem
        ("chuva com trovão", "eating"),  # Portuguese "com" is a function word
        ("passos pela floresta", "skin"),
        ("Schritte über Kies", "over"),
        ("音", "note"),  # a word for "sound" alone: searched as typed, no musical note
        ("声音", "voices"),
    ],
)
def test_function_words_are_never_translated(typed: str, absent: str) -> None:
    fts = translate_words(parse_words(typed), shipped_lexicon()).fts() or ""
    assert f'"{absent}"' not in fts


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_text_gives_valid_fts(text: str) -> None:
    """Whatever is typed, the translated query is valid FTS5 syntax (real SQLite)."""
    query = with_compound_parts(translate_words(parse_words(text), shipped_lexicon()))
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(a, tokenize='porter unicode61')")
    db.execute("INSERT INTO t VALUES ('door kick snare bass drum')")
    expressions = (query.fts(), query.fts(every=True), query.loose_fts(), query.exclude_fts())
    for expression in expressions:
        if expression is not None:
            db.execute("SELECT rowid FROM t WHERE t MATCH ?", [expression]).fetchall()


def test_term_alternatives_are_one_fts_group() -> None:
    term = Term(("bombo",), also=(("kick",), ("bass", "drum")))
    assert term.fts() == '("bombo" OR "kick" OR ("bass" AND "drum"))'
    assert Term(("bombo",)).fts() == '"bombo"'


# --- through the service, over English file names -----------------------------------------

FILES = {
    "rain": "Rain_Heavy_Roof.wav",
    "door": "Door_Wood_Close.wav",
    "kick": "Kick_808_Deep.wav",
    "bass_drum": "Drum_Bass_Acoustic.wav",
    "snare": "Snare_Tight.wav",
    "steps": "Footstep_Gravel_Walk.wav",
    "glass": "Glass_Break_Small.wav",
    "wind": "Wind_Howl.wav",
    "piano": "Piano_Note_C4.wav",
    "water": "Water_Splash_Pool.wav",
    "typed_ja": "ドアが閉まる.wav",  # named as a Japanese user types it
    "typed_de": "Alarmsirene_01.wav",
}


class Lib:
    def __init__(self, tmp: Path, **overrides: object) -> None:
        root = tmp / "sounds"
        if not root.exists():
            root.mkdir()
            for seed, name in enumerate(FILES.values()):
                plain(root / name, seed)
        self.service = SearchService(make_settings(tmp / f"library{len(overrides)}", **overrides))
        report = self.service.index_folder(root, progress=False)
        assert report.failed == 0 and report.ok == len(FILES)

    def names(self, text: str, match: str = "words") -> list[str]:
        return [Path(h.path).name for h in self.service.search(text=text, k=20, match=match).hits]


@pytest.fixture(scope="module")
def libs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Lib, Lib]]:
    """The same files indexed twice: translation on (the default) and off."""
    tmp = tmp_path_factory.mktemp("crosslingual")
    on, off = Lib(tmp), Lib(tmp, **{"search.translate_words": False})
    yield on, off
    on.service.close()
    off.service.close()


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("lluvia", {"rain"}),  # es
        ("pluie", {"rain"}),  # fr
        ("Schritte", {"steps"}),  # de
        ("vetro", {"glass"}),  # it
        ("vento", {"wind"}),  # pt, it
        ("дождь", {"rain"}),  # ru
        ("底鼓", {"kick", "bass_drum"}),  # zh
        ("ドアが閉まる", {"door", "typed_ja"}),  # ja
        ("bombo", {"kick", "bass_drum"}),
    ],
)
def test_words_in_another_language_find_english_names(
    libs: tuple[Lib, Lib], typed: str, found: set[str]
) -> None:
    on, off = libs
    assert set(on.names(typed)) == {FILES[f] for f in found}
    # without the translation the words side finds only a file named as typed
    assert set(off.names(typed)) == {FILES[f] for f in found if f.startswith("typed")}


@pytest.mark.parametrize(
    ("typed", "plain"),
    [
        ("ｒａｉｎ ｒｏｏｆ", "rain roof"),  # full-width Latin, as Japanese keyboards type it
        ("ﾄﾞｱが閉まる", "ドアが閉まる"),  # half-width katakana
        ("suono dell'acqua", "acqua"),  # an elided Italian preposition
        ("bruit jusqu'à la porte", "porte"),  # French "jusqu'"
    ],
)
def test_typed_forms_find_what_the_plain_words_find(
    libs: tuple[Lib, Lib], typed: str, plain: str
) -> None:
    on, _ = libs
    assert on.names(plain) and on.names(typed) == on.names(plain)


@pytest.mark.parametrize("key", ["typed_ja", "typed_de"])
def test_a_file_named_as_typed_comes_first(libs: tuple[Lib, Lib], key: str) -> None:
    on, off = libs
    typed = {"typed_ja": "ドアが閉まる", "typed_de": "Alarmsirene"}[key]
    assert off.names(typed) == [FILES[key]]
    assert on.names(typed)[0] == FILES[key]


def test_left_out_run_leaves_out_only_what_holds_it_all(libs: tuple[Lib, Lib]) -> None:
    on, _ = libs
    assert on.names("piano -雨の音") == [FILES["piano"]]  # "note" alone is not left out
    assert FILES["door"] in on.names("door wood -閉まる雨")  # nor is "close"
    assert on.names("door -ドアが閉まる") == []  # Door_Wood_Close holds door and close


def test_english_queries_are_unchanged(libs: tuple[Lib, Lib]) -> None:
    on, off = libs
    for typed in ("rain", "door close", "kick drum", "gravel footstep", "metal"):
        for match in ("words", "both"):
            assert on.names(typed, match) == off.names(typed, match)


def test_left_out_word_in_another_language(libs: tuple[Lib, Lib]) -> None:
    on, off = libs
    assert FILES["door"] in off.names("close -puerta", "both")
    assert FILES["door"] not in on.names("close -puerta", "both")
    assert FILES["door"] in on.names("close -lluvia", "both")


def test_explanation_names_the_english_word_found(libs: tuple[Lib, Lib]) -> None:
    on, _ = libs
    hits = on.service.search(text="lluvia", k=5, match="words").hits
    assert hits and hits[0].explain is not None
    assert [(m.field, m.words) for m in hits[0].explain.matches] == [("name", ("rain",))]

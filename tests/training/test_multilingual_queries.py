"""The multilingual evaluation queries (training/multilingual_queries.py) are complete."""

from __future__ import annotations

import re

import pytest

from training import multilingual_queries as mq
from training.evaluate import SFX_QUERIES, SOUNDFONT_QUERIES

SETS = {"sfx": SFX_QUERIES, "soundfont": SOUNDFONT_QUERIES}
MIN_QUERIES = 30
KANA = re.compile(r"[\u3040-\u30ff]")
HAN = re.compile(r"[\u4e00-\u9fff]")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
LATIN_LETTER = re.compile(r"[A-Za-zÀ-ÿ]")


def _problems(table: dict[str, dict[str, str]], english: dict[str, str]) -> list[str]:
    """What is wrong with one set's translation table, as readable lines."""
    problems = [f"no translations of {q!r}" for q in english if q not in table]
    problems += [f"{q!r} is not an English query of the set" for q in table if q not in english]
    for query, texts in table.items():
        if missing := [lang for lang in mq.LANGUAGES if not texts.get(lang, "").strip()]:
            problems.append(f"{query!r} lacks {missing}")
        if extra := sorted(set(texts) - set(mq.LANGUAGES)):
            problems.append(f"{query!r} has unknown languages {extra}")
    return problems


@pytest.mark.parametrize("set_name", sorted(SETS))
def test_every_english_query_has_all_eight_translations(set_name):
    assert _problems(mq.BY_SET[set_name], SETS[set_name]) == []


def test_a_missing_translation_is_found():
    broken = {q: dict(t) for q, t in mq.SFX_TRANSLATIONS.items()}
    del broken["gunshot"]["ja"]
    del broken["jumping"]
    assert _problems(broken, SFX_QUERIES) == [
        "no translations of 'jumping'",
        "'gunshot' lacks ['ja']",
    ]


def test_languages_are_the_eight_asked_for():
    assert set(mq.LANGUAGES) == {"es", "fr", "de", "it", "pt", "ja", "zh", "ru"}


@pytest.mark.parametrize("set_name", sorted(SETS))
@pytest.mark.parametrize("language", ["en", *mq.LANGUAGES])
def test_each_language_keeps_every_query_and_its_category(set_name, language):
    got = mq.queries(set_name, language)
    english = SETS[set_name]
    assert len(got) == len(english) >= MIN_QUERIES  # no two queries translated alike
    assert list(got.values()) == list(english.values())
    if language == "en":
        assert got == english


@pytest.mark.parametrize("language", mq.LANGUAGES)
def test_translations_differ_from_english_except_the_listed_loanwords(language):
    same = {q for q, texts in mq.TRANSLATIONS.items() if texts[language].casefold() == q.casefold()}
    listed = {q for lang, q in mq.SAME_AS_ENGLISH if lang == language}
    assert same == listed


def test_the_loanword_list_is_short():
    assert len(mq.SAME_AS_ENGLISH) <= 0.1 * len(mq.TRANSLATIONS) * len(mq.LANGUAGES)


@pytest.mark.parametrize("language", mq.LANGUAGES)
def test_texts_are_search_box_phrases(language):
    for query, texts in mq.TRANSLATIONS.items():
        text = texts[language]
        assert text == text.strip() and "  " not in text, (query, text)
        assert text[-1] not in ".!?;:,。！？、", (query, text)
        assert len(text) <= 3 * len(query) + 10, (query, text)


@pytest.mark.parametrize(
    ("language", "script"),
    [("ja", KANA), ("ja", HAN), ("zh", HAN), ("ru", CYRILLIC)],
    ids=["ja-kana", "ja-kanji", "zh-han", "ru-cyrillic"],
)
def test_scripts(language, script):
    texts = [t[language] for t in mq.TRANSLATIONS.values()]
    if language == "ja":  # kana and kanji both occur, every text has one of them
        assert all(KANA.search(t) or HAN.search(t) for t in texts)
        assert sum(bool(script.search(t)) for t in texts) >= 10
    else:
        assert [t for t in texts if not script.search(t)] == []


@pytest.mark.parametrize("language", ["zh", "ru"])
def test_no_latin_words_left_in_non_latin_languages(language):
    assert [t[language] for t in mq.TRANSLATIONS.values() if LATIN_LETTER.search(t[language])] == []


def test_no_kana_in_chinese():
    assert [t["zh"] for t in mq.TRANSLATIONS.values() if KANA.search(t["zh"])] == []


def test_unknown_set_or_language_is_refused():
    with pytest.raises(KeyError, match="unknown query set"):
        mq.queries("music", "es")
    with pytest.raises(KeyError, match="unknown language"):
        mq.queries("sfx", "nl")

"""Translated training captions (training/translate.py, training/glossary/*.json)."""

from __future__ import annotations

import json
import random

import pytest
import torch

from training import gm, translate
from training.train import caption_term, choose_captions, extra_translations
from training.translate import (
    LANGUAGES,
    UNSPACED,
    glossary,
    missing_words,
    sound_words,
    translate_phrasings,
    translations,
)

GM_TERMS = sorted(
    {
        *gm.PROGRAMS,
        *(name for name, _ in gm.DRUMS.values()),
        *(w for words in gm.DRUM_WORDS.values() for w in words),
        *(w for _, words in gm.FAMILIES for w in words),
    }
)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_gm_term_has_phrases_in_the_language(language):
    table = glossary(language)["sf"]
    assert set(GM_TERMS) <= set(table)
    for term in GM_TERMS:
        phrases = table[term]
        assert phrases and all(isinstance(p, str) and p.strip() for p in phrases), term
    # Written in the language, not copied: most phrases differ from the English term, and
    # in Japanese, Chinese and Russian nearly all use their own script.
    firsts = [table[t][0].lower() for t in GM_TERMS]
    if language in ("ja", "zh", "ru"):
        assert sum(not p.isascii() for p in firsts) >= 0.9 * len(firsts)
    else:
        assert sum(p != t for p, t in zip(firsts, GM_TERMS, strict=True)) >= 0.6 * len(firsts)


def test_every_language_has_the_same_sfx_words():
    words = set(glossary(LANGUAGES[0])["sfx"])
    assert len(words) > 300
    for language in LANGUAGES:
        table = glossary(language)["sfx"]
        assert set(table) == words, language
        said = [v for v in table.values() if v is not None]
        for v in said:  # one phrasing, or a list of one to three (the usual one first)
            phrasings = [v] if isinstance(v, str) else v
            assert isinstance(phrasings, list) and 1 <= len(phrasings) <= 3, v
            assert all(isinstance(p, str) and p.strip() for p in phrasings), v
            assert len(set(phrasings)) == len(phrasings), v
        assert len(said) >= 0.6 * len(table), language  # names and jargon only are null


def _known(language: str, n: int) -> list[str]:
    table = glossary(language)["sfx"]
    common = [w for w in table if all(glossary(lang)["sfx"][w] for lang in LANGUAGES)]
    return common[:n]


@pytest.mark.parametrize("language", LANGUAGES)
def test_sfx_captions_are_translated_word_by_word(language):
    first, second = _known(language, 2)
    table = glossary(language)["sfx"]
    joiner = "" if language in UNSPACED else " "
    usual = [v if isinstance(v, str) else v[0] for v in (table[first], table[second])]
    said = translate_phrasings(f"the {first} on {second}", language)
    assert said[0] == joiner.join(usual)  # the usual phrasings first
    assert translate_phrasings(f"{first} zqxwv", language) == []  # a word it does not know
    assert translate_phrasings("the", language) == []


@pytest.fixture
def tiny_glossary(tmp_path, monkeypatch):
    """A glossary folder of one language with a word said three ways, one said one way."""
    table = {"language": "zh", "sf": {}, "sfx": {"glass": ["玻璃", "琉璃"], "crash": "碎裂"}}
    table["sfx"]["step"] = ["脚步声", "脚步", "步伐"]
    table["sfx"]["gamename"] = None
    table["sfx"]["thud"] = ["", "咚"]  # an empty phrasing is skipped
    table["sfx"]["bang"] = ["砰"]
    table["sfx"]["boom"] = ["砰", "轰"]
    table["sfx"]["shard"] = ["玻", "玻璃"]  # "shard split": both phrasings read 玻璃碎
    table["sfx"]["split"] = ["璃碎", "碎"]
    (tmp_path / "zh.json").write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setattr(translate, "GLOSSARY", tmp_path)
    glossary.cache_clear()
    yield
    glossary.cache_clear()


def test_a_word_said_several_ways_gives_one_caption_per_phrasing(tiny_glossary):
    assert translate_phrasings("glass crash", "zh") == ["玻璃碎裂", "琉璃碎裂"]
    # The k-th caption takes each word's k-th phrasing, or its first where it has fewer.
    assert translate_phrasings("the glass step", "zh") == ["玻璃脚步声", "琉璃脚步", "玻璃步伐"]
    assert translate_phrasings("crash", "zh") == ["碎裂"]
    assert translate_phrasings("gamename crash", "zh") == []  # a null word: not translated
    assert translate_phrasings("glass zqxwv", "zh") == []
    assert translate_phrasings("thud", "zh") == ["咚"]
    assert translate_phrasings("bang glass", "zh") == ["砰玻璃", "砰琉璃"]  # a list of one
    assert translate_phrasings("boom glass", "zh") == ["砰玻璃", "轰琉璃"]
    assert translate_phrasings("boom boom", "zh") == ["砰砰", "轰轰"]
    assert translate_phrasings("bang boom", "zh") == ["砰砰", "砰轰"]
    assert translate_phrasings("boom thud", "zh") == ["砰咚", "轰咚"]
    assert translate_phrasings("shard split", "zh") == ["玻璃碎"]  # said once


def test_rendered_drum_gets_its_names_and_kind_words_in_every_language():
    kick = {"captions": ["bass drum", "kick", "x"], "category": "drum: kick", "render": "drum 36"}
    said = translations(kick)
    for language in LANGUAGES:
        table = glossary(language)["sf"]
        for term in ("bass drum", *gm.DRUM_WORDS["kick"]):
            assert set(table[term]) <= set(said), (language, term)
    assert len(said) == len(set(said))


def test_rendered_note_gets_its_name_and_first_family_word_only():
    oboe = {"captions": ["oboe"], "category": "reed", "render": "program 68"}
    assert gm.FAMILIES[68 // 8] == ("reed", ["reed instrument", "woodwind"])
    expected = {
        p
        for lang in LANGUAGES
        for t in ("oboe", "reed instrument")
        for p in glossary(lang)["sf"][t]
    }
    said = set(translations(oboe))
    assert said == expected
    woodwind = {p for lang in LANGUAGES for p in glossary(lang)["sf"]["woodwind"]}
    assert woodwind - expected and not (woodwind - expected) & said  # the second word is not


def test_named_presets_go_word_by_word():
    first, second = _known("es", 2)
    preset = {"captions": [f"{first} {second}"], "category": "sound effects", "render": "bank 1"}
    said = translations(preset)
    every = [p for x in LANGUAGES for p in translate_phrasings(f"{first} {second}", x)]
    assert said == list(dict.fromkeys(every))
    unknown = {"captions": ["zqxwv"], "category": "sound effects", "render": "bank 1 preset 2"}
    assert translations(unknown) == []


def test_voice_lines_and_unknown_words_are_not_translated():
    first, second = _known("es", 2)
    assert all(glossary(x)["sfx"]["voice"] for x in LANGUAGES)
    # Every word is known, yet what a voice says is left alone...
    assert translations({"captions": [f"a voice: {first} {second}"]}) == []
    # ...while the same words as a sound's caption are translated.
    sfx = translations({"captions": [f"voice {first} {second}"]})
    assert len(sfx) >= len(LANGUAGES) - 2  # a language may say two words the same way
    assert translations({"captions": ["zqxwv blorp"]}) == []


def test_sound_words_drop_articles_and_punctuation():
    assert sound_words("background music, the battle theme") == [
        "background",
        "music",
        "battle",
        "theme",
    ]


def test_choose_captions_keeps_the_english_draws_and_mixes_in_translations():
    items = [{"captions": [f"en {i}", f"en {i} b"]} for i in range(40)]
    translated = [[f"tr {i}"] if i % 2 == 0 else [] for i in range(40)]
    idx = list(range(40)) * 5

    def draw(lang_p: float) -> tuple[list[str], float]:
        rng = random.Random(1)
        caps = choose_captions(items, translated, idx, rng, random.Random(2), lang_p)
        return caps, rng.random()  # where the English stream is left

    (plain, after), (every, after_every), (some, after_some) = draw(0.0), draw(1.0), draw(0.3)
    assert after == after_every == after_some  # lang_p draws nothing from the English stream
    assert all(c.startswith("en") for c in plain)
    for i, p, e, s in zip(idx, plain, every, some, strict=True):
        assert e == (f"tr {i}" if i % 2 == 0 else p)
        assert s in (p, f"tr {i}")
    translatable = sum(1 for i in idx if i % 2 == 0)
    assert 0.15 < sum(c.startswith("tr") for c in some) / translatable < 0.45


def test_missing_words_lists_new_sound_words_used_often_enough():
    known = _known("es", 1)[0]
    captions = ["zqxwv blorp", "zqxwv", "zqxwv", "blorp", f"{known} {known} {known}"]
    captions += ["a man's voice: zqxwv"] * 5
    assert missing_words(captions) == ["zqxwv"]
    assert missing_words(captions, min_uses=2) == ["blorp", "zqxwv"]


def test_extra_translations_come_from_each_items_own_list():
    translated = [["tr 0 a", "tr 0 b"], [], ["tr 2"]]
    caps, owners = extra_translations(translated, [2, 1, 0, 2], random.Random(0), 3)
    assert owners == [0, 0, 0, 2, 2, 2, 3, 3, 3]  # item 1 has none, so no extra caption
    assert caps[:3] == ["tr 2"] * 3 and caps[-3:] == ["tr 2"] * 3
    assert set(caps[3:6]) <= {"tr 0 a", "tr 0 b"}
    assert extra_translations(translated, [1], random.Random(0), 3) == ([], [])


def test_caption_term_is_lowest_when_sounds_sit_on_their_own_captions():
    gen = torch.Generator().manual_seed(0)
    t = torch.nn.functional.normalize(torch.randn(6, 16, generator=gen), dim=-1)
    same = torch.zeros(4, 6)  # items 0-2 own two captions each; item 3 owns none
    for c in range(6):
        same[c // 2, c] = 1
    own = torch.stack([t[0], t[2], t[4], -t[0]])  # each item on its first caption
    shuffled = own[torch.tensor([1, 2, 0, 3])]
    scale = torch.tensor(20.0)
    good = caption_term((own, own), t, same, scale)
    bad = caption_term((shuffled, shuffled), t, same, scale)
    assert torch.isfinite(good) and good < bad
    z = own.clone().requires_grad_(True)
    caption_term((z,), t, same, scale).backward()
    assert torch.isfinite(z.grad).all()

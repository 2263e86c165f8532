"""A sound's searchable words: its file name, its folders, its embedded tags, its UCS category.

:func:`sound_words` turns what ingest read from a file (path, indexed root, the raw tags of
:mod:`soundscout.metadata.read`) into the texts of the lexical index's fields. It is a pure
function of those inputs, so a moved file's words are rebuilt from its stored tags without
reading the file again.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass

from soundscout.metadata.names import name_words, plain_text, split_words, words_from_path
from soundscout.metadata.read import EmbeddedMetadata
from soundscout.metadata.ucs import UcsEntry, find_category, parse_ucs_name, ucs_list, ucs_words

#: Bumped when the rules below change: sounds with older words are read again by `index`.
WORDS_VERSION = 5

#: The lexical index's fields, in its column order.
FIELDS = ("name", "title", "description", "keywords", "category", "folders", "other")


@dataclass(frozen=True)
class SoundWords:
    """The text of each lexical field, the UCS category found, and what was skipped."""

    texts: dict[str, str]
    ucs: UcsEntry | None
    warnings: tuple[str, ...]


def sound_words(path: str, root: str, tags: Mapping[str, str]) -> SoundWords:
    """The searchable words of one sound.

    Args:
        path: the file's absolute path.
        root: the indexed folder holding it (its own name is not a word of the sound).
        tags: the raw embedded fields read from the file (``EmbeddedMetadata.fields``).
    """
    grouped = EmbeddedMetadata(fields=dict(tags), warnings=()).grouped()
    from_path = words_from_path(path, root)
    stem = posixpath.splitext(posixpath.basename(path))[0]
    name, extra, entry, warnings = _name_and_ucs(stem, from_path.name, grouped)
    texts = {
        "name": _join(name, _compounds(stem)),
        "title": grouped.get("title", ""),
        "description": grouped.get("description", ""),
        "keywords": grouped.get("keywords", ""),
        "category": _join(
            grouped.get("category", ""),
            grouped.get("subcategory", ""),
            ucs_words(entry) if entry else "",
            entry.catid.lower() if entry else "",
        ),
        "folders": from_path.folders,
        "other": _join(
            extra, grouped.get("library", ""), grouped.get("designer", ""), grouped.get("other", "")
        ),
    }
    texts = {field: plain_text(text) for field, text in texts.items()}
    return SoundWords(texts, entry, tuple(warnings))


def _name_and_ucs(
    stem: str, plain_name: str, grouped: Mapping[str, str]
) -> tuple[str, str, UcsEntry | None, list[str]]:
    """(name words, other words, UCS entry, warnings): a UCS file name gives its FX name as
    the name and its CatID as the category; else the tags' CatID or category may."""
    warnings: list[str] = []
    parsed = parse_ucs_name(stem)
    name, extra, entry = plain_name, "", None
    if parsed is not None:
        if parsed.entry is None:
            warnings.append(
                f"file name looks like UCS but its CatID {parsed.catid!r} is not in the UCS "
                "list; its words are searched as a plain name"
            )
        else:
            entry = parsed.entry
            parts = (parsed.user_category, parsed.vendor_category, parsed.fx_name)
            name = name_words(" ".join(p for p in parts if p))
            ids = (parsed.creator_id, parsed.source_id, parsed.user_data)
            extra = " ".join(p for p in ids if p)
    if entry is None:
        entry = _entry_from_tags(grouped, warnings)
    return name, extra, entry, warnings


def _entry_from_tags(grouped: Mapping[str, str], warnings: list[str]) -> UcsEntry | None:
    catid = grouped.get("catid", "").split(" ; ")[0].strip()
    if catid:
        entry = ucs_list().by_catid(catid)
        if entry is None:
            warnings.append(f"CatID tag {catid!r} is not in the UCS list")
        return entry
    category = grouped.get("category", "").split(" ; ")[0].strip()
    subcategory = grouped.get("subcategory", "").split(" ; ")[0].strip()
    if category and subcategory:
        found = find_category(f"{category}-{subcategory}")
        return found[0] if len(found) == 1 else None
    return None


_LETTERS = re.compile(r"[A-Za-z]+")


def _compounds(stem: str) -> str:
    """Words a name writes as one run of letters but splits by case (``FootStep``,
    ``DOORWood``): each neighbouring pair joined, so ``footstep`` finds ``FootStepSnow1``."""
    out: list[str] = []
    for chunk in _LETTERS.findall(stem):
        parts = split_words(chunk)
        out += [a + b for a, b in zip(parts, parts[1:], strict=False)]
    return " ".join(dict.fromkeys(out))


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)

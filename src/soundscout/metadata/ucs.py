"""The Universal Category System (UCS v8.2.1): its category list and its file names.

The list is the public-domain UCS v8.2.1 English list, vendored in ``data/`` (see
``data/PROVENANCE.md``), loaded once on first use.

A UCS file name is ``CatID(-UserCategory)_(VendorCategory-)FXName_CreatorID_SourceID
(_UserData)``, e.g. ``DOORWood_Slam Heavy Wooden Door_JD_LIB``.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

UCS_VERSION = "8.2.1"
UCS_FILE = "ucs_v8.2.1.csv"

# A CatID not in the list still counts as one when it has the list's shape: an upper-case
# CatShort whose last capital starts a lower-case subcategory part ("DOORWood", "AMBForst").
_CATID_SHAPE = re.compile(r"[A-Z]{3,6}[a-z][a-z0-9]*")
_SEPARATORS = re.compile(r"\s*[-/]\s*")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class UcsEntry:
    """One UCS subcategory: its CatID, names, explanation and synonyms."""

    catid: str
    category: str
    subcategory: str
    cat_short: str
    explanation: str
    synonyms: tuple[str, ...]


class UcsList:
    """The UCS entries with lookups by CatID, category and category/subcategory."""

    def __init__(self, entries: list[UcsEntry]) -> None:
        """Index ``entries`` (in list order)."""
        self._entries = list(entries)
        self._by_catid = {e.catid.lower(): e for e in self._entries}
        self._by_category: dict[str, list[UcsEntry]] = {}
        self._by_pair: dict[tuple[str, str], UcsEntry] = {}
        for e in self._entries:
            self._by_category.setdefault(_norm(e.category), []).append(e)
            self._by_pair[(_norm(e.category), _norm(e.subcategory))] = e

    def by_catid(self, catid: str) -> UcsEntry | None:
        """The entry of a CatID, case-insensitive; None when unknown."""
        return self._by_catid.get(catid.strip().lower())

    def by_category(self, category: str) -> list[UcsEntry]:
        """The entries of a category name (``"DOORS"``), case-insensitive; [] when unknown."""
        return list(self._by_category.get(_norm(category), ()))

    def by_pair(self, category: str, subcategory: str) -> UcsEntry | None:
        """The entry of a category and subcategory, case-insensitive; None when unknown."""
        return self._by_pair.get((_norm(category), _norm(subcategory)))

    def categories(self) -> list[str]:
        """The category names, in list order."""
        return list(dict.fromkeys(e.category for e in self._entries))

    def entries(self) -> list[UcsEntry]:
        """All entries (one per CatID), in list order."""
        return list(self._entries)


def _norm(text: str) -> str:
    """Lower-case with single spaces: the key of category and subcategory lookups."""
    return _SPACES.sub(" ", text.strip().lower())


def parse_ucs_csv(text: str) -> list[UcsEntry]:
    """Read a UCS list CSV: a header row naming ``CatID`` (rows above it are skipped), then one
    row per subcategory; other columns (translations) are ignored.

    Raises:
        ValueError: no header row with Category, SubCategory and CatID.
    """
    rows = csv.reader(io.StringIO(text, newline=""))
    for header in rows:
        names = [h.strip().lower() for h in header]
        if {"category", "subcategory", "catid"} <= set(names):
            break
    else:
        raise ValueError("no UCS header row (Category, SubCategory, CatID) found")
    col = {name: i for i, name in reversed(list(enumerate(names)))}

    def cell(row: list[str], name: str) -> str:
        i = col.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""

    entries = []
    for row in rows:
        catid = cell(row, "catid")
        if not catid:
            continue
        synonyms = tuple(s.strip() for s in cell(row, "synonyms").split(",") if s.strip())
        entries.append(
            UcsEntry(
                catid=catid,
                category=cell(row, "category"),
                subcategory=cell(row, "subcategory"),
                cat_short=cell(row, "catshort"),
                explanation=cell(row, "explanations") or cell(row, "explanation"),
                synonyms=synonyms,
            )
        )
    return entries


def read_ucs_file() -> str:
    """The text of the vendored UCS list."""
    return (resources.files(__package__) / "data" / UCS_FILE).read_text(encoding="utf-8")


@cache
def ucs_list() -> UcsList:
    """The vendored UCS v8.2.1 list, loaded on first use and cached."""
    return UcsList(parse_ucs_csv(read_ucs_file()))


@dataclass(frozen=True)
class UcsName:
    """The parts of a UCS file name; ``entry`` is None when the CatID is not in the list."""

    catid: str
    user_category: str | None
    vendor_category: str | None
    fx_name: str
    creator_id: str | None
    source_id: str | None
    user_data: str | None
    entry: UcsEntry | None


def _split_vendor(block: str) -> tuple[str | None, str]:
    """(VendorCategory, FXName) of the second block: a vendor category is the part before the
    first hyphen when it has letters and none in lower case (``BLADES-Sword Whoosh``), so
    that an FX name with a hyphen (``Sci-Fi Door``) is not split."""
    head, sep, tail = block.partition("-")
    head = head.strip()
    if sep and head and tail.strip() and head.upper() == head and head.lower() != head:
        return head, tail.strip()
    return None, block.strip()


def _block(blocks: list[str], i: int) -> str | None:
    """Block ``i``, stripped; None when absent or empty."""
    return blocks[i].strip() or None if i < len(blocks) else None


def parse_ucs_name(stem: str) -> UcsName | None:
    """Parse a UCS file name (without its extension).

    A name is UCS when its first block is a CatID of the list (matched exactly, then
    case-insensitively if it has the CatID shape) followed by an FX name, or has the CatID
    shape (``DOORWood``) with all four required blocks; the latter gets ``entry=None``.

    Args:
        stem: e.g. ``"AMBForst-Night_Crickets Far_JD_NATURE_take2"``.

    Returns:
        The parts, or None when the name does not look like UCS (``kick_01``, ``Door Slam``).
    """
    blocks = stem.split("_")
    if len(blocks) < 2:
        return None
    catid, _, user_category = blocks[0].partition("-")
    catid = catid.strip()
    vendor, fx_name = _split_vendor(blocks[1])
    if not fx_name:
        return None
    entries = ucs_list()
    entry = entries.by_catid(catid)
    shaped = _CATID_SHAPE.fullmatch(catid) is not None
    if entry is not None and entry.catid != catid and not shaped:
        entry = None  # "wind_howl": a word, not the CatID "WIND"
    if entry is None and not (shaped and _block(blocks, 2) and _block(blocks, 3)):
        return None
    return UcsName(
        catid=entry.catid if entry else catid,
        user_category=user_category.strip() or None,
        vendor_category=vendor,
        fx_name=fx_name,
        creator_id=_block(blocks, 2),
        source_id=_block(blocks, 3),
        user_data="_".join(blocks[4:]).strip() or None,
        entry=entry,
    )


@cache
def ucs_words(entry: UcsEntry) -> str:
    """The category, subcategory and synonyms of an entry as lower-case searchable words."""
    words: dict[str, None] = {}
    for text in (entry.category, entry.subcategory, *entry.synonyms):
        for word in text.lower().replace("&", " ").split():
            words[word] = None
    return " ".join(words)


def find_category(text: str) -> list[UcsEntry]:
    """The entries a filter names, case-insensitive: a category (``"DOORS"``: all its
    entries), a CatID (``"DOORWood"``), a category and subcategory (``"DOORS-WOOD"``,
    ``"Doors/Wood"``) or a category's short code (``"AMB"``, ``"UI"``: all its entries);
    [] when none match."""
    entries = ucs_list()
    found = entries.by_category(text)
    if found:
        return found
    entry = entries.by_catid(text)
    if entry is not None:
        return [entry]
    short = text.strip().upper()
    found = [e for e in entries.entries() if e.cat_short.upper() == short]
    if found:
        return found
    parts = _SEPARATORS.split(text.strip(), maxsplit=1)
    if len(parts) == 2:
        pair = entries.by_pair(parts[0], parts[1])
        if pair is not None:
            return [pair]
    return []

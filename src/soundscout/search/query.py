"""Query objects shared by the search service, the catalog and the front-ends."""

from __future__ import annotations

import math
import posixpath
from dataclasses import dataclass, field

from soundscout.errors import InvalidQueryError, NotFoundError
from soundscout.moments.locate import Moment

#: Most distinct formats one filter may allow (each is an SQL parameter).
MAX_FORMATS = 64


#: Extensions and other names of the formats the catalog records (wav, aiff, m4a, ogg...).
FORMAT_ALIASES = {"wave": "wav", "aif": "aiff", "aifc": "aiff", "mp4": "m4a", "oga": "ogg"}


@dataclass(frozen=True)
class Filters:
    """Restrictions on which sounds may be returned."""

    min_duration: float | None = None
    max_duration: float | None = None
    formats: tuple[str, ...] = field(default_factory=tuple)
    folder: str | None = None
    min_sample_rate: int | None = None
    max_sample_rate: int | None = None
    category: str | None = None  # a UCS category, "Category-SubCategory" or CatID

    def __post_init__(self) -> None:
        _check_range("duration", self.min_duration, self.max_duration)
        _check_range("sample_rate", self.min_sample_rate, self.max_sample_rate)
        given = (part for f in self.formats if f for part in f.split(","))  # "mp3,ogg" too
        names = (part.strip().lower().lstrip(".") for part in given)
        cleaned = tuple(dict.fromkeys(FORMAT_ALIASES.get(n, n) for n in names if n))
        if len(cleaned) > MAX_FORMATS:
            raise InvalidQueryError(
                f"At most {MAX_FORMATS} formats can be allowed at once (got {len(cleaned)})."
            )
        object.__setattr__(self, "formats", cleaned)
        if self.folder is not None:  # "./Doors", "Doors/", "/lib/../lib/Doors" as written
            folder = posixpath.normpath(self.folder) if self.folder.strip().strip("/") else ""
            folder = "/" + folder.lstrip("/") if folder.startswith("/") else folder
            # "", " / ", ".", "/": the whole library
            object.__setattr__(self, "folder", None if folder in ("", ".", "/") else folder)
        if self.category is not None and not self.category.strip():
            object.__setattr__(self, "category", None)

    @property
    def catids(self) -> tuple[str, ...]:
        """The UCS CatIDs the category filter stands for (empty when there is none)."""
        if self.category is None:
            return ()
        from soundscout.metadata.ucs import find_category

        found = find_category(self.category.strip())
        if not found:
            raise InvalidQueryError(
                f"Unknown UCS category {self.category!r}.",
                hint="Give a UCS category (DOORS), a category and subcategory (DOORS-WOOD) "
                "or a CatID (DOORWood); `soundscout categories` lists the library's.",
            )
        return tuple(entry.catid for entry in found)

    @property
    def active(self) -> bool:
        """True when at least one restriction is set."""
        return any(
            value not in (None, ())
            for value in (
                self.min_duration,
                self.max_duration,
                self.formats,
                self.folder,
                self.min_sample_rate,
                self.max_sample_rate,
                self.category,
            )
        )


def _check_range(name: str, low: float | None, high: float | None) -> None:
    for label, value in (("min", low), ("max", high)):
        if value is not None and (value < 0 or math.isnan(value)):
            raise InvalidQueryError(
                f"{label}_{name} must be a number of 0 or more (got {value}).",
                hint=f"Give {label}_{name} in seconds, or leave it out.",
            )
    if low is not None and high is not None and low > high:
        raise InvalidQueryError(
            f"min_{name} ({low}) is larger than max_{name} ({high}).",
            hint=f"Swap them, or leave one out: nothing is both over min_{name} and under "
            f"max_{name}.",
        )


@dataclass(frozen=True)
class WordMatch:
    """Words of a query found in one field of a sound."""

    field: str
    words: tuple[str, ...]


@dataclass(frozen=True)
class Explanation:
    """Why a result is where it is: each signal's score and rank, and the words matched."""

    sound_score: float | None = None  # cosine of the sound to the query vector
    sound_rank: int | None = None  # place in the sound list (None: not in its window)
    words_score: float | None = None  # BM25, higher is better
    words_rank: int | None = None
    matches: tuple[WordMatch, ...] = ()
    coverage: float | None = None  # share of the query's words the sound's words hold
    sound_z: float | None = None  # sound score in standard deviations above the library's
    #: the copy of this recording that ranked, when collapse shows another (its words and
    #: sound are this result's evidence)
    ranked_as: str | None = None


@dataclass(frozen=True)
class SearchHit:
    """One result row."""

    id: int
    path: str
    root: str  # the indexed folder holding the file
    score: float
    duration: float | None
    format: str | None
    sample_rate: int | None
    channels: int | None
    bit_depth: int | None = None  # of PCM, float and lossless files; None for lossy ones
    category: str | None = None  # UCS category and subcategory, when known
    subcategory: str | None = None
    relevance: float | None = None  # calibrated 0..1 (see search/relevance.py)
    band: str | None = None  # "strong", "fair" or "weak"
    explain: Explanation | None = None
    copies: int = 0  # other copies of this recording folded into it (search --collapse)
    moments: tuple[Moment, ...] = ()  # where in a long sound the query matches, best first


def valid_id(sound_id: object) -> bool:
    """True for an integer that can be a catalog id (SQLite's signed 64-bit range)."""
    return isinstance(sound_id, int) and not isinstance(sound_id, bool) and 0 <= sound_id < 2**63


def no_such_sound(sound_id: object) -> NotFoundError:
    """The error for an id no catalogued sound has."""
    return NotFoundError(
        f"No sound with id {sound_id}.",
        hint="Ids are in a search's results (`id` with --json) and in `soundscout show PATH`.",
    )


def check_alpha(alpha: float) -> float:
    """Validate a hybrid weight: a finite number in [0, 1]."""
    if not isinstance(alpha, (int, float)) or not (0.0 <= float(alpha) <= 1.0):
        raise InvalidQueryError(
            f"alpha must be between 0 and 1 (got {alpha}).",
            hint="alpha=1 searches by the reference sound only, alpha=0 by the text only.",
        )
    return float(alpha)


def check_k(k: int, max_k: int) -> int:
    """Validate the number of results."""
    if not isinstance(k, int) or isinstance(k, bool) or k < 1 or k > max_k:
        raise InvalidQueryError(
            f"k must be an integer between 1 and {max_k} (got {k}).",
            hint="k is how many results to return (-k on the command line).",
        )
    return k


#: How a text query can be searched.
MATCH_MODES = ("both", "words", "sound")


def check_match(match: str) -> str:
    """Validate a match mode: both, words or sound (any case)."""
    match = match.lower() if isinstance(match, str) else match
    if match not in MATCH_MODES:
        raise InvalidQueryError(
            f"match must be one of {', '.join(MATCH_MODES)} (got {match!r}).",
            hint="both searches what sounds sound like and the words their files carry.",
        )
    return match

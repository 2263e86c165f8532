"""Request and response bodies of the API, separate from the catalog's storage rows."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from soundscout.catalog.catalog import SoundRow
from soundscout.search.query import Explanation, Filters, SearchHit
from soundscout.search.service import SearchResult

#: Largest SQLite integer: bigger ids are refused as invalid instead of overflowing.
MAX_SOUND_ID = 2**63 - 1
#: Far above any real rate; keeps filter values inside SQLite's integers.
MAX_SAMPLE_RATE = 100_000_000


MatchMode = Annotated[
    Literal["both", "words", "sound"],
    BeforeValidator(lambda value: value.lower() if isinstance(value, str) else value),
]
MATCH_DESCRIPTION = (
    "How the text is searched: both (the sound and the words files carry, fused), words "
    "(names, folders, tags, UCS category) or sound; default search.match."
)

COLLAPSE_DESCRIPTION = (
    "One result per recording: its best-quality copy (lossless, then higher sample rate, then "
    "longer), with `copies` saying how many other copies it hides."
)


MOMENTS_DESCRIPTION = (
    "Search inside long recordings too: a long sound ranks by its best moment, and each hit "
    "lists `moments` (start, end, score; best first) where the query matches."
)


class MomentOut(BaseModel):
    """A time range inside a long sound where the query matches."""

    start: float = Field(description="Seconds from the start of the sound.")
    end: float = Field(description="Seconds from the start of the sound.")
    score: float = Field(description="Cosine of the query and the moment's best segment.")
    pattern: bool = Field(
        False,
        description="The query sound itself was found here, by its spectral pattern "
        "(an audio query; otherwise the moment is where the sound's segments match best).",
    )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FiltersIn(_Strict):
    """Restrictions on the results (all optional)."""

    min_duration: float | None = Field(None, ge=0, description="Seconds.")
    max_duration: float | None = Field(None, ge=0, description="Seconds.")
    formats: list[str] = Field(default_factory=list, description='e.g. ["wav", "flac"].')
    folder: str | None = Field(
        None,
        description="Under this folder (relative to an indexed root or absolute; any ASCII case).",
    )
    min_sample_rate: int | None = Field(None, ge=0, le=MAX_SAMPLE_RATE)
    max_sample_rate: int | None = Field(None, ge=0, le=MAX_SAMPLE_RATE)
    category: str | None = Field(
        None,
        max_length=200,
        description='A UCS category ("DOORS"), category-subcategory ("DOORS-WOOD") or CatID.',
    )

    def to_filters(self) -> Filters:
        """The core query object."""
        return Filters(
            self.min_duration,
            self.max_duration,
            tuple(self.formats),
            self.folder,
            self.min_sample_rate,
            self.max_sample_rate,
            self.category,
        )


class SearchRequest(_Strict):
    """A text, audio (by catalogued id) or hybrid query."""

    text: str | None = Field(None, max_length=2000, description="A description of the sound.")
    match: MatchMode | None = Field(None, description=MATCH_DESCRIPTION)
    sound_id: int | None = Field(
        None, ge=1, le=MAX_SOUND_ID, description="A catalogued reference sound."
    )
    alpha: float | None = Field(
        None, ge=0, le=1, allow_inf_nan=False, description="Hybrid weight of the sound."
    )
    k: int | None = Field(None, ge=1, description="Number of results (at most search.max_k).")
    start: float | None = Field(
        None,
        ge=0,
        le=1e7,
        allow_inf_nan=False,
        description="Use the reference sound from this second on.",
    )
    end: float | None = Field(
        None,
        gt=0,
        le=1e7,
        allow_inf_nan=False,
        description="Use the reference sound up to this second.",
    )
    filters: FiltersIn | None = None
    collapse: bool = Field(False, description=COLLAPSE_DESCRIPTION)
    moments: bool = Field(False, description=MOMENTS_DESCRIPTION)


class WordMatchOut(BaseModel):
    """Query words found in one field of a sound's words."""

    field: str = Field(
        description="name, title, description, keywords, category, folders or other."
    )
    words: list[str]


class ExplanationOut(BaseModel):
    """Why a result is there: each signal's score and place, and the words matched."""

    sound_score: float | None = Field(description="Cosine of the sound to the query.")
    sound_rank: int | None = Field(description="Place in the sound list (null: not in it).")
    words_score: float | None = Field(description="BM25 of the words (higher is better).")
    words_rank: int | None = Field(description="Place in the words list (null: not in it).")
    coverage: float | None = Field(description="Share of the query's words found.")
    sound_z: float | None = Field(
        description="Sound score in standard deviations above the library's."
    )
    matches: list[WordMatchOut]
    ranked_as: str | None = Field(
        None,
        description="With collapse, when the result is shown as its recording's best copy "
        "but another copy ranked: that copy's path (the words matched are its).",
    )


class SearchHitOut(BaseModel):
    """One result."""

    id: int
    path: str
    name: str
    folder: str
    score: float = Field(description="Ordering score (cosine, BM25 or fused; see docs).")
    relevance: float | None = Field(
        None, description="Calibrated 0..1 chance of a match (text queries)."
    )
    band: str | None = Field(None, description='"strong", "fair" or "weak".')
    duration: float | None
    format: str | None
    sample_rate: int | None
    channels: int | None
    bit_depth: int | None = Field(
        None, description="Bits per sample (16, 24, 32...); null for lossy formats (MP3, AAC)."
    )
    category: str | None = Field(None, description="UCS category, when known.")
    subcategory: str | None = Field(None, description="UCS subcategory, when known.")
    audio_url: str
    explain: ExplanationOut | None = None
    copies: int = Field(
        0,
        description="Other copies of this recording hidden (collapse); the reference sound "
        "and its own copies, left out of the results, are not counted.",
    )
    moments: list[MomentOut] = Field(
        default_factory=list, description="Where in a long sound the query matches (moments)."
    )


class SearchResponse(BaseModel):
    """Results plus how the query was run."""

    mode: str = Field(
        description='"text", "audio", "hybrid", or "browse" (filters only, ordered by path).'
    )
    match: str = Field(description='How the text was searched: "both", "words" or "sound".')
    alpha: float | None
    took_ms: float
    notes: list[str] = Field(description="What to know about this answer (e.g. no strong match).")
    results: list[SearchHitOut]


class CategoryOut(BaseModel):
    """A UCS category and subcategory present in the library."""

    category: str
    subcategory: str
    count: int


class CategoriesOut(BaseModel):
    """The UCS categories of the library's sounds, with counts."""

    categories: list[CategoryOut]


class SoundOut(BaseModel):
    """Metadata of one catalogued sound."""

    id: int
    path: str
    name: str
    folder: str
    duration: float | None
    sample_rate: int | None
    channels: int | None
    bit_depth: int | None = Field(
        None, description="Bits per sample (16, 24, 32...); null for lossy formats (MP3, AAC)."
    )
    format: str | None
    status: str
    error: str | None
    audio_url: str
    category: str | None = None
    subcategory: str | None = None
    catid: str | None = None
    tags: dict[str, str] = Field(
        default_factory=dict, description="Fields read from the file (BWF, iXML, ID3...)."
    )
    tag_warnings: list[str] = Field(
        default_factory=list, description="Fields that were skipped, with the reason."
    )
    decoder_warnings: list[str] = Field(
        default_factory=list,
        description="What the audio decoders printed while reading the file (e.g. "
        "libmpg123's 'Xing stream size off'): the sound was indexed, but its file may be "
        "damaged.",
    )


class PeaksOut(BaseModel):
    """Waveform overview: ``n`` peak amplitudes in [0, 1], evenly spread over the sound."""

    id: int
    n: int
    duration: float
    peaks: list[float]


class HealthOut(BaseModel):
    """Liveness, and whether the index and the model have loaded."""

    ok: bool
    version: str
    ready: bool = Field(
        description="The index and the model are loaded: searches answer at full speed."
    )
    loading: str | None = Field(
        None, description='What is still loading ("index" or "model"); null when ready.'
    )
    problem: str | None = Field(
        None,
        description="Why loading failed, when it did (searches report the same error); "
        "null otherwise.",
    )


class FailureOut(BaseModel):
    """A sound that could not be indexed."""

    id: int
    path: str
    error: str | None


class StatsOut(BaseModel):
    """Library state (``service.stats()``), recent failures and request limits."""

    model_config = ConfigDict(extra="allow")

    failures: list[FailureOut]
    limits: dict[str, int | float]


class ErrorDetail(BaseModel):
    """What went wrong and what to do next."""

    code: str
    message: str
    hint: str | None


class ErrorOut(BaseModel):
    """The one error shape of every 4xx/5xx response."""

    error: ErrorDetail


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": text}
    for status, text in ((401, "Missing or wrong API key"), (404, "Not found"), (422, "Invalid"))
}


def audio_url(sound_id: int) -> str:
    """The URL that streams a sound's original file."""
    return f"/api/sounds/{sound_id}/audio"


def folder_of(path: str, roots: Sequence[str]) -> str:
    """The folder of ``path`` relative to the indexed root holding it ('' at the top)."""
    parent = posixpath.dirname(path)
    for root in sorted(roots, key=len, reverse=True):
        base = root.rstrip("/")
        if parent == base:
            return ""
        if parent.startswith(base + "/"):
            return parent[len(base) + 1 :]
    return posixpath.basename(parent)


def _round(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(value, digits)


def explanation_out(explain: Explanation) -> ExplanationOut:
    """Response form of a hit's explanation."""
    return ExplanationOut(
        sound_score=_round(explain.sound_score),
        sound_rank=explain.sound_rank,
        words_score=_round(explain.words_score),
        words_rank=explain.words_rank,
        coverage=_round(explain.coverage, 4),
        sound_z=_round(explain.sound_z, 3),
        matches=[WordMatchOut(field=m.field, words=list(m.words)) for m in explain.matches],
        ranked_as=explain.ranked_as,
    )


def hit_out(hit: SearchHit) -> SearchHitOut:
    """Response form of a search hit."""
    return SearchHitOut(
        id=hit.id,
        path=hit.path,
        name=posixpath.basename(hit.path),
        folder=folder_of(hit.path, [hit.root]),
        score=round(hit.score, 6),
        relevance=hit.relevance,
        band=hit.band,
        duration=hit.duration,
        format=hit.format,
        sample_rate=hit.sample_rate,
        channels=hit.channels,
        bit_depth=hit.bit_depth,
        category=hit.category,
        subcategory=hit.subcategory,
        audio_url=audio_url(hit.id),
        explain=explanation_out(hit.explain) if hit.explain is not None else None,
        copies=hit.copies,
        moments=[
            MomentOut(start=m.start, end=m.end, score=round(m.score, 6), pattern=m.pattern)
            for m in hit.moments
        ],
    )


def search_response(result: SearchResult) -> SearchResponse:
    """Response form of a search result."""
    return SearchResponse(
        mode=result.mode,
        match=result.match,
        alpha=result.alpha,
        took_ms=round(result.took_ms, 2),
        notes=list(result.notes),
        results=[hit_out(h) for h in result.hits],
    )


def sound_out(
    row: SoundRow,
    tags: dict[str, str] | None = None,
    warnings: list[str] | None = None,
    decoder_warnings: list[str] | None = None,
) -> SoundOut:
    """Response form of a catalog row (with the tags read from its file, when given)."""
    return SoundOut(
        id=row.id,
        path=row.path,
        name=posixpath.basename(row.path),
        folder=folder_of(row.path, [row.root]),
        duration=row.duration,
        sample_rate=row.sample_rate,
        channels=row.channels,
        bit_depth=row.bit_depth,
        format=row.format,
        status=row.status,
        error=row.error,
        audio_url=audio_url(row.id),
        category=row.ucs_category,
        subcategory=row.ucs_subcategory,
        catid=row.ucs_catid,
        tags=tags or {},
        tag_warnings=warnings or [],
        decoder_warnings=decoder_warnings or [],
    )

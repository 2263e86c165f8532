"""The search command."""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from soundscout.cli.context import given_path, state, tsv_line
from soundscout.search.query import Filters, SearchHit, check_alpha, check_match
from soundscout.search.reference import Region, absolute_path
from soundscout.search.service import SearchService

console = Console()
log = logging.getLogger(__name__)


def search(
    ctx: typer.Context,
    query: Annotated[str | None, typer.Argument(help="What the sound is like, in words.")] = None,
    audio: Annotated[
        Path | None, typer.Option("--audio", "-a", parser=given_path, help="Reference sound file.")
    ] = None,
    sound_id: Annotated[
        int | None, typer.Option("--id", help="Reference catalogued sound id.")
    ] = None,
    start: Annotated[
        float | None, typer.Option(help="Use the reference sound from this second on.")
    ] = None,
    end: Annotated[
        float | None, typer.Option(help="Use the reference sound up to this second.")
    ] = None,
    alpha: Annotated[
        float | None,
        typer.Option(help="Hybrid weight of the reference sound, 0..1 (1 = sound only)."),
    ] = None,
    k: Annotated[int | None, typer.Option("-k", "--top", help="Number of results.")] = None,
    min_duration: Annotated[float | None, typer.Option(help="Shortest duration, seconds.")] = None,
    max_duration: Annotated[float | None, typer.Option(help="Longest duration, seconds.")] = None,
    fmt: Annotated[
        list[str] | None,
        typer.Option(
            "--format", metavar="FORMAT", help="Only these formats (repeatable): wav, flac, mp3..."
        ),
    ] = None,
    folder: Annotated[str | None, typer.Option(help="Only under this folder.")] = None,
    category: Annotated[
        str | None,
        typer.Option(help="Only this UCS category (DOORS), category-sub (DOORS-WOOD) or CatID."),
    ] = None,
    match: Annotated[
        str | None,
        typer.Option(
            help="How the text is searched: both (sound and words), words (names, folders, "
            "tags, UCS) or sound. Default: search.match (both)."
        ),
    ] = None,
    min_sample_rate: Annotated[int | None, typer.Option(help="Lowest sample rate, Hz.")] = None,
    max_sample_rate: Annotated[int | None, typer.Option(help="Highest sample rate, Hz.")] = None,
    collapse: Annotated[
        bool,
        typer.Option(
            "--collapse", help="One result per recording: its best copy (+N copies it hides)."
        ),
    ] = False,
    moments: Annotated[
        bool,
        typer.Option(
            "--moments",
            help="Search inside long recordings too, and show where each matches "
            "(02:13.0-02:16.0, best first).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Search by text, by a reference sound, or both (hybrid)."""
    filters = Filters(
        min_duration,
        max_duration,
        tuple(fmt or ()),
        folder,
        min_sample_rate,
        max_sample_rate,
        category,
    )
    if match is not None:
        match = check_match(match)
    region = Region(start or 0.0, end) if start is not None or end is not None else None
    hybrid = bool(query and query.strip()) and (audio is not None or sound_id is not None)
    if alpha is not None:
        check_alpha(alpha)
        if not hybrid:
            log.warning("--alpha weighs a text and a reference sound together; ignored here")
    service = state(ctx).service(require_library=True)
    try:
        by_words = (match or service.settings.search.match) == "words"
        reference = audio is not None or sound_id is not None
        needs_model = (query or reference) and (reference or not by_words)
        loading_s = (
            _load(
                service,
                with_text=bool(query and query.strip()) and not by_words,
                with_audio=audio is not None
                and service.catalog.find_by_path(absolute_path(audio)) is None,
                with_segments=moments,
            )
            if needs_model and _some_pass(service, filters)
            else 0.0  # a words-only search needs neither the model nor the vector index
        )
        result = service.search(
            region=region,
            text=query,
            audio_path=audio,
            sound_id=sound_id,
            alpha=alpha,
            k=k,
            filters=filters,
            match=match,
            collapse=collapse,
            moments=moments,
        )
    finally:
        service.close()
    if as_json:  # the API's response shape, plus the loading time
        from soundscout.api.schemas import search_response

        body = search_response(result).model_dump()
        body["loading_ms"] = round(loading_s * 1000, 1)
        typer.echo(json.dumps(body, indent=2, ensure_ascii=False))
        return
    for note in result.notes:
        log.warning("%s", note)
    count = len(result.hits)
    how = f"{result.mode} search" + (f" ({result.match})" if result.mode != "audio" else "")
    if result.mode == "browse":
        how = "filter only (by path)"
    title = f"{how} — {count} result{'' if count == 1 else 's'} in {result.took_ms:.0f} ms"
    if loading_s:
        title += f" (model and index loaded in {loading_s:.1f} s)"
    columns = ("#", "id", "match", "score", "duration", "format", "path", "why")
    if moments:
        columns = (*columns[:5], "moments", *columns[5:])
    rows = [
        (
            str(rank),
            str(hit.id),
            _relevance(hit),
            f"{hit.score:.3f}",
            f"{hit.duration:.2f} s" if hit.duration is not None else "?",
            *((moments_text(hit),) if moments else ()),
            hit.format or "?",
            hit.path,
            _why(hit),
        )
        for rank, hit in enumerate(result.hits, 1)
    ]
    if not console.is_terminal:  # piped: whole paths, one line per result, for grep and cut
        typer.echo(f"# {title}")
        for line in (columns, *rows):
            typer.echo(tsv_line(line))
        return
    found_itself = any(m.pattern for hit in result.hits for m in hit.moments)
    caption = PATTERN_NOTE if found_itself else None
    table = Table(title=title, title_justify="left", caption=caption, caption_justify="left")
    for column in columns:
        justify = "left" if column in ("format", "path", "why", "match") else "right"
        table.add_column(column, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for row in rows:
        # never markup ("snare [soft].wav")
        table.add_row(*row[:-2], Text(_short(row[-2])), Text(row[-1], style="dim"))
    console.print(table)


def clock(seconds: float) -> str:
    """Seconds as ``mm:ss.s`` (``h:mm:ss.s`` from an hour on)."""
    tenths = int(round(seconds * 10))
    hours, rest = divmod(tenths, 36000)
    minutes, rest = divmod(rest, 600)
    text = f"{minutes:02d}:{rest // 10:02d}.{rest % 10}"
    return f"{hours}:{text}" if hours else text


#: After a moment where the query sound itself was found (by its pattern).
PATTERN_MARK = "="
PATTERN_NOTE = f"{PATTERN_MARK}: the query sound itself, found there by its pattern"


def moments_text(hit: SearchHit) -> str:
    """A hit's moments, best first ("02:13.0-02:16.0, 05:01.0-05:03.0"), each place where
    the query sound itself was found marked ``=``; "-" for none."""
    return (
        ", ".join(
            f"{clock(m.start)}-{clock(m.end)}{PATTERN_MARK if m.pattern else ''}"
            for m in hit.moments
        )
        or "-"
    )


def _relevance(hit: SearchHit) -> str:
    """ "strong 0.82" for a text query's hit, "-" where no relevance is given."""
    return "-" if hit.relevance is None else f"{hit.band} {hit.relevance:.2f}"


def _why(hit: SearchHit) -> str:
    """Matched words by field, the UCS category and each list's rank, in a few words."""
    explain = hit.explain
    parts = []
    if explain is not None:
        if explain.ranked_as:  # collapse shows the best copy; this one ranked
            parts.append(f"as {Path(explain.ranked_as).name}")
        parts += [f"{m.field}: {' '.join(m.words)}" for m in explain.matches]
    if hit.category:
        parts.append(f"[{hit.category}/{hit.subcategory}]")
    if hit.copies:
        parts.append(f"+{hit.copies} {'copy' if hit.copies == 1 else 'copies'}")
    if explain is not None:
        ranks = [
            f"{name} #{rank}"
            for name, rank in (("sound", explain.sound_rank), ("words", explain.words_rank))
            if rank is not None
        ]
        parts.append(", ".join(ranks))
    return "; ".join(p for p in parts if p)


def _some_pass(service: SearchService, filters: Filters) -> bool:
    """Whether any indexed sound passes the filters (when none does, the search answers at
    once with a note, and no model is loaded)."""
    if not filters.active:
        return True
    where, params = service.catalog.filter_clause(filters)
    return bool(service.catalog.query(f"SELECT 1 FROM sounds WHERE {where} LIMIT 1", params))


def _load(
    service: SearchService, with_text: bool, with_audio: bool = False, with_segments: bool = False
) -> float:
    """Load the index and the encoder (the text side for a text query, the audio side for
    a reference file the library does not hold) before the query is timed; seconds."""
    started = time.perf_counter()
    service.sync_index()
    if with_segments:
        service.segments.sync()
    if with_text:
        service.encoder.encode_text("a sound")
    if with_audio:
        service.encoder.encode_audio(np.zeros(service.encoder.sample_rate, dtype=np.float32))
    seconds = time.perf_counter() - started
    log.debug("loaded the index and %s in %.2f s", service.encoder.name, seconds)
    return seconds


def _short(path: str) -> str:
    home = os.path.expanduser("~")
    return "~" + path[len(home) :] if path.startswith(home + os.sep) else path


def register(app: typer.Typer) -> None:
    """Add this command to the root app."""
    app.command()(search)

"""Commands about single sounds and the library's categories: show, categories."""

from __future__ import annotations

import json
import os
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from soundscout.catalog import segments as segdb
from soundscout.catalog.catalog import SoundRow
from soundscout.cli.context import state
from soundscout.errors import NotFoundError
from soundscout.search.service import SearchService

console = Console()


def show(
    ctx: typer.Context,
    sound: Annotated[str, typer.Argument(help="A sound's id or its file's path.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Everything the library knows of one sound: its file, its UCS category, the fields
    read from it (BWF, iXML, ID3, Vorbis, MP4), the words it is found by, what was skipped,
    and what the decoders printed while reading it."""
    service = state(ctx).service(require_library=True)
    try:
        row = _find(service, sound)
        tags, warnings = service.catalog.tags(row.id)
        words = service.lexical.fields(row.id)
        printed = service.catalog.decoder_warnings(row.id)
        with service.catalog.reading() as conn:
            segments = segdb.segment_count(conn, row.id)
    finally:
        service.close()
    facts = {
        "id": row.id,
        "path": row.path,
        "status": row.status,
        "error": row.error,
        "duration": round(row.duration, 3) if row.duration is not None else None,
        "sample_rate": row.sample_rate,
        "channels": row.channels,
        "bit_depth": row.bit_depth,
        "format": row.format,
        "category": row.ucs_category,
        "subcategory": row.ucs_subcategory,
        "catid": row.ucs_catid,
        "segments": segments or None,  # a long sound's, for moments
    }
    if as_json:
        body = {**facts, "tags": tags, "words": words, "tag_warnings": warnings}
        body["decoder_warnings"] = printed
        typer.echo(json.dumps(body, indent=2, ensure_ascii=False))
        return
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(overflow="fold")
    for key, value in facts.items():
        if value is not None:
            table.add_row(key, Text(str(value)))
    for title, fields in (("words", words), ("tag", tags)):
        for key, value in fields.items():
            table.add_row(f"{title} {key}", Text(value))
    for warning in warnings:
        table.add_row("skipped", Text(warning, style="yellow"))
    for line in printed:
        table.add_row("decoder", Text(line, style="yellow"))
    console.print(table)


def _find(service: SearchService, sound: str) -> SoundRow:
    """A sound by id, by path, or by its path under an indexed folder (as results show it)."""
    if sound.strip().isdigit():
        return service.sound(int(sound))
    candidates = [os.path.abspath(os.path.expanduser(sound))]
    candidates += [os.path.join(root, sound.lstrip("/")) for root in service.catalog.roots()]
    row = next((r for r in map(service.catalog.find_by_path, candidates) if r is not None), None)
    if row is None:
        raise NotFoundError(
            f"No catalogued sound at {sound}.",
            hint="Give a sound's id (search prints them) or the path of an indexed file.",
        )
    return row


def categories(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The UCS categories of the library's sounds, with counts (for search --category)."""
    service = state(ctx).service(require_library=True)
    try:
        counts = service.catalog.category_counts()
    finally:
        service.close()
    if as_json:
        rows = [{"category": c, "subcategory": s, "count": n} for c, s, n in counts]
        typer.echo(json.dumps({"categories": rows}, indent=2))
        return
    if not counts:
        console.print("No sound has a UCS category: none of the names or tags carry a known CatID.")
        return
    if not console.is_terminal:  # piped: one tab-separated line per subcategory
        typer.echo("category\tsubcategory\tsounds")
        for category, subcategory, count in counts:
            typer.echo(f"{category}\t{subcategory}\t{count}")
        return
    table = Table("category", "subcategory", "sounds", title="UCS categories")
    for category, subcategory, count in counts:
        table.add_row(category, subcategory, str(count))
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add these commands to the root app."""
    app.command()(show)
    app.command()(categories)

"""The duplicates command: the library's groups of copies and variants, and its silence."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from soundscout.cli.context import given_path, state, tsv_line
from soundscout.duplicates import grouping, report
from soundscout.errors import FileAccessError, InvalidQueryError, LibraryError
from soundscout.search.service import SearchService

console = Console()
log = logging.getLogger(__name__)
KIND_NAMES = {"exact": "exact copies", "recording": "same recording", "variant": "variants"}


def duplicates(
    ctx: typer.Context,
    kind: Annotated[
        str | None,
        typer.Option(
            help="Only groups of this kind: exact, recording (same recording) or variant."
        ),
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Show at most this many groups.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    csv_path: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            parser=given_path,
            help="Write every group (and silent file) as CSV here; - for stdout.",
        ),
    ] = None,
) -> None:
    """Groups of exact copies, the same recording in other formats, rates, levels or trims,
    and variants (other takes); silent files apart. Nothing is ever deleted."""
    if kind is not None and kind not in report.KINDS:
        raise InvalidQueryError(
            f"Unknown kind {kind!r}.", hint=f"Choose one of: {', '.join(report.KINDS)}."
        )
    service = state(ctx).service(require_library=True)
    try:
        current = _bring_up_to_date(service)
        groups, total = report.list_groups(service.catalog, kind, limit)
        silent = report.silent_sounds(service.catalog)
        unprinted = report.unprinted(service.catalog)
    finally:
        service.close()
    if csv_path is not None:
        _write_csv(csv_path, groups, silent)
    elif as_json:
        from soundscout.api.duplicates_schemas import duplicates_out

        body = duplicates_out(groups, total, silent, unprinted, current).model_dump()
        typer.echo(json.dumps(body, indent=2, ensure_ascii=False))
    elif not console.is_terminal:  # piped: one tab-separated line per file, for grep and cut
        _print_lines(groups, total, silent, unprinted)
    else:
        _print(groups, total, silent, unprinted)


def _bring_up_to_date(service: SearchService) -> bool:
    """Update the groups when the library changed since; False when that cannot be done now."""
    if grouping.is_current(service.catalog):
        return True
    try:
        service.update_duplicates()
        return True
    except LibraryError as exc:  # read-only, or another process is indexing
        log.warning("the groups shown may be out of date: %s", exc.message)
        return False


def _write_csv(path: Path, groups: list[report.Group], silent: list) -> None:
    if str(path) == "-":
        report.write_csv(groups, silent, sys.stdout)
        return
    try:
        with path.open("w", newline="", encoding="utf-8") as out:
            rows = report.write_csv(groups, silent, out)
    except OSError as exc:
        raise FileAccessError.of(exc, "write the CSV") from exc
    console.print(f"wrote {rows} rows to {path}", highlight=False)


_COLUMNS = ("keep", "id", "format", "rate", "bits", "ch", "duration", "size", "path")


def _cells(member: report.Member) -> tuple[str, ...]:
    """One member's row: what it is (:attr:`report.Member.relation`), then its file's
    facts (``_COLUMNS``)."""
    row = member.row
    return (
        member.relation,
        str(row.id),
        row.format or "?",
        str(row.sample_rate or "?"),
        str(row.bit_depth or "-"),
        str(row.channels or "?"),
        f"{row.duration:.2f} s" if row.duration is not None else "?",
        _mb(row.size),
        row.path,
    )


def _print_lines(groups: list[report.Group], total: int, silent: list, unprinted: int) -> None:
    """The groups as tab-separated lines: a group and kind column, then the table's."""
    typer.echo(f"# {len(groups)} of {total} groups, {len(silent)} silent files")
    typer.echo(tsv_line(("group", "kind", *_COLUMNS)))
    for group in groups:
        for member in group.members:
            typer.echo(tsv_line((str(group.id), group.kind, *_cells(member))))
    for row in silent:
        typer.echo(tsv_line(("", "silent", "", str(row.id), *[""] * 6, row.path)))
    if unprinted:
        typer.echo(f"# {unprinted} sounds were indexed before fingerprints (see the table)")


def _print(groups: list[report.Group], total: int, silent: list, unprinted: int) -> None:
    if not groups:
        console.print("No duplicates found.")
    for group in groups:
        table = Table(
            title=f"group {group.id}: {KIND_NAMES[group.kind]}, {len(group.members)} files, "
            f"{_mb(group.size)}",
            title_justify="left",
        )
        for column in _COLUMNS:
            table.add_column(column, overflow="fold")
        for member in group.members:
            *facts, path = _cells(member)
            table.add_row(*facts, Text(path))
        console.print(table)
    if len(groups) < total:
        console.print(f"{total - len(groups)} more groups (--limit).")
    if silent:
        console.print(f"{len(silent)} silent files (never grouped):", highlight=False)
        for row in silent:
            console.print(Text(f"  {row.id}  {row.path}"))
    if unprinted:
        console.print(
            f"{unprinted} sounds were indexed before fingerprints: only their exact copies and "
            "variants are found until they are indexed again (`index --retry-failed` does "
            "not; re-index their folder after `forget`).",
            highlight=False,
        )


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{size / 1e3:.0f} kB"


def register(app: typer.Typer) -> None:
    """Add this command to the root app."""
    app.command()(duplicates)

"""The eval command: measure encoders on your own labelled sounds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from soundscout.cli.context import given_path, state
from soundscout.errors import FileAccessError

console = Console()
err_console = Console(stderr=True)


def eval_(
    ctx: typer.Context,
    folder: Annotated[
        Path, typer.Argument(parser=given_path, help="Folder of labelled sounds to measure on.")
    ],
    labels: Annotated[
        str,
        typer.Option(
            metavar="folders|ucs|FILE.csv",
            help="Where labels come from: folders (the folder a file is in), ucs (the UCS "
            "category of its file name), or the path of a CSV with `path,label` columns.",
        ),
    ] = "folders",
    depth: Annotated[
        int | None,
        typer.Option(
            min=1, help="With --labels folders: label = the first N folders below FOLDER."
        ),
    ] = None,
    encoder: Annotated[
        list[str] | None,
        typer.Option(
            "--encoder",
            metavar="NAME",
            help="Encoder to measure (repeatable; default: the library's). The MFCC "
            "baseline (mfcc) and random are always added.",
        ),
    ] = None,
    queries: Annotated[
        Path | None,
        typer.Option(
            parser=given_path,
            help="YAML file: label -> list of phrasings, used instead of its words.",
        ),
    ] = None,
    min_files: Annotated[
        int, typer.Option(min=2, help="Leave out labels with fewer files than this.")
    ] = 5,
    html: Annotated[
        Path | None,
        typer.Option(
            parser=given_path, help="Also write an HTML report with per-label charts here."
        ),
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Measure encoders on FOLDER: same-label neighbours (sound→sound precision@10) and the
    labels' words as text queries (nDCG@10, recall@10), next to MFCC statistics and random.
    Reads the library's vectors when it holds these files; never writes to it."""
    from soundscout.evaluation.html_report import write_html
    from soundscout.evaluation.report import print_report
    from soundscout.evaluation.run import EvalRequest, run_eval

    if html is not None and html.is_dir():  # known now, not after the whole measurement
        raise FileAccessError(
            f"The HTML report would be written to {html}, which is a folder.",
            hint="Give a file name, e.g. --html report.html.",
        )
    settings = state(ctx).load().settings
    request = EvalRequest(
        folder=folder,
        labels=labels,
        depth=depth,
        encoders=tuple(encoder or ()),
        queries=queries,
        min_files=min_files,
        progress=progress,
    )
    report = run_eval(request, settings)
    if html is not None:
        try:
            written = write_html(report, html)
        except OSError as exc:
            raise FileAccessError.of(exc, "write the HTML report") from exc
        err_console.print(f"HTML report: {written}")
    if as_json:
        typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        print_report(report, console)


def register(app: typer.Typer) -> None:
    """Add this command to the root app."""
    app.command(name="eval")(eval_)

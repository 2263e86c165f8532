"""Library commands: index, status, rebuild, export, forget."""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from soundscout.cli.context import given_path, state
from soundscout.errors import LibraryError
from soundscout.search.library_state import describe_run

if TYPE_CHECKING:  # ingest is imported when a command indexes, not on every command
    from soundscout.ingest.runner import IngestReport

console = Console()
log = logging.getLogger(__name__)


def index(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Argument(parser=given_path, help="Folder of sounds to index (re-run to update)."),
    ],
    encoder: Annotated[
        str | None, typer.Option(help="Encoder name (builtin, clap, clamp3, tiny).")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Decoding processes (default: one per core; 0 = sequential, least memory)."
        ),
    ] = None,
    batch_size: Annotated[int | None, typer.Option(help="Files per model batch.")] = None,
    retry_failed: Annotated[
        bool,
        typer.Option("--retry-failed", help="Retry files that failed before even if unchanged."),
    ] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
    engine: Annotated[
        str,
        typer.Option(
            help="Where decoding and embedding run: local (this machine) or ray (a Ray "
            "cluster; pip install 'soundscout\\[ray]')."
        ),
    ] = "local",
    address: Annotated[
        str | None,
        typer.Option(
            help="Ray cluster for --engine ray: auto (the cluster this node belongs to), "
            "ray://HOST:10001, or none (default: start a local Ray instance)."
        ),
    ] = None,
    actors: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Most encoder actors for --engine ray (default: one per GPU, else three "
            "quarters of the CPUs).",
        ),
    ] = None,
    actor_gpus: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="GPUs per encoder actor for --engine ray (default: 1 when the cluster has "
            "GPUs now, else 0; set it when GPU workers autoscale from zero).",
        ),
    ] = None,
) -> None:
    """Scan, decode, embed and catalogue a folder; incremental and safe to interrupt."""
    ray_only = {"--address": address, "--actors": actors, "--actor-gpus": actor_gpus}
    given = [name for name, value in ray_only.items() if value is not None]
    if engine != "ray" and given:
        log.warning("%s only apply with --engine ray; ignored here", ", ".join(given))
    service = state(ctx).service(
        **{
            "encoder.name": encoder,
            "ingest.workers": workers,
            "encoder.batch_size": batch_size,
            "ingest.retry_failed": retry_failed or None,
        }
    )
    try:
        from soundscout.ingest.ray_engine import RayOptions

        ray = RayOptions(address=address, actors=actors, actor_gpus=actor_gpus)
        report = service.index_folder(path, progress=progress, engine=engine, ray=ray)
    finally:
        service.close()
    _print_report(report)
    console.print(
        f"  library: {escape(str(service.library_dir))} ({escape(state(ctx).origin())})",
        highlight=False,
        soft_wrap=True,  # a path is never folded
    )


def _rate(report: IngestReport) -> str:
    """ " (N files/s)" over a run that embedded enough files for a rate to mean something
    (the scan and the index update dominate a run that processed a handful)."""
    if report.processed < 20:
        return ""
    return f" ({report.files_per_second:.1f} files/s)"


def _print_report(report: IngestReport) -> None:
    console.print(
        f"[bold]{escape(report.root)}[/]: {report.scanned} files scanned — "
        f"[green]{report.ok} indexed[/], [red]{report.failed} failed[/], "
        f"{report.unchanged} unchanged, {report.moved} moved, {report.deleted} removed, "
        f"{report.skipped_failed} skipped (failed before; --retry-failed to retry) "
        f"in {report.seconds:.1f} s{_rate(report)}",
        highlight=False,
    )
    if report.excluded:
        console.print(
            f"  {report.excluded} of the removed files are still on disk: the settings no "
            "longer take them (ingest.extensions, ingest.follow_symlinks)"
        )
    if report.reembedded:
        console.print(f"  re-embedded {report.reembedded} unchanged files for the new encoder")
    if report.kept_vectors:
        console.print(
            f"  {report.kept_vectors} changed files have the same audio (their tags were "
            "edited): their words were read again, their embeddings kept"
        )
    if report.words_read:
        console.print(
            f"  read the names and tags of {report.words_read} sounds indexed before "
            "(no audio embedded again)"
        )
    if report.bit_depths_read:
        console.print(
            f"  read the bit depth of {report.bit_depths_read} sounds indexed before "
            "(from their headers; no audio embedded again)"
        )
    if report.prints_taken:
        console.print(
            f"  fingerprinted {report.prints_taken} sounds indexed before, to find their "
            "copies (no audio embedded again)"
        )
    if report.resumed:
        console.print(f"  resumed {report.resumed} files left pending by an interrupted run")
    for folder in report.unreadable[:10]:
        console.print(f"  [yellow]could not read folder[/] {escape(folder)}", highlight=False)
    if report.unreadable:
        console.print(
            f"  {report.kept_unreadable} catalogued sounds under unreadable folders were kept "
            "as they were; fix the folders' permissions and index again."
        )
    for name in report.bad_names[:10]:
        console.print(
            f"  [yellow]skipped[/] {escape(name)}: name is not valid UTF-8", highlight=False
        )
    if report.bad_names:
        count = len(report.bad_names)
        console.print(
            f"  {count} {'name' if count == 1 else 'names'} to fix (rename to index them)."
        )
    for path, reason in report.failures[:10]:
        console.print(f"  [red]failed[/] {escape(path)}: {escape(reason)}", highlight=False)
    if report.failed > 10:
        console.print(
            f"  … and {report.failed - 10} more "
            f"(`soundscout status --failures {report.failed}` lists them all)"
        )


def status(
    ctx: typer.Context,
    failures: Annotated[
        int, typer.Option(min=0, max=1_000_000, help="How many failed files to list.")
    ] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show files ok / failed (with reasons) / pending, the encoder and the index state."""
    service = state(ctx).service(require_library=True)
    try:
        stats = service.stats()
        failed = service.catalog.failures(limit=failures)
    finally:
        service.close()
    if as_json:
        stats["failures"] = [{"id": r.id, "path": r.path, "error": r.error} for r in failed]
        typer.echo(json.dumps(stats, indent=2))
        return
    sounds = stats["sounds"]
    index = stats["index"]
    console.print(f"Library: {escape(stats['library'])}", highlight=False, soft_wrap=True)
    console.print(f"Folders: {escape(', '.join(stats['roots'])) or '(none yet)'}", highlight=False)
    console.print(f"Encoder: {stats['encoder']['name']}")
    console.print(
        f"Sounds:  [green]{sounds['done']} ok[/], [red]{sounds['failed']} failed[/], "
        f"{sounds['pending']} pending ({sounds['total']} total)"
    )
    words = stats["words"]
    console.print(
        f"Words:   names and tags read for {words['read']} sounds, {words['ucs']} with a UCS "
        f"category, {words['with_warnings']} with fields skipped (`soundscout show ID` says why)"
    )
    warned = stats["decoder_warnings"]
    if warned["count"]:
        console.print(
            f"Decoder warnings: {warned['count']} sounds were indexed, but the decoders "
            "complained while reading them (`soundscout show ID` says what):",
            highlight=False,
        )
        for item in warned["sounds"]:
            line = f"  {item['id']}  {escape(item['path'])}"
            console.print(line, highlight=False, soft_wrap=True)
    _print_moments(stats["moments"])
    run = stats.get("indexing")
    if run is not None:
        console.print(
            f"Now:     {describe_run(run)} (under {escape(str(run['root']))}, started "
            f"{time.time() - float(run['started']):.0f} s ago)",
            highlight=False,
        )
    if index is None and stats.get("index_unreadable"):
        console.print(
            "Index:   unreadable (damaged files) — run `soundscout rebuild` to make it again "
            "from the catalog (until then each search rebuilds it in memory)"
        )
    elif index is None:
        then = "built as the run goes on" if run else "run `soundscout index PATH`"
        console.print(f"Index:   none yet — {then}")
    else:
        state_text = "stale (rebuilt on next search)" if index["stale"] else "up to date"
        console.print(
            f"Index:   {index['type']}, {index['count']} vectors, "
            f"{index['encoder']} ({index['encoder_version']}), {state_text}",
            highlight=False,
        )
    for row in failed:
        console.print(
            f"  [red]failed[/] {escape(row.path)}: {escape(row.error or '')}", highlight=False
        )


def _print_moments(moments: dict) -> None:
    """Segments of long sounds, and the sounds cut at ingest.max_file_seconds."""
    if moments["sounds"]:
        console.print(
            f"Moments: {moments['segments']} segments in {moments['sounds']} long sounds "
            "(`search --moments` finds where in them a sound is)"
        )
    cut = moments["cut"]
    if cut["count"]:
        limit = _length(float(cut["max_file_seconds"]))
        console.print(
            f"Cut:     {cut['count']} sounds are longer than ingest.max_file_seconds "
            f"({limit}): only their first {limit} can be found:",
            highlight=False,
        )
        for item in cut["sounds"]:
            line = f"  {item['id']}  {escape(item['path'])} ({_length(item['duration'])})"
            console.print(line, highlight=False, soft_wrap=True)


def _length(seconds: float) -> str:
    """A length as a person says it: "45 s", "12.5 min", "6 h"."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min".replace(".0 min", " min")
    return f"{seconds / 3600:.1f} h".replace(".0 h", " h")


def rebuild(ctx: typer.Context) -> None:
    """Rebuild the vector index from the catalog."""
    service = state(ctx).service(require_library=True)
    try:
        index = service.rebuild()
    finally:
        service.close()
    console.print(f"Rebuilt the index: {index.count} vectors ({index.index_type}).")


def export(
    ctx: typer.Context,
    out: Annotated[
        Path,
        typer.Argument(
            parser=given_path,
            help="Folder to write embeddings.npy, paths.json, index.faiss into.",
        ),
    ],
) -> None:
    """Export embeddings.npy + paths.json + index.faiss (row i of each is sound i)."""
    service = state(ctx).service(require_library=True)
    try:
        info = service.export(out)
    finally:
        service.close()
    console.print(
        f"Exported {info['count']} sounds (dim {info['dim']}) and {info['segments']} segments "
        f"of long sounds to {escape(str(out))}",
        highlight=False,
    )


def forget(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Argument(parser=given_path, help="Folder whose sounds to drop (it may be gone)."),
    ],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Drop the sounds under a folder from the library (for a folder deleted for good).

    The files on disk are not touched; indexing the folder again brings them back.
    """
    service = state(ctx).service(require_library=True)
    try:
        count = len(service.sounds_under(path))
        if count == 0:
            console.print(f"No catalogued sounds under {escape(str(path))}.", highlight=False)
            return
        question = f"Drop {count} sounds under {path} from the library (files are not touched)?"
        if yes:
            sure = True
        elif sys.stdin.isatty():
            sure = typer.confirm(question)  # Ctrl-C: an interruption, as anywhere
        else:
            try:
                sure = typer.confirm(question)
            except typer.Abort:  # no answer: stdin closed, nobody to ask
                raise LibraryError(
                    f'Nothing was forgotten: no answer to "{question}"',
                    hint="Add --yes to drop them without asking.",
                ) from None
        if not sure:
            console.print("Nothing was forgotten.")
            return
        dropped = service.forget_folder(path)
    finally:
        service.close()
    console.print(f"Dropped {dropped} sounds under {escape(str(path))}.", highlight=False)


def register(app: typer.Typer) -> None:
    """Add these commands to the root app."""
    app.command()(index)
    app.command()(status)
    app.command()(rebuild)
    app.command()(export)
    app.command()(forget)

"""`soundscout`: index a sound library, search it, serve it."""

from __future__ import annotations

import json
import logging
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from soundscout import __version__
from soundscout.cli import (
    duplicates_cmds,
    eval_cmds,
    library_cmds,
    project_cmds,
    search_cmds,
    server_cmds,
    sound_cmds,
)
from soundscout.cli.config_cmds import app as config_app
from soundscout.cli.context import CliState, given_path
from soundscout.errors import FileAccessError, SoundscoutError


def _hide_flag_types() -> None:
    """Show no ``<bool>`` beside on/off flags (``--help``, ``--json``) in ``--help``: a
    flag takes no value. Recent typer releases print the type of every option."""
    option = getattr(getattr(typer, "core", None), "TyperOption", None)
    shown = getattr(option, "display_type_rich", None)
    if option is None or shown is None or getattr(shown, "hides_flags", False):
        return

    def display_type_rich(self: object, ctx: object) -> str | None:
        return None if getattr(self, "is_flag", False) else shown(self, ctx)

    display_type_rich.hides_flags = True  # type: ignore[attr-defined]
    option.display_type_rich = display_type_rich


_hide_flag_types()
app = typer.Typer(
    help="Soundscout: find sounds by what they sound like.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(config_app, name="config")
project_cmds.register(app)
library_cmds.register(app)
search_cmds.register(app)
eval_cmds.register(app)
sound_cmds.register(app)
duplicates_cmds.register(app)
server_cmds.register(app)

try:
    from soundscout.cli.models import app as models_app
except ImportError:  # pragma: no cover - optional module
    models_app = None
if models_app is not None:
    app.add_typer(models_app, name="models", help="List and download model weights.")

err_console = Console(stderr=True)
INTERRUPTED = 130  # 128 + SIGINT, the shell's code for Ctrl-C


def _version(value: bool) -> None:
    if value:
        typer.echo(f"soundscout {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            parser=given_path,
            help="YAML config file.",
            envvar="SOUNDSCOUT_CONFIG",
        ),
    ] = None,
    library: Annotated[
        Path | None,
        typer.Option(
            "--library",
            "-L",
            parser=given_path,
            help="Library directory (catalog + index); overrides library.path.",
        ),
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Debug logs and tracebacks.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Soundscout: find sounds by what they sound like."""
    ctx.obj = CliState(config_path=config, library=library, verbose=verbose)
    _setup_logging(verbose)


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s" if verbose else "%(levelname)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )
    logging.getLogger("faiss").setLevel(logging.WARNING)
    for noisy in ("httpx", "urllib3", "filelock", "numba", "matplotlib", "torch"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


#: Commands whose interruption leaves work to resume.
WRITING_COMMANDS = frozenset({"index", "rebuild", "forget"})
_GLOBAL_OPTIONS_WITH_VALUES = frozenset({"-c", "--config", "-L", "--library"})


def _command(argv: list[str]) -> str | None:
    """The command name in ``argv`` (the first word after the global options)."""
    words = iter(argv)
    for word in words:
        if word in _GLOBAL_OPTIONS_WITH_VALUES:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def _left_out_word_first(exc: Exception, argv: list[str]) -> bool:
    """Whether a usage error is ``search "-metal door"``: a query read as short options."""
    name = getattr(exc, "option_name", None) or ""
    typed = any(a.startswith("-") and not a.startswith("--") and len(a) > 2 for a in argv)
    return _command(argv) == "search" and name[:1] == "-" and name[1:2] != "-" and typed


def _report(exc: SoundscoutError, argv: list[str] | None, verbose: bool) -> int:
    """Print an error as message and hint (and, with --json, as the API's JSON on stdout);
    the exit code, 1."""
    if verbose:
        traceback.print_exc()
    args = argv if argv is not None else sys.argv[1:]
    options = args[: args.index("--")] if "--" in args else args  # not the query's words
    if "--json" in options:  # the API's error shape, for scripts
        print(json.dumps(exc.to_dict(), ensure_ascii=False))
    err_console.print(f"[bold red]Error:[/] {escape(exc.message)}", highlight=False)
    if exc.hint:
        err_console.print(f"[yellow]Hint:[/] {escape(exc.hint)}", highlight=False)
    return 1


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning Soundscout errors into message + hint and exit 1."""
    verbose = any(arg in ("-v", "--verbose") for arg in (argv or sys.argv[1:]))
    try:
        # Typer returns (not raises) a command's exit code here, 130 for Ctrl-C.
        result = app(args=argv, standalone_mode=False)
        if result == INTERRUPTED:
            raise KeyboardInterrupt
    except SoundscoutError as exc:
        return _report(exc, argv, verbose)
    except OSError as exc:  # a file named on the command line, where no command said more
        return _report(FileAccessError.of(exc, "use a file"), argv, verbose)
    except KeyboardInterrupt:
        if _command(argv if argv is not None else sys.argv[1:]) in WRITING_COMMANDS:
            err_console.print(
                "Interrupted. Finished work is saved; run the command again to resume."
            )
        else:
            err_console.print("Interrupted.")
        return INTERRUPTED
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        return 1
    except Exception as exc:  # usage errors (unknown option, bad value) and the like
        # Matched by shape: newer typer releases vendor click, so their exceptions are
        # not ``click.ClickException`` instances.
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            args = argv if argv is not None else sys.argv[1:]
            if _left_out_word_first(exc, args):
                err_console.print(
                    "[yellow]Hint:[/] a query that starts with a word to leave out goes after "
                    '--, so that it is not read as an option: soundscout search -- "-metal door"',
                    highlight=False,
                    soft_wrap=True,
                )
            return code
        raise
    return result if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

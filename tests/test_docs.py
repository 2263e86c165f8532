"""Docs are checked against the code: every command, option and config key is documented."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from soundscout.cli.main import app
from soundscout.config import default_yaml_text

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _commands(command, prefix=()):
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            yield from _commands(sub, (*prefix, name))
    else:
        yield " ".join(prefix), command


def _section(text: str, heading: str) -> str:
    match = re.search(rf"^### {re.escape(heading)}\n(.*?)(?=^### |\Z)", text, re.M | re.S)
    assert match, f"docs/cli.md has no section '### {heading}'"
    return match.group(1)


def test_every_cli_command_and_option_is_documented() -> None:
    text = (DOCS / "cli.md").read_text()
    for name, command in _commands(typer.main.get_command(app)):
        section = _section(text, f"soundscout {name}")
        for param in command.params:
            if param.param_type_name != "option" or param.name == "help":
                continue
            assert param.opts[0] in section, f"`{param.opts[0]}` of `soundscout {name}`"


def test_every_config_key_has_a_comment() -> None:
    lines = default_yaml_text().splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^  [a-z_]+:", line):
            assert lines[i - 1].strip().startswith("#"), f"no comment above: {line.strip()}"


def test_every_api_route_is_documented(tmp_path: Path) -> None:
    from soundscout.api.app import create_app
    from tests.conftest import make_settings

    text = (DOCS / "api.md").read_text()
    spec = create_app(make_settings(tmp_path)).openapi()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            section = _section(text, f"{method.upper()} {path}")
            for param in operation.get("parameters", []):
                if param["in"] == "query":
                    assert f"`{param['name']}`" in section, f"{param['name']} of {path}"

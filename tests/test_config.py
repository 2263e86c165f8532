"""Configuration layering, sources and validation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from soundscout.config import Settings, default_yaml_text, flatten_settings, load_config
from soundscout.errors import ConfigError


def test_default_yaml_lists_every_key_of_the_model() -> None:
    documented = yaml.safe_load(default_yaml_text())
    model_keys = set(flatten_settings(Settings()))
    yaml_keys = {f"{s}.{k}" for s, values in documented.items() for k in values}
    assert yaml_keys == model_keys


def test_layers_apply_in_order_and_sources_are_tracked(tmp_path: Path) -> None:
    user = tmp_path / "user.yaml"
    user.write_text("server:\n  port: 9001\nsearch:\n  default_k: 7\n")
    loaded = load_config(
        user,
        overrides={"search.default_k": 9},
        environ={"SOUNDSCOUT_SERVER__HOST": "127.0.0.2"},
    )
    s = loaded.settings
    assert (s.server.port, s.server.host, s.search.default_k) == (9001, "127.0.0.2", 9)
    assert loaded.sources["server.port"] == f"file:{user}"
    assert loaded.sources["server.host"] == "env"
    assert loaded.sources["search.default_k"] == "cli"
    assert loaded.sources["index.ivf_nprobe"] == "default"


def test_config_file_from_environment_variable(tmp_path: Path) -> None:
    user = tmp_path / "c.yaml"
    user.write_text("library:\n  path: /tmp/somewhere\n")
    settings = load_config(environ={"SOUNDSCOUT_CONFIG": str(user)}).settings
    assert settings.library_path == Path("/tmp/somewhere")


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"SOUNDSCOUT_SERVER__PROT": "1"}, "unknown config key 'server.prot'"),
        ({"SOUNDSCOUT_SEARCH__DEFAULT_ALPHA": "2"}, "'search.default_alpha'"),
        ({"SOUNDSCOUT_ENCODER__DEVICE": "tpu"}, "'encoder.device'"),
    ],
)
def test_bad_values_name_the_key(env: dict[str, str], needle: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(environ=env)
    assert needle in err.value.message
    assert "(from env)" in err.value.message


def test_unknown_section_in_file_is_refused(tmp_path: Path) -> None:
    user = tmp_path / "bad.yaml"
    user.write_text("serverr:\n  port: 1\n")
    with pytest.raises(ConfigError, match="unknown config key 'serverr'"):
        load_config(user, environ={})


def test_invalid_yaml_and_missing_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("server: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(broken, environ={})
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.yaml", environ={})


def test_a_relative_library_path_is_taken_from_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_config(overrides={"library.path": "lib"}, environ={}).settings
    assert settings.library_path == tmp_path / "lib"  # absolute: status says where it is


def test_a_project_library_is_found_from_any_folder_below_it(tmp_path: Path) -> None:
    (tmp_path / "game" / ".soundscout").mkdir(parents=True)
    deep = tmp_path / "game" / "assets" / "sfx"
    deep.mkdir(parents=True)
    loaded = load_config(environ={}, cwd=deep)
    assert loaded.settings.library_path == tmp_path / "game" / ".soundscout"
    assert loaded.sources["library.path"] == f"project:{tmp_path / 'game' / '.soundscout'}"
    # a project without one, next to it, does not share it
    (tmp_path / "other").mkdir()
    elsewhere = load_config(environ={}, cwd=tmp_path / "other").settings.library_path
    assert ".soundscout" not in elsewhere.parts


def test_an_explicit_library_wins_over_the_project_one(tmp_path: Path) -> None:
    (tmp_path / ".soundscout").mkdir()
    env = {"SOUNDSCOUT_LIBRARY__PATH": str(tmp_path / "mine")}
    assert load_config(environ=env, cwd=tmp_path).settings.library_path == tmp_path / "mine"
    flag = load_config(overrides={"library.path": str(tmp_path / "flag")}, environ={}, cwd=tmp_path)
    assert flag.settings.library_path == tmp_path / "flag" and flag.sources["library.path"] == "cli"


def test_a_project_library_that_is_a_file_or_anothers_is_passed_over(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "outer" / ".soundscout").mkdir(parents=True)
    inner = tmp_path / "outer" / "inner"
    inner.mkdir()
    (inner / ".soundscout").write_text("not a folder")
    found = load_config(environ={}, cwd=inner).settings.library_path
    assert found == tmp_path / "outer" / ".soundscout"
    assert "is not a folder" in caplog.text
    os.chown(tmp_path / "outer" / ".soundscout", os.getuid() + 1, -1)  # another user's
    elsewhere = load_config(environ={}, cwd=inner).settings.library_path
    assert ".soundscout" not in elsewhere.parts and "belongs to another user" in caplog.text


def test_a_deleted_working_directory_falls_back_to_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    path = load_config(environ={"XDG_DATA_HOME": str(tmp_path)}).settings.library_path
    assert path.name == "library"

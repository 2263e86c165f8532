"""Typed configuration from layered sources.

Order (later wins): packaged ``default.yaml`` → user YAML (``--config`` or
``SOUNDSCOUT_CONFIG``) → ``SOUNDSCOUT_<SECTION>__<KEY>`` environment variables →
explicit overrides (CLI flags). Validated once, naming the bad key.
"""

from __future__ import annotations

import logging
import os
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from platformdirs import user_data_dir
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from soundscout.errors import ConfigError

log = logging.getLogger(__name__)

ENV_PREFIX = "SOUNDSCOUT_"
#: A folder of this name in the working directory or a parent holds that project's library.
PROJECT_DIRNAME = ".soundscout"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LibrarySettings(_Section):
    path: Path | None = None


class EncoderSettings(_Section):
    name: str = "builtin"
    device: Literal["cpu", "cuda", "auto"] = "auto"
    batch_size: int = Field(16, ge=1, le=4096)
    weights: Path | None = None


class IngestSettings(_Section):
    workers: int | None = Field(None, ge=0, le=256)
    commit_every: int = Field(32, ge=1, le=100000)
    max_inflight_seconds: float = Field(1800, gt=0)
    max_file_seconds: float | None = Field(21600, gt=0)
    stream_seconds: float = Field(600, gt=0)
    follow_symlinks: bool = True
    retry_failed: bool = False
    extensions: list[str] = Field(default_factory=list)


class IndexSettings(_Section):
    ann_threshold: int = Field(20000, ge=1)
    ivf_nlist: int | None = Field(None, ge=1)
    ivf_nprobe: int | None = Field(None, ge=1)
    ivf_target_recall: float = Field(0.95, gt=0, le=1)
    ivf_storage: Literal["fp16", "flat", "sq8"] = "fp16"


class SearchSettings(_Section):
    default_k: int = Field(20, ge=1)
    max_k: int = Field(500, ge=1, le=100000)
    default_alpha: float = Field(0.5, ge=0.0, le=1.0)
    match: Literal["both", "words", "sound"] = "both"
    rank_constant: float = Field(60.0, gt=0)
    sound_weight: float = Field(1.0, ge=0)
    words_weight: float = Field(1.5, ge=0)
    fusion_window: int = Field(100, ge=1, le=100000)
    coverage_floor: float = Field(0.75, ge=0, le=1)
    full_match_boost: float = Field(2.0, ge=0)
    translate_words: bool = True


class MomentsSettings(_Section):
    min_seconds: float = Field(10.0, ge=0)
    segment_windows: int = Field(1, ge=1, le=64)
    per_file: int = Field(3, ge=1, le=20)
    segment_penalty: float = Field(0.5, ge=0, le=10)
    pattern: bool = True
    pattern_hours: float = Field(3.0, ge=0, le=1000)


class DuplicatesSettings(_Section):
    recording_distance: float = Field(1.0, ge=0)
    variant_threshold: float | None = Field(None, ge=-1, le=1)
    neighbours: int = Field(32, ge=1, le=1000)


class ServerSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    api_key: str | None = None
    max_upload_bytes: int = Field(52428800, ge=1)
    max_upload_seconds: float = Field(600, gt=0)


class LoggingSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class Settings(_Section):
    """The whole effective configuration."""

    library: LibrarySettings = Field(default_factory=LibrarySettings)
    encoder: EncoderSettings = Field(default_factory=EncoderSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    search: SearchSettings = Field(default_factory=SearchSettings)
    duplicates: DuplicatesSettings = Field(default_factory=DuplicatesSettings)
    moments: MomentsSettings = Field(default_factory=MomentsSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)

    @property
    def library_path(self) -> Path:
        """Where the catalog and index live."""
        if self.library.path is not None:
            return Path(self.library.path).expanduser().absolute()
        return Path(user_data_dir("soundscout")) / "library"


class LoadedConfig(BaseModel):
    """Settings plus the source of every leaf value (``section.key`` → source)."""

    settings: Settings
    sources: dict[str, str]


def default_yaml_text() -> str:
    """The packaged, commented default configuration."""
    return resources.files("soundscout").joinpath("default.yaml").read_text(encoding="utf-8")


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(
            f"Config file not found: {path}",
            hint="Check the path given with --config/-c or in SOUNDSCOUT_CONFIG.",
        ) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"Config file {path} is not valid YAML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"Config file {path} is not text (UTF-8): is it a YAML file?") from exc
    except OSError as exc:
        raise ConfigError(f"Cannot read the config file {path}: {exc.strerror or exc}.") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"Config file {path} must hold a mapping of sections.")
    return data


def _merge(
    base: dict[str, Any],
    layer: dict[str, Any],
    source: str,
    sources: dict[str, str],
    prefix: str = "",
) -> None:
    for key, value in layer.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value, source, sources, dotted + ".")
        else:
            base[key] = value
            sources[dotted] = source
            if isinstance(value, dict):
                for sub in value:
                    sources[f"{dotted}.{sub}"] = source


def _env_layer(environ: dict[str, str]) -> dict[str, Any]:
    layer: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        section, _, key = name[len(ENV_PREFIX) :].lower().partition("__")
        layer.setdefault(section, {})[key] = yaml.safe_load(raw) if raw != "" else None
    return layer


def _dotted_overrides(overrides: dict[str, Any]) -> dict[str, Any]:
    layer: dict[str, Any] = {}
    for dotted, value in overrides.items():
        if value is None:
            continue
        section, _, key = dotted.partition(".")
        layer.setdefault(section, {})[key] = value
    return layer


def load_config(
    path: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> LoadedConfig:
    """Build the effective settings from every layer.

    When no layer sets ``library.path``, a ``.soundscout`` folder in ``cwd`` (default: the
    working directory) or its nearest parent that has one is the library (source
    ``project:<folder>``), as git finds ``.git``; else the per-user default.

    Args:
        path: a user YAML file; None falls back to ``SOUNDSCOUT_CONFIG``.
        overrides: ``{"section.key": value}`` from CLI flags; None values are ignored.
        environ: the environment to read (default ``os.environ``).
        cwd: where to look for a project library.

    Raises:
        ConfigError: unreadable file, unknown key or invalid value (named).
    """
    environ = dict(os.environ if environ is None else environ)
    sources: dict[str, str] = {}
    data: dict[str, Any] = {}
    _merge(data, yaml.safe_load(default_yaml_text()), "default", sources)
    user_path = path or environ.get(f"{ENV_PREFIX}CONFIG")
    if user_path:
        _merge(data, _read_yaml(Path(user_path).expanduser()), f"file:{user_path}", sources)
    _merge(data, _env_layer(environ), "env", sources)
    _merge(data, _dotted_overrides(overrides or {}), "cli", sources)
    project = None if data["library"].get("path") else find_project_library(cwd or _cwd())
    if project is not None:
        _merge(data, {"library": {"path": str(project)}}, f"project:{project}", sources)
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe_validation_error(exc, sources)) from exc
    return LoadedConfig(settings=settings, sources=sources)


def find_project_library(start: Path | None) -> Path | None:
    """The ``.soundscout`` folder in ``start`` or its nearest parent that has one.

    A ``.soundscout`` that is not a folder, or that another user owns (a shared ``/tmp``),
    is passed over with a warning; an unreadable folder ends the search.
    """
    if start is None:
        return None
    start = start.absolute()
    for folder in (start, *start.parents):
        candidate = folder / PROJECT_DIRNAME
        try:
            if not candidate.exists():
                continue
            if not candidate.is_dir():
                log.warning("%s is not a folder; it is not used as a library", candidate)
                continue
            owner = candidate.stat().st_uid
        except OSError:
            return None
        if hasattr(os, "getuid") and owner != os.getuid():
            log.warning("%s belongs to another user; it is not used as a library", candidate)
            continue
        return candidate
    return None


def _cwd() -> Path | None:
    """The working directory, or None when it is gone (deleted under the shell)."""
    try:
        return Path.cwd()
    except OSError:
        return None


def _describe_validation_error(exc: ValidationError, sources: dict[str, str]) -> str:
    lines = []
    for err in exc.errors():
        key = ".".join(str(part) for part in err["loc"])
        origin = sources.get(key, "unknown source")
        if err["type"] == "extra_forbidden":
            lines.append(f"unknown config key '{key}' (from {origin})")
        else:
            lines.append(f"invalid value for '{key}' (from {origin}): {err['msg']}")
    return "Invalid configuration: " + "; ".join(lines)


def flatten_settings(settings: Settings) -> dict[str, Any]:
    """``section.key`` → value for every leaf, for display."""
    flat: dict[str, Any] = {}
    for section, values in settings.model_dump(mode="json").items():
        for key, value in values.items():
            flat[f"{section}.{key}"] = value
    return flat

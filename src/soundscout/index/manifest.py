"""The manifest that makes a saved index describe itself."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import faiss

from soundscout import __version__
from soundscout.errors import IndexMismatchError

MANIFEST_NAME = "manifest.json"
FORMAT_VERSION = 1


@dataclass
class Manifest:
    """What an index directory holds and what it was built from."""

    encoder_name: str
    encoder_version: str
    dim: int
    count: int
    catalog_revision: int
    index_type: str  # "flat", "ivf", "ivf_fp16" or "ivf_sq8"
    params: dict[str, int] = field(default_factory=dict)
    metric: str = "inner_product"
    format_version: int = FORMAT_VERSION
    soundscout_version: str = __version__
    faiss_version: str = faiss.__version__
    created_at: float = field(default_factory=time.time)

    def save(self, folder: Path) -> None:
        """Write ``manifest.json`` into ``folder``."""
        (folder / MANIFEST_NAME).write_text(json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def load(cls, folder: Path) -> Manifest:
        """Read the manifest of an index directory."""
        data = json.loads((folder / MANIFEST_NAME).read_text())
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def check_compatible(self, encoder_name: str, encoder_version: str, dim: int) -> None:
        """Refuse an index built for another encoder, dimension or file format."""
        if self.format_version != FORMAT_VERSION:
            raise IndexMismatchError(
                f"The index was written in format {self.format_version}; this Soundscout "
                f"reads format {FORMAT_VERSION}."
            )
        if self.metric != "inner_product":
            raise IndexMismatchError(
                f"The index uses metric {self.metric!r}, expected inner_product."
            )
        if (self.encoder_name, self.encoder_version, self.dim) != (
            encoder_name,
            encoder_version,
            dim,
        ):
            raise IndexMismatchError(
                f"The index was built with encoder {self.encoder_name} ({self.encoder_version}, "
                f"dim {self.dim}) but the configured encoder is {encoder_name} "
                f"({encoder_version}, dim {dim}).",
                hint=f"Run `soundscout index PATH --encoder {encoder_name}` to embed the library "
                f"with it, or set encoder.name back to {self.encoder_name}.",
            )

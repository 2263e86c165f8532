"""The builtin audio tower's configuration and windowing rule, without torch.

Kept apart from :mod:`soundscout.encoders.builtin_net` so that a text query (which needs
the model's dimensions and version but not its audio network) never imports torch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

CONFIG_DIR = Path(__file__).parent / "configs"
#: Ways a text's letter case reaches the text tower (:func:`case_forms`).
TEXT_CASES = ("as-typed", "folded")


@dataclass(frozen=True)
class NetConfig:
    """Architecture and front-end of the audio tower, read from a JSON config."""

    name: str = "builtin"
    sample_rate: int = 16000
    n_fft: int = 1024
    hop_length: int = 160
    n_mels: int = 64
    f_min: float = 20.0
    f_max: float = 8000.0
    window_frames: int = 200
    window_hop_frames: int = 100
    bucket_frames: tuple[int, ...] = (50, 100, 200)
    channels: tuple[int, ...] = (16, 32, 64, 128, 256)
    hidden_dim: int = 512
    embed_dim: int = 384
    #: Stages (the stem first) that halve time; later ones halve frequency only.
    #: ``None``: every stage.
    time_downsamples: int | None = None
    #: Pool the masked standard deviation over time too (besides mean and max).
    pool_std: bool = False
    #: The frozen text tower whose space the audio tower was trained into: ``minilm``
    #: (all-MiniLM-L6-v2, English, 384-d; builtin-1) or ``use-m3`` (USE multilingual v3,
    #: 512-d; builtin-2).
    text_tower: str = "minilm"
    #: How a text's letter case reaches the text tower (:func:`case_forms`): ``as-typed``
    #: (builtin-2.2.0 and before) or ``folded``.
    text_case: str = "as-typed"
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.text_case not in TEXT_CASES:
            raise ValueError(f"unknown text_case {self.text_case!r}; expected one of {TEXT_CASES}")

    @classmethod
    def from_dict(cls, data: dict) -> NetConfig:
        """Build from a parsed JSON dict; unknown keys are kept in ``extra``."""
        known = {f for f in cls.__dataclass_fields__ if f != "extra"}
        kwargs = {k: v for k, v in data.items() if k in known}
        for key in ("bucket_frames", "channels"):
            if key in kwargs:
                kwargs[key] = tuple(kwargs[key])
        return cls(**kwargs, extra={k: v for k, v in data.items() if k not in known})

    def to_dict(self) -> dict:
        """Plain JSON-able dict (the inverse of :meth:`from_dict`)."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "extra"}
        out.update({k: list(v) for k, v in out.items() if isinstance(v, tuple)})
        return out


def load_config(name: str = "builtin") -> NetConfig:
    """Read ``configs/<name>.json`` shipped with the package."""
    path = CONFIG_DIR / f"{name}.json"
    return NetConfig.from_dict(json.loads(path.read_text()))


def case_forms(text: str, text_case: str) -> list[str]:
    """The forms of ``text`` whose text-tower vectors are averaged into its vector.

    USE multilingual is case-sensitive ("sitar" and "Sitar" have cosine 0.38, "KICK DRUM"
    and "kick drum" 0.53), so ``folded`` maps every casing of a text to the same forms:
    its lower-case text and that text with a capital first letter (the two ways a
    sentence or a German noun starts). ``as-typed`` keeps the text as it is.
    """
    if text_case == "as-typed":
        return [text]
    if text_case != "folded":
        raise ValueError(f"unknown text_case {text_case!r}; expected one of {TEXT_CASES}")
    low = text.lower()
    capital = low[:1].upper() + low[1:]
    return [low] if capital == low else [low, capital]


def window_starts(n_frames: int, cfg: NetConfig) -> list[int]:
    """Start frames of the windows of a file with ``n_frames`` frames (see module rule)."""
    win, hop = cfg.window_frames, cfg.window_hop_frames
    if n_frames <= win:
        return [0]
    starts = list(range(0, n_frames - win + 1, hop))
    if starts[-1] + win < n_frames:
        starts.append(n_frames - win)
    return starts

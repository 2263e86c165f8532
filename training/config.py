"""Paths, package lists, hold-outs and seeds of the builtin-model recipe."""

from __future__ import annotations

import os
from pathlib import Path

from soundscout.encoders.builtin_net import load_config

SEED = 1234
#: Audio-tower config the recipe trains (``src/soundscout/encoders/configs/<NET>.json``);
#: its front-end (sample rate, mel bands) is what the feature cache holds.
NET = os.environ.get("SOUNDSCOUT_TRAIN_NET", "builtin")
SAMPLE_RATE = load_config(NET).sample_rate
#: Seconds of each file kept in the feature cache (long files: the first ones).
MAX_SECONDS = 8.0
#: Log-mel versions cached per sound (the clean one + augmented copies): recorded sounds
#: (SFX, voice) and rendered notes or synthesis.
RECORDED_VARIANTS = 6
RENDERED_VARIANTS = 3

REPO = Path(__file__).resolve().parents[1]
WORK = Path(os.environ.get("SOUNDSCOUT_TRAIN_DIR", "/work/builtin-data"))
DEBS = WORK / "debs"
PKGS = WORK / "pkgs"
RENDER = WORK / "render"
#: Feature cache of the front-end of ``NET`` (one folder per front-end config).
FEATS = WORK / ("feats" if NET == "builtin" else f"feats-{NET}")
#: One folder per experiment when ``SOUNDSCOUT_TRAIN_RUN`` names it (parallel runs).
RUNS = WORK / "runs" / os.environ.get("SOUNDSCOUT_TRAIN_RUN", "")
WEIGHTS_OUT = REPO / "src" / "soundscout" / "encoders" / "pretrained" / "builtin"

#: System soundfont used for training (installed with fluidsynth).
SYSTEM_SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")

#: Soundfont packages rendered note by note (GM programs + percussion map).
SOUNDFONT_PACKAGES = [
    "fluid-soundfont-gm",
    "fluid-soundfont-gs",
    "csound-soundfont",
    "denemo-data",
    "avldrums.lv2-soundfont",
    "musescore-general-soundfont",
    "timgm6mb-soundfont",
]

#: Packages whose audio files (loose or inside containers) are used as they are.
SFX_PACKAGES = [
    "ufoai-sound",
    "nexuiz-data",
    "openarena-data",
    "openarena-088-data",
    "openarena-085-data",
    "widelands-data",
    "flare-game",
    "freedroidrpg-data",
    "warmux-data",
    "gcompris-qt-data",
    "openttd-opensfx",
    "supertuxkart-data",
    "lugaru-data",
    "cube2-data",
    "endless-sky-data",
    "blobwars-data",
    "searchandrescue-data",
    "wordwarvi-sound",
    "netpanzer-data",
    "micropolis-data",
    "torcs-data",
    "freeorion-data",
    "naev-data",
    "plee-the-bear-data",
    "neverball-common",
    "boswars-data",
    "bzflag-data",
    "etw-data",
    "chuck-data",
    "csoundqt-examples",
    # The two large packages the issue names as worth the download (2.2 GB of .debs):
    # 0ad-data (~1,100 ogg inside public.zip) and redeclipse-data (~320 ogg).
    "0ad-data",
    "redeclipse-data",
]
VOICE_PACKAGES = ["asterisk-core-sounds-en-wav", "ktuberling-data"]

#: Whole packages never trained on; the evaluation uses them.
HOLDOUT_SOUNDFONT = "timgm6mb-soundfont"
HOLDOUT_SFX = ["widelands-data", "warmux-data", "lugaru-data"]
HOLDOUT = {HOLDOUT_SOUNDFONT, *HOLDOUT_SFX}

#: Kept aside for independent evaluation: never downloaded, trained on or validated on.
#: builtin-1.2.0 trained on the last three; from builtin-2 on they are kept aside too.
FORBIDDEN = frozenset(
    {
        "hydrogen-drumkits",
        "hydrogen-drumkits-effects",
        "hydrogen-data",
        "sonic-pi-samples",
        "lmms-common",
        "freepats",
        "supertux-data",
        "minetest-data",
        "scorched3d-data",
        "btanks-data",
        "freeciv-data",
        "teeworlds-data",
        "ddnet-data",
        "lincity-ng-data",
        "extremetuxracer-data",
        "tuxpaint-data",
        "tuxpaint-stamps-default",
        "tuxpaint-plugins-default",
        "lbreakout2-data",
        "lbreakouthd-data",
        "pingus-data",
        "sound-theme-freedesktop",
        "oxygen-sounds",
        "yaru-theme-sound",
        "gnome-audio",
        "sound-icons",
        "lomiri-sounds",
        "wesnoth-1.16-data",
        "megaglest-data",
        "hedgewars-data",
    }
)


class ForbiddenPackageError(RuntimeError):
    """The recipe was asked to use a package kept aside for independent evaluation."""


def check_packages(packages: list[str] | set[str]) -> None:
    """Refuse to run when any package is on the kept-aside list."""
    bad = sorted(set(packages) & FORBIDDEN)
    if bad:
        raise ForbiddenPackageError(
            "refusing to run: kept aside for independent evaluation, never used in "
            f"training or validation: {', '.join(bad)}. Remove them from training/config.py."
        )


ALL_PACKAGES = (
    [p for p in SOUNDFONT_PACKAGES if p != "fluid-soundfont-gm"] + SFX_PACKAGES + VOICE_PACKAGES
)

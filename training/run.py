"""The builtin-model recipe: ``python -m training.run all`` (or one stage by name).

Stages: packages -> features (extract, render, caption, augment, cache) -> train ->
evaluate -> export. Work files live in ``$SOUNDSCOUT_TRAIN_DIR`` (default
/work/builtin-data), never in the repository.
"""

from __future__ import annotations

import argparse

STAGES = ["packages", "features", "train", "evaluate", "export"]


def main(argv: list[str] | None = None) -> None:
    """Run the named stages in order."""
    parser = argparse.ArgumentParser(prog="python -m training.run", description=__doc__)
    parser.add_argument("stages", nargs="+", choices=[*STAGES, "all"])
    # Training options default to train.run()'s own defaults (the shipped run): an
    # option left out is not passed on.
    keep = {"default": argparse.SUPPRESS}
    parser.add_argument("--epochs", type=int, **keep)
    parser.add_argument("--aa-weight", type=float, help="audio-audio loss weight", **keep)
    parser.add_argument(
        "--cat-weight", type=float, help="same-category target in the audio-audio loss", **keep
    )
    parser.add_argument(
        "--same-cat-p", type=float, help="share of batch partners drawn by category", **keep
    )
    parser.add_argument(
        "--recolour",
        action=argparse.BooleanOptionalAction,
        help="random log-mel EQ and band shifts per view",
        **keep,
    )
    parser.add_argument(
        "--crop-frames", type=int, help="longest training crop in 10 ms frames", **keep
    )
    parser.add_argument(
        "--bf16",
        action=argparse.BooleanOptionalAction,
        help="bfloat16 autocast and channels-last convolutions (about 2.5x faster on CPU)",
        **keep,
    )
    parser.add_argument(
        "--channels",
        type=lambda text: tuple(int(c) for c in text.split(",")),
        help="conv widths, e.g. 24,48,96,192,384 (default: configs/builtin.json)",
        **keep,
    )
    parser.add_argument("--batch-size", type=int, **keep)
    parser.add_argument(
        "--text-sim-weight",
        type=float,
        help="audio-audio target for sounds with similar captions (0: off)",
        **keep,
    )
    parser.add_argument(
        "--mix-p", type=float, help="share of views with another sound mixed in quietly", **keep
    )
    parser.add_argument("--aa-temp", type=float, help="temperature of the audio-audio term", **keep)
    parser.add_argument(
        "--sfx-share", type=float, help="share of each batch drawn from SFX packages", **keep
    )
    parser.add_argument(
        "--cross-package",
        action=argparse.BooleanOptionalAction,
        help="draw category partners from other packages",
        **keep,
    )
    parser.add_argument("--seed", type=int, help="training seed (default: the recipe's)", **keep)
    args = parser.parse_args(argv)
    todo = STAGES if "all" in args.stages else [s for s in STAGES if s in args.stages]
    for stage in todo:
        print(f"== {stage}", flush=True)
        if stage == "packages":
            from training import packages

            packages.run()
        elif stage == "features":
            from training import features

            features.run()
        elif stage == "train":
            from training import train

            given = vars(args)
            train.run(**{k: v for k, v in given.items() if k != "stages"})
        elif stage == "evaluate":
            from training import evaluate

            evaluate.run()
        elif stage == "export":
            from training import export

            export.run()


if __name__ == "__main__":
    main()

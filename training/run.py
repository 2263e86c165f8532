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
    parser.add_argument("--epochs", type=int, default=16)
    parser.add_argument("--aa-weight", type=float, default=1.0, help="audio-audio loss weight")
    parser.add_argument(
        "--cat-weight", type=float, default=1.0, help="same-category target in the audio-audio loss"
    )
    parser.add_argument(
        "--same-cat-p", type=float, default=0.5, help="share of batch partners drawn by category"
    )
    parser.add_argument(
        "--recolour",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="random log-mel EQ and band shifts per view",
    )
    parser.add_argument(
        "--crop-frames", type=int, default=200, help="longest training crop (200 = 2 s)"
    )
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

            train.run(
                epochs=args.epochs,
                aa_weight=args.aa_weight,
                cat_weight=args.cat_weight,
                same_cat_p=args.same_cat_p,
                recolour=args.recolour,
                crop_frames=args.crop_frames,
            )
        elif stage == "evaluate":
            from training import evaluate

            evaluate.run()
        elif stage == "export":
            from training import export

            export.run()


if __name__ == "__main__":
    main()

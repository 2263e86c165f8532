"""The builtin-model recipe: ``python -m training.run all`` (or one stage by name).

Stages: packages -> features (extract, render, caption, augment, cache) -> teacher (aisfx
vectors of the SFX and voice sounds, cached) -> train -> evaluate -> export. Work files
live in ``$SOUNDSCOUT_TRAIN_DIR`` (default /work/builtin-data), never in the repository.
"""

from __future__ import annotations

import argparse

STAGES = ["packages", "features", "teacher", "train", "evaluate", "export"]


def _widths(text: str) -> tuple[int, ...]:
    return tuple(int(c) for c in text.split(","))


def _text_case(text: str) -> str:
    from soundscout.encoders.builtin_config import TEXT_CASES

    if text not in TEXT_CASES:
        raise argparse.ArgumentTypeError(f"expected one of {', '.join(TEXT_CASES)}")
    return text


#: Options of the train stage: (flag, type -- bool for --x/--no-x, help).
TRAIN_OPTIONS = [
    ("--epochs", int, None),
    ("--batch-size", int, None),
    ("--aa-weight", float, "audio-audio loss weight"),
    ("--cat-weight", float, "same-category target in the audio-audio loss"),
    ("--same-cat-p", float, "share of batch partners drawn by category"),
    ("--recolour", bool, "random log-mel EQ and band shifts per view"),
    ("--crop-frames", int, "longest training crop in 10 ms frames"),
    ("--bf16", bool, "bfloat16 autocast and channels-last convolutions (about 2.5x faster on CPU)"),
    ("--channels", _widths, "conv widths, e.g. 24,48,96,192,384 (default: configs/builtin.json)"),
    ("--text-sim-weight", float, "audio-audio target for sounds with similar captions (0: off)"),
    ("--text-sim-low", float, "caption similarity from which sounds count as partly alike"),
    ("--text-sim-veto", bool, "no caption-similarity target between two different categories"),
    ("--mix-p", float, "share of views with another sound mixed in quietly"),
    ("--aa-temp", float, "temperature of the audio-audio term"),
    ("--sfx-share", float, "share of each batch drawn from SFX packages"),
    ("--cross-package", bool, "draw category partners from other packages"),
    ("--time-downsamples", int, "conv stages that halve time (default: configs/builtin.json)"),
    ("--pool-std", bool, "pool the standard deviation over time too (default: the config)"),
    ("--seed", int, "training seed (default: the recipe's)"),
    ("--teacher-weight", float, "weight of the aisfx teacher's distillation term (0: off)"),
    ("--teacher-temp", float, "temperature of the teacher's similarity targets"),
    ("--teacher-feature-weight", float, "weight of the teacher's vectors as regression targets"),
    ("--bed-p", float, "share of views put over a bed recording (ambience, music, noise)"),
    (
        "--lang-p",
        float,
        "chance a caption with translations is replaced by one (training/glossary)",
    ),
    ("--text-case", _text_case, "letter case to the text tower: as-typed or folded (case_forms)"),
    ("--ema-decay", float, "keep a moving average of the weights and ship it (0: off)"),
    ("--lang-extra", int, "more translations per item in the caption term each step"),
]


def main(argv: list[str] | None = None) -> None:
    """Run the named stages in order."""
    parser = argparse.ArgumentParser(prog="python -m training.run", description=__doc__)
    parser.add_argument("stages", nargs="+", choices=[*STAGES, "all"])
    # Training options default to train.run()'s own defaults (the shipped run): an
    # option left out is not passed on.
    for name, kind, help_text in TRAIN_OPTIONS:
        spec = {"action": argparse.BooleanOptionalAction} if kind is bool else {"type": kind}
        parser.add_argument(name, help=help_text, default=argparse.SUPPRESS, **spec)
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
        elif stage == "teacher":
            import inspect

            from training import teacher, train

            defaults = inspect.signature(train.run).parameters
            weight = getattr(args, "teacher_weight", defaults["teacher_weight"].default)
            feature = getattr(
                args, "teacher_feature_weight", defaults["teacher_feature_weight"].default
            )
            if "all" in args.stages and weight <= 0 and feature <= 0:
                print("no teacher in this run: skipped")
                continue
            teacher.build_cache(teacher.default_sources())
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

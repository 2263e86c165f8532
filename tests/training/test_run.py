"""The recipe's command line (training/run.py) hands train.run() only the given options."""

from __future__ import annotations

import inspect

from training import run, train


def test_every_option_is_a_parameter_of_train_run():
    params = set(inspect.signature(train.run).parameters)
    for flag, _, _ in run.TRAIN_OPTIONS:
        assert flag.lstrip("-").replace("-", "_") in params, flag


def test_only_given_options_reach_train_run(monkeypatch):
    calls = []
    monkeypatch.setattr(train, "run", lambda **kw: calls.append(kw))
    run.main(["train"])
    run.main(["train", "--channels", "24,48", "--no-recolour", "--seed", "7", "--cross-package"])
    assert calls == [
        {},
        {"channels": (24, 48), "recolour": False, "seed": 7, "cross_package": True},
    ]


def test_metrics_record_every_saved_setting_of_train_run():
    from training.export import training_record

    params = list(inspect.signature(train.run).parameters)
    saved = {p: i for i, p in enumerate(params)} | {"train_seconds": 1.0, "group_shares": {}}
    saved |= {"state": {}, "config": {}, "log": [], "raw_state": {}}
    assert training_record(saved) == {
        k: saved[k] for k in ["train_seconds", *params, "group_shares"]
    }

"""The recipe never touches a package kept aside for independent evaluation."""

from __future__ import annotations

import pytest

from training import config, features, packages

#: The issue's list (builtin-2): trained on by builtin-1.2.0, kept aside from now on.
NEWLY_KEPT_ASIDE = {"wesnoth-1.16-data", "megaglest-data", "hedgewars-data"}


def test_no_recipe_package_is_kept_aside() -> None:
    assert not config.FORBIDDEN & set(config.ALL_PACKAGES)
    assert NEWLY_KEPT_ASIDE <= config.FORBIDDEN
    assert not config.FORBIDDEN & config.HOLDOUT  # held-out sets are the recipe's own


@pytest.mark.parametrize("package", sorted(NEWLY_KEPT_ASIDE | {"freepats", "sonic-pi-samples"}))
def test_a_kept_aside_package_is_refused(package: str) -> None:
    with pytest.raises(config.ForbiddenPackageError, match=package):
        config.check_packages(["ufoai-sound", package])


def test_stages_refuse_before_doing_anything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "ALL_PACKAGES", [*config.ALL_PACKAGES, "hedgewars-data"])
    calls: list[str] = []
    monkeypatch.setattr(packages, "download", lambda names: calls.append("download"))
    monkeypatch.setattr(features, "build_shard", lambda source: calls.append(source))
    with pytest.raises(config.ForbiddenPackageError):
        packages.run()
    with pytest.raises(config.ForbiddenPackageError):
        features.run(["ufoai-sound", "megaglest-data"])
    assert calls == []

"""Labels from folders, UCS names and CSV files; the words a label is searched by."""

from __future__ import annotations

from pathlib import Path

import pytest

from soundscout.evaluation import EvaluationError
from soundscout.evaluation.labels import (
    csv_labels,
    folder_labels,
    keep_labels,
    label_text,
    read_queries,
    ucs_labels,
)

FILES = [
    "/lib/Drums/Kick/k1.wav",
    "/lib/Drums/Kick/k2.wav",
    "/lib/Drums/Snare/s1.wav",
    "/lib/Door_Slams/d1.wav",
    "/lib/loose.wav",
]


def test_folder_labels_are_the_folder_a_file_is_in() -> None:
    got = folder_labels("/lib", FILES)
    assert dict(zip(got.files, got.labels, strict=True)) == {
        "/lib/Door_Slams/d1.wav": "Door_Slams",
        "/lib/Drums/Kick/k1.wav": "Drums/Kick",
        "/lib/Drums/Kick/k2.wav": "Drums/Kick",
        "/lib/Drums/Snare/s1.wav": "Drums/Snare",
    }
    assert got.unlabelled == 1  # loose.wav sits in the folder itself
    assert got.texts["Drums/Kick"] == ["kick drums"]


def test_depth_keeps_the_first_folders_below_the_root() -> None:
    got = folder_labels("/lib", FILES, depth=1)
    assert got.counts() == {"Drums": 3, "Door_Slams": 1}
    with pytest.raises(EvaluationError, match="--depth"):
        folder_labels("/lib", FILES, depth=0)


@pytest.mark.parametrize(
    ("label", "text"),
    [
        ("Door_Slams", "door slams"),
        ("Drums/Kick", "kick drums"),
        ("DOORS", "doors"),
        ("Ambience/AMB_City", "amb ambience city"),
        ("drum: kick", "drum kick"),
        ("usr/share/games/warmux/sound/default/weapons", "weapons default"),
    ],
)
def test_label_text_is_its_words_nearest_folder_first(label: str, text: str) -> None:
    assert label_text(label) == text


def test_ucs_labels_come_from_ucs_file_names() -> None:
    files = [
        "/lib/a/DOORWood_Slam Heavy Wooden Door_JD_LIB.wav",
        "/lib/a/AMBForst_Birds Morning_JD_LIB.wav",
        "/lib/a/door slam.wav",
    ]
    got = ucs_labels(files)
    assert dict(zip(got.files, got.labels, strict=True)) == {
        files[0]: "DOORS",
        files[1]: "AMBIENCE",
    }
    assert got.unlabelled == 1
    assert got.texts["DOORS"] == ["doors"]


def _touch(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return str(path)


def test_csv_labels_read_paths_from_the_csv_folder(tmp_path: Path) -> None:
    root = tmp_path / "sounds"
    inside = [_touch(root / "x" / "a.wav"), _touch(root / "x" / "b.wav")]
    _touch(tmp_path / "other" / "c.wav")
    csv_file = tmp_path / "labels.csv"
    csv_file.write_text(
        "path,package,category\nsounds/x/a.wav,p,dog\nsounds/x/b.wav,p,\nother/c.wav,p,cat\n"
    )
    got = csv_labels(csv_file, str(root), inside)
    assert dict(zip(got.files, got.labels, strict=True)) == {inside[0]: "dog"}
    assert (got.unlabelled, got.outside) == (1, 1)


def test_csv_naming_missing_files_is_refused_with_the_names(tmp_path: Path) -> None:
    root = tmp_path / "sounds"
    present = _touch(root / "a.wav")
    csv_file = tmp_path / "labels.csv"
    csv_file.write_text("path,label\nsounds/a.wav,dog\nsounds/gone.wav,dog\n")
    with pytest.raises(EvaluationError, match="1 files that do not exist: sounds/gone.wav") as exc:
        csv_labels(csv_file, str(root), [present])
    assert "fix or remove those rows" in (exc.value.hint or "")


def test_csv_without_the_columns_is_refused(tmp_path: Path) -> None:
    csv_file = tmp_path / "labels.csv"
    csv_file.write_text("file,kind\na.wav,dog\n")
    with pytest.raises(EvaluationError, match="no `path` and `label` columns") as exc:
        csv_labels(csv_file, str(tmp_path), [])
    assert "path,label" in (exc.value.hint or "")


def test_keep_labels_drops_small_labels() -> None:
    kept, small = keep_labels(folder_labels("/lib", FILES), min_files=2)
    assert kept.labels == ["Drums/Kick", "Drums/Kick"]
    assert small == {"Door_Slams": 1, "Drums/Snare": 1}
    assert set(kept.texts) == {"Drums/Kick"}


def test_queries_file_maps_labels_to_phrasings(tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text('Drums/Kick: ["kick drum", "bass drum hit"]\nDoor_Slams: a door slammed\n')
    got = read_queries(path, ["Drums/Kick", "Door_Slams"])
    assert got == {"Drums/Kick": ["kick drum", "bass drum hit"], "Door_Slams": ["a door slammed"]}
    with pytest.raises(EvaluationError, match="names labels no file has: Door_Slams"):
        read_queries(path, ["Drums/Kick"])
    path.write_text("- just a list\n")
    with pytest.raises(EvaluationError, match="holds no label"):
        read_queries(path, ["Drums/Kick"])

"""Duplicate groups kept by indexing real files: exact copies, the same recording, variants,
silence, files that come and go, and bad files."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import soundscout.ingest.stages as stages
from soundscout.config import Settings
from soundscout.duplicates import report
from soundscout.search.service import SearchService
from tests.audiogen import tone, write_audio, write_corrupt
from tests.duplicates.conftest import SR, recording, resampled, reverb

#: Between the tiny encoder's cosine of two takes of :func:`recording` (seeds 0 and 2:
#: 0.971) and of other sounds (below 0.94).
TINY_VARIANTS = {"duplicates.variant_threshold": 0.96}


def _copies(root: Path) -> dict[str, Path]:
    """One recording and the copies a library collects of it."""
    x = recording()
    paths = {
        "original": write_audio(root / "pack1" / "hit.wav", x, SR),
        "mp3": write_audio(root / "pack2" / "hit.mp3", x, SR),
        "48k": write_audio(root / "pack2" / "hit_48k.wav", resampled(x, SR, 48000), 48000),
        "quiet": write_audio(root / "pack3" / "hit_quiet.flac", x * 0.5, SR),
        "trimmed": write_audio(root / "pack3" / "hit_trim.wav", x[2205:-2205], SR),
        "stereo": write_audio(root / "pack3" / "hit_stereo.ogg", x, SR, channels=2),
    }
    paths["bought twice"] = root / "pack4" / "hit.wav"
    paths["bought twice"].parent.mkdir(parents=True)
    shutil.copyfile(paths["original"], paths["bought twice"])
    return paths


def _others(root: Path) -> dict[str, Path]:
    return {
        "reverb": write_audio(root / "fx" / "hit_reverb.wav", reverb(recording(), SR), SR),
        "kick": write_audio(root / "drums" / "kick.wav", tone(55, 1.0, SR, kind="kick"), SR),
        "take 2": write_audio(root / "pack1" / "hit_take2.wav", recording(seed=2), SR),
    }


def _silence(root: Path) -> dict[str, Path]:
    quiet = np.zeros(SR, np.float32)
    return {
        "silence a": write_audio(root / "silence" / "a.wav", quiet, SR),
        "silence b": write_audio(root / "silence" / "b.wav", quiet, SR),
        "silence long": write_audio(root / "silence" / "c.flac", np.zeros(3 * SR), SR),
    }


def _index(settings: Settings, root: Path) -> SearchService:
    service = SearchService(settings)
    service.index_folder(root, progress=False)
    return service


def _ids(service: SearchService, paths: dict[str, Path]) -> dict[str, int]:
    return {name: service.catalog.find_by_path(str(p)).id for name, p in paths.items()}


def _levels(service: SearchService) -> dict[int, tuple[int | None, int | None, int | None]]:
    rows = service.catalog.query("SELECT * FROM duplicate_groups")
    return {r[0]: r[1:] for r in rows}  # type: ignore[misc]


def test_copies_of_a_recording_are_one_group_and_others_stay_out(
    tmp_path: Path, settings_factory: Callable[..., Settings]
) -> None:
    root = tmp_path / "sounds"
    copies, others = _copies(root), _others(root)
    service = _index(settings_factory(), root)
    ids = _ids(service, {**copies, **others})
    levels = _levels(service)
    recording_groups = {levels[ids[name]][1] for name in copies}
    assert recording_groups == {min(ids[name] for name in copies)}
    exact = {name for name in copies if levels[ids[name]][0] is not None}
    assert exact == {"original", "bought twice"}  # the same bytes
    for name in others:  # another effect, another sound, another take: no copies
        assert ids[name] not in levels or levels[ids[name]][1] is None
    (group,), total = report.list_groups(service.catalog)
    assert total == 1 and group.kind == "recording"
    assert {m.row.id for m in group.members} == {ids[name] for name in copies}
    kept = [m.row.path for m in group.members if m.best]
    assert kept == [str(copies["48k"])]  # lossless, highest rate (48k 16-bit WAV)
    service.close()


def test_variants_join_only_at_the_variant_level(
    tmp_path: Path, settings_factory: Callable[..., Settings]
) -> None:
    root = tmp_path / "sounds"
    copies, others = _copies(root), _others(root)
    service = _index(settings_factory(**TINY_VARIANTS), root)
    ids = _ids(service, {**copies, **others})
    levels = _levels(service)
    take = levels[ids["take 2"]]
    assert take[1] is None and take[2] == levels[ids["original"]][2]
    assert ids["kick"] not in levels
    (group,), _ = report.list_groups(service.catalog)
    assert group.kind == "variant"
    assert report.list_groups(service.catalog, kind="recording") == ([], 0)
    service.close()


def test_encoders_without_a_measured_threshold_group_no_variants(
    tmp_path: Path, settings_factory: Callable[..., Settings]
) -> None:
    root = tmp_path / "sounds"
    write_audio(root / "a.wav", recording(), SR)
    write_audio(root / "b.wav", recording(seed=2), SR)
    service = _index(settings_factory(), root)  # tiny: no variant threshold
    assert _levels(service) == {}
    service.close()


def test_silent_files_are_reported_apart_and_never_grouped(
    tmp_path: Path, settings_factory: Callable[..., Settings]
) -> None:
    root = tmp_path / "sounds"
    silence = _silence(root)
    write_audio(root / "tone.wav", tone(440, 1.0, SR), SR)
    service = _index(settings_factory(**TINY_VARIANTS), root)
    ids = _ids(service, silence)
    assert _levels(service) == {}  # a and b have the same bytes, and are still no group
    assert {r.id for r in report.silent_sounds(service.catalog)} == set(ids.values())
    assert all(service.catalog.get(i).status == "done" for i in ids.values())  # still searchable
    service.close()


def test_groups_follow_files_that_come_change_and_go(
    tmp_path: Path, settings_factory: Callable[..., Settings]
) -> None:
    root = tmp_path / "sounds"
    x = recording()
    original = write_audio(root / "hit.wav", x, SR)
    write_audio(root / "kick.wav", tone(55, 1.0, SR, kind="kick"), SR)
    service = _index(settings_factory(), root)
    assert _levels(service) == {}
    copy = write_audio(root / "more" / "hit.mp3", x, SR)
    run = service.index_folder(root, progress=False)
    assert run.new == 1
    first, second = (
        service.catalog.find_by_path(str(original)),
        service.catalog.find_by_path(str(copy)),
    )
    assert set(_levels(service)) == {first.id, second.id}
    examined = service.update_duplicates()  # nothing changed since: nothing is examined
    assert examined.examined == 0
    write_audio(copy, tone(300, 2.0, SR, kind="square"), SR, fmt="mp3")  # another sound now
    service.index_folder(root, progress=False)
    assert _levels(service) == {}
    write_audio(copy, x * 0.7, SR, fmt="mp3")  # a copy again
    service.index_folder(root, progress=False)
    assert set(_levels(service)) == {first.id, second.id}
    copy.unlink()
    service.index_folder(root, progress=False)
    assert _levels(service) == {}
    service.close()


def test_forgetting_a_folder_takes_its_sounds_out_of_their_groups(
    tmp_path: Path, settings_factory: Callable[..., Settings]
) -> None:
    root = tmp_path / "sounds"
    copies = _copies(root)
    service = _index(settings_factory(), root)
    service.forget_folder(root / "pack2")
    (group,), _ = report.list_groups(service.catalog)
    assert {m.row.path for m in group.members} == {
        str(p) for name, p in copies.items() if name not in ("mp3", "48k")
    }
    assert copies["mp3"].exists()  # never a file deleted
    service.close()


def test_bad_files_join_nothing_and_cost_nothing(
    tmp_path: Path, settings_factory: Callable[..., Settings]
) -> None:
    root = tmp_path / "sounds"
    copies = _copies(root)
    write_corrupt(root / "bad" / "zero.wav", "empty")
    write_audio(root / "bad" / "no_samples.wav", np.zeros(0, np.float32), SR)
    write_corrupt(root / "bad" / "truncated.wav", "truncated_wav")
    service = _index(settings_factory(), root)
    failed = service.catalog.rows_under(str(root / "bad"))
    assert {r.status for r in failed.values()} == {"failed"}
    (group,), _ = report.list_groups(service.catalog)
    assert len(group.members) == len(copies)
    service.close()


def test_a_file_changing_while_fingerprinted_is_left_for_the_next_run(
    tmp_path: Path, settings_factory: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "sounds"
    x = recording()
    write_audio(root / "hit.wav", x, SR)
    changing = write_audio(root / "copy.wav", x * 0.5, SR)
    real = stages.compute

    def print_while_written(waveform: np.ndarray, rate: int):  # another program writes
        result = real(waveform, rate)
        if np.abs(waveform).max() < 0.4:  # the quieter copy's
            with changing.open("ab") as handle:
                handle.write(b"\0\0")
        return result

    monkeypatch.setattr(stages, "compute", print_while_written)
    service = _index(settings_factory(), root)
    row = service.catalog.find_by_path(str(changing))
    assert row.status == "failed" and "changed while being read" in row.error
    assert _levels(service) == {}
    assert service.catalog.query("SELECT COUNT(*) FROM sound_prints")[0][0] == 1
    monkeypatch.setattr(stages, "compute", real)
    service.index_folder(root, progress=False)  # the next run takes it
    assert len(_levels(service)) == 2
    service.close()


def test_sounds_indexed_before_fingerprints_get_them_on_the_next_run(
    tmp_path: Path, settings_factory: Callable[..., Settings]
) -> None:
    root = tmp_path / "sounds"
    copies = _copies(root)
    service = _index(settings_factory(), root)
    with service.catalog.transaction() as conn:  # as an older Soundscout left it
        conn.execute("DELETE FROM sound_prints")
        conn.execute("DELETE FROM duplicate_groups")
        conn.execute("DELETE FROM duplicate_pairs")
        conn.execute("UPDATE meta SET value = '-1' WHERE key = 'duplicates_revision'")
    service.update_duplicates()
    assert report.unprinted(service.catalog) == len(copies)
    (exact,), _ = report.list_groups(service.catalog)  # without prints: only exact copies
    assert exact.kind == "exact" and len(exact.members) == 2
    run = service.index_folder(root, progress=False)
    assert run.prints_taken == len(copies) and run.processed == 0  # nothing embedded again
    assert report.unprinted(service.catalog) == 0
    (group,), _ = report.list_groups(service.catalog)
    assert group.kind == "recording" and len(group.members) == len(copies)
    service.close()

"""A messy library: every bad file is recorded with a specific reason, every good one indexed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

import soundscout.ingest.stages as stages
from soundscout.search.service import SearchService
from tests.audiogen import tone, write_audio, write_corrupt

SR = 22050


def _nasty_folder(root: Path) -> tuple[dict[str, str], list[str]]:
    """Build the folder; return {bad file name: expected reason fragment} and good names."""
    bad = {
        "zero.wav": "empty file",
        "truncated.wav": "truncated or corrupt WAV header",
        "text.mp3": "not an audio file",
        "noise_bytes.flac": "not an audio file",
        "video.m4a": "no audio stream",
        "pipe.wav": "not a regular file",
        "changing.wav": "changed while being read",
    }
    write_corrupt(root / "zero.wav", "empty")
    write_corrupt(root / "truncated.wav", "truncated_wav")
    write_corrupt(root / "text.mp3", "text_as_mp3")
    write_corrupt(root / "noise_bytes.flac", "random_bytes")
    write_corrupt(root / "video.m4a", "video_only")
    os.mkfifo(root / "pipe.wav")
    write_audio(root / "changing.wav", tone(500, 1.0), SR)
    rng = np.random.default_rng(0)
    good = {
        "wav_named.mp3": (tone(440, 0.5), SR, "wav", 1, None),
        "tiny clip.wav": (tone(1000, 0.01), SR, "wav", 1, None),
        "ten minutes.flac": (tone(110, 600.0, sr=8000, amp=0.1), 8000, "flac", 1, None),
        "silence.wav": (np.zeros(SR, np.float32), SR, "wav", 1, None),
        "clipped noise.wav": (np.clip(rng.normal(0, 3, SR), -1, 1), SR, "wav", 1, None),
        "8bit.wav": (tone(300, 0.5), SR, "wav", 1, "PCM_U8"),
        "96k float.wav": (tone(3000, 0.5, sr=96000), 96000, "wav", 1, "FLOAT"),
        "six channels.wav": (tone(200, 0.5), SR, "wav", 6, None),
        "ünïcødé 音 🎵.ogg": (tone(700, 0.5), SR, "ogg", 1, None),
    }
    for name, (wave, sr, fmt, channels, subtype) in good.items():
        write_audio(root / name, wave, sr, fmt=fmt, channels=channels, subtype=subtype)
    (root / "folder.wav").mkdir()  # a directory named like an audio file
    (root / "loop").symlink_to(root, target_is_directory=True)
    (root / "dangling.wav").symlink_to(root / "missing-target.wav")
    bad["dangling.wav"] = "file not found"
    locked = write_audio(root / "locked.wav", tone(900, 0.3), SR)
    locked.chmod(0)
    if os.geteuid() == 0:  # root reads it anyway
        good["locked.wav"] = None
    else:
        bad["locked.wav"] = "permission denied"
    return bad, sorted(good)


@pytest.mark.slow
def test_nasty_folder(service: SearchService, tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "nasty"
    root.mkdir()
    bad, good = _nasty_folder(root)
    real_decode = stages.decode_file

    def decode_while_written(path, *args, **kwargs):  # another program rewrites the file
        result = real_decode(path, *args, **kwargs)
        if path.endswith("changing.wav"):
            with open(path, "ab") as handle:
                handle.write(b"\0" * 64)
        return result

    monkeypatch.setattr(stages, "decode_file", decode_while_written)
    report = service.index_folder(root, progress=False)

    rows = {Path(r.path).name: r for r in service.catalog.rows_under(str(root)).values()}
    assert sorted(rows) == sorted([*bad, *good])
    for name, reason in bad.items():
        assert rows[name].status == "failed", name
        assert reason in rows[name].error, (name, rows[name].error)
    for name in good:
        assert rows[name].status == "done", (name, rows[name].error)
    assert report.ok == len(good) and report.failed == len(bad)
    assert rows["ten minutes.flac"].duration == pytest.approx(600.0, abs=0.1)
    assert rows["six channels.wav"].channels == 6
    assert rows["96k float.wav"].sample_rate == 96000
    assert service.sync_index().count == len(good)

    monkeypatch.setattr(stages, "decode_file", real_decode)
    again = service.index_folder(root, progress=False)
    assert again.changed == 1 and again.ok == 1  # only the file that changed mid-read
    assert service.catalog.find_by_path(str(root / "changing.wav")).status == "done"
    assert again.skipped_failed == len(bad) - 1


def test_a_truncated_mp3_is_catalogued_with_the_length_that_decodes(
    service: SearchService, tmp_path: Path
) -> None:
    folder = tmp_path / "mp3s"
    whole = write_audio(folder / "whole.mp3", tone(440, 3.0), SR, fmt="mp3")
    cut = folder / "cut.mp3"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 4])  # header still says 3 s
    service.index_folder(folder, progress=False)
    rows = {Path(p).name: r for p, r in service.catalog.rows_under(str(folder)).items()}
    assert rows["whole.mp3"].duration == pytest.approx(3.0, abs=0.1)
    assert rows["cut.mp3"].status == "done"
    assert 0.3 < rows["cut.mp3"].duration < 1.2


def test_wma_and_caf_are_scanned_and_indexed(service: SearchService, tmp_path: Path) -> None:
    folder = tmp_path / "formats"
    folder.mkdir()
    for ext in ("wma", "caf"):
        subprocess.run(
            [
                "ffmpeg",
                "-loglevel",
                "error",
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=440:duration=1",
                str(folder / f"tone.{ext}"),
            ],
            check=True,
            timeout=60,
        )
    report = service.index_folder(folder, progress=False)
    rows = service.catalog.rows_under(str(folder)).values()
    assert report.ok == 2 and sorted(r.format for r in rows) == ["caf", "wma"]
    assert all(r.status == "done" and abs(r.duration - 1.0) < 0.05 for r in rows)

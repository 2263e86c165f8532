"""Embedded metadata: files written on the fly, each with words that live only in its metadata."""

from __future__ import annotations

import shutil
import struct
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from soundscout.metadata.read import (
    MAX_FIELDS,
    MAX_VALUE_CHARS,
    EmbeddedMetadata,
    clean_text,
    read_embedded,
)
from tests.taggen import BOMB_IXML, bext_chunk, info_list, riff_chunk

FFMPEG = shutil.which("ffmpeg")
# ffmpeg comes with scripts/install.sh: without it these tests fail rather than skip.
needs_ffmpeg = pytest.mark.ffmpeg

USER_IXML = b"""<?xml version="1.0" encoding="UTF-8"?>
<BWFXML><IXML_VERSION>1.61</IXML_VERSION><PROJECT>Zanzibarproj</PROJECT><SCENE>12A</SCENE>
<TAKE>3</TAKE><NOTE>Qualmnote by the pier</NOTE>
<TRACK_LIST><TRACK_COUNT>1</TRACK_COUNT><TRACK><CHANNEL_INDEX>1</CHANNEL_INDEX>
<NAME>Boomtrack</NAME></TRACK></TRACK_LIST>
<USER><DESCRIPTION>Wooden door creaks open slowly</DESCRIPTION>
<KEYWORDS>xylokey hinge</KEYWORDS><CATEGORY>DOORS</CATEGORY><SUBCATEGORY>WOOD</SUBCATEGORY>
<CATID>DOORWood</CATID><LIBRARY>Quibblelib</LIBRARY><DESIGNER>Jonquil Smith</DESIGNER>
<MICROPHONE>Sennheiser MKH416</MICROPHONE><FILE_UID>060A2B340101010501010D4313000000</FILE_UID>
</USER></BWFXML>"""

XXE_IXML = b"""<?xml version="1.0"?>
<!DOCTYPE BWFXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<BWFXML><NOTE>&xxe;</NOTE></BWFXML>"""


# --- fixture writers -------------------------------------------------------------------------


def write_wav(
    path: Path, front: Sequence[bytes] = (), back: Sequence[bytes] = (), seconds: float = 0.2
) -> Path:
    """A PCM WAV from soundfile with extra chunks before ``fmt `` and after ``data``."""
    rng = np.random.default_rng(0)
    sf.write(path, (rng.standard_normal(int(22050 * seconds)) * 0.1).astype("float32"), 22050)
    raw = path.read_bytes()
    assert raw[:4] == b"RIFF" and raw[8:12] == b"WAVE"
    raw = raw[:12] + b"".join(front) + raw[12:] + b"".join(back)
    path.write_bytes(raw[:4] + struct.pack("<I", len(raw) - 8) + raw[8:])
    return path


def bwf(path: Path, ixml: bytes = USER_IXML, bext: bytes | None = None) -> Path:
    """The full BWF fixture: bext + iXML in front, INFO at the back."""
    bext = bext if bext is not None else bext_chunk(b"Rusty gate squeal, distant dog")
    info = info_list({b"INAM": b"Gatezilla", b"ICMT": b"Fernwhistle comment", b"ISFT": b"Lavf"})
    return write_wav(path, front=[bext, riff_chunk(b"iXML", ixml)], back=[info])


def ffmpeg(src: Path, dst: Path, *args: str, **tags: str) -> Path:
    """Encode ``src`` to ``dst`` with ffmpeg, writing ``tags`` as metadata."""
    meta = [a for k, v in tags.items() for a in ("-metadata", f"{k}={v}")]
    cmd = [FFMPEG, "-v", "error", "-y", "-i", str(src), *meta, *args, str(dst)]
    subprocess.run(cmd, check=True, timeout=60)
    return dst


# --- WAV / BWF ------------------------------------------------------------------------------


def test_bwf_wav_words_land_in_their_groups(tmp_path: Path) -> None:
    meta = read_embedded(bwf(tmp_path / "door.wav"))
    assert meta.warnings == ()
    f = meta.fields
    assert f["bext.description"] == "Rusty gate squeal, distant dog"
    assert f["ixml.USER.DESCRIPTION"] == "Wooden door creaks open slowly"
    assert f["ixml.NOTE"] == "Qualmnote by the pier"
    assert f["ixml.PROJECT"] == "Zanzibarproj"
    assert f["info.INAM"] == "Gatezilla"
    assert f["info.ICMT"] == "Fernwhistle comment"
    g = meta.grouped()
    assert g["catid"] == "DOORWood"
    assert g["keywords"] == "xylokey hinge"
    assert g["category"] == "DOORS"
    assert g["subcategory"] == "WOOD"
    assert g["library"] == "Quibblelib"
    assert g["designer"] == "Jonquil Smith"
    assert g["title"] == "Gatezilla"
    for word in ("Rusty gate", "Wooden door", "Qualmnote", "Fernwhistle"):
        assert word in g["description"]
    for word in ("Zanzibarproj", "Boomtrack", "MKH416", "Recordomatic"):
        assert word in g["other"]


def test_grouping_is_exact(tmp_path: Path) -> None:
    g = read_embedded(bwf(tmp_path / "door.wav")).grouped()
    placed = {word: name for name, text in g.items() for word in text.split()}
    assert placed["DOORWood"] == "catid"
    assert placed["xylokey"] == "keywords"
    assert placed["Quibblelib"] == "library"
    assert placed["Jonquil"] == "designer"
    assert placed["WOOD"] == "subcategory"
    # Ids, numbers, dates, coding history and software never reach a group.
    text = " ".join(g.values())
    for junk in ("060A2B34", "2024-05-01", "12:30:00", "USREF123", "Lavf", "1.61"):
        assert junk not in text
    assert "3" not in g["other"].split(" ; ")  # the take number stays in fields only
    assert read_embedded(tmp_path / "door.wav").fields["ixml.TAKE"] == "3"
    assert set(g) <= {"title", "description", "keywords", "category", "subcategory",
                      "catid", "library", "designer", "other"}  # fmt: skip


def test_grouped_drops_empty_groups_and_duplicates() -> None:
    meta = EmbeddedMetadata(fields={"tag.title": "Door", "info.INAM": "door", "tag.year": "2020"})
    assert meta.grouped() == {"title": "Door"}


def test_rf64_free_plain_wav_without_metadata(tmp_path: Path) -> None:
    meta = read_embedded(write_wav(tmp_path / "plain.wav"))
    assert meta.fields == {} and meta.warnings == ()


# --- tagged formats (ffmpeg) ----------------------------------------------------------------


@needs_ffmpeg
@pytest.mark.parametrize(
    ("ext", "args"),
    [
        ("mp3", ("-id3v2_version", "3")),
        ("ogg", ("-c:a", "libvorbis")),
        ("opus", ("-c:a", "libopus")),
        ("flac", ()),
        ("m4a", ("-c:a", "aac")),
        ("aiff", ("-write_id3v2", "1")),
    ],
)
def test_tagged_formats(tmp_path: Path, ext: str, args: tuple[str, ...]) -> None:
    src = write_wav(tmp_path / "src.wav")
    tags = {"title": "Grumblewhoosh", "artist": "Pimsleur Dane", "album": "Vortexlib",
            "genre": "WHOOSH", "comment": "Swirlcomment air", "keywords": "zephyrkey"}  # fmt: skip
    meta = read_embedded(ffmpeg(src, tmp_path / f"out.{ext}", *args, **tags))
    g = meta.grouped()
    assert meta.warnings == ()
    assert g["title"] == "Grumblewhoosh"
    assert g["designer"] == "Pimsleur Dane"
    assert g["library"] == "Vortexlib"
    assert g["category"] == "WHOOSH"
    assert "Swirlcomment" in g["description"]
    assert "zephyrkey" in g["keywords"]
    assert all(k.startswith("tag.") for k in meta.fields)


@needs_ffmpeg
def test_vorbis_comment_catid_and_description(tmp_path: Path) -> None:
    src = write_wav(tmp_path / "src.wav")
    out = ffmpeg(src, tmp_path / "x.flac", CATID="WATRDrip", description="Plinkdrip cave")
    g = read_embedded(out).grouped()
    assert g["catid"] == "WATRDrip"
    assert g["description"] == "Plinkdrip cave"


@needs_ffmpeg
def test_format_found_by_magic_bytes_without_extension(tmp_path: Path) -> None:
    src = write_wav(tmp_path / "src.wav")
    out = ffmpeg(src, tmp_path / "x.mp3", title="Magicsniff")
    meta = read_embedded(out.rename(tmp_path / "no_extension"))
    assert meta.grouped()["title"] == "Magicsniff"


@needs_ffmpeg
def test_aiff_name_and_anno_chunks(tmp_path: Path) -> None:
    src = write_wav(tmp_path / "src.wav")
    out = ffmpeg(src, tmp_path / "x.aiff", title="Clonkname", comment="Annotated thud")
    g = read_embedded(out).grouped()
    assert g["title"] == "Clonkname"
    assert g["description"] == "Annotated thud"


def test_id3_chunk_inside_wav(tmp_path: Path) -> None:
    frame = b"\x03Squeakid3 title"  # text encoding 3 = UTF-8
    id3 = b"ID3\x03\x00\x00" + _synchsafe(10 + len(frame))
    id3 += b"TIT2" + struct.pack(">I", len(frame)) + b"\0\0" + frame
    meta = read_embedded(write_wav(tmp_path / "id3.wav", back=[riff_chunk(b"id3 ", id3)]))
    assert meta.grouped()["title"] == "Squeakid3 title"


def _synchsafe(n: int) -> bytes:
    return bytes((n >> s) & 0x7F for s in (21, 14, 7, 0))


# --- bad input --------------------------------------------------------------------------------


def test_truncated_wav_keeps_front_chunks(tmp_path: Path) -> None:
    path = bwf(tmp_path / "cut.wav")
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])  # cut inside the data chunk: INFO is gone
    meta = read_embedded(path)
    assert meta.fields["bext.description"] == "Rusty gate squeal, distant dog"
    assert meta.grouped()["catid"] == "DOORWood"
    assert any("truncated" in w for w in meta.warnings)


def test_truncated_inside_a_list_chunk(tmp_path: Path) -> None:
    path = bwf(tmp_path / "cut.wav")
    path.write_bytes(path.read_bytes()[:-12])  # cut inside LIST/INFO
    meta = read_embedded(path)
    assert meta.fields["ixml.USER.CATID"] == "DOORWood"
    assert meta.warnings and "info.INAM" not in meta.fields


def test_wrong_encoding_falls_back_to_latin1(tmp_path: Path) -> None:
    ixml = b"<BWFXML><USER><DESCRIPTION>Caf\xe9 ambience</DESCRIPTION></USER></BWFXML>"
    info = info_list({b"INAM": b"Cr\xe8me br\xfbl\xe9e", b"IKEY": "naïve".encode()})
    path = write_wav(
        tmp_path / "enc.wav",
        front=[bext_chunk(b"Gr\xfcn bell"), riff_chunk(b"iXML", ixml)],
        back=[info],
    )
    meta = read_embedded(path)
    assert meta.fields["info.INAM"] == "Crème brûlée"
    assert meta.fields["info.IKEY"] == "naïve"
    assert meta.fields["bext.description"] == "Grün bell"
    assert meta.fields["ixml.USER.DESCRIPTION"] == "Café ambience"


def test_wrong_encoding_in_id3_tag_never_crashes(tmp_path: Path) -> None:
    frame = b"\x03Caf\xe9 \xff\xfe broken"  # claims UTF-8, holds latin-1 and junk
    id3 = b"ID3\x03\x00\x00" + _synchsafe(10 + len(frame))
    id3 += b"TIT2" + struct.pack(">I", len(frame)) + b"\0\0" + frame
    path = tmp_path / "bad.mp3"
    path.write_bytes(id3 + b"\xff\xfb\x90\x00" * 64)
    meta = read_embedded(path)
    assert "\ufffd" not in meta.fields.get("tag.title", "")
    assert "broken" in meta.fields.get("tag.title", "")


def test_control_characters_are_stripped(tmp_path: Path) -> None:
    info = info_list({b"ICMT": b"bell\x07ring\r\nnext\tline\x1b \x00tail", b"INAM": b"\x01\x02"})
    meta = read_embedded(write_wav(tmp_path / "ctl.wav", back=[info]))
    assert meta.fields["info.ICMT"] == "bellring next line tail"
    assert "info.INAM" not in meta.fields  # nothing left after cleaning


def test_clean_text_caps_and_decodes() -> None:
    assert clean_text(b"\xe9t\xe9") == "été"
    assert clean_text("a  \u200b b\n\nc") == "a b c"
    assert len(clean_text("x" * 10_000)) == MAX_VALUE_CHARS


def test_huge_bext_is_skipped_other_chunks_read(tmp_path: Path) -> None:
    big = bext_chunk(b"Hugebext words", history=b"A=PCM " * (10 * 1024 * 1024 // 6))
    meta = read_embedded(bwf(tmp_path / "big.wav", bext=big))
    assert "bext.description" not in meta.fields
    assert any(w.startswith("bext skipped") and "1 MiB" in w for w in meta.warnings)
    assert meta.grouped()["catid"] == "DOORWood"
    assert meta.fields["info.INAM"] == "Gatezilla"


@pytest.mark.parametrize("ixml", [BOMB_IXML, XXE_IXML], ids=["billion-laughs", "external-entity"])
def test_hostile_ixml_is_refused_bext_still_read(tmp_path: Path, ixml: bytes) -> None:
    meta = read_embedded(bwf(tmp_path / "evil.wav", ixml=ixml))
    assert meta.warnings == ("iXML skipped: XML entity declarations are not allowed",)
    assert not any(k.startswith("ixml.") for k in meta.fields)
    assert meta.fields["bext.description"] == "Rusty gate squeal, distant dog"
    assert meta.fields["info.INAM"] == "Gatezilla"


def test_malformed_ixml_is_a_warning(tmp_path: Path) -> None:
    meta = read_embedded(bwf(tmp_path / "bad.wav", ixml=b"<BWFXML><NOTE>open"))
    assert meta.warnings[0].startswith("iXML skipped:")
    assert "bext.description" in meta.fields


def test_too_many_fields_are_capped(tmp_path: Path) -> None:
    info = info_list({f"I{i:03d}".encode(): f"word{i}".encode() for i in range(300)})
    meta = read_embedded(write_wav(tmp_path / "many.wav", back=[info]))
    assert len(meta.fields) == MAX_FIELDS
    assert any("fields dropped" in w for w in meta.warnings)


@pytest.mark.parametrize("name", ["noise.wav", "noise.mp3", "noise.flac", "noise.bin"])
def test_random_bytes_give_a_result(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(np.random.default_rng(1).bytes(50_000))
    meta = read_embedded(path)
    assert isinstance(meta, EmbeddedMetadata)
    if name.endswith(".wav"):
        assert meta.fields == {} and meta.warnings


def test_riff_with_broken_chunk_sizes(tmp_path: Path) -> None:
    path = tmp_path / "broken.wav"
    junk = b"bext" + struct.pack("<I", 0xFFFFFFFF) + b"x" * 40
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(junk)) + b"WAVE" + junk)
    meta = read_embedded(path)
    assert meta.fields == {} and meta.warnings
    nested = b"RIFF\x00\x10\x00\x00WAVE" + b"LIST\x00\x10\x00\x00INFO" * 2000
    path.write_bytes(nested)
    assert read_embedded(path).fields == {}


def test_empty_missing_and_directory_paths(tmp_path: Path) -> None:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    assert read_embedded(empty) == EmbeddedMetadata(warnings=("file is empty",))
    missing = read_embedded(tmp_path / "nope.wav")
    assert missing.fields == {} and missing.warnings[0].startswith("cannot read file")
    assert read_embedded(tmp_path).warnings[0].startswith("cannot read file")


def test_reading_does_not_scale_with_audio_size(tmp_path: Path) -> None:
    path = bwf(tmp_path / "door.wav")
    big = write_wav(tmp_path / "big.wav", front=[bext_chunk(b"Longfile")], seconds=240)
    assert big.stat().st_size > 10_000_000
    for p in (path, big):
        read_embedded(p)
        start = time.perf_counter()
        for _ in range(20):
            assert read_embedded(p).fields
        assert (time.perf_counter() - start) / 20 < 0.05  # loose: typically well under 1 ms

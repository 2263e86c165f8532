"""Search modes, filters, alpha bounds, exclusion of the query sound, export."""

from __future__ import annotations

import json
from pathlib import Path

import faiss
import numpy as np
import pytest

from soundscout.errors import EmptyLibraryError, InvalidQueryError, NotFoundError
from soundscout.search.query import Filters
from soundscout.search.relevance import UNKNOWN_WORDS_SCALE
from soundscout.search.service import SearchService


def _id(service: SearchService, folder: str) -> int:
    rows = service.catalog.rows_under("/")
    return next(r.id for p, r in sorted(rows.items()) if f"/{folder}/" in p)


def _folders(hits) -> list[str]:
    return [Path(h.path).parent.name for h in hits]


def test_text_search_returns_k_ranked_hits(indexed: SearchService) -> None:
    result = indexed.search(text="deep bass kick", k=5, match="sound")
    assert result.mode == "text" and len(result.hits) == 5
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)
    query = indexed.encoder.encode_text("deep bass kick")
    best = indexed.catalog.embedding(result.hits[0].id)
    assert np.isclose(float(best @ query), scores[0], atol=1e-5)


def test_audio_by_id_finds_its_own_kind_and_excludes_itself(indexed: SearchService) -> None:
    for folder in ("kicks", "hats", "pads"):
        ref = _id(indexed, folder)
        hits = indexed.search(sound_id=ref, k=2).hits
        assert ref not in [h.id for h in hits]
        assert _folders(hits) == [folder, folder], folder


def test_audio_by_path_and_bytes_exclude_the_query_file(
    indexed: SearchService, sound_folder: Path
) -> None:
    path = sorted((sound_folder / "hats").iterdir())[0]
    own = indexed.catalog.find_by_path(str(path)).id
    by_path = indexed.search(audio_path=path, k=3).hits
    by_bytes = indexed.search(audio_bytes=path.read_bytes(), k=3).hits
    assert own not in [h.id for h in by_path] and own not in [h.id for h in by_bytes]
    assert [h.id for h in by_path][:2] == [h.id for h in by_bytes][:2]
    assert _folders(by_path)[:2] == ["hats", "hats"]


def test_a_reference_file_in_the_library_is_named_in_a_note(
    indexed: SearchService, sound_folder: Path, tmp_path: Path
) -> None:
    """Left out of its own results, a reference that is in the library says where."""
    path = sorted((sound_folder / "hats").iterdir())[0]
    said = f"The reference sound is in the library as {path}; it is left out of the results."
    assert indexed.search(audio_path=path, k=3).notes == (said,)
    assert indexed.search(audio_bytes=path.read_bytes(), k=3).notes == (said,)
    own = indexed.catalog.find_by_path(str(path)).id
    assert indexed.search(sound_id=own, k=3).notes == ()  # chosen from the library
    outside = tmp_path / "elsewhere.wav"
    outside.write_bytes(path.read_bytes()[:-2] + b"\x00\x00")  # other bytes, no copy
    assert indexed.search(audio_path=outside, k=3).notes == ()


@pytest.mark.parametrize("match", ["both", "sound"])
def test_results_for_words_nobody_knows_are_never_strong(
    indexed: SearchService, match: str
) -> None:
    """No word of the query is in the lexicon (in any language) and no sound holds one:
    on held-out queries such results were relevant 0.17 of the time, stated 0.52."""
    result = indexed.search(text="qwertyuiop zxcvbnm", k=8, match=match)
    assert result.hits and all(h.relevance is not None for h in result.hits)
    assert max(h.relevance for h in result.hits) <= UNKNOWN_WORDS_SCALE  # type: ignore[type-var]
    assert {h.band for h in result.hits} <= {"fair", "weak"}
    assert len({round(h.relevance, 6) for h in result.hits}) > 1  # scaled, not cut at one value
    (note,) = result.notes
    assert "No word of 'qwertyuiop zxcvbnm' is in Soundscout's vocabulary" in note
    # the sound side alone did not look at the library's words: the note does not claim it
    assert ("library's names" in note) == (match == "both")
    for known_words in ("kick drum", "808", "効果音"):  # a model number, a word for "sound"
        known = indexed.search(text=known_words, k=8, match=match)
        assert not any("vocabulary" in n for n in known.notes), known_words


def test_hybrid_alpha_extremes_match_single_modes(indexed: SearchService) -> None:
    ref = _id(indexed, "pads")
    audio_only = [h.id for h in indexed.search(sound_id=ref, k=6).hits]
    text_only = [h.id for h in indexed.search(text="warm pad", k=7).hits if h.id != ref][:6]
    assert [
        h.id for h in indexed.search(sound_id=ref, text="warm pad", alpha=1.0, k=6).hits
    ] == audio_only
    assert [
        h.id for h in indexed.search(sound_id=ref, text="warm pad", alpha=0.0, k=6).hits
    ] == text_only
    mid = indexed.search(sound_id=ref, text="warm pad", alpha=0.5, k=6)
    assert mid.mode == "hybrid" and mid.alpha == 0.5


def _scores(service: SearchService, **query: object) -> dict[int, float]:
    return {h.id: h.score for h in service.search(k=100, match="sound", **query).hits}


@pytest.mark.parametrize("kind", ["pads", "kicks", "hats"])
def test_alpha_one_half_weighs_text_and_sound_alike(indexed: SearchService, kind: str) -> None:
    """Sound-to-sound scores spread wider than text-to-sound ones; alpha 0.5 must still
    follow both about equally (each correlates with the mix as much as the other)."""
    ref = _id(indexed, kind)
    by_sound = _scores(indexed, sound_id=ref)
    by_text = _scores(indexed, text="a warm pad")
    ids = sorted(by_sound)
    sound, text = (np.array([scores[i] for i in ids]) for scores in (by_sound, by_text))
    assert np.std(sound) > 2 * np.std(text)  # the two spreads differ: the case at hand

    def follows(alpha: float) -> tuple[float, float]:
        mix = _scores(indexed, sound_id=ref, text="a warm pad", alpha=alpha)
        mixed = np.array([mix[i] for i in ids])
        return np.corrcoef(mixed, sound)[0, 1], np.corrcoef(mixed, text)[0, 1]

    with_sound, with_text = follows(0.5)
    assert abs(with_sound - with_text) < 0.1, (with_sound, with_text)
    with_sound, with_text = follows(0.8)
    assert with_sound > with_text + 0.2
    with_sound, with_text = follows(0.2)
    assert with_text > with_sound + 0.2


@pytest.mark.parametrize("alpha", [-0.01, 1.01, float("nan"), 3])
def test_alpha_out_of_bounds_is_refused(indexed: SearchService, alpha: float) -> None:
    with pytest.raises(InvalidQueryError, match="alpha"):
        indexed.search(text="x", sound_id=_id(indexed, "kicks"), alpha=alpha)


@pytest.mark.parametrize("k", [0, -1, 501])
def test_k_out_of_bounds_is_refused(indexed: SearchService, k: int) -> None:
    with pytest.raises(InvalidQueryError, match="k must be"):
        indexed.search(text="x", k=k)


def test_query_validation(indexed: SearchService) -> None:
    with pytest.raises(InvalidQueryError):
        indexed.search()
    with pytest.raises(InvalidQueryError):
        indexed.search(text="   ")
    with pytest.raises(InvalidQueryError, match="at most one"):
        indexed.search(sound_id=1, audio_bytes=b"x")
    with pytest.raises(NotFoundError):
        indexed.search(sound_id=99999)


def test_empty_library_says_what_to_do(service: SearchService) -> None:
    with pytest.raises(EmptyLibraryError) as err:
        service.search(text="kick")
    assert "soundscout index" in err.value.hint


def test_filters(indexed: SearchService, sound_folder: Path, tmp_path: Path) -> None:
    from tests.audiogen import tone, write_audio

    write_audio(sound_folder / "long" / "drone.wav", tone(60, 3.0, sr=44100), 44100)
    indexed.index_folder(sound_folder, progress=False)
    k = 100
    by_folder = indexed.search(text="x", k=k, filters=Filters(folder="kicks")).hits
    assert by_folder and set(_folders(by_folder)) == {"kicks"}
    absolute = indexed.search(text="x", k=k, filters=Filters(folder=str(sound_folder / "hats")))
    assert set(_folders(absolute.hits)) == {"hats"}
    for written in ("./kicks", "kicks//", f"{sound_folder}/../{sound_folder.name}/kicks"):
        same = indexed.search(text="x", k=k, filters=Filters(folder=written)).hits
        assert [h.id for h in same] == [h.id for h in by_folder], written
    assert Filters(folder="kicks/..").folder is None  # the whole library
    flac = indexed.search(text="x", k=k, filters=Filters(formats=("FLAC", ".wav"))).hits
    assert flac and {h.format for h in flac} <= {"flac", "wav"}
    long = indexed.search(text="x", k=k, filters=Filters(min_duration=2.0)).hits
    assert [Path(h.path).name for h in long] == ["drone.wav"]
    short = indexed.search(text="x", k=k, filters=Filters(max_duration=2.0)).hits
    assert "drone.wav" not in [Path(h.path).name for h in short] and len(short) > 5
    hi_rate = indexed.search(
        text="x", k=k, filters=Filters(min_sample_rate=44100, max_sample_rate=44100)
    ).hits
    assert [h.sample_rate for h in hi_rate] == [44100]
    lo_rate = indexed.search(text="x", k=k, filters=Filters(max_sample_rate=24000)).hits
    assert lo_rate and all(h.sample_rate <= 24000 for h in lo_rate)
    none = indexed.search(text="x", k=k, filters=Filters(folder="nowhere"))
    assert none.hits == []
    listed = indexed.search(text="x", k=k, filters=Filters(formats=("flac, WAVE",))).hits
    assert sorted(h.id for h in listed) == sorted(h.id for h in flac)  # a list, an alias
    assert Filters(formats=("aif", "aifc", ".AIFF", "oga", "mp4")).formats == ("aiff", "ogg", "m4a")
    with pytest.raises(InvalidQueryError):
        Filters(min_duration=3, max_duration=1)


def test_export_writes_the_seed_layout(indexed: SearchService, tmp_path: Path) -> None:
    out = tmp_path / "export"
    info = indexed.export(out)
    vectors = np.load(out / "embeddings.npy")
    paths = json.loads((out / "paths.json").read_text())
    index = faiss.read_index(str(out / "index.faiss"))
    assert vectors.shape == (info["count"], indexed.encoder.dim) == (len(paths), index.d)
    assert index.ntotal == len(paths)
    row = indexed.catalog.find_by_path(paths[3])
    np.testing.assert_allclose(vectors[3], indexed.catalog.embedding(row.id), atol=1e-6)
    _, nearest = index.search(vectors[3:4], 1)
    assert nearest[0, 0] == 3


def test_region_of_a_reference_sound(indexed: SearchService, tmp_path: Path) -> None:
    from soundscout.search.reference import Region
    from tests.audiogen import tone, write_audio

    kick = tone(60, 1.0, kind="kick")
    hat_like = tone(0, 1.0, kind="noise", seed=3) * 0.3
    both = write_audio(tmp_path / "kick_then_noise.wav", np.concatenate([kick, hat_like]), 22050)
    first = indexed.search(audio_path=both, region=Region(0.0, 0.9), k=3).hits
    second = indexed.search(audio_path=both, region=Region(1.0), k=3).hits
    assert [h.id for h in first] != [h.id for h in second]
    whole = indexed.search(audio_path=both, k=3).hits
    assert [h.id for h in whole] != [h.id for h in first] or [h.id for h in whole] != [
        h.id for h in second
    ]
    ref = _id(indexed, "pads")
    own = indexed.search(sound_id=ref, region=Region(0.2, 0.8), k=3).hits
    assert ref not in [h.id for h in own] and _folders(own)[0] == "pads"
    with pytest.raises(InvalidQueryError, match=r"starts after the end of the sound \(2.00 s long"):
        indexed.search(audio_path=both, region=Region(5.0, 6.0))
    with pytest.raises(InvalidQueryError, match="shorter than one sample"):  # not "outside"
        indexed.search(audio_path=both, region=Region(0.0, 1e-6))
    with pytest.raises(InvalidQueryError, match="after start"):
        Region(2.0, 1.0)
    with pytest.raises(InvalidQueryError, match="needs a reference"):
        indexed.search(text="x", region=Region(0, 1))


def test_a_catalogued_region_reads_the_file_catalogued_and_nothing_else(tmp_path: Path) -> None:
    """A region of a catalogued sound decodes its file again: refused when the file failed
    to index, changed or is gone, rather than searching with other audio."""
    import os

    import soundfile as sf

    from soundscout.search.reference import Region
    from tests.audiogen import tone, write_audio
    from tests.conftest import make_settings

    root = tmp_path / "sounds"
    kept = write_audio(root / "kick.wav", tone(60, 1.0, kind="kick"), 22050)
    changed = write_audio(root / "hat.wav", tone(0, 1.0, kind="noise", seed=3) * 0.3, 22050)
    gone = write_audio(root / "tone.wav", tone(440, 1.0), 22050)
    (root / "broken.wav").write_bytes(b"RIFF0000WAVEjunk")
    service = SearchService(make_settings(tmp_path / "library", **{"encoder.name": "tiny"}))
    try:
        service.index_folder(root, progress=False)
        ids = {Path(p).name: r.id for p, r in service.catalog.rows_under(str(root)).items()}
        assert service.search(sound_id=ids["kick.wav"], region=Region(0.1, 0.5), k=2).hits
        with pytest.raises(InvalidQueryError, match="shorter than one sample"):
            service.search(sound_id=ids["kick.wav"], region=Region(0.0, 1e-5))
        with pytest.raises(InvalidQueryError, match="failed to index"):
            service.search(sound_id=ids["broken.wav"], region=Region(0.0, 0.5))
        write_audio(changed, tone(880, 1.5), 22050)
        os.utime(changed, ns=(0, 10**18))
        with pytest.raises(NotFoundError, match="has changed since it was indexed"):
            service.search(sound_id=ids["hat.wav"], region=Region(0.0, 0.5))
        gone.unlink()
        with pytest.raises(NotFoundError, match="is gone") as err:
            service.search(sound_id=ids["tone.wav"], region=Region(0.0, 0.5))
        assert "soundscout index" in (err.value.hint or "")
        loud = root / "loud.wav"  # a float file far past full scale: no finite embedding
        sf.write(loud, np.full(22050, 3e38, np.float32), 22050, subtype="FLOAT")
        with pytest.raises(InvalidQueryError, match="no usable embedding"):
            service.search(audio_path=loud, k=2)
        assert kept.exists()
    finally:
        service.close()


def test_durations_that_are_no_numbers_are_refused() -> None:
    for bad in (float("nan"), -1.0):
        with pytest.raises(InvalidQueryError, match="0 or more"):
            Filters(min_duration=bad)
        with pytest.raises(InvalidQueryError, match="0 or more"):
            Filters(max_duration=bad)


def test_an_export_that_fails_while_writing_leaves_the_earlier_one_whole(
    indexed: SearchService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from soundscout.errors import LibraryError
    from soundscout.search import export as export_module

    out = tmp_path / "export"
    indexed.export(out)
    earlier = {p.name: p.read_bytes() for p in out.iterdir()}

    def full_disk(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("Error: 'ret == (size)' failed: write error: No space left on device")

    monkeypatch.setattr(export_module.faiss, "write_index", full_disk)
    with pytest.raises(LibraryError, match="No space left"):
        indexed.export(out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == earlier  # no staging left

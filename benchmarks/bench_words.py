"""Words search cost: query latency at scale, and what reading tags adds to `index`.

Usage (numbers in BENCHMARKS.md, "Words and sound"):

    PYTHONPATH=. .venv/bin/python benchmarks/bench_words.py query --rows 100000
    PYTHONPATH=. .venv/bin/python benchmarks/bench_words.py query --rows 1000000 --words-only
    PYTHONPATH=. .venv/bin/python benchmarks/bench_words.py query --rows 100000 --foreign
    PYTHONPATH=. .venv/bin/python benchmarks/bench_words.py query --rows 100000 --prefixes
    PYTHONPATH=. .venv/bin/python benchmarks/bench_words.py ingest FOLDER --limit 600

``query`` fills a fresh catalog with ``rows`` indexed sounds whose names are drawn from a
realistic vocabulary (the vendored UCS list's category and subcategory names and the
queries' words as the common core, its synonyms as the long tail;
a third named the UCS way, the rest ``Folder/Sub/word_word_03.wav``; a fifth with a
description tag), with random unit vectors of the builtin model's size, then times
``SearchService.search`` over 40 queries: words only, and words + sound with the builtin
text tower (its text cache cleared before every query, so the embedding is included).

``ingest`` indexes the same audio files twice into fresh libraries, once reading names and
tags (the shipped path) and once with the tag reader replaced by a no-op, alternating the
order over ``--rounds``; one decode worker in-process (``ingest.workers: 0``) so both see
the same CPU.
"""

from __future__ import annotations

import argparse
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import snowballstemmer

import soundscout.search.service as service_module
from soundscout.config import Settings, load_config
from soundscout.metadata.read import EmbeddedMetadata
from soundscout.metadata.ucs import ucs_list
from soundscout.metadata.words import FIELDS
from soundscout.search.service import SearchService

QUERIES = [
    "heavy wooden door slam",
    "door",
    "metal impact",
    "rain on a roof",
    "footsteps gravel",
    "glass break",
    "whoosh fast",
    "explosion distant",
    "expl*",
    "car engine idle",
    "dog bark",
    "bird chirp forest",
    "crowd applause",
    "wind howl",
    "water splash",
    "fire crackle",
    "gun shot",
    "sword swing",
    "ui click",
    "thunder rumble",
    '"wooden door"',
    "impact -metal",
    "ambience city night",
    "creak hinge",
    "laser zap sci-fi",
    "punch body hit",
    "paper rustle",
    "keys jingle",
    "typewriter",
    "bell ring",
    "horse gallop",
    "engine rev motorcycle",
    "scream female",
    "heartbeat",
    "clock tick",
    "crowd murmur restaurant",
    "ocean waves",
    "helicopter flyby",
    "button press",
    "zipper",
]

#: The same kinds of query in other languages (``--foreign``): timed with their words
#: translated to English (``search.translate_words``, the default) and without.
FOREIGN_QUERIES = [
    "portazo de puerta de madera",
    "puerta",
    "impacto metálico",
    "lluvia sobre el tejado",
    "pasos en grava",
    "bris de verre",
    "explosion lointaine",
    "moteur de voiture au ralenti",
    "aboiement de chien",
    "Vogelgezwitscher im Wald",
    "Applaus Publikum",
    "Windheulen",
    "Wasserspritzer",
    "crepitio del fuoco",
    "colpo di pistola",
    "clique de interface",
    "trovão",
    "ドアが閉まる",
    "雨の音",
    "脚步声",
    "玻璃破碎",
    "взрыв вдалеке",
    "скрип двери",
    "сердцебиение",
]


def _vocabulary() -> tuple[list[str], list[str], list[str]]:
    """(core words, all words, CatIDs): the UCS category and subcategory names plus the
    benchmark's query words are the core a library's names mostly use; the synonyms add
    a long tail."""
    core: set[str] = set()
    tail: set[str] = set()
    entries = ucs_list().entries()
    for entry in entries:
        core.update(_split(f"{entry.category} {entry.subcategory}"))
        for synonym in entry.synonyms:
            tail.update(_split(synonym))
    for query in QUERIES:
        core.update(_split(query.replace("*", "")))
    return sorted(core), sorted(core | tail), [e.catid for e in entries]


def _split(text: str) -> list[str]:
    return [w for w in text.lower().replace("-", " ").replace("/", " ").split() if w.isalpha()]


def fill(service: SearchService, rows: int, dim: int, version: str, seed: int = 0) -> None:
    """``rows`` done sounds with names, words and (when ``dim``) random vectors: each
    name word is drawn from the core words (60 %) or from every word (40 %)."""
    rng = random.Random(seed)
    core, vocab, catids = _vocabulary()

    def word() -> str:
        return rng.choice(core) if rng.random() < 0.6 else rng.choice(vocab)

    vectors = np.random.default_rng(seed)
    now = time.time()
    for start in range(0, rows, 20000):
        count = min(20000, rows - start)
        sounds, words = [], []
        for i in range(start, start + count):
            picked = [word() for _ in range(rng.randint(2, 4))]
            folder = f"{word().title()}/{word().title()}"
            if i % 3 == 0:
                name = f"{rng.choice(catids)}_{' '.join(picked).title()}_AB_LIB.wav"
            else:
                name = f"{'_'.join(picked)}_{i % 40:02d}.wav"
            sounds.append((i + 1, f"/lib/{folder}/{i}/{name}", "/lib", now, now, version))
            texts = dict.fromkeys(FIELDS, "")
            texts.update(name=" ".join(picked), folders=folder.replace("/", " ").lower())
            if i % 5 == 0:
                texts["description"] = " ".join(word() for _ in range(8))
            words.append((i + 1, *(texts[f] for f in FIELDS)))
        with service.catalog.transaction() as conn:
            conn.executemany(
                "INSERT INTO sounds (id, path, root, size, mtime_ns, duration, format, status, "
                "added_at, updated_at, encoder_version, words_version) "
                "VALUES (?, ?, ?, 1, 1, 1.0, 'wav', 'done', ?, ?, ?, 1)",
                sounds,
            )
            for table in ("sound_words", "sound_word_forms"):  # as catalog/words.py writes
                conn.executemany(
                    f"INSERT INTO {table} (rowid, {', '.join(FIELDS)}) "
                    f"VALUES (?{', ?' * len(FIELDS)})",
                    words,
                )
            if dim:
                block = vectors.standard_normal((count, dim)).astype(np.float32)
                block /= np.linalg.norm(block, axis=1, keepdims=True)
                conn.executemany(
                    "INSERT INTO embeddings (sound_id, vector) VALUES (?, ?)",
                    [(start + j + 1, block[j].tobytes()) for j in range(count)],
                )
        print(f"  filled {start + count}/{rows}", file=sys.stderr)


def _times(
    service: SearchService, match: str, repeat: int, queries: list[str] = QUERIES
) -> list[float]:
    out = []
    for _ in range(repeat):
        for query in queries:
            service._text_cache.clear()  # the text embedding is part of the cost
            started = time.perf_counter()
            service.search(text=query, match=match, k=20)
            out.append((time.perf_counter() - started) * 1000)
    return out


def _prefix_queries() -> list[str]:
    """Prefixes of the vocabulary's longer words that reach past their Porter stems
    ("creaki*", "explosi*"): FTS5 alone finds none of their words."""
    core, _, _ = _vocabulary()
    stemmer = snowballstemmer.stemmer("porter")
    long_words = [w for w in core if len(w) >= 7 and not stemmer.stemWord(w).startswith(w[:-2])]
    return [f"{w[:-2]}*" for w in long_words[:: max(1, len(long_words) // 24)]][:24]


def _time_prefixes(service: SearchService, repeat: int, words_only: bool) -> None:
    """Prefix queries with the written words looked up (the default) and without."""
    queries = _prefix_queries()
    real = service_module.with_word_forms
    for match in ("words",) if words_only else ("words", "both"):
        for label in ("written words looked up", "FTS5 prefix only"):
            if label != "written words looked up":
                service_module.with_word_forms = lambda catalog, query: query  # type: ignore[assignment]
            try:
                times = _times(service, match, repeat, queries)
                found = sum(bool(service.search(text=q, match="words", k=1).hits) for q in queries)
            finally:
                service_module.with_word_forms = real
            p50, p95 = statistics.median(times), float(np.percentile(times, 95))
            print(
                f"| {match}, prefixes past the stem, {label} | {p50:.1f} | {p95:.1f} | "
                f"{len(times)} ({found}/{len(queries)} find a sound) |"
            )


def bench_query(
    rows: int, repeat: int, words_only: bool, foreign: bool = False, prefixes: bool = False
) -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-words-"))
    try:

        def settings(**more: object) -> Settings:
            base = {"library.path": str(folder), "encoder.name": "builtin", **more}
            return load_config(overrides=base, environ={}).settings

        service = SearchService(settings())
        encoder = service.encoder
        started = time.perf_counter()
        fill(service, rows, 0 if words_only else encoder.dim, encoder.version)
        print(f"  filled in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        if not words_only:
            service.sync_index()
        service.search(text="warm up", match="words" if words_only else "both")
        print(f"\n{rows:,} sounds ({platform.node()}, {platform.processor() or 'cpu'}):\n")
        print("| query | p50 ms | p95 ms | queries |")
        print("|---|---|---|---|")
        for match in ("words",) if words_only else ("words", "both", "sound"):
            times = _times(service, match, repeat)
            p95 = float(np.percentile(times, 95))
            print(f"| {match} | {statistics.median(times):.1f} | {p95:.1f} | {len(times)} |")
        if prefixes:
            _time_prefixes(service, repeat, words_only)
        if foreign:
            plain = SearchService(settings(**{"search.translate_words": False}))
            for match in ("words",) if words_only else ("words", "both"):
                for name, svc in (("translated", service), ("not translated", plain)):
                    times = _times(svc, match, repeat, FOREIGN_QUERIES)
                    p50, p95 = statistics.median(times), float(np.percentile(times, 95))
                    label = f"{match}, other languages, {name}"
                    print(f"| {label} | {p50:.1f} | {p95:.1f} | {len(times)} |")
            plain.close()
        service.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _index_once(files: Path, read_tags: bool) -> float:
    import soundscout.ingest.stages as stages

    real = stages.read_embedded
    if not read_tags:
        stages.read_embedded = lambda path: EmbeddedMetadata({}, ())  # type: ignore[assignment]
    library = Path(tempfile.mkdtemp(prefix="bench-words-lib-"))
    try:
        settings = load_config(
            overrides={"library.path": str(library), "ingest.workers": 0}, environ={}
        ).settings
        service = SearchService(settings)
        service.encoder.encode_text("warm up")
        started = time.perf_counter()
        service.index_folder(files, progress=False)
        seconds = time.perf_counter() - started
        service.close()
        return seconds
    finally:
        stages.read_embedded = real
        shutil.rmtree(library, ignore_errors=True)


def bench_ingest(folder: Path, limit: int, rounds: int) -> None:
    files = Path(tempfile.mkdtemp(prefix="bench-words-files-"))
    try:
        sources = sorted(p for p in folder.rglob("*") if p.is_file())[:limit]
        for i, path in enumerate(sources):
            target = files / path.relative_to(folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            del i
        results: dict[bool, list[float]] = {True: [], False: []}
        for r in range(rounds):
            for read_tags in (r % 2 == 0, r % 2 != 0):
                results[read_tags].append(_index_once(files, read_tags))
        with_tags, without = statistics.median(results[True]), statistics.median(results[False])
        print(f"\n{len(sources)} files from {folder} ({platform.node()}), {rounds} rounds:\n")
        print("| index run | median s | files/s |")
        print("|---|---|---|")
        for label, value in (("names + tags read", with_tags), ("tag reader off", without)):
            print(f"| {label} | {value:.2f} | {len(sources) / value:.0f} |")
        print(f"\nreading names and tags adds {100 * (with_tags / without - 1):+.1f} %")
    finally:
        shutil.rmtree(files, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    query = sub.add_parser("query")
    query.add_argument("--rows", type=int, default=100_000)
    query.add_argument("--repeat", type=int, default=3)
    query.add_argument("--words-only", action="store_true")
    query.add_argument(
        "--foreign", action="store_true", help="also queries in other languages, translated or not"
    )
    query.add_argument(
        "--prefixes", action="store_true", help="also prefixes past a word's stem ('creaki*')"
    )
    ingest = sub.add_parser("ingest")
    ingest.add_argument("folder", type=Path)
    ingest.add_argument("--limit", type=int, default=600)
    ingest.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    if args.what == "query":
        bench_query(args.rows, args.repeat, args.words_only, args.foreign, args.prefixes)
    else:
        bench_ingest(args.folder, args.limit, args.rounds)


if __name__ == "__main__":
    main()

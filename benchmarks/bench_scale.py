"""The search side at 10^4-10^6 sounds: exact vs ANN, filters, catalog, server, text query.

Usage (each step appends JSON lines to WORK/results.jsonl; ``report`` renders Markdown):

    python benchmarks/bench_scale.py data    --sizes 10000 100000 1000000 --dims 768 384
    python benchmarks/bench_scale.py ann     --sizes ... --dims ... [--kinds flat ivf ...]
    python benchmarks/bench_scale.py filters --sizes ... --dims 768
    python benchmarks/bench_scale.py catalog --rows 1000000
    python benchmarks/bench_scale.py server  --rows 1000000 --dim 768 --storage fp16
    python benchmarks/bench_scale.py text    --rows 100000
    python benchmarks/bench_scale.py report  --out docs/_bench_scale.md

Vectors are synthetic unit vectors of two kinds: ``random`` (uniform on the sphere: no
neighbourhood structure, the worst case for any ANN index) and ``clustered`` (a mixture of
1000 Gaussian clusters of Zipf-distributed sizes with a 32-dimensional spread plus isotropic
noise, renormalised: closer to real embeddings). Every index build runs in a child process
so that its peak memory is its own (``VmHWM`` reset through ``/proc/self/clear_refs``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

WORK = Path(os.environ.get("BENCH_SCALE_WORK", "/tmp/soundscout-bench-scale"))
NQ = 300  # queries for recall and batched throughput
NQ_LATENCY = 200  # single queries timed one by one
K = 10
CHUNK = 50_000
N_CLUSTERS, SPREAD_RANK, SPREAD, NOISE = 1000, 32, 0.6, 0.25
NPROBES = (4, 8, 16, 32, 64, 128, 256)
EF_SEARCH = (16, 32, 64, 128, 256)


# -- synthetic data -------------------------------------------------------------------------


def _unit(x: np.ndarray) -> np.ndarray:
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


def _structure(dim: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1234 + dim)
    centers = _unit(rng.standard_normal((N_CLUSTERS, dim), dtype=np.float32))
    basis = np.linalg.qr(rng.standard_normal((dim, SPREAD_RANK)))[0].astype(np.float32)
    weights = 1.0 / np.arange(1, N_CLUSTERS + 1) ** 0.7
    return centers, basis, weights / weights.sum()


def generate(dist: str, dim: int, rows: int, seed: int) -> np.ndarray:
    """``rows`` unit vectors; chunk i depends only on (seed, i), so prefixes are stable."""
    out = np.empty((rows, dim), dtype=np.float32)
    structure = _structure(dim) if dist == "clustered" else None
    for start in range(0, rows, CHUNK):
        rng = np.random.default_rng([seed, start // CHUNK])
        n = min(CHUNK, rows - start)
        if structure is None:
            block = rng.standard_normal((n, dim), dtype=np.float32)
        else:
            centers, basis, weights = structure
            labels = rng.choice(N_CLUSTERS, size=n, p=weights)
            spread = rng.standard_normal((n, SPREAD_RANK), dtype=np.float32) @ basis.T
            noise = rng.standard_normal((n, dim), dtype=np.float32)
            block = centers[labels] + SPREAD * spread / math.sqrt(SPREAD_RANK)
            block += NOISE * noise / math.sqrt(dim)
        out[start : start + n] = _unit(block)
    return out


def data_dir(dist: str, dim: int) -> Path:
    return WORK / "data" / f"{dist}-{dim}"


def ensure_data(dist: str, dim: int, sizes: list[int]) -> None:
    """Base vectors for the largest size, queries, and exact top-K for every size."""
    import faiss

    folder = data_dir(dist, dim)
    folder.mkdir(parents=True, exist_ok=True)
    base_file, top = folder / "base.npy", max(sizes)
    if not base_file.exists() or np.load(base_file, mmap_mode="r").shape[0] < top:
        np.save(base_file, generate(dist, dim, top, seed=1))
    queries = generate(dist, dim, NQ, seed=2)
    np.save(folder / "queries.npy", queries)
    for n in sizes:
        gt_file = folder / f"gt-{n}.npy"
        if gt_file.exists():
            continue
        flat = faiss.IndexFlatIP(dim)
        flat.add(load_base(dist, dim, n))
        np.save(gt_file, flat.search(queries, K)[1])
        del flat


def load_base(dist: str, dim: int, n: int) -> np.ndarray:
    return np.array(np.load(data_dir(dist, dim) / "base.npy", mmap_mode="r")[:n])


# -- measuring --------------------------------------------------------------------------------


def rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak() -> None:
    with contextlib.suppress(OSError):  # not allowed everywhere: then VmHWM is since start
        Path("/proc/self/clear_refs").write_text("5")


def recall(found: np.ndarray, truth: np.ndarray, k: int = K) -> float:
    hits = [
        len(set(f[:k][f[:k] >= 0]) & set(t[:k][t[:k] >= 0]))
        for f, t in zip(found, truth, strict=True)
    ]
    wanted = [min(k, int((t[:k] >= 0).sum())) for t in truth]
    return float(sum(hits) / max(1, sum(wanted)))


def latencies(search: Callable[[np.ndarray], Any], queries: np.ndarray) -> tuple[float, float]:
    """p50 and p99 in ms of one-query searches."""
    times = []
    for q in queries:
        started = time.perf_counter()
        search(q[None, :])
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return times[len(times) // 2], times[min(len(times) - 1, int(0.99 * len(times)))]


def throughput(search: Callable[[np.ndarray], Any], queries: np.ndarray) -> float:
    started = time.perf_counter()
    search(queries)
    return len(queries) / (time.perf_counter() - started)


#: Steps run in this process append their records to WORK/results.jsonl themselves.
SAVE_HERE = False


def emit(record: dict[str, Any]) -> None:
    record.setdefault("load", round(os.getloadavg()[0], 1))
    print(json.dumps(record), flush=True)
    if SAVE_HERE:
        with (WORK / "results.jsonl").open("a") as handle:
            handle.write(json.dumps(record) + "\n")


# -- index builds (run in a child: ``case``) ----------------------------------------------------


def build(kind: str, dim: int, vectors: np.ndarray) -> tuple[Any, dict[str, Any]]:
    """Build one index kind the way Soundscout does (or would); return it and its settings."""
    import faiss

    from soundscout.index.faiss_index import IndexParams, VectorIndex

    ids = np.arange(1, len(vectors) + 1, dtype=np.int64)  # catalog ids start at 1
    if kind == "flat":
        return VectorIndex.build(dim, ids, vectors, IndexParams(ann_threshold=10**12)), {}
    if kind in ("ivf", "ivf_fp16", "ivf_sq8"):
        storage = {"ivf": "flat", "ivf_fp16": "fp16", "ivf_sq8": "sq8"}[kind]
        params = IndexParams(ann_threshold=1, ivf_storage=storage)
        index = VectorIndex.build(dim, ids, vectors, params)
        return index, {"nlist": index.params["nlist"]}
    if kind == "hnsw":
        hnsw = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = 80
        index = faiss.IndexIDMap2(hnsw)
        index.add_with_ids(vectors, ids)
        return index, {"M": 32, "efConstruction": 80}
    if kind == "ivf_pq":  # same coarse training as Soundscout's IVF; PQ codes of dim/8 bytes
        from soundscout.index.faiss_index import TRAIN_ITERATIONS, TRAIN_POINTS_PER_LIST

        nlist = max(16, int(4 * math.sqrt(len(vectors))))
        index = faiss.index_factory(dim, f"IVF{nlist},PQ{dim // 8}", faiss.METRIC_INNER_PRODUCT)
        ivf = faiss.extract_index_ivf(index)
        ivf.cp.niter, ivf.cp.max_points_per_centroid = TRAIN_ITERATIONS, TRAIN_POINTS_PER_LIST
        size = min(len(vectors), TRAIN_POINTS_PER_LIST * nlist)
        index.train(vectors[np.random.default_rng(0).choice(len(vectors), size, False)])
        index.add_with_ids(vectors, ids)
        return index, {"nlist": nlist, "pq_bytes": dim // 8}
    raise ValueError(kind)


def sweep(kind: str, index: Any) -> Iterator[tuple[dict[str, Any], Callable[[np.ndarray], Any]]]:
    """Search settings to try for this kind, with a search function for each."""
    import faiss

    from soundscout.index.faiss_index import VectorIndex

    if isinstance(index, VectorIndex) and not index.is_ivf:
        yield {}, lambda q: index.search(q, K)
        return
    if isinstance(index, VectorIndex):
        tuned = index.params.get("nprobe")
        for nprobe in sorted({*NPROBES, tuned} - {None}):
            if nprobe > index.params["nlist"]:
                break
            params = faiss.SearchParametersIVF(nprobe=nprobe)
            setting = {"nprobe": nprobe, "tuned": nprobe == tuned}
            yield setting, lambda q, p=params: index._index.search(q, K, params=p)
        return
    if kind == "hnsw":
        for ef in EF_SEARCH:
            params = faiss.SearchParametersHNSW(efSearch=ef)
            yield {"efSearch": ef}, lambda q, p=params: index.search(q, K, params=p)
        return
    ivf = faiss.extract_index_ivf(index)
    for nprobe in NPROBES:
        if nprobe > ivf.nlist:
            break
        params = faiss.SearchParametersIVF(nprobe=nprobe)
        yield {"nprobe": nprobe}, lambda q, p=params: index.search(q, K, params=p)


def saved_index(kind: str, dist: str, dim: int, n: int) -> Path:
    return WORK / "index" / f"{kind}-{dist}-{dim}-{n}.faiss"


def load_built(kind: str, dist: str, dim: int, n: int) -> Any:
    """The IVF index saved by the ``ann`` step (or a fresh build of anything else)."""
    import faiss

    from soundscout.index.faiss_index import VectorIndex

    path = saved_index(kind, dist, dim, n)
    if not path.exists():
        return build(kind, dim, load_base(dist, dim, n))[0]
    raw = faiss.read_index(str(path))
    ivf = faiss.extract_index_ivf(raw)  # nprobe as tuned at build time
    return VectorIndex(raw, kind, {"nlist": ivf.nlist, "nprobe": ivf.nprobe})


def run_case(kind: str, dist: str, dim: int, n: int) -> None:
    """Child process: build one index, then time and score every search setting."""
    import faiss

    vectors = load_base(dist, dim, n)
    folder = data_dir(dist, dim)
    queries, truth = np.load(folder / "queries.npy"), np.load(folder / f"gt-{n}.npy") + 1
    before = rss_mb()
    reset_peak()
    started = time.perf_counter()
    index, settings = build(kind, dim, vectors)
    build_s = time.perf_counter() - started
    peak, after = rss_mb("VmHWM") - before, rss_mb() - before
    del vectors
    if kind.startswith("ivf") and kind != "ivf_pq":
        saved_index(kind, dist, dim, n).parent.mkdir(parents=True, exist_ok=True)
        faiss.write_index(index._index, str(saved_index(kind, dist, dim, n)))
    base = dict(
        section="ann",
        kind=kind,
        dist=dist,
        dim=dim,
        n=n,
        build_s=round(build_s, 2),
        peak_mb=round(peak),
        index_mb=round(after),
        **settings,
    )
    threads = faiss.omp_get_max_threads()
    lat_queries = queries[: NQ_LATENCY if n < 10**6 or kind != "flat" else 60]
    for setting, search in sweep(kind, index):
        found = search(queries)[1]
        qps = throughput(search, queries)
        faiss.omp_set_num_threads(1)
        p50, p99 = latencies(search, lat_queries)
        faiss.omp_set_num_threads(threads)
        p50_all, _ = latencies(search, lat_queries[:50])
        emit(
            {
                **base,
                **setting,
                "recall": round(recall(found, truth), 4),
                "p50_ms": round(p50, 3),
                "p99_ms": round(p99, 3),
                "p50_ms_all_threads": round(p50_all, 3),
                "qps_batch": round(qps),
            }
        )


def child(args: list[str], timeout: float = 3600) -> list[dict[str, Any]]:
    """Run this script in a child process; collect its JSON lines."""
    proc = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, timeout=timeout
    )
    if proc.returncode != 0:
        print(proc.stderr[-3000:], file=sys.stderr)
    records = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    return records


def save(records: list[dict[str, Any]]) -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    with (WORK / "results.jsonl").open("a") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")
            print(record, flush=True)


# -- filtered search (child: ``filter-case``) ------------------------------------------------


FRACTIONS = (0.01, 0.10, 0.50)


def filter_methods(index: Any) -> dict[str, Callable[[np.ndarray, np.ndarray], Any]]:
    """Ways to search only among ``allowed`` ids: pre-filter (two selector kinds), post-filter."""
    import faiss

    def prefilter(q: np.ndarray, allowed: np.ndarray) -> Any:  # Soundscout 0.1's way
        selector = faiss.IDSelectorBatch(allowed)
        if index.is_ivf:
            fraction = max(len(allowed) / index.count, 1e-6)
            nprobe = min(index.params["nlist"], int(index.params["nprobe"] / math.sqrt(fraction)))
            params = faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)
        else:
            params = faiss.SearchParameters(sel=selector)
        return index._index.search(q, K, params=params)

    def production(q: np.ndarray, allowed: np.ndarray) -> Any:  # VectorIndex.search as it is
        return index.search(q, K, allowed_ids=allowed)

    def bitmap_selector(allowed: np.ndarray) -> tuple[Any, np.ndarray]:
        bits = np.zeros(int(allowed.max()) + 1, dtype=bool)
        bits[allowed] = True
        packed = np.packbits(bits, bitorder="little")
        return faiss.IDSelectorBitmap(len(packed), faiss.swig_ptr(packed)), packed

    def bitmap_search(q: np.ndarray, allowed: np.ndarray, scale: Callable[[float], float]) -> Any:
        selector, _packed = bitmap_selector(allowed)  # _packed must outlive the search
        if index.is_ivf:
            fraction = max(len(allowed) / index.count, 1e-6)
            nprobe = min(index.params["nlist"], math.ceil(index.params["nprobe"] * scale(fraction)))
            params = faiss.SearchParametersIVF(sel=selector, nprobe=nprobe)
        else:
            params = faiss.SearchParameters(sel=selector)
        return index._index.search(q, K, params=params)

    def prefilter_bitmap(q: np.ndarray, allowed: np.ndarray) -> Any:
        return bitmap_search(q, allowed, lambda f: 1 / math.sqrt(f))

    def prefilter_bitmap_linear(q: np.ndarray, allowed: np.ndarray) -> Any:
        return bitmap_search(q, allowed, lambda f: 1 / f)

    def postfilter(q: np.ndarray, allowed: np.ndarray) -> Any:
        fraction = len(allowed) / index.count
        fetch = min(index.count, max(4 * K, math.ceil(2 * K / fraction)))
        scores, ids = index.search(q, fetch)
        keep = np.isin(ids[0], allowed)
        found = ids[0][keep][:K]
        return scores[:, :K], np.pad(found, (0, K - len(found)), constant_values=-1)[None, :]

    methods = {
        "prefilter (id batch, nprobe/sqrt(f))": prefilter,
        "prefilter (bitmap, nprobe/sqrt(f))": prefilter_bitmap,
        "prefilter (bitmap, nprobe/f)": prefilter_bitmap_linear,
        "postfilter (over-fetch 2k/f)": postfilter,
        "VectorIndex.search (this version)": production,
    }
    if not index.is_ivf:  # the nprobe scaling means nothing for an exact index
        del methods["prefilter (bitmap, nprobe/f)"]
    return methods


def run_filter_case(kind: str, dist: str, dim: int, n: int) -> None:
    """Child process: one index, every filter method at every selectivity."""
    import faiss

    vectors = load_base(dist, dim, n)
    queries = np.load(data_dir(dist, dim) / "queries.npy")[:100]
    index = load_built(kind, dist, dim, n)
    settings = {"nlist": index.params["nlist"]} if index.is_ivf else {}
    faiss.omp_set_num_threads(1)
    rng = np.random.default_rng(7)
    for fraction in FRACTIONS:
        allowed = np.sort(rng.choice(n, int(fraction * n), replace=False)).astype(np.int64) + 1
        exact = faiss.IndexFlatIP(dim)
        exact.add(vectors[allowed - 1])
        truth = allowed[exact.search(queries, K)[1]]
        del exact
        for method, search in filter_methods(index).items():
            found = np.concatenate([search(q[None, :], allowed)[1] for q in queries])
            p50, p99 = latencies(lambda q, s=search, a=allowed: s(q, a), queries)
            emit(
                {
                    "section": "filters",
                    "kind": index.index_type,
                    "dist": dist,
                    "dim": dim,
                    "n": n,
                    "fraction": fraction,
                    "method": method,
                    **settings,
                    "nprobe": index.params.get("nprobe"),
                    "recall": round(recall(found, truth), 4),
                    "p50_ms": round(p50, 3),
                    "p99_ms": round(p99, 3),
                }
            )


# -- the catalog at 10^6 rows ------------------------------------------------------------------


TOP_DIRS, SUB_DIRS = 10, 100
FORMATS = (("wav", 0.50), ("flac", 0.39), ("mp3", 0.10), ("ogg", 0.01))


def make_tree(root: Path, rows: int) -> float:
    """``rows`` empty .wav files in TOP_DIRS x SUB_DIRS folders; return seconds taken."""
    started = time.perf_counter()
    per_dir = math.ceil(rows / (TOP_DIRS * SUB_DIRS))
    made = 0
    for t in range(TOP_DIRS):
        for s in range(SUB_DIRS):
            folder = root / f"t{t}" / f"s{s:02d}"
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(min(per_dir, rows - made)):
                os.close(os.open(folder / f"n{i:04d}.wav", os.O_CREAT | os.O_WRONLY, 0o644))
            made += min(per_dir, rows - made)
    return time.perf_counter() - started


def timed(label: str, fn: Callable[[], Any], extra: dict[str, Any] | None = None) -> Any:
    started = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - started
    emit({"section": "catalog", "step": label, "seconds": round(seconds, 3), **(extra or {})})
    return value


class BenchEncoder:
    """Stands in for a model where only its identity and text vectors are needed."""

    def __new__(cls, dim: int, version: str) -> Any:
        from soundscout.encoders.base import Encoder

        class _Bench(Encoder):
            name, sample_rate = "bench", 16000

            def _embed_waveforms(self, waveforms: list[np.ndarray]) -> np.ndarray:
                raise NotImplementedError

            def _embed_texts(self, texts: list[str]) -> np.ndarray:
                seeds = [abs(hash(t)) % (2**32) for t in texts]
                rows = [np.random.default_rng(s).standard_normal(self.dim) for s in seeds]
                return np.asarray(rows, dtype=np.float32)

        encoder = _Bench()
        encoder.dim, encoder.version = dim, version
        return encoder


def fill_catalog(library: Path, tree: Path, version: str) -> None:
    """Catalogue the tree (scan + plan + apply), then mark every row done with metadata."""
    from soundscout.catalog.catalog import Catalog
    from soundscout.ingest.scan import plan_scan, scan_folder

    catalog = Catalog(library)
    entries = timed("first scan: scan_folder", lambda: scan_folder(tree, [".wav"]))
    plan = timed("first scan: plan_scan", lambda: plan_scan(catalog.rows_under(str(tree)), entries))
    timed(
        "first scan: apply_scan (insert)",
        lambda: catalog.apply_scan(str(tree), plan.new, plan.changed, plan.moved, plan.deleted),
    )
    cases = " ".join(
        f"WHEN (id * 7919) % 100 < {int(100 * sum(p for _, p in FORMATS[: i + 1]))} THEN '{f}'"
        for i, (f, _) in enumerate(FORMATS)
    )
    with catalog.transaction() as conn:
        conn.execute(
            "UPDATE sounds SET status = 'done', encoder_version = ?, embedded_at = 1.0, "
            "duration = ((id * 2654435761) % 600000) / 1000.0, sample_rate = 44100, "
            f"channels = 2, format = CASE {cases} ELSE 'wav' END",
            (version,),
        )
        catalog._next_revision(conn)
    catalog.close()


def catalog_section(rows: int) -> None:
    from soundscout.catalog.catalog import Catalog
    from soundscout.config import IngestSettings
    from soundscout.ingest.runner import run_ingest
    from soundscout.ingest.scan import plan_scan, scan_folder

    tree, library = WORK / "tree", WORK / "catalog-lib"
    if not (tree / "t0").exists():
        emit(
            {
                "section": "catalog",
                "step": "make tree of empty files",
                "seconds": round(make_tree(tree, rows), 1),
                "rows": rows,
            }
        )
    if not (library / "catalog.sqlite").exists():
        fill_catalog(library, tree, "bench-768")
    catalog = Catalog(library)
    timed("status: counts()", catalog.counts)
    timed("status: encoder_versions()", catalog.encoder_versions)
    timed("status: failures(10)", lambda: catalog.failures(10))
    for label, filters in catalog_filters(str(tree)).items():
        ids = timed(f"filter_ids: {label}", lambda f=filters: catalog.filter_ids(f))
        emit({"section": "catalog", "step": f"selected by {label}", "rows": len(ids)})
    known = timed("re-scan: rows_under", lambda: catalog.rows_under(str(tree)))
    found = timed("re-scan: scan_folder", lambda: scan_folder(tree, [".wav"]))
    plan = timed("re-scan: plan_scan", lambda: plan_scan(known, found))  # noqa: F821
    assert plan.unchanged == rows, plan
    del known, found, plan
    settings = IngestSettings(extensions=[".wav"])
    reset_peak()
    before = rss_mb()
    report = timed(
        "re-scan: run_ingest (unchanged tree, end to end)",
        lambda: run_ingest(catalog, BenchEncoder(768, "bench-768"), tree, settings, progress=False),
    )
    emit(
        {
            "section": "catalog",
            "step": "re-scan: peak memory",
            "peak_mb": round(rss_mb("VmHWM") - before),
            "unchanged": report.unchanged,
            "ok": report.ok,
        }
    )
    catalog.close()


def catalog_filters(tree: str) -> dict[str, Any]:
    from soundscout.search.query import Filters

    return {
        "duration <= 6 s (1 %)": Filters(max_duration=6.0),
        "duration <= 60 s (10 %)": Filters(max_duration=60.0),
        "duration <= 300 s (50 %)": Filters(max_duration=300.0),
        "format ogg (1 %)": Filters(formats=("ogg",)),
        "format mp3 (10 %)": Filters(formats=("mp3",)),
        "format wav (50 %)": Filters(formats=("wav",)),
        "folder t3/s05 (0.1 %)": Filters(folder="t3/s05"),
        "folder t3 (10 %)": Filters(folder="t3"),
        "folder absolute t3 (10 %)": Filters(folder=f"{tree}/t3"),
        "duration <= 60 s + format wav (5 %)": Filters(max_duration=60.0, formats=("wav",)),
    }


# -- server: start-up to first answer and RSS at 10^6 vectors --------------------------------


def install_index(library: Path, kind: str, dist: str, dim: int, rows: int) -> None:
    """Put the ``ann`` step's index for ``rows`` vectors into the library, matching its catalog."""
    from soundscout.catalog.catalog import Catalog
    from soundscout.index.manifest import Manifest
    from soundscout.search.service import INDEX_DIRNAME

    catalog = Catalog(library)
    with catalog.transaction() as conn:
        conn.execute("UPDATE sounds SET encoder_version = ?", (f"bench-{dim}",))
        catalog._next_revision(conn)
    index = load_built(kind, dist, dim, rows)
    assert index.count == catalog.counts()["done"] == rows
    manifest = Manifest(
        "bench",
        f"bench-{dim}",
        dim,
        index.count,
        catalog.revision,
        index.index_type,
        dict(index.params),
    )
    index.save(library / INDEX_DIRNAME, manifest)
    catalog.close()


def serve_probe(library: str, port: int, dim: int) -> None:
    """Child process: the real app over the library, with a stand-in text encoder."""
    import uvicorn

    from soundscout.api.app import create_app
    from soundscout.config import load_config
    from soundscout.search.service import SearchService

    settings = load_config(overrides={"library.path": library}, environ={}).settings
    encoder = BenchEncoder(dim, f"bench-{dim}")
    weights = os.environ.get("BENCH_CLAMP3_WEIGHTS")
    if weights:  # the real clamp3 model in memory (any weights: only its size matters here)
        from soundscout.encoders.registry import create_encoder

        encoder = create_encoder("clamp3", weights=weights, device="cpu")
        encoder.name, encoder.version = "bench", f"bench-{dim}"  # the synthetic catalog
    service = SearchService(settings, encoder=encoder)
    uvicorn.run(create_app(settings, service), host="127.0.0.1", port=port, log_level="warning")


def proc_status(pid: int) -> dict[str, float]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


def server_section(rows: int, dim: int, kind: str) -> None:
    import httpx

    library, port = WORK / "catalog-lib", 8765
    install_index(library, kind, "clustered", dim, rows)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "serve-probe", str(library), str(port), str(dim)]
    )
    url = f"http://127.0.0.1:{port}/api/search"
    try:
        with httpx.Client(timeout=60) as client:
            first = _first_answer(client, url, proc, started)
            times = []
            for i in range(200):
                t = time.perf_counter()
                client.get(url, params={"q": f"probe {i}", "k": 10}).raise_for_status()
                times.append((time.perf_counter() - t) * 1000)
            filtered = []
            for i in range(50):
                t = time.perf_counter()
                client.get(url, params={"q": f"f {i}", "k": 10, "format": "mp3"}).raise_for_status()
                filtered.append((time.perf_counter() - t) * 1000)
        times.sort()
        filtered.sort()
        emit(
            {
                "section": "server",
                "model": "clamp3" if os.environ.get("BENCH_CLAMP3_WEIGHTS") else "none",
                "kind": kind,
                "dim": dim,
                "n": rows,
                "first_answer_s": round(first, 2),
                "http_p50_ms": round(times[100], 2),
                "http_p99_ms": round(times[197], 2),
                "http_filtered_p50_ms": round(filtered[25], 2),
                **{k: round(v) for k, v in proc_status(proc.pid).items()},
            }
        )
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def _first_answer(client: Any, url: str, proc: subprocess.Popen, started: float) -> float:
    import httpx

    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the server exited")
        try:
            response = client.get(url, params={"q": "first"})
            if response.status_code == 200:
                return time.perf_counter() - started
            if response.status_code != 503:
                raise RuntimeError(f"the server answered {response.status_code}: {response.text}")
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError("no answer within 600 s")


# -- text query end to end on the builtin model's text tower -----------------------------------


class MiniLMText:
    """The builtin encoder's text tower (all-MiniLM-L6-v2) behind the Encoder contract."""

    def __new__(cls) -> Any:
        from soundscout.encoders.base import Encoder
        from soundscout.encoders.builtin import load_text_tower

        class _Text(Encoder):
            name, version, dim, sample_rate = "builtin-text", "bench-384", 384, 16000
            model = load_text_tower("cpu")

            def _embed_waveforms(self, waveforms: list[np.ndarray]) -> np.ndarray:
                raise NotImplementedError

            def _embed_texts(self, texts: list[str]) -> np.ndarray:
                return self.model.encode(texts, convert_to_numpy=True)

        return _Text()


def text_library(rows: int, kind: str) -> Path:
    """A library of ``rows`` catalogued sounds (no files) with a 384-d index."""
    from soundscout.catalog.catalog import Catalog, FileEntry
    from soundscout.index.manifest import Manifest
    from soundscout.search.service import INDEX_DIRNAME

    library = WORK / f"text-lib-{rows}"
    if (library / INDEX_DIRNAME / "CURRENT").exists():
        return library
    catalog = Catalog(library)
    entries = [FileEntry(f"/lib/t{i % 10}/s{i:07d}.wav", 1, 1) for i in range(rows)]
    catalog.apply_scan("/lib", entries, [], [], [])
    with catalog.transaction() as conn:
        conn.execute(
            "UPDATE sounds SET status = 'done', encoder_version = 'bench-384', "
            "duration = (id % 600), format = 'wav', sample_rate = 44100, channels = 1"
        )
        catalog._next_revision(conn)
    index = load_built(kind, "clustered", 384, rows)
    manifest = Manifest(
        "builtin-text",
        "bench-384",
        384,
        index.count,
        catalog.revision,
        index.index_type,
        dict(index.params),
    )
    index.save(library / INDEX_DIRNAME, manifest)
    catalog.close()
    return library


def text_section(rows: int, kind: str) -> None:
    import torch

    from soundscout.config import load_config
    from soundscout.search.service import SearchService

    library = text_library(rows, kind)
    settings = load_config(overrides={"library.path": str(library)}, environ={}).settings
    encoder = MiniLMText()
    service = SearchService(settings, encoder=encoder)
    service.search(text="warm up")
    words = ["kick", "snare", "rain", "door", "creak", "synth", "pad", "dog", "glass", "wind"]
    default_threads = torch.get_num_threads()
    for threads in (default_threads, 1):
        torch.set_num_threads(threads)
        texts = [f"{words[i % 10]} {words[(i // 10) % 10]} take {i} t{threads}" for i in range(200)]
        enc = sorted(_ms(lambda t=t: encoder.encode_text(t + " x")) for t in texts)
        e2e = sorted(_ms(lambda t=t: service.search(text=t, k=10)) for t in texts)
        emit(
            {
                "section": "text",
                "n": rows,
                "kind": kind,
                "torch_threads": threads,
                "encode_p50_ms": round(enc[100], 2),
                "e2e_p50_ms": round(e2e[100], 2),
                "e2e_p99_ms": round(e2e[197], 2),
            }
        )
    service.close()


def _ms(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


# -- report ------------------------------------------------------------------------------------


def _best(rows: list[dict[str, Any]], target: float = 0.95) -> dict[str, Any]:
    """The fastest setting reaching ``target`` recall, else the most accurate one."""
    good = [r for r in rows if r["recall"] >= target]
    return min(good, key=lambda r: r["p50_ms"]) if good else max(rows, key=lambda r: r["recall"])


def _setting(r: dict[str, Any]) -> str:
    parts = [f"{k}={r[k]}" for k in ("nlist", "nprobe", "M", "efSearch", "pq_bytes") if k in r]
    return " ".join(parts) or "-"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


def report(out: Path) -> None:
    records = [json.loads(line) for line in (WORK / "results.jsonl").read_text().splitlines()]
    lines = [machine_line(records), ""]
    lines += ann_tables([r for r in records if r["section"] == "ann"])
    lines += filter_table([r for r in records if r["section"] == "filters"])
    lines += catalog_table([r for r in records if r["section"] == "catalog"])
    lines += server_tables(records)
    out.write_text("\n".join(lines) + "\n")
    print(out.read_text())


def machine_line(records: list[dict[str, Any]]) -> str:
    import faiss

    loads = [r["load"] for r in records if "load" in r]
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"Machine: {_cpu_name()}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, "
        f"Python {platform.python_version()}, faiss {faiss.__version__}, numpy "
        f"{np.__version__}. The machine was shared: 1-minute load average during the runs "
        f"{min(loads, default=0):.1f}-{max(loads, default=0):.1f} on {os.cpu_count()} cores."
    )


def _cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


ANN_HEADER = [
    "vectors",
    "dim",
    "n",
    "index",
    "setting",
    "build s",
    "build peak MB",
    "index MB",
    "recall@10",
    "p50 ms",
    "p99 ms",
    "p50 ms (all threads)",
    "batch q/s",
    "load",
]


def _ann_row(r: dict[str, Any]) -> list[Any]:
    return [
        r["dist"],
        r["dim"],
        f"{r['n']:,}",
        r["kind"],
        _setting(r),
        r["build_s"],
        r["peak_mb"],
        r["index_mb"],
        r["recall"],
        r["p50_ms"],
        r["p99_ms"],
        r["p50_ms_all_threads"],
        r["qps_batch"],
        r.get("load", ""),
    ]


def _latest(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per (data, size, index, setting): the last one measured."""
    keyed = {(r["dist"], r["dim"], r["n"], r["kind"], _setting(r)): r for r in records}
    return list(keyed.values())


def ann_tables(records: list[dict[str, Any]]) -> list[str]:
    from soundscout.index.faiss_index import IndexParams

    records = _latest(records)
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for r in records:
        groups.setdefault((r["dist"], r["dim"], r["n"], r["kind"]), []).append(r)
    threshold = IndexParams().ann_threshold
    chosen = [  # the exact index at every size, for comparison, and what is built above
        r
        for r in records
        if r["kind"] == "flat"
        or (r["kind"] == "ivf_fp16" and r.get("tuned") and r["n"] >= threshold)
    ]
    key = lambda r: (r["dist"], -r["dim"], r["n"], r["kind"], r.get("nprobe") or 0)  # noqa: E731
    best = [_best(runs) for _, runs in sorted(groups.items())]
    sweep = sorted(
        (
            r
            for r in records
            if r["dim"] == 768 and len(groups[(r["dist"], r["dim"], r["n"], r["kind"])]) > 1
        ),
        key=key,
    )
    return [
        "### What Soundscout builds (exact below the threshold, IVF-fp16 with tuned nprobe "
        "above), against exact search",
        "",
        *_table(ANN_HEADER, [_ann_row(r) for r in sorted(chosen, key=key)]),
        "",
        "### Every candidate: its fastest setting with recall@10 >= 0.95 (else its best recall)",
        "",
        *_table(ANN_HEADER, [_ann_row(r) for r in sorted(best, key=key)]),
        "",
        "### Every setting measured (768-d)",
        "",
        *_table(ANN_HEADER, [_ann_row(r) for r in sweep]),
        "",
    ]


def filter_table(records: list[dict[str, Any]]) -> list[str]:
    rows = [
        [
            r["dist"],
            r["dim"],
            f"{r['n']:,}",
            r["kind"],
            r.get("nprobe") or "-",
            f"{r['fraction']:.0%}",
            r["method"],
            r["recall"],
            r["p50_ms"],
            r["p99_ms"],
        ]
        for r in sorted(
            records,
            key=lambda r: (r["dist"], r["dim"], r["n"], r["kind"], r["fraction"], r["method"]),
        )
    ]
    header = [
        "vectors",
        "dim",
        "n",
        "index",
        "nprobe",
        "selected",
        "method",
        "recall@10",
        "p50 ms",
        "p99 ms",
    ]
    return ["### Filtered search (vector side; ids given)", "", *_table(header, rows), ""]


def catalog_table(records: list[dict[str, Any]]) -> list[str]:
    records = list({r["step"]: r for r in records}.values())  # the latest run of each step
    selected = {
        r["step"][len("selected by ") :]: r["rows"]
        for r in records
        if r["step"].startswith("selected by ")
    }
    rows = []
    for r in records:
        step = r["step"]
        if step.startswith("selected by "):
            continue
        extra = r.get("rows", r.get("peak_mb", ""))
        if step.startswith("filter_ids: "):
            extra = f"{selected.get(step[len('filter_ids: ') :], '')} ids"
        elif "peak_mb" in r:
            extra = f"{r['peak_mb']} MB peak"
        rows.append([step, r.get("seconds", ""), extra])
    return ["### Catalog at 10^6 rows", "", *_table(["step", "seconds", "result"], rows), ""]


def server_tables(records: list[dict[str, Any]]) -> list[str]:
    server = [
        [
            r.get("model", "none"),
            r["kind"],
            r["dim"],
            f"{r['n']:,}",
            r["first_answer_s"],
            r["http_p50_ms"],
            r["http_p99_ms"],
            r["http_filtered_p50_ms"],
            r.get("VmRSS"),
            r.get("VmHWM"),
            r.get("load", ""),
        ]
        for r in records
        if r["section"] == "server"
    ]
    text = [
        [
            f"{r['n']:,}",
            r["kind"],
            r.get("torch_threads", ""),
            r["encode_p50_ms"],
            r["e2e_p50_ms"],
            r["e2e_p99_ms"],
            r.get("load", ""),
        ]
        for r in records
        if r["section"] == "text"
    ]
    return [
        "### Server: the real app at 10^6 sounds (model: none = a stand-in text encoder; "
        "clamp3 = the full-size model with random weights)",
        "",
        *_table(
            [
                "model",
                "index",
                "dim",
                "n",
                "start to first answer s",
                "HTTP p50 ms",
                "HTTP p99 ms",
                "HTTP filtered p50 ms",
                "RSS MB",
                "peak RSS MB",
                "load",
            ],
            server,
        ),
        "",
        "### Text query end to end (builtin text tower, SearchService.search)",
        "",
        *_table(
            [
                "n",
                "index",
                "torch threads",
                "text encode p50 ms",
                "search p50 ms",
                "search p99 ms",
                "load",
            ],
            text,
        ),
        "",
    ]


# -- command line ------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "step",
        choices=[
            "data",
            "ann",
            "filters",
            "catalog",
            "server",
            "text",
            "report",
            "case",
            "filter-case",
            "serve-probe",
        ],
    )
    parser.add_argument("rest", nargs="*")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--dims", type=int, nargs="+", default=[768, 384])
    parser.add_argument("--dists", nargs="+", default=["clustered", "random"])
    parser.add_argument("--kinds", nargs="+", default=["flat", "ivf", "ivf_fp16", "ivf_sq8"])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=768)
    parser.add_argument("--kind", default="ivf_fp16")
    parser.add_argument("--out", type=Path, default=Path("docs/_bench_scale.md"))
    args = parser.parse_args()
    global SAVE_HERE
    SAVE_HERE = args.step in ("catalog", "server", "text")
    if args.step == "case":
        kind, dist, dim, n = args.rest
        run_case(kind, dist, int(dim), int(n))
    elif args.step == "filter-case":
        kind, dist, dim, n = args.rest
        run_filter_case(kind, dist, int(dim), int(n))
    elif args.step == "serve-probe":
        serve_probe(args.rest[0], int(args.rest[1]), int(args.rest[2]))
    elif args.step == "data":
        for dist in args.dists:
            for dim in args.dims:
                ensure_data(dist, dim, args.sizes)
    elif args.step in ("ann", "filters"):
        name = "case" if args.step == "ann" else "filter-case"
        for dist in args.dists:
            for dim in args.dims:
                for n in args.sizes:
                    for kind in args.kinds:
                        save(child([name, kind, dist, str(dim), str(n)]))
    elif args.step == "catalog":
        catalog_section(args.rows)
    elif args.step == "server":
        server_section(args.rows, args.dim, args.kind)
    elif args.step == "text":
        text_section(args.rows, args.kind)
    else:
        report(args.out)


if __name__ == "__main__":
    main()

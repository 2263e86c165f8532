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
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# ``scale`` is the package next to this script (its folder is sys.path[0] when run as a file).
from scale import ann, catalog, common, filters, report, server, text  # noqa: E402

STEPS = ["data", "ann", "filters", "catalog", "server", "text", "report"]
CHILD_STEPS = ["case", "filter-case", "serve-probe"]  # run by the steps above, in a child


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=STEPS + CHILD_STEPS)
    parser.add_argument("rest", nargs="*")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--dims", type=int, nargs="+", default=[768, 384])
    parser.add_argument("--dists", nargs="+", default=["clustered", "random"])
    parser.add_argument("--kinds", nargs="+", default=["flat", "ivf", "ivf_fp16", "ivf_sq8"])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=768)
    parser.add_argument("--kind", default="ivf_fp16")
    parser.add_argument("--out", type=Path, default=Path("docs/_bench_scale.md"))
    return parser


def _run_children(step: str, args: argparse.Namespace) -> None:
    """``ann`` and ``filters``: one child per (data, size, index kind), records saved here."""
    name = "case" if step == "ann" else "filter-case"
    for dist in args.dists:
        for dim in args.dims:
            for n in args.sizes:
                for kind in args.kinds:
                    common.save(common.child([name, kind, dist, str(dim), str(n)]))


def main() -> None:
    """Parse the command line and run one step."""
    args = _parser().parse_args()
    common.SAVE_HERE = args.step in ("catalog", "server", "text")
    if args.step == "case":
        kind, dist, dim, n = args.rest
        ann.run_case(kind, dist, int(dim), int(n))
    elif args.step == "filter-case":
        kind, dist, dim, n = args.rest
        filters.run_filter_case(kind, dist, int(dim), int(n))
    elif args.step == "serve-probe":
        server.serve_probe(args.rest[0], int(args.rest[1]), int(args.rest[2]))
    elif args.step == "data":
        for dist in args.dists:
            for dim in args.dims:
                common.ensure_data(dist, dim, args.sizes)
    elif args.step in ("ann", "filters"):
        _run_children(args.step, args)
    elif args.step == "catalog":
        catalog.catalog_section(args.rows)
    elif args.step == "server":
        server.server_section(args.rows, args.dim, args.kind)
    elif args.step == "text":
        text.text_section(args.rows, args.kind)
    else:
        report.report(args.out)


if __name__ == "__main__":
    main()

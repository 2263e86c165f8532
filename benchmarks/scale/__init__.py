"""The pieces of ``benchmarks/bench_scale.py``: one module per benchmark section."""

"""`make bench` (`python -m bench`): every bench/bench_*.py module with `run() -> str`.

Benchmarks report figures; tests assert behaviour. See docs in
/work/shared/design/BENCHMARKS.md (method and targets).
"""

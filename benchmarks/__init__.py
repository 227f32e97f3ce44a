"""Speed measurements: each `bench_*.py` prints a table and writes JSON under benchmarks/results/."""

"""Benchmarks: speed and memory as ratios against baselines measured in the same run.

Each ``bench_*.py`` module has ``run(quick: bool) -> list[dict]``; ``python -m
benchmarks`` runs them all and prints one JSON line per measurement.
"""

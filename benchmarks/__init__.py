"""Benchmarks: speed and memory as ratios against baselines measured in the same run.

Each ``bench_*.py`` module has ``run(quick: bool) -> list[dict]`` (most also take
``tiny``); ``python -m benchmarks`` runs them all, prints one table and writes
``results/latest.json`` and ``results/latest.png``. Rows share the shape made by
``measure.row``: our figure, the baseline's, their ratio, the goal and whether it is met.
"""

"""Measuring helpers shared by the benchmark modules: timing, percentiles, the row shape.

Every benchmark reports rows of one shape (see ``row``) so that the runner can print
one table, write one JSON file and draw one chart whatever the benchmark measured.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def best_of(repeat: int, measure: Callable[[], float]) -> float:
    """The highest of ``repeat`` rates (the run least disturbed by other work)."""
    return max(measure() for _ in range(max(1, repeat)))


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The value below which ``fraction`` of the (already sorted) values fall."""
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def wait_for(condition: Callable[[], bool], timeout_s: float, poll_s: float = 0.001) -> bool:
    """Poll ``condition`` until it holds or ``timeout_s`` passes (setup only, not timed)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(poll_s)
    return True


@contextlib.contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A temporary folder for configs and stores, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=os.environ.get("BENCH_DIR")))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def row(
    name: str,
    metric: str,
    ours: float,
    baseline: float,
    baseline_name: str,
    *,
    goal: str = "",
    met: bool | None = None,
    chart: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One line of the results table.

    ``ratio`` is always ours / baseline in ``metric``'s unit; ``goal`` says in words which
    way is better and what we aim for; ``met`` is None when there is no goal. ``chart``
    names the chart panel the row belongs to ("throughput", "scaling"), if any.
    """
    ratio = ours / baseline if baseline else float("nan")
    out: dict[str, Any] = {
        "name": name,
        "metric": metric,
        "ours": _round(ours),
        "baseline": _round(baseline),
        "baseline_name": baseline_name,
        "ratio": round(ratio, 4),
        "goal": goal,
        "met": met,
    }
    if chart:
        out["chart"] = chart
    out.update(extra)
    return out


def _round(value: float) -> float:
    if value >= 100:
        return round(value, 1)
    return round(value, 4)


__all__ = ["ROOT", "best_of", "percentile", "row", "scratch_dir", "wait_for"]

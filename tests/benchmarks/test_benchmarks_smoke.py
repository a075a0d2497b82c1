"""Smoke test: every benchmark runs end to end at toy sizes (``--tiny``).

This proves that ``python -m benchmarks`` works (each module, the table, the JSON file,
the chart or its skip note); it asserts nothing about speed: toy sizes give figures
that mean nothing.
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(p.stem for p in (ROOT / "benchmarks").glob("bench_*.py"))


def test_every_benchmark_runs_at_toy_sizes(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--tiny", "--output", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    document = json.loads((tmp_path / "latest.json").read_text(encoding="utf-8"))
    assert document["mode"] == "tiny"
    assert document["machine"]["python"] == ".".join(map(str, sys.version_info[:3]))
    assert document["machine"]["cores"] >= 1
    rows = document["results"]
    assert {r["benchmark"] for r in rows} == set(MODULES)
    for r in rows:
        assert "error" not in r, r
        assert isinstance(r["ours"], int | float) and r["ours"] > 0, r
        if r["baseline"] is not None:  # None only for a baseline that is not installed
            assert r["baseline"] > 0, r
            assert math.isclose(
                r["ratio"], r["ours"] / r["baseline"], rel_tol=0.01, abs_tol=1e-4
            ), r
        assert r["name"] in done.stdout
    names = {r["name"] for r in rows}
    assert {"chain.one_way", "rr.round_trip", "memory.queued", "validate.warm"} <= names
    assert {f"scaling.threads_{n:02d}" for n in (1, 2, 4, 8, 16)} <= names
    if importlib.util.find_spec("matplotlib") is not None:
        assert (tmp_path / "latest.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        assert "chart skipped" in done.stdout

"""The results report: the stdout table, ``results/latest.json`` and the PNG chart.

Benchmark modules return rows shaped by ``measure.row``. Rows of another shape (the
persistent-queue benchmark reports its own keys) are turned into that shape here by
``normalise``, so every figure lands in the same table.
"""

from __future__ import annotations

import json
import math
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.measure import row


def machine() -> dict[str, Any]:
    """What the figures depend on: interpreter, cores, platform."""
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "switch_interval_s": sys.getswitchinterval(),
    }


def normalise(benchmark: str, raw: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows in the common shape, tagged with the module that produced them."""
    if "ours" in raw and "baseline" in raw:
        rows = [raw]
    elif raw.get("name") == "persistent.put_take":
        rows = _persistent(raw)
    else:
        rows = [
            {
                "name": raw.get("name", benchmark),
                "metric": "",
                "ours": None,
                "baseline": None,
                "baseline_name": "",
                "ratio": None,
                "goal": "",
                "met": None,
                **raw,
            }
        ]
    return [{"benchmark": benchmark, **r} for r in rows]


def _persistent(raw: dict[str, Any]) -> list[dict[str, Any]]:
    producers = raw.get("producers")
    name = f"persistent.put_take_p{producers:02d}" if isinstance(producers, int) else raw["name"]
    ours = float(raw["ours_per_s"])
    # Keys that row() sets itself must not come in again through **extra (the raw
    # result says "baseline": "persist-queue missing" when persist-queue is absent).
    taken = ("name", "ours_per_s", "metric", "ours", "baseline", "baseline_name", "ratio")
    extra = {k: v for k, v in raw.items() if k not in (*taken, "goal", "met", "chart")}
    out = []
    theirs = raw.get("persist_queue_per_s")
    if theirs:
        out.append(
            row(
                name,
                "messages/s",
                ours,
                float(theirs),
                "persist-queue SQLiteAckQueue",
                goal=">= 10",
                met=ours / float(theirs) >= 10,
                chart="throughput",
                **extra,
            )
        )
    else:
        out.append(
            {
                "name": name,
                "metric": "messages/s",
                "ours": ours,
                "baseline": None,
                "baseline_name": str(raw.get("baseline") or "persist-queue missing"),
                "ratio": None,
                "goal": ">= 10",
                "met": None,
                **extra,
            }
        )
    limit = float(raw["fsync_per_record_per_s"])
    goal = "> 1.0" if producers == 16 else "(reported)"
    out.append(
        row(
            name,
            "messages/s",
            ours,
            limit,
            "one write + fsync per record",
            goal=goal,
            met=(ours / limit > 1.0) if producers == 16 else None,
            **extra,
        )
    )
    return out


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.3g}"
    return str(value)


COLUMNS = (
    ("benchmark", "name"),
    ("unit", "metric"),
    ("ours", "ours"),
    ("baseline", "baseline"),
    ("baseline is", "baseline_name"),
    ("ratio", "ratio"),
    ("goal", "goal"),
    ("met", "met"),
)


def table(rows: list[dict[str, Any]], markdown: bool = False) -> str:
    """The rows as an aligned text table (or a Markdown one for the README)."""
    cells = [[title for title, _ in COLUMNS]]
    for r in rows:
        if "error" in r and r.get("ours") is None:
            cells.append(
                [r.get("name", r["benchmark"]), "", "", "", "", "", "", f"ERROR {r['error']}"]
            )
            continue
        cells.append([_fmt(r.get(key)) for _, key in COLUMNS])
    if markdown:
        lines = ["| " + " | ".join(c) + " |" for c in cells]
        lines.insert(1, "|" + "|".join("---" for _ in COLUMNS) + "|")
        return "\n".join(lines)
    widths = [max(len(c[i]) for c in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(c[i].ljust(widths[i]) for i in range(len(c))).rstrip() for c in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write_json(path: Path, rows: list[dict[str, Any]], mode: str, seconds: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "generated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "mode": mode,
        "seconds": round(seconds, 1),
        "machine": machine(),
        "results": rows,
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_chart(path: Path, rows: list[dict[str, Any]]) -> str:
    """Draw the throughput and scaling panels; a note instead when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "chart skipped: matplotlib is not installed (pip install -e '.[bench]')"
    throughput = [r for r in rows if r.get("chart") == "throughput" and r.get("ratio")]
    scaling = [r for r in rows if r.get("chart") == "scaling" and r.get("ours") is not None]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.5))
    if throughput:
        labels = [f"{r['name']}\nvs {r['baseline_name']}" for r in throughput]
        ratios = [float(r["ratio"]) for r in throughput]
        bars = left.barh(range(len(ratios)), ratios, color="#3572a5")
        left.set_yticks(range(len(labels)), labels, fontsize=7)
        left.set_xscale("log")
        left.axvline(1.0, color="grey", linestyle="--", linewidth=1)
        left.set_xlabel("ours / baseline (log scale; 1.0 = as fast as the baseline)")
        left.set_title("Throughput against same-run baselines")
        left.invert_yaxis()
        for bar, value in zip(bars, ratios, strict=True):
            left.text(
                bar.get_width(),
                bar.get_y() + bar.get_height() / 2,
                f" {value:.3g}",
                va="center",
                fontsize=7,
            )
    if scaling:
        threads = [int(r["threads"]) for r in scaling]
        right.plot(threads, [r["ours"] for r in scaling], "o-", label="mule-emu flow")
        right.plot(threads, [r["baseline"] for r in scaling], "s--", label="ThreadPoolExecutor")
        right.plot(threads, [r["ideal"] for r in scaling], ":", color="grey", label="ideal")
        right.set_xscale("log", base=2)
        right.set_xticks(threads, [str(t) for t in threads])
        right.set_xlabel("maxThreadsActive")
        right.set_ylabel("messages/s")
        right.set_title("Scaling: a component waiting on I/O")
        right.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return f"chart written to {path}"


__all__ = ["machine", "normalise", "table", "write_chart", "write_json"]

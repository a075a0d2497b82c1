"""``python -m benchmarks [--quick] [NAME...]``: run the benchmarks, print a table, and
write ``benchmarks/results/latest.json`` and ``latest.png``.

``--quick`` runs smaller sizes (under a minute); ``--tiny`` runs toy sizes that only
prove every benchmark works (the smoke test uses it; its figures mean nothing).
Nothing here asserts anything about speed: the ``met`` column reports the goals. The
exit code is 1 only when a benchmark failed to run.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import inspect
import pkgutil
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks import report

FOLDER = Path(__file__).parent


def discover() -> list[str]:
    return sorted(
        m.name for m in pkgutil.iter_modules([str(FOLDER)]) if m.name.startswith("bench_")
    )


def run_module(name: str, quick: bool, tiny: bool) -> list[dict[str, Any]]:
    module = importlib.import_module(f"benchmarks.{name}")
    # What the modules before left behind is collected now, not while this one times
    # itself: after the memory and persistent benchmarks, a collection falling inside
    # the request-response baseline slowed those direct calls from 0.29 to 0.46 µs.
    gc.collect()
    kwargs: dict[str, Any] = {"quick": quick or tiny}
    if tiny and "tiny" in inspect.signature(module.run).parameters:
        kwargs["tiny"] = True
    rows: list[dict[str, Any]] = []
    for raw in module.run(**kwargs):
        rows.extend(report.normalise(name, raw))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (under a minute)")
    parser.add_argument("--tiny", action="store_true", help="toy sizes: proves it runs")
    parser.add_argument(
        "--output", type=Path, default=FOLDER / "results", help="folder for latest.json/.png"
    )
    parser.add_argument("names", nargs="*", help=f"modules to run (default all: {discover()})")
    args = parser.parse_args(argv)
    names = args.names or discover()
    mode = "tiny" if args.tiny else "quick" if args.quick else "full"
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    failed = False
    for name in names:
        print(f"running {name} ({mode}) ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        try:
            rows.extend(run_module(name, args.quick, args.tiny))
        except Exception as exc:  # one broken benchmark must not hide the others
            failed = True
            traceback.print_exc()
            rows.append(
                {
                    "benchmark": name,
                    "name": name,
                    "ours": None,
                    "error": f"{type(exc).__name__}: {exc}",
                }
            )
        print(f"  {name}: {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    elapsed = time.perf_counter() - started
    info = report.machine()
    print(
        f"\nmule-emu benchmarks ({mode}, {elapsed:.0f} s) on Python {info['python']}, "
        f"{info['cores']} cores, {info['platform']}\n"
    )
    print(report.table(rows))
    report.write_json(args.output / "latest.json", rows, mode, elapsed)
    note = report.write_chart(args.output / "latest.png", rows)
    print(f"\nresults written to {args.output / 'latest.json'}; {note}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

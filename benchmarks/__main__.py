"""``python -m benchmarks [--quick] [NAME...]``: run benchmark modules, print JSON lines."""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("names", nargs="*", help="module names (bench_validation ...)")
    args = parser.parse_args()
    folder = Path(__file__).parent
    names = args.names or sorted(
        m.name for m in pkgutil.iter_modules([str(folder)]) if m.name.startswith("bench_")
    )
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        for row in module.run(quick=args.quick):
            print(json.dumps({"benchmark": name, **row}))


if __name__ == "__main__":
    main()

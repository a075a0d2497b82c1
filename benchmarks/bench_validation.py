"""Validation speed: our whole validate path against bare XSD validation, and cold start.

- ``validate.warm``: files per second through ``validate_files`` (read, hardened parse,
  XSD, tree checks, model parse, semantic checks) on the conformance corpus, against
  ``combined_schema().validate(tree)`` on the same files parsed beforehand, in the
  same process; the ratio is ours / bare (goal: at least 0.5).
- ``validate.warm_schema_stage``: our read + hardened parse + ``validate_document``
  alone, against the same baseline (goal: at least 0.5).
- ``validate.warm_schema_stage_vs_parse``: the schema stage again, against bare lxml
  doing the same reading and parsing before its ``validate`` (reported, no goal): the
  goal's baseline above leaves reading and parsing out, which alone take longer than
  libxml2's validation of these small files, so this row shows what our own code adds.
- ``validate.cold``: wall time of ``python -m mule_emulator validate one.xml`` in a new
  process (goal: under 0.5 s), the baseline being ``python -c pass``.

The corpus is ../shared/conformance/mule-3.9-vm when present, else our own configs.
"""

from __future__ import annotations

import contextlib
import importlib
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lxml import etree

from benchmarks.measure import row

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "conformance" / "mule-3.9-vm"
OWN = ROOT / "tests" / "model" / "invalid"


def corpus() -> list[str]:
    folder = SHARED if SHARED.is_dir() else OWN
    return [str(p) for p in sorted(folder.rglob("*.xml"))]


def _best(fn: Callable[[], object], repeat: int) -> float:
    """The fastest of ``repeat`` runs, in seconds (the least disturbed by other work)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def warm(files: list[str], repeat: int) -> list[dict[str, Any]]:
    from mule_emulator.loading.document import parse_file
    from mule_emulator.model.validator import validate_files

    validation = importlib.import_module("mule_emulator.loading.validation")
    schema = validation.combined_schema()
    validate_document = validation.validate_document
    trees = [parse_file(f).tree for f in files]

    def bare() -> None:
        for tree in trees:
            # xmlschema raises on an invalid tree; only the time matters here.
            with contextlib.suppress(Exception):
                schema.validate(tree)

    def ours() -> None:
        validate_files(files)

    def schema_stage() -> None:
        # Our read + hardened parse + validate_document alone, without the model parse.
        for f in files:
            validate_document(parse_file(f))

    plain = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)

    def bare_with_parse() -> None:
        for f in files:
            with open(f, "rb") as handle:
                tree = etree.fromstring(handle.read(), plain)
            with contextlib.suppress(Exception):
                schema.validate(tree)

    ours()  # warm them all: schema compilation and imports are cold start, measured apart
    bare()
    schema_stage()
    bare_with_parse()
    ours_rate = len(files) / _best(ours, repeat)
    bare_rate = len(files) / _best(bare, repeat)
    stage_rate = len(files) / _best(schema_stage, repeat)
    parse_rate = len(files) / _best(bare_with_parse, repeat)
    return [
        row(
            "validate.warm",
            "files/s",
            ours_rate,
            bare_rate,
            "bare combined_schema().validate",
            goal=">= 0.5",
            met=ours_rate / bare_rate >= 0.5,
            files=len(files),
            stage="full path: read + parse + XSD + tree checks + model parse + semantic checks",
        ),
        row(
            "validate.warm_schema_stage",
            "files/s",
            stage_rate,
            bare_rate,
            "bare combined_schema().validate",
            goal=">= 0.5",
            met=stage_rate / bare_rate >= 0.5,
            files=len(files),
            stage="read + hardened parse + validate_document",
        ),
        row(
            "validate.warm_schema_stage_vs_parse",
            "files/s",
            stage_rate,
            parse_rate,
            "bare read + lxml parse + validate",
            goal="(reported)",
            files=len(files),
            stage="read + hardened parse + validate_document",
        ),
    ]


def _wall(command: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=False, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cold(one: str, repeat: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "mule_emulator", "validate", "--format", "text", one]
    probe = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    seconds = _wall(command, repeat)
    interpreter = _wall([sys.executable, "-c", "pass"], repeat)
    return row(
        "validate.cold",
        "seconds",
        seconds,
        interpreter,
        "python -c pass",
        goal="< 0.5 s",
        met=seconds < 0.5,
        file=Path(one).name,
        exit_code=probe.returncode,
    )


def run(quick: bool, tiny: bool = False) -> list[dict[str, Any]]:
    """Both measurements; ``quick`` uses fewer repetitions, ``tiny`` fewer files."""
    files = corpus()
    if tiny:
        files = files[:3]
    repeat = 1 if tiny else 2 if quick else 5
    return [*warm(files, repeat), cold(files[0], 1 if tiny else 3 if quick else 7)]


if __name__ == "__main__":
    import json

    for row in run(quick="--quick" in sys.argv):
        print(json.dumps(row))

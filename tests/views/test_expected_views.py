"""explain's JSON and graph's Mermaid for every sample config, against expected files.

The expected files live in tests/views/expected/ (``<sample>.explain.json``,
``<sample>.graph.mmd``). After a deliberate change to either view, regenerate them
with::

    MULE_EMU_REGENERATE=1 pytest tests/views/test_expected_views.py

and review the diff before committing. Paths inside are relative to the repository
root, which is where the configs are loaded from.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from mule_emulator.cli import cli

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted(p.stem for p in (ROOT / "sample-configs").glob("*.xml"))
EXPECTED = Path(__file__).parent / "expected"
REGENERATE = os.environ.get("MULE_EMU_REGENERATE") == "1"
# Properties the samples' ${...} placeholders need (persistent-restart.xml).
PROPS = ["-D", "replay.state=stopped"]


def _run(args: list[str], monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return result.output


def _compare(actual: str, expected_file: Path) -> None:
    if REGENERATE:
        expected_file.write_text(actual, encoding="utf-8")
    assert expected_file.exists(), (
        f"{expected_file.name} is missing; run MULE_EMU_REGENERATE=1 pytest {__file__}"
    )
    assert actual == expected_file.read_text(encoding="utf-8")


def test_every_sample_has_expected_files() -> None:
    assert SAMPLES, "no sample configs found"
    if REGENERATE:
        return
    for name in SAMPLES:
        assert (EXPECTED / f"{name}.explain.json").exists(), name
        assert (EXPECTED / f"{name}.graph.mmd").exists(), name


@pytest.mark.parametrize("name", SAMPLES)
def test_explain_json(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["explain", f"sample-configs/{name}.xml", "--format", "json", *PROPS]
    out = _run(args, monkeypatch)
    json.loads(out)  # valid JSON before anything else
    _compare(out, EXPECTED / f"{name}.explain.json")


@pytest.mark.parametrize("name", SAMPLES)
def test_graph_mermaid(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _run(["graph", f"sample-configs/{name}.xml", *PROPS], monkeypatch)
    assert out.startswith("flowchart LR\n")
    _compare(out, EXPECTED / f"{name}.graph.mmd")

"""Every sample app under sample-configs/ runs its own suite, through the real runtime."""

from __future__ import annotations

from pathlib import Path

import pytest

from mule_emulator.suites.loader import load_suite
from mule_emulator.suites.model import Suite
from mule_emulator.suites.report import PASS, CaseResult
from mule_emulator.suites.runner import SuiteRunner

SAMPLES = Path(__file__).resolve().parents[2] / "sample-configs"
SUITE_FILES = sorted(SAMPLES.glob("*.suite.toml"))
CASES = [(f, c.name) for f in SUITE_FILES for c in load_suite(f).cases]


def test_every_sample_app_has_a_suite_and_a_readme_paragraph() -> None:
    apps = sorted(p.stem for p in SAMPLES.glob("*.xml"))
    assert len(apps) >= 5
    assert sorted(f.name.removesuffix(".suite.toml") for f in SUITE_FILES) == apps
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    missing = [a for a in apps if f"{a}.xml" not in readme]
    assert not missing, f"sample-configs/README.md does not explain {missing}"


@pytest.fixture(scope="module")
def results(suite_summary: list[str]) -> dict[tuple[Path, str], CaseResult]:
    runner = SuiteRunner(jobs=4)
    out: dict[tuple[Path, str], CaseResult] = {}
    for f in SUITE_FILES:
        suite: Suite = load_suite(f)
        result = runner.run(suite)
        out.update({(f, r.name): r for r in result.results})
        suite_summary.append(f"sample {f.name}: {result.summary()}")
    return out


@pytest.mark.parametrize(("suite_file", "name"), CASES, ids=[f"{f.stem}: {n}" for f, n in CASES])
def test_sample_case(
    suite_file: Path, name: str, results: dict[tuple[Path, str], CaseResult]
) -> None:
    result = results[(suite_file, name)]
    assert result.status == PASS, result.reason

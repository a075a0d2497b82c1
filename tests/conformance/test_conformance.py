"""The conformance suite of ../shared (Mule 3.9's own VM test configs), run as tests.

Every case runs (several at a time) through the real runtime; each becomes one pytest
test. A case that is expected to pass and fails makes its test fail. Cases listed in
KNOWN_FAILING wait for a runtime feature: they are reported as skips whose reason names
that feature, and the list shrinks as features land. The suite's closing line
(``N passed, N failed, N skipped``, known-failing cases counted as skipped) is printed
in the pytest summary.

When ../shared is absent (a clone without the shared folder) the module is skipped.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path

import pytest

from mule_emulator.suites.loader import load_suite
from mule_emulator.suites.model import Suite
from mule_emulator.suites.report import FAIL, PASS, SKIP, CaseResult
from mule_emulator.suites.runner import SuiteRunner

REPO = Path(__file__).resolve().parents[2]
SUITE_FILE = REPO.parent / "shared" / "conformance" / "mule-3.9-vm.toml"
JOBS = 8

# Case name (exact), or a pattern with "*" (any text), → the feature the case waits for.
# Keep the reasons specific: they are what a reader of the skip list acts on.
KNOWN_FAILING: dict[str, str] = {}


def known_failing(name: str) -> str | None:
    """The missing feature a case waits for, or None when it is expected to pass."""
    if name in KNOWN_FAILING:
        return KNOWN_FAILING[name]
    for key, feature in KNOWN_FAILING.items():
        if "*" in key and _matches(key, name):
            return feature
    return None


def _matches(key: str, name: str) -> bool:
    return key == name or ("*" in key and fnmatch.fnmatchcase(name, key.replace("[", "[[]")))


def _load() -> Suite | None:
    return load_suite(SUITE_FILE) if SUITE_FILE.is_file() else None


SUITE = _load()
NAMES = [c.name for c in SUITE.cases] if SUITE else []


@pytest.fixture(scope="module")
def results(suite_summary: list[str]) -> dict[str, CaseResult]:
    """Run every case once for the module, known-failing ones included (so a case that
    starts passing is noticed)."""
    assert SUITE is not None
    runner = SuiteRunner(jobs=JOBS)
    ran = {r.name: r for r in runner.run(SUITE).results}
    passed = sum(1 for r in ran.values() if r.status == PASS)
    failed = sum(1 for r in ran.values() if r.status == FAIL)
    skipped = sum(1 for r in ran.values() if r.status == SKIP)
    known = sum(1 for n in NAMES if known_failing(n) is not None)
    suite_summary.append(
        f"conformance {SUITE_FILE.name}: {passed} passed, {failed} failed, {skipped} skipped"
        f" ({known} known failing)"
    )
    return ran


@pytest.mark.skipif(SUITE is None, reason=f"{SUITE_FILE} is not present")
@pytest.mark.parametrize("name", NAMES or ["<none>"], ids=NAMES or ["<none>"])
def test_conformance_case(name: str, results: dict[str, CaseResult]) -> None:
    result = results[name]
    feature = known_failing(name)
    if feature is not None:
        assert result.status != PASS, f"{name} now passes: remove it from KNOWN_FAILING ({feature})"
        pytest.skip(f"known failing, waits for: {feature}")
    if result.status == SKIP:
        pytest.skip(result.reason)
    assert result.status == PASS, result.reason


def test_known_failing_names_exist() -> None:
    """Every KNOWN_FAILING entry names at least one case of the suite (no stale entries)."""
    if SUITE is None:
        pytest.skip(f"{SUITE_FILE} is not present")
    stale = [k for k in KNOWN_FAILING if not any(_matches(k, n) for n in NAMES)]
    assert not stale, f"KNOWN_FAILING names no such case: {stale}"

"""Result lines, the closing count line and the JUnit report."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from mule_emulator.suites.report import CaseResult, SuiteResult, write_junit


def _result() -> SuiteResult:
    return SuiteResult(
        "s.toml",
        (
            CaseResult("a", "pass", duration_s=0.5),
            CaseResult("b", "fail", "step 2 (request vm://out): expected payload 'x',\ngot 'y'"),
            CaseResult("c", "skip", "waits for XA"),
            CaseResult("d", "pass"),
        ),
        1.25,
    )


def test_lines_and_summary() -> None:
    r = _result()
    assert [c.line() for c in r.results] == [
        "PASS a",
        "FAIL b: step 2 (request vm://out): expected payload 'x', got 'y'",
        "SKIP c: waits for XA",
        "PASS d",
    ]
    assert r.summary() == "2 passed, 1 failed, 1 skipped"
    assert not r.ok


def test_junit_report(tmp_path: Path) -> None:
    path = tmp_path / "r.xml"
    write_junit(_result(), path)
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("4", "1", "1")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["a", "b", "c", "d"]
    failure = cases[1].find("failure")
    assert failure is not None and "expected payload 'x'" in (failure.get("message") or "")
    assert cases[2].find("skipped") is not None

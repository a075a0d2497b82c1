"""Suite results and how they are reported: one line per case, the closing count line,
and a JUnit XML file for CI."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PASS = "pass"
FAIL = "fail"
SKIP = "skip"


@dataclass(frozen=True)
class CaseResult:
    """How one case ended; ``reason`` says why for a failure or a skip."""

    name: str
    status: str  # PASS | FAIL | SKIP
    reason: str = ""
    duration_s: float = 0.0

    def line(self) -> str:
        """``PASS name``, ``FAIL name: reason`` or ``SKIP name: reason`` (FORMAT.md)."""
        if self.status == PASS:
            return f"PASS {self.name}"
        label = "FAIL" if self.status == FAIL else "SKIP"
        # Keep it one line per case, whatever the reason text holds.
        reason = " ".join(self.reason.split())
        return f"{label} {self.name}: {reason}"


@dataclass(frozen=True)
class SuiteResult:
    """All case results of one run, in suite order."""

    suite: str
    results: tuple[CaseResult, ...]
    duration_s: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def passed(self) -> int:
        return self.count(PASS)

    @property
    def failed(self) -> int:
        return self.count(FAIL)

    @property
    def skipped(self) -> int:
        return self.count(SKIP)

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def summary(self) -> str:
        """The closing line, exactly ``N passed, N failed, N skipped``."""
        return f"{self.passed} passed, {self.failed} failed, {self.skipped} skipped"


def junit_xml(results: SuiteResult | Sequence[SuiteResult]) -> bytes:
    """A JUnit XML report: one testsuite per suite, one testcase per case."""
    suites = [results] if isinstance(results, SuiteResult) else list(results)
    root = ET.Element("testsuites")
    for result in suites:
        suite = ET.SubElement(
            root,
            "testsuite",
            {
                "name": result.suite,
                "tests": str(len(result.results)),
                "failures": str(result.failed),
                "errors": "0",
                "skipped": str(result.skipped),
                "time": f"{result.duration_s:.3f}",
            },
        )
        for r in result.results:
            case = ET.SubElement(
                suite,
                "testcase",
                {"classname": result.suite, "name": r.name, "time": f"{r.duration_s:.3f}"},
            )
            if r.status == FAIL:
                failure = ET.SubElement(case, "failure", {"message": r.reason})
                failure.text = r.reason
            elif r.status == SKIP:
                ET.SubElement(case, "skipped", {"message": r.reason})
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def write_junit(results: SuiteResult | Sequence[SuiteResult], path: str | Path) -> None:
    """Write the JUnit report; an unwritable path raises ``OSError`` for the CLI."""
    Path(path).write_bytes(junit_xml(results))


__all__ = ["FAIL", "PASS", "SKIP", "CaseResult", "SuiteResult", "junit_xml", "write_junit"]

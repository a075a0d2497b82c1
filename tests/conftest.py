"""Shared pytest hooks: suite summaries printed at the end of the pytest output.

Tests that run a whole mule-emu suite (conformance, sample configs) add their closing
``N passed, N failed, N skipped`` line with the ``suite_summary`` fixture; the lines
appear in a terminal-summary section whatever the capture settings (no ``-s`` needed).
"""

from __future__ import annotations

import pytest

_SUMMARY = pytest.StashKey[list[str]]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_SUMMARY] = []


@pytest.fixture(scope="session")
def suite_summary(pytestconfig: pytest.Config) -> list[str]:
    """A list to append summary lines to; printed after the test session."""
    return pytestconfig.stash[_SUMMARY]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = terminalreporter.config.stash.get(_SUMMARY, [])
    if lines:
        terminalreporter.section("mule-emu suites")
        for line in lines:
            terminalreporter.write_line(line)

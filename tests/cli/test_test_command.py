"""`mule-emu test`: output lines, the closing count, exit codes, -k, --junit."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from mule_emulator.cli import cli

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "suites"))
from fake_app import FakeFactory

SUITE = """
[[case]]
name = "passes"
config = "app.xml"
[[case.step]]
dispatch = "vm://in"
payload = "a"
[[case.step]]
request = "vm://out"
timeout_ms = 1000
expect.payload = "a flowed"

[[case]]
name = "fails"
config = "app.xml"
[[case.step]]
send = "vm://echo"
payload = "a"
expect.payload = "b"

[[case]]
name = "skipped"
config = "app.xml"
skip = "not yet"
"""


@pytest.fixture
def fake_runtime(monkeypatch: pytest.MonkeyPatch) -> FakeFactory:
    factory = FakeFactory()
    monkeypatch.setattr("mule_emulator.suites.runner.default_app_factory", factory)
    return factory


def _suite(tmp_path: Path, body: str = SUITE) -> Path:
    (tmp_path / "app.xml").write_text("<mule/>")
    path = tmp_path / "s.suite.toml"
    path.write_text(body)
    return path


def test_lines_summary_and_exit_1_on_failure(tmp_path: Path, fake_runtime: FakeFactory) -> None:
    result = CliRunner().invoke(cli, ["test", str(_suite(tmp_path))])
    lines = result.output.splitlines()
    assert lines == [
        "PASS passes",
        "FAIL fails: step 1 (send vm://echo): expected payload 'b', got 'a'",
        "SKIP skipped: not yet",
        "1 passed, 1 failed, 1 skipped",
    ]
    assert result.exit_code == 1


def test_keyword_selects_cases_and_exit_0(tmp_path: Path, fake_runtime: FakeFactory) -> None:
    junit = tmp_path / "out" / "r.xml"
    junit.parent.mkdir()
    result = CliRunner().invoke(
        cli, ["test", str(_suite(tmp_path)), "-k", "pass", "--junit", str(junit)]
    )
    assert result.output.splitlines() == ["PASS passes", "1 passed, 0 failed, 0 skipped"]
    assert result.exit_code == 0
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "1"


def test_root_option(tmp_path: Path, fake_runtime: FakeFactory) -> None:
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "app.xml").write_text("<mule/>")
    suite = tmp_path / "suites" / "s.toml"
    suite.parent.mkdir()
    suite.write_text('[[case]]\nname = "a"\nconfig = "configs/app.xml"\n')
    result = CliRunner().invoke(cli, ["test", str(suite), "--root", str(tmp_path)])
    assert result.output.splitlines()[-1] == "1 passed, 0 failed, 0 skipped"
    assert result.exit_code == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[case]]\nname = "a"\nconfig = "app.xml"\nbogus = 1\n', "unknown key 'bogus'"),
        ('[[case]]\nname = "a"\nconfig = "missing.xml"\n', "config file not found: missing.xml"),
        ("[[case]\n", "not valid TOML"),
    ],
)
def test_unreadable_suite_exits_2_saying_which(
    tmp_path: Path, fake_runtime: FakeFactory, body: str, message: str
) -> None:
    result = CliRunner().invoke(cli, ["test", str(_suite(tmp_path, body))])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not fake_runtime.apps


def test_missing_suite_and_bad_class_option_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["test", str(tmp_path / "none.toml")])
    assert result.exit_code == 2
    assert "cannot read suite" in result.output
    result = CliRunner().invoke(cli, ["test", str(_suite(tmp_path)), "--class", "nonsense"])
    assert result.exit_code == 2
    assert "--class expects" in result.output

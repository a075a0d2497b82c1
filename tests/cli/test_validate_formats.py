"""The report formats of `mule-emu validate`: text, json, junit, github, sarif."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result
from lxml import etree

from mule_emulator.cli import cli
from mule_emulator.loading.problems import ERROR, NOTE, WARNING, Problem
from mule_emulator.model.validator import FileFindings
from mule_emulator.views.report_formats import render

INVALID = Path(__file__).resolve().parents[1] / "model" / "invalid"
ERROR_CONFIG = INVALID / "mule106-flow-ref.xml"
WARNING_CONFIG = INVALID / "mule301-dispatch-to-nobody.xml"


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(cli, ["validate", *args], env=env or {"GITHUB_ACTIONS": ""})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def sample() -> list[FileFindings]:
    return [
        FileFindings(
            "dir/a b.xml",
            (
                Problem("dir/a b.xml", 3, 7, "/mule/flow", "MULE106", ERROR, "bad, really: 100%"),
                Problem("dir/a b.xml", 0, 0, "", "MULE301", WARNING, "line\nbreak"),
                Problem("dir/a b.xml", 9, 0, "/mule/x", "MULE303", NOTE, "fyi"),
            ),
        ),
        FileFindings("ok.xml"),
    ]


def test_text_lines_and_summary() -> None:
    lines = render(sample(), "text").splitlines()
    assert lines[0] == "dir/a b.xml:3:7: error: bad, really: 100% [MULE106] (/mule/flow)"
    assert lines[1].startswith("dir/a b.xml: warning: line")
    assert lines[-1] == "2 files checked, 1 invalid: 1 error, 1 warning, 1 note"


def test_json_document_shape() -> None:
    document = json.loads(render(sample(), "json"))
    assert list(document) == ["files"]
    first, second = document["files"]
    assert first["file"] == "dir/a b.xml" and first["valid"] is False
    assert first["problems"][0] == {
        "line": 3,
        "column": 7,
        "path": "/mule/flow",
        "rule": "MULE106",
        "severity": "error",
        "message": "bad, really: 100%",
    }
    assert second == {"file": "ok.xml", "valid": True, "problems": []}


def test_junit_is_xml_with_one_case_per_file() -> None:
    root = etree.fromstring(render(sample(), "junit").encode())
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["dir/a b.xml", "ok.xml"]
    failure = cases[0].find("failure")
    assert failure is not None and failure.get("type") == "MULE106"
    assert "MULE301" in (cases[0].findtext("system-out") or "")
    assert cases[1].find("failure") is None


def test_github_workflow_commands_escape_their_data() -> None:
    lines = render(sample(), "github").splitlines()
    assert lines[0] == (
        "::error file=dir/a b.xml,line=3,col=7,title=MULE106::bad, really: 100%25 (/mule/flow)"
    )
    assert lines[1] == "::warning file=dir/a b.xml,title=MULE301::line%0Abreak"
    assert lines[2].startswith("::notice file=dir/a b.xml,line=9,title=MULE303::")


def test_sarif_2_1_0() -> None:
    document = json.loads(render(sample(), "sarif", {"MULE106": "flow-ref names nothing"}))
    assert document["version"] == "2.1.0"
    (run_,) = document["runs"]
    rules = run_["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["MULE106", "MULE301", "MULE303"]
    assert rules[0]["shortDescription"]["text"] == "flow-ref names nothing"
    first, second, third = run_["results"]
    assert first["ruleId"] == "MULE106" and first["level"] == "error"
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "dir/a%20b.xml"
    assert location["region"] == {"startLine": 3, "startColumn": 7}
    assert "region" not in second["locations"][0]["physicalLocation"]
    assert second["level"] == "warning" and third["level"] == "note"
    assert rules[third["ruleIndex"]]["id"] == "MULE303"


def test_cli_json_for_a_real_config() -> None:
    result = run("--format", "json", str(ERROR_CONFIG))
    assert result.exit_code == 1
    (entry,) = json.loads(result.output)["files"]
    assert entry["file"] == str(ERROR_CONFIG)
    assert [(p["rule"], p["severity"]) for p in entry["problems"]] == [("MULE106", "error")]


def test_cli_sarif_uses_rule_titles() -> None:
    result = run("--format", "sarif", str(WARNING_CONFIG))
    assert result.exit_code == 0
    rules = json.loads(result.output)["runs"][0]["tool"]["driver"]["rules"]
    assert rules[0]["id"] == "MULE301"
    assert "listens" in rules[0]["shortDescription"]["text"]


def test_github_is_the_default_under_github_actions() -> None:
    result = run(str(ERROR_CONFIG), env={"GITHUB_ACTIONS": "true"})
    assert result.exit_code == 1
    assert result.output.startswith("::error file=")
    explicit = run("--format", "text", str(ERROR_CONFIG), env={"GITHUB_ACTIONS": "true"})
    assert explicit.output.startswith(str(ERROR_CONFIG))


def test_junit_from_the_cli_parses() -> None:
    result = run("--format", "junit", str(ERROR_CONFIG), str(WARNING_CONFIG))
    root = etree.fromstring(result.output.encode())
    assert root.get("tests") == "2" and root.get("failures") == "1"

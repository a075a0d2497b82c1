"""`mule-emu validate`: inputs, exit codes, strictness, the conformance corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mule_emulator.cli import cli

SHARED_CORPUS = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "mule-3.9-vm"
INVALID = Path(__file__).resolve().parents[1] / "model" / "invalid"

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:vm="http://www.mulesoft.org/schema/mule/vm"
      xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
      xsi:schemaLocation="
        http://www.mulesoft.org/schema/mule/core http://www.mulesoft.org/schema/mule/core/current/mule.xsd
        http://www.mulesoft.org/schema/mule/vm http://www.mulesoft.org/schema/mule/vm/current/mule-vm.xsd">
"""
VALID = (
    HEAD
    + """    <flow name="main">
        <vm:inbound-endpoint path="in" exchange-pattern="request-response"/>
        <logger message="#[payload]"/>
    </flow>
</mule>
"""
)
UNRESOLVED = (
    HEAD
    + """    <flow name="main">
        <vm:inbound-endpoint path="in"/>
        <flow-ref name="missing"/>
    </flow>
</mule>
"""
)
WARNING_ONLY = (
    HEAD
    + """    <flow name="main">
        <vm:inbound-endpoint path="in"/>
        <vm:outbound-endpoint path="nobody"/>
    </flow>
</mule>
"""
)


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(cli, ["validate", *args], env=env or {"GITHUB_ACTIONS": ""})
    # Every outcome is an exit code, never an uncaught exception.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_valid_file_exits_0(tmp_path: Path) -> None:
    path = write(tmp_path, "ok.xml", VALID)
    result = run(str(path))
    assert result.exit_code == 0
    assert result.output == "1 file checked, 0 invalid: 0 errors, 0 warnings, 0 notes\n"


def test_error_exits_1_with_located_text_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.xml", UNRESOLVED)
    result = run(str(path))
    assert result.exit_code == 1
    first = result.output.splitlines()[0]
    assert first.startswith(f"{path}:10")
    assert ": error: " in first
    assert first.endswith("[MULE106] (/mule/flow[@name='main']/flow-ref[@name='missing'])")
    assert result.output.splitlines()[-1] == (
        "1 file checked, 1 invalid: 1 error, 0 warnings, 0 notes"
    )


def test_warnings_pass_unless_strict(tmp_path: Path) -> None:
    path = write(tmp_path, "warn.xml", WARNING_ONLY)
    relaxed = run(str(path))
    assert relaxed.exit_code == 0
    assert ": warning: " in relaxed.output and "[MULE301]" in relaxed.output
    strict = run("--strict", str(path))
    assert strict.exit_code == 1
    assert ": error: " in strict.output and "[MULE301]" in strict.output


def test_folder_is_searched_recursively_and_hidden_folders_skipped(tmp_path: Path) -> None:
    write(tmp_path, "a.xml", VALID)
    write(tmp_path, "deep/er/b.xml", UNRESOLVED)
    write(tmp_path, ".git/c.xml", "not xml at all")
    write(tmp_path, "notes.txt", "not a config")
    result = run("--format", "json", str(tmp_path))
    files = [f["file"] for f in json.loads(result.output)["files"]]
    assert files == [str(tmp_path / "a.xml"), str(tmp_path / "deep/er/b.xml")]
    assert result.exit_code == 1


def test_globs_expand(tmp_path: Path) -> None:
    write(tmp_path, "x/one.xml", VALID)
    write(tmp_path, "y/two.xml", VALID)
    result = run("--format", "json", str(tmp_path / "**" / "*.xml"))
    assert len(json.loads(result.output)["files"]) == 2
    assert result.exit_code == 0


def test_a_glob_matching_nothing_is_a_usage_error(tmp_path: Path) -> None:
    result = run(str(tmp_path / "*.xml"))
    assert result.exit_code == 2
    assert "no files match" in result.output


def test_a_folder_without_configs_is_a_usage_error(tmp_path: Path) -> None:
    result = run(str(tmp_path))
    assert result.exit_code == 2
    assert "no *.xml files found" in result.output


def test_no_arguments_is_a_usage_error() -> None:
    assert run().exit_code == 2


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    assert run("--format", "yaml", str(write(tmp_path, "ok.xml", VALID))).exit_code == 2


def test_unreadable_input_exits_2_even_next_to_invalid_files(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.xml", UNRESOLVED)
    result = run("--format", "json", str(bad), str(tmp_path / "missing.xml"))
    assert result.exit_code == 2
    files = json.loads(result.output)["files"]
    assert files[0]["problems"][0]["rule"] == "MULE106"
    assert files[1]["valid"] is False
    assert files[1]["problems"][0]["rule"] == "input-unreadable"


def test_properties_fill_placeholders(tmp_path: Path) -> None:
    text = VALID.replace('path="in"', 'path="${queue}"')
    path = write(tmp_path, "p.xml", text)
    assert run("-D", "queue=orders", str(path)).exit_code == 0
    assert run("-D", "queue", str(path)).exit_code == 2


def test_app_option_resolves_names_across_files(tmp_path: Path) -> None:
    main = write(
        tmp_path,
        "main.xml",
        HEAD + '<flow name="m"><vm:inbound-endpoint path="in"/><flow-ref name="s"/></flow></mule>',
    )
    shared = write(tmp_path, "shared.xml", HEAD + '<sub-flow name="s"><logger/></sub-flow></mule>')
    assert run(str(main), str(shared)).exit_code == 1
    assert run("--app", str(main), str(shared)).exit_code == 0


def test_output_option_writes_the_report(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.xml", UNRESOLVED)
    report = tmp_path / "out" / "report.json"
    report.parent.mkdir()
    result = run("--format", "json", "-o", str(report), str(path))
    assert result.exit_code == 1
    assert result.output == ""
    assert json.loads(report.read_text())["files"][0]["valid"] is False


@pytest.mark.parametrize("config", sorted(INVALID.glob("*.xml")), ids=lambda p: p.stem)
def test_every_invalid_config_reports_its_marked_rules(config: Path) -> None:
    expected = set()
    for number, line in enumerate(config.read_text().splitlines(), start=1):
        if "<!-- expect " in line:
            expected.add((line.split("<!-- expect ")[1].split()[0], number))
    result = run("--format", "json", str(config))
    problems = json.loads(result.output)["files"][0]["problems"]
    reported = {(p["rule"], p["line"]) for p in problems}
    assert expected <= reported, problems
    errors = [p for p in problems if p["severity"] == "error"]
    assert {(p["rule"], p["line"]) for p in errors} <= expected, errors
    assert result.exit_code == (1 if errors else 0)


def test_there_are_at_least_60_invalid_configs() -> None:
    configs = sorted(INVALID.glob("*.xml"))
    assert len(configs) >= 60
    assert len([c for c in configs if c.name.startswith("xsd-")]) >= 15


def _corpus() -> list[Path]:
    return sorted(SHARED_CORPUS.rglob("*.xml")) if SHARED_CORPUS.is_dir() else []


@pytest.mark.skipif(not SHARED_CORPUS.is_dir(), reason="../shared conformance corpus is absent")
def test_the_conformance_corpus_is_valid() -> None:
    files = _corpus()
    assert len(files) >= 50
    result = run("--format", "json", *map(str, files))
    report = json.loads(result.output)
    errors = [
        (f["file"], p["line"], p["rule"], p["message"])
        for f in report["files"]
        for p in f["problems"]
        if p["severity"] == "error"
    ]
    assert errors == []
    assert result.exit_code == 0
    assert len(report["files"]) == len(files)

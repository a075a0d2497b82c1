"""Report formats: validation findings rendered as text, JSON, JUnit XML, GitHub
workflow commands or SARIF 2.1.0.

Every renderer takes the same input, a sequence of ``FileFindings`` (one file and its
``Problem`` values, from ``model/validator.py``), and returns the whole report as one
string, so the CLI prints exactly one document per run. Renderers only format; they
decide nothing about exit codes or severities.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import quote

from mule_emulator.loading.problems import ERROR, NOTE, WARNING, Problem
from mule_emulator.model.validator import FileFindings

FORMATS = ("text", "json", "junit", "github", "sarif")

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/mule-emu/mule-emu/blob/main/docs/validation-rules.md"


def xml_escape(text: str) -> str:
    """Text content for XML (xml.sax.saxutils would pull in urllib.request at start-up)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quoteattr(text: str) -> str:
    """A double-quoted XML attribute value; newlines kept as character references."""
    escaped = xml_escape(text).replace('"', "&quot;")
    return '"' + escaped.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;") + '"'


def _where(p: Problem) -> str:
    where = p.file
    if p.line:
        where += f":{p.line}"
        if p.column:
            where += f":{p.column}"
    return where


def summary_line(files: Sequence[FileFindings]) -> str:
    """``N files checked, K invalid: E errors, W warnings, X notes``."""
    errors = sum(f.count(ERROR) for f in files)
    warnings = sum(f.count(WARNING) for f in files)
    notes = sum(f.count(NOTE) for f in files)
    invalid = sum(1 for f in files if not f.valid)
    noun = "file" if len(files) == 1 else "files"
    return (
        f"{len(files)} {noun} checked, {invalid} invalid: "
        f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}, "
        f"{notes} note{'s' * (notes != 1)}"
    )


def render_text(files: Sequence[FileFindings], rules: Mapping[str, str] | None = None) -> str:
    """``file:line:col: severity: message [rule] (path)`` per problem, then a summary."""
    lines = []
    for f in files:
        for p in f.problems:
            text = f"{_where(p)}: {p.severity}: {p.message} [{p.rule}]"
            if p.path:
                text += f" ({p.path})"
            lines.append(text)
    lines.append(summary_line(files))
    return "\n".join(lines) + "\n"


def render_json(files: Sequence[FileFindings], rules: Mapping[str, str] | None = None) -> str:
    """One JSON document: ``{"files": [{"file", "valid", "problems": [...]}]}``."""
    document = {
        "files": [
            {"file": f.file, "valid": f.valid, "problems": [p.as_dict() for p in f.problems]}
            for f in files
        ]
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_junit(files: Sequence[FileFindings], rules: Mapping[str, str] | None = None) -> str:
    """JUnit XML: one test case per file; error problems are its failures, the rest
    go to ``system-out`` so CI shows them without failing the case."""
    failures = sum(1 for f in files if not f.valid)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<testsuites name="mule-emu validate" tests="{len(files)}" failures="{failures}" '
        'errors="0">',
        f'  <testsuite name="mule-emu validate" tests="{len(files)}" failures="{failures}" '
        'errors="0" skipped="0">',
    ]
    for f in files:
        out.append(f'    <testcase classname="mule-emu.validate" name={quoteattr(f.file)}>')
        errors = [p for p in f.problems if p.severity == ERROR]
        others = [p for p in f.problems if p.severity != ERROR]
        if errors:
            first = errors[0]
            body = "\n".join(_text_line(p) for p in errors)
            out.append(
                f"      <failure message={quoteattr(first.message)} "
                f"type={quoteattr(first.rule)}>{xml_escape(body)}</failure>"
            )
        if others:
            body = "\n".join(_text_line(p) for p in others)
            out.append(f"      <system-out>{xml_escape(body)}</system-out>")
        out.append("    </testcase>")
    out += ["  </testsuite>", "</testsuites>"]
    return "\n".join(out) + "\n"


def _text_line(p: Problem) -> str:
    text = f"{_where(p)}: {p.severity}: {p.message} [{p.rule}]"
    return text + (f" ({p.path})" if p.path else "")


def _gh_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(value: str) -> str:
    return _gh_data(value).replace(":", "%3A").replace(",", "%2C")


_GH_COMMAND = {ERROR: "error", WARNING: "warning", NOTE: "notice"}


def render_github(files: Sequence[FileFindings], rules: Mapping[str, str] | None = None) -> str:
    """GitHub Actions workflow commands (``::error file=..,line=..::message``), which the
    runner turns into annotations on the pull request, then the summary."""
    lines = []
    for f in files:
        for p in f.problems:
            props = [f"file={_gh_property(p.file)}"]
            if p.line:
                props.append(f"line={p.line}")
                if p.column:
                    props.append(f"col={p.column}")
            props.append(f"title={_gh_property(p.rule)}")
            message = p.message + (f" ({p.path})" if p.path else "")
            lines.append(
                f"::{_GH_COMMAND.get(p.severity, 'error')} {','.join(props)}::{_gh_data(message)}"
            )
    lines.append(summary_line(files))
    return "\n".join(lines) + "\n"


_SARIF_LEVEL = {ERROR: "error", WARNING: "warning", NOTE: "note"}


def render_sarif(files: Sequence[FileFindings], rules: Mapping[str, str] | None = None) -> str:
    """SARIF 2.1.0: one run, one rule descriptor per rule id used, one result per problem."""
    descriptions = dict(rules or {})
    used: list[str] = []
    for f in files:
        for p in f.problems:
            if p.rule not in used:
                used.append(p.rule)
    index = {rule: i for i, rule in enumerate(used)}
    results = []
    for f in files:
        for p in f.problems:
            physical: dict[str, object] = {"artifactLocation": {"uri": _sarif_uri(p.file)}}
            if p.line > 0:
                region: dict[str, int] = {"startLine": p.line}
                if p.column > 0:
                    region["startColumn"] = p.column
                physical["region"] = region
            location: dict[str, object] = {"physicalLocation": physical}
            if p.path:
                location["logicalLocations"] = [{"fullyQualifiedName": p.path, "kind": "element"}]
            results.append(
                {
                    "ruleId": p.rule,
                    "ruleIndex": index[p.rule],
                    "level": _SARIF_LEVEL.get(p.severity, "error"),
                    "message": {"text": p.message},
                    "locations": [location],
                }
            )
    descriptors = [
        {
            "id": rule,
            "shortDescription": {"text": descriptions.get(rule, rule)},
            "helpUri": f"{INFORMATION_URI}#{rule.lower()}",
        }
        for rule in used
    ]
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "mule-emu",
                        "informationUri": INFORMATION_URI,
                        "rules": descriptors,
                    }
                },
                "artifacts": [{"location": {"uri": _sarif_uri(f.file)}} for f in files],
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _sarif_uri(file: str) -> str:
    """A URI reference with forward slashes, as code-scanning upload expects."""
    return quote(file.replace("\\", "/"), safe="/:")


RENDERERS: Mapping[str, Callable[[Sequence[FileFindings], Mapping[str, str] | None], str]] = {
    "text": render_text,
    "json": render_json,
    "junit": render_junit,
    "github": render_github,
    "sarif": render_sarif,
}


def render(files: Sequence[FileFindings], fmt: str, rules: Mapping[str, str] | None = None) -> str:
    """Render ``files`` in format ``fmt`` (one of ``FORMATS``)."""
    return RENDERERS[fmt](files, rules)


__all__ = [
    "FORMATS",
    "render",
    "render_github",
    "render_json",
    "render_junit",
    "render_sarif",
    "render_text",
    "summary_line",
]

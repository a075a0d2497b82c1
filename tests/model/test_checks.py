"""Semantic checks on our own invalid configs (tests/model/invalid/).

Each config marks the line where a problem must be reported with a comment
``<!-- expect RULE -->``. The test asserts that every marked (rule, line) is reported
and that nothing else of error or warning severity is.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mule_emulator.errors import SourceLocation
from mule_emulator.loading.document import parse_bytes, parse_file
from mule_emulator.loading.problems import ERROR, NOTE, WARNING, Problem
from mule_emulator.model.checks import RULES, check_app, check_documents
from mule_emulator.model.parser import parse_app
from mule_emulator.model.validator import placeholder_warnings

INVALID = Path(__file__).parent / "invalid"
SEMANTIC = sorted(p for p in INVALID.glob("mule*.xml"))
_EXPECT = re.compile(r"<!-- expect (\S+) -->")


def expectations(path: Path) -> set[tuple[str, int]]:
    found = set()
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        for rule in _EXPECT.findall(line):
            found.add((rule, number))
    return found


def semantic_problems(*docs_text: str | Path) -> list[Problem]:
    docs = [
        parse_file(d) if isinstance(d, Path) else parse_bytes(d.encode(), f"app{i}.xml")
        for i, d in enumerate(docs_text)
    ]
    problems = check_documents(docs)
    if any(p.severity == ERROR for p in problems):
        return problems
    unresolved: list[tuple[str, SourceLocation]] = []
    config = parse_app(docs, unresolved=unresolved)
    return problems + placeholder_warnings(unresolved, docs[0].file) + check_app(config)


def test_there_are_many_semantic_configs() -> None:
    assert len(SEMANTIC) >= 45
    rules_covered = {rule for path in SEMANTIC for rule, _ in expectations(path)}
    semantic_rules = {r for r in RULES if r not in ("MULE000", "MULE100", "MULE900")}
    assert semantic_rules <= rules_covered


@pytest.mark.parametrize("path", SEMANTIC, ids=lambda p: p.stem)
def test_invalid_config_reports_rule_at_line(path: Path) -> None:
    expected = expectations(path)
    assert expected, f"{path.name} has no <!-- expect RULE --> marker"
    problems = semantic_problems(path)
    reported = {(p.rule, p.line) for p in problems}
    missing = expected - reported
    assert not missing, f"not reported: {missing}; got {[(p.rule, p.line) for p in problems]}"
    serious = {(p.rule, p.line) for p in problems if p.severity in (ERROR, WARNING)}
    unexpected = serious - expected
    assert not unexpected, f"unexpected problems: {unexpected}"
    for p in problems:
        assert p.file == str(path)
        assert p.severity == RULES[p.rule].severity
        assert p.message
        assert p.path.startswith("/mule")


HEADER = (
    '<mule xmlns="http://www.mulesoft.org/schema/mule/core" '
    'xmlns:vm="http://www.mulesoft.org/schema/mule/vm">'
)


def test_a_sound_app_has_no_problems() -> None:
    problems = semantic_problems(
        HEADER
        + """
  <vm:connector name="a"/>
  <vm:connector name="b"/>
  <vm:endpoint name="orders" path="orders" connector-ref="a"/>
  <sub-flow name="enrich"><logger/></sub-flow>
  <flow name="entry">
    <vm:inbound-endpoint path="in" connector-ref="a" exchange-pattern="request-response"/>
    <flow-ref name="enrich"/>
    <outbound-endpoint ref="orders"/>
    <vm:outbound-endpoint path="price" connector-ref="b" exchange-pattern="request-response"/>
  </flow>
  <flow name="ordersFlow">
    <inbound-endpoint ref="orders"/>
    <logger/>
  </flow>
  <flow name="price">
    <vm:inbound-endpoint path="price" connector-ref="b" exchange-pattern="request-response"/>
    <logger/>
  </flow>
</mule>"""
    )
    assert problems == []


def test_limited_redelivery_and_default_strategy_are_fine() -> None:
    problems = semantic_problems(
        HEADER
        + """
  <flow name="main">
    <vm:inbound-endpoint path="in"><vm:transaction action="ALWAYS_BEGIN"/></vm:inbound-endpoint>
    <logger/>
    <rollback-exception-strategy maxRedeliveryAttempts="3"/>
  </flow>
  <flow name="rr" processingStrategy="default">
    <vm:inbound-endpoint path="rr" exchange-pattern="request-response"/>
    <logger/>
  </flow>
  <flow name="sync" processingStrategy="synchronous">
    <vm:inbound-endpoint path="sync" exchange-pattern="request-response"/>
    <logger/>
  </flow>
</mule>"""
    )
    assert problems == []


def test_references_across_files_of_one_app_resolve() -> None:
    first = (
        HEADER + '<flow name="a"><vm:inbound-endpoint path="in"/><flow-ref name="b"/></flow></mule>'
    )
    second = HEADER + '<sub-flow name="b"><logger/></sub-flow></mule>'
    assert semantic_problems(first, second) == []
    alone = semantic_problems(first)
    assert [(p.rule, p.line) for p in alone] == [("MULE106", 1)]


def test_a_duplicate_across_files_names_the_other_file() -> None:
    first = HEADER + '<flow name="a"><vm:inbound-endpoint path="in"/></flow></mule>'
    second = HEADER + '<flow name="a"><vm:inbound-endpoint path="in2"/></flow></mule>'
    problems = semantic_problems(first, second)
    assert [(p.rule, p.file) for p in problems] == [("MULE701", "app1.xml")]
    assert "app0.xml:1" in problems[0].message


def test_ambiguous_connector_uses_mules_message() -> None:
    problems = semantic_problems(INVALID / "mule201-inbound-without-connector.xml")
    assert problems[0].message == (
        'There are at least 2 connectors matching protocol "vm", so the connector to use must '
        "be specified on the endpoint using the 'connector' property/attribute. Connectors in "
        'your configuration that support "vm" are: fast, slow,'
    )


def test_dynamic_names_are_not_checked() -> None:
    problems = semantic_problems(
        HEADER
        + """
  <flow name="main">
    <vm:inbound-endpoint path="in"/>
    <flow-ref name="#['sub-' + payload]"/>
    <vm:outbound-endpoint path="#[flowVars.target]"/>
  </flow>
</mule>"""
    )
    assert problems == []


def test_one_warning_per_unheard_path() -> None:
    problems = semantic_problems(
        HEADER
        + """
  <flow name="main">
    <vm:inbound-endpoint path="in"/>
    <vm:outbound-endpoint path="out"/>
    <vm:outbound-endpoint path="out"/>
  </flow>
</mule>"""
    )
    assert [(p.rule, p.line) for p in problems] == [("MULE301", 4)]
    assert "1 more" in problems[0].message


def test_rule_table_is_consistent() -> None:
    for rule_id, rule in RULES.items():
        assert rule.id == rule_id
        assert rule.severity in (ERROR, WARNING, NOTE)
        assert rule.title

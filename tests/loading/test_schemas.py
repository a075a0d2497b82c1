# ruff: noqa: E501  (XML fixtures keep their long schemaLocation lines)
"""The bundled XSDs and validate_document(): Mule-accepted configs pass, rejected ones fail.

Each invalid case is a small document of our own; the offending line carries the marker
comment ``<!--HERE-->`` so the expected line number is found, not hard-coded.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from lxml import etree

from mule_emulator.loading.document import parse_bytes, parse_file
from mule_emulator.loading.problems import ERROR, WARNING, Problem
from mule_emulator.loading.validation import combined_schema, placeholder_kind, validate_document

CONFORMANCE = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "mule-3.9-vm"

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:vm="http://www.mulesoft.org/schema/mule/vm"
      xmlns:test="http://www.mulesoft.org/schema/mule/test"
      xmlns:spring="http://www.springframework.org/schema/beans"
      xmlns:context="http://www.springframework.org/schema/context"
      xmlns:doc="http://www.mulesoft.org/schema/mule/documentation"
      xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
      xsi:schemaLocation="
        http://www.mulesoft.org/schema/mule/core http://www.mulesoft.org/schema/mule/core/current/mule.xsd
        http://www.mulesoft.org/schema/mule/vm http://www.mulesoft.org/schema/mule/vm/current/mule-vm.xsd
        http://www.mulesoft.org/schema/mule/test http://www.mulesoft.org/schema/mule/test/current/mule-test.xsd
        http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans-current.xsd
        http://www.springframework.org/schema/context http://www.springframework.org/schema/context/spring-context-current.xsd">
"""
MARK = "<!--HERE-->"


def config(body: str, header: str = HEADER) -> bytes:
    return (header + body + "\n</mule>\n").encode()


def marked_line(text: bytes) -> int:
    for number, line in enumerate(text.decode().splitlines(), start=1):
        if MARK in line:
            return number
    raise AssertionError("test document has no HERE marker")


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == ERROR]


def check(body: str, header: str = HEADER) -> list[Problem]:
    return validate_document(parse_bytes(config(body, header), "case.xml"))


# ---------------------------------------------------------------- the conformance corpus


def _corpus() -> list[Path]:
    if not CONFORMANCE.is_dir():
        return []
    return sorted(CONFORMANCE.rglob("*.xml"))


@pytest.mark.skipif(not CONFORMANCE.is_dir(), reason="../shared/conformance is not present")
def test_corpus_is_there() -> None:
    assert len(_corpus()) >= 50


@pytest.mark.skipif(not CONFORMANCE.is_dir(), reason="../shared/conformance is not present")
@pytest.mark.parametrize("path", _corpus(), ids=lambda p: str(p.relative_to(CONFORMANCE)))
def test_conformance_config_validates(path: Path) -> None:
    problems = validate_document(parse_file(path))
    assert errors(problems) == [], [f"{p.line}: {p.rule} {p.message}" for p in problems]


# ---------------------------------------------------------------- documents Mule accepts

VALID = {
    "flows, services, endpoints and transactions": """
  <vm:connector name="vm1" queueTimeout="5000" numberOfConcurrentTransactedReceivers="4">
    <receiver-threading-profile maxThreadsActive="2" poolExhaustedAction="WAIT"/>
    <vm:queue-profile maxOutstandingMessages="10"><default-persistent-queue-store/></vm:queue-profile>
  </vm:connector>
  <vm:connector name="vm2"><vm:queueProfile maxOutstandingMessages="${max}"/></vm:connector>
  <vm:endpoint name="in" path="in" exchange-pattern="one-way" connector-ref="vm1">
    <vm:transaction action="ALWAYS_BEGIN" timeout="42"/>
  </vm:endpoint>
  <queued-asynchronous-processing-strategy name="qs" maxThreads="2"/>
  <flow name="main" processingStrategy="qs" doc:name="main">
    <vm:inbound-endpoint ref="in" doc:name="in"/>
    <logger message="#[payload]" level="INFO"/>
    <set-variable variableName="v" value="1"/>
    <choice>
      <when expression="#[true]"><test:component appendString=" X"/></when>
      <otherwise><echo-component/></otherwise>
    </choice>
    <vm:outbound-endpoint path="out" exchange-pattern="request-response">
      <transformer ref="t"/>
      <xa-transaction action="JOIN_IF_POSSIBLE"/>
    </vm:outbound-endpoint>
    <catch-exception-strategy><logger/></catch-exception-strategy>
  </flow>
  <sub-flow name="sub"><flow-ref name="main"/></sub-flow>
  <model name="m">
    <service name="s" queueTimeout="100">
      <inbound><vm:inbound-endpoint path="s.in"/><forwarding-router/></inbound>
      <component class="org.example.Thing"/>
      <outbound><pass-through-router><vm:outbound-endpoint path="s.out"/></pass-through-router></outbound>
      <default-exception-strategy><commit-transaction exception-pattern="*"/></default-exception-strategy>
      <threading-profile maxThreadsActive="1"/>
      <queue-profile maxOutstandingMessages="5"/>
    </service>
  </model>
  <spring:beans><spring:bean id="b" class="java.lang.String"><spring:constructor-arg value="x"/></spring:bean></spring:beans>
  <context:property-placeholder location="app.properties"/>
""",
    "a flow with one processor only": '<flow name="f"><logger/></flow>',
    "spring beans with maps, lists and props": """
  <spring:bean name="m" class="java.util.HashMap">
    <spring:property name="a"><spring:map><spring:entry key="k" value="v"/></spring:map></spring:property>
    <spring:property name="b"><spring:list><spring:value>x</spring:value><spring:null/></spring:list></spring:property>
    <spring:property name="c"><spring:props><spring:prop key="p">q</spring:prop></spring:props></spring:property>
  </spring:bean>
""",
}


@pytest.mark.parametrize("body", list(VALID.values()), ids=list(VALID))
def test_mule_accepted_documents_pass(body: str) -> None:
    problems = check(body)
    assert errors(problems) == [], [f"{p.line}: {p.rule} {p.message}" for p in problems]


# ---------------------------------------------------------------- documents Mule rejects

INVALID: list[tuple[str, str, str]] = [
    (
        "queueTimeout zero",
        "xsd-bad-attribute-value",
        f'<vm:connector name="c" queueTimeout="0"/>{MARK}',
    ),
    (
        "queueTimeout negative",
        "xsd-bad-attribute-value",
        f'<vm:connector name="c" queueTimeout="-5"/>{MARK}',
    ),
    (
        "queueTimeout placeholder is not allowed (plain xs:positiveInteger)",
        "xsd-bad-attribute-value",
        f'<vm:connector name="c" queueTimeout="${{t}}"/>{MARK}',
    ),
    (
        "bad exchange-pattern",
        "xsd-bad-attribute-value",
        f'<flow name="f">\n<vm:inbound-endpoint path="a" exchange-pattern="two-way"/>{MARK}\n'
        "<logger/></flow>",
    ),
    (
        "bad transaction action",
        "xsd-bad-attribute-value",
        f'<vm:endpoint name="e" path="a">\n<vm:transaction action="SOMETIMES"/>{MARK}\n</vm:endpoint>',
    ),
    (
        "missing transaction action",
        "xsd-missing-attribute",
        f'<vm:endpoint name="e" path="a">\n<xa-transaction/>{MARK}\n</vm:endpoint>',
    ),
    (
        "bad transactional action",
        "xsd-bad-attribute-value",
        f'<flow name="f">\n<transactional action="ALWAYS_JOIN">{MARK}<logger/></transactional>\n'
        "</flow>",
    ),
    ("empty flow", "xsd-missing-element", f'<flow name="f">{MARK}\n</flow>'),
    (
        "flow with only a source",
        "xsd-missing-element",
        f'<flow name="f">{MARK}\n<vm:inbound-endpoint path="a"/>\n</flow>',
    ),
    ("empty sub-flow", "xsd-missing-element", f'<sub-flow name="s">{MARK}\n</sub-flow>'),
    (
        "inbound endpoint after a processor",
        "xsd-unexpected-element",
        f'<flow name="f">\n<logger/>\n<vm:inbound-endpoint path="a"/>{MARK}\n</flow>',
    ),
    (
        "exception strategy before processors",
        "xsd-unexpected-element",
        f'<flow name="f">\n<catch-exception-strategy/>{MARK}\n<logger/>\n</flow>',
    ),
    (
        "two exception strategies",
        "xsd-unexpected-element",
        '<flow name="f"><logger/>\n<catch-exception-strategy/>\n'
        f"<rollback-exception-strategy/>{MARK}\n</flow>",
    ),
    ("unknown core element", "xsd-unknown-element", f'<flow name="f">\n<loger/>{MARK}\n</flow>'),
    ("unknown vm element", "xsd-unknown-element", f'<vm:queue name="q"/>{MARK}'),
    (
        "unknown attribute",
        "xsd-unknown-attribute",
        f'<flow name="f">\n<logger mesage="x"/>{MARK}\n</flow>',
    ),
    (
        "persistent on a queue profile (removed in 3.2)",
        "xsd-unknown-attribute",
        f'<vm:connector name="c">\n<vm:queue-profile persistent="true"/>{MARK}\n</vm:connector>',
    ),
    ("missing flow name", "xsd-missing-attribute", f"<flow>{MARK}<logger/></flow>"),
    ("missing connector name", "xsd-missing-attribute", f"<vm:connector/>{MARK}"),
    ("missing global endpoint name", "xsd-missing-attribute", f'<vm:endpoint path="a"/>{MARK}'),
    ("blank flow name", "xsd-bad-attribute-value", f'<flow name="  ">{MARK}<logger/></flow>'),
    (
        "flow-ref without name",
        "xsd-missing-attribute",
        f'<flow name="f">\n<flow-ref/>{MARK}\n</flow>',
    ),
    (
        "maxOutstandingMessages not a number",
        "xsd-bad-attribute-value",
        f'<vm:connector name="c">\n<vm:queue-profile maxOutstandingMessages="many"/>{MARK}\n'
        "</vm:connector>",
    ),
    (
        "poolExhaustedAction unknown",
        "xsd-bad-attribute-value",
        '<vm:connector name="c">\n'
        f'<dispatcher-threading-profile poolExhaustedAction="BLOCK"/>{MARK}\n</vm:connector>',
    ),
    (
        "threading profiles in the wrong order",
        "xsd-unexpected-element",
        '<vm:connector name="c">\n<dispatcher-threading-profile/>\n'
        f"<receiver-threading-profile/>{MARK}\n</vm:connector>",
    ),
    (
        "boolean attribute not a boolean",
        "xsd-bad-attribute-value",
        f'<vm:connector name="c" validateConnections="yes"/>{MARK}',
    ),
    (
        "test component throwException not a boolean",
        "xsd-bad-attribute-value",
        f'<flow name="f">\n<test:component throwException="sometimes"/>{MARK}\n</flow>',
    ),
    (
        "logger level unknown",
        "xsd-bad-attribute-value",
        f'<flow name="f">\n<logger level="LOUD"/>{MARK}\n</flow>',
    ),
    (
        "text inside a flow",
        "xsd-unexpected-text",
        f'<flow name="f">{MARK}\n<logger/> hello\n</flow>',
    ),  # reported on the parent
    (
        "service component before inbound",
        "xsd-unexpected-element",
        '<model name="m"><service name="s">\n<echo-component/>\n'
        f"<inbound/>{MARK}\n</service></model>",
    ),
    (
        "pass-through-router without endpoint",
        "xsd-missing-element",
        '<model name="m"><service name="s"><outbound>\n'
        f"<pass-through-router/>{MARK}\n</outbound></service></model>",
    ),
    (
        "service threading profile after queue profile",
        "xsd-unexpected-element",
        '<model name="m"><service name="s">\n<queue-profile/>\n'
        f"<threading-profile/>{MARK}\n</service></model>",
    ),
    (
        "and-filter with one filter",
        "xsd-missing-element",
        f'<flow name="f">\n<message-filter><and-filter>{MARK}<regex-filter pattern="a"/>'
        "</and-filter></message-filter>\n</flow>",
    ),
    (
        "default-exception-strategy at the top level",
        "xsd-unexpected-element",
        f"<default-exception-strategy/>{MARK}",
    ),
    (
        "set-variable with empty name",
        "xsd-bad-attribute-value",
        f'<flow name="f">\n<set-variable variableName="" value="x"/>{MARK}\n</flow>',
    ),
    (
        "processingStrategy on async unknown is a string (ok) but bad flow initialState",
        "xsd-bad-attribute-value",
        f'<flow name="f" initialState="paused">{MARK}<logger/></flow>',
    ),
    (
        "spring property without name",
        "xsd-missing-attribute",
        f'<spring:bean class="x">\n<spring:property value="v"/>{MARK}\n</spring:bean>',
    ),
    (
        "element without namespace",
        "xsd-unexpected-element",
        f'<flow name="f">\n<logger xmlns=""/>{MARK}\n</flow>',
    ),
]


@pytest.mark.parametrize(
    ("rule", "body"), [(r, b) for _, r, b in INVALID], ids=[n for n, _, _ in INVALID]
)
def test_mule_rejected_documents_fail(rule: str, body: str) -> None:
    text = config(body)
    problems = errors(validate_document(parse_bytes(text, "case.xml")))
    assert problems, f"expected {rule}, got nothing"
    first = problems[0]
    assert (first.rule, first.line) == (rule, marked_line(text)), problems
    assert first.file == "case.xml"
    assert first.path.startswith("/mule")
    assert first.message


def test_enough_invalid_cases() -> None:
    assert len(INVALID) >= 30


# ---------------------------------------------------------------- messages and paths


def test_message_names_the_allowed_values_and_the_path() -> None:
    problems = errors(
        check(
            '<flow name="a"><logger/></flow>\n<flow name="b"><vm:inbound-endpoint path="x" '
            'exchange-pattern="both"/><logger/></flow>'
        )
    )
    assert len(problems) == 1
    p = problems[0]
    assert p.path == "/mule/flow[2]/vm:inbound-endpoint"
    assert "one-way" in p.message and "request-response" in p.message and "both" in p.message


def test_queue_timeout_message_explains_the_type() -> None:
    (p,) = errors(check('<vm:connector name="c" queueTimeout="0"/>'))
    assert "positive" in p.message and "queueTimeout" in p.message


def test_persistent_attribute_message_points_to_store_elements() -> None:
    (p,) = errors(
        check('<vm:connector name="c"><vm:queue-profile persistent="true"/></vm:connector>')
    )
    assert "default-persistent-queue-store" in p.message


def test_unknown_element_suggests_a_close_name() -> None:
    (p,) = errors(check('<flow name="f"><loger/></flow>'))
    assert "logger" in p.message


def test_empty_flow_message_says_a_processor_is_needed() -> None:
    (p,) = errors(check('<flow name="f"></flow>'))
    assert "message processor" in p.message


def test_placeholders_are_accepted_where_mule_accepts_them() -> None:
    body = (
        '<vm:connector name="c" validateConnections="${v}" numberOfConcurrentTransactedReceivers="${n}">'
        '<receiver-threading-profile maxThreadsActive="${t}"/></vm:connector>'
    )
    assert errors(check(body)) == []


def test_root_must_be_mule() -> None:
    doc = parse_bytes(b'<beans xmlns="http://www.springframework.org/schema/beans"/>', "b.xml")
    (p,) = errors(validate_document(doc))
    assert p.rule == "xsd-unexpected-element" and p.line == 1 and "mule" in p.message


# ---------------------------------------------------------------- unbundled namespaces

FOREIGN_HEADER = HEADER.replace(
    'xmlns:doc="',
    'xmlns:http="http://www.mulesoft.org/schema/mule/http"\n'
    '      xmlns:jms="http://www.mulesoft.org/schema/mule/jms"\n      xmlns:doc="',
)


def test_unbundled_elements_are_warned_once_each_and_the_rest_is_checked() -> None:
    body = f"""
  <jms:activemq-connector name="jms" brokerURL="vm://localhost"/>{MARK}
  <flow name="f">
    <http:listener config-ref="x" path="/"><http:response-builder/></http:listener>
    <jms:outbound-endpoint queue="q"><transformer ref="t"/></jms:outbound-endpoint>
    <logger/>
  </flow>"""
    problems = check(body, FOREIGN_HEADER)
    warnings = [p for p in problems if p.rule == "unchecked-namespace"]
    assert [p.severity for p in warnings] == [WARNING] * 3
    assert warnings[0].line == marked_line(config(body, FOREIGN_HEADER))
    assert warnings[1].path == "/mule/flow/http:listener"
    assert errors(problems) == []


def test_declared_but_unused_unbundled_namespaces_change_nothing() -> None:
    # Validated as they stand (no copy): no warning, and errors are still found.
    assert check('<flow name="f"><logger/></flow>', FOREIGN_HEADER) == []
    body = f"""
  <flow name="f">
    <vm:outbound-endpoint path="a" exchange-pattern="sometimes"/>{MARK}
  </flow>"""
    text = config(body, FOREIGN_HEADER)
    (p,) = validate_document(parse_bytes(text, "case.xml"))
    assert (p.rule, p.line) == ("xsd-bad-attribute-value", marked_line(text))


def test_an_unbundled_element_where_any_element_may_stand_is_still_reported() -> None:
    # <annotations> takes any element, so the document is valid as it stands; the
    # element is still reported as not checked.
    body = '<flow name="f"><annotations><jms:note/></annotations><logger/></flow>'
    problems = check(body, FOREIGN_HEADER)
    assert [p.rule for p in problems] == ["unchecked-namespace"]


def test_errors_next_to_unbundled_elements_are_still_found() -> None:
    body = f"""
  <flow name="f">
    <http:listener config-ref="x" path="/"/>
    <vm:outbound-endpoint path="a" exchange-pattern="sometimes"/>{MARK}
  </flow>"""
    text = config(body, FOREIGN_HEADER)
    (p,) = errors(validate_document(parse_bytes(text, "case.xml")))
    assert (p.rule, p.line) == ("xsd-bad-attribute-value", marked_line(text))
    assert p.path == "/mule/flow/vm:outbound-endpoint"


def test_core_elements_inside_unbundled_elements_are_checked() -> None:
    body = f"""
  <flow name="f">
    <jms:inbound-endpoint queue="q">
      <vm:transaction action="NEVER_EVER"/>{MARK}
    </jms:inbound-endpoint>
    <logger/>
  </flow>"""
    text = config(body, FOREIGN_HEADER)
    (p,) = errors(validate_document(parse_bytes(text, "case.xml")))
    assert (p.rule, p.line) == ("xsd-bad-attribute-value", marked_line(text))


@pytest.mark.parametrize(
    ("xml", "kind"),
    [
        ("<mule xmlns='{c}'><x:config/></mule>", "global-element"),
        ("<mule xmlns='{c}'><flow name='f'><x:listener/></flow></mule>", "message-source"),
        ("<mule xmlns='{c}'><flow name='f'><logger/><x:request/></flow></mule>", "processor"),
        (
            "<mule xmlns='{c}'><flow name='f'><x:inbound-endpoint/></flow></mule>",
            "inbound-endpoint",
        ),
        (
            "<mule xmlns='{c}'><flow name='f'><x:json-to-object-transformer/></flow></mule>",
            "transformer",
        ),
        ("<mule xmlns='{c}'><flow name='f'><x:schema-validation-filter/></flow></mule>", "filter"),
        ("<mule xmlns='{c}'><flow name='f'><x:component/></flow></mule>", "component"),
        ("<mule xmlns='{c}'><flow name='f'><x:transaction/></flow></mule>", "transaction"),
    ],
)
def test_placeholder_kind_follows_place_and_name(xml: str, kind: str) -> None:
    root = etree.fromstring(
        xml.format(c="http://www.mulesoft.org/schema/mule/core").replace(
            "<mule ", "<mule xmlns:x='urn:other' "
        )
    )
    (el,) = root.iter("{urn:other}*")
    assert placeholder_kind(el) == kind


def test_doc_attributes_are_allowed_everywhere() -> None:
    body = (
        '<vm:connector name="c" doc:name="c"><vm:queue-profile doc:name="q" maxOutstandingMessages="1"/>'
        '</vm:connector><flow name="f" doc:description="d"><logger doc:name="l"/></flow>'
    )
    assert errors(check(body)) == []


def test_the_callers_tree_is_not_modified() -> None:
    text = config(
        '<flow name="f"><http:listener path="/"/><logger doc:name="x"/></flow>', FOREIGN_HEADER
    )
    doc = parse_bytes(text, "case.xml")
    before = etree.tostring(copy.deepcopy(doc.tree))
    validate_document(doc)
    assert etree.tostring(doc.tree) == before


def test_schema_is_compiled_once() -> None:
    assert combined_schema() is combined_schema()

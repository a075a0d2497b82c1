"""The offline catalog: every schemaLocation form Mule 3 resolves maps to a bundled XSD."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from mule_emulator.loading.catalog import default_catalog, schema_files
from mule_emulator.loading.document import parse_bytes
from mule_emulator.loading.problems import ERROR, NOTE, WARNING
from mule_emulator.loading.validation import validate_document

CORE = "http://www.mulesoft.org/schema/mule/core"
VM = "http://www.mulesoft.org/schema/mule/vm"
TEST = "http://www.mulesoft.org/schema/mule/test"
BEANS = "http://www.springframework.org/schema/beans"
CONTEXT = "http://www.springframework.org/schema/context"
MULE_VERSIONS = ["current"] + [f"3.{n}" for n in range(1, 10)]


def _mule_urls() -> list[tuple[str, str]]:
    out = []
    for scheme in ("http", "https"):
        for version in MULE_VERSIONS:
            out.append((f"{scheme}://www.mulesoft.org/schema/mule/core/{version}/mule.xsd", CORE))
            out.append((f"{scheme}://www.mulesoft.org/schema/mule/vm/{version}/mule-vm.xsd", VM))
            out.append(
                (f"{scheme}://www.mulesoft.org/schema/mule/test/{version}/mule-test.xsd", TEST)
            )
    return out


def _spring_urls() -> list[tuple[str, str]]:
    out = []
    for scheme in ("http", "https"):
        base = f"{scheme}://www.springframework.org/schema"
        out.append((f"{base}/beans/spring-beans.xsd", BEANS))
        for v in ("2.0", "2.5", "3.0", "3.1", "3.2", "4.0", "4.1", "current"):
            out.append((f"{base}/beans/spring-beans-{v}.xsd", BEANS))
        out.append((f"{base}/context/spring-context.xsd", CONTEXT))
        for v in ("2.5", "3.0", "3.1", "3.2", "4.0", "4.1", "current"):
            out.append((f"{base}/context/spring-context-{v}.xsd", CONTEXT))
    return out


@pytest.mark.parametrize(("url", "namespace"), _mule_urls() + _spring_urls())
def test_every_known_form_resolves_to_a_bundled_file(url: str, namespace: str) -> None:
    res = default_catalog().resolve(url)
    assert res.namespace == namespace
    assert res.bundled is not None
    assert Path(str(schema_files())).joinpath(res.bundled.file).is_file()


@pytest.mark.parametrize(
    "url",
    [
        "http://www.mulesoft.org/schema/mule/core/3.0/mule.xsd",  # not in Mule 3.9's catalog
        "http://www.mulesoft.org/schema/mule/core/current/mule-core.xsd",
        "http://example.com/schemas/mule.xsd",
        "mule.xsd",
        "",
    ],
)
def test_unknown_urls_resolve_to_nothing(url: str) -> None:
    res = default_catalog().resolve(url)
    assert not res.known and res.bundled is None


def test_unbundled_mule_namespaces_are_known_by_form() -> None:
    res = default_catalog().resolve("https://www.mulesoft.org/schema/mule/http/3.8/mule-http.xsd")
    assert res.namespace == "http://www.mulesoft.org/schema/mule/http"
    assert res.bundled is None
    # the file name must match the namespace, as in Mule's spring.schemas
    assert (
        not default_catalog()
        .resolve("http://www.mulesoft.org/schema/mule/vm/current/mule-jms.xsd")
        .known
    )


def test_bundled_namespaces() -> None:
    assert default_catalog().bundled_uris() == {CORE, VM, TEST, BEANS, CONTEXT}
    assert default_catalog().for_namespace("http://www.mulesoft.org/schema/mule/jms") is None


def _doc(locations: str, body: str = '<flow name="f"><logger/></flow>') -> bytes:
    return (
        f'<mule xmlns="{CORE}" xmlns:vm="{VM}" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"\n'
        f'      xsi:schemaLocation="{locations}">\n{body}\n</mule>\n'
    ).encode()


def test_validation_never_touches_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    doc = parse_bytes(_doc(f"{CORE} http://unknown.example.com/mule.xsd"), "n.xml")
    problems = validate_document(doc)
    assert [p.rule for p in problems] == ["schema-location-unknown"]


def test_unknown_url_is_a_note_and_the_namespace_is_still_checked() -> None:
    text = _doc(f"{CORE} http://unknown.example.com/mule.xsd", "<flow name='f'/>")
    problems = validate_document(parse_bytes(text, "n.xml"))
    notes = [p for p in problems if p.rule == "schema-location-unknown"]
    assert [p.severity for p in notes] == [NOTE]
    doc = parse_bytes(text, "n.xml")
    assert notes[0].line == doc.root.sourceline and "never downloads" in notes[0].message
    assert [p.rule for p in problems if p.severity == ERROR] == ["xsd-missing-element"]


def test_known_urls_give_no_finding() -> None:
    text = _doc(
        f"{CORE} https://www.mulesoft.org/schema/mule/core/3.4/mule.xsd "
        f"{VM} http://www.mulesoft.org/schema/mule/vm/current/mule-vm.xsd",
        '<flow name="f"><vm:inbound-endpoint path="a"/><logger/></flow>',
    )
    assert validate_document(parse_bytes(text, "n.xml")) == []


def test_url_of_another_namespace_is_an_error() -> None:
    text = _doc(f"{CORE} http://www.mulesoft.org/schema/mule/vm/current/mule-vm.xsd")
    (p,) = validate_document(parse_bytes(text, "n.xml"))
    assert (p.rule, p.severity) == ("schema-location-mismatch", ERROR)


def test_odd_schema_location_is_malformed() -> None:
    text = _doc(f"{CORE} http://www.mulesoft.org/schema/mule/core/current/mule.xsd {VM}")
    rules = [p.rule for p in validate_document(parse_bytes(text, "n.xml"))]
    assert "schema-location-malformed" in rules


def test_used_namespace_without_location_is_a_warning() -> None:
    text = _doc(
        f"{CORE} http://www.mulesoft.org/schema/mule/core/current/mule.xsd",
        '<vm:connector name="c"/>',
    )
    (p,) = validate_document(parse_bytes(text, "n.xml"))
    assert (p.rule, p.severity) == ("schema-location-missing", WARNING)
    assert "mule-vm.xsd" in p.message

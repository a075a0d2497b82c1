"""references: connector choice (spec C5), endpoint walk, name and strategy lookups."""

# ruff: noqa: E501  (inline XML configs read best unwrapped)

from __future__ import annotations

import pytest

from mule_emulator.errors import ConfigError, UnresolvedReferenceError, UnsupportedError
from mule_emulator.loading.document import parse_bytes
from mule_emulator.model import (
    find_global,
    iter_endpoints,
    parse_app,
    resolve_connector,
    resolve_exception_strategy,
    resolve_processing_strategy,
)
from mule_emulator.model.config import DEFAULT_CONNECTOR_NAME, AppConfig, EndpointConfig
from mule_emulator.model.references import default_exception_strategy, resolve_queue_store

NS = (
    'xmlns="http://www.mulesoft.org/schema/mule/core" '
    'xmlns:vm="http://www.mulesoft.org/schema/mule/vm" '
    'xmlns:spring="http://www.springframework.org/schema/beans"'
)


def app_of(body: str) -> AppConfig:
    return parse_app([parse_bytes(f"<mule {NS}>{body}</mule>".encode(), "refs.xml")])


def source(app: AppConfig, flow: str) -> EndpointConfig:
    s = app.flows[flow].source
    assert isinstance(s, EndpointConfig)
    return s


# --------------------------------------------------------------------------- connectors


def test_single_connector_is_used_without_a_ref() -> None:
    app = app_of('<vm:connector name="only"/><flow name="f"><vm:inbound-endpoint path="a"/></flow>')
    assert resolve_connector(app, source(app, "f")).name == "only"


def test_no_connector_gives_the_implicit_default() -> None:
    app = app_of('<flow name="f"><vm:inbound-endpoint path="a"/></flow>')
    connector = resolve_connector(app, source(app, "f"))
    assert connector.name == DEFAULT_CONNECTOR_NAME
    assert connector.implicit
    assert connector.effective_queue_timeout_ms == 200
    assert connector.effective_tx_receivers == 4


def test_implicit_default_name_gets_a_suffix_when_taken() -> None:
    app = app_of(f'<flow name="{DEFAULT_CONNECTOR_NAME}"><vm:inbound-endpoint path="a"/></flow>')
    connector = resolve_connector(app, source(app, DEFAULT_CONNECTOR_NAME))
    assert connector.name == f"{DEFAULT_CONNECTOR_NAME}.1"


def test_two_connectors_without_a_ref_is_mules_exact_error() -> None:
    app = app_of(
        '<vm:connector name="A"/><vm:connector name="B"/>'
        '<flow name="f"><vm:inbound-endpoint path="a"/></flow>'
    )
    with pytest.raises(ConfigError) as info:
        resolve_connector(app, source(app, "f"))
    assert info.value.message == (
        'There are at least 2 connectors matching protocol "vm", so the connector to use must be '
        "specified on the endpoint using the 'connector' property/attribute. Connectors in your "
        'configuration that support "vm" are: A, B, '
    )
    assert info.value.location.line > 0


def test_connector_ref_and_query_parameter_choose_the_connector() -> None:
    app = app_of(
        '<vm:connector name="A"/><vm:connector name="B"/>'
        '<flow name="f"><vm:inbound-endpoint path="a" connector-ref="B"/></flow>'
        '<flow name="g"><vm:inbound-endpoint address="vm://b?connector=A"/></flow>'
    )
    assert resolve_connector(app, source(app, "f")).name == "B"
    assert resolve_connector(app, source(app, "g")).name == "A"


def test_unknown_connector_name_is_unresolved() -> None:
    app = app_of('<flow name="f"><vm:inbound-endpoint path="a" connector-ref="nope"/></flow>')
    with pytest.raises(UnresolvedReferenceError, match="nope"):
        resolve_connector(app, source(app, "f"))


def test_non_vm_endpoint_has_no_bundled_connector() -> None:
    app = app_of('<flow name="f"><inbound-endpoint address="jms://q"/></flow>')
    with pytest.raises(UnsupportedError, match="jms"):
        resolve_connector(app, source(app, "f"))


# --------------------------------------------------------------------------- endpoints


def test_iter_endpoints_finds_every_endpoint_with_its_owner() -> None:
    app = app_of(
        """
        <vm:endpoint name="g" path="global"/>
        <catch-exception-strategy name="es"><vm:outbound-endpoint path="es-out"/></catch-exception-strategy>
        <processor-chain name="chain"><vm:outbound-endpoint path="chain-out"/></processor-chain>
        <flow name="f">
          <composite-source><vm:inbound-endpoint path="c1"/><vm:inbound-endpoint path="c2"/></composite-source>
          <choice><when expression="#[true]"><vm:outbound-endpoint path="deep"/></when></choice>
          <async><vm:outbound-endpoint path="async-out"/></async>
          <rollback-exception-strategy>
            <on-redelivery-attempts-exceeded><vm:outbound-endpoint path="dlq"/></on-redelivery-attempts-exceeded>
          </rollback-exception-strategy>
        </flow>
        <sub-flow name="sf"><vm:outbound-endpoint path="sub-out"/></sub-flow>
        <model name="m">
          <default-exception-strategy><vm:outbound-endpoint path="model-dlq"/></default-exception-strategy>
          <service name="s">
            <inbound><vm:inbound-endpoint path="s-in"/></inbound>
            <outbound><pass-through-router><vm:outbound-endpoint path="s-out"/></pass-through-router>
              <forwarding-catch-all-strategy><vm:outbound-endpoint path="s-catch"/></forwarding-catch-all-strategy>
            </outbound>
          </service>
        </model>
        """
    )
    found = {(owner, e.path) for owner, e in iter_endpoints(app)}
    assert found == {
        ("g", "global"),
        ("es", "es-out"),
        ("chain", "chain-out"),
        ("f", "c1"),
        ("f", "c2"),
        ("f", "deep"),
        ("f", "async-out"),
        ("f", "dlq"),
        ("sf", "sub-out"),
        ("m", "model-dlq"),
        ("s", "s-in"),
        ("s", "s-out"),
        ("s", "s-catch"),
    }


# --------------------------------------------------------------------------- names


def test_find_global_searches_one_namespace() -> None:
    app = app_of(
        '<vm:connector name="c"/><spring:bean id="b" class="x.Y"/>'
        '<custom-transformer name="t" class="x.T"/><flow name="f"><logger/></flow>'
    )
    assert find_global(app, "c") is app.connectors["c"]
    assert find_global(app, "b") is app.beans["b"]
    assert find_global(app, "t") is app.global_elements["t"]
    assert find_global(app, "f") is app.flows["f"]
    assert find_global(app, "nothing") is None


def test_exception_strategy_references_resolve_and_fail_clearly() -> None:
    app = app_of(
        """<catch-exception-strategy name="real"/>
        <exception-strategy name="alias" ref="real"/>
        <flow name="f"><logger/><exception-strategy ref="alias"/></flow>
        <flow name="bad"><logger/><exception-strategy ref="ghost"/></flow>
        <configuration defaultExceptionStrategy-ref="real"/>"""
    )
    es = app.flows["f"].exception_strategy
    assert es is not None and es.kind == "reference"
    assert resolve_exception_strategy(app, es) is app.exception_strategies["real"]
    bad = app.flows["bad"].exception_strategy
    assert bad is not None
    with pytest.raises(UnresolvedReferenceError, match="ghost"):
        resolve_exception_strategy(app, bad)
    default = default_exception_strategy(app)
    assert default is not None and default.kind == "catch"


def test_processing_strategy_resolution_order() -> None:
    app = app_of(
        """<configuration defaultProcessingStrategy="synchronous"/>
        <queued-asynchronous-processing-strategy name="small" maxThreads="2"/>
        <flow name="kw" processingStrategy="queued-asynchronous"><logger/></flow>
        <flow name="named" processingStrategy="small"><logger/></flow>
        <flow name="dflt"><logger/></flow>
        <flow name="bad" processingStrategy="nope"><logger/></flow>"""
    )
    assert resolve_processing_strategy(app, app.flows["kw"]).kind == "queued-asynchronous"
    named = resolve_processing_strategy(app, app.flows["named"])
    assert named.kind == "queued-asynchronous" and named.max_threads == 2
    assert resolve_processing_strategy(app, app.flows["dflt"]).kind == "synchronous"
    with pytest.raises(UnresolvedReferenceError, match="nope"):
        resolve_processing_strategy(app, app.flows["bad"])
    plain = app_of('<flow name="f"><logger/></flow>')
    assert resolve_processing_strategy(plain, plain.flows["f"]).kind == "default"


def test_queue_store_refs_resolve_to_custom_stores_and_beans() -> None:
    app = app_of(
        """<custom-queue-store name="cs" class="x.Store"/>
        <spring:bean name="bs" class="x.BeanStore"/>
        <vm:connector name="a"><vm:queue-profile><queue-store ref="cs"/></vm:queue-profile></vm:connector>
        <vm:connector name="b"><vm:queue-profile><queue-store ref="bs"/></vm:queue-profile></vm:connector>
        <vm:connector name="c"><vm:queue-profile><queue-store ref="none"/></vm:queue-profile></vm:connector>"""
    )
    store_a = app.connectors["a"].effective_queue_profile.store
    assert resolve_queue_store(app, store_a).class_name == "x.Store"
    store_b = resolve_queue_store(app, app.connectors["b"].effective_queue_profile.store)
    assert store_b.class_name == "x.BeanStore" and store_b.persistent is None
    with pytest.raises(UnresolvedReferenceError):
        resolve_queue_store(app, app.connectors["c"].effective_queue_profile.store)



def test_query_written_into_path_is_not_part_of_the_queue_name() -> None:
    """E2: path="in?responseTransformers=r" names the queue "in"; the query is a URI parameter."""
    app = app_of(
        '<flow name="f"><vm:inbound-endpoint path="in?responseTransformers=r"/>'
        "<logger/></flow>"
    )
    source = app.flows["f"].source
    assert isinstance(source, EndpointConfig)
    assert source.path == "in"
    assert source.params["responseTransformers"] == "r"

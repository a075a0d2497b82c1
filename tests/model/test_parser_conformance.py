"""The parser over Mule's own VM test configs (read in place, never copied): every file
parses, and several are checked in detail against what the spec says they configure."""

from __future__ import annotations

from pathlib import Path

import pytest

from mule_emulator.model import iter_endpoints, load_app_config, resolve_connector
from mule_emulator.model.config import TEST_NS, AppConfig, ElementConfig, EndpointConfig

CORPUS = Path("/work/shared/conformance/mule-3.9-vm")
CONFIGS = sorted(CORPUS.rglob("*.xml")) if CORPUS.is_dir() else []

pytestmark = pytest.mark.skipif(not CONFIGS, reason=f"conformance corpus absent ({CORPUS})")


def load(relative: str) -> AppConfig:
    return load_app_config([CORPUS / relative])


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: str(p.relative_to(CORPUS)))
def test_every_corpus_config_parses(path: Path) -> None:
    app = load_app_config([path])
    assert app.files == (str(path),)
    assert app.flows or app.models or app.connectors or app.global_endpoints


def test_corpus_has_the_expected_size() -> None:
    assert len(CONFIGS) >= 50


def test_vm_namespace_config() -> None:
    """S6 VmNamespaceHandlerTestCase's config: connectors, global endpoints, transactions."""
    app = load("vm/vm-namespace-config.xml")
    assert list(app.connectors) == ["vmConnectorDefaults", "vmConnector1", "vmConnector2"]
    defaults = app.connectors["vmConnectorDefaults"]
    assert defaults.queue_timeout_ms is None and defaults.effective_queue_timeout_ms == 200
    c2 = app.connectors["vmConnector2"]
    assert c2.queue_timeout_ms == 5000
    assert c2.effective_queue_profile.max_outstanding_messages == 10
    assert c2.effective_queue_profile.store.persistent is True
    endpoint = app.global_endpoints["vmEndpoint"]
    assert (endpoint.path, endpoint.connector_ref, endpoint.exchange_pattern) == (
        "queue",
        "vmConnector1",
        "one-way",
    )
    tx = app.global_endpoints["globalWithTx"].transaction
    assert tx is not None and (tx.kind, tx.action, tx.timeout_ms) == ("vm", "ALWAYS_BEGIN", 42)
    custom = app.global_endpoints["customTx"].transaction
    assert custom is not None and (custom.kind, custom.action, custom.factory_ref) == (
        "custom",
        "JOIN_IF_POSSIBLE",
        "txFactory",
    )
    xa = app.global_endpoints["xaTx"].transaction
    assert xa is not None and (xa.kind, xa.action) == ("xa", "ALWAYS_JOIN")
    assert app.beans["txFactory"].properties["value"] == "foo"


def test_persistent_unaddressed_refs_override_the_connector() -> None:
    """E10: a referencing endpoint's connector-ref wins over the global endpoint's."""
    app = load("vm/persistent-unaddressed-vm-queue-test-flow.xml")
    source = app.flows["EchoUMO1"].source
    assert isinstance(source, ElementConfig) and source.name == "composite-source"
    first, second = source.children
    assert isinstance(first, EndpointConfig) and isinstance(second, EndpointConfig)
    assert (first.ref, first.path, first.connector_ref) == (
        "VmReceiver1",
        "receiver1",
        "Connector1",
    )
    assert (second.ref, second.path, second.connector_ref) == (
        "VmReceiver2",
        "receiver2",
        "Connector2",
    )
    assert first.exchange_pattern == "one-way"
    assert resolve_connector(app, first).effective_queue_profile.store.persistent is True
    assert resolve_connector(app, second).effective_queue_profile.store.persistent is False


def test_functional_service_config() -> None:
    """S1 (service variant): custom queue store by ref, models, services, components."""
    app = load("vm/vm-functional-test-service.xml")
    store = app.connectors["vm"].effective_queue_profile.store
    assert (store.kind, store.ref) == ("ref", "custom-store")
    assert app.queue_stores["custom-store"].class_name is not None
    services = {s.name: s for s in app.services}
    assert set(services) >= {"myAsyncService", "OneWayServiceChain1", "RRServiceChain2"}
    s = services["myAsyncService"]
    assert [e.path for e in s.inbound] == ["in"]
    assert s.component is not None and (s.component.namespace, s.component.name) == (
        TEST_NS,
        "component",
    )
    assert s.component.children[0].text == "Polo"  # type: ignore[union-attr]
    assert [r.name for r in s.outbound] == ["pass-through-router"]
    chain1 = services["OneWayServiceChain1"]
    assert chain1.component is None and chain1.model == "one-way-chain"


def test_exception_strategy_one_way_config() -> None:
    """S21: default-exception-strategy with commit filter and an ALWAYS_JOIN dead letter."""
    app = load("vm/vm-exception-strategy-config-one-way.xml")
    services = {s.name: s for s in app.services}
    s = services["dlqExceptionInboundEndpoint"]
    inbound = s.inbound[0]
    assert inbound.transaction is not None and inbound.transaction.action == "ALWAYS_BEGIN"
    assert [p.name for p in inbound.processors] == ["custom-transformer"]  # type: ignore[union-attr]
    es = s.exception_strategy
    assert es is not None and es.kind == "default" and es.commit_patterns == ("*",)
    dlq = es.processors[0]
    assert isinstance(dlq, EndpointConfig) and dlq.path == "dead.letter"
    assert dlq.transaction is not None and dlq.transaction.action == "ALWAYS_JOIN"
    response = services["dlqExceptionInboundEndpointResponse"].inbound[0]
    assert [p.name for p in response.response_processors] == ["custom-transformer"]  # type: ignore[union-attr]
    assert any(name.endswith("$FailingTransformer") for name, _ in app.classes)


def test_service_overrides_config() -> None:
    """C8: service-overrides are per connector; their class names are listed."""
    app = load("issues/service-overrides-mule-1770-test.xml")
    assert "inboundTransformer" in app.connectors["test"].service_overrides
    assert dict(app.connectors["second"].service_overrides) == {}
    names = [n for n, _ in app.classes]
    assert "org.mule.tck.transformer.NoActionTransformer" in names


def test_every_corpus_flow_endpoint_resolves_a_connector_or_fails_as_mule_does() -> None:
    """Only configs with two or more VM connectors can hit the ambiguity error (C5), and
    every corpus endpoint inside a flow or service names its connector in that case."""
    for path in CONFIGS:
        app = load_app_config([path])
        for owner, endpoint in iter_endpoints(app):
            if endpoint.role == "global" or endpoint.scheme != "vm":
                continue
            connector = resolve_connector(app, endpoint)
            assert connector.name, (path, owner)


def test_unsupported_namespaces_in_the_corpus_are_reported() -> None:
    reported = {
        u.qname.split(":")[0] for path in CONFIGS for u in load_app_config([path]).unsupported
    }
    assert "jbossts" in reported

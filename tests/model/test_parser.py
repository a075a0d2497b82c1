"""The parser on small configs of our own: one rule per test."""

# ruff: noqa: E501  (inline XML configs read best unwrapped)

from __future__ import annotations

import pytest

from mule_emulator.errors import ConfigError, UnresolvedReferenceError
from mule_emulator.loading.document import parse_bytes
from mule_emulator.model import parse_app
from mule_emulator.model.config import (
    CORE_NS,
    TEST_NS,
    AppConfig,
    BeanConfig,
    BeanRef,
    ElementConfig,
    EndpointConfig,
)
from mule_emulator.model.profiles_parser import normalise_pool_exhausted_action

NS = (
    'xmlns="http://www.mulesoft.org/schema/mule/core" '
    'xmlns:vm="http://www.mulesoft.org/schema/mule/vm" '
    'xmlns:test="http://www.mulesoft.org/schema/mule/test" '
    'xmlns:spring="http://www.springframework.org/schema/beans" '
    'xmlns:doc="http://www.mulesoft.org/schema/mule/documentation" '
    'xmlns:jms="http://www.mulesoft.org/schema/mule/jms" '
    'xmlns:http="http://www.mulesoft.org/schema/mule/http"'
)


def app_of(body: str, file: str = "app.xml") -> AppConfig:
    return parse_app([parse_bytes(f"<mule {NS}>\n{body}\n</mule>".encode(), file)])


def endpoint(item: object) -> EndpointConfig:
    assert isinstance(item, EndpointConfig)
    return item


def element(item: object) -> ElementConfig:
    assert isinstance(item, ElementConfig)
    return item


# --------------------------------------------------------------------------- endpoints


def test_endpoint_address_forms() -> None:
    app = app_of(
        """<flow name="f">
          <vm:inbound-endpoint path="a/b" exchange-pattern="request-response"/>
          <vm:outbound-endpoint address="vm://localhost/x?connector=c&amp;endpointName=n"/>
          <outbound-endpoint address="vm://some.queue"/>
          <outbound-endpoint address="jms://orders"/>
        </flow>"""
    )
    flow = app.flows["f"]
    src = endpoint(flow.source)
    assert (src.role, src.path, src.address, src.scheme) == ("inbound", "a/b", "vm://a/b", "vm")
    assert src.exchange_pattern == "request-response" and not src.one_way
    x = endpoint(flow.processors[0])
    assert x.path == "x" and x.role == "outbound"
    assert dict(x.params) == {"connector": "c", "endpointName": "n"}
    assert x.connector_name == "c" and x.one_way and x.exchange_pattern is None
    assert endpoint(flow.processors[1]).path == "some.queue"
    jms = endpoint(flow.processors[2])
    assert jms.scheme == "jms" and jms.path == "orders"
    assert [u.reason for u in app.unsupported] == [
        "transport scheme 'jms' is not bundled (only vm)"
    ]


def test_endpoint_ref_merges_the_global_and_own_values_win() -> None:
    app = app_of(
        """<vm:endpoint name="g" path="q" connector-ref="c1" exchange-pattern="request-response"
              mimeType="text/plain" responseTimeout="99">
            <vm:transaction action="ALWAYS_BEGIN" timeout="42"/>
            <append-string-transformer message="g"/>
            <response><append-string-transformer message="r"/></response>
            <property key="k" value="global"/>
          </vm:endpoint>
          <flow name="f">
            <vm:inbound-endpoint ref="g" connector-ref="c2"><property key="k2" value="own"/></vm:inbound-endpoint>
            <vm:outbound-endpoint ref="g" exchange-pattern="one-way">
              <append-string-transformer message="own"/>
            </vm:outbound-endpoint>
          </flow>"""
    )
    g = app.global_endpoints["g"]
    assert g.role == "global" and g.name == "g"
    src = endpoint(app.flows["f"].source)
    assert src.ref == "g" and src.role == "inbound" and src.path == "q"
    assert src.connector_ref == "c2" and src.exchange_pattern == "request-response"
    assert src.transaction is not None and src.transaction.timeout_ms == 42
    assert src.transaction.transacted
    assert [element(p).attr("message") for p in src.processors] == ["g"]
    assert [element(p).attr("message") for p in src.response_processors] == ["r"]
    assert dict(src.properties) == {"k": "global", "k2": "own"}
    assert src.mime_type == "text/plain" and src.response_timeout_ms == 99
    out = endpoint(app.flows["f"].processors[0])
    assert out.exchange_pattern == "one-way" and out.connector_ref == "c1"
    assert [element(p).attr("message") for p in out.processors] == ["own"]
    assert out.location.line == 11


def test_nested_processors_and_transformer_refs_are_inherited_separately() -> None:
    app = app_of(
        """<vm:endpoint name="g" path="q" transformer-refs="gt" responseTransformer-refs="grt">
            <append-string-transformer message="g"/>
          </vm:endpoint>
          <flow name="f">
            <vm:inbound-endpoint ref="g" transformer-refs="own"/>
            <vm:outbound-endpoint ref="g"><append-string-transformer message="mine"/></vm:outbound-endpoint>
          </flow>"""
    )
    src = endpoint(app.flows["f"].source)
    assert [
        (element(p).name, element(p).attr("message") or element(p).attr("ref"))
        for p in src.processors
    ] == [
        ("append-string-transformer", "g"),
        ("transformer", "own"),
    ]
    assert src.name == "g"  # Mule copies the global's name into the referencing builder
    out = endpoint(app.flows["f"].processors[0])
    assert [element(p).attr("message") or element(p).attr("ref") for p in out.processors] == [
        "mine",
        "gt",
    ]
    assert [element(p).attr("ref") for p in out.response_processors] == ["grt"]


def test_uri_transformers_apply_only_without_nested_transformers() -> None:
    app = app_of(
        """<flow name="f">
          <vm:outbound-endpoint address="vm://a?transformers=t1,t2&amp;responseTransformers=r1"/>
          <vm:outbound-endpoint address="vm://b?transformers=t1"><append-string-transformer message="x"/></vm:outbound-endpoint>
        </flow>"""
    )
    a, b = (endpoint(p) for p in app.flows["f"].processors)
    assert [element(p).attr("ref") for p in a.processors] == ["t1", "t2"]
    assert [element(p).attr("ref") for p in a.response_processors] == ["r1"]
    assert [element(p).name for p in b.processors] == ["append-string-transformer"]


def test_endpoint_ref_to_a_missing_global_is_unresolved() -> None:
    with pytest.raises(UnresolvedReferenceError) as info:
        app_of('<flow name="f"><vm:inbound-endpoint ref="nope"/></flow>')
    assert info.value.location.line == 2


def test_endpoint_children_and_ref_attributes() -> None:
    app = app_of(
        """<flow name="f"><vm:inbound-endpoint path="in" transformer-refs="t1 t2"
              responseTransformer-refs="r1" encoding="UTF-8" disableTransportTransformer="true"
              doc:name="In">
            <idempotent-redelivery-policy maxRedeliveryCount="3"/>
            <regex-filter pattern="x"/>
            <custom-transaction action="BEGIN_OR_JOIN" factory-class="a.F"/>
            <properties><spring:entry key="p" value="v"/></properties>
          </vm:inbound-endpoint></flow>"""
    )
    src = endpoint(app.flows["f"].source)
    names = [
        (element(p).name, element(p).attr("ref") or element(p).attr("pattern"))
        for p in src.processors
    ]
    # Mule: nested processors first, then the transformer-refs (AbstractEndpointBuilder)
    assert names == [("regex-filter", "x"), ("transformer", "t1"), ("transformer", "t2")]
    assert [element(p).attr("ref") for p in src.response_processors] == ["r1"]
    assert src.encoding == "UTF-8"
    assert dict(src.properties) == {"disableTransportTransformer": "true", "p": "v"}
    assert (
        src.redelivery_policy is not None
        and src.redelivery_policy.attr("maxRedeliveryCount") == "3"
    )
    tx = src.transaction
    assert tx is not None and (tx.kind, tx.action, tx.factory_class) == (
        "custom",
        "BEGIN_OR_JOIN",
        "a.F",
    )
    assert ("a.F", tx.location) in app.classes


def test_transaction_kinds() -> None:
    app = app_of(
        """<flow name="f">
          <vm:outbound-endpoint path="a"><vm:transaction action="always_join"/></vm:outbound-endpoint>
          <vm:outbound-endpoint path="b"><xa-transaction action="ALWAYS_BEGIN" interactWithExternal="true"/></vm:outbound-endpoint>
          <vm:outbound-endpoint path="c"><jms:transaction action="NONE"/></vm:outbound-endpoint>
        </flow>"""
    )
    kinds = [endpoint(p).transaction for p in app.flows["f"].processors]
    assert [(t.kind, t.action) for t in kinds if t] == [
        ("vm", "ALWAYS_JOIN"),
        ("xa", "ALWAYS_BEGIN"),
        ("other", "NONE"),
    ]
    assert kinds[1] is not None and kinds[1].interaction_with_external == "true"


def test_bad_values_are_located_errors() -> None:
    with pytest.raises(ConfigError, match="exchange-pattern") as info:
        app_of('<flow name="f">\n<vm:inbound-endpoint path="a" exchange-pattern="sync"/></flow>')
    assert info.value.location.line == 3
    with pytest.raises(ConfigError, match="integer"):
        app_of('<vm:connector name="c" queueTimeout="soon"/>')
    with pytest.raises(ConfigError, match="transaction action"):
        app_of('<vm:endpoint name="e" path="a"><vm:transaction action="MAYBE"/></vm:endpoint>')
    with pytest.raises(ConfigError, match="path, address or ref"):
        app_of('<flow name="f"><vm:inbound-endpoint/></flow>')


# --------------------------------------------------------------------------- connectors


def test_connector_attributes_profiles_and_overrides() -> None:
    app = app_of(
        """<spring:bean name="store" class="a.Store"/>
        <vm:connector name="c" queueTimeout="5000" numberOfConcurrentTransactedReceivers="1"
            createMultipleTransactedReceivers="false" validateConnections="false" dynamicNotification="true">
          <spring:property name="foo" value="bar"/>
          <spring:property name="store" ref="store"/>
          <receiver-threading-profile maxThreadsActive="2" maxThreadsIdle="1" threadTTL="100"
              poolExhaustedAction="WHEN_EXHAUSTED_WAIT" threadWaitTimeout="50" maxBufferSize="5" doThreading="true"/>
          <dispatcher-threading-profile doThreading="false" poolExhaustedAction="3"/>
          <service-overrides inboundTransformer="a.In" dispatcherFactory="a.Df"/>
          <vm:queue-profile maxOutstandingMessages="10"><default-persistent-queue-store/></vm:queue-profile>
        </vm:connector>
        <vm:connector name="plain"/>
        <jms:activemq-connector name="amq"/>"""
    )
    c = app.connectors["c"]
    assert (c.queue_timeout_ms, c.effective_tx_receivers) == (5000, 1)
    assert c.create_multiple_transacted_receivers is False and c.validate_connections is False
    assert c.dynamic_notification is True
    assert c.properties["foo"] == "bar" and c.properties["store"] == BeanRef("store")
    r = c.receiver_threading
    assert r is not None
    assert (r.max_threads_active, r.max_threads_idle, r.thread_ttl_ms) == (2, 1, 100)
    assert (r.pool_exhausted_action, r.thread_wait_timeout_ms, r.max_buffer_size) == ("WAIT", 50, 5)
    d = c.dispatcher_threading
    assert d is not None and d.do_threading is False and d.pool_exhausted_action == "ABORT"
    assert dict(c.service_overrides) == {"inboundTransformer": "a.In", "dispatcherFactory": "a.Df"}
    qp = c.effective_queue_profile
    assert (
        qp.max_outstanding_messages == 10
        and qp.store.persistent
        and qp.store.kind == "default-persistent"
    )
    plain = app.connectors["plain"]
    assert plain.queue_profile is None and plain.effective_queue_timeout_ms == 200
    assert "amq" not in app.connectors and "amq" in app.global_elements
    assert [u.qname for u in app.unsupported] == ["jms:activemq-connector"]
    assert (
        "namespace http://www.mulesoft.org/schema/mule/jms is not bundled"
        in app.unsupported[0].reason
    )
    class_names = [name for name, _ in app.classes]
    assert class_names == ["a.Store", "a.In", "a.Df"]


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("WAIT", "WAIT"),
        ("when_exhausted_run", "RUN"),
        ("Discard_Oldest", "DISCARD_OLDEST"),
        ("0", "WAIT"),
        ("1", "DISCARD"),
        ("4", "RUN"),
        ("WHEN_EXHAUSTED_ABORT", "ABORT"),
        ("later", None),
    ],
)
def test_pool_exhausted_action_spellings(written: str, normal: str | None) -> None:
    assert normalise_pool_exhausted_action(written) == normal


def test_queue_profile_spellings_and_stores() -> None:
    app = app_of(
        """<vm:connector name="old"><vm:queueProfile maxOutstandingMessages="3"><file-queue-store/></vm:queueProfile></vm:connector>
        <vm:connector name="mem"><vm:queue-profile><simple-in-memory-queue-store/></vm:queue-profile></vm:connector>
        <vm:connector name="bare"><vm:queue-profile maxOutstandingMessages="2"/></vm:connector>"""
    )
    old = app.connectors["old"].effective_queue_profile
    assert (old.max_outstanding_messages, old.store.kind, old.store.persistent) == (3, "file", True)
    mem = app.connectors["mem"].effective_queue_profile.store
    assert (mem.kind, mem.persistent) == ("simple-in-memory", False)
    bare = app.connectors["bare"].effective_queue_profile
    assert bare.store.kind == "default-in-memory" and bare.store.persistent is False
    with pytest.raises(ConfigError, match="poolExhaustedAction"):
        app_of(
            '<vm:connector name="x"><receiver-threading-profile poolExhaustedAction="PANIC"/></vm:connector>'
        )


# --------------------------------------------------------------------------- flows


def test_flow_structure() -> None:
    app = app_of(
        """<flow name="f" processingStrategy="synchronous" initialState="stopped" doc:name="F">
          <description>ignored</description>
          <vm:inbound-endpoint path="in" doc:name="x"/>
          <logger message="one" doc:name="Logger"/>
          <response><set-payload value="resp"/></response>
          <choice><when expression="#[true]"><flow-ref name="other"/></when><otherwise><logger/></otherwise></choice>
          <catch-exception-strategy when="#[true]" logException="false" enableNotifications="false">
            <set-payload value="caught"/>
          </catch-exception-strategy>
        </flow>
        <flow name="private"><logger/></flow>
        <sub-flow name="sf"><set-payload value="x"/><logger/></sub-flow>"""
    )
    f = app.flows["f"]
    assert f.processing_strategy == "synchronous" and f.initial_state == "stopped"
    assert endpoint(f.source).path == "in"
    assert [element(p).name for p in f.processors] == ["logger", "response", "choice"]
    logger = element(f.processors[0])
    assert dict(logger.attributes) == {"message": "one"}  # doc: dropped
    assert logger.location.path == "/mule/flow[@name='f']/logger"
    assert logger.location.line == 5
    choice = element(f.processors[2])
    when = element(choice.children[0])
    assert (
        when.attr("expression") == "#[true]" and element(when.children[0]).attr("name") == "other"
    )
    es = f.exception_strategy
    assert es is not None and (es.kind, es.when, es.log_exception) == ("catch", "#[true]", "false")
    assert es.enable_notifications is False
    assert [element(p).attr("value") for p in es.processors] == ["caught"]
    assert app.flows["private"].source is None and app.flows["private"].initial_state == "started"
    assert [element(p).name for p in app.sub_flows["sf"].processors] == ["set-payload", "logger"]


def test_flow_sources_of_other_kinds() -> None:
    app = app_of(
        """<flow name="poll"><poll frequency="1000"><logger/></poll><logger/></flow>
        <flow name="http"><http:listener config-ref="c" path="/"/><logger/></flow>
        <flow name="comp"><composite-source><vm:inbound-endpoint path="a"/></composite-source></flow>"""
    )
    assert element(app.flows["poll"].source).name == "poll"
    assert element(app.flows["http"].source).name == "listener"
    comp = element(app.flows["comp"].source)
    assert endpoint(comp.children[0]).path == "a"
    assert [u.qname for u in app.unsupported] == ["http:listener"]


def test_exception_strategies_of_every_kind() -> None:
    app = app_of(
        """<choice-exception-strategy name="choice">
            <rollback-exception-strategy when="#[a]" maxRedeliveryAttempts="2">
              <logger/>
              <on-redelivery-attempts-exceeded><set-payload value="gone"/></on-redelivery-attempts-exceeded>
            </rollback-exception-strategy>
            <catch-exception-strategy/>
          </choice-exception-strategy>
          <default-exception-strategy name="dflt" stopMessageProcessing="true">
            <commit-transaction exception-pattern="java.io.*, a.B"/>
            <rollback-transaction exception-pattern="*"/>
            <vm:outbound-endpoint path="dlq"/>
          </default-exception-strategy>
          <custom-exception-strategy name="cust" class="a.Handler">
            <spring:property name="x" value="y"/>
          </custom-exception-strategy>"""
    )
    choice = app.exception_strategies["choice"]
    assert choice.kind == "choice" and [s.kind for s in choice.strategies] == ["rollback", "catch"]
    rb = choice.strategies[0]
    assert rb.max_redelivery_attempts == 2 and rb.when == "#[a]"
    assert rb.on_redelivery_attempts_exceeded is not None
    assert element(rb.on_redelivery_attempts_exceeded[0]).attr("value") == "gone"
    assert [element(p).name for p in rb.processors] == ["logger"]
    d = app.exception_strategies["dflt"]
    assert d.commit_patterns == ("java.io.*", "a.B") and d.rollback_patterns == ("*",)
    assert d.stop_message_processing and endpoint(d.processors[0]).path == "dlq"
    cust = app.exception_strategies["cust"]
    assert (cust.kind, cust.class_name, cust.processors) == ("custom", "a.Handler", ())
    with pytest.raises(ConfigError, match="needs a name"):
        app_of("<catch-exception-strategy/>")


def test_processing_strategy_elements() -> None:
    app = app_of(
        """<queued-asynchronous-processing-strategy name="q" maxThreads="3" minThreads="1"
              maxBufferSize="4" threadTTL="5" threadWaitTimeout="6" poolExhaustedAction="DISCARD"
              maxQueueSize="7" queueTimeout="8"><default-persistent-queue-store/></queued-asynchronous-processing-strategy>
        <asynchronous-processing-strategy name="a"/>
        <custom-processing-strategy name="c" class="a.Ps"><spring:property name="k" value="v"/></custom-processing-strategy>"""
    )
    q = app.processing_strategies["q"]
    assert (q.kind, q.max_threads, q.min_threads, q.max_buffer_size) == (
        "queued-asynchronous",
        3,
        1,
        4,
    )
    assert (q.thread_ttl_ms, q.thread_wait_timeout_ms, q.pool_exhausted_action) == (5, 6, "DISCARD")
    assert (q.max_queue_size, q.queue_timeout_ms) == (7, 8)
    assert q.queue_store is not None and q.queue_store.persistent
    assert app.processing_strategies["a"].kind == "asynchronous"
    c = app.processing_strategies["c"]
    assert (c.kind, c.class_name, dict(c.properties)) == ("custom", "a.Ps", {"k": "v"})


# --------------------------------------------------------------------------- services


def test_model_and_services() -> None:
    app = app_of(
        """<model name="m">
          <catch-exception-strategy/>
          <queue-profile maxOutstandingMessages="4"/>
          <service name="s" initialState="paused" queueTimeout="300">
            <inbound>
              <vm:inbound-endpoint path="in"/>
              <selective-consumer-router><regex-filter pattern="a"/></selective-consumer-router>
              <forwarding-catch-all-strategy><vm:outbound-endpoint path="other"/></forwarding-catch-all-strategy>
            </inbound>
            <test:component appendString=" x"/>
            <outbound matchAll="true">
              <filtering-router><vm:outbound-endpoint path="o1"/><regex-filter pattern="b"/></filtering-router>
              <pass-through-router><vm:outbound-endpoint path="o2"/></pass-through-router>
              <logging-catch-all-strategy/>
            </outbound>
            <async-reply timeout="5"><vm:inbound-endpoint path="reply"/><single-async-reply-router/></async-reply>
            <default-exception-strategy/>
            <threading-profile maxThreadsActive="3"/>
            <queue-profile maxOutstandingMessages="9"/>
          </service>
          <custom-service name="cs" class="a.Svc"><echo-component/></custom-service>
        </model>
        <model><service name="anon"><component class="a.C"/></service></model>"""
    )
    m = app.models["m"]
    assert m.exception_strategy is not None and m.exception_strategy.kind == "catch"
    assert m.queue_profile is not None and m.queue_profile.max_outstanding_messages == 4
    s = m.services[0]
    assert (s.name, s.model, s.initial_state, s.queue_timeout_ms) == ("s", "m", "paused", 300)
    assert [e.path for e in s.inbound] == ["in"]
    assert [element(r).name for r in s.inbound_routers] == [
        "selective-consumer-router",
        "forwarding-catch-all-strategy",
    ]
    assert s.component is not None and (s.component.namespace, s.component.name) == (
        TEST_NS,
        "component",
    )
    assert [r.name for r in s.outbound] == ["filtering-router", "pass-through-router"]
    assert endpoint(s.outbound[0].children[0]).path == "o1"
    assert s.outbound_match_all and s.outbound_catch_all is not None
    assert s.async_reply is not None and endpoint(s.async_reply.children[0]).path == "reply"
    assert s.exception_strategy is not None and s.exception_strategy.kind == "default"
    assert s.threading_profile is not None and s.threading_profile.max_threads_active == 3
    assert s.queue_profile is not None and s.queue_profile.max_outstanding_messages == 9
    cs = m.services[1]
    assert (
        cs.class_name == "a.Svc"
        and cs.component is not None
        and cs.component.name == "echo-component"
    )
    anon = [model for name, model in app.models.items() if name != "m"]
    assert len(anon) == 1 and anon[0].services[0].component is not None
    assert [s.name for s in app.services] == ["s", "cs", "anon"]
    assert [name for name, _ in app.classes] == ["a.Svc", "a.C"]


# --------------------------------------------------------------------------- globals


def test_configuration_attributes_and_profiles() -> None:
    app = app_of(
        """<configuration defaultProcessingStrategy="synchronous" defaultExceptionStrategy-ref="es"
            defaultResponseTimeout="1000" defaultTransactionTimeout="2000" shutdownTimeout="3000"
            defaultObjectSerializer-ref="ser" flowEndingWithOneWayEndpointReturnsNull="true">
          <default-threading-profile maxThreadsActive="8"/>
          <default-receiver-threading-profile maxThreadsActive="4"/>
          <default-dispatcher-threading-profile maxThreadsActive="2"/>
          <default-service-threading-profile maxThreadsActive="1"/>
        </configuration>
        <configuration shutdownTimeout="10"/>"""
    )
    c = app.configuration
    assert (
        c.default_processing_strategy == "synchronous" and c.default_exception_strategy_ref == "es"
    )
    assert (c.default_response_timeout_ms, c.default_transaction_timeout_ms) == (1000, 2000)
    assert c.shutdown_timeout_ms == 10  # the later element overrides what it sets
    assert c.default_object_serializer_ref == "ser"
    assert c.flow_ending_with_one_way_endpoint_returns_null
    assert not c.enricher_propagates_session_variable_changes
    profiles = (
        c.default_threading,
        c.default_receiver_threading,
        c.default_dispatcher_threading,
        c.default_service_threading,
    )
    assert [p.max_threads_active if p else None for p in profiles] == [8, 4, 2, 1]


def test_global_elements_beans_and_other_elements() -> None:
    app = app_of(
        """<spring:beans>
          <spring:bean id="b" class="a.B" scope="prototype">
            <spring:constructor-arg value="c0"/>
            <spring:property name="v" value="1"/>
            <spring:property name="r" ref="other"/>
            <spring:property name="inner"><spring:bean class="a.Inner"><spring:property name="x" value="y"/></spring:bean></spring:property>
            <spring:property name="list"><spring:list><spring:value>a</spring:value><spring:ref bean="b2"/><spring:null/></spring:list></spring:property>
            <spring:property name="map"><spring:map><spring:entry key="k" value="v"/><spring:entry key="r" value-ref="b2"/></spring:map></spring:property>
            <spring:property name="props"><spring:props><spring:prop key="p">text</spring:prop></spring:props></spring:property>
          </spring:bean>
        </spring:beans>
        <spring:bean name="b2, alias" class="a.B2"/>
        <spring:bean class="a.Anon"/>
        <custom-transformer name="t" class="a.T"><spring:property name="m" value="n"/></custom-transformer>
        <message-filter name="mf"><regex-filter pattern="z"/></message-filter>
        <custom-queue-store name="qs" class="a.Qs"/>
        <jboss-transaction-manager/>"""
    )
    b = app.beans["b"]
    assert (b.class_name, b.scope, b.constructor_args) == ("a.B", "prototype", ("c0",))
    assert b.properties["v"] == "1" and b.properties["r"] == BeanRef("other")
    inner = b.properties["inner"]
    assert isinstance(inner, BeanConfig) and inner.name is None and inner.properties["x"] == "y"
    assert b.properties["list"] == ("a", BeanRef("b2"), None)
    assert dict(b.properties["map"]) == {"k": "v", "r": BeanRef("b2")}
    assert dict(b.properties["props"]) == {"p": "text"}
    assert "b2" in app.beans and any(k.startswith("a.Anon#") for k in app.beans)
    t = app.global_elements["t"]
    assert (t.namespace, t.name, t.attr("class")) == (CORE_NS, "custom-transformer", "a.T")
    assert app.global_elements["mf"].children[0].name == "regex-filter"  # type: ignore[union-attr]
    qs = app.queue_stores["qs"]
    assert (qs.kind, qs.class_name, qs.persistent) == ("custom", "a.Qs", None)
    assert [e.name for e in app.other_elements] == ["jboss-transaction-manager"]
    assert [n for n, _ in app.classes] == ["a.B", "a.Inner", "a.B2", "a.Anon", "a.T", "a.Qs"]


def test_custom_connector_is_reported_unsupported() -> None:
    app = app_of('<custom-connector name="cc" class="a.Conn"/>')
    assert "cc" in app.global_elements and "cc" not in app.connectors
    assert [(u.qname, u.reason) for u in app.unsupported] == [
        ("custom-connector", "custom connectors are not emulated (only vm)")
    ]
    assert [n for n, _ in app.classes] == ["a.Conn"]


def test_duplicate_names_in_one_file() -> None:
    with pytest.raises(ConfigError) as info:
        app_of('<vm:connector name="x"/>\n<flow name="x"><logger/></flow>')
    assert "'x' is defined twice" in info.value.message
    assert [loc.line for loc, _ in info.value.problems] == [2, 3]


def test_root_must_be_mule() -> None:
    with pytest.raises(ConfigError, match="root element"):
        parse_app([parse_bytes(b"<flows/>", "x.xml")])


def test_test_namespace_text_and_vm_elements_are_bundled() -> None:
    app = app_of(
        '<flow name="f"><vm:inbound-endpoint path="a"/>'
        "<test:component><test:return-data>  Polo  </test:return-data></test:component></flow>"
    )
    component = element(app.flows["f"].processors[0])
    assert component.qname == "test:component"
    assert element(component.children[0]).text == "Polo"
    assert app.unsupported == ()
    assert (
        endpoint(app.flows["f"].source).location.path == "/mule/flow[@name='f']/vm:inbound-endpoint"
    )
    assert (app.name, app.files) == ("app", ("app.xml",))

"""End-to-end runtime tests over small configs of our own."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from mule_emulator import ConfigError, MessagingError, MuleApp, NoReceiverError, UnsupportedError
from mule_emulator.runtime.processors.base import Chain

AppMaker = Callable[..., MuleApp]

ONE_WAY_CHAIN = """
    <flow name="first">
        <vm:inbound-endpoint path="in" exchange-pattern="one-way"/>
        <append-string-transformer message=" one"/>
        <vm:outbound-endpoint path="middle" exchange-pattern="one-way"/>
    </flow>
    <flow name="second">
        <vm:inbound-endpoint path="middle" exchange-pattern="one-way"/>
        <test:component appendString=" two"/>
        <vm:outbound-endpoint path="out" exchange-pattern="one-way"/>
    </flow>
"""


def test_one_way_chain_reaches_the_sink(make_app: AppMaker) -> None:
    app = make_app(ONE_WAY_CHAIN)
    app.client.dispatch("vm://in", "start")
    message = app.client.request("vm://out", 5)
    assert message is not None
    assert message.payload == "start one two"
    assert app.client.request("vm://out", 0.05) is None
    assert app.flow_runs("first") == 1 and app.flow_runs("second") == 1


def test_one_way_dispatch_to_a_path_nobody_listens_on_stays_queued(make_app: AppMaker) -> None:
    app = make_app(ONE_WAY_CHAIN)
    app.client.dispatch("vm://nobody", "kept")
    assert app.wait_until_idle(5)
    assert app.leftover() == {"nobody": 1}
    assert app.purge("vm://nobody") == 1


REQUEST_RESPONSE = """
    <flow name="front">
        <vm:inbound-endpoint path="front" exchange-pattern="request-response"/>
        <set-variable variableName="mine" value="kept"/>
        <vm:outbound-endpoint path="back" exchange-pattern="request-response"/>
        <set-payload value="#[payload + ' ' + flowVars.mine]"/>
    </flow>
    <flow name="back">
        <vm:inbound-endpoint path="back" exchange-pattern="request-response"/>
        <set-variable variableName="threadName" value="x"/>
        <test:component>
            <test:return-data>Polo</test:return-data>
        </test:component>
    </flow>
"""


def test_request_response_chain_runs_in_the_callers_thread(make_app: AppMaker) -> None:
    app = make_app(REQUEST_RESPONSE)
    seen: list[str] = []
    flow = app.flows["back"]
    assert isinstance(flow.chain, Chain)
    first = flow.chain.processors[0]
    original = first.process

    def spy(event):  # type: ignore[no-untyped-def]
        seen.append(threading.current_thread().name)
        return original(event)

    first.process = spy  # type: ignore[method-assign]
    reply = app.client.send("vm://front", "Marco")
    assert reply is not None
    assert reply.payload == "Polo kept"
    assert seen == [threading.current_thread().name]


def test_send_without_receiver_names_connector_and_uri(make_app: AppMaker) -> None:
    app = make_app(REQUEST_RESPONSE)
    with pytest.raises(NoReceiverError) as info:
        app.client.send("vm://missing", "x")
    assert 'There is no receiver registered on connector "connector.VM.mule.default"' in str(
        info.value
    )
    assert "vm://missing" in str(info.value)


def test_send_to_one_way_endpoint_returns_null(make_app: AppMaker) -> None:
    app = make_app(ONE_WAY_CHAIN)
    assert app.client.send("vm://in", "x") is None
    message = app.client.request("vm://out", 5)
    assert message is not None and message.payload == "x one two"


BOUNDED = """
    <vm:connector name="bounded" queueTimeout="50">
        <vm:queue-profile maxOutstandingMessages="1"/>
    </vm:connector>
    <flow name="filler" processingStrategy="synchronous">
        <vm:outbound-endpoint path="full" exchange-pattern="one-way"/>
    </flow>
"""


def test_full_queue_fails_a_synchronous_dispatch_with_mules_text(make_app: AppMaker) -> None:
    app = make_app(BOUNDED)
    app.run_flow("filler", "one")
    with pytest.raises(MessagingError) as info:
        app.run_flow("filler", "two")
    assert "Queue 'full' is full (max capacity: 1)" in str(info.value)
    message = app.client.request("vm://full", 1)
    assert message is not None and message.payload == "one"


PROPERTY_SCOPES = """
    <flow name="scopes">
        <vm:inbound-endpoint path="scopes" exchange-pattern="request-response"/>
        <set-variable variableName="inv" value="#[message.inboundProperties['foo']]"/>
        <set-property propertyName="seen" value="#[flowVars.inv]"/>
        <set-session-variable variableName="count" value="callee"/>
    </flow>
    <flow name="async">
        <vm:inbound-endpoint path="async-in" exchange-pattern="one-way"/>
        <set-property propertyName="bar" value="baz"/>
        <vm:outbound-endpoint path="async-out" exchange-pattern="one-way"/>
    </flow>
"""


def test_property_scopes_across_a_request_response_hop(make_app: AppMaker) -> None:
    app = make_app(PROPERTY_SCOPES)
    reply = app.client.send("vm://scopes", "x", {"foo": "fooValue"})
    assert reply is not None
    # The callee's outbound properties arrive as the caller's inbound ones (R8) ...
    assert reply.inbound["seen"] == "fooValue"
    # ... the caller's own outbound 'foo' does not come back, in either scope.
    assert "foo" not in reply.inbound and "foo" not in reply.outbound
    # The callee's session changes come back with the reply (M-6).
    assert reply.session is not None and reply.session.vars == {"count": "callee"}


def test_property_scopes_across_a_one_way_hop(make_app: AppMaker) -> None:
    app = make_app(PROPERTY_SCOPES)
    app.client.dispatch("vm://async-in", "x", {"foo": "sent"})
    message = app.client.request("vm://async-out", 5)
    assert message is not None
    assert message.inbound["BAR"] == "baz"  # case-insensitive (M-2)
    assert "foo" not in message.inbound and len(message.outbound) == 0


SESSION = """
    <flow name="a">
        <vm:inbound-endpoint path="a" exchange-pattern="one-way"/>
        <set-session-variable variableName="who" value="set in a"/>
        <set-variable variableName="local" value="only in a"/>
        <vm:outbound-endpoint path="b" exchange-pattern="one-way"/>
    </flow>
    <flow name="b">
        <vm:inbound-endpoint path="b" exchange-pattern="one-way"/>
        <set-payload value="#[sessionVars.who]/#[flowVars.local]"/>
        <vm:outbound-endpoint path="done" exchange-pattern="one-way"/>
    </flow>
"""


def test_session_travels_and_flow_vars_do_not(make_app: AppMaker) -> None:
    app = make_app(SESSION)
    app.client.dispatch("vm://a", "x")
    message = app.client.request("vm://done", 5)
    assert message is not None
    assert message.payload == "set in a/null"


FLOW_REF = """
    <flow name="main">
        <vm:inbound-endpoint path="main" exchange-pattern="request-response"/>
        <set-variable variableName="v" value="one"/>
        <flow-ref name="private"/>
        <flow-ref name="sub"/>
        <set-payload value="#[flowVars.v]-#[flowVars.fromSub]"/>
    </flow>
    <flow name="private">
        <set-variable variableName="v" value="#[flowVars.v + '-two']"/>
    </flow>
    <sub-flow name="sub">
        <set-variable variableName="fromSub" value="three"/>
    </sub-flow>
"""


def test_flow_ref_shares_flow_vars_with_flows_and_sub_flows(make_app: AppMaker) -> None:
    app = make_app(FLOW_REF)
    reply = app.client.send("vm://main", "x")
    assert reply is not None and reply.payload == "one-two-three"
    assert app.flow_runs("private") == 1


CHAIN = """
    <flow name="void-copy" processingStrategy="synchronous">
        <set-payload value="before"/>
        <vm:outbound-endpoint path="sink" exchange-pattern="one-way">
            <append-string-transformer message=" endpoint"/>
        </vm:outbound-endpoint>
        <append-string-transformer message=" after"/>
    </flow>
    <flow name="stops">
        <set-payload value="rejected"/>
        <expression-filter expression="#[payload == 'accepted']"/>
        <set-payload value="not reached"/>
    </flow>
    <flow name="responses">
        <append-string-transformer message="a"/>
        <response><append-string-transformer message="d"/></response>
        <append-string-transformer message="b"/>
        <response><append-string-transformer message="c"/></response>
    </flow>
"""


def test_void_result_continues_with_the_copy_taken_before(make_app: AppMaker) -> None:
    app = make_app(CHAIN)
    result = app.run_flow("void-copy", "x")
    assert result is not None and result.payload == "before after"
    sent = app.client.request("vm://sink", 1)
    assert sent is not None and sent.payload == "before endpoint"


def test_null_stops_the_chain(make_app: AppMaker) -> None:
    app = make_app(CHAIN)
    assert app.run_flow("stops", "x") is None


def test_response_blocks_run_on_the_way_back_last_first(make_app: AppMaker) -> None:
    app = make_app(CHAIN)
    result = app.run_flow("responses", "")
    assert result is not None and result.payload == "abcd"


FAILING = """
    <flow name="fails">
        <vm:inbound-endpoint path="fails" exchange-pattern="request-response"/>
        <test:component throwException="true"/>
    </flow>
"""


def test_default_strategy_answers_null_payload_with_exception_payload(make_app: AppMaker) -> None:
    app = make_app(FAILING)
    reply = app.client.send("vm://fails", "x")
    assert reply is not None
    assert reply.exception_payload is not None
    assert reply.exception_payload.message == "Functional Test Service Exception"
    with pytest.raises(MessagingError, match="Functional Test Service Exception"):
        app.run_flow("fails", "x")


def test_unsupported_elements_are_all_listed_with_lines(make_app: AppMaker) -> None:
    body = """
    <flow name="f" xmlns:json="http://www.mulesoft.org/schema/mule/json">
        <vm:inbound-endpoint path="in"/>
        <json:object-to-json-transformer/>
        <json:json-to-object-transformer/>
    </flow>
"""
    with pytest.raises(UnsupportedError) as info:
        make_app(body, start=False)
    text = str(info.value)
    assert "object-to-json-transformer" in text and "json-to-object-transformer" in text
    lines = sorted({loc.line for loc, _ in info.value.problems})
    assert lines == [9, 10]


def test_two_listeners_on_one_address_are_refused(make_app: AppMaker) -> None:
    body = """
    <flow name="one"><vm:inbound-endpoint path="same"/><logger/></flow>
    <flow name="two"><vm:inbound-endpoint path="same"/><logger/></flow>
"""
    with pytest.raises(ConfigError, match="already a listener registered"):
        make_app(body, start=False)


def test_start_stop_many_times_leaves_no_thread_behind(make_app: AppMaker) -> None:
    before = set(threading.enumerate())
    app = make_app(ONE_WAY_CHAIN, start=False)
    for i in range(100):
        app.start()
        if i % 25 == 0:
            app.client.dispatch("vm://in", "x")
            assert app.client.request("vm://out", 5) is not None
        app.stop()
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert left == []

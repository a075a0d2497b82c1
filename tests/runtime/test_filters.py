"""Filters (P-20) as flows use them: every filter element, message-filter with
onUnaccepted / throwOnUnaccepted, global filters, custom filters through the class map,
and the idempotent filters."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mule_emulator import MessagingError, MuleApp
from mule_emulator.runtime.classes import ClassMap
from mule_emulator.runtime.processors.idempotent import InMemoryIdStore

AppMaker = Callable[..., MuleApp]

FIXTURE = str(Path(__file__).parent / "breadth_fixture")

FILTERS = """
    <regex-filter name="globalDigits" pattern="[0-9]+"/>
    <flow name="expression">
        <expression-filter expression="#[payload.length() &gt; 2]"/>
        <set-payload value="accepted"/>
    </flow>
    <flow name="expressionNull">
        <expression-filter expression="#[null]" nullReturnsTrue="true"/>
        <set-payload value="accepted"/>
    </flow>
    <flow name="regex">
        <regex-filter pattern="b+c"/>
        <set-payload value="accepted"/>
    </flow>
    <flow name="wildcard">
        <wildcard-filter pattern="*.txt, report*" caseSensitive="false"/>
        <set-payload value="accepted"/>
    </flow>
    <flow name="payloadType">
        <payload-type-filter expectedType="java.lang.String"/>
        <set-payload value="accepted"/>
    </flow>
    <flow name="logic">
        <and-filter>
            <not-filter><wildcard-filter pattern="*bad*"/></not-filter>
            <or-filter>
                <wildcard-filter pattern="a*"/>
                <filter ref="globalDigits"/>
            </or-filter>
        </and-filter>
        <set-payload value="accepted"/>
    </flow>
    <flow name="property">
        <message-property-filter pattern="kind=gold*" scope="inbound"/>
        <set-payload value="accepted"/>
    </flow>
    <flow name="custom">
        <custom-filter class="com.example.Vowels"/>
        <set-payload value="accepted"/>
    </flow>
    <flow name="builtinCustom">
        <custom-filter class="org.mule.routing.filters.WildcardFilter">
            <spring:property name="pattern" value="x*"/>
        </custom-filter>
        <set-payload value="accepted"/>
    </flow>
"""

CASES = [
    ("expression", "abc", True),
    ("expression", "ab", False),
    ("expressionNull", "x", True),
    ("regex", "abbbcd", True),
    ("regex", "ac", False),
    ("wildcard", "notes.TXT", True),
    ("wildcard", "Report-1", True),
    ("wildcard", "image.png", False),
    ("payloadType", "text", True),
    ("payloadType", 42, False),
    ("logic", "apple", True),
    ("logic", "123", True),
    ("logic", "a bad apple", False),
    ("logic", "pear", False),
    ("custom", "aei", True),
    ("custom", "xyz", False),
    ("builtinCustom", "xa", True),
    ("builtinCustom", "ax", False),
]


@pytest.fixture
def vowels() -> ClassMap:
    return ClassMap({"com.example.Vowels": "breadth_standins:vowels_only"}, search_path=FIXTURE)


@pytest.mark.parametrize(("flow", "payload", "accepted"), CASES)
def test_filter_accepts_or_stops_the_flow(
    make_app: AppMaker, vowels: ClassMap, flow: str, payload: object, accepted: bool
) -> None:
    app = make_app(FILTERS, class_map=vowels)
    result = app.run_flow(flow, payload)
    if accepted:
        assert result is not None and result.payload == "accepted"
    else:
        assert result is None


def test_message_property_filter_reads_its_scope(make_app: AppMaker, vowels: ClassMap) -> None:
    app = make_app(FILTERS, class_map=vowels)
    assert app.run_flow("property", "x", {"kind": "golden"}) is not None
    assert app.run_flow("property", "x", {"kind": "silver"}) is None
    assert app.run_flow("property", "x") is None


MESSAGE_FILTER = """
    <flow name="onUnaccepted">
        <message-filter onUnaccepted="rejected">
            <wildcard-filter pattern="ok*"/>
        </message-filter>
        <set-payload value="accepted"/>
    </flow>
    <sub-flow name="rejected">
        <set-payload value="#['rejected ' + payload]"/>
    </sub-flow>
    <flow name="throwing">
        <message-filter throwOnUnaccepted="true">
            <wildcard-filter pattern="ok*"/>
        </message-filter>
        <set-payload value="accepted"/>
    </flow>
    <flow name="onEndpoint">
        <vm:inbound-endpoint path="guarded" exchange-pattern="request-response">
            <regex-filter pattern="^go"/>
        </vm:inbound-endpoint>
        <set-payload value="passed"/>
    </flow>
"""


def test_message_filter_on_unaccepted_returns_that_result(make_app: AppMaker) -> None:
    app = make_app(MESSAGE_FILTER)
    accepted = app.run_flow("onUnaccepted", "ok")
    rejected = app.run_flow("onUnaccepted", "no")
    assert accepted is not None and accepted.payload == "accepted"
    assert rejected is not None and rejected.payload == "rejected no"


def test_message_filter_throw_on_unaccepted(make_app: AppMaker) -> None:
    app = make_app(MESSAGE_FILTER)
    with pytest.raises(MessagingError, match="rejected by filter"):
        app.run_flow("throwing", "no")


def test_filter_on_an_inbound_endpoint(make_app: AppMaker) -> None:
    app = make_app(MESSAGE_FILTER)
    reply = app.client.send("vm://guarded", "go on")
    assert reply is not None and reply.payload == "passed"
    assert app.client.send("vm://guarded", "stop") is None


IDEMPOTENT = """
    <flow name="byId">
        <idempotent-message-filter idExpression="#[message.inboundProperties.orderId]"/>
        <set-payload value="processed"/>
    </flow>
    <flow name="byHash">
        <idempotent-secure-hash-message-filter onUnaccepted="dup"/>
        <set-payload value="processed"/>
    </flow>
    <sub-flow name="dup"><set-payload value="duplicate"/></sub-flow>
    <flow name="throwing">
        <idempotent-message-filter idExpression="#[payload]" throwOnUnaccepted="true">
            <in-memory-store maxEntries="1"/>
        </idempotent-message-filter>
    </flow>
"""


def test_idempotent_filter_rejects_a_repeated_id(make_app: AppMaker) -> None:
    app = make_app(IDEMPOTENT)
    assert app.run_flow("byId", "a", {"orderId": "1"}) is not None
    assert app.run_flow("byId", "b", {"orderId": "1"}) is None
    assert app.run_flow("byId", "c", {"orderId": "2"}) is not None


def test_idempotent_secure_hash_uses_the_payload(make_app: AppMaker) -> None:
    app = make_app(IDEMPOTENT)
    assert _payload(app.run_flow("byHash", "same")) == "processed"
    assert _payload(app.run_flow("byHash", "same")) == "duplicate"
    assert _payload(app.run_flow("byHash", "other")) == "processed"


def test_idempotent_throw_and_store_bound(make_app: AppMaker) -> None:
    app = make_app(IDEMPOTENT)
    app.run_flow("throwing", "x")
    with pytest.raises(MessagingError, match="rejected by filter"):
        app.run_flow("throwing", "x")
    app.run_flow("throwing", "y")  # evicts x (maxEntries=1)
    assert app.run_flow("throwing", "x") is not None


def test_id_store_entries_expire() -> None:
    now = [0.0]
    store = InMemoryIdStore(entry_ttl_ms=1000, clock=lambda: now[0])
    assert store.store_if_new("a", 1)
    assert not store.store_if_new("a", 1)
    now[0] = 1.5
    assert store.store_if_new("a", 1)
    assert len(store) == 1


def _payload(message: object) -> object:
    assert message is not None
    return getattr(message, "payload")  # noqa: B009

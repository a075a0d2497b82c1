"""Tests for the message model: scopes, copies, hops, sessions."""

from __future__ import annotations

import pickle
import threading

from mule_emulator.runtime.message import (
    NULL_PAYLOAD,
    VOID_EVENT,
    CaseInsensitiveDict,
    MuleEvent,
    MuleMessage,
    MuleSession,
    is_null,
)


def test_null_payload_is_falsy_singleton_and_survives_pickle() -> None:
    assert not NULL_PAYLOAD
    assert str(NULL_PAYLOAD) == "{NullPayload}"
    assert pickle.loads(pickle.dumps(NULL_PAYLOAD)) is NULL_PAYLOAD
    assert is_null(None) and is_null(NULL_PAYLOAD) and not is_null("")
    assert MuleMessage(None).payload is NULL_PAYLOAD


def test_property_scopes_are_case_insensitive() -> None:
    d = CaseInsensitiveDict.of({"Foo": 1})
    assert d["foo"] == 1 and "FOO" in d
    d["FOO"] = 2
    assert list(d) == ["FOO"] and len(d) == 1


def test_copy_keeps_id_create_makes_new_id() -> None:
    m = MuleMessage.create("a", {"x": "1"})
    c = m.copy()
    assert c.id == m.id and c.outbound == {"x": "1"}
    c.outbound["y"] = 2
    assert "y" not in m.outbound
    assert MuleMessage.create("a").id != m.id


def test_to_inbound_moves_outbound_to_inbound() -> None:
    m = MuleMessage.create("a", {"x": "1"})
    m.inbound["old"] = "gone"
    m.outbound_attachments["att"] = ("data", "text/plain")
    r = m.to_inbound()
    assert r.id == m.id and r.inbound == {"x": "1"} and len(r.outbound) == 0
    assert r.inbound_attachments == {"att": ("data", "text/plain")}


def test_correlation_id_reads_outbound_then_inbound() -> None:
    m = MuleMessage.create("a")
    assert m.correlation_id is None
    m.inbound["MULE_CORRELATION_ID"] = "in"
    assert m.correlation_id == "in"
    m.correlation_id = "out"
    assert m.correlation_id == "out"


def test_session_serialized_copy_drops_unserializable_and_merge() -> None:
    lock = threading.Lock()
    s = MuleSession.of({"a": [1], "lock": lock})
    t = s.serialized_copy()
    assert t.vars == {"a": [1]} and t.vars["a"] is not s.vars["a"]
    t.vars["b"] = 2
    s.merge(t)
    assert s.vars == {"lock": lock, "a": [1], "b": 2}


def test_event_copy_and_flags() -> None:
    e = MuleEvent.of(MuleMessage("p"), exchange_pattern="request-response", flow_vars={"v": 1})
    assert e.synchronous and not e.transacted
    c = e.copy()
    c.flow_vars["v"] = 2
    assert e.flow_vars["v"] == 1 and c.message.id == e.message.id
    w = e.with_message(MuleMessage("q"))
    w.flow_vars["v"] = 3
    assert e.flow_vars["v"] == 3
    assert MuleEvent.of(MuleMessage("p")).synchronous is False
    assert VOID_EVENT is not None

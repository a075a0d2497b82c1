"""The message path's shortcuts keep Mule's copy semantics (M-3, R7, R8, P-1).

Property scopes are copy-on-write, a send's request and reply are made for the call and
not copied again, and endpoint decisions are taken once when the endpoint is built. These
tests check that nothing of this is observable: a change made on one side of a barrier
is never seen on the other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mule_emulator import MuleApp
from mule_emulator.runtime.message import (
    CaseInsensitiveDict,
    MuleEvent,
    MuleMessage,
    MuleSession,
)

AppMaker = Callable[..., MuleApp]  # the make_app fixture (conftest)

# ----------------------------------------------------------------------------- scopes


def test_scope_copy_then_write_either_side_is_not_seen_by_the_other() -> None:
    a = CaseInsensitiveDict.of({"x": 1, "Y": 2})
    b = a.copy()
    b["x"] = 10
    b["z"] = 3
    assert dict(a) == {"x": 1, "Y": 2}
    a["w"] = 4
    assert "w" not in b and dict(b) == {"x": 10, "Y": 2, "z": 3}
    c = a.copy()
    del c["x"]
    assert c.pop("y") == 2 and c.pop("missing", None) is None
    assert dict(a) == {"x": 1, "Y": 2, "w": 4} and len(c) == 1
    with pytest.raises(KeyError):
        c.pop("missing")


def test_scope_copy_respelled_key_stays_private() -> None:
    a = CaseInsensitiveDict.of({"Foo": 1, "bar": 2})
    b = a.copy()
    b["FOO"] = 5  # another spelling: new case, same position
    assert list(b) == ["FOO", "bar"] and b["foo"] == 5
    assert list(a) == ["Foo", "bar"] and a["FOO"] == 1


def test_copy_of_a_copy_and_empty_scopes_are_isolated() -> None:
    empty = CaseInsensitiveDict.empty()
    other = CaseInsensitiveDict.empty()
    empty["a"] = 1
    assert len(other) == 0 and "a" not in other
    first = empty.copy()
    second = first.copy()
    second["b"] = 2
    first.clear()
    assert dict(empty) == {"a": 1} and len(first) == 0 and dict(second) == {"a": 1, "b": 2}


def test_message_copy_isolated_in_both_directions() -> None:
    m = MuleMessage.create("p", {"out": 1})
    m.inbound["in"] = 1
    c = m.copy()
    c.outbound["out"] = 2
    c.inbound["extra"] = True
    m.outbound["late"] = 3
    assert dict(m.outbound) == {"out": 1, "late": 3} and dict(m.inbound) == {"in": 1}
    assert dict(c.outbound) == {"out": 2} and dict(c.inbound) == {"in": 1, "extra": True}


def test_to_inbound_leaves_the_sender_alone_and_turn_inbound_matches_it() -> None:
    m = MuleMessage.create("p", {"k": "v"})
    m.inbound["old"] = 1
    m.outbound_attachments["a"] = ("x", "text/plain")
    r = m.to_inbound()
    r.inbound["added"] = 1
    assert dict(m.outbound) == {"k": "v"} and dict(m.inbound) == {"old": 1}
    t = m.copy()
    t.turn_inbound()
    assert dict(t.inbound) == {"k": "v"} and len(t.outbound) == 0
    assert t.inbound_attachments == r.inbound_attachments == {"a": ("x", "text/plain")}
    assert t.outbound_attachments == {} and t.id == r.id == m.id
    t.inbound["more"] = 2
    assert "more" not in m.outbound


def test_session_empty_paths() -> None:
    assert MuleSession.of().serialized_copy().vars == {}
    mine = MuleSession.of()
    mine.merge(MuleSession.of({"s": [1]}))
    assert mine.vars == {"s": [1]}
    kept = MuleSession.of({"drop": 1})
    kept.merge(MuleSession.of())
    assert kept.vars == {}  # M-6: our serializable values go, the callee had none


# ----------------------------------------------------------------------------- a send

SEEN: list[Any] = []


def keep(message: Any) -> Any:
    """Callee stand-in: remember the message object it saw, change its scopes."""
    SEEN.append(message.message)
    message.outbound["from_callee"] = "yes"
    message.session["callee"] = [1]
    return message.payload + "!"


def check_caller(message: Any) -> Any:
    """Caller stand-in after the send: the reply's view, then a late change."""
    SEEN.append(
        (
            message.inbound.get("from_callee"),
            message.outbound.get("before"),
            dict(message.session),
            message.invocation.get("mine"),
        )
    )
    message.outbound["late"] = "caller"
    return message.payload


SEND_APP = """
    <flow name="caller">
        <vm:inbound-endpoint path="mp-in" exchange-pattern="request-response"/>
        <set-variable variableName="mine" value="kept"/>
        <set-session-variable variableName="caller" value="sent"/>
        <set-property propertyName="before" value="sent"/>
        <vm:outbound-endpoint path="mp-callee" exchange-pattern="request-response"/>
        <component class="t.Check"/>
    </flow>
    <flow name="callee">
        <vm:inbound-endpoint path="mp-callee" exchange-pattern="request-response"/>
        <component class="t.Keep"/>
    </flow>
"""
SEND_CLASSES = {"t.Keep": "test_message_path:keep", "t.Check": "test_message_path:check_caller"}


def test_send_crosses_the_barrier_both_ways_without_sharing(make_app: AppMaker) -> None:
    SEEN.clear()
    app = make_app(SEND_APP, classes=SEND_CLASSES)
    reply = app.client.send("vm://mp-in", "p", {"client": "c"})
    assert reply is not None and reply.payload == "p!"
    callee_message, caller_view = SEEN
    # R8: callee outbound → caller inbound; the caller's outbound is replaced; session
    # merged (the callee's, which include what the caller sent); flow vars kept.
    assert caller_view == ("yes", None, {"caller": "sent", "callee": [1]}, "kept")
    # The callee's own message never sees what the caller does after the reply.
    assert "late" not in callee_message.outbound and "late" not in callee_message.inbound
    assert callee_message.inbound.get("before") == "sent"
    assert dict(callee_message.outbound) == {"from_callee": "yes"}
    # The request leg: the session arrived through MULE_SESSION, consumed on arrival.
    assert "MULE_SESSION" not in callee_message.inbound


def test_request_response_outbound_endpoint_takes_no_p1_copy(make_app: AppMaker) -> None:
    app = make_app(
        """
    <flow name="f">
        <vm:inbound-endpoint path="mp-a" exchange-pattern="one-way"/>
        <vm:outbound-endpoint path="mp-b" exchange-pattern="request-response"/>
        <vm:outbound-endpoint path="mp-c" exchange-pattern="one-way"/>
    </flow>
""",
        start=False,
    )
    by_path = {ep.path: ep for ep in _outbound_endpoints(app)}
    assert by_path["mp-b"].may_return_void is False and not by_path["mp-b"].one_way
    assert by_path["mp-c"].may_return_void is True and by_path["mp-c"].one_way
    assert by_path["mp-c"].uri == "vm://mp-c"


def _outbound_endpoints(app: Any) -> list[Any]:
    from mule_emulator.runtime.endpoints import OutboundEndpoint

    found: list[Any] = []

    def walk(p: Any) -> None:
        if isinstance(p, OutboundEndpoint):
            found.append(p)
        for child in p.children():
            walk(child)

    for flow in app.flows.values():
        if flow.chain is not None:
            walk(flow.chain)
    return found


def test_queued_message_is_copied_by_the_receiver(make_app: AppMaker) -> None:
    """A message taken from a queue may be delivered again (rollback): the event's
    message is a copy, so the flow's writes do not reach the queued one."""
    app = make_app(
        """
    <flow name="r">
        <vm:inbound-endpoint path="mp-q" exchange-pattern="one-way"/>
        <logger level="DEBUG"/>
    </flow>
""",
        start=False,
    )
    endpoint = app.flows["r"].source
    assert endpoint is not None
    queued = MuleMessage.create("p", {"k": 1}).to_inbound()
    queued.inbound["MULE_SESSION"] = MuleSession.of({"s": [1]})
    event = endpoint.create_event(queued)
    assert isinstance(event, MuleEvent) and event.message is not queued
    event.message.inbound["changed"] = True
    event.session.vars["s"].append(2)
    assert "changed" not in queued.inbound
    assert queued.inbound["MULE_SESSION"].vars == {"s": [1]}
    assert event.message.inbound.get("MULE_SESSION") is None


def test_new_id_is_a_version_1_uuid_text_unique_and_ordered() -> None:
    """Mule's ids are eaio's time-based UUIDs: ours have that layout, one tick per id."""
    import uuid

    from mule_emulator.runtime.message import new_id

    ids = [new_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    parsed = [uuid.UUID(text) for text in ids]
    for text, value in zip(ids, parsed, strict=True):
        assert str(value) == text and value.version == 1
        assert value.variant == uuid.RFC_4122
        assert value.node & (1 << 40)  # random node: multicast bit set
    times = [value.time for value in parsed]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert len({value.clock_seq for value in parsed}) == 1


def test_new_id_follows_the_ticks_across_the_high_bits(monkeypatch: Any) -> None:
    """The cached text after the low 32 bits is remade when the high bits change."""
    import itertools
    import uuid

    from mule_emulator.runtime import message

    start = (0x1E61B << 32) + 0xFFFFFFFE
    monkeypatch.setattr(message, "_ticks", itertools.count(start))
    times = [uuid.UUID(message.new_id()).time for _ in range(4)]
    assert times == [start, start + 1, start + 2, start + 3]


def test_new_ids_differ_between_processes() -> None:
    import subprocess
    import sys

    code = "from mule_emulator.runtime.message import new_id; print(new_id())"
    first, second = (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        .stdout.strip()
        .split("-", 3)[3]
        for _ in range(2)
    )
    assert first != second  # clock sequence and node are random per process

"""The third round of request-response shortcuts changes nothing observable.

- ``MuleMessage.arriving`` builds what ``MuleMessage(payload).to_inbound(put)`` gives;
- a client send of a bare payload (``OutboundEndpoint.send_payload``) delivers the same
  request and returns the same reply as a send of a message, and takes the full path
  whenever something runs before the send (endpoint processors, connector
  transformers, a stopped connector, a trace);
- a request-response receiver's inline route (``InboundEndpoint.accept_call``) still
  checks MIME types and runs response processors (it routes those the full way);
- a flow runs a replaced chain (``Flow.chain`` is worked out again when set).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mule_emulator import MuleApp, tracing
from mule_emulator.errors import LifecycleError
from mule_emulator.runtime.message import (
    NULL_PAYLOAD,
    MuleEvent,
    MuleMessage,
    ProcessResult,
)
from mule_emulator.runtime.processors.base import Chain, Processor

AppMaker = Callable[..., MuleApp]  # the make_app fixture (conftest)

SEEN: list[dict[str, Any]] = []


def callee(message: Any) -> Any:
    SEEN.append(
        {
            "id": message.id,
            "root": message.message.root_id,
            "inbound": dict(message.inbound),
            "outbound": dict(message.outbound),
            "session": dict(message.session),
            "vars": dict(message.invocation),
            "payload": message.payload,
        }
    )
    message.outbound["answer"] = 42
    message.session["back"] = "yes"
    return f"re:{message.payload}"


CLASSES = {"t.Callee": "test_message_path_round3:callee"}

APP = """
    <vm:connector name="plainConn"/>
    <vm:endpoint name="withProcessors" path="r3-callee" exchange-pattern="request-response"
                 connector-ref="plainConn">
        <set-property propertyName="fromEndpoint" value="set"/>
    </vm:endpoint>
    <flow name="callee">
        <vm:inbound-endpoint path="r3-callee" exchange-pattern="request-response"
                             connector-ref="plainConn"/>
        <component class="t.Callee"/>
    </flow>
"""


def _strip(seen: dict[str, Any]) -> dict[str, Any]:
    """What a send shows the callee, its id aside (every new message gets its own)."""
    assert seen["id"] == seen["root"]  # a new message: its own root
    return {k: v for k, v in seen.items() if k not in ("id", "root")}


def _reply_view(reply: MuleMessage | None) -> dict[str, Any]:
    assert reply is not None
    inbound = dict(reply.inbound)
    carried = inbound.pop("MULE_SESSION")
    return {
        "payload": reply.payload,
        "inbound": inbound,
        "outbound": dict(reply.outbound),
        "session": carried.vars,
        "mime": reply.mime_type,
        "attachments": (reply.inbound_attachments, reply.outbound_attachments),
    }


def test_arriving_builds_what_to_inbound_gives() -> None:
    for payload in ("p", None, b"x", {"k": 1}):
        got = MuleMessage.arriving(payload, {"MULE_ENDPOINT": "vm://a"})
        want = MuleMessage(payload).to_inbound({"MULE_ENDPOINT": "vm://a"}, ("MULE_SESSION",))
        assert got.payload is want.payload or got.payload == want.payload
        assert got.id != want.id and got.root_id == got.id
        assert list(got.inbound.items()) == list(want.inbound.items())
        assert dict(got.outbound) == {} and got.exception_payload is None
        assert (got.mime_type, got.encoding) == (want.mime_type, want.encoding)
        assert got.inbound_attachments == {} and got.outbound_attachments == {}
    message = MuleMessage.arriving(None, {"Arriving_Name": 1})
    assert message.payload is NULL_PAYLOAD
    assert message.inbound["arriving_name"] == 1  # found under another spelling
    message.outbound["o"] = 2
    assert dict(MuleMessage.arriving(None, {}).outbound) == {}  # empty scopes not shared


def test_bare_send_matches_a_send_of_a_message(make_app: AppMaker) -> None:
    app = make_app(APP, classes=CLASSES)
    SEEN.clear()
    bare = app.client.send("vm://r3-callee", "p")
    full = app.client.send("vm://r3-callee", MuleMessage("p"))
    assert len(SEEN) == 2
    assert _strip(SEEN[0]) == _strip(SEEN[1])
    assert SEEN[0]["inbound"]["MULE_ENDPOINT"] == "vm://r3-callee"
    assert "MULE_SESSION" not in SEEN[0]["inbound"]
    assert "MULE_ROOT_MESSAGE_ID" not in SEEN[0]["inbound"]
    assert _reply_view(bare) == _reply_view(full)
    assert _reply_view(bare)["inbound"]["answer"] == 42
    assert _reply_view(bare)["session"] == {"back": "yes"}
    assert bare is not None and bare.id == SEEN[0]["id"]  # the reply keeps the id


def test_bare_send_takes_the_full_path_when_something_runs_first(make_app: AppMaker) -> None:
    app = make_app(APP, classes=CLASSES)
    SEEN.clear()
    # endpoint processors: the property set on the client's message reaches the callee
    reply = app.client.send("withProcessors", "p")
    assert reply is not None and reply.payload == "re:p"
    assert SEEN[-1]["inbound"]["fromEndpoint"] == "set"
    # connector outbound transformers run on the client's message
    endpoint = app.client.outbound("vm://r3-callee", "request-response")
    connector = endpoint.connector

    class Upper(Processor):
        kind = "upper"

        def process(self, event: MuleEvent) -> ProcessResult:
            event.message.payload = str(event.message.payload).upper()
            return event

    saved = connector.outbound_transformers
    connector.outbound_transformers = (Upper(),)
    try:
        assert app.client.send("vm://r3-callee", "p") is not None
        assert SEEN[-1]["payload"] == "P"
    finally:
        connector.outbound_transformers = saved
    # a trace sees the client's send
    recorded: list[tuple[str, dict[str, Any]]] = []

    class Recorder(tracing.Tracer):
        active = True

        def emit(self, kind: str, **fields: Any) -> None:
            recorded.append((kind, fields))

    tracing.install(Recorder())
    try:
        app.client.send("vm://r3-callee", "p")
    finally:
        tracing.uninstall()
    sends = [fields for kind, fields in recorded if kind == "send"]
    assert sends and sends[0]["flow"] == "MuleClient" and sends[0]["target"] == "callee"
    # a stopped connector refuses, as before
    connector.started = False
    try:
        with pytest.raises(LifecycleError):
            app.client.send("vm://r3-callee", "p")
    finally:
        connector.started = True


INLINE_APP = """
    <flow name="typed">
        <vm:inbound-endpoint path="r3-typed" exchange-pattern="request-response"
                             mimeType="text/plain"/>
        <set-payload value="#[message.inboundProperties['Content-Type']]"/>
    </flow>
    <flow name="answered">
        <vm:inbound-endpoint path="r3-answered" exchange-pattern="request-response">
            <response>
                <set-property propertyName="responded" value="#[payload]"/>
            </response>
        </vm:inbound-endpoint>
        <set-payload value="#[payload + ' flow']"/>
    </flow>
"""


def test_receiver_mime_type_and_response_processors_still_apply(make_app: AppMaker) -> None:
    app = make_app(INLINE_APP)
    typed = app.client.send("vm://r3-typed", "x")
    assert typed is not None and typed.payload == "text/plain"
    answered = app.client.send("vm://r3-answered", "x")
    assert answered is not None and answered.payload == "x flow"
    assert answered.inbound["responded"] == "x flow"


def test_a_replaced_flow_chain_runs(make_app: AppMaker) -> None:
    app = make_app(
        """
    <flow name="replaced">
        <vm:inbound-endpoint path="r3-replaced" exchange-pattern="request-response"/>
        <set-payload value="old"/>
    </flow>
"""
    )
    flow = app.flows["replaced"]

    class Mark(Processor):
        kind = "mark"

        def __init__(self, text: str) -> None:
            self.text = text

        def process(self, event: MuleEvent) -> ProcessResult:
            event.message.payload = f"{event.message.payload}+{self.text}"
            return event

    flow.chain = Chain([Mark("a"), Mark("b")])
    reply = app.client.send("vm://r3-replaced", "in")
    assert reply is not None and reply.payload == "in+a+b"
    flow.chain = Mark("only")  # not a Chain: its own process runs
    reply = app.client.send("vm://r3-replaced", "in")
    assert reply is not None and reply.payload == "in+only"
    flow.chain = None
    reply = app.client.send("vm://r3-replaced", "in")
    assert reply is not None and reply.payload == "in"

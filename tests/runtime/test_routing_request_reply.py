"""request-reply (P-26) and the poll source (P-24)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from mule_emulator import MessagingError, MuleApp
from mule_emulator.model.config import CORE_NS, ElementConfig
from mule_emulator.runtime.message import MuleEvent, MuleMessage
from mule_emulator.runtime.processors.poll import PollSource, build_poll_source
from mule_emulator.runtime.processors.requestreply import deliver_reply

AppMaker = Callable[..., MuleApp]

REQUEST_REPLY = """
    <flow name="requester">
        <vm:inbound-endpoint path="ask" exchange-pattern="request-response"/>
        <set-variable variableName="mine" value="kept"/>
        <request-reply timeout="5000">
            <vm:outbound-endpoint path="work" exchange-pattern="one-way"/>
            <vm:inbound-endpoint path="answers" exchange-pattern="one-way"/>
        </request-reply>
        <set-payload value="#[payload + ' / ' + flowVars.mine]"/>
    </flow>
    <flow name="worker">
        <vm:inbound-endpoint path="work" exchange-pattern="one-way"/>
        <set-payload value="#[payload + ' answered to '
            + message.inboundProperties.MULE_REPLYTO_REQUESTOR]"/>
    </flow>
    <flow name="impatient">
        <vm:inbound-endpoint path="impatient" exchange-pattern="request-response"/>
        <request-reply timeout="50">
            <vm:outbound-endpoint path="nobody" exchange-pattern="one-way"/>
            <vm:inbound-endpoint path="never" exchange-pattern="one-way"/>
        </request-reply>
    </flow>
"""


def test_request_reply_waits_for_the_correlated_reply(make_app: AppMaker) -> None:
    app = make_app(REQUEST_REPLY)
    replies: dict[str, object] = {}

    def ask(text: str) -> None:
        reply = app.client.send("vm://ask", text)
        replies[text] = None if reply is None else reply.payload

    threads = [threading.Thread(target=ask, args=(t,)) for t in ("q1", "q2", "q3")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert replies == {
        "q1": "q1 answered to requester / kept",
        "q2": "q2 answered to requester / kept",
        "q3": "q3 answered to requester / kept",
    }


def test_request_reply_sets_the_reply_to_address(make_app: AppMaker) -> None:
    app = make_app(REQUEST_REPLY)
    with pytest.raises(MessagingError, match="No response received within 50 ms"):
        app.run_flow("impatient", "x")
    request = app.client.request("vm://nobody", 5)
    assert request is not None
    assert str(request.inbound["MULE_REPLYTO"]).startswith("vm://never?connector=")
    assert request.inbound["MULE_CORRELATION_ID"] == request.id


def test_deliver_reply_follows_reply_to_unless_stopped() -> None:
    sent: list[tuple[str, object, dict[str, object]]] = []
    request = MuleMessage("q", inbound={"MULE_REPLYTO": "vm://r", "MULE_CORRELATION_ID": "c1"})
    event = MuleEvent.of(request)
    result = event.with_message(MuleMessage("answer"))
    assert deliver_reply(event, result, lambda *args: sent.append(args))
    assert sent == [("vm://r", "answer", {"MULE_CORRELATION_ID": "c1"})]
    result.flow_vars["MULE_REPLY_TO_STOP"] = "true"
    assert not deliver_reply(event, result, lambda *args: sent.append(args))
    assert not deliver_reply(
        MuleEvent.of(MuleMessage("x")), result, lambda *args: sent.append(args)
    )
    assert len(sent) == 1


POLL_TARGET = """
    <flow name="target" processingStrategy="synchronous">
        <set-payload value="#[payload + ' polled']"/>
        <vm:outbound-endpoint path="polled" exchange-pattern="one-way"/>
    </flow>
"""


def _poll_config(body: ElementConfig, **attrs: str) -> ElementConfig:
    return ElementConfig(CORE_NS, "poll", attributes=attrs, children=(body,))


def test_poll_routes_the_child_result_into_the_flow(make_app: AppMaker) -> None:
    app = make_app(POLL_TARGET)
    ctx = app.build_context
    child = ElementConfig(CORE_NS, "set-payload", attributes={"value": "tick"})
    source = build_poll_source(ctx, _poll_config(child, frequency="20"), app.flows["target"])
    assert isinstance(source, PollSource) and source.frequency_ms == 20
    source.start()
    try:
        first = app.client.request("vm://polled", 5)
        second = app.client.request("vm://polled", 5)
    finally:
        source.stop()
    assert first is not None and first.payload == "tick polled"
    assert second is not None and source.polls >= 2


def test_poll_with_a_null_result_routes_nothing(make_app: AppMaker) -> None:
    app = make_app(POLL_TARGET)
    child = ElementConfig(CORE_NS, "set-payload", attributes={"value": "#[null]"})
    source = build_poll_source(app.build_context, _poll_config(child), app.flows["target"])
    assert source.poll_once() is None
    assert app.client.request("vm://polled", 0.1) is None
    assert app.flow_runs("target") == 0


def test_poll_fixed_frequency_scheduler_units(make_app: AppMaker) -> None:
    app = make_app(POLL_TARGET)
    scheduler = ElementConfig(
        CORE_NS,
        "fixed-frequency-scheduler",
        attributes={"frequency": "2", "startDelay": "1", "timeUnit": "SECONDS"},
    )
    child = ElementConfig(CORE_NS, "set-payload", attributes={"value": "x"})
    cfg = ElementConfig(CORE_NS, "poll", children=(scheduler, child))
    source = build_poll_source(app.build_context, cfg)
    assert (source.frequency_ms, source.start_delay_ms) == (2000, 1000)


POLL_FLOW = """
    <flow name="poller">
        <poll frequency="20"><set-payload value="tick"/></poll>
        <set-payload value="#[payload + ' ' + flow.name]"/>
        <vm:outbound-endpoint path="ticks" exchange-pattern="one-way"/>
    </flow>
"""


def test_a_poll_source_feeds_its_flow_on_the_engine(make_app: AppMaker) -> None:
    app = make_app(POLL_FLOW, start=False)
    poll = app.flows["poller"].poll
    assert poll is not None and poll.scheduler is None  # nothing runs before the start
    app.start()
    first = app.client.request("vm://ticks", 5)
    second = app.client.request("vm://ticks", 5)
    assert first is not None and first.payload == "tick poller"
    assert second is not None and poll.polls >= 2
    scheduler = poll.scheduler
    assert scheduler is not None
    assert any(t.name.startswith("poller.poll") for t in app.engine.threads())
    app.stop()
    assert poll.scheduler is None and not scheduler.pool.threads()
    assert not app.engine.threads()


def test_a_poll_source_restarts_with_the_application(make_app: AppMaker) -> None:
    app = make_app(POLL_FLOW)
    assert app.client.request("vm://ticks", 5) is not None
    app.stop()
    app.start()
    polled = app.client.request("vm://ticks", 5)
    assert polled is not None and polled.payload == "tick poller"


def test_the_replier_answers_a_one_way_request_once(make_app: AppMaker) -> None:
    """Two flows: the worker has no hand-written reply; its result goes to the
    requester's MULE_REPLYTO with the request's correlation id (F-4, P-26)."""
    app = make_app(REQUEST_REPLY)
    reply = app.client.send("vm://ask", "q")
    assert reply is not None and reply.payload == "q answered to requester / kept"
    assert app.wait_until_idle(5)
    assert app.client.request("vm://answers", 0.05) is None  # one reply, taken


def test_the_replier_stops_at_mule_reply_to_stop(make_app: AppMaker) -> None:
    app = make_app(
        """<flow name="silent">
            <vm:inbound-endpoint path="silent" exchange-pattern="one-way"/>
            <set-variable variableName="MULE_REPLY_TO_STOP" value="true"/>
        </flow>
        <flow name="answering">
            <vm:inbound-endpoint path="answering" exchange-pattern="one-way"/>
            <set-payload value="answer"/>
        </flow>"""
    )
    asking = {"MULE_REPLYTO": "vm://replies", "MULE_CORRELATION_ID": "c7"}
    app.client.dispatch("vm://silent", "q", asking)
    app.client.dispatch("vm://answering", "q", asking)
    reply = app.client.request("vm://replies", 5)
    assert reply is not None and reply.payload == "answer"
    assert reply.inbound["MULE_CORRELATION_ID"] == "c7"
    assert app.wait_until_idle(5)
    assert app.client.request("vm://replies", 0.05) is None

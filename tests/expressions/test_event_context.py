"""``EventContext`` over the runtime's MuleEvent, and exception matching (E-9)."""

from __future__ import annotations

import pytest

from mule_emulator.errors import MessagingError
from mule_emulator.expressions import (
    AppInfo,
    EventContext,
    ExpressionRuntimeError,
    compile_expression,
    compile_template,
)
from mule_emulator.runtime.message import (
    NULL_PAYLOAD,
    ExceptionPayload,
    MuleEvent,
    MuleMessage,
    MuleSession,
)


class _Flow:
    name = "orders-flow"


def _event(payload: object = "data") -> MuleEvent:
    message = MuleMessage(payload, inbound={"Kind": "in"}, outbound={"MULE_CORRELATION_ID": "c9"})
    return MuleEvent.of(
        message, flow=_Flow(), session=MuleSession.of({"s": 1}), flow_vars={"v": "fv"}
    )


def test_reads_the_event() -> None:
    event = _event()
    ctx = EventContext(event, AppInfo(name="shop"))
    value = compile_expression(
        "[payload, message.id, message.correlationId, message.inboundProperties.kind,"
        " flowVars.v, sessionVars.s, v, s, flow.name, app.name]"
    ).evaluate(ctx)
    assert value == ["data", event.message.id, "c9", "in", "fv", 1, "fv", 1, "orders-flow", "shop"]


def test_app_info_may_be_a_plain_mapping() -> None:
    ctx = EventContext(_event(), {"name": "from-dict", "work_dir": "/w", "other": 1})
    assert compile_expression("app.name + app.workDir").evaluate(ctx) == "from-dict/w"


def test_writes_reach_the_event() -> None:
    event = _event()
    compile_expression(
        "payload = 'changed'; flowVars.n = 1; sessionVars.t = 2;"
        " message.outboundProperties.h = 'x'; message.outboundProperties.MULE_CORRELATION_ID = null"
    ).evaluate(EventContext(event))
    assert event.message.payload == "changed"
    assert event.flow_vars["n"] == 1
    assert event.session.vars["t"] == 2
    assert event.message.outbound["H"] == "x"
    assert "MULE_CORRELATION_ID" not in event.message.outbound


def test_inbound_is_read_only() -> None:
    event = _event()
    with pytest.raises(ExpressionRuntimeError, match="read-only"):
        compile_expression("message.inboundProperties.kind = 'x'").evaluate(EventContext(event))
    assert event.message.inbound["kind"] == "in"


def test_null_payload_reads_as_null_and_null_writes_null_payload() -> None:
    event = _event(NULL_PAYLOAD)
    ctx = EventContext(event)
    assert compile_expression("payload == null").evaluate(ctx) is True
    assert compile_expression("message.payload").evaluate(ctx) is None
    assert compile_template("p=#[payload]").render(ctx) == "p=null"
    event.message.payload = "x"
    compile_expression("payload = null").evaluate(ctx)
    assert event.message.payload is NULL_PAYLOAD


class OrderRejected(Exception):
    """A stand-in's exception declaring its Java identity."""

    java_class = "com.acme.OrderRejectedException"


def _failed_event(cause: BaseException) -> EventContext:
    event = _event()
    error = MessagingError("failed in processor", event=event, cause=cause)
    event.message.exception_payload = ExceptionPayload.of(error)
    return EventContext(event)


@pytest.mark.parametrize(
    ("when", "cause", "expected"),
    [
        ("exception.causedBy(java.io.IOException)", OSError("disk"), True),
        ("exception.causedBy(java.io.IOException)", ValueError("bad"), False),
        ("exception.causedBy(java.lang.IllegalArgumentException)", ValueError("bad"), True),
        ("exception.causedBy(java.lang.Exception)", ValueError("bad"), True),
        ("exception.causedBy(org.mule.api.MessagingException)", ValueError("bad"), True),
        ("exception.causedBy(com.acme.OrderRejectedException)", OrderRejected("no"), True),
        ("exception.causedBy(com.acme.OrderRejected)", OrderRejected("no"), True),
        ("exception.causedExactlyBy(java.io.IOException)", OSError("disk"), True),
        ("exception.causedExactlyBy(java.io.IOException)", FileNotFoundError("f"), False),
        ("exception.causedExactlyBy(com.acme.OrderRejectedException)", OrderRejected(), True),
        ("exception.causeMatches('java.io.*')", OSError("disk"), True),
        ("exception.causeMatches('*Rejected*')", OrderRejected(), True),
        ("exception.causeMatches('java.io.*')", KeyError("k"), False),
        ("exception is org.mule.api.MessagingException", OSError("disk"), True),
        ("exception.cause.message == 'disk'", OSError("disk"), True),
        ("message.exception != null", OSError("disk"), True),
        ("#[exception-type:java.io.IOException]", OSError("disk"), True),
        ("#[exception-type:java.io.IOException]", ValueError("v"), False),
        ("#[exception-type:]", ValueError("v"), True),
    ],
)
def test_exception_strategy_when(when: str, cause: BaseException, expected: bool) -> None:
    assert compile_expression(when).evaluate_boolean(_failed_event(cause)) is expected


def test_exception_is_null_without_exception_payload() -> None:
    ctx = EventContext(_event())
    assert compile_expression("exception == null").evaluate(ctx) is True
    assert compile_expression("#[exception-type:]").evaluate(ctx) is False


def test_unqualified_unknown_class_is_an_unresolvable_name() -> None:
    """MVEL imports java.lang only: ``OrderRejected`` alone is a (missing) variable."""
    with pytest.raises(ExpressionRuntimeError, match="unresolvable"):
        compile_expression("exception.causedBy(OrderRejected)").evaluate(
            _failed_event(OrderRejected())
        )

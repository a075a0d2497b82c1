"""Assignments and statements (expression-component, enricher targets)."""

from __future__ import annotations

from typing import Any

import pytest

from mule_emulator.expressions import ExpressionRuntimeError, SimpleContext, compile_expression
from tests.expressions.conftest import make_context


def _payload(c: SimpleContext) -> Any:
    return c.payload


# (script, what to read afterwards, expected)
EFFECTS: list[tuple[str, Any, Any]] = [
    ("payload = 'new'", _payload, "new"),
    ("payload = payload + '!'", _payload, "Hello World!"),
    ("message.payload = 42", _payload, 42),
    ("payload = null", _payload, None),
    ("flowVars.x = 1", lambda c: c.flow_vars["x"], 1),
    ("flowVars['y'] = 'z'", lambda c: c.flow_vars["y"], "z"),
    ("flowVars.count = null", lambda c: "count" in c.flow_vars, False),
    ("flowVars.count += 2", lambda c: c.flow_vars["count"], 5),
    ("flowVars.count -= 1; flowVars.count *= 10", lambda c: c.flow_vars["count"], 20),
    ("sessionVars.s = [1]", lambda c: c.session_vars["s"], [1]),
    ("sessionVars['user'] = 'eve'", lambda c: c.session_vars["user"], "eve"),
    ("message.outboundProperties.k = 'v'", lambda c: c.message.outbound["K"], "v"),
    ("message.outboundProperties['h'] = 2", lambda c: c.message.outbound["h"], 2),
    (
        "message.outboundProperties.existing = null",
        lambda c: "existing" in c.message.outbound,
        False,
    ),
    ("message.outboundProperties.put('p', 'q')", lambda c: c.message.outbound["p"], "q"),
    ("flowVars.remove('name')", lambda c: "name" in c.flow_vars, False),
    ("count = 10", lambda c: c.flow_vars["count"], 10),
    ("user = 'zed'", lambda c: c.session_vars["user"], "zed"),
    ("local = 5; flowVars.copy = local * 2", lambda c: c.flow_vars["copy"], 10),
    ("local = 5", lambda c: "local" in c.flow_vars, False),
    ("flowVars.items.add(4)", lambda c: c.flow_vars["items"], [1, 2, 3, 4]),
    ("flowVars.items[0] = 9", lambda c: c.flow_vars["items"], [9, 2, 3]),
    ("flowVars.config.put('k', 'w')", lambda c: c.flow_vars["config"]["k"], "w"),
    ("flowVars.config.k = 'w2'", lambda c: c.flow_vars["config"]["k"], "w2"),
    ("m = new java.util.HashMap(); m.put('a', 1); payload = m", _payload, {"a": 1}),
    ("payload = ['a': 1]; payload.b = 2", _payload, {"a": 1, "b": 2}),
    ("message.replyTo = 'queue'", lambda c: c.message.reply_to, "queue"),
    (
        "flowVars.total = 0;\n flowVars.total = flowVars.total + 5;\n"
        " payload = 'total=' + flowVars.total;",
        _payload,
        "total=5",
    ),
]


@pytest.mark.parametrize(("script", "read", "expected"), EFFECTS, ids=[e[0] for e in EFFECTS])
def test_side_effect(script: str, read: Any, expected: Any) -> None:
    ctx = make_context()
    compile_expression(script).evaluate(ctx)
    assert read(ctx) == expected


def test_assignment_value_is_the_assigned_value(ctx: SimpleContext) -> None:
    assert compile_expression("flowVars.a = 'b'").evaluate(ctx) == "b"


def test_locals_do_not_leak_between_evaluations() -> None:
    expression = compile_expression("seen = 1; seen")
    assert expression.evaluate(make_context()) == 1
    with pytest.raises(ExpressionRuntimeError, match="unresolvable"):
        compile_expression("seen").evaluate(make_context())


@pytest.mark.parametrize(
    ("target", "read"),
    [
        ("#[flowVars.enriched]", lambda c: c.flow_vars["enriched"]),
        ("#[flowVars['enriched']]", lambda c: c.flow_vars["enriched"]),
        ("#[sessionVars.enriched]", lambda c: c.session_vars["enriched"]),
        ("#[message.outboundProperties.enriched]", lambda c: c.message.outbound["enriched"]),
        ("#[payload]", lambda c: c.payload),
        ("#[header:OUTBOUND:enriched]", lambda c: c.message.outbound["enriched"]),
        ("#[header:enriched]", lambda c: c.message.outbound["enriched"]),
        ("#[header:SESSION:enriched]", lambda c: c.session_vars["enriched"]),
        ("#[variable:enriched]", lambda c: c.flow_vars["enriched"]),
        ("#[payload:]", lambda c: c.payload),
    ],
)
def test_enricher_targets(target: str, read: Any) -> None:
    ctx = make_context()
    expression = compile_expression(target)
    assert expression.is_assignable
    expression.assign(ctx, "value")
    assert read(ctx) == "value"


@pytest.mark.parametrize("target", ["#[1 + 1]", "#[payload.length()]", "#[message:id]"])
def test_non_assignable_targets(ctx: SimpleContext, target: str) -> None:
    expression = compile_expression(target)
    assert not expression.is_assignable
    with pytest.raises(ExpressionRuntimeError, match="not assignable"):
        expression.assign(ctx, 1)


def test_inbound_assignment_fails_at_run_time_not_compile_time(ctx: SimpleContext) -> None:
    expression = compile_expression("message.inboundProperties.x = 1")
    with pytest.raises(ExpressionRuntimeError, match="read-only"):
        expression.evaluate(ctx)
    assert "x" not in ctx.message.inbound


def test_parse_once_evaluate_many(monkeypatch: pytest.MonkeyPatch) -> None:
    """Evaluation never goes back to the parser or the lexer."""
    from mule_emulator.expressions import lexer, parser

    expression = compile_expression("flowVars.count = flowVars.count + 1; payload.length()")

    def refuse(*_args: object) -> None:
        raise AssertionError("parsed again at evaluation time")

    monkeypatch.setattr(parser, "parse", refuse)
    monkeypatch.setattr(lexer, "tokenize", refuse)
    ctx = make_context()
    results = [expression.evaluate(ctx) for _ in range(3)]
    assert results == [11, 11, 11]
    assert ctx.flow_vars["count"] == 6

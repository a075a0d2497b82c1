"""Legacy ``#[evaluator:argument]`` expressions (EL-6)."""

from __future__ import annotations

from typing import Any

import pytest

from mule_emulator.errors import UnsupportedError
from mule_emulator.expressions import (
    ExpressionSyntaxError,
    RequiredValueError,
    SimpleContext,
    compile_expression,
)
from tests.expressions.conftest import make_context


def _ctx_with_props() -> SimpleContext:
    ctx = make_context({"a": 1, "b": None})
    ctx.message.outbound.update({"out-a": 1, "out-b": 2, "other": 3})
    return ctx


LEGACY: list[tuple[str, Any]] = [
    ("#[header:existing]", "out-1"),
    ("#[header:OUTBOUND:existing]", "out-1"),
    ("#[header:outbound:EXISTING]", "out-1"),
    ("#[header:INBOUND:content-type]", "text/plain"),
    ("#[header:INVOCATION:name]", "Ann"),
    ("#[header:SESSION:user]", "bob"),
    ("#[header:missing?]", None),
    ("#[header:INBOUND:missing?]", None),
    ("#[header:out-*]", {"out-a": 1, "out-b": 2}),
    ("#[headers:out-a,other]", {"out-a": 1, "other": 3}),
    ("#[headers:out-a,missing?]", {"out-a": 1}),
    ("#[headers:INBOUND:count,content-type]", {"count": "7", "content-type": "text/plain"}),
    ("#[headers-list:out-a,out-b]", [1, 2]),
    ("#[headers:*]", {"existing": "out-1", "out-a": 1, "out-b": 2, "other": 3}),
    ("#[variable:count]", 3),
    ("#[variable:missing?]", None),
    ("#[payload:]", {"a": 1, "b": None}),
    ("#[payload:java.util.Map]", {"a": 1, "b": None}),
    ("#[payload:java.lang.String]", "{a=1, b=null}"),
    ("#[map-payload:a]", 1),
    ("#[map-payload:a,b?]", {"a": 1}),
    ("#[message:id]", "msg-1"),
    ("#[message:correlationId]", "corr-1"),
    ("#[message:correlationSequence]", -1),
    ("#[message:encoding]", "UTF-8"),
    ("#[message:exception]", None),
    ("#[message:payload]", {"a": 1, "b": None}),
    ("#[string:id=#[message:id] n=#[flowVars.count]]", "id=msg-1 n=3"),
    ("#[mule:message.header(existing)]", "out-1"),
    ("#[mule:message.headers(out-a,other)]", {"out-a": 1, "other": 3}),
    ("#[mule:message.payload]", {"a": 1, "b": None}),
    ("#[mule:message.correlationId]", "corr-1"),
    ("#[context:serviceName]", "orders"),
    ("#[context:serverId]", "shop"),
    ("#[context:workingDir]", "/tmp/shop"),
    ("#[attachment:doc]", ("content", "text/plain")),
    ("#[attachment:nope?]", None),
    ("#[attachments:doc]", {"doc": ("content", "text/plain")}),
    ("#[attachments-list:d*]", [("content", "text/plain")]),
    ("#[function:payloadClass]", "java.util.HashMap"),
    ("#[function:shortPayloadClass]", "HashMap"),
    ("#[exception-type:]", False),
    ("#[exception-type:java.io.IOException]", False),
    ("#[payload-type:java.util.Map]", True),
    ("#[payload-type:java.lang.String]", False),
    ("header:existing", "out-1"),
    ("message:id", "msg-1"),
]


@pytest.mark.parametrize(("text", "expected"), LEGACY, ids=[v[0] for v in LEGACY])
def test_legacy_value(text: str, expected: Any) -> None:
    expression = compile_expression(text)
    assert expression.is_legacy
    assert expression.evaluate(_ctx_with_props()) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#[regex:^Hel+o]", True),
        ("#[regex:World$]", True),
        ("#[regex:^World]", False),
        ("#[wildcard:Hello*]", True),
        ("#[wildcard:*World]", True),
        ("#[wildcard:*lo W*]", True),
        ("#[wildcard:nope*,Hello World]", True),
        ("#[wildcard:Hello]", False),
        ("#[payload-type:String]", True),
    ],
)
def test_filter_like_evaluators(ctx: SimpleContext, text: str, expected: bool) -> None:
    assert compile_expression(text).evaluate(ctx) is expected


def test_function_values(ctx: SimpleContext) -> None:
    assert len(compile_expression("#[function:uuid]").evaluate(ctx)) == 36
    assert compile_expression("#[function:systime]").evaluate(ctx) > 0
    counter = compile_expression("#[function:count]")
    assert [counter.evaluate(ctx) for _ in range(3)] == [0, 1, 2]
    stamp = compile_expression("#[function:datestamp:yyyy]").evaluate(ctx)
    assert len(stamp) == 4 and stamp.isdigit()


@pytest.mark.parametrize(
    "text", ["#[header:missing]", "#[header:INBOUND:missing]", "#[variable:missing]",
             "#[attachment:nope]", "#[map-payload:zz]", "#[headers:existing,missing]"],
)  # fmt: skip
def test_required_values(text: str) -> None:
    ctx = _ctx_with_props()
    expression = compile_expression(text)
    with pytest.raises(RequiredValueError, match="returned null"):
        expression.evaluate(ctx)
    assert expression.evaluate_boolean(ctx, default=True) is True
    assert expression.evaluate_boolean(ctx) is False


@pytest.mark.parametrize(
    ("text", "module"),
    [
        ("#[groovy:payload.size()]", "scripting module"),
        ("#[xpath://order/id]", "XML module"),
        ("#[xpath2://order]", "XML module"),
        ("#[bean:name]", "XML module"),
        ("#[json:order/id]", "JSON module"),
        ("#[ognl:name]", "OGNL module"),
        ("#[endpoint:myEndpoint.address]", "not emulated"),
        ("#[registry:thing]", "not emulated"),
    ],
)
def test_unsupported_evaluators_fail_at_compile_time(text: str, module: str) -> None:
    with pytest.raises(UnsupportedError) as info:
        compile_expression(text)
    assert module in str(info.value)
    assert text.split(":")[0].lstrip("#[") in str(info.value)


@pytest.mark.parametrize(
    "text",
    ["#[message:nosuchfield]", "#[header:BOGUS:x]", "#[context:nothing]", "#[function:nope]",
     "#[mule:thing.stuff]"],
)  # fmt: skip
def test_bad_legacy_arguments_fail_at_compile_time(text: str) -> None:
    with pytest.raises(ExpressionSyntaxError):
        compile_expression(text)


def test_mel_with_a_colon_is_not_legacy(ctx: SimpleContext) -> None:
    expression = compile_expression("#[payload == 'x' ? 'a:b' : 'c:d']")
    assert not expression.is_legacy
    assert expression.evaluate(ctx) == "c:d"

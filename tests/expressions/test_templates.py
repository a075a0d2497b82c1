"""Templates (EL-3), attribute values (EL-2) and boolean coercion (EL-7)."""

from __future__ import annotations

from typing import Any

import pytest

from mule_emulator.errors import SourceLocation
from mule_emulator.expressions import (
    ExpressionRuntimeError,
    ExpressionSyntaxError,
    SimpleContext,
    compile_attribute,
    compile_expression,
    compile_template,
)

TEMPLATES: list[tuple[str, str]] = [
    ("Hello #[payload]", "Hello Hello World"),
    ("plain text", "plain text"),
    ("#[flowVars.count]", "3"),
    ("n=#[flowVars.count + 1] of #[flowVars.items.size()]", "n=4 of 3"),
    ("missing: #[flowVars.missing]", "missing: null"),
    ("payload via message: #[message]", "payload via message: Hello World"),
    ("#[message.payload]!", "Hello World!"),
    ("#[flowVars.items]", "[1, 2, 3]"),
    ("#[flowVars.config.nested]", "{deep=true}"),
    ("#[true] #[1.5] #[10L]", "true 1.5 10"),
    ("#[['a', 'b'][1]]", "b"),
    ("#[payload == ']' ? 'x' : 'y']", "y"),
    ("#[header:existing] and #[message:id]", "out-1 and msg-1"),
    ("#[string:inner #[flowVars.name]]", "inner Ann"),
    ("unclosed #[payload", "unclosed #[payload"),
    ("a ] b [ c", "a ] b [ c"),
    ("$ and \\ stay #[payload]", "$ and \\ stay Hello World"),
    ("#[flowVars.name]#[flowVars.name]", "AnnAnn"),
]


@pytest.mark.parametrize(("text", "expected"), TEMPLATES, ids=[t[0] for t in TEMPLATES])
def test_template(ctx: SimpleContext, text: str, expected: str) -> None:
    assert compile_template(text).render(ctx) == expected


def test_template_literal_flag() -> None:
    assert compile_template("no expressions").is_literal
    assert not compile_template("one #[payload]").is_literal


def test_template_compile_error_names_column_and_location() -> None:
    where = SourceLocation(file="app.xml", line=12)
    with pytest.raises(ExpressionSyntaxError) as info:
        compile_template("ok #[payload] bad #[1 +]", where)
    error = info.value
    assert error.column == 24
    assert error.location.line == 12
    assert "app.xml:12" in str(error)


def test_template_runtime_error(ctx: SimpleContext) -> None:
    with pytest.raises(ExpressionRuntimeError, match="unresolvable"):
        compile_template("x #[nope]").render(ctx)


ATTRIBUTES: list[tuple[str | None, str, Any]] = [
    ("literal", "literal", "literal"),
    ("#[flowVars.count]", "expression", 3),
    ("#[flowVars.items]", "expression", [1, 2, 3]),
    ("#[flowVars.missing]", "expression", None),
    ("count: #[flowVars.count]", "template", "count: 3"),
    ("#[flowVars.count]#[flowVars.count]", "template", "33"),
    ("#[flowVars.count] ", "template", "3 "),
    ("#[\nflowVars.count]", "template", "3"),
    ("no closing #[ here", "literal", "no closing #[ here"),
    ("brackets [a] only", "literal", "brackets [a] only"),
    ("#[header:existing]", "expression", "out-1"),
    (None, "literal", None),
]


@pytest.mark.parametrize(
    ("text", "kind", "expected"), ATTRIBUTES, ids=[str(a[0]) for a in ATTRIBUTES]
)
def test_attribute(ctx: SimpleContext, text: str | None, kind: str, expected: Any) -> None:
    attribute = compile_attribute(text)
    assert attribute.kind == kind
    assert attribute.is_literal == (kind == "literal")
    result = attribute.resolve(ctx)
    assert result == expected
    assert type(result) is type(expected)


def test_attribute_resolve_string(ctx: SimpleContext) -> None:
    assert compile_attribute("#[flowVars.count]").resolve_string(ctx) == "3"
    assert compile_attribute("#[flowVars.missing]").resolve_string(ctx) is None


def test_attribute_compile_error_is_raised_at_compile_time() -> None:
    with pytest.raises(ExpressionSyntaxError):
        compile_attribute("#[payload ==]")
    with pytest.raises(ExpressionSyntaxError):
        compile_attribute("prefix #[payload ==] suffix")


BOOLEANS: list[tuple[str, bool, bool | None, bool]] = [
    # (expression, default, non_boolean, expected)
    ("true", False, None, True),
    ("false", True, None, False),
    ("'TRUE'", False, None, True),
    ("'False'", True, None, False),
    ("null", False, None, False),
    ("null", True, None, True),
    ("flowVars.missing", True, None, True),
    ("'maybe'", False, None, False),
    ("'maybe'", False, True, True),
    ("42", True, None, True),
    ("42", False, True, True),
    ("payload == 'Hello World'", False, None, True),
    ("#[header:missing]", True, None, True),
    ("#[header:missing]", False, None, False),
]


@pytest.mark.parametrize(("text", "default", "non_boolean", "expected"), BOOLEANS)
def test_evaluate_boolean(
    ctx: SimpleContext, text: str, default: bool, non_boolean: bool | None, expected: bool
) -> None:
    result = compile_expression(text).evaluate_boolean(ctx, default, non_boolean)
    assert result is expected

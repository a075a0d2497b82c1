"""``AttributeValue``: how Mule resolves most processor attributes (EL-2).

Mule's ``AttributeEvaluator``: a value that is exactly one ``#[...]`` (no other ``#[``
inside, on one line) is evaluated and keeps its type; a value with ``#[`` followed later
by ``]`` is a template rendered to a string; anything else is the literal string.
"""

from __future__ import annotations

import re
from typing import Any

from mule_emulator.errors import SourceLocation
from mule_emulator.expressions.context import EvaluationContext
from mule_emulator.expressions.expression import Expression, compile_expression
from mule_emulator.expressions.template import Template, compile_template

_SINGLE_EXPRESSION = re.compile(r"#\[(?:(?!#\[).)*\]")


class AttributeValue:
    """A compiled attribute value: ``kind`` is "literal", "expression" or "template"."""

    __slots__ = ("_compiled", "kind", "text")

    def __init__(self, text: str | None, kind: str, compiled: Expression | Template | None):
        self.text = text
        self.kind = kind
        self._compiled = compiled

    @property
    def is_literal(self) -> bool:
        return self.kind == "literal"

    @property
    def expression(self) -> Expression | None:
        """The compiled expression for an "expression" attribute (enricher targets, …)."""
        return self._compiled if isinstance(self._compiled, Expression) else None

    def resolve(self, ctx: EvaluationContext) -> Any:
        """The attribute's value for this event (typed for a whole expression)."""
        compiled = self._compiled
        if compiled is None:
            return self.text
        if isinstance(compiled, Expression):
            return compiled.evaluate(ctx)
        return compiled.render(ctx)

    def evaluate(self, ctx: EvaluationContext) -> Any:
        """Same as ``resolve``: lets callers treat every compiled form alike."""
        return self.resolve(ctx)

    def resolve_string(self, ctx: EvaluationContext) -> str | None:
        """``resolveStringValue``: the value's string form, None stays None."""
        from mule_emulator.expressions.template import render_value

        value = self.resolve(ctx)
        return None if value is None else render_value(value)

    def __repr__(self) -> str:
        return f"AttributeValue({self.kind}, {self.text!r})"


def compile_attribute(value: str | None, location: SourceLocation | None = None) -> AttributeValue:
    """Classify and compile an attribute value once, at build time."""
    if value is not None and _SINGLE_EXPRESSION.fullmatch(value):
        return AttributeValue(value, "expression", compile_expression(value, location))
    if value is not None:
        begin = value.find("#[")
        if begin >= 0 and "]" in value[begin + 2 :]:
            return AttributeValue(value, "template", compile_template(value, location))
    return AttributeValue(value, "literal", None)

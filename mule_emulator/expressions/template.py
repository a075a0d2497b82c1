"""``Template``: text with embedded ``#[...]`` expressions, rendered to a string (EL-3).

Mule's template parser finds every ``#[...]`` (brackets inside may nest), evaluates it as
in EL-1 and splices in its string form: a null result becomes ``null``, a message result
its payload. Unlike Mule's regular expression, quotes inside an expression are respected,
so ``#[payload == ']']`` is one expression. An unclosed ``#[`` stays literal text.
"""

from __future__ import annotations

from typing import Any

from mule_emulator.errors import SourceLocation
from mule_emulator.expressions.context import EvaluationContext, MessageView
from mule_emulator.expressions.errors import ExpressionSyntaxError
from mule_emulator.expressions.expression import Expression, compile_expression
from mule_emulator.expressions.values import java_str


def find_expressions(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` spans of each top-level ``#[...]`` in ``text`` (end exclusive)."""
    spans: list[tuple[int, int]] = []
    pos = 0
    while True:
        start = text.find("#[", pos)
        if start < 0:
            return spans
        end = _closing(text, start + 2)
        if end < 0:
            return spans
        spans.append((start, end + 1))
        pos = end + 1


def _closing(text: str, pos: int) -> int:
    depth, quote = 1, ""
    while pos < len(text):
        char = text[pos]
        if quote:
            if char == "\\":
                pos += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return pos
        pos += 1
    return -1


def render_value(value: Any) -> str:
    """The text a template splices in for an expression's value."""
    if type(value) is str:
        return value
    if isinstance(value, MessageView):
        value = value.payload
    return java_str(value)


class Template:
    """A parsed template: literal pieces and compiled expressions, in order."""

    __slots__ = ("_parts", "text")

    def __init__(self, text: str, parts: list[str | Expression]) -> None:
        self.text = text
        self._parts = parts

    @property
    def is_literal(self) -> bool:
        """True when the text holds no expression (rendering returns it unchanged)."""
        return all(isinstance(part, str) for part in self._parts)

    @property
    def expressions(self) -> list[Expression]:
        return [part for part in self._parts if isinstance(part, Expression)]

    def render(self, ctx: EvaluationContext) -> str:
        """The text with every expression replaced by its value's string form."""
        out: list[str] = []
        for part in self._parts:
            if type(part) is str:
                out.append(part)
            else:
                out.append(render_value(part.evaluate(ctx)))  # type: ignore[union-attr]
        return "".join(out)

    def evaluate(self, ctx: EvaluationContext) -> str:
        """Same as ``render``: lets callers treat every compiled form alike."""
        return self.render(ctx)

    def __repr__(self) -> str:
        return f"Template({self.text!r})"


def compile_template(text: str, location: SourceLocation | None = None) -> Template:
    """Parse ``text`` into a ``Template``; a bad embedded expression fails here."""
    parts: list[str | Expression] = []
    pos = 0
    for start, end in find_expressions(text):
        if start > pos:
            parts.append(text[pos:start])
        try:
            parts.append(compile_expression(text[start:end], location))
        except ExpressionSyntaxError as exc:
            column = exc.column + start if exc.column else 0
            raise ExpressionSyntaxError(exc.reason, text, column, location) from None
        pos = end
    if pos < len(text):
        parts.append(text[pos:])
    return Template(text, parts)

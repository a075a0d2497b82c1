"""``Expression``: one compiled expression, MEL or legacy evaluator (EL-1, EL-7).

``compile_expression`` strips one ``#[``…``]``, picks the legacy evaluator when the text
starts with a registered ``name:``, otherwise parses MEL; either way the result is a
closure evaluated many times. Compile failures are ``ExpressionSyntaxError`` (or
``UnsupportedError`` for other modules' evaluators) carrying the location; evaluation
failures are ``ExpressionRuntimeError``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from mule_emulator.errors import MuleEmulatorError, SourceLocation, UnsupportedError
from mule_emulator.expressions.compiler import Compiler
from mule_emulator.expressions.context import EvaluationContext
from mule_emulator.expressions.errors import (
    ExpressionRuntimeError,
    ExpressionSyntaxError,
    RequiredValueError,
)
from mule_emulator.expressions.legacy import LegacyCompiler, split_legacy
from mule_emulator.expressions.parser import parse
from mule_emulator.expressions.values import resolve_boolean

_NO_LOCALS: dict[str, Any] = {}


def strip_marker(text: str) -> tuple[str, int]:
    """Remove one ``#[``…``]`` (Mule: the first two and the last character); returns the
    inner text and its offset in ``text``.

    Unlike Mule, whitespace around the marker (an attribute value spread over lines) is
    tolerated: ``" #[payload] "`` is the expression ``payload``.
    """
    stripped = text.strip()
    if stripped.startswith("#[") and stripped.endswith("]"):
        offset = text.find("#[") + 2
        return stripped[2:-1], offset
    if text.startswith("#["):
        return text[2:-1], 2
    return text, 0


class Expression:
    """A compiled expression: ``evaluate``, ``evaluate_boolean`` and ``assign``."""

    __slots__ = ("_fn", "_store", "_uses_locals", "evaluator", "source", "text")

    def __init__(
        self,
        text: str,
        source: str,
        fn: Callable[[Any, dict[str, Any]], Any],
        store: Callable[[Any, dict[str, Any], Any], None] | None,
        evaluator: str | None = None,
        uses_locals: bool = False,
    ) -> None:
        self.text = text
        self.source = source
        self.evaluator = evaluator
        self._fn = fn
        self._store = store
        self._uses_locals = uses_locals

    @property
    def is_legacy(self) -> bool:
        """True for ``#[name:argument]`` evaluator expressions."""
        return self.evaluator is not None

    @property
    def is_assignable(self) -> bool:
        """True when ``assign`` works (an enricher target such as ``#[flowVars.x]``)."""
        return self._store is not None

    def evaluate(self, ctx: EvaluationContext) -> Any:
        """The value of the expression against ``ctx`` (typed: str, int, dict, ...)."""
        try:
            return self._fn(ctx, {} if self._uses_locals else _NO_LOCALS)
        except ExpressionRuntimeError as exc:
            if not exc.expression:
                raise type(exc)(exc.message, self.source, exc.cause or exc.__cause__) from exc
            raise
        except MuleEmulatorError:
            raise
        except Exception as exc:  # a stand-in's method or a value misbehaving
            raise ExpressionRuntimeError(f"{type(exc).__name__}: {exc}", self.source, exc) from exc

    def evaluate_boolean(
        self, ctx: EvaluationContext, default: bool = False, non_boolean: bool | None = None
    ) -> bool:
        """EL-7: Boolean as is, "true"/"false" parsed; null (or a missing required legacy
        value) gives ``default``, other types give ``non_boolean`` (default: ``default``)."""
        try:
            value = self.evaluate(ctx)
        except RequiredValueError:
            return default
        return resolve_boolean(value, default, default if non_boolean is None else non_boolean)

    def assign(self, ctx: EvaluationContext, value: Any) -> None:
        """Write ``value`` where the expression points (enricher ``target``)."""
        if self._store is None:
            raise ExpressionRuntimeError("the expression is not assignable", self.source)
        try:
            self._store(ctx, {}, value)
        except ExpressionRuntimeError as exc:
            if not exc.expression:
                raise ExpressionRuntimeError(exc.message, self.source, exc) from exc
            raise

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"


def compile_expression(text: str, location: SourceLocation | None = None) -> Expression:
    """Compile ``text`` (with or without ``#[ ]``) into an ``Expression``."""
    inner, offset = strip_marker(text)
    legacy = split_legacy(inner)
    if legacy is not None:
        name, arg = legacy
        evaluate, put = LegacyCompiler(text, location).compile(name, arg)
        legacy_store: Callable[[Any, dict[str, Any], Any], None] | None = None
        if put is not None:
            store_value = put

            def legacy_store(c: Any, lv: dict[str, Any], v: Any) -> None:
                store_value(c, v)

        return Expression(text, inner, lambda c, lv: evaluate(c), legacy_store, evaluator=name)
    try:
        tree = parse(inner)
        compiler = Compiler(inner)
        fn = compiler.compile(tree)
        store: Callable[[Any, dict[str, Any], Any], None] | None
        try:
            store = Compiler(inner).assigner(tree)
        except ExpressionSyntaxError:
            store = None
    except ExpressionSyntaxError as exc:
        column = exc.column + offset if exc.column else 0
        raise ExpressionSyntaxError(exc.reason, text, column, location) from None
    except UnsupportedError as exc:
        raise UnsupportedError(exc.message, location) from None
    return Expression(text, inner, fn, store, uses_locals=compiler.uses_locals)


def with_column(location: SourceLocation | None, column: int) -> SourceLocation | None:
    """``location`` with ``column`` set (when a caller knows where the text starts)."""
    return None if location is None else replace(location, column=column)

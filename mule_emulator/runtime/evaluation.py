"""Where the runtime meets the expression language: attribute values, templates, expressions.

Processors compile their attributes once, at build time, into functions of the event:

- ``value(text)``: EL-2 attribute semantics (one whole ``#[...]`` → typed result; ``#[``
  inside other text → template string; otherwise the literal);
- ``template(text)``: EL-3 template parse (every ``#[...]`` replaced by its string form,
  null → ``"null"``);
- ``expression(text)``: EL-1 (an optional ``#[...]`` marker around one expression);
- ``boolean(text)``: EL-7, an expression read as a condition (filters, ``when``).

Compiling is ``mule_emulator.expressions``' work; the location of the attribute goes
with the text, so a bad expression stops the start with its file and line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mule_emulator.errors import ConfigError, SourceLocation
from mule_emulator.expressions import (
    EventContext,
    Expression,
    compile_attribute,
    compile_expression,
    compile_template,
)
from mule_emulator.runtime.message import MuleEvent

EventFn = Callable[[MuleEvent], Any]


def is_expression(text: str | None) -> bool:
    return text is not None and "#[" in text


class Evaluator:
    """Compiles attribute texts into functions of the event for one application."""

    def __init__(self, app_info: Mapping[str, Any] | None = None) -> None:
        self.app_info: dict[str, Any] = dict(app_info or {})

    def value(self, text: str, location: SourceLocation | None = None) -> EventFn:
        if not is_expression(text):
            return lambda _e: text
        compiled = _compiled(compile_attribute, text, location)
        return self._bind(compiled.resolve)

    def template(self, text: str, location: SourceLocation | None = None) -> EventFn:
        if not is_expression(text):
            return lambda _e: text
        compiled = _compiled(compile_template, text, location)
        return self._bind(compiled.render)

    def expression(self, text: str, location: SourceLocation | None = None) -> EventFn:
        compiled: Expression = _compiled(compile_expression, text, location)
        return self._bind(compiled.evaluate)

    def boolean(
        self,
        text: str,
        default: bool = False,
        location: SourceLocation | None = None,
        non_boolean: bool | None = None,
    ) -> Callable[[MuleEvent], bool]:
        """EL-7: Boolean as is, "true"/"false" parsed; null, or a missing required
        legacy value (``#[header:missing]``), gives ``default``; any other value gives
        ``non_boolean`` (``default`` when not given). An expression filter passes
        ``default=nullReturnsTrue, non_boolean=not nullReturnsTrue``."""
        compiled: Expression = _compiled(compile_expression, text, location)
        app_info = self.app_info

        def test(event: MuleEvent) -> bool:
            return compiled.evaluate_boolean(EventContext(event, app_info), default, non_boolean)

        return test

    def _bind(self, evaluate: Callable[[EventContext], Any]) -> EventFn:
        app_info = self.app_info

        def run(event: MuleEvent) -> Any:
            return evaluate(EventContext(event, app_info))

        return run


def _compiled(compiler: Callable[..., Any], text: str, location: SourceLocation | None) -> Any:
    """``compiler(text, location)``; an unexpected failure still names the place."""
    try:
        return compiler(text, location)
    except ConfigError:
        raise
    except Exception as exc:
        raise ConfigError(f"cannot compile expression {text!r}: {exc}", location) from exc


__all__ = ["Evaluator", "EventFn", "is_expression"]

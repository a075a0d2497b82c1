"""Where the runtime meets the expression language: attribute values, templates, expressions.

Processors compile their attributes once, at build time, into functions of the event:

- ``value(text)``: EL-2 attribute semantics (one whole ``#[...]`` → typed result; ``#[``
  inside other text → template string; otherwise the literal);
- ``template(text)``: EL-3 template parse (every ``#[...]`` replaced by its string form,
  null → ``"null"``);
- ``expression(text)``: EL-1 (an optional ``#[...]`` marker around one expression).

The work is done by ``mule_emulator.expressions`` when that package provides
``compile_expression``/``compile_template``/``compile_attribute`` and ``EventContext``;
until then a small fallback understands ``payload``, ``flowVars.x``/``flowVars['x']``,
``sessionVars``, ``message.inboundProperties['x']``/``outboundProperties``,
``message.id`` and string literals.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping
from typing import Any

from mule_emulator.errors import ConfigError, SourceLocation
from mule_emulator.runtime.message import NULL_PAYLOAD, MuleEvent

EventFn = Callable[[MuleEvent], Any]


def _expressions_api() -> Any | None:
    try:
        module = importlib.import_module("mule_emulator.expressions")
    except ImportError:  # pragma: no cover - the package always exists
        return None
    needed = ("compile_expression", "compile_template", "compile_attribute", "EventContext")
    return module if all(hasattr(module, n) for n in needed) else None


def is_expression(text: str | None) -> bool:
    return text is not None and "#[" in text


class Evaluator:
    """Compiles attribute texts into functions of the event for one application."""

    def __init__(self, app_info: Mapping[str, Any] | None = None) -> None:
        self.app_info: dict[str, Any] = dict(app_info or {})
        self._api = _expressions_api()

    # -- public -----------------------------------------------------------------

    def value(self, text: str, location: SourceLocation | None = None) -> EventFn:
        if not is_expression(text):
            return lambda _e: text
        if self._api is not None:
            return self._wrap(self._api.compile_attribute, text, location)
        stripped = text.strip()
        if stripped.startswith("#[") and stripped.endswith("]") and stripped.count("#[") == 1:
            return self.expression(stripped, location)
        return self.template(text, location)

    def template(self, text: str, location: SourceLocation | None = None) -> EventFn:
        if not is_expression(text):
            return lambda _e: text
        if self._api is not None:
            return self._wrap(self._api.compile_template, text, location)
        parts: list[str | EventFn] = []
        pos = 0
        for m in re.finditer(r"#\[(.*?)\]", text):
            parts.append(text[pos : m.start()])
            parts.append(self.expression(m.group(0), location))
            pos = m.end()
        parts.append(text[pos:])

        def render(event: MuleEvent) -> str:
            out: list[str] = []
            for part in parts:
                if isinstance(part, str):
                    out.append(part)
                else:
                    out.append(_as_text(part(event)))
            return "".join(out)

        return render

    def expression(self, text: str, location: SourceLocation | None = None) -> EventFn:
        if self._api is not None:
            return self._wrap(self._api.compile_expression, text, location)
        return _fallback_expression(text, location)

    def boolean(
        self, text: str, default: bool = False, location: SourceLocation | None = None
    ) -> Callable[[MuleEvent], bool]:
        """EL-7: an expression read as a boolean (strings true/false parsed)."""
        fn = self.expression(text, location)

        def test(event: MuleEvent) -> bool:
            return to_boolean(fn(event), default)

        return test

    # -- helpers ------------------------------------------------------------------

    def _wrap(self, compiler: Any, text: str, location: SourceLocation | None) -> EventFn:
        api = self._api
        assert api is not None
        try:
            compiled = compiler(text)
        except ConfigError:
            raise
        except Exception as exc:
            raise ConfigError(f"cannot compile expression {text!r}: {exc}", location) from exc
        app_info = self.app_info

        def run(event: MuleEvent) -> Any:
            context = api.EventContext(event, app_info)
            if hasattr(compiled, "evaluate"):
                return compiled.evaluate(context)
            return compiled(context)

        return run


def to_boolean(value: Any, default: bool = False) -> bool:
    """EL-7 boolean coercion."""
    if isinstance(value, bool):
        return value
    if value is None or value is NULL_PAYLOAD:
        return default
    if isinstance(value, str):
        low = value.strip().lower()
        if low in ("true", "false"):
            return low == "true"
    return default


def _as_text(value: Any) -> str:
    if value is None or value is NULL_PAYLOAD:
        return "null"
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ----------------------------------------------------------------------------- fallback

_INDEX = re.compile(r"""^\[\s*(?:'([^']*)'|"([^"]*)")\s*\]""")
_DOT = re.compile(r"^\.([A-Za-z_$][\w$]*)")


def _fallback_expression(text: str, location: SourceLocation | None) -> EventFn:
    body = text.strip()
    if body.startswith("#[") and body.endswith("]"):
        body = body[2:-1].strip()
    if (body.startswith("'") and body.endswith("'")) or (
        body.startswith('"') and body.endswith('"')
    ):
        literal = body[1:-1]
        return lambda _e: literal
    roots: dict[str, Callable[[MuleEvent], Any]] = {
        "payload": lambda e: None if e.message.payload is NULL_PAYLOAD else e.message.payload,
        "flowVars": lambda e: e.flow_vars,
        "sessionVars": lambda e: e.session.vars,
        "message.inboundProperties": lambda e: e.message.inbound,
        "message.outboundProperties": lambda e: e.message.outbound,
        "message.id": lambda e: e.message.id,
        "message.correlationId": lambda e: e.message.correlation_id,
        "message.payload": lambda e: e.message.payload,
        "flow.name": lambda e: e.flow_name,
    }
    for root, getter in sorted(roots.items(), key=lambda kv: -len(kv[0])):
        if body == root or body.startswith(root + ".") or body.startswith(root + "["):
            keys: list[str] = []
            rest = body[len(root) :].strip()
            while rest:
                m = _INDEX.match(rest) or _DOT.match(rest)
                if not m:
                    raise ConfigError(
                        f"expression {text!r} is beyond the interim evaluator", location
                    )
                keys.append(next(g for g in m.groups() if g is not None))
                rest = rest[m.end() :].strip()

            def run(event: MuleEvent, getter: EventFn = getter, keys: list[str] = keys) -> Any:
                value = getter(event)
                for key in keys:
                    value = value.get(key) if isinstance(value, Mapping) else None
                return value

            return run
    if body in ("true", "false"):
        flag = body == "true"
        return lambda _e: flag
    raise ConfigError(f"expression {text!r} is beyond the interim evaluator", location)


__all__ = ["Evaluator", "EventFn", "is_expression", "to_boolean"]

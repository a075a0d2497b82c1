"""Mule 2-style evaluators ``#[name:argument]`` (EL-6), compiled once like MEL.

``header`` reads the OUTBOUND scope unless the argument names one (``INBOUND:x``,
``SESSION:x``, ``INVOCATION:x``); a trailing ``?`` makes the value optional, otherwise a
missing value raises ``RequiredValueError``; ``*`` wildcards (and comma lists, for
``headers``) return maps/lists. ``exception-type``, ``payload-type``, ``regex`` and
``wildcard`` behave as the filters Mule turns them into (booleans). Evaluators of other
Mule modules (``groovy:``, ``xpath:``, ``bean:`` ...) are refused at compile time naming
their module; core evaluators that need a registry or endpoints are refused likewise.
"""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from mule_emulator.errors import SourceLocation, UnsupportedError
from mule_emulator.expressions.datetime_value import format_java
from mule_emulator.expressions.errors import (
    ExpressionRuntimeError,
    ExpressionSyntaxError,
    RequiredValueError,
)
from mule_emulator.expressions.functions import wildcard_match
from mule_emulator.expressions.java_types import (
    caused_by,
    is_instance,
    java_class_name,
    simple_name,
)
from mule_emulator.expressions.maps import put_property
from mule_emulator.expressions.members import java_regex

Evaluate = Callable[[Any], Any]
Store = Callable[[Any, Any], None]

CORE_EVALUATORS = frozenset(
    {"header", "headers", "headers-list", "attachment", "attachments", "attachments-list",
     "payload", "message", "variable", "string", "map-payload", "mule", "context",
     "function", "exception-type", "payload-type", "regex", "wildcard", "outboundHeaders",
     "outboundAttachments", "endpoint", "registry", "process"}
)  # fmt: skip
MODULE_EVALUATORS = {
    "groovy": "the scripting module (mule-module-scripting)",
    "xpath": "the XML module (mule-module-xml)",
    "xpath2": "the XML module (mule-module-xml)",
    "xpath3": "the XML module (mule-module-xml)",
    "xpath-node": "the XML module (mule-module-xml)",
    "jxpath": "the XML module (mule-module-xml)",
    "bean": "the XML module (mule-module-xml)",
    "json": "the JSON module (mule-module-json)",
    "json-node": "the JSON module (mule-module-json)",
    "ognl": "the OGNL module (mule-module-ognl)",
    "xquery": "the XQuery module (mule-module-xquery)",
}
_NOT_EMULATED = {
    "endpoint": "it reads endpoint objects from the registry",
    "registry": "it looks objects up in the Mule registry",
    "process": "it runs a registered message processor",
}
LEGACY_NAMES = CORE_EVALUATORS | frozenset(MODULE_EVALUATORS)
_SCOPES = ("outbound", "inbound", "invocation", "session")


def split_legacy(text: str) -> tuple[str, str] | None:
    """``(evaluator, argument)`` when ``text`` names a registered evaluator (EL-1)."""
    colon = text.find(":")
    if colon < 0:
        return None
    name = text[:colon]
    return (name, text[colon + 1 :]) if name in LEGACY_NAMES else None


def _scope_map(ctx: Any, scope: str) -> Mapping[str, Any]:
    if scope == "outbound":
        return ctx.message.outbound_properties  # type: ignore[no-any-return]
    if scope == "inbound":
        return ctx.message.inbound_properties  # type: ignore[no-any-return]
    if scope == "invocation":
        return ctx.flow_vars  # type: ignore[no-any-return]
    return ctx.session_vars  # type: ignore[no-any-return]


class LegacyCompiler:
    """Compiles one ``evaluator:argument`` pair."""

    def __init__(self, text: str, location: SourceLocation | None) -> None:
        self.text = text
        self.location = location

    def error(self, reason: str) -> ExpressionSyntaxError:
        return ExpressionSyntaxError(reason, self.text, 0, self.location)

    def compile(self, name: str, arg: str) -> tuple[Evaluate, Store | None]:
        if name in MODULE_EVALUATORS:
            raise UnsupportedError(
                f"expression evaluator '{name}:' ({self.text!r}) belongs to "
                f"{MODULE_EVALUATORS[name]}, which mule-emu does not emulate",
                self.location,
            )
        if name in _NOT_EMULATED:
            raise UnsupportedError(
                f"expression evaluator '{name}:' ({self.text!r}) is not emulated: "
                f"{_NOT_EMULATED[name]}",
                self.location,
            )
        method = getattr(self, "e_" + name.replace("-", "_"))
        result: tuple[Evaluate, Store | None] = method(arg)
        return result

    # property scopes ----------------------------------------------------------------
    def _scoped(self, arg: str, default: str) -> tuple[str, str]:
        head, sep, rest = arg.partition(":")
        if sep:
            scope = head.strip().lower()
            if scope not in _SCOPES:
                raise self.error(f"'{head}' is not a valid property scope")
            return scope, rest
        return default, arg

    def _property(self, arg: str, default_scope: str, evaluator: str) -> Evaluate:
        scope, name = self._scoped(arg, default_scope)
        required = not name.endswith("?")
        name = (name[:-1] if not required else name).strip()
        if "*" in name:
            return self._wildcard_properties(scope, name, as_list=False)

        def read(ctx: Any) -> Any:
            value = _scope_map(ctx, scope).get(name)
            if value is None and required:
                raise RequiredValueError(
                    f'Expression Evaluator "{evaluator}" with expression '
                    f'"{scope.upper()}:{name}" returned null but a value was required.'
                )
            return value

        return read

    def _wildcard_properties(self, scope: str, pattern: str, as_list: bool) -> Evaluate:
        def read(ctx: Any) -> Any:
            props = _scope_map(ctx, scope)
            found = {k: v for k, v in props.items() if _wildcard_accepts(pattern, k)}
            return list(found.values()) if as_list else found

        return read

    def _many_properties(self, arg: str, as_list: bool, evaluator: str) -> Evaluate:
        default_scope, rest = "outbound", arg
        head, sep, tail = arg.partition(":")
        if sep and head.strip().lower() in _SCOPES and "," not in head:
            default_scope, rest = head.strip().lower(), tail
        if "*" in rest:
            return self._wildcard_properties(default_scope, rest.strip(), as_list)
        readers: list[tuple[str, Evaluate]] = []
        for item in rest.split(","):
            item = item.strip()
            scope, _ = self._scoped(item, default_scope)
            name = item.partition(":")[2] if ":" in item else item
            key = name[:-1].strip() if name.endswith("?") else name.strip()
            readers.append((key, self._property(f"{scope}:{name}", scope, evaluator)))

        def read(ctx: Any) -> Any:
            values = {key: reader(ctx) for key, reader in readers}
            present = {k: v for k, v in values.items() if v is not None}
            return list(present.values()) if as_list else present

        return read

    def _property_store(self, arg: str, default_scope: str) -> Store | None:
        scope, name = self._scoped(arg, default_scope)
        name = name.rstrip("?").strip()
        if scope == "inbound" or "*" in name:
            return None

        def store(ctx: Any, value: Any) -> None:
            put_property(_scope_map(ctx, scope), name, value)

        return store

    def e_header(self, arg: str) -> tuple[Evaluate, Store | None]:
        return self._property(arg, "outbound", "header"), self._property_store(arg, "outbound")

    def e_variable(self, arg: str) -> tuple[Evaluate, Store | None]:
        scope_arg = f"invocation:{arg}"
        return (
            self._property(scope_arg, "invocation", "variable"),
            self._property_store(scope_arg, "invocation"),
        )

    def e_headers(self, arg: str) -> tuple[Evaluate, Store | None]:
        return self._many_properties(arg, as_list=False, evaluator="headers"), None

    def e_headers_list(self, arg: str) -> tuple[Evaluate, Store | None]:
        return self._many_properties(arg, as_list=True, evaluator="headers-list"), None

    def e_outboundHeaders(self, arg: str) -> tuple[Evaluate, Store | None]:
        return (lambda ctx: ctx.message.outbound_properties), None

    # attachments --------------------------------------------------------------------
    def e_attachment(self, arg: str) -> tuple[Evaluate, Store | None]:
        required = not arg.endswith("?")
        name = arg.rstrip("?").strip()

        def read(ctx: Any) -> Any:
            value = ctx.message.inbound_attachments.get(name)
            if value is None and required:
                raise RequiredValueError(
                    f'Expression Evaluator "attachment" with expression "{name}" returned null'
                )
            return value

        return read, None

    def _attachments(self, arg: str, as_list: bool) -> Evaluate:
        if "*" in arg:

            def matching(ctx: Any) -> Any:
                found = {
                    k: v
                    for k, v in ctx.message.inbound_attachments.items()
                    if _wildcard_accepts(arg.strip(), k)
                }
                return list(found.values()) if as_list else found

            return matching
        readers = [(item.strip().rstrip("?"), self.e_attachment(item.strip())[0])
                   for item in arg.split(",")]  # fmt: skip

        def read(ctx: Any) -> Any:
            values = {key: reader(ctx) for key, reader in readers}
            present = {k: v for k, v in values.items() if v is not None}
            return list(present.values()) if as_list else present

        return read

    def e_attachments(self, arg: str) -> tuple[Evaluate, Store | None]:
        return self._attachments(arg, as_list=False), None

    def e_attachments_list(self, arg: str) -> tuple[Evaluate, Store | None]:
        return self._attachments(arg, as_list=True), None

    def e_outboundAttachments(self, arg: str) -> tuple[Evaluate, Store | None]:
        return (lambda ctx: ctx.message.outbound_attachments), None

    # payload and message ------------------------------------------------------------
    def e_payload(self, arg: str) -> tuple[Evaluate, Store | None]:
        wanted = arg.strip()

        def store(ctx: Any, value: Any) -> None:
            ctx.payload = value

        if not wanted:
            return (lambda ctx: ctx.payload), store
        if wanted in ("java.lang.String", "String"):
            return (lambda ctx: ctx.message.payload_text()), store
        if wanted == "byte[]":
            return (lambda ctx: ctx.message.payload_text().encode(ctx.message.encoding)), store

        def convert(ctx: Any) -> Any:
            value = ctx.payload
            if value is None or is_instance(value, wanted):
                return value
            raise ExpressionRuntimeError(
                f"Failed to process extractor function payload:{wanted}: cannot convert "
                f"{java_class_name(value)} to {wanted}"
            )

        return convert, store

    def e_message(self, arg: str) -> tuple[Evaluate, Store | None]:
        fields: dict[str, Evaluate] = {
            "": lambda ctx: ctx.message,
            "id": lambda ctx: ctx.message.id,
            "correlationId": lambda ctx: ctx.message.correlation_id,
            "correlationSequence": lambda ctx: ctx.message.correlation_sequence,
            "correlationGroupSize": lambda ctx: ctx.message.correlation_group_size,
            "replyTo": lambda ctx: ctx.message.reply_to,
            "payload": lambda ctx: ctx.payload,
            "encoding": lambda ctx: ctx.message.encoding,
            "exception": lambda ctx: ctx.exception,
        }
        field = fields.get(arg)
        if field is None:
            raise self.error(f"message:{arg} is not a message field ({', '.join(fields)[2:]})")
        return field, None

    def e_map_payload(self, arg: str) -> tuple[Evaluate, Store | None]:
        keys = [(k.strip().rstrip("?"), not k.strip().endswith("?")) for k in arg.split(",")]
        single = "," not in arg

        def read(ctx: Any) -> Any:
            payload = ctx.payload
            if not isinstance(payload, Mapping):
                return None
            result: dict[str, Any] = {}
            for key, required in keys:
                value = payload.get(key)
                if value is None and required:
                    raise RequiredValueError(
                        f'Expression Evaluator "map-payload" with expression "{key}" returned null'
                    )
                if single:
                    return value
                if value is not None:
                    result[key] = value
            return result

        return read, None

    def e_string(self, arg: str) -> tuple[Evaluate, Store | None]:
        from mule_emulator.expressions.template import compile_template

        template = compile_template(arg, self.location)
        return template.render, None

    def e_mule(self, arg: str) -> tuple[Evaluate, Store | None]:
        """Deprecated ``mule:message.header(x)`` style: rewritten to ``header:x`` etc."""
        evaluator, _, rest = arg.partition(".")
        paren, dot = rest.find("("), rest.find(".")
        if 0 < dot < paren:
            evaluator, rest = rest[:dot], rest[dot + 1 :]
            paren = rest.find("(")
        if paren > 0:
            evaluator, rest = rest[:paren], rest[paren + 1 : -1]
        if evaluator not in CORE_EVALUATORS or evaluator == "mule":
            raise self.error(f"mule:{arg} does not name a known evaluator")
        return self.compile(evaluator, rest)

    def e_context(self, arg: str) -> tuple[Evaluate, Store | None]:
        fields: dict[str, Evaluate] = {
            "serviceName": lambda ctx: ctx.flow.name,
            "serverId": lambda ctx: ctx.app.name,
            "clusterId": lambda ctx: ctx.mule.cluster_id,
            "domainId": lambda ctx: "default",
            "workingDir": lambda ctx: ctx.app.work_dir,
            "homeDir": lambda ctx: ctx.mule.home,
        }
        field = fields.get(arg)
        if field is None:
            raise self.error(f"context:{arg} is not supported ({', '.join(fields)})")
        return field, None

    def e_function(self, arg: str) -> tuple[Evaluate, Store | None]:
        name = arg.strip()
        lowered = name.lower()
        counter = iter(range(1 << 62))
        functions: dict[str, Evaluate] = {
            "now": lambda ctx: datetime.now().astimezone(),
            "date": lambda ctx: datetime.now().astimezone(),
            "uuid": lambda ctx: str(uuid.uuid4()),
            "systime": lambda ctx: int(time.time() * 1000),
            "hostname": lambda ctx: socket.gethostname(),
            "ip": lambda ctx: ctx.server.mel_property("ip"),
            "count": lambda ctx: next(counter),
            "payloadclass": lambda ctx: java_class_name(ctx.payload),
            "shortpayloadclass": lambda ctx: simple_name(java_class_name(ctx.payload)),
        }
        if lowered.startswith("datestamp"):
            pattern = name[len("datestamp") + 1 :] or "dd-MM-yy_HH-mm-ss.SSS"
            return (lambda ctx: format_java(datetime.now().astimezone(), pattern)), None
        function = functions.get(lowered)
        if function is None:
            raise self.error(f"function:{name} is not a known function ({', '.join(functions)})")
        return function, None

    # the filter-like evaluators -----------------------------------------------------
    def e_exception_type(self, arg: str) -> tuple[Evaluate, Store | None]:
        wanted = arg.strip()
        if not wanted:
            return (lambda ctx: ctx.exception is not None), None
        return (lambda ctx: caused_by(ctx.exception, wanted) if ctx.exception else False), None

    def e_payload_type(self, arg: str) -> tuple[Evaluate, Store | None]:
        wanted = arg.strip()
        return (lambda ctx: is_instance(ctx.payload, wanted)), None

    def e_regex(self, arg: str) -> tuple[Evaluate, Store | None]:
        try:
            pattern = java_regex(arg)
        except ExpressionRuntimeError as exc:
            raise self.error(exc.message) from exc

        def read(ctx: Any) -> bool:
            payload = ctx.payload
            return payload is not None and pattern.search(ctx.message.payload_text()) is not None

        return read, None

    def e_wildcard(self, arg: str) -> tuple[Evaluate, Store | None]:
        patterns = [p.strip() for p in arg.split(",")]

        def read(ctx: Any) -> bool:
            if ctx.payload is None:
                return False
            text = ctx.message.payload_text()
            return any(_wildcard_accepts(p, text) for p in patterns)

        return read, None


def _wildcard_accepts(pattern: str, text: str) -> bool:
    """Mule's ``WildcardFilter``: ``*`` alone, ``*x*``, ``*x``, ``x*`` or equality."""
    if pattern == "*":
        return True
    if pattern.startswith("*") and pattern.endswith("*") and len(pattern) > 1:
        return pattern[1:-1] in text
    if pattern.startswith("*"):
        return text.endswith(pattern[1:])
    if pattern.endswith("*"):
        return text.startswith(pattern[:-1])
    return text == pattern


__all__ = ["LEGACY_NAMES", "LegacyCompiler", "split_legacy", "wildcard_match"]

"""Message transformers beyond the core set: message-properties-transformer (P-6),
expression-transformer, the string/byte/serialisation family (P-8) with the Base64, gzip
and hex codecs, attachments, combine-collections-transformer and expression-component
(P-22).

Every transformer shares Mule's common attributes: ``encoding`` and ``mimeType`` are set
on the message after the transformation, ``ignoreBadInput="true"`` lets a payload of a
type the transformer does not accept pass unchanged (otherwise that is a
``TransformerError``), and ``returnClass`` is checked against the result.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mule_emulator.errors import ConfigError, MessagingError
from mule_emulator.expressions.values import java_str
from mule_emulator.model.config import CORE_NS, SPRING_BEANS_NS, ElementConfig
from mule_emulator.runtime.builder import BuildContext, element
from mule_emulator.runtime.message import NULL_PAYLOAD, MuleEvent, ProcessResult, is_null
from mule_emulator.runtime.processors.base import Processor, attr_bool
from mule_emulator.runtime.processors.conversions import (
    base64_decode,
    base64_encode,
    byte_array_to_object,
    deserialize,
    object_to_byte_array,
    object_to_string,
    read_stream,
    serialize,
)
from mule_emulator.runtime.processors.core import EventFn, Transformer, scope_map, wildcard_keys
from mule_emulator.runtime.processors.filters import payload_type_accepts, wildcard_matches


class TransformerError(MessagingError):
    """Mule's TransformerException: the payload cannot be transformed."""


@dataclass(frozen=True)
class TransformerOptions:
    """The attributes every Mule transformer element takes."""

    name: str = ""
    mime_type: str | None = None
    encoding: str | None = None
    return_class: str | None = None
    ignore_bad_input: bool = False

    @classmethod
    def of(cls, cfg: ElementConfig) -> TransformerOptions:
        return cls(
            name=cfg.attr("name") or "",
            mime_type=cfg.attr("mimeType"),
            encoding=cfg.attr("encoding"),
            return_class=cfg.attr("returnClass"),
            ignore_bad_input=attr_bool(cfg.attr("ignoreBadInput")),
        )


# ----------------------------------------------------------------------------- payload conversions


def _encoding(event: MuleEvent, options: TransformerOptions) -> str:
    return options.encoding or event.message.encoding or "utf-8"


_BYTES_OR_STREAM = ("byte[]", "java.io.InputStream")


@dataclass(frozen=True)
class Conversion:
    """One payload conversion of the string/byte family."""

    kind: str
    convert: Callable[[Any, str], Any]
    sources: tuple[str, ...] | None = None


def _accepts(sources: tuple[str, ...] | None, payload: Any) -> bool:
    if sources is None:
        return True
    for name in sources:
        if name == "java.io.InputStream":
            if hasattr(payload, "read"):
                return True
        elif payload_type_accepts(name, payload):
            return True
    return False


CONVERSIONS: dict[str, Conversion] = {
    c.kind: c
    for c in (
        Conversion("byte-array-to-string-transformer", object_to_string),
        Conversion("object-to-string-transformer", object_to_string),
        Conversion("string-to-byte-array-transformer", object_to_byte_array),
        Conversion("object-to-byte-array-transformer", object_to_byte_array),
        Conversion(
            "byte-array-to-object-transformer",
            byte_array_to_object,
            (*_BYTES_OR_STREAM, "java.lang.String"),
        ),
        Conversion(
            "byte-array-to-serializable-transformer",
            lambda p, _e: deserialize(p),
            _BYTES_OR_STREAM,
        ),
        Conversion("serializable-to-byte-array-transformer", lambda p, _e: serialize(p)),
        Conversion("base64-encoder-transformer", lambda p, e: base64_encode(p, e)),
        Conversion(
            "base64-decoder-transformer",
            lambda p, e: base64_decode(p, e),
            (*_BYTES_OR_STREAM, "java.lang.String"),
        ),
        Conversion(
            "gzip-compress-transformer", lambda p, e: gzip.compress(object_to_byte_array(p, e))
        ),
        Conversion(
            "gzip-uncompress-transformer",
            lambda p, _e: gzip.decompress(bytes(read_stream(p))),
            _BYTES_OR_STREAM,
        ),
        Conversion(
            "byte-array-to-hex-string-transformer",
            lambda p, _e: bytes(read_stream(p)).hex(),
            _BYTES_OR_STREAM,
        ),
        Conversion(
            "hex-string-to-byte-array-transformer",
            lambda p, _e: bytes.fromhex(str(p)),
            ("java.lang.String",),
        ),
    )
}


class OptionsTransformer(Transformer):
    """A transformer that applies the common attributes around ``transform``."""

    sources: tuple[str, ...] | None = None

    def __init__(self, options: TransformerOptions) -> None:
        self.options = options

    def transform(self, event: MuleEvent) -> Any:
        raise NotImplementedError

    def process(self, event: MuleEvent) -> ProcessResult:
        payload = event.message.payload
        if not _accepts(self.sources, payload):
            if self.options.ignore_bad_input:
                return event
            raise TransformerError(
                f'Transformer "{self.options.name or self.kind}" does not support the source '
                f"type {type(payload).__name__}",
                event=event,
            )
        try:
            result = self.transform(event)
        except TransformerError:
            raise
        except (TypeError, ValueError, UnicodeError, OSError, EOFError) as exc:
            raise TransformerError(
                f'Transformer "{self.options.name or self.kind}" failed: {exc}', event=event
            ) from exc
        return self.finish(event, result)

    def finish(self, event: MuleEvent, result: Any) -> MuleEvent:
        expected = self.options.return_class
        if expected and not is_null(result) and not payload_type_accepts(expected, result):
            raise TransformerError(
                f'The object transformed is of type "{type(result).__name__}" but the expected '
                f'return type is "{expected}"',
                event=event,
            )
        event.message.payload = NULL_PAYLOAD if result is None else result
        if self.options.mime_type:
            event.message.mime_type = self.options.mime_type
        if self.options.encoding:
            event.message.encoding = self.options.encoding
        return event


class ConversionTransformer(OptionsTransformer):
    """One of the string/byte/serialisation transformers (P-8)."""

    def __init__(self, conversion: Conversion, options: TransformerOptions) -> None:
        super().__init__(options)
        self.conversion = conversion
        self.kind = conversion.kind  # type: ignore[misc]
        self.sources = conversion.sources

    def transform(self, event: MuleEvent) -> Any:
        return self.conversion.convert(event.message.payload, _encoding(event, self.options))


class ExpressionTransformer(OptionsTransformer):
    """``<expression-transformer expression>`` or with ``<return-argument>`` children:
    the value becomes the payload; several arguments give a list. A null result is an
    error unless the argument is optional or ``returnSourceIfNull`` is set."""

    kind = "expression-transformer"

    def __init__(
        self,
        arguments: Sequence[tuple[EventFn, bool, str]],
        return_source_if_null: bool,
        options: TransformerOptions,
    ) -> None:
        super().__init__(options)
        self.arguments = tuple(arguments)
        self.return_source_if_null = return_source_if_null

    def transform(self, event: MuleEvent) -> Any:
        values: list[Any] = []
        for fn, optional, text in self.arguments:
            value = fn(event)
            if is_null(value):
                if self.return_source_if_null:
                    return event.message.payload
                if not optional:
                    raise TransformerError(
                        f'Expression "{text}" evaluated to null and is not optional', event=event
                    )
                value = None
            values.append(value)
        return values[0] if len(values) == 1 else values


class CombineCollections(OptionsTransformer):
    """``<combine-collections-transformer>``: a collection of collections flattened."""

    kind = "combine-collections-transformer"

    def transform(self, event: MuleEvent) -> Any:
        payload = event.message.payload
        if not isinstance(payload, list | tuple):
            return payload
        out: list[Any] = []
        for item in payload:
            if isinstance(item, list | tuple | set):
                out.extend(item)
            else:
                out.append(item)
        return out


# ----------------------------------------------------------------------------- properties


@dataclass(frozen=True)
class PropertyChange:
    """One child of message-properties-transformer."""

    action: str  # delete | add | rename
    key: str
    value: EventFn | None = None


class MessagePropertiesTransformer(OptionsTransformer):
    """``<message-properties-transformer scope overwrite>`` (P-6): deletes (regular
    expression, else wildcard), then adds (an expression value is evaluated, a null result
    skipped; ``overwrite=false`` keeps existing keys), then renames."""

    kind = "message-properties-transformer"

    def __init__(
        self,
        scope: str,
        overwrite: bool,
        changes: Sequence[PropertyChange],
        options: TransformerOptions,
    ) -> None:
        super().__init__(options)
        self.scope = scope
        self.overwrite = overwrite
        self.deletes = [c for c in changes if c.action == "delete"]
        self.adds = [c for c in changes if c.action == "add"]
        self.renames = [c for c in changes if c.action == "rename"]

    def transform(self, event: MuleEvent) -> Any:
        target = scope_map(event, self.scope)
        for change in self.deletes:
            for key in list(target):
                if _full_match(change.key, key) or wildcard_matches(change.key, key):
                    target.pop(key, None)
        for change in self.adds:
            assert change.value is not None
            value = change.value(event)
            if is_null(value):
                continue
            if change.key in target and not self.overwrite:
                continue
            target[change.key] = value
        for change in self.renames:
            assert change.value is not None
            new_key = change.value(event)
            if is_null(new_key) or change.key not in target:
                continue
            value = target.pop(change.key)
            target[java_str(new_key)] = value
        return event.message.payload


def _full_match(pattern: str, key: str) -> bool:
    from mule_emulator.expressions.members import java_regex

    try:
        return java_regex(pattern).fullmatch(key) is not None
    except Exception:  # not a valid regular expression: the wildcard fallback decides
        return False


# ----------------------------------------------------------------------------- attachments


class SetAttachment(Transformer):
    """``<set-attachment attachmentName value contentType>``: an outbound attachment."""

    kind = "set-attachment"

    def __init__(self, name: EventFn, value: EventFn, content_type: EventFn) -> None:
        self.name = name
        self.value = value
        self.content_type = content_type

    def process(self, event: MuleEvent) -> ProcessResult:
        name = java_str(self.name(event))
        value = self.value(event)
        if is_null(value):
            event.message.outbound_attachments.pop(name, None)
        else:
            event.message.outbound_attachments[name] = (value, java_str(self.content_type(event)))
        return event


class RemoveAttachment(Transformer):
    """``<remove-attachment attachmentName>`` (``*`` wildcards, as remove-property)."""

    kind = "remove-attachment"

    def __init__(self, name: EventFn) -> None:
        self.name = name

    def process(self, event: MuleEvent) -> ProcessResult:
        attachments = event.message.outbound_attachments
        for key in wildcard_keys(list(attachments), java_str(self.name(event)), False):
            attachments.pop(key, None)
        return event


class CopyAttachments(Transformer):
    """``<copy-attachments attachmentName>``: inbound attachments to outbound."""

    kind = "copy-attachments"

    def __init__(self, name: EventFn) -> None:
        self.name = name

    def process(self, event: MuleEvent) -> ProcessResult:
        inbound = event.message.inbound_attachments
        for key in wildcard_keys(list(inbound), java_str(self.name(event)), False):
            event.message.outbound_attachments[key] = inbound[key]
        return event


# ----------------------------------------------------------------------------- expression-component


class ExpressionComponent(Processor):
    """``<expression-component>`` (P-22): runs the script for its side effects and
    returns the event."""

    kind = "expression-component"
    may_return_void = False

    def __init__(self, script: EventFn) -> None:
        self.script = script

    def process(self, event: MuleEvent) -> ProcessResult:
        self.script(event)
        return event


# ----------------------------------------------------------------------------- builders

_SCOPE_NAMES = {"outbound": "outbound", "invocation": "invocation", "session": "session"}


@element(CORE_NS, *CONVERSIONS)
def _conversion(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    return ConversionTransformer(CONVERSIONS[cfg.name], TransformerOptions.of(cfg))


@element(CORE_NS, "combine-collections-transformer")
def _combine(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    return CombineCollections(TransformerOptions.of(cfg))


def _legacy_text(evaluator: str | None, expression: str, custom: str | None = None) -> str:
    """The expression text for an ``evaluator``/``expression`` attribute pair (EL-6)."""
    body = expression.strip()
    if body.startswith("#[") and body.endswith("]"):
        body = body[2:-1]
    if not evaluator or evaluator == "mel":
        return f"#[{body}]"
    if evaluator == "custom":
        raise ConfigError(f"custom evaluator {custom or ''} is not supported")
    return f"#[{evaluator}:{body}]"


@element(CORE_NS, "expression-transformer")
def _expression_transformer(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    arguments: list[tuple[EventFn, bool, str]] = []
    expression = cfg.attr("expression")
    if expression is not None:
        text = _legacy_text(cfg.attr("evaluator"), expression)
        arguments.append((ctx.evaluator.expression(text, cfg.location), False, expression))
    for arg in cfg.children_named("return-argument"):
        text = _legacy_text(arg.attr("evaluator"), arg.attr("expression") or "")
        fn = ctx.evaluator.expression(text, arg.location)
        arguments.append((fn, attr_bool(arg.attr("optional")), arg.attr("expression") or ""))
    if not arguments:
        raise ConfigError(
            "<expression-transformer> needs 'expression' or <return-argument> children",
            cfg.location,
        )
    return ExpressionTransformer(
        arguments, attr_bool(cfg.attr("returnSourceIfNull")), TransformerOptions.of(cfg)
    )


@element(CORE_NS, "message-properties-transformer")
def _message_properties(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    scope_name = (cfg.attr("scope") or "outbound").lower()
    scope = _SCOPE_NAMES.get(scope_name)
    if scope is None:
        raise ConfigError(
            f"message-properties-transformer scope '{scope_name}' is not one of "
            "outbound, invocation, session",
            cfg.location,
        )
    changes: list[PropertyChange] = []
    for child in cfg.children:
        if not isinstance(child, ElementConfig):
            continue
        key = child.attr("key") or ""
        if child.name == "delete-message-property":
            changes.append(PropertyChange("delete", key))
        elif child.name == "add-message-property":
            value = child.attr("value", "") or ""
            changes.append(PropertyChange("add", key, _add_value(ctx, value, child)))
        elif child.name == "rename-message-property":
            value = child.attr("value", "") or ""
            changes.append(PropertyChange("rename", key, _add_value(ctx, value, child)))
        elif child.name == "add-message-properties":
            for entry_key, entry_value in _spring_map(child):
                changes.append(
                    PropertyChange("add", entry_key, _add_value(ctx, entry_value, child))
                )
    overwrite = cfg.attr("overwrite") is None or attr_bool(cfg.attr("overwrite"))
    return MessagePropertiesTransformer(scope, overwrite, changes, TransformerOptions.of(cfg))


def _add_value(ctx: BuildContext, text: str, cfg: ElementConfig) -> EventFn:
    """P-6: a value containing ``#[`` is evaluated (not template-parsed)."""
    if "#[" in text:
        return ctx.evaluator.expression(text.strip(), cfg.location)
    return lambda _e: text


def _spring_map(cfg: ElementConfig) -> list[tuple[str, str]]:
    """``<spring:entry key value>`` pairs under an element (directly or in a spring:map)."""
    out: list[tuple[str, str]] = []
    for child in cfg.children:
        if not isinstance(child, ElementConfig) or child.namespace != SPRING_BEANS_NS:
            continue
        if child.name == "entry":
            out.append((child.attr("key") or "", child.attr("value", child.text) or ""))
        elif child.name == "map":
            out.extend(_spring_map(child))
    return out


@element(CORE_NS, "set-attachment")
def _set_attachment(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    return SetAttachment(
        ctx.value(cfg, "attachmentName"), ctx.value(cfg, "value"), ctx.value(cfg, "contentType")
    )


@element(CORE_NS, "remove-attachment")
def _remove_attachment(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    return RemoveAttachment(ctx.value(cfg, "attachmentName"))


@element(CORE_NS, "copy-attachments")
def _copy_attachments(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    return CopyAttachments(ctx.value(cfg, "attachmentName"))


@element(CORE_NS, "expression-component")
def _expression_component(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    if cfg.attr("file"):
        raise ConfigError(
            "<expression-component file=...> is not supported; put the script in the element",
            cfg.location,
        )
    script = (cfg.text or "").strip()
    if not script:
        raise ConfigError("<expression-component> has no script", cfg.location)
    return ExpressionComponent(ctx.evaluator.expression(script, cfg.location))


#: Children that are parts of these elements, not processors (for the support check).
PARTS: set[tuple[str, str]] = {
    (CORE_NS, "delete-message-property"),
    (CORE_NS, "add-message-property"),
    (CORE_NS, "rename-message-property"),
    (CORE_NS, "add-message-properties"),
    (CORE_NS, "return-argument"),
}


__all__ = [
    "CONVERSIONS",
    "CombineCollections",
    "ConversionTransformer",
    "CopyAttachments",
    "ExpressionComponent",
    "ExpressionTransformer",
    "MessagePropertiesTransformer",
    "OptionsTransformer",
    "PropertyChange",
    "RemoveAttachment",
    "SetAttachment",
    "TransformerError",
    "TransformerOptions",
]

"""Built-in emulations of Mule's own Java classes, registered in the class map.

Configs name Mule classes directly (``<custom-transformer class=
"org.mule.transformer.simple.StringAppendTransformer">``, ``<custom-filter
class="org.mule.routing.filters.RegExFilter">``, ``<component
class="org.mule.component.simple.EchoComponent"/>``). Each factory here receives the
element's Spring properties and returns what the class map hands out: a per-message
callable (called with a ``StandInMessage``; its return value becomes the payload, or for
a filter its truth decides acceptance) or, for classes that are not per-message (a
transaction factory, a session handler), a marker object the runtime recognises.

A user stand-in for the same name wins over a built-in (see ``ClassMap``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from mule_emulator.expressions.values import java_str
from mule_emulator.runtime.classes import register_builtin
from mule_emulator.runtime.evaluation import Evaluator
from mule_emulator.runtime.processors.conversions import (
    byte_array_to_object,
    deserialize,
    object_to_byte_array,
    object_to_string,
    serialize,
)
from mule_emulator.runtime.processors.filters import (
    payload_type_accepts,
    regex_finds,
    wildcard_matches,
)
from mule_emulator.runtime.processors.standin import StandInMessage

MessageFn = Callable[[StandInMessage], Any]

_SIMPLE = "org.mule.component.simple."
_TRANSFORMER = "org.mule.transformer.simple."
_FILTER = "org.mule.routing.filters."


def _text(message: StandInMessage) -> str:
    """The payload as text, as StringAppendTransformer reads it (String, byte[], stream)."""
    return object_to_string(message.payload, message.message.encoding or "utf-8")


def _flag(props: Mapping[str, Any], name: str, default: bool) -> bool:
    value = props.get(name)
    if value is None:
        return default
    return str(value).strip().lower() == "true"


class JavaObject:
    """A Mule object that is not per-message (transaction factory, session handler):
    the runtime recognises it by ``java_class``; properties are kept as attributes."""

    def __init__(self, java_class: str, properties: Mapping[str, Any]) -> None:
        self.java_class = java_class
        self.properties = dict(properties)

    def __repr__(self) -> str:
        return f"<{self.java_class} (built-in)>"


class NullComponentError(Exception):
    """NullComponent refuses every message."""


# ----------------------------------------------------------------------------- components


def echo_component(props: Mapping[str, Any]) -> MessageFn:
    log = logging.getLogger("mule.org.mule.component.simple.EchoComponent")

    def echo(message: StandInMessage) -> Any:
        log.info("%s", _text(message)[:100])
        return message

    return echo


def log_component(props: Mapping[str, Any]) -> MessageFn:
    log = logging.getLogger("mule.org.mule.component.simple.LogComponent")

    def log_it(message: StandInMessage) -> Any:
        log.info("Message received in %s: %s", message.flow_name, _text(message))
        return message

    return log_it


def pass_through(props: Mapping[str, Any]) -> MessageFn:
    return lambda message: message


def null_component(props: Mapping[str, Any]) -> MessageFn:
    def refuse(message: StandInMessage) -> Any:
        raise NullComponentError(
            f"This service cannot receive messages. Service is: {message.flow_name}"
        )

    return refuse


def static_component(props: Mapping[str, Any]) -> MessageFn:
    """StaticComponent: returns ``prefix + data + postfix`` whatever came in."""
    if props.get("dataFile"):
        raise NotImplementedError("StaticComponent dataFile is not supported; use 'data'")
    text = f"{props.get('prefix') or ''}{props.get('data') or ''}{props.get('postfix') or ''}"
    return lambda _message: text


# ----------------------------------------------------------------------------- transformers


def string_append(props: Mapping[str, Any]) -> MessageFn:
    suffix = str(props.get("message") or "")
    return lambda message: _text(message) + suffix


def string_to_object_array(props: Mapping[str, Any]) -> MessageFn:
    """StringToObjectArray: the text split on the delimiter (default one space), each
    part trimmed, empty parts dropped."""
    delimiter = str(props.get("delimiter") or " ")

    def split(message: StandInMessage) -> Any:
        return [part.strip() for part in _text(message).split(delimiter) if part.strip()]

    return split


def object_array_to_string(props: Mapping[str, Any]) -> MessageFn:
    delimiter = str(props.get("delimiter") or " ")

    def join(message: StandInMessage) -> Any:
        payload = message.payload
        if isinstance(payload, list | tuple):
            return delimiter.join(java_str(p) for p in payload)
        return _text(message)

    return join


def _conversion(fn: Callable[[Any, str], Any]) -> Callable[[Mapping[str, Any]], MessageFn]:
    def factory(props: Mapping[str, Any]) -> MessageFn:
        encoding = props.get("encoding")

        def convert(message: StandInMessage) -> Any:
            return fn(message.payload, str(encoding or message.message.encoding or "utf-8"))

        return convert

    return factory


def set_payload(props: Mapping[str, Any]) -> MessageFn:
    value = props.get("value")
    if value is not None and "#[" in str(value):
        fn = Evaluator().value(str(value))
        return lambda message: fn(message.event)
    return lambda _message: value


def expression_transformer(props: Mapping[str, Any]) -> MessageFn:
    expression = str(props.get("expression") or "")
    fn = Evaluator().expression(expression)
    return lambda message: fn(message.event)


def message_properties(props: Mapping[str, Any]) -> MessageFn:
    """MessagePropertiesTransformer as a bean: ``deleteProperties`` (comma separated),
    ``getProperty``, ``scopeName`` and ``overwrite``; map properties need the element."""
    scope = str(props.get("scopeName") or "outbound").lower()
    deletes = [d.strip() for d in str(props.get("deleteProperties") or "").split(",") if d.strip()]
    get_property = props.get("getProperty")

    def transform(message: StandInMessage) -> Any:
        target = {
            "outbound": message.outbound,
            "invocation": message.invocation,
            "session": message.session,
            "inbound": message.inbound,
        }.get(scope, message.outbound)
        for pattern in deletes:
            for key in list(target):
                if wildcard_matches(pattern, key):
                    target.pop(key, None)
        if get_property:
            return target.get(str(get_property))
        return message

    return transform


# ----------------------------------------------------------------------------- filters


def regex_filter(props: Mapping[str, Any]) -> MessageFn:
    pattern = str(props.get("pattern") or "")
    return lambda message: regex_finds(pattern, _text(message))


def wildcard_filter(props: Mapping[str, Any]) -> MessageFn:
    pattern = str(props.get("pattern") or "")
    case = _flag(props, "caseSensitive", True)
    return lambda message: wildcard_matches(pattern, _text(message), case)


def payload_type_filter(props: Mapping[str, Any]) -> MessageFn:
    expected = str(props.get("expectedType") or "java.lang.Object")
    return lambda message: payload_type_accepts(expected, message.message.payload)


def equals_filter(props: Mapping[str, Any]) -> MessageFn:
    pattern = props.get("pattern")
    return lambda message: (
        message.payload == pattern or (pattern is not None and _text(message) == str(pattern))
    )


def expression_filter(props: Mapping[str, Any]) -> MessageFn:
    null_true = _flag(props, "nullReturnsTrue", False)
    test = Evaluator().boolean(
        str(props.get("expression") or ""), null_true, non_boolean=not null_true
    )
    return lambda message: test(message.event)


def message_property_filter(props: Mapping[str, Any]) -> MessageFn:
    pattern = str(props.get("pattern") or "")
    scope = str(props.get("scope") or "outbound").lower()
    case = _flag(props, "caseSensitive", True)
    negate = "!=" in pattern
    key, _, expected = pattern.partition("!=" if negate else "=")
    key, expected = key.strip(), expected.strip()

    def accept(message: StandInMessage) -> bool:
        source = message.inbound if scope == "inbound" else message.outbound
        if scope == "invocation":
            source = message.invocation
        elif scope == "session":
            source = message.session
        value = source.get(key)
        found = value is not None and wildcard_matches(expected, java_str(value), case)
        return not found if negate else found

    return accept


def accept_all(props: Mapping[str, Any]) -> MessageFn:
    return lambda _message: True


def _marker(java_class: str) -> Callable[[Mapping[str, Any]], Any]:
    return lambda props: JavaObject(java_class, props)


BUILTINS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    # components
    _SIMPLE + "EchoComponent": echo_component,
    _SIMPLE + "LogComponent": log_component,
    _SIMPLE + "NullComponent": null_component,
    _SIMPLE + "PassThroughComponent": pass_through,
    _SIMPLE + "StaticComponent": static_component,
    "org.mule.component.simple.BridgeComponent": pass_through,
    # transformers
    _TRANSFORMER + "StringAppendTransformer": string_append,
    _TRANSFORMER + "StringToObjectArray": string_to_object_array,
    _TRANSFORMER + "ObjectArrayToString": object_array_to_string,
    _TRANSFORMER + "ObjectToString": _conversion(object_to_string),
    _TRANSFORMER + "ByteArrayToObject": _conversion(byte_array_to_object),
    _TRANSFORMER + "ObjectToByteArray": _conversion(object_to_byte_array),
    _TRANSFORMER + "ByteArrayToSerializable": _conversion(lambda p, _e: deserialize(p)),
    _TRANSFORMER + "SerializableToByteArray": _conversion(lambda p, _e: serialize(p)),
    _TRANSFORMER + "SetPayloadTransformer": set_payload,
    _TRANSFORMER + "MessagePropertiesTransformer": message_properties,
    "org.mule.expression.transformers.ExpressionTransformer": expression_transformer,
    "org.mule.transformer.NoActionTransformer": pass_through,
    # filters
    _FILTER + "RegExFilter": regex_filter,
    _FILTER + "WildcardFilter": wildcard_filter,
    _FILTER + "PayloadTypeFilter": payload_type_filter,
    _FILTER + "EqualsFilter": equals_filter,
    _FILTER + "ExpressionFilter": expression_filter,
    _FILTER + "MessagePropertyFilter": message_property_filter,
    _FILTER + "AcceptAllFilter": accept_all,
    # not per-message: recognised by the runtime
    "org.mule.transport.vm.VMTransactionFactory": _marker(
        "org.mule.transport.vm.VMTransactionFactory"
    ),
    "org.mule.session.SerializeAndEncodeSessionHandler": _marker(
        "org.mule.session.SerializeAndEncodeSessionHandler"
    ),
    "org.mule.session.LegacySessionHandler": _marker("org.mule.session.LegacySessionHandler"),
    "org.mule.session.NullSessionHandler": _marker("org.mule.session.NullSessionHandler"),
    # object stores (until-successful objectStore-ref, Spring beans): in memory here
    **{
        name: _marker(name)
        for name in (
            "org.mule.util.store.SimpleMemoryObjectStore",
            "org.mule.util.store.InMemoryObjectStore",
            "org.mule.util.store.PartitionedInMemoryObjectStore",
            "org.mule.util.store.ObjectStorePartition",
        )
    },
}


def register_all() -> None:
    """Register every built-in in the class map (idempotent)."""
    for name, factory in BUILTINS.items():
        register_builtin(name, factory)


register_all()


__all__ = ["BUILTINS", "JavaObject", "NullComponentError", "register_all"]

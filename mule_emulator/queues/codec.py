"""The codec of persistent queues: queued items to bytes and back.

Mule 3.9 writes a persistent queue's items with its ``ObjectSerializer`` (Java
serialisation): the consumer gets a copy, never the producer's object, and an item that
cannot be serialised fails the dispatch. We keep those rules with a format that stays
readable without running anyone's code:

- the record is ``b"M1"`` followed by UTF-8 JSON;
- JSON scalars (str, int, float, bool, None) stand for themselves; every other value is
  a one-key object naming its kind (``{"l": [...]}`` a list, ``{"b": "..."}`` bytes in
  base64, ``{"M": {...}}`` a MuleMessage, ...), so lists, tuples, dicts with any keys,
  bytes, NullPayload, case-insensitive scopes and sessions round-trip exactly;
- anything else (a stand-in's object) is pickled, as Java would serialise it, tagged
  with its type name. ``decode(..., allow_pickle=False)`` (what ``mule-emu queues``
  uses) never unpickles: such values come back as ``OpaqueValue``.

A ``MuleMessage`` keeps payload, ids, both property scopes (with the case of their
keys), attachments, exception payload, MIME type and encoding; a ``MuleEvent`` (a
persistent SEDA service queue) keeps its message, flow variables, session, flags and
the name of its flow (the flow object itself is not data; ``flow`` comes back as that
name, which is what ``MuleEvent.flow_name`` reports).
"""

from __future__ import annotations

import base64
import json
import math
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mule_emulator.errors import SerializationError
from mule_emulator.runtime.message import (
    NULL_PAYLOAD,
    CaseInsensitiveDict,
    ExceptionPayload,
    MuleEvent,
    MuleMessage,
    MuleSession,
)

MAGIC = b"M1"


@dataclass(frozen=True)
class OpaqueValue:
    """A pickled value shown without unpickling it (inspection only)."""

    type_name: str
    size: int

    def __repr__(self) -> str:
        return f"<{self.type_name}: {self.size} pickled bytes>"

    __str__ = __repr__


class RestoredException(Exception):
    """An exception payload whose exception could not be pickled: its type name and text."""

    def __init__(self, type_name: str, text: str) -> None:
        super().__init__(text)
        self.type_name = type_name
        self.message = text

    def __repr__(self) -> str:
        return f"{self.type_name}({self.message!r})"


class CorruptRecordError(ValueError):
    """A record that is not in this codec's format (or not readable any more)."""


# ----------------------------------------------------------------------------- encode


def _type_name(value: Any) -> str:
    t = type(value)
    return f"{t.__module__}.{t.__qualname__}"


def _pickled(value: Any) -> dict[str, Any]:
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:
        raise SerializationError(
            f"Cannot serialize a value of type {_type_name(value)} for a persistent queue: {exc}"
        ) from exc
    return {"p": [_type_name(value), base64.b64encode(data).decode("ascii")]}


def _pairs(mapping: Any) -> list[list[Any]]:
    # Iterating keys and indexing (not ``.items()``): a property scope is a Mapping
    # whose ItemsView iterates in Python, the hottest part of encoding a message.
    enc = _enc
    return [[enc(k), enc(mapping[k])] for k in mapping]


def _enc(value: Any) -> Any:
    t = type(value)
    if t is str or t is int or t is bool or value is None:
        return value
    if t is float:
        return value if math.isfinite(value) else {"f": repr(value)}
    encoder = _ENCODERS.get(t)
    if encoder is not None:
        return encoder(value)
    if value is NULL_PAYLOAD:
        return {"N": 0}
    return _pickled(value)


def _enc_exception(payload: ExceptionPayload) -> dict[str, Any]:
    exc = payload.exception
    try:
        blob: str | None = base64.b64encode(
            pickle.dumps(exc, protocol=pickle.HIGHEST_PROTOCOL)
        ).decode("ascii")
    except Exception:
        blob = None  # e.g. an error carrying a live event: keep its type and text
    return {"x": [_type_name(exc), str(exc), payload.message, blob]}


_EXTRA_SKIP = frozenset(
    {
        "payload",
        "id",
        "root_id",
        "inbound",
        "outbound",
        "inbound_attachments",
        "outbound_attachments",
        "exception_payload",
        "mime_type",
        "encoding",
    }
)


def _attachments(found: dict[str, Any] | None) -> list[list[Any]]:
    return [[k, _enc(c), t] for k, (c, t) in found.items()] if found else []


def _enc_message(m: MuleMessage) -> dict[str, Any]:
    # The attachment maps are read through their slots: the properties would create
    # an empty map on a message that has none (most messages).
    doc: dict[str, Any] = {
        "payload": _enc(m.payload),
        "id": m.id,
        "root": m.root_id,
        "in": _pairs(m.inbound) if m.inbound else [],
        "out": _pairs(m.outbound) if m.outbound else [],
        "ia": _attachments(getattr(m, "_inbound_attachments", None)),
        "oa": _attachments(getattr(m, "_outbound_attachments", None)),
        "mime": m.mime_type,
        "enc": m.encoding,
    }
    if m.exception_payload is not None:
        doc["ex"] = _enc_exception(m.exception_payload)
    extras = vars(m)
    if extras:
        extra = {k: _enc(v) for k, v in extras.items() if k not in _EXTRA_SKIP}
        if extra:
            doc["extra"] = extra
    return {"M": doc}


def _enc_event(e: MuleEvent) -> dict[str, Any]:
    return {
        "E": {
            "message": _enc_message(e.message),
            "vars": [[k, _enc(v)] for k, v in e.flow_vars.items()],
            "session": [[k, _enc(v)] for k, v in e.session.vars.items()],
            "flow": e.flow_name,
            "mep": e.exchange_pattern,
            "sync": e.synchronous,
            "tx": bool(e._transacted),
            "replyto": _enc(e.replyto),
            "endpoint": e.endpoint,
        }
    }


_ENCODERS: dict[type, Callable[[Any], Any]] = {
    list: lambda v: {"l": [_enc(x) for x in v]},
    tuple: lambda v: {"t": [_enc(x) for x in v]},
    dict: lambda v: {"d": _pairs(v)},
    bytes: lambda v: {"b": base64.b64encode(v).decode("ascii")},
    CaseInsensitiveDict: lambda v: {"C": _pairs(v)},
    MuleSession: lambda v: {"S": [[k, _enc(x)] for k, x in v.vars.items()]},
    MuleMessage: _enc_message,
    MuleEvent: _enc_event,
}


# One encoder for every record: ``json.dumps`` with options builds a new one per call.
# No circular check: ``_enc`` has already walked the value (a cycle fails there).
_to_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


# The common record written directly: a message whose payload and property values are
# JSON scalars, without attachments, exception payload or extra attributes. Same text
# as the general path (``json``'s own string escaping and number forms), without
# building the document first; anything else takes the general path.
_quote = json.encoder.encode_basestring


def _scalar_json(value: Any) -> str | None:
    t = type(value)
    if t is str:
        return _quote(value)  # type: ignore[no-any-return]
    if t is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if t is bool:
        return "true" if value else "false"
    if t is float and math.isfinite(value):
        return float.__repr__(value)
    if value is NULL_PAYLOAD:
        return '{"N":0}'
    return None


def _scope_json(scope: Any) -> str | None:
    if not scope:
        return "[]"
    parts = []
    for key in scope:
        value = _scalar_json(scope[key])
        if value is None or type(key) is not str:
            return None
        parts.append(f"[{_quote(key)},{value}]")
    return "[" + ",".join(parts) + "]"


def _message_json(m: MuleMessage) -> str | None:
    if (
        m.exception_payload is not None
        or getattr(m, "_inbound_attachments", None)
        or getattr(m, "_outbound_attachments", None)
        or vars(m)
    ):
        return None
    fields = (
        _scalar_json(m.payload),
        _scalar_json(m.id),
        _scalar_json(m.root_id),
        _scope_json(m.inbound),
        _scope_json(m.outbound),
        _scalar_json(m.mime_type),
        _scalar_json(m.encoding),
    )
    if None in fields:
        return None
    return _MESSAGE_JSON % fields


_MESSAGE_JSON = (
    '{"M":{"payload":%s,"id":%s,"root":%s,"in":%s,"out":%s,"ia":[],"oa":[],"mime":%s,"enc":%s}}'
)


def encode(item: Any) -> bytes:
    """The record for ``item``; ``SerializationError`` when part of it cannot be written."""
    if type(item) is MuleMessage:
        text = _message_json(item)
        if text is not None:
            return MAGIC + text.encode("utf-8", errors="surrogatepass")
    try:
        text = _to_json(_enc(item))
    except SerializationError:
        raise
    except (TypeError, ValueError, RecursionError) as exc:
        raise SerializationError(f"Cannot serialize {_type_name(item)}: {exc}") from exc
    return MAGIC + text.encode("utf-8", errors="surrogatepass")


# ----------------------------------------------------------------------------- decode


_PLAIN = frozenset({str, int, float, bool, type(None)})


class _Decoder:
    def __init__(self, allow_pickle: bool) -> None:
        self.allow_pickle = allow_pickle

    def value(self, doc: Any) -> Any:
        if not isinstance(doc, dict):
            if isinstance(doc, list):
                raise CorruptRecordError("untagged list")
            return doc
        if len(doc) != 1:
            raise CorruptRecordError("a tagged value must have exactly one key")
        ((tag, body),) = doc.items()
        handler = _DECODERS.get(tag)
        if handler is None:
            raise CorruptRecordError(f"unknown tag {tag!r}")
        return handler(self, body)

    def pairs(self, body: Any) -> list[tuple[Any, Any]]:
        return [(self.value(k), self.value(v)) for k, v in body]

    def pickled(self, body: Any) -> Any:
        type_name, text = body
        data = base64.b64decode(text)
        if not self.allow_pickle:
            return OpaqueValue(str(type_name), len(data))
        return pickle.loads(data)

    def exception(self, body: Any) -> ExceptionPayload:
        type_name, text, message, blob = body
        exc: BaseException | None = None
        if blob is not None and self.allow_pickle:
            try:
                loaded = pickle.loads(base64.b64decode(blob))
            except Exception:
                loaded = None
            if isinstance(loaded, BaseException):
                exc = loaded
        if exc is None:
            exc = RestoredException(str(type_name), str(text))
        return ExceptionPayload(exc, str(message))

    def message(self, body: Any) -> MuleMessage:
        value = self.value
        m = MuleMessage(
            value(body["payload"]),
            id=body["id"],
            root_id=body["root"],
            mime_type=body["mime"],
            encoding=body["enc"],
        )
        # Plain strings and numbers (almost every key and value) stand for themselves:
        # no call to ``value`` for them.
        for scope, pairs in ((m.inbound, body["in"]), (m.outbound, body["out"])):
            for key, item in pairs:
                scope[key if type(key) is str else value(key)] = (
                    item if type(item) in _PLAIN else value(item)
                )
        # Empty attachment maps stay unset (the message creates them on first use).
        if body["ia"]:
            m.inbound_attachments = {k: (value(c), t) for k, c, t in body["ia"]}
        if body["oa"]:
            m.outbound_attachments = {k: (value(c), t) for k, c, t in body["oa"]}
        if "ex" in body:
            m.exception_payload = self.exception(body["ex"]["x"])
        extra = body.get("extra")
        if extra:
            for key, item in extra.items():
                setattr(m, key, value(item))
        return m

    def event(self, body: Any) -> MuleEvent:
        return MuleEvent.of(
            self.message(body["message"]["M"]),
            flow=body["flow"] or None,
            session=MuleSession.of({k: self.value(v) for k, v in body["session"]}),
            flow_vars={k: self.value(v) for k, v in body["vars"]},
            exchange_pattern=body["mep"],
            synchronous=body["sync"],
            transacted=body["tx"],
            replyto=self.value(body["replyto"]),
            endpoint=body["endpoint"],
        )


_DECODERS: dict[str, Callable[[_Decoder, Any], Any]] = {
    "l": lambda d, b: [d.value(x) for x in b],
    "t": lambda d, b: tuple(d.value(x) for x in b),
    "d": lambda d, b: dict(d.pairs(b)),
    "b": lambda d, b: base64.b64decode(b),
    "f": lambda d, b: float(b),
    "N": lambda d, b: NULL_PAYLOAD,
    "C": lambda d, b: CaseInsensitiveDict.of(dict(d.pairs(b))),
    "S": lambda d, b: MuleSession.of({k: d.value(v) for k, v in b}),
    "M": _Decoder.message,
    "E": _Decoder.event,
    "p": _Decoder.pickled,
}


def decode(data: bytes, *, allow_pickle: bool = True) -> Any:
    """The item a record holds. ``CorruptRecordError`` when it is not a valid record;
    whatever unpickling raises (a class that no longer exists) passes through."""
    if not data.startswith(MAGIC):
        raise CorruptRecordError("not a mule-emu queue record")
    try:
        doc = json.loads(data[len(MAGIC) :].decode("utf-8", errors="surrogatepass"))
        return _Decoder(allow_pickle).value(doc)
    except CorruptRecordError:
        raise
    except (ValueError, KeyError, TypeError, IndexError, UnicodeDecodeError) as exc:
        raise CorruptRecordError(f"unreadable record: {exc}") from exc


__all__ = [
    "MAGIC",
    "CorruptRecordError",
    "OpaqueValue",
    "RestoredException",
    "decode",
    "encode",
]

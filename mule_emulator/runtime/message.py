"""The message model: MuleMessage, MuleSession, MuleEvent and their copy rules.

This is the shared vocabulary of the runtime (M-1..M-6 of flows-and-threads.md):

- a ``MuleMessage`` holds the payload, ids, the inbound and outbound property scopes
  (case-insensitive keys, M-2), attachments and an exception payload;
- a ``MuleSession`` holds session variables; it travels across VM hops by
  serialisation, so only picklable values survive a hop (M-6);
- a ``MuleEvent`` is one unit of work: message + flow variables (invocation scope) +
  session + flags (synchronous, transacted, exchange pattern).

Copies follow Mule: ``MuleMessage.copy()`` keeps the id, ``MuleMessage.create()`` makes
a new one; ``to_inbound()`` turns what a sender wrote (outbound) into what the receiver
reads (inbound), which is what a VM hop does (VM-3).
"""

from __future__ import annotations

import copy as _copy
import pickle
import uuid
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

# ----------------------------------------------------------------------------- payloads


class NullPayload:
    """Mule's NullPayload: "no payload". Falsy; MEL reads it as null."""

    _instance: NullPayload | None = None

    def __new__(cls) -> NullPayload:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "{NullPayload}"

    __str__ = __repr__

    def __reduce__(self) -> str:
        # Unpickles as the module-level singleton, so identity checks survive hops.
        return "NULL_PAYLOAD"

    def __copy__(self) -> NullPayload:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> NullPayload:
        return self


NULL_PAYLOAD = NullPayload()


def is_null(value: Any) -> bool:
    """True for None and NullPayload (both mean "nothing" to Mule)."""
    return value is None or value is NULL_PAYLOAD


def new_id() -> str:
    """A fresh message id (a UUID, as Mule's ``UUID.getUUID()``)."""
    return str(uuid.uuid4())


# ----------------------------------------------------------------------------- scopes


class CaseInsensitiveDict(MutableMapping[str, Any]):
    """A property scope: keys compare case-insensitively and keep the case last written (M-2)."""

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        self._data: dict[str, tuple[str, Any]] = {}
        if values:
            for key, value in values.items():
                self[key] = value

    def __getitem__(self, key: str) -> Any:
        return self._data[key.lower()][1]

    def __setitem__(self, key: str, value: Any) -> None:
        self._data[key.lower()] = (key, value)

    def __delitem__(self, key: str) -> None:
        del self._data[key.lower()]

    def __iter__(self) -> Iterator[str]:
        return (original for original, _ in self._data.values())

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._data

    def copy(self) -> CaseInsensitiveDict:
        return CaseInsensitiveDict(dict(self.items()))

    def __repr__(self) -> str:
        return f"CaseInsensitiveDict({dict(self.items())!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return {k.lower(): v for k, v in self.items()} == {
                str(k).lower(): v for k, v in other.items()
            }
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


Attachment = tuple[Any, str]  # (content, content type)


@dataclass(frozen=True)
class ExceptionPayload:
    """What went wrong while processing a message (Mule's ExceptionPayload)."""

    exception: BaseException
    message: str

    @classmethod
    def of(cls, exception: BaseException) -> ExceptionPayload:
        """The payload for ``exception``; its message is that of the deepest cause, as
        Mule's ExceptionPayload reports the root Mule exception (E-6)."""
        root = exception
        seen = {id(root)}
        while True:
            nxt = getattr(root, "cause", None) or root.__cause__
            if not isinstance(nxt, BaseException) or id(nxt) in seen:
                break
            seen.add(id(nxt))
            root = nxt
        text = getattr(root, "message", None) or str(root) or type(root).__name__
        return cls(exception, str(text))


@dataclass(frozen=True)
class DataType:
    """The payload's data type: Python type name, MIME type and encoding."""

    type_name: str
    mime_type: str
    encoding: str | None


DEFAULT_MIME_TYPE = "*/*"

# Outbound property names Mule reserves for correlation (M-5).
CORRELATION_ID = "MULE_CORRELATION_ID"
CORRELATION_SEQUENCE = "MULE_CORRELATION_SEQUENCE"
CORRELATION_GROUP_SIZE = "MULE_CORRELATION_GROUP_SIZE"
REPLY_TO = "MULE_REPLYTO"
ROOT_MESSAGE_ID = "MULE_ROOT_MESSAGE_ID"


# ----------------------------------------------------------------------------- message


class MuleMessage:
    """A Mule message: payload, ids, property scopes, attachments, exception payload."""

    def __init__(
        self,
        payload: Any = NULL_PAYLOAD,
        *,
        inbound: Mapping[str, Any] | None = None,
        outbound: Mapping[str, Any] | None = None,
        id: str | None = None,
        root_id: str | None = None,
        mime_type: str | None = None,
        encoding: str | None = None,
    ) -> None:
        self.payload: Any = NULL_PAYLOAD if payload is None else payload
        self.id: str = id or new_id()
        self.root_id: str = root_id or self.id
        self.inbound = CaseInsensitiveDict(inbound)
        self.outbound = CaseInsensitiveDict(outbound)
        self.inbound_attachments: dict[str, Attachment] = {}
        self.outbound_attachments: dict[str, Attachment] = {}
        self.exception_payload: ExceptionPayload | None = None
        self.mime_type: str = mime_type or DEFAULT_MIME_TYPE
        self.encoding: str | None = encoding

    @classmethod
    def create(cls, payload: Any, outbound: Mapping[str, Any] | None = None) -> MuleMessage:
        """A new message (new id) with ``outbound`` as its outbound properties (MC-1)."""
        return cls(payload, outbound=outbound)

    # -- correlation (M-5) ------------------------------------------------------

    def _scoped(self, name: str) -> Any:
        if name in self.outbound:
            return self.outbound[name]
        return self.inbound.get(name)

    @property
    def correlation_id(self) -> str | None:
        value = self._scoped(CORRELATION_ID)
        return None if value is None else str(value)

    @correlation_id.setter
    def correlation_id(self, value: str | None) -> None:
        if value is None:
            self.outbound.pop(CORRELATION_ID, None)
        else:
            self.outbound[CORRELATION_ID] = value

    @property
    def correlation_sequence(self) -> int:
        value = self._scoped(CORRELATION_SEQUENCE)
        return -1 if value is None else int(value)

    @correlation_sequence.setter
    def correlation_sequence(self, value: int) -> None:
        self.outbound[CORRELATION_SEQUENCE] = value

    @property
    def correlation_group_size(self) -> int:
        value = self._scoped(CORRELATION_GROUP_SIZE)
        return -1 if value is None else int(value)

    @correlation_group_size.setter
    def correlation_group_size(self, value: int) -> None:
        self.outbound[CORRELATION_GROUP_SIZE] = value

    @property
    def reply_to(self) -> Any:
        return self._scoped(REPLY_TO)

    @reply_to.setter
    def reply_to(self, value: Any) -> None:
        if value is None:
            self.outbound.pop(REPLY_TO, None)
        else:
            self.outbound[REPLY_TO] = value

    # -- data type ---------------------------------------------------------------

    @property
    def data_type(self) -> DataType:
        return DataType(type(self.payload).__name__, self.mime_type, self.encoding)

    def payload_as_text(self) -> str:
        """The payload as a string (bytes decoded with the message encoding, UTF-8 default)."""
        payload = self.payload
        if isinstance(payload, bytes | bytearray):
            return bytes(payload).decode(self.encoding or "utf-8", errors="replace")
        if isinstance(payload, str):
            return payload
        return str(payload)

    @property
    def session(self) -> MuleSession | None:
        """The session that came with this message (inbound ``MULE_SESSION``), if any."""
        carried = self.inbound.get("MULE_SESSION")
        return carried if isinstance(carried, MuleSession) else None

    def get_property(self, name: str, default: Any = None) -> Any:
        """Mule's ``getProperty(name)`` without scope: reads OUTBOUND (M-2)."""
        return self.outbound.get(name, default)

    # -- copies -----------------------------------------------------------------

    def copy(self) -> MuleMessage:
        """Same id, same payload object, copied scopes and attachments (a copy constructor)."""
        other = MuleMessage.__new__(MuleMessage)
        other.payload = self.payload
        other.id = self.id
        other.root_id = self.root_id
        other.inbound = self.inbound.copy()
        other.outbound = self.outbound.copy()
        other.inbound_attachments = dict(self.inbound_attachments)
        other.outbound_attachments = dict(self.outbound_attachments)
        other.exception_payload = self.exception_payload
        other.mime_type = self.mime_type
        other.encoding = self.encoding
        return other

    def to_inbound(self) -> MuleMessage:
        """What the receiver of this message sees (VM-3, R7): same id and payload,
        inbound ← this outbound, outbound cleared, attachments likewise."""
        other = self.copy()
        other.inbound = self.outbound.copy()
        other.outbound = CaseInsensitiveDict()
        other.inbound_attachments = dict(self.outbound_attachments)
        other.outbound_attachments = {}
        return other

    def __repr__(self) -> str:
        return f"MuleMessage(id={self.id!r}, payload={self.payload!r})"


# ----------------------------------------------------------------------------- session


def _serializable(value: Any) -> bool:
    try:
        pickle.dumps(value)
    except Exception:
        return False
    return True


class MuleSession:
    """Session variables (``sessionVars``): case-sensitive, carried across hops (M-6)."""

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        self.vars: dict[str, Any] = dict(values or {})

    def copy(self) -> MuleSession:
        """A shallow copy (SEDA hand-off, async scope)."""
        return MuleSession(self.vars)

    def serialized_copy(self) -> MuleSession:
        """The session as a receiver rebuilds it from ``MULE_SESSION``: non-serializable
        values are dropped, the rest are deep copies (Java serialisation semantics)."""
        kept: dict[str, Any] = {}
        for key, value in self.vars.items():
            if _serializable(value):
                kept[key] = pickle.loads(pickle.dumps(value))
        return MuleSession(kept)

    def merge(self, other: MuleSession | None) -> None:
        """Take a callee's session after a reply (M-6): drop our serializable values,
        keep our non-serializable ones, then add the callee's."""
        if other is None or other is self:
            return
        self.vars = {k: v for k, v in self.vars.items() if not _serializable(v)}
        self.vars.update(other.vars)

    def __repr__(self) -> str:
        return f"MuleSession({self.vars!r})"


# ----------------------------------------------------------------------------- event

# The transactions module registers a probe "is a transaction bound to this thread?"
# so that ``MuleEvent.transacted`` follows F-6 without message.py importing it.
_transaction_probe: Callable[[], bool] | None = None


def set_transaction_probe(probe: Callable[[], bool] | None) -> None:
    """Register the function that says whether the current thread has a transaction."""
    global _transaction_probe
    _transaction_probe = probe


class MuleEvent:
    """One unit of work: message, flow variables, session and flags (F-6)."""

    def __init__(
        self,
        message: MuleMessage,
        *,
        flow: Any = None,
        session: MuleSession | None = None,
        flow_vars: Mapping[str, Any] | None = None,
        exchange_pattern: str = "one-way",
        synchronous: bool | None = None,
        transacted: bool = False,
        replyto: Any = None,
        endpoint: str | None = None,
    ) -> None:
        self.message = message
        self.flow = flow
        self.session = session if session is not None else MuleSession()
        self.flow_vars: dict[str, Any] = dict(flow_vars or {})
        self.exchange_pattern = exchange_pattern
        self._transacted = transacted
        if synchronous is None:
            synchronous = exchange_pattern == "request-response" or transacted
        self.synchronous: bool = synchronous
        self.replyto = replyto
        self.endpoint = endpoint

    @property
    def flow_name(self) -> str:
        """The owning construct's name ("" when none)."""
        if self.flow is None:
            return ""
        return str(getattr(self.flow, "name", self.flow))

    @property
    def transacted(self) -> bool:
        if self._transacted:
            return True
        probe = _transaction_probe
        return bool(probe and probe())

    @transacted.setter
    def transacted(self, value: bool) -> None:
        self._transacted = value

    @property
    def request_response(self) -> bool:
        return self.exchange_pattern == "request-response"

    @property
    def id(self) -> str:
        return self.message.id

    def copy(self) -> MuleEvent:
        """Copied message (same id), copied flow vars, copied session: the SEDA hand-off."""
        return self._clone(self.message.copy(), dict(self.flow_vars), self.session.copy())

    def with_message(self, message: MuleMessage) -> MuleEvent:
        """The same flow vars and session objects around another message."""
        return self._clone(message, self.flow_vars, self.session, share_vars=True)

    def _clone(
        self,
        message: MuleMessage,
        flow_vars: dict[str, Any],
        session: MuleSession,
        share_vars: bool = False,
    ) -> MuleEvent:
        other = MuleEvent.__new__(MuleEvent)
        other.message = message
        other.flow = self.flow
        other.session = session
        other.flow_vars = flow_vars if share_vars else dict(flow_vars)
        other.exchange_pattern = self.exchange_pattern
        other._transacted = self._transacted
        other.synchronous = self.synchronous
        other.replyto = self.replyto
        other.endpoint = self.endpoint
        return other

    def __repr__(self) -> str:
        return (
            f"MuleEvent(flow={self.flow_name!r}, {self.exchange_pattern},"
            f" sync={self.synchronous}, message={self.message!r})"
        )


class VoidMuleEvent:
    """The marker "nothing to return" (one-way endpoints, async scope). Not ``None``:
    ``None`` means "processing stopped" (P-1)."""

    _instance: VoidMuleEvent | None = None

    def __new__(cls) -> VoidMuleEvent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "VoidMuleEvent"


VOID_EVENT = VoidMuleEvent()

# What a processor returns: an event, VOID_EVENT, or None (stop).
ProcessResult = MuleEvent | VoidMuleEvent | None


def deep_copy_payload(payload: Any) -> Any:
    """A deep copy of a payload where possible (used where Mule serialises)."""
    try:
        return _copy.deepcopy(payload)
    except Exception:
        return payload


__all__ = [
    "CORRELATION_GROUP_SIZE",
    "CORRELATION_ID",
    "CORRELATION_SEQUENCE",
    "NULL_PAYLOAD",
    "REPLY_TO",
    "ROOT_MESSAGE_ID",
    "VOID_EVENT",
    "Attachment",
    "CaseInsensitiveDict",
    "DataType",
    "ExceptionPayload",
    "MuleEvent",
    "MuleMessage",
    "MuleSession",
    "NullPayload",
    "ProcessResult",
    "VoidMuleEvent",
    "deep_copy_payload",
    "is_null",
    "new_id",
    "set_transaction_probe",
]

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
import itertools
import os
import pickle
import sys
import time
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


# Message ids have the layout of Mule's (``org.mule.util.UUID`` is eaio's time-based
# UUID, version 1): a 60-bit count of 100 ns ticks since 1582-10-15, then a clock
# sequence and node fixed for the process. Ours start the count at the process's start
# and add one per id (``itertools.count``: atomic under the GIL, no lock), so ids are
# unique and ordered within a process; the clock sequence and node are random per
# process, so two processes (an app and its restart over a persistent queue) differ.
_GREGORIAN_OFFSET = 0x01B21DD213814000
_ticks = itertools.count(time.time_ns() // 100 + _GREGORIAN_OFFSET)
_NODE = int.from_bytes(os.urandom(8), "big")
# clock sequence: variant bits 10 over 14 random bits; node: 48 random bits with the
# multicast bit set (RFC 4122 4.5: a node that is not a MAC address)
_ID_TAIL = f"-{0x8000 | (_NODE >> 48) & 0x3FFF:04x}-{(_NODE & 0xFFFFFFFFFFFF) | 1 << 40:012x}"
# The text after the time's low 32 bits, with the high bits it was made for (one
# tuple, replaced whole): the high bits change once per 2**32 ids.
_id_high: tuple[int, str] = (-1, "")


def new_id() -> str:
    """A fresh message id: the text of a version-1 UUID, as Mule's ``UUID.getUUID()``."""
    global _id_high
    tick = next(_ticks)
    high, rest = _id_high
    if (tick >> 32) != high:
        high = tick >> 32
        rest = f"-{high & 0xFFFF:04x}-1{(high >> 16) & 0xFFF:03x}{_ID_TAIL}"
        _id_high = (high, rest)
    return "%08x%s" % (tick & 0xFFFFFFFF, rest)  # noqa: UP031 (40 ns less than an f-string)


# ----------------------------------------------------------------------------- scopes


# Folded (lower-case) property names, interned (bounded cache).
_FOLDED: dict[str, str] = {}
_FOLDED_MAX = 4096
# The one dict every empty scope reads until its first write (never written to).
_EMPTY: dict[str, Any] = {}
_new_object = object.__new__

# Every spelling any scope has stored, by folded name: the one spelling seen, or
# _SEVERAL. A scope registers a name before it stores it, so a lookup that misses its
# exact spelling can tell "no scope ever stored another spelling of it" (the usual
# case: MULE_SESSION, MULE_FORCE_SYNC ...) without scanning the scope's keys. Bounded:
# once full, lookups scan as they did without it (``_SPELLINGS_COMPLETE``).
_SPELLINGS: dict[str, str] = {}
_SPELLINGS_MAX = 4096
_SEVERAL = "\x00several spellings"
_SPELLINGS_COMPLETE = True
# The names whose one spelling ever stored is themselves (``_SPELLINGS[fold(k)] == k``):
# the usual case, answered with one set lookup.
_SOLE: set[str] = set()


def _fold(key: str) -> str:
    try:
        return _FOLDED[key]
    except KeyError:
        folded = sys.intern(key.lower())
        if len(_FOLDED) < _FOLDED_MAX:
            _FOLDED[key] = folded
        return folded


def _register(key: str) -> None:
    """Note that a scope is about to store ``key`` (see ``_SPELLINGS``)."""
    global _SPELLINGS_COMPLETE
    folded = _fold(key)
    seen = _SPELLINGS.get(folded)
    if seen is None:
        if len(_SPELLINGS) < _SPELLINGS_MAX:
            _SPELLINGS[folded] = key
            _SOLE.add(key)
        else:
            _SPELLINGS_COMPLETE = False
    elif seen != key and seen is not _SEVERAL:
        _SPELLINGS[folded] = _SEVERAL
        _SOLE.discard(seen)


#: ``_SOLE`` for the transport's hot paths (read only): a name in it was only ever
#: stored under that spelling, so a scope that lacks it under that spelling lacks it.
SOLE_SPELLINGS: set[str] = _SOLE


class CaseInsensitiveDict(MutableMapping[str, Any]):
    """A property scope: keys compare case-insensitively and keep the case last written (M-2).

    Stored as a plain dict under the case last written: a lookup with that spelling is
    one dict access; any other spelling scans the (few) keys, unless no scope ever
    stored another spelling of the name (``_SPELLINGS``). No per-entry tuple and no
    folded copy of each name: a message waiting on a queue stays small.

    Copies are copy-on-write: ``copy()`` shares the dict and marks both scopes shared;
    the first write to either takes its own dict first, so a change made through one
    scope is never seen through the other (the M-3 copies at transport barriers). Most
    copies taken on the message path (the P-1 copy before a processor, the copies
    around a hop) are never written, so they cost no dict copy at all. An empty scope
    shares one empty dict until its first write.
    """

    # No __init__: a scope is made by ``of()`` or ``empty()``. The message path, which
    # makes about eight scopes per request-response round trip, calls the class and
    # sets both fields itself: a class without __init__ is allocated without a frame
    # and without the argument tuple ``object.__new__(cls)`` takes (about 26 ns less
    # per scope). Calling the class alone gives a scope that is not ready for use.
    __slots__ = ("_data", "_shared")
    _data: dict[str, Any]
    # True while ``_data`` may be read through another scope: write to a copy first.
    _shared: bool

    @classmethod
    def of(cls, values: Mapping[str, Any] | None = None) -> CaseInsensitiveDict:
        """A scope holding ``values`` (names kept as spelled), or an empty one."""
        scope = cls()
        scope._data = _EMPTY
        scope._shared = True
        if values:
            for key, value in values.items():
                scope[key] = value
        return scope

    @classmethod
    def empty(cls) -> CaseInsensitiveDict:
        """An empty scope: it shares one empty dict until its first write."""
        scope = cls()
        scope._data = _EMPTY
        scope._shared = True
        return scope

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt through __setitem__, so the names are registered (_SPELLINGS).
        return (_scope_of, (dict(self._data),))

    def _own(self) -> dict[str, Any]:
        """The dict to write to: this scope's own (copied first while shared)."""
        if self._shared:
            self._data = dict(self._data)
            self._shared = False
        return self._data

    def _spelling(self, key: str) -> str | None:
        """The stored spelling of ``key``, or None when absent."""
        data = self._data
        if key in data:
            return key
        if not data or key in _SOLE:  # no scope ever stored another spelling of it
            return None
        folded = _FOLDED.get(key)
        if folded is not None and _SPELLINGS_COMPLETE:
            seen = _SPELLINGS.get(folded)
            if seen is None or seen == key:  # no scope ever stored another spelling
                return None
        else:
            folded = _fold(key)
        for stored in data:
            if _fold(stored) == folded:
                return stored
        return None

    def __getitem__(self, key: str) -> Any:
        try:
            return self._data[key]
        except KeyError:
            stored = self._spelling(key)
            if stored is None:
                raise
            return self._data[stored]

    def __setitem__(self, key: str, value: Any) -> None:
        data = self._data
        if key not in data and key not in _SOLE:
            seen = _SPELLINGS.get(_FOLDED.get(key) or _fold(key))
            if seen != key:  # not (yet) known as the one spelling of its name
                _register(key)
                stored = (
                    self._spelling(key)
                    if data and (seen is not None or not _SPELLINGS_COMPLETE)
                    else None
                )
                if stored is not None:  # another spelling: take the new case, keep the position
                    self._data = {
                        (key if k == stored else k): (value if k == stored else v)
                        for k, v in data.items()
                    }
                    self._shared = False
                    return
        if self._shared:
            data = self._data = dict(data)
            self._shared = False
        data[key] = value

    def __delitem__(self, key: str) -> None:
        stored = self._spelling(key)
        if stored is None:
            raise KeyError(key)
        del self._own()[stored]

    def pop(self, key: str, *default: Any) -> Any:  # type: ignore[override]
        stored = self._spelling(key)
        if stored is None:
            if default:
                return default[0]
            raise KeyError(key)
        return self._own().pop(stored)

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._spelling(key) is not None

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        data = self._data
        if key in data:
            return data[key]
        # _spelling's verdicts without its frame: no other spelling of the name was
        # ever stored, or no spelling at all (the usual misses: MULE_REPLYTO ...)
        if not data or key in _SOLE:
            return default
        folded = _FOLDED.get(key)
        if folded is not None and _SPELLINGS_COMPLETE and folded not in _SPELLINGS:
            return default
        stored = self._spelling(key)
        return default if stored is None else data[stored]

    def copy(self) -> CaseInsensitiveDict:
        """A scope with the same entries; the dict is shared until either is written."""
        other = CaseInsensitiveDict()
        other._data = self._data
        other._shared = self._shared = True
        return other

    def crossing(
        self, put: Mapping[str, Any] | None = None, drop: tuple[str, ...] = ()
    ) -> CaseInsensitiveDict:
        """A copy of this scope with ``put`` written and ``drop`` removed (any spelling),
        as a transport barrier builds the next hop's inbound scope. The same result as
        ``copy()`` then ``[key] = value`` and ``pop(key, None)``, in one dict: when no
        scope ever stored another spelling of those names (the usual case for the
        transport's own names), only the exact spellings can be present."""
        data = self._data
        if put:
            for key in put:
                if key not in _SOLE:
                    _register(key)  # so that other spellings find it (_spelling)
                    if data and key not in _SOLE:
                        return self._crossing_slowly(put, drop)
        if drop and (data or put):
            for key in drop:
                if key not in _SOLE and (
                    not _SPELLINGS_COMPLETE
                    or _SPELLINGS.get(_FOLDED.get(key) or _fold(key)) is not None
                ):  # another spelling may be stored
                    return self._crossing_slowly(put, drop)
        if data or put:
            data = dict(data)
            if put:
                data.update(put)
            for key in drop:  # dropped after the writes, as pop after [key] = value
                data.pop(key, None)
        other = CaseInsensitiveDict()
        other._data = data
        other._shared = data is _EMPTY
        return other

    def _crossing_slowly(
        self, put: Mapping[str, Any] | None, drop: tuple[str, ...]
    ) -> CaseInsensitiveDict:
        other = self.copy()
        if put:
            for name, value in put.items():
                other[name] = value
        for name in drop:
            other.pop(name, None)
        return other

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

# The transport's own names, registered up front: a registration only says "this
# spelling may be stored", so their exact spellings answer from ``_SOLE`` (no key
# scan, no frame) from the first message on, until another spelling is stored.
for _name in (
    REPLY_TO,
    ROOT_MESSAGE_ID,
    "MULE_SESSION",
    "MULE_ENDPOINT",
    "MULE_ORIGINATING_ENDPOINT",
    "MULE_FORCE_SYNC",
):
    _register(_name)


def _scope_of(values: Mapping[str, Any]) -> CaseInsensitiveDict:
    """``CaseInsensitiveDict.of``, as a plain function for pickle."""
    return CaseInsensitiveDict.of(values)


# ----------------------------------------------------------------------------- message


class MuleMessage:
    """A Mule message: payload, ids, property scopes, attachments, exception payload."""

    # Slots keep a queued message small (the memory benchmark); ``__dict__`` stays for
    # any extra attribute a stand-in or a store sets. The attachment maps are created
    # on first use: most messages never carry attachments.
    __slots__ = (
        "__dict__",
        "_inbound_attachments",
        "_outbound_attachments",
        "encoding",
        "exception_payload",
        "id",
        "inbound",
        "mime_type",
        "outbound",
        "payload",
        "root_id",
    )

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
        # Empty scopes as CaseInsensitiveDict.empty() makes them, written out.
        if inbound:
            self.inbound = CaseInsensitiveDict.of(inbound)
        else:
            self.inbound = scope = CaseInsensitiveDict()
            scope._data = _EMPTY
            scope._shared = True
        if outbound:
            self.outbound = CaseInsensitiveDict.of(outbound)
        else:
            self.outbound = scope = CaseInsensitiveDict()
            scope._data = _EMPTY
            scope._shared = True
        self._inbound_attachments: dict[str, Attachment] | None = None
        self._outbound_attachments: dict[str, Attachment] | None = None
        self.exception_payload: ExceptionPayload | None = None
        self.mime_type: str = mime_type or DEFAULT_MIME_TYPE
        self.encoding: str | None = encoding

    @property
    def inbound_attachments(self) -> dict[str, Attachment]:
        found = self._inbound_attachments
        if found is None:
            found = self._inbound_attachments = {}
        return found

    @inbound_attachments.setter
    def inbound_attachments(self, value: dict[str, Attachment]) -> None:
        self._inbound_attachments = value

    @property
    def outbound_attachments(self) -> dict[str, Attachment]:
        found = self._outbound_attachments
        if found is None:
            found = self._outbound_attachments = {}
        return found

    @outbound_attachments.setter
    def outbound_attachments(self, value: dict[str, Attachment]) -> None:
        self._outbound_attachments = value

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

    def copy(
        self, drop_inbound: tuple[str, ...] = (), put_outbound: Mapping[str, Any] | None = None
    ) -> MuleMessage:
        """Same id, same payload object, copied scopes and attachments (a copy
        constructor); ``drop_inbound``: inbound properties the copy goes without;
        ``put_outbound``: outbound properties it is given (a reply's ``MULE_SESSION``)."""
        other = MuleMessage.__new__(MuleMessage)
        other.payload = self.payload
        other.id = self.id
        other.root_id = self.root_id
        inbound = self.inbound
        other.inbound = inbound.crossing(None, drop_inbound) if drop_inbound else inbound.copy()
        outbound = self.outbound
        other.outbound = outbound.crossing(put_outbound) if put_outbound else outbound.copy()
        found = self._inbound_attachments
        other._inbound_attachments = dict(found) if found else None
        found = self._outbound_attachments
        other._outbound_attachments = dict(found) if found else None
        other.exception_payload = self.exception_payload
        other.mime_type = self.mime_type
        other.encoding = self.encoding
        return other

    def to_inbound(
        self,
        put: Mapping[str, Any] | None = None,
        drop: tuple[str, ...] = (),
        put_is_yours: bool = False,
    ) -> MuleMessage:
        """What the receiver of this message sees (VM-3, R7): same id and payload,
        inbound ← this outbound, outbound cleared, attachments likewise. ``put`` and
        ``drop``: properties the transport adds to or removes from that inbound scope
        (``CaseInsensitiveDict.crossing``). ``put_is_yours``: ``put`` is a dict made
        for this call, which may become the new scope's own (else it is copied)."""
        other = _new_object(MuleMessage)
        other.payload = self.payload
        other.id = self.id
        other.root_id = self.root_id
        source = self.outbound
        # crossing's usual case, written out: each put and drop name ever stored under
        # one spelling only (all in _SOLE), so only those exact keys can be present
        if put and _SOLE.issuperset(put) and (not drop or _SOLE.issuperset(drop)):
            data = source._data
            if data:
                data = {**data, **put}
            else:
                data = put if put_is_yours and type(put) is dict else dict(put)
            if drop:
                for key in drop:  # dropped after the writes, as crossing does
                    if key in data:
                        del data[key]
            inbound = CaseInsensitiveDict()
            inbound._data = data
            inbound._shared = False
        else:
            inbound = source.crossing(put, drop) if put or drop else source.copy()
        other.inbound = inbound
        other.outbound = empty = CaseInsensitiveDict()  # .empty(), written out
        empty._data = _EMPTY
        empty._shared = True
        found = self._outbound_attachments
        other._inbound_attachments = dict(found) if found else None
        other._outbound_attachments = None
        other.exception_payload = self.exception_payload
        other.mime_type = self.mime_type
        other.encoding = self.encoding
        return other

    @staticmethod
    def arriving(payload: Any, inbound: dict[str, Any]) -> MuleMessage:
        """What ``MuleMessage(payload).to_inbound(inbound)`` gives, built at once: a new
        message (new id) whose inbound scope holds ``inbound`` (a dict made for it, its
        keys one spelling each), nothing outbound. A send of a bare payload needs no
        sender's message first (``OutboundEndpoint.send_payload``)."""
        for key in inbound:
            if key not in _SOLE:
                _register(key)  # as crossing does: other spellings find it
        message = _new_object(MuleMessage)
        message.payload = NULL_PAYLOAD if payload is None else payload
        message.id = message.root_id = new_id()
        message.inbound = scope = CaseInsensitiveDict()
        scope._data = inbound
        scope._shared = False
        message.outbound = scope = CaseInsensitiveDict()  # .empty(), written out
        scope._data = _EMPTY
        scope._shared = True
        message._inbound_attachments = None
        message._outbound_attachments = None
        message.exception_payload = None
        message.mime_type = DEFAULT_MIME_TYPE
        message.encoding = None
        return message

    def turn_inbound(self) -> None:
        """``to_inbound`` in place, for a message nobody else holds (a reply copy):
        the same result without copying it once more."""
        self.inbound = self.outbound
        self.outbound = empty = CaseInsensitiveDict()  # .empty(), written out
        empty._data = _EMPTY
        empty._shared = True
        self._inbound_attachments = self._outbound_attachments or None
        self._outbound_attachments = None

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

    # No __init__, as for scopes: ``of()`` makes a session; the message path calls the
    # class and sets ``_vars`` itself (four sessions per round trip, most of them empty).
    __slots__ = ("_vars",)
    # Created on first use (None until then): most sessions crossing a hop are empty.
    _vars: dict[str, Any] | None

    @classmethod
    def of(cls, values: Mapping[str, Any] | None = None) -> MuleSession:
        """A session holding a copy of ``values``, or an empty one."""
        session = cls()
        session._vars = dict(values) if values else None
        return session

    @property
    def vars(self) -> dict[str, Any]:
        found = self._vars
        if found is None:
            found = self._vars = {}
        return found

    @vars.setter
    def vars(self, value: dict[str, Any]) -> None:
        self._vars = value

    def copy(self) -> MuleSession:
        """A shallow copy (SEDA hand-off, async scope)."""
        return MuleSession.of(self._vars)

    def serialized_copy(self) -> MuleSession:
        """The session as a receiver rebuilds it from ``MULE_SESSION``: non-serializable
        values are dropped, the rest are deep copies (Java serialisation semantics)."""
        found = self._vars
        if not found:  # most sessions crossing a hop are empty
            empty = MuleSession()
            empty._vars = None
            return empty
        kept: dict[str, Any] = {}
        for key, value in found.items():
            if _serializable(value):
                kept[key] = pickle.loads(pickle.dumps(value))
        return MuleSession.of(kept)

    def merge(self, other: MuleSession | None) -> None:
        """Take a callee's session after a reply (M-6): drop our serializable values,
        keep our non-serializable ones, then add the callee's."""
        if other is None or other is self:
            return
        mine = self._vars
        if not mine:  # nothing of ours to drop or keep: the callee's values
            theirs = other._vars
            self._vars = dict(theirs) if theirs else None
            return
        self.vars = {k: v for k, v in mine.items() if not _serializable(v)}
        self.vars.update(other.vars)

    def __repr__(self) -> str:
        return f"MuleSession({self.vars!r})"


# ----------------------------------------------------------------------------- event

# The transactions module registers a probe "is a transaction bound to this thread?"
# so that ``MuleEvent.transacted`` follows F-6 without message.py importing it.
_transaction_probe: Callable[[], bool] | None = None
# The thread-local state behind the probe, when given: its ``current`` attribute is read
# directly (a property read per one-way event, so one Python call less each time).
_transaction_state: Any = None


def set_transaction_probe(probe: Callable[[], bool] | None, state: Any = None) -> None:
    """Register the function that says whether the current thread has a transaction;
    ``state``: a thread-local whose ``current`` is not None exactly when it says so."""
    global _transaction_probe, _transaction_state
    _transaction_probe = probe
    _transaction_state = state if probe is not None else None


class MuleEvent:
    """One unit of work: message, flow variables, session and flags (F-6)."""

    # No __init__, as for scopes and sessions: ``of()`` makes an event; the receivers
    # and endpoints, which make one per hop, call the class and set every field.
    # Slots: no attribute dict to make for each event (about three per round trip).
    __slots__ = (
        "_transacted",
        "endpoint",
        "exchange_pattern",
        "flow",
        "flow_vars",
        "message",
        "replyto",
        "session",
        "synchronous",
    )
    message: MuleMessage
    flow: Any
    session: MuleSession
    flow_vars: dict[str, Any]
    exchange_pattern: str
    _transacted: bool
    synchronous: bool
    replyto: Any
    endpoint: str | None

    @classmethod
    def of(
        cls,
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
    ) -> MuleEvent:
        """An event around ``message``; by default one-way, asynchronous, not
        transacted, with an empty session and no flow variables."""
        event = cls()
        event.message = message
        event.flow = flow
        event.session = session if session is not None else MuleSession.of()
        event.flow_vars = dict(flow_vars) if flow_vars else {}
        event.exchange_pattern = exchange_pattern
        event._transacted = transacted
        if synchronous is None:
            synchronous = exchange_pattern == "request-response" or transacted
        event.synchronous = synchronous
        event.replyto = replyto
        event.endpoint = endpoint
        return event

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
        state = _transaction_state
        if state is not None:
            return state.current is not None
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
        """Copied message (same id), copied flow vars, copied session: the SEDA hand-off
        and the P-1 copy (``_clone`` and ``MuleSession.copy`` written out)."""
        other = MuleEvent()
        other.message = self.message.copy()
        other.flow = self.flow
        other.session = session = MuleSession()
        found = self.session._vars
        session._vars = dict(found) if found else None
        other.flow_vars = dict(self.flow_vars)
        other.exchange_pattern = self.exchange_pattern
        other._transacted = self._transacted
        other.synchronous = self.synchronous
        other.replyto = self.replyto
        other.endpoint = self.endpoint
        return other

    def with_message(self, message: MuleMessage) -> MuleEvent:
        """The same flow vars and session objects around another message."""
        other = MuleEvent()
        other.message = message
        other.flow = self.flow
        other.session = self.session
        other.flow_vars = self.flow_vars
        other.exchange_pattern = self.exchange_pattern
        other._transacted = self._transacted
        other.synchronous = self.synchronous
        other.replyto = self.replyto
        other.endpoint = self.endpoint
        return other

    def _clone(
        self,
        message: MuleMessage,
        flow_vars: dict[str, Any],
        session: MuleSession,
        share_vars: bool = False,
    ) -> MuleEvent:
        other = MuleEvent()
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

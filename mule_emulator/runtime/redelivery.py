"""The idempotent redelivery policy of an inbound endpoint (P-29, X5).

It sits in the inbound endpoint chain, before the endpoint's own processors, and counts
how often the same message arrives. The message's identity is the SHA-256 of its
payload bytes (so equal payloads share a counter; repeated *sends* count as
redeliveries) or, with ``idExpression``, that expression's value. Success resets the
counter, a failure increments it; once it exceeds ``maxRedeliveryCount`` the message is
diverted to the ``dead-letter-queue`` processor, or a ``MessageRedeliveredError`` is
raised for the flow's rollback strategy (N+1 real attempts, the N+2-th is diverted).

Counters live in memory for five minutes since their last change, as Mule's default
in-memory object store does; they do not survive a restart.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import threading
import time
from collections.abc import Callable
from typing import Any

from mule_emulator.errors import MessagingError
from mule_emulator.runtime.exception_strategies import MessageRedeliveredError
from mule_emulator.runtime.message import MuleEvent, ProcessResult
from mule_emulator.runtime.processors.base import InterceptingProcessor, Processor

log = logging.getLogger(__name__)

DEFAULT_MAX_REDELIVERY_COUNT = 5
ENTRY_TTL_S = 300.0  # the default in-memory object store's entry TTL (5 min)


def payload_digest(payload: Any) -> str:
    """SHA-256 hex of the payload's bytes: a string's UTF-8 bytes, bytes as they are,
    anything else serialised (Java serialisation in Mule, pickle here)."""
    if isinstance(payload, str):
        data = payload.encode("utf-8")
    elif isinstance(payload, bytes | bytearray):
        data = bytes(payload)
    else:
        try:
            data = pickle.dumps(payload)
        except Exception:  # an unserialisable payload is identified by its text
            data = repr(payload).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


class RedeliveryPolicy(InterceptingProcessor):
    """``<idempotent-redelivery-policy>``, or the default one a rollback strategy with
    ``maxRedeliveryAttempts`` gives its flow's inbound endpoints."""

    kind = "idempotent-redelivery-policy"

    def __init__(
        self,
        max_redelivery_count: int = DEFAULT_MAX_REDELIVERY_COUNT,
        *,
        id_of: Callable[[MuleEvent], Any] | None = None,
        dead_letter: Processor | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.max_redelivery_count = max_redelivery_count
        self.id_of = id_of
        self.dead_letter = dead_letter
        self._clock = clock
        self._guard = threading.Lock()
        self._counters: dict[str, tuple[int, float]] = {}
        self._locks: dict[str, threading.Lock] = {}

    def message_id(self, event: MuleEvent) -> str:
        if self.id_of is not None:
            return str(self.id_of(event))
        return payload_digest(event.message.payload)

    def count(self, message_id: str) -> int:
        """The failures recorded for ``message_id`` (0 when unknown or expired)."""
        with self._guard:
            return self._count_locked(message_id)

    def _count_locked(self, message_id: str) -> int:
        entry = self._counters.get(message_id)
        if entry is None:
            return 0
        value, stamp = entry
        if self._clock() - stamp > ENTRY_TTL_S:
            del self._counters[message_id]
            return 0
        return value

    def _set(self, message_id: str, value: int) -> None:
        with self._guard:
            self._counters[message_id] = (value, self._clock())

    def _lock_for(self, message_id: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(message_id, threading.Lock())

    def process(self, event: MuleEvent) -> ProcessResult:
        message_id = self.message_id(event)
        with self._lock_for(message_id):
            counter = self.count(message_id)
            if counter > self.max_redelivery_count:
                return self._exhausted(event, message_id, counter)
            try:
                result = self.process_next(event)
            except Exception:
                self._set(message_id, counter + 1)
                raise
            self._set(message_id, 0)
            return result

    def _exhausted(self, event: MuleEvent, message_id: str, counter: int) -> ProcessResult:
        if self.dead_letter is None:
            raise MessageRedeliveredError(
                message_id, counter, self.max_redelivery_count, event=event
            )
        try:
            return self.dead_letter.process(event)
        except (MessagingError, Exception):
            log.exception("dead-letter processor of the redelivery policy failed")
            return None

    def children(self) -> tuple[Processor, ...]:
        nested = [p for p in (self.next, self.dead_letter) if p is not None]
        return tuple(nested)


__all__ = ["DEFAULT_MAX_REDELIVERY_COUNT", "RedeliveryPolicy", "payload_digest"]

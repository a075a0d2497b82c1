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

import dataclasses
import hashlib
import logging
import pickle
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mule_emulator import tracing  # teaching views: run --trace hook
from mule_emulator.errors import ConfigError
from mule_emulator.model.config import ElementConfig
from mule_emulator.runtime.exception_strategies import MessageRedeliveredError, redelivery_attempts
from mule_emulator.runtime.message import MuleEvent, ProcessResult
from mule_emulator.runtime.processors.base import InterceptingProcessor, Processor

if TYPE_CHECKING:
    from mule_emulator.runtime.builder import BuildContext
    from mule_emulator.runtime.endpoints import InboundEndpoint

#: The rest of an inbound endpoint's request chain and the flow, as the policy calls it.
Proceed = Callable[[MuleEvent], ProcessResult]

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
        return self.around(event, self.process_next)

    def around(self, event: MuleEvent, proceed: Proceed) -> ProcessResult:
        """Count this arrival of ``event`` and run ``proceed`` unless it is exhausted.

        A failure (any exception) increments the counter, success resets it; once the
        counter exceeds ``maxRedeliveryCount`` the flow is not run: the dead-letter
        processor gets the message, or ``MessageRedeliveredError`` goes to the flow's
        rollback strategy (IdempotentRedeliveryPolicy@mule-3.9.0).
        """
        try:
            message_id = self.message_id(event)
        except Exception:  # no id, no counting: Mule treats it as exhausted
            log.warning("The message id for the redelivery policy could not be computed")
            return self._exhausted(event, "?", 0)
        with self._lock_for(message_id):
            counter = self.count(message_id)
            if tracing.current.active:  # trace hook
                tracing.current.emit("redelivery", flow=event.flow_name, failures=counter, limit=self.max_redelivery_count, dead_letter=self.dead_letter is not None, message=event.message.id)  # noqa: E501
            if counter > self.max_redelivery_count:
                return self._exhausted(event, message_id, counter)
            try:
                result = proceed(event)
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
        except Exception as exc:
            log.error(
                "dead-letter processor of the redelivery policy failed: %s",
                exc,
                exc_info=log.isEnabledFor(logging.DEBUG),
            )
            return None

    def children(self) -> tuple[Processor, ...]:
        nested = [p for p in (self.next, self.dead_letter) if p is not None]
        return tuple(nested)


# ----------------------------------------------------------------------- wiring


def _int_attr(cfg: ElementConfig, name: str, default: int) -> int:
    text = cfg.attr(name)
    if text is None or not text.strip():
        return default
    try:
        return int(text.strip())
    except ValueError:
        raise ConfigError(f"{name}={text!r} is not a number", cfg.location) from None


def build_policy(
    ctx: BuildContext, cfg: ElementConfig | None, attempts: int | None
) -> RedeliveryPolicy | None:
    """The policy of one inbound endpoint (X5, P-29): its own
    ``<idempotent-redelivery-policy>`` (with ``maxRedeliveryAttempts`` of the flow's
    rollback strategy overriding the count, as ``DefaultInboundEndpoint`` does), or a
    default secure-hash policy when only the strategy asks for one; None otherwise."""
    if cfg is None:
        if attempts is None:
            return None
        return RedeliveryPolicy(attempts)
    count = _int_attr(cfg, "maxRedeliveryCount", DEFAULT_MAX_REDELIVERY_COUNT)
    if attempts is not None:
        count = attempts
    id_text = cfg.attr("idExpression")
    id_of = ctx.evaluator.expression(id_text, cfg.location) if id_text else None
    secure = (cfg.attr("useSecureHash") or "true").strip().lower() != "false"
    if not secure and id_of is None:
        raise ConfigError(
            "idempotent-redelivery-policy: No method for identifying messages was specified "
            "(useSecureHash=false needs an idExpression)",
            cfg.location,
        )
    dead_letter: Processor | None = None
    for child in cfg.children_named("dead-letter-queue"):
        body = [c for c in child.children]
        if body:
            chain = ctx.chain(body, "dead-letter-queue")
            chain.start()
            dead_letter = chain
    return RedeliveryPolicy(count, id_of=id_of, dead_letter=dead_letter)


def install(ctx: BuildContext, endpoint: InboundEndpoint) -> None:
    """Give ``endpoint`` the redelivery policy its config and its construct's exception
    strategy call for, and apply F-8 to a flow: a flow whose strategy limits redelivery
    switches silently to ``synchronous`` when its processing strategy was not chosen
    explicitly, and is refused when an asynchronous one was."""
    construct: Any = endpoint.flow
    if construct is None:
        return
    strategy = getattr(construct, "exception_strategy", None)
    attempts = redelivery_attempts(strategy) if hasattr(strategy, "redelivery_attempts") else None
    endpoint.redelivery_policy = build_policy(ctx, endpoint.config.redelivery_policy, attempts)
    processing = getattr(construct, "strategy", None)
    if attempts is None or processing is None or not hasattr(processing, "kind"):
        return
    if processing.kind == "synchronous":
        return
    if processing.explicit:
        if processing.kind in ASYNC_KINDS:
            raise ConfigError(
                f"Flow '{construct.name}': One of the inbound endpoint configured on this Flow is "
                "not compatible with an asynchronous processing strategy.  Either because it is "
                "request-response, has a transaction defined, or messaging redelivered is "
                "configured.",
                getattr(getattr(construct, "config", None), "location", None),
            )
        return
    log.warning(
        "Flow %s: Using message redelivery and rollback-exception-strategy requires synchronous "
        "processing strategy. Processing strategy re-configured to synchronous",
        construct.name,
    )
    construct.strategy = dataclasses.replace(processing, kind="synchronous")


ASYNC_KINDS = frozenset(
    {"asynchronous", "queued-asynchronous", "thread-per-processor", "queued-thread-per-processor"}
)


__all__ = [
    "DEFAULT_MAX_REDELIVERY_COUNT",
    "RedeliveryPolicy",
    "build_policy",
    "install",
    "payload_digest",
]

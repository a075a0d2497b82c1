"""Splitters and aggregators (P-19): collection-splitter, splitter (expression),
message-chunk-splitter, collection-aggregator, message-chunk-aggregator and resequencer.

Splitters are intercepting: everything after them in the chain runs once per part,
sequentially in the same thread. Each part carries correlation id, group size and
sequence (M-5), so an aggregator further on (possibly behind a VM hop) can put the
group back together.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from mule_emulator.errors import ConfigError
from mule_emulator.execution.thread_pool import ThreadPool
from mule_emulator.model.config import CORE_NS, ElementConfig
from mule_emulator.runtime.builder import BuildContext, element
from mule_emulator.runtime.message import (
    VOID_EVENT,
    MuleEvent,
    MuleMessage,
    ProcessResult,
    is_null,
)
from mule_emulator.runtime.processors.base import InterceptingProcessor, Processor
from mule_emulator.runtime.processors.core import EventFn
from mule_emulator.runtime.processors.routers import RoutingError
from mule_emulator.runtime.processors.scopes import handle_in_flow, split_items

log = logging.getLogger("mule.routing")

CORRELATION_MODES = ("IF_NOT_SET", "ALWAYS", "NEVER")


def aggregate_results(event: MuleEvent, results: Sequence[MuleEvent]) -> ProcessResult:
    """P-15/P-19: one result as is, several as a collection carrying the caller's flow
    vars, none → None."""
    if not results:
        return None
    if len(results) == 1:
        return results[0]
    collection = MuleMessage([r.message.payload for r in results])
    correlation = event.message.correlation_id
    if correlation is not None:
        collection.correlation_id = correlation
    return event.with_message(collection)


class Splitter(InterceptingProcessor):
    """The common part of splitters: parts → correlation → the rest of the chain per
    part → the non-null results aggregated."""

    kind = "splitter"

    def __init__(self, correlation: str = "IF_NOT_SET") -> None:
        super().__init__()
        self.correlation = correlation

    def parts(self, event: MuleEvent) -> list[MuleMessage]:
        raise NotImplementedError

    def part_keys(self, event: MuleEvent) -> list[tuple[MuleMessage, str | None]]:
        """The parts with the flow var ``key`` each sets (map entries only)."""
        return [(m, None) for m in self.parts(event)]

    def process(self, event: MuleEvent) -> ProcessResult:
        parts = self.part_keys(event)
        if not parts:
            log.warning(
                "Splitter returned no results. If this is not expected, check the splitter's input"
            )
            return VOID_EVENT
        original = event.message
        correlation_id = original.correlation_id or original.id
        results: list[MuleEvent] = []
        for sequence, (message, key) in enumerate(parts, start=1):
            if self.correlation != "NEVER":
                if message.correlation_id is None or self.correlation == "ALWAYS":
                    message.correlation_id = correlation_id
                message.correlation_group_size = len(parts)
                message.correlation_sequence = sequence
            part = event.with_message(message)
            if key is not None:
                part.flow_vars["key"] = key
            result = self.process_next(part)
            if isinstance(result, MuleEvent):
                results.append(result)
        return aggregate_results(event, results)


class CollectionSplitter(Splitter):
    """``<collection-splitter>``: each element of a collection payload becomes a copy of
    the original message (properties kept) with the element as payload."""

    kind = "collection-splitter"

    def parts(self, event: MuleEvent) -> list[MuleMessage]:
        payload = event.message.payload
        items = split_items(payload)
        if items is None:
            raise RoutingError(
                f"Object {type(payload).__name__} is not of the correct type. It must be a "
                "collection",
                event=event,
            )
        out: list[MuleMessage] = []
        for item in items:
            message = event.message.copy()
            message.id = MuleMessage(None).id
            message.payload = item
            out.append(message)
        return out


class ExpressionSplitter(Splitter):
    """``<splitter expression>``: parts from the expression's value; fresh messages;
    map entries add flow var ``key``."""

    kind = "splitter"

    def __init__(self, expression: EventFn, correlation: str = "IF_NOT_SET") -> None:
        super().__init__(correlation)
        self.expression = expression

    def part_keys(self, event: MuleEvent) -> list[tuple[MuleMessage, str | None]]:
        value = self.expression(event)
        if is_null(value):
            return []
        items = split_items(value)
        if items is None:
            return [(MuleMessage(value), None)]
        if isinstance(value, dict):
            return [(MuleMessage(v), str(k)) for k, v in items]
        return [(MuleMessage(item), None) for item in items]


class ChunkSplitter(Splitter):
    """``<message-chunk-splitter messageSize>``: the payload's bytes in chunks."""

    kind = "message-chunk-splitter"

    def __init__(self, size: int, correlation: str = "IF_NOT_SET") -> None:
        super().__init__(correlation)
        self.size = size

    def parts(self, event: MuleEvent) -> list[MuleMessage]:
        payload = event.message.payload
        data = (
            payload
            if isinstance(payload, bytes)
            else event.message.payload_as_text().encode(event.message.encoding or "utf-8")
        )
        if self.size <= 0 or len(data) <= self.size:
            return [event.message.copy()]
        out: list[MuleMessage] = []
        for start in range(0, len(data), self.size):
            message = event.message.copy()
            message.id = MuleMessage(None).id
            message.payload = data[start : start + self.size]
            out.append(message)
        return out


# ----------------------------------------------------------------------------- aggregation


class _Group:
    def __init__(self, size: int) -> None:
        self.size = size
        self.events: list[MuleEvent] = []
        self.created = time.monotonic()


class Aggregator(InterceptingProcessor):
    """``<collection-aggregator timeout? failOnTimeout?>``: parts are kept by correlation
    id; each part's chain stops (None) until the group is complete, then the rest of the
    chain runs once with a collection built on the last part's event. A part of a group
    already completed is dropped. With a timeout, an expiry monitor discards an incomplete
    group (``failOnTimeout``) or sends it on as it is."""

    kind = "collection-aggregator"

    def __init__(
        self,
        timeout_ms: int = 0,
        fail_on_timeout: bool = True,
        pool_factory: Callable[[], ThreadPool] | None = None,
    ) -> None:
        super().__init__()
        self.timeout_ms = timeout_ms
        self.fail_on_timeout = fail_on_timeout
        self._pool_factory = pool_factory
        self._pool: ThreadPool | None = None
        self._groups: dict[str, _Group] = {}
        self._done: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self._monitoring = False
        self._stopping = threading.Event()

    def combine(self, events: Sequence[MuleEvent]) -> MuleEvent:
        """The message collection for a complete group, on the last part's event."""
        last = events[-1]
        message = MuleMessage(
            [e.message.payload for e in events],
            inbound=last.message.inbound,
            outbound=last.message.outbound,
        )
        combined = last.with_message(message)
        for e in events[:-1]:
            for key, value in e.session.vars.items():
                combined.session.vars.setdefault(key, value)
        return combined

    def process(self, event: MuleEvent) -> ProcessResult:
        message = event.message
        size = message.correlation_group_size
        key = message.correlation_id
        if key is None or size <= 0:
            log.warning("collection-aggregator: no correlation group size; forwarding as is")
            return self.process_next(event)
        with self._lock:
            if key in self._done:
                log.debug("collection-aggregator: group %s already processed; part dropped", key)
                return None
            group = self._groups.setdefault(key, _Group(size))
            group.events.append(event)
            if len(group.events) < group.size:
                self._ensure_monitor()
                return None
            del self._groups[key]
            self._mark_done(key)
            events = list(group.events)
        return self.process_next(self.combine(events))

    def _mark_done(self, key: str) -> None:
        self._done[key] = None
        while len(self._done) > 10_000:
            self._done.popitem(last=False)

    # -- expiry -----------------------------------------------------------------------

    def _ensure_monitor(self) -> None:
        if self.timeout_ms <= 0 or self._monitoring or self._pool_factory is None:
            return
        self._monitoring = True
        if self._pool is None:
            self._pool = self._pool_factory()
            self._pool.start()
        self._pool.submit(self._monitor)

    def _monitor(self) -> None:
        interval = min(self.timeout_ms / 1000.0, 0.1)
        while not self._stopping.wait(interval):
            self.expire()
            with self._lock:
                if not self._groups:
                    self._monitoring = False
                    return

    def expire(self, now: float | None = None) -> int:
        """Handle every group older than the timeout; the number handled."""
        now = time.monotonic() if now is None else now
        limit = self.timeout_ms / 1000.0
        with self._lock:
            expired = [k for k, g in self._groups.items() if now - g.created >= limit]
            groups = [(k, self._groups.pop(k)) for k in expired]
            for key, _g in groups:
                self._mark_done(key)
        for key, group in groups:
            if self.fail_on_timeout:
                log.error(
                    "Correlation timeout: group %s expired with %d of %d parts",
                    key,
                    len(group.events),
                    group.size,
                )
                continue
            self._send_partial(self.combine(group.events))
        return len(groups)

    def _send_partial(self, combined: MuleEvent) -> None:
        handle_in_flow(combined, lambda: self.process_next(combined))

    def pending(self) -> int:
        with self._lock:
            return len(self._groups)

    def start(self) -> None:
        self._stopping.clear()
        super().start()

    def stop(self) -> None:
        self._stopping.set()
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(5.0)
        with self._lock:
            self._monitoring = False


class ChunkAggregator(Aggregator):
    """``<message-chunk-aggregator>``: the chunks joined back, in sequence order."""

    kind = "message-chunk-aggregator"

    def combine(self, events: Sequence[MuleEvent]) -> MuleEvent:
        ordered = sorted(events, key=lambda e: e.message.correlation_sequence)
        data = b"".join(
            p if isinstance(p, bytes) else str(p).encode("utf-8")
            for p in (e.message.payload for e in ordered)
        )
        last = events[-1]
        message = last.message.copy()
        message.payload = data
        return last.with_message(message)


class Resequencer(Aggregator):
    """``<resequencer>``: holds a correlation group until complete, then sends its
    messages on one by one in correlation-sequence order."""

    kind = "resequencer"

    def process(self, event: MuleEvent) -> ProcessResult:
        message = event.message
        size = message.correlation_group_size
        key = message.correlation_id
        if key is None or size <= 0:
            return self.process_next(event)
        with self._lock:
            if key in self._done:
                return None
            group = self._groups.setdefault(key, _Group(size))
            group.events.append(event)
            if len(group.events) < group.size:
                self._ensure_monitor()
                return None
            del self._groups[key]
            self._mark_done(key)
            events = sorted(group.events, key=lambda e: e.message.correlation_sequence)
        results = [r for r in (self.process_next(e) for e in events) if isinstance(r, MuleEvent)]
        return aggregate_results(event, results)

    def _send_partial(self, combined: MuleEvent) -> None:
        for part in combined.message.payload:
            if isinstance(part, MuleEvent):
                self._send_one(part)

    def _send_one(self, part: MuleEvent) -> None:
        handle_in_flow(part, lambda: self.process_next(part))

    def combine(self, events: Sequence[MuleEvent]) -> MuleEvent:
        """On expiry: the group's events in sequence order, held in one carrier event."""
        ordered = sorted(events, key=lambda e: e.message.correlation_sequence)
        return events[-1].with_message(MuleMessage(list(ordered)))


# ----------------------------------------------------------------------------- builders


def _correlation(cfg: ElementConfig) -> str:
    mode = (cfg.attr("enableCorrelation") or "IF_NOT_SET").upper()
    if mode not in CORRELATION_MODES:
        raise ConfigError(f"enableCorrelation must be one of {CORRELATION_MODES}", cfg.location)
    return mode


@element(CORE_NS, "collection-splitter")
def _collection_splitter(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    return CollectionSplitter(_correlation(cfg))


@element(CORE_NS, "splitter")
def _splitter(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    expression = cfg.attr("expression")
    if not expression:
        raise ConfigError("<splitter> needs an 'expression'", cfg.location)
    evaluator = cfg.attr("evaluator")
    text = expression.strip()
    if evaluator and evaluator != "mel":
        if text.startswith("#[") and text.endswith("]"):
            text = text[2:-1]
        text = f"#[{evaluator}:{text}]"
    return ExpressionSplitter(ctx.evaluator.expression(text, cfg.location), _correlation(cfg))


@element(CORE_NS, "message-chunk-splitter")
def _chunk_splitter(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    return ChunkSplitter(int(cfg.attr("messageSize") or 0), _correlation(cfg))


def _aggregator_args(ctx: BuildContext, cfg: ElementConfig) -> dict[str, Any]:
    if (cfg.attr("persistentStores") or "false").lower() == "true":
        raise ConfigError(
            f"<{cfg.qname} persistentStores='true'> is not supported (in-memory only)",
            cfg.location,
        )
    timeout = int(cfg.attr("timeout") or 0)
    fail = (cfg.attr("failOnTimeout") or "true").lower() == "true"
    name = f"{cfg.name}.{cfg.location.line or 'monitor'}"
    return {
        "timeout_ms": timeout,
        "fail_on_timeout": fail,
        "pool_factory": lambda: ctx.pool_factory(name, None),
    }


@element(CORE_NS, "collection-aggregator")
def _collection_aggregator(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    return Aggregator(**_aggregator_args(ctx, cfg))


@element(CORE_NS, "resequencer")
def _resequencer(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    return Resequencer(**_aggregator_args(ctx, cfg))


@element(CORE_NS, "message-chunk-aggregator")
def _chunk_aggregator(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    return ChunkAggregator(**_aggregator_args(ctx, cfg))


__all__ = [
    "Aggregator",
    "ChunkAggregator",
    "ChunkSplitter",
    "CollectionSplitter",
    "ExpressionSplitter",
    "Resequencer",
    "Splitter",
    "aggregate_results",
]

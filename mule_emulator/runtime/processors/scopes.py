"""Scopes: async (P-13), enricher (P-21) and foreach (P-19a).

A scope owns a nested chain and decides on which event, in which thread and how often
it runs: ``async`` hands a copy to its own pool and returns VoidMuleEvent; ``enricher``
runs on a copy and writes one value back; ``foreach`` runs once per element and returns
the original event. (until-successful lives in ``until_successful.py``.)
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from typing import Any

from mule_emulator import tracing  # teaching views: run --trace hook
from mule_emulator.errors import (
    ConfigError,
    FailedToQueueEventError,
    MessagingError,
    PoolExhaustedError,
    SourceLocation,
    TransactionError,
)
from mule_emulator.execution.thread_pool import ThreadPool
from mule_emulator.model.config import (
    CORE_NS,
    PROCESSING_STRATEGY_KEYWORDS,
    ElementConfig,
    ProcessingStrategyConfig,
    ThreadingProfile,
    merge_threading,
)
from mule_emulator.runtime import transactions
from mule_emulator.runtime.builder import BuildContext, element
from mule_emulator.runtime.message import (
    NULL_PAYLOAD,
    VOID_EVENT,
    MuleEvent,
    MuleMessage,
    ProcessResult,
    is_null,
)
from mule_emulator.runtime.processing_strategy import Handoff, ProcessingStrategy, build_handoff
from mule_emulator.runtime.processors.base import Processor, as_messaging_error, run_processor
from mule_emulator.runtime.processors.core import EventFn
from mule_emulator.runtime.processors.routers import (
    processor_children,
)

log = logging.getLogger("mule.routing")

PoolFactory = Callable[[str, "ThreadingProfile | None"], ThreadPool]


def handle_in_flow(event: MuleEvent, work: Callable[[], Any]) -> None:
    """Run ``work`` as a worker does after a hand-off: failures go to the owning flow's
    exception strategy (E-2); anything left over is logged (E-13)."""
    handler = getattr(event.flow, "exception_strategy", None)
    transactions.execute_handled(work, handler, "worker of", event.flow_name)


# ----------------------------------------------------------------------------- async


class AsyncScope(Processor):
    """``<async>``: copy the event (one-way, not synchronous, no reply-to, copied flow
    vars and session), hand it to the scope's strategy, return VoidMuleEvent so the
    caller continues with its own copy (P-13).

    The hand-off comes from the scope's processing strategy: a SEDA stage with its own
    queue ``seda.queue(<flow>.<n>)`` for ``queued-asynchronous`` (the default), a pool
    for ``asynchronous``. Its pool and stage belong to the application's engine when
    there is one (started with the stages, drained on stop, counted by idle checks).
    """

    kind = "async"

    def __init__(
        self,
        body: Processor,
        make_handoff: Callable[[Callable[[Any], None]], Handoff],
        engine: Any = None,
    ) -> None:
        self.body = body
        self._make_handoff = make_handoff
        self._engine = engine
        self._handoff: Handoff | None = None
        self._lock = threading.Lock()

    def handoff(self) -> Handoff:
        with self._lock:
            if self._handoff is None:
                handoff = self._make_handoff(self._work)
                if handoff.stage is not None:  # trace hook
                    handoff.stage.on_take = tracing.stage_taken(None, handoff.stage.queue)
                if self._engine is not None:
                    self._engine.register_pool(handoff.pool, "stage")
                    if handoff.stage is not None:
                        self._engine.register_stage(handoff.stage)
                else:
                    handoff.pool.start()
                    if handoff.stage is not None:
                        handoff.stage.start()
                self._handoff = handoff
            return self._handoff

    def pool(self) -> ThreadPool:
        return self.handoff().pool

    def _work(self, event: Any) -> None:
        handle_in_flow(event, lambda: self.body.process(event))

    def process(self, event: MuleEvent) -> ProcessResult:
        if event.transacted:
            raise MessagingError(
                "The async scope does not support transactions (async does not support "
                "transactions)",
                event=event,
                cause=TransactionError("async does not support transactions"),
            )
        handed = event.copy()
        handed.exchange_pattern = "one-way"
        handed.synchronous = False
        handed.replyto = None
        if tracing.current.active and self.handoff().stage is not None:  # trace hook
            tracing.stage_enqueue(event.flow_name, self.handoff().stage, handed)
        try:
            self.handoff().hand(handed)
        except (FailedToQueueEventError, PoolExhaustedError) as exc:
            raise as_messaging_error(exc, event) from exc
        return VOID_EVENT

    def children(self) -> Sequence[Processor]:
        return (self.body,)

    def start(self) -> None:
        self.body.start()
        self.handoff()

    def stop(self) -> None:
        with self._lock:
            handoff, self._handoff = self._handoff, None
        if handoff is not None:
            if handoff.stage is not None:
                handoff.stage.stop(5.0)
                if self._engine is not None:
                    self._engine.unregister(handoff.stage)
            handoff.pool.shutdown(5.0)
        self.body.stop()


# ----------------------------------------------------------------------------- enricher


class Target:
    """Where an enricher writes (P-21): the payload, or a key in a scope map."""

    def __init__(self, scope: str, key: str = "") -> None:
        self.scope = scope
        self.key = key

    def write(self, event: MuleEvent, value: Any) -> None:
        if self.scope == "payload":
            event.message.payload = NULL_PAYLOAD if value is None else value
            return
        target: MutableMapping[str, Any]
        if self.scope == "outbound":
            target = event.message.outbound
        elif self.scope == "session":
            target = event.session.vars
        else:
            target = event.flow_vars
        if is_null(value):
            target.pop(self.key, None)
        else:
            target[self.key] = value


_NAME = r"[A-Za-z_$][\w$.-]*"
_TARGETS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), scope)
    for p, scope in (
        (rf"^(?:flowVars|message\.invocationProperties)\.({_NAME})$", "invocation"),
        (r"^(?:flowVars|message\.invocationProperties)\[\s*['\"](.+)['\"]\s*\]$", "invocation"),
        (rf"^sessionVars\.({_NAME})$", "session"),
        (r"^sessionVars\[\s*['\"](.+)['\"]\s*\]$", "session"),
        (rf"^message\.outboundProperties\.({_NAME})$", "outbound"),
        (r"^message\.outboundProperties\[\s*['\"](.+)['\"]\s*\]$", "outbound"),
        (r"^header:(?:OUTBOUND:)?([^:]+)$", "outbound"),
        (r"^header:INVOCATION:(.+)$", "invocation"),
        (r"^header:SESSION:(.+)$", "session"),
        (r"^variable:(.+)$", "invocation"),
    )
)


def parse_target(text: str, location: SourceLocation | None = None) -> Target:
    """An enricher ``target`` expression as a ``Target``."""
    body = text.strip()
    if body.startswith("#[") and body.endswith("]"):
        body = body[2:-1].strip()
    if body in ("payload", "message.payload", "payload:"):
        return Target("payload")
    for pattern, scope in _TARGETS:
        m = pattern.match(body)
        if m:
            return Target(scope, m.group(1).strip())
    raise ConfigError(
        f"enricher target {text!r} is not supported: use #[flowVars.name], #[sessionVars.name], "
        "#[message.outboundProperties.name], #[header:OUTBOUND:name], #[variable:name] or "
        "#[payload]",
        location,
    )


class Enricher(Processor):
    """``<enricher source? target?>`` / ``<enrich>`` pairs: the child runs on a full copy;
    each source is evaluated on its result and written into the original event."""

    kind = "enricher"

    def __init__(
        self, body: Processor, pairs: Sequence[tuple[EventFn, Target]], propagate_session: bool
    ) -> None:
        self.body = body
        self.pairs = tuple(pairs)
        self.propagate_session = propagate_session

    def process(self, event: MuleEvent) -> ProcessResult:
        copy = event.copy()
        result = run_processor(self.body, copy)
        if isinstance(result, MuleEvent):
            for source, target in self.pairs:
                target.write(event, source(result))
            if self.propagate_session:
                event.session.vars.update(result.session.vars)
        return event

    def children(self) -> Sequence[Processor]:
        return (self.body,)

    def start(self) -> None:
        self.body.start()

    def stop(self) -> None:
        self.body.stop()


# ----------------------------------------------------------------------------- foreach


def split_items(value: Any) -> list[Any] | None:
    """The parts of a collection value (list, tuple, set, iterator, map entries as
    (key, value) pairs); None when the value is not a collection."""
    if isinstance(value, Mapping):
        return list(value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return list(value)
    if isinstance(value, str | bytes | bytearray):
        return None
    if isinstance(value, Iterable):
        return list(value)
    return None


class Foreach(Processor):
    """``<foreach collection? batchSize? rootMessageVariableName counterVariableName>``
    (P-19a): the body runs once per element (or batch) with flow vars ``counter`` and
    ``rootMessage``; the results are discarded and the original event is returned."""

    kind = "foreach"

    def __init__(
        self,
        body: Processor,
        collection: EventFn | None,
        batch_size: int,
        root_var: str,
        counter_var: str,
    ) -> None:
        self.body = body
        self.collection = collection
        self.batch_size = batch_size
        self.root_var = root_var
        self.counter_var = counter_var

    def _parts(self, event: MuleEvent) -> list[tuple[MuleMessage, str | None]]:
        message = event.message
        value = self.collection(event) if self.collection else message.payload
        if is_null(value):
            return []
        items = split_items(value)
        if items is None:  # a single value is a one-element sequence
            items = [value]
        is_map = isinstance(value, Mapping)
        if self.batch_size > 1 and not is_map:
            items = [items[i : i + self.batch_size] for i in range(0, len(items), self.batch_size)]
        parts: list[tuple[MuleMessage, str | None]] = []
        for item in items:
            if is_map:
                key, payload = item
                parts.append((MuleMessage(payload), str(key)))
            elif self.collection is None:
                parts.append(
                    (MuleMessage(item, inbound=message.inbound, outbound=message.outbound), None)
                )
            else:
                parts.append((MuleMessage(item), None))
        return parts

    def process(self, event: MuleEvent) -> ProcessResult:
        saved = {
            name: event.flow_vars.get(name, _MISSING) for name in (self.root_var, self.counter_var)
        }
        event.flow_vars[self.root_var] = event.message
        try:
            for counter, (message, key) in enumerate(self._parts(event), start=1):
                part = event.with_message(message)
                part.flow_vars[self.counter_var] = counter
                if key is not None:
                    part.flow_vars["key"] = key
                run_processor(self.body, part)
        finally:
            for name, value in saved.items():
                if value is _MISSING:
                    event.flow_vars.pop(name, None)
                else:
                    event.flow_vars[name] = value
        return event

    def children(self) -> Sequence[Processor]:
        return (self.body,)

    def start(self) -> None:
        self.body.start()

    def stop(self) -> None:
        self.body.stop()


_MISSING = object()

# ----------------------------------------------------------------------------- builders


def _body(ctx: BuildContext, cfg: ElementConfig, skip: Sequence[str] = ()) -> Processor:
    children = [
        c for c in processor_children(cfg) if not (isinstance(c, ElementConfig) and c.name in skip)
    ]
    return ctx.chain(children)


def _strategy(ctx: BuildContext, text: str | None, cfg: ElementConfig) -> ProcessingStrategy:
    defaults = ctx.app.configuration.default_threading
    name = text or "queued-asynchronous"
    if name in PROCESSING_STRATEGY_KEYWORDS:
        if name not in ("asynchronous", "queued-asynchronous"):
            raise ConfigError(
                f"<async processingStrategy='{name}'> is not an asynchronous strategy",
                cfg.location,
            )
        return ProcessingStrategy.from_config(ProcessingStrategyConfig(kind=name), True, defaults)
    global_cfg = ctx.app.processing_strategies.get(name)
    if global_cfg is None:
        raise ConfigError(f"<async>: no processing strategy named '{name}'", cfg.location)
    return ProcessingStrategy.from_config(global_cfg, True, defaults)


def _pool_maker(
    ctx: BuildContext, name: str, profile: ThreadingProfile | None, queued: bool
) -> Callable[[], ThreadPool]:
    merged = merge_threading(profile)
    if queued and not merged.max_buffer_size:
        # A queued strategy holds 4 x maxThreadsActive events before the pool is exhausted.
        from dataclasses import replace

        merged = replace(merged, max_buffer_size=4 * (merged.max_threads_active or 16))
    return lambda: ctx.pool_factory(name, merged)


@element(CORE_NS, "async")
def _async(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    strategy = _strategy(ctx, cfg.attr("processingStrategy"), cfg)
    # P-13: the stage is named <flow>.<n> (n counts the flow's async scopes from 1), or
    # <flow>.<name> when the scope has a name.
    flow = str(ctx.extra.get("construct") or "async")
    counts: dict[str, int] = ctx.extra.setdefault("async_scopes", {})
    counts[flow] = counts.get(flow, 0) + 1
    name = f"{flow}.{cfg.attr('name') or counts[flow]}"

    def make(work: Callable[[Any], None]) -> Handoff:
        return build_handoff(
            strategy,
            name,
            work,
            pool_factory=ctx.pool_factory,
            queue_manager=ctx.queue_manager,
        )

    return AsyncScope(_body(ctx, cfg), make, ctx.extra.get("engine"))


@element(CORE_NS, "enricher")
def _enricher(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    pairs: list[tuple[EventFn, Target]] = []
    enrich = cfg.children_named("enrich")
    specs = [(e.attr("source"), e.attr("target"), e.location) for e in enrich]
    if cfg.attr("source") or cfg.attr("target") or not specs:
        specs.insert(0, (cfg.attr("source"), cfg.attr("target"), cfg.location))
    for source, target, location in specs:
        source_fn = ctx.evaluator.expression(source or "#[payload]", location)
        pairs.append((source_fn, parse_target(target or "#[payload]", location)))
    body_cfgs = [c for c in processor_children(cfg) if c not in enrich]
    if len(body_cfgs) != 1:
        raise ConfigError(
            "<enricher> needs exactly one processor (use <processor-chain> for several)",
            cfg.location,
        )
    propagate = ctx.app.configuration.enricher_propagates_session_variable_changes
    return Enricher(ctx.processor(body_cfgs[0]), pairs, bool(propagate))


@element(CORE_NS, "foreach")
def _foreach(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    collection = cfg.attr("collection")
    batch = cfg.attr("batchSize")
    return Foreach(
        _body(ctx, cfg),
        ctx.evaluator.expression(collection, cfg.location) if collection else None,
        int(batch) if batch else 1,
        cfg.attr("rootMessageVariableName") or "rootMessage",
        cfg.attr("counterVariableName") or "counter",
    )


def threading_profile(cfg: ElementConfig) -> ThreadingProfile:
    """A nested ``<threading-profile>`` element (TP-1 attributes)."""

    def number(name: str) -> int | None:
        value = cfg.attr(name)
        return int(value) if value else None

    action = cfg.attr("poolExhaustedAction")
    do_threading = cfg.attr("doThreading")
    return ThreadingProfile(
        max_threads_active=number("maxThreadsActive"),
        max_threads_idle=number("maxThreadsIdle"),
        thread_ttl_ms=number("threadTTL"),
        pool_exhausted_action=action.upper() if action else None,
        thread_wait_timeout_ms=number("threadWaitTimeout"),
        max_buffer_size=number("maxBufferSize"),
        do_threading=None if do_threading is None else do_threading.lower() == "true",
        location=cfg.location,
    )


PARTS: set[tuple[str, str]] = {(CORE_NS, "enrich"), (CORE_NS, "threading-profile")}


__all__ = [
    "AsyncScope",
    "Enricher",
    "Foreach",
    "Target",
    "handle_in_flow",
    "parse_target",
    "split_items",
    "threading_profile",
]

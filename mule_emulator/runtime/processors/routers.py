"""Selective and sequence routers: choice (P-14), first-successful (P-16), round-robin
(P-17), scatter-gather and wire-tap (P-25).

Each route is a processor (usually a chain). Routers run their routes in the caller's
thread; copies are taken where Mule takes them (first-successful tries each route on a
copy of the message, the wire-tap gets a copy, choice and round-robin pass the same
event).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from mule_emulator.errors import ConfigError, MessagingError
from mule_emulator.execution.thread_pool import ThreadPool
from mule_emulator.model.config import CORE_NS, ElementConfig, ProcessorConfig, merge_threading
from mule_emulator.runtime.builder import IGNORED, BuildContext, element
from mule_emulator.runtime.message import VOID_EVENT, MuleEvent, MuleMessage, ProcessResult
from mule_emulator.runtime.processors.base import Processor, describe_cause, run_processor

log = logging.getLogger("mule.routing")

EventTest = Callable[[MuleEvent], bool]


class RoutingError(MessagingError):
    """Mule's RoutingException and its subclasses (no route, all routes failed...)."""


class RoutePathNotFoundError(RoutingError):
    """Mule's RoutePathNotFoundException: no route accepted and no default route."""


class _Routes(Processor):
    """Lifecycle over a router's routes."""

    routes: tuple[Processor, ...] = ()

    def children(self) -> Sequence[Processor]:
        return self.routes

    def start(self) -> None:
        for route in self.routes:
            route.start()

    def stop(self) -> None:
        for route in reversed(self.routes):
            route.stop()


class ChoiceRouter(_Routes):
    """``<choice>``: the first ``<when>`` whose expression accepts the event runs, with
    the same event; else ``<otherwise>``; else ``RoutePathNotFoundError``."""

    kind = "choice"

    def __init__(
        self, whens: Sequence[tuple[EventTest, Processor]], otherwise: Processor | None
    ) -> None:
        self.whens = tuple(whens)
        self.otherwise = otherwise
        self.routes = tuple(p for _t, p in self.whens) + ((otherwise,) if otherwise else ())

    def select(self, event: MuleEvent) -> Processor | None:
        for test, route in self.whens:
            if test(event):
                return route
        return self.otherwise

    def process(self, event: MuleEvent) -> ProcessResult:
        route = self.select(event)
        if route is None:
            raise RoutePathNotFoundError(
                "Can't process message because no route has been found matching any filter "
                "and no default route is defined",
                event=event,
            )
        return route.process(event)


class FirstSuccessful(_Routes):
    """``<first-successful failureExpression?>``: routes tried in order, each on a copy
    of the message; a route fails by raising or when its result matches the failure
    expression (default: the result carries an exception payload)."""

    kind = "first-successful"

    def __init__(self, routes: Sequence[Processor], failed: EventTest | None = None) -> None:
        self.routes = tuple(routes)
        self.failed = failed or (lambda e: e.message.exception_payload is not None)

    def process(self, event: MuleEvent) -> ProcessResult:
        last: BaseException | None = None
        for route in self.routes:
            attempt = event.with_message(event.message.copy())
            try:
                result = run_processor(route, attempt)
            except MessagingError as failure:
                last = failure
                continue
            if isinstance(result, MuleEvent) and self.failed(result):
                continue
            return result
        exhausted = RoutingError(
            "all message processor failed during first successful routing strategy",
            event=event,
        )
        if last is not None:
            exhausted.__cause__ = last
        raise exhausted


class RoundRobin(_Routes):
    """``<round-robin>``: each event goes to exactly one route, rotating. Mule's counter
    starts at 1 and hands out ``(counter + 1) mod n``, so the first event takes route
    ``2 mod n`` (P-17)."""

    kind = "round-robin"

    def __init__(self, routes: Sequence[Processor]) -> None:
        self.routes = tuple(routes)
        self._index = 1
        self._lock = threading.Lock()

    def next_index(self) -> int:
        with self._lock:
            self._index = (self._index + 1) % len(self.routes)
            return self._index

    def process(self, event: MuleEvent) -> ProcessResult:
        if not self.routes:
            raise RoutingError("round-robin has no routes", event=event)
        route = self.routes[self.next_index()]
        try:
            return run_processor(route, event)
        except MessagingError as error:
            raise RoutingError(f"Route failed in round-robin: {error}", event=event) from error


class WireTap(Processor):
    """``<wire-tap>``: a copy of the event goes to the tap (when the optional filter
    accepts it); the original continues unchanged. A failing tap is logged only."""

    kind = "wire-tap"
    may_return_void = False

    def __init__(self, tap: Processor, accept: EventTest | None = None) -> None:
        self.tap = tap
        self.accept = accept

    def process(self, event: MuleEvent) -> ProcessResult:
        copy = event.copy()
        if self.accept is None or self.accept(copy):
            try:
                run_processor(self.tap, copy)
            except MessagingError as error:
                log.error("wire-tap: the tap failed: %s", error)
        return event

    def children(self) -> Sequence[Processor]:
        return (self.tap,)

    def start(self) -> None:
        self.tap.start()

    def stop(self) -> None:
        self.tap.stop()


class ScatterGather(_Routes):
    """``<scatter-gather timeout?>``: every route gets its own copy of the event and runs
    on the router's pool at the same time; the caller waits for all of them. The results
    (null and void ones left out) become one collection in route order; any failure or a
    route still running at the timeout raises ``CompositeRoutingError``."""

    kind = "scatter-gather"

    def __init__(
        self,
        routes: Sequence[Processor],
        pool_factory: Callable[[], ThreadPool],
        timeout_ms: int = 0,
    ) -> None:
        self.routes = tuple(routes)
        self.timeout_ms = timeout_ms
        self._pool_factory = pool_factory
        self._pool: ThreadPool | None = None
        self._lock = threading.Lock()

    def pool(self) -> ThreadPool:
        with self._lock:
            if self._pool is None:
                self._pool = self._pool_factory()
                self._pool.start()
            return self._pool

    def process(self, event: MuleEvent) -> ProcessResult:
        count = len(self.routes)
        results: list[ProcessResult] = [None] * count
        errors: dict[int, BaseException] = {}
        done = threading.Semaphore(0)
        pool = self.pool()
        for index, route in enumerate(self.routes):

            def run(index: int = index, route: Processor = route) -> None:
                try:
                    results[index] = run_processor(route, event.copy())
                except BaseException as exc:
                    errors[index] = exc
                finally:
                    done.release()

            pool.submit(run)
        deadline = time.monotonic() + self.timeout_ms / 1000.0 if self.timeout_ms > 0 else None
        finished = 0
        while finished < count:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not done.acquire(timeout=remaining):
                break
            finished += 1
        if finished < count or errors:
            late = count - finished
            parts = [f"{i}: {describe_cause(e)}" for i, e in sorted(errors.items())]
            if late:
                parts.append(f"{late} route(s) timed out after {self.timeout_ms} ms")
            raise CompositeRoutingError(
                "Exception(s) were found for route(s): " + "; ".join(parts), event=event
            )
        events = [r for r in results if isinstance(r, MuleEvent)]
        if not events:
            return VOID_EVENT
        collection = MuleMessage([e.message.payload for e in events])
        return event.with_message(collection)

    def stop(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(5.0)
        super().stop()


class CompositeRoutingError(RoutingError):
    """Mule's CompositeRoutingException: one or more scatter-gather routes failed."""


# ----------------------------------------------------------------------------- builders


def processor_children(cfg: ElementConfig) -> list[ProcessorConfig]:
    """An element's children that are processors (descriptions, Spring properties out)."""
    out: list[ProcessorConfig] = []
    for child in cfg.children:
        if isinstance(child, ElementConfig) and (child.namespace, child.name) in IGNORED:
            continue
        out.append(child)
    return out


def routes_of(ctx: BuildContext, cfg: ElementConfig) -> list[Processor]:
    """Each child is one route (a processor-chain groups several processors)."""
    return [ctx.processor(c) for c in processor_children(cfg)]


def expression_test(
    ctx: BuildContext, text: str, cfg: ElementConfig, evaluator: str | None = None
) -> EventTest:
    """A ``when``/filter expression (EL-1, optional legacy ``evaluator``) as a test."""
    body = text.strip()
    if evaluator and evaluator != "mel":
        if body.startswith("#[") and body.endswith("]"):
            body = body[2:-1]
        body = f"#[{evaluator}:{body}]"
    # Mule's ExpressionFilter: null → false, a non-boolean value → true (!nullReturnsTrue)
    return ctx.evaluator.boolean(body, False, cfg.location, non_boolean=True)


@element(CORE_NS, "choice")
def _choice(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    whens: list[tuple[EventTest, Processor]] = []
    otherwise: Processor | None = None
    for child in processor_children(cfg):
        if not isinstance(child, ElementConfig):
            raise ConfigError("<choice> contains only <when> and <otherwise>", cfg.location)
        if child.name == "when":
            expression = child.attr("expression")
            if not expression:
                raise ConfigError("<when> needs an 'expression'", child.location)
            test = expression_test(ctx, expression, child, child.attr("evaluator"))
            whens.append((test, ctx.chain(processor_children(child))))
        elif child.name == "otherwise":
            otherwise = ctx.chain(processor_children(child))
        else:
            raise ConfigError(f"<{child.qname}> is not allowed inside <choice>", child.location)
    return ChoiceRouter(whens, otherwise)


@element(CORE_NS, "first-successful")
def _first_successful(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    failure = cfg.attr("failureExpression")
    failed = expression_test(ctx, failure, cfg) if failure else None
    return FirstSuccessful(routes_of(ctx, cfg), failed)


@element(CORE_NS, "round-robin")
def _round_robin(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    routes = routes_of(ctx, cfg)
    if not routes:
        raise ConfigError("<round-robin> needs at least one route", cfg.location)
    return RoundRobin(routes)


@element(CORE_NS, "scatter-gather")
def _scatter_gather(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    children = processor_children(cfg)
    strategy = [
        c
        for c in children
        if isinstance(c, ElementConfig) and c.name == "custom-aggregation-strategy"
    ]
    if strategy:
        raise ConfigError(
            "<custom-aggregation-strategy> is not supported in <scatter-gather>",
            strategy[0].location,
        )
    profile_cfg = cfg.child("threading-profile")
    routes = [
        ctx.processor(c)
        for c in children
        if not (isinstance(c, ElementConfig) and c.name == "threading-profile")
    ]
    if len(routes) < 2:
        raise ConfigError("<scatter-gather> needs at least two routes", cfg.location)
    from mule_emulator.runtime.processors.scopes import threading_profile

    profile = threading_profile(profile_cfg) if profile_cfg is not None else None
    merged = merge_threading(profile, ctx.app.configuration.default_threading)
    name = f"scatter-gather.{cfg.location.line or 'router'}"
    return ScatterGather(
        routes, lambda: ctx.pool_factory(name, merged), int(cfg.attr("timeout") or 0)
    )


@element(CORE_NS, "wire-tap")
def _wire_tap(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    children = processor_children(cfg)
    filters = [c for c in children if isinstance(c, ElementConfig) and _is_filter(c)]
    taps = [c for c in children if c not in filters]
    if len(taps) != 1:
        raise ConfigError("<wire-tap> needs exactly one processor", cfg.location)
    accept: EventTest | None = None
    if filters:
        checker = ctx.processor(filters[0])

        def accept_fn(event: MuleEvent) -> bool:
            return run_processor(checker, event.copy()) is not None

        accept = accept_fn
    return WireTap(ctx.processor(taps[0]), accept)


def _is_filter(cfg: ElementConfig) -> bool:
    return cfg.name.endswith("-filter") or cfg.name == "filter"


__all__ = [
    "ChoiceRouter",
    "CompositeRoutingError",
    "FirstSuccessful",
    "RoundRobin",
    "RoutePathNotFoundError",
    "RoutingError",
    "ScatterGather",
    "WireTap",
    "expression_test",
    "processor_children",
    "routes_of",
]

"""The SEDA service model: ``<model>`` / ``<service>`` (S-1..S-7 of flows-and-threads.md).

A service's chain (S-3): inbound endpoints → inbound routers (selective consumer,
idempotent receiver, wire tap, forwarding, catch-all) → started/paused guard → a *lax*
SEDA stage ``seda.queue(<service>)`` (only when the threading profile threads) →
component → outbound router collection (S-4). Sync events (request-response or
transacted) skip the stage and run in the caller's thread, as in a default flow (F-7).

A ``Service`` offers what an inbound endpoint, a connector and a receiver expect of a
flow (``name``, ``exception_strategy``, ``process_from_source``, ``source_started``,
``strategy_is_synchronous``, ``runs``, start/stop), so the runtime wires its sources
exactly as a flow's.

Inheritance (S-2): queue profile service → model → in-memory unbounded-as-configured
(0 becomes ``4 x maxThreadsActive``; the model's profile is shared, so the first service
to resolve it fixes the number for the others); queue timeout service → 200 ms;
threading ``<threading-profile>`` → ``default-service-threading-profile`` →
``default-threading-profile``; exception strategy service → model → context default.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from mule_emulator import tracing  # teaching views: run --trace hook
from mule_emulator.errors import (
    ConfigError,
    FailedToQueueEventError,
    LifecycleError,
    MessagingError,
    UnsupportedError,
)
from mule_emulator.execution.seda_stage import SedaStage, seda_queue_capacity
from mule_emulator.execution.thread_pool import ThreadPool
from mule_emulator.model.config import (
    DEFAULT_QUEUE_TIMEOUT_MS,
    VM_NS,
    ElementConfig,
    EndpointConfig,
    ModelConfig,
    MuleConfiguration,
    ProcessorConfig,
    QueueProfile,
    ServiceConfig,
    ThreadingProfile,
    TransactionConfig,
    frozen_map,
    merge_threading,
)
from mule_emulator.queues.manager import QueueManager
from mule_emulator.runtime import redelivery, transactions
from mule_emulator.runtime.message import (
    NULL_PAYLOAD,
    VOID_EVENT,
    MuleEvent,
    MuleMessage,
    ProcessResult,
)
from mule_emulator.runtime.processors.base import (
    ExceptionHandler,
    Processor,
    as_messaging_error,
    not_void,
    run_processor,
)
from mule_emulator.runtime.processors.requestreply import ReplyWaiter, ResponseTimeoutError

if TYPE_CHECKING:
    from mule_emulator.runtime.endpoints import InboundEndpoint

log = logging.getLogger("mule.model.seda")

#: Builds a live processor (endpoint, filter, component ...) from its config.
ProcessorBuilder = Callable[[ProcessorConfig], Processor]
#: Creates a thread pool from a name and a (partial) threading profile.
PoolFactory = Callable[[str, "ThreadingProfile | None"], ThreadPool]
#: The reply-to replier (``requestreply.deliver_reply`` bound to a dispatch): called
#: with the event and the result; it answers when the event asked for a reply.
Replier = Callable[[MuleEvent, ProcessResult], Any]

PAUSED_POLL_S = 0.5  # ProcessIfStartedWaitIfSyncPausedMessageProcessor


# ----------------------------------------------------------------------- helpers


def _accepts(filter_processor: Processor, event: MuleEvent) -> bool:
    """Whether a filter (built as a message filter: None = rejected) accepts ``event``.
    It sees a copy, so a filter never changes the routed message."""
    return run_processor(filter_processor, event.copy()) is not None


def transaction_of(element: ElementConfig) -> TransactionConfig | None:
    """The TransactionConfig of a ``vm:transaction`` / ``custom-transaction`` /
    ``xa-transaction`` child of an outbound router, None for anything else."""
    kinds = {"transaction": "vm", "custom-transaction": "custom", "xa-transaction": "xa"}
    if element.name not in kinds or (element.name == "transaction" and element.namespace != VM_NS):
        return None
    timeout = element.attr("timeout")
    return TransactionConfig(
        kind=kinds[element.name],
        action=(element.attr("action") or "NONE").strip().upper(),
        timeout_ms=int(timeout) if timeout and timeout.isdigit() else None,
        factory_class=element.attr("factory-class"),
        location=element.location,
    )


def endpoint_for_uri(
    uri: str, *, request_response: bool, transaction: TransactionConfig | None, where: Any
) -> EndpointConfig:
    """An outbound endpoint config for a recipient URI (``vm://path?params``)."""
    scheme, sep, rest = uri.partition("://")
    if not sep:
        raise ConfigError(f"recipient {uri!r} is not an endpoint URI", where)
    path, _, query = rest.partition("?")
    if path.startswith("localhost/"):
        path = path[len("localhost/") :]
    params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
    return EndpointConfig(
        role="outbound",
        address=uri,
        path=path,
        scheme=scheme,
        exchange_pattern="request-response" if request_response else "one-way",
        transaction=transaction,
        params=frozen_map(params),
        connector_ref=params.get("connector"),
        location=where,
    )


# ----------------------------------------------------------------------- inbound routers


class InboundRouter(Processor):
    """One entry of ``<inbound>``: ``route(event, rest)`` decides whether and how the
    rest of the service (``rest``) sees the event."""

    def route(self, event: MuleEvent, rest: Callable[[MuleEvent], ProcessResult]) -> ProcessResult:
        raise NotImplementedError

    def process(self, event: MuleEvent) -> ProcessResult:
        return self.route(event, lambda e: e)


class SelectiveConsumer(InboundRouter):
    """``selective-consumer-router``: a message filter; an unaccepted message goes to the
    inbound catch-all strategy if there is one, else processing stops (null)."""

    kind = "selective-consumer-router"

    def __init__(self, filters: Sequence[Processor], catch_all: Processor | None) -> None:
        self.filters = tuple(filters)
        self.catch_all = catch_all

    def route(self, event: MuleEvent, rest: Callable[[MuleEvent], ProcessResult]) -> ProcessResult:
        if all(_accepts(f, event) for f in self.filters):
            return rest(event)
        if self.catch_all is not None:
            return run_processor(self.catch_all, event)
        return None


class IdempotentReceiver(InboundRouter):
    """``idempotent-receiver-router``: a message id seen before is dropped (null)."""

    kind = "idempotent-receiver-router"

    def __init__(self, id_of: Callable[[MuleEvent], Any] | None = None) -> None:
        self.id_of = id_of or (lambda e: e.message.id)
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def route(self, event: MuleEvent, rest: Callable[[MuleEvent], ProcessResult]) -> ProcessResult:
        key = str(self.id_of(event))
        with self._lock:
            if key in self._seen:
                log.debug("idempotent receiver dropped duplicate %s", key)
                return None
            self._seen.add(key)
        return rest(event)


class WireTapRouter(InboundRouter):
    """``wire-tap-router``: a copy goes to the tap (when its filter accepts); the
    original continues. A failing tap is logged, never the caller's problem."""

    kind = "wire-tap-router"

    def __init__(self, tap: Processor, filters: Sequence[Processor] = ()) -> None:
        self.tap = tap
        self.filters = tuple(filters)

    def route(self, event: MuleEvent, rest: Callable[[MuleEvent], ProcessResult]) -> ProcessResult:
        if all(_accepts(f, event) for f in self.filters):
            try:
                run_processor(self.tap, event.copy())
            except MessagingError:
                log.exception("wire tap failed")
        return rest(event)


class ForwardingConsumer(InboundRouter):
    """``forwarding-router``: an accepted message skips the component and goes straight
    to the outbound routers (``stopFurtherProcessing``)."""

    kind = "forwarding-router"

    def __init__(self, filters: Sequence[Processor], forward: Callable[[MuleEvent], ProcessResult]):
        self.filters = tuple(filters)
        self.forward = forward

    def route(self, event: MuleEvent, rest: Callable[[MuleEvent], ProcessResult]) -> ProcessResult:
        if not all(_accepts(f, event) for f in self.filters):
            return rest(event)
        return not_void(self.forward(event))


# ----------------------------------------------------------------------- outbound routers


class OutboundRouter:
    """One outbound router (S-4): ``is_match`` by its filters, ``route`` to its routes,
    inside its transaction configuration when it has one."""

    def __init__(
        self,
        kind: str,
        routes: Sequence[Processor],
        filters: Sequence[Processor] = (),
        transaction: TransactionConfig | None = None,
        reply_to: str | None = None,
    ) -> None:
        self.kind = kind
        self.routes = tuple(routes)
        self.filters = tuple(filters)
        self.transaction = transaction
        self.reply_to = reply_to  # <reply-to address>: where the receiver answers

    def is_match(self, event: MuleEvent) -> bool:
        return all(_accepts(f, event) for f in self.filters)

    def route(self, event: MuleEvent) -> ProcessResult:
        if self.reply_to is not None:
            event.message.reply_to = self.reply_to
        if self.transaction is None:
            return self._route(event)
        template = transactions.endpoint_template(self.transaction)
        result: ProcessResult = template.execute(lambda: self._route(event))
        return result

    def _route(self, event: MuleEvent) -> ProcessResult:
        if not self.routes:
            return event  # a pass-through router without endpoint
        if self.kind == "multicasting-router":
            return self._multicast(event)
        if self.kind == "chaining-router":
            return self._chain(event)
        if self.kind in ("static-recipient-list-router", "recipient-list-exception-based-router"):
            return self._multicast(event)
        # pass-through, filtering, outbound-pass-through...: the first route only.
        return run_processor(self.routes[0], event)

    def _multicast(self, event: MuleEvent) -> ProcessResult:
        """Each route gets its own copy, correlated as one group (a correlation id if
        none is set, the group size, a sequence number); one-way results (void) are
        dropped (P-15)."""
        message = event.message
        if message.correlation_id is None:
            message.correlation_id = message.id
        message.correlation_group_size = len(self.routes)
        results: list[MuleEvent] = []
        for sequence, route in enumerate(self.routes, 1):
            copy = event.copy()
            copy.message.correlation_sequence = sequence
            result = not_void(run_processor(route, copy))
            if result is not None:
                results.append(result)
        if not results:
            return VOID_EVENT
        if len(results) == 1:
            return results[0]
        message = MuleMessage.create([r.message.payload for r in results])
        return event.with_message(message)

    def _chain(self, event: MuleEvent) -> ProcessResult:
        """Each route's result feeds the next; a void or null intermediate ends it."""
        current: ProcessResult = event
        for route in self.routes:
            assert isinstance(current, MuleEvent)
            current = run_processor(route, current)
            if not isinstance(current, MuleEvent):
                return current
        return current


class EndpointSelectorRouter(OutboundRouter):
    """``endpoint-selector-router``: an expression names the endpoint(s) to send to (a
    name or a URI, or a list of them), the ``default`` one when it yields null; each is
    looked up among the router's endpoints (name, then URI), then as a global endpoint
    or a URI (Mule's ``EndpointSelector``). Several results come back as a collection."""

    def __init__(
        self,
        routes: Sequence[Processor],
        names: Sequence[tuple[str | None, str]],
        selector: Callable[[MuleEvent], Any],
        expression: str,
        default: str | None,
        lookup: Callable[[str], Processor | None],
        filters: Sequence[Processor] = (),
        transaction: TransactionConfig | None = None,
    ) -> None:
        super().__init__("endpoint-selector-router", routes, filters, transaction)
        self.names = tuple(names)
        self.selector = selector
        self.expression = expression
        self.default = default
        self.lookup = lookup
        self._dynamic: dict[str, Processor] = {}

    def _route(self, event: MuleEvent) -> ProcessResult:
        selected = self.selector(event)
        if selected is None or selected is NULL_PAYLOAD:
            if self.default is None:
                raise MessagingError(
                    f'Expression "{self.expression}" evaluated to null. Failed to route '
                    "event via endpoint: null",
                    event=event,
                )
            selected = self.default
        if isinstance(selected, str):
            wanted = [selected]
        elif isinstance(selected, list | tuple):
            wanted = [str(v) for v in selected]
        else:
            raise MessagingError(
                f'Property "{self.expression}" is of type {type(selected).__name__}, '
                "expected a String or a List",
                event=event,
            )
        results: list[MuleEvent] = []
        for name in wanted:
            if not name:
                raise MessagingError(f"Endpoint Name: {self.expression} is null", event=event)
            route = self._find(name)
            if route is None:
                raise MessagingError(f'Endpoint "{name}" not found', event=event)
            result = not_void(run_processor(route, event.copy()))
            if result is not None:
                results.append(result)
        if not results:
            return VOID_EVENT
        if len(results) == 1:
            return results[0]
        return event.with_message(MuleMessage.create([r.message.payload for r in results]))

    def _find(self, name: str) -> Processor | None:
        for (ep_name, uri), route in zip(self.names, self.routes, strict=True):
            if name in (ep_name, uri):
                return route
        if name not in self._dynamic:
            found = self.lookup(name)
            if found is None:
                return None
            self._dynamic[name] = found
        return self._dynamic[name]


class OutboundRouterCollection:
    """``<outbound matchAll=…>``: the first matching router handles the event, or every
    matching router (each on a copy) with ``matchAll``; nothing matching goes to the
    catch-all strategy or is dropped with a warning."""

    def __init__(
        self,
        routers: Sequence[OutboundRouter],
        match_all: bool = False,
        catch_all: Processor | None = None,
    ) -> None:
        self.routers = tuple(routers)
        self.match_all = match_all
        self.catch_all = catch_all

    def __bool__(self) -> bool:
        return bool(self.routers) or self.catch_all is not None

    def route(self, event: MuleEvent) -> ProcessResult:
        matched = False
        result: ProcessResult = VOID_EVENT
        for router in self.routers:
            if not router.is_match(event):
                continue
            matched = True
            if not self.match_all:
                return router.route(event)
            routed = router.route(event.copy())
            if isinstance(routed, MuleEvent):
                result = routed
        if matched:
            return result
        if self.catch_all is not None:
            return run_processor(self.catch_all, event)
        log.warning(
            "Message %s did not match any outbound router and was dropped", event.message.id
        )
        return VOID_EVENT


# ----------------------------------------------------------------------- async reply


class ServiceAsyncReply(ReplyWaiter):
    """``<async-reply timeout failOnTimeout>`` (S-1, S-3; Mule's ServiceAsyncRequest
    ReplyRequestor): between the component and the outbound phase. The event keeps
    (or gets) a correlation id, the outbound phase sends it on, then the service waits
    on the async-reply endpoint for the reply with that id (``single-async-reply-
    router``), or for the whole correlation group, whose payloads come back as one
    collection (``collection-async-reply-router``). The caller gets the reply. On
    timeout: ``ResponseTimeoutError``, or no result with ``failOnTimeout="false"``."""

    def __init__(
        self,
        connector: Any,
        path: str,
        timeout_ms: int,
        *,
        fail_on_timeout: bool = True,
        collection: bool = False,
    ) -> None:
        super().__init__(connector, path, timeout_ms)
        self.fail_on_timeout = fail_on_timeout
        self.collection = collection

    def request(
        self, event: MuleEvent, send: Callable[[MuleEvent], ProcessResult]
    ) -> ProcessResult:
        message = event.message
        correlation = message.correlation_id or message.id
        message.correlation_id = correlation
        deadline = self.deadline()
        send(event)
        try:
            replies = [self.await_reply(correlation, event, deadline)]
            if self.collection:
                while len(replies) < replies[0].correlation_group_size:
                    replies.append(self.await_reply(correlation, event, deadline))
        except ResponseTimeoutError:
            if self.fail_on_timeout:
                raise
            log.warning("No async reply for %s within %d ms", correlation, self.timeout_ms)
            return None
        if not self.collection:
            return self.continue_with(event, replies[0])
        collected = MuleMessage.create([r.payload for r in replies])
        collected.correlation_id = correlation
        return event.with_message(collected)


# ----------------------------------------------------------------------- the service


class ServiceStage(SedaStage):
    """The execution SEDA stage, also answering ``store`` as the runtime's flow stages
    do (the application's idle check reads it)."""

    @property
    def store(self) -> Any:
        return self.queue


class Service:
    """A live ``<service>``: what its inbound endpoints call, and its lifecycle."""

    strategy_is_synchronous = False

    def __init__(
        self,
        config: ServiceConfig,
        exception_strategy: ExceptionHandler,
        *,
        inbound_routers: Sequence[InboundRouter] = (),
        component: Processor | None = None,
        outbound: OutboundRouterCollection | None = None,
        stage_factory: Callable[[Callable[[MuleEvent], None]], SedaStage] | None = None,
        replier: Replier | None = None,
        async_reply: ServiceAsyncReply | None = None,
    ) -> None:
        self.config = config
        self.name = config.name
        self.exception_strategy = exception_strategy
        self.inbound_routers = tuple(inbound_routers)
        self.component = component
        self.outbound = outbound or OutboundRouterCollection(())
        self.replier = replier
        self.async_reply = async_reply
        self.stage: SedaStage | None = stage_factory(self._work) if stage_factory else None
        self.sources: list[InboundEndpoint] = []
        state = config.initial_state.strip().lower()
        self.stopped_initially = state == "stopped"
        self.paused_initially = state == "paused"
        self._started = False
        self._source_started = False
        self._paused = False
        self._state = threading.Condition()
        self._runs = 0

    # ------------------------------------------------------------------ state

    @property
    def source(self) -> Any:
        return self.sources[0] if self.sources else None

    @property
    def started(self) -> bool:
        return self._started

    @property
    def source_started(self) -> bool:
        return self._source_started

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def runs(self) -> int:
        """How many events reached the component stage since start."""
        with self._state:
            return self._runs

    # ------------------------------------------------------------------ processing

    def process_from_source(self, event: MuleEvent) -> ProcessResult:
        """An inbound endpoint hands over an event (after its own chain)."""
        return self._route_inbound(event, 0)

    def _complete(self, event: MuleEvent) -> ProcessResult:
        """Component and outbound phase, then the reply-to: a caller that set
        ``MULE_REPLYTO`` gets the result there (DefaultReplyToHandler). It runs where
        the component runs, so after a SEDA hand-off too."""
        result = self.run_component_and_outbound(event)
        if self.replier is not None:
            self.replier(event, result)
        return result

    def process(self, event: MuleEvent) -> ProcessResult:
        return self.process_from_source(event)

    def _route_inbound(self, event: MuleEvent, index: int) -> ProcessResult:
        if index < len(self.inbound_routers):
            router = self.inbound_routers[index]
            return router.route(event, lambda e: self._route_inbound(e, index + 1))
        return self._guarded(event)

    def _guarded(self, event: MuleEvent) -> ProcessResult:
        """S-5 guard, then the lax SEDA stage (S-3)."""
        sync = event.synchronous or event.transacted
        if not self._started:
            raise as_messaging_error(LifecycleError(f"Service '{self.name}' is stopped"), event)
        if sync:
            self._wait_while_paused(event)
        stage = self.stage
        if stage is None or sync:
            return self._complete(event)
        if tracing.current.active:  # trace hook
            tracing.stage_enqueue(self.name, stage, event)
        try:
            stage.enqueue(event.copy())
        except FailedToQueueEventError as exc:
            raise as_messaging_error(exc, event) from exc
        return VOID_EVENT

    def _wait_while_paused(self, event: MuleEvent) -> None:
        with self._state:
            while self._paused and self._started:
                self._state.wait(PAUSED_POLL_S)
            if not self._started:
                raise as_messaging_error(LifecycleError(f"Service '{self.name}' is stopped"), event)

    def _work(self, event: MuleEvent) -> None:
        """The SEDA worker: component and outbound under the service's strategy (E-2)."""
        transactions.execute_handled(
            lambda: self._complete(event), self.exception_strategy, "Service", self.name
        )

    def run_component_and_outbound(self, event: MuleEvent) -> ProcessResult:
        """Component, then the outbound phase; the response rules of S-4."""
        with self._state:
            self._runs += 1
        component_result: MuleEvent = event
        if self.component is not None:
            produced = run_processor(self.component, event)
            if produced is None:
                return None
            if isinstance(produced, MuleEvent):
                component_result = produced
        if self.async_reply is not None:
            return self.async_reply.request(
                component_result, lambda e: self._outbound_phase(event, e)
            )
        return self._outbound_phase(event, component_result)

    def _outbound_phase(self, event: MuleEvent, component_result: MuleEvent) -> ProcessResult:
        """S-4: the outbound routers, and what the caller gets back."""
        if not self.outbound:
            return component_result
        if event.request_response and component_result.message.payload is NULL_PAYLOAD:
            return component_result  # a null component answer skips the outbound phase
        routed = self.outbound.route(component_result)
        if isinstance(routed, MuleEvent):
            return routed
        # A null outbound result counts as void: the caller gets the component result
        # (ServiceOutboundMessageProcessor@mule-3.9.0).
        if self.component is None:
            # QUIRK (S-4): a bridge whose outbound is one-way answers NullPayload.
            answer = component_result.message.copy()
            answer.payload = NULL_PAYLOAD
            return component_result.with_message(answer)
        return component_result

    def forward(self, event: MuleEvent) -> ProcessResult:
        """The outbound phase alone (the forwarding router)."""
        if not self.outbound:
            return event
        return self.outbound.route(event)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Component, then the stage; the sources start afterwards (start_source)."""
        if self._started:
            return
        if self.component is not None:
            self.component.start()
        if self.async_reply is not None:
            self.async_reply.connector.configure_queue(self.async_reply.path)
        if self.stage is not None:
            self.stage.start()
        with self._state:
            self._started = True
            self._runs = 0
        if self.paused_initially:
            self.pause()
        log.info("Service %s started", self.name)

    def start_source(self) -> None:
        self._source_started = True

    def stop_source(self) -> None:
        self._source_started = False

    def pause(self) -> None:
        """S-5: async events keep queueing, the stage stops dequeuing, sync callers wait."""
        with self._state:
            self._paused = True
        if self.stage is not None:
            self.stage.pause()

    def resume(self) -> None:
        with self._state:
            self._paused = False
            self._state.notify_all()
        if self.stage is not None:
            self.stage.resume()

    def stop(self, drain: bool = True, wait_s: float = 5.0) -> None:
        """S-6: sources first, then the stage (a transient queue is drained unless the
        service is paused), then the component."""
        self._source_started = False
        if self.stage is not None:
            self.stage.stop(wait_s)
            self.stage.pool.shutdown(wait_s)
        with self._state:
            self._started = False
            self._state.notify_all()
        if self.component is not None:
            self.component.stop()
        log.info("Service %s stopped", self.name)

    def pools(self) -> list[ThreadPool]:
        return [self.stage.pool] if self.stage is not None else []

    def __repr__(self) -> str:
        return f"<Service {self.name}>"


# ----------------------------------------------------------------------- builder


_FILTER_SUFFIXES = ("-filter",)
_ASYNC_REPLY_ROUTERS = ("single-async-reply-router", "collection-async-reply-router")
DEFAULT_RESPONSE_TIMEOUT_MS = 10_000  # <configuration defaultResponseTimeout>
_ROUTERS_WITH_FILTERS = (
    "filtering-router",
    "selective-consumer-router",
    "forwarding-router",
    "endpoint-selector-router",
)
_SUPPORTED_OUTBOUND = (
    "pass-through-router",
    "outbound-pass-through-router",
    "filtering-router",
    "multicasting-router",
    "chaining-router",
    "static-recipient-list-router",
    "endpoint-selector-router",
)


def _is_filter(config: ProcessorConfig) -> bool:
    return isinstance(config, ElementConfig) and (
        config.name.endswith(_FILTER_SUFFIXES) or config.name == "filter"
    )


class ServiceBuilder:
    """Turns ``ServiceConfig`` values into live services for one application.

    The runtime's builder supplies how to build one processor (endpoints, filters,
    components), the thread-pool factory, the queue manager and the exception strategy
    of each service; everything service-specific happens here.
    """

    def __init__(
        self,
        *,
        build_processor: ProcessorBuilder,
        pool_factory: PoolFactory,
        queue_manager: QueueManager,
        configuration: MuleConfiguration | None = None,
        replier: Replier | None = None,
        compile_expression: Callable[[str], Callable[[MuleEvent], Any]] | None = None,
        global_endpoint: Callable[[str], EndpointConfig | None] | None = None,
        connector_for: Callable[[EndpointConfig], Any] | None = None,
    ) -> None:
        self.compile_expression = compile_expression
        self.global_endpoint = global_endpoint
        self.connector_for = connector_for
        self.build_processor = build_processor
        self.pool_factory = pool_factory
        self.queue_manager = queue_manager
        self.configuration = configuration or MuleConfiguration()
        self.replier = replier
        self._model_capacity: dict[str, int] = {}

    # ------------------------------------------------------------------ settings (S-2)

    def threading(self, config: ServiceConfig) -> ThreadingProfile:
        c = self.configuration
        return merge_threading(
            config.threading_profile, c.default_service_threading, c.default_threading
        )

    def queue_settings(
        self, config: ServiceConfig, model: ModelConfig | None, max_threads: int
    ) -> tuple[int, bool]:
        """(capacity for the stage queue, persistent) after S-2 inheritance."""
        profile = config.queue_profile
        shared_key = None
        if profile is None and model is not None and model.queue_profile is not None:
            profile = model.queue_profile
            shared_key = model.name
        profile = profile or QueueProfile()
        persistent = bool(profile.store.persistent)
        if shared_key is not None and shared_key in self._model_capacity:
            return self._model_capacity[shared_key], persistent
        capacity = seda_queue_capacity(profile.max_outstanding_messages, max_threads)
        if shared_key is not None:
            self._model_capacity[shared_key] = capacity
        return capacity, persistent

    # ------------------------------------------------------------------ build

    def build(
        self,
        config: ServiceConfig,
        exception_strategy: ExceptionHandler,
        model: ModelConfig | None = None,
    ) -> Service:
        profile = self.threading(config)
        component = self.build_processor(config.component) if config.component else None
        outbound = self._outbound(config)
        stage_factory = self._stage_factory(config, model, profile)
        service = Service(
            config,
            exception_strategy,
            component=component,
            outbound=outbound,
            stage_factory=stage_factory,
            replier=self.replier,
            async_reply=self._async_reply(config.async_reply) if config.async_reply else None,
        )
        service.inbound_routers = tuple(self._inbound_routers(config, service))
        return service

    def _stage_factory(
        self, config: ServiceConfig, model: ModelConfig | None, profile: ThreadingProfile
    ) -> Callable[[Callable[[MuleEvent], None]], SedaStage] | None:
        if profile.do_threading is False:
            return None  # TP-5: no SEDA stage
        max_threads = profile.max_threads_active or 16
        capacity, persistent = self.queue_settings(config, model, max_threads)
        timeout_ms = config.queue_timeout_ms or DEFAULT_QUEUE_TIMEOUT_MS

        def factory(worker: Callable[[MuleEvent], None]) -> SedaStage:
            pool = self.pool_factory(config.name, profile)
            stage = ServiceStage.build(
                config.name,
                self.queue_manager,
                pool,
                worker,
                # seda_queue_capacity maps a negative size to unbounded; keep ours as is.
                max_queue_size=capacity if capacity else -1,
                persistent=persistent,
                queue_timeout_ms=timeout_ms,
            )
            stage.on_take = tracing.stage_taken(config.name, stage.queue)  # trace hook
            return stage

        return factory

    def _async_reply(self, config: ElementConfig) -> ServiceAsyncReply:
        """``<async-reply>``: one VM inbound endpoint and a single or collection router."""
        endpoints = [c for c in config.children if isinstance(c, EndpointConfig)]
        if len(endpoints) != 1 or endpoints[0].scheme != "vm":
            raise UnsupportedError(
                "<async-reply> is supported with exactly one vm:// inbound endpoint",
                config.location,
            )
        routers = [
            c.name
            for c in config.children
            if isinstance(c, ElementConfig) and c.name.endswith("async-reply-router")
        ]
        if any(r not in _ASYNC_REPLY_ROUTERS for r in routers):
            raise UnsupportedError(
                f"<{routers[0]}> is not supported (single-async-reply-router, "
                "collection-async-reply-router)",
                config.location,
            )
        if self.connector_for is None:
            raise UnsupportedError("<async-reply> needs VM connectors", config.location)
        timeout = config.attr("timeout")
        if timeout is None:
            default = self.configuration.default_response_timeout_ms
            timeout_ms = default if default is not None else DEFAULT_RESPONSE_TIMEOUT_MS
        else:
            timeout_ms = int(timeout)
        return ServiceAsyncReply(
            self.connector_for(endpoints[0]),
            endpoints[0].path,
            timeout_ms,
            fail_on_timeout=(config.attr("failOnTimeout") or "true").strip().lower() != "false",
            collection="collection-async-reply-router" in routers,
        )

    def _inbound_routers(self, config: ServiceConfig, service: Service) -> list[InboundRouter]:
        catch_all_cfg = next(
            (
                r
                for r in config.inbound_routers
                if isinstance(r, ElementConfig) and r.name.endswith("catch-all-strategy")
            ),
            None,
        )
        catch_all = self._catch_all(catch_all_cfg) if catch_all_cfg is not None else None
        routers: list[InboundRouter] = []
        for item in config.inbound_routers:
            if item is catch_all_cfg:
                continue
            if not isinstance(item, ElementConfig):
                raise UnsupportedError(
                    "an endpoint inside <inbound> is not an inbound endpoint", item.location
                )
            filters = [self.build_processor(c) for c in item.children if _is_filter(c)]
            if item.name == "selective-consumer-router":
                routers.append(SelectiveConsumer(filters, catch_all))
            elif item.name == "idempotent-receiver-router":
                routers.append(IdempotentReceiver())
            elif item.name == "wire-tap-router":
                taps = [c for c in item.children if isinstance(c, EndpointConfig)]
                if len(taps) != 1:
                    raise ConfigError("wire-tap-router needs exactly one endpoint", item.location)
                routers.append(WireTapRouter(self.build_processor(taps[0]), filters))
            elif item.name == "forwarding-router":
                routers.append(ForwardingConsumer(filters, service.forward))
            elif _is_filter(item):
                routers.append(SelectiveConsumer([self.build_processor(item)], catch_all))
            else:
                raise UnsupportedError(
                    f"inbound router <{item.qname}> is not supported by the service model",
                    item.location,
                )
        return routers

    def _catch_all(self, config: ElementConfig) -> Processor:
        if config.name in ("forwarding-catch-all-strategy", "custom-forwarding-catch-all-strategy"):
            endpoints = [c for c in config.children if isinstance(c, EndpointConfig)]
            if not endpoints:
                raise ConfigError(f"<{config.qname}> needs an endpoint", config.location)
            return self.build_processor(endpoints[0])
        if config.name == "logging-catch-all-strategy":
            return _LoggingCatchAll()
        raise UnsupportedError(f"<{config.qname}> is not supported", config.location)

    def _outbound(self, config: ServiceConfig) -> OutboundRouterCollection:
        routers = [self._outbound_router(r) for r in config.outbound]
        catch_all = (
            self._catch_all(config.outbound_catch_all) if config.outbound_catch_all else None
        )
        return OutboundRouterCollection(routers, config.outbound_match_all, catch_all)

    def _outbound_router(self, config: ElementConfig) -> OutboundRouter:
        if config.name not in _SUPPORTED_OUTBOUND:
            raise UnsupportedError(
                f"outbound router <{config.qname}> is not supported by the service model",
                config.location,
            )
        transaction: TransactionConfig | None = None
        reply_to: str | None = None
        for child in config.children:
            if isinstance(child, ElementConfig):
                transaction = transaction_of(child) or transaction
                if child.name == "reply-to":
                    reply_to = self._reply_to_address(child)
        filters = [self.build_processor(c) for c in config.children if _is_filter(c)]
        if filters and config.name not in _ROUTERS_WITH_FILTERS:
            raise ConfigError(f"<{config.qname}> takes no filter", config.location)
        routes: list[Processor] = []
        for child in config.children:
            if isinstance(child, EndpointConfig):
                routes.append(self.build_processor(child))
        if config.name == "static-recipient-list-router":
            sync = (config.attr("synchronous") or "false").strip().lower() == "true"
            for uri in self._recipients(config):
                endpoint = endpoint_for_uri(
                    uri, request_response=sync, transaction=transaction, where=config.location
                )
                routes.append(self.build_processor(endpoint))
        if config.name == "endpoint-selector-router":
            router = self._endpoint_selector(config, routes, filters, transaction)
            router.reply_to = reply_to
            return router
        if (
            config.name in ("pass-through-router", "outbound-pass-through-router")
            and len(routes) > 1
        ):
            raise ConfigError("pass-through-router takes at most one endpoint", config.location)
        return OutboundRouter(config.name, routes, filters, transaction, reply_to)

    def _reply_to_address(self, config: ElementConfig) -> str:
        """An outbound router's ``<reply-to address|ref>`` as an address."""
        address = config.attr("address")
        if address:
            return address
        ref = config.attr("ref")
        found = self.global_endpoint(ref) if ref and self.global_endpoint is not None else None
        if found is None:
            raise ConfigError("<reply-to> needs an address or a global endpoint", config.location)
        return found.address or f"{found.scheme}://{found.path}"

    def _endpoint_selector(
        self,
        config: ElementConfig,
        routes: list[Processor],
        filters: list[Processor],
        transaction: TransactionConfig | None,
    ) -> OutboundRouter:
        expression = config.attr("expression")
        evaluator = config.attr("evaluator")
        if not expression:
            raise ConfigError("endpoint-selector-router needs an 'expression'", config.location)
        text = expression.strip()
        if evaluator and evaluator.strip() not in ("mel", "groovy"):
            text = f"#[{evaluator.strip()}:{text}]"
        elif not text.startswith("#["):
            text = f"#[{text}]"
        if self.compile_expression is None:
            raise UnsupportedError("endpoint-selector-router needs expressions", config.location)
        selector = self.compile_expression(text)
        names = [
            (c.name or c.ref, f"{c.scheme}://{c.path}")
            for c in config.children
            if isinstance(c, EndpointConfig)
        ]

        def lookup(name: str) -> Processor | None:
            found = self.global_endpoint(name) if self.global_endpoint is not None else None
            if found is not None:
                found = dataclasses.replace(found, role="outbound")
            elif "://" in name:
                found = endpoint_for_uri(
                    name, request_response=False, transaction=transaction, where=config.location
                )
            if found is None:
                return None
            processor = self.build_processor(found)
            processor.start()
            return processor

        return EndpointSelectorRouter(
            routes, names, selector, text, config.attr("default"), lookup, filters, transaction
        )

    @staticmethod
    def _recipients(config: ElementConfig) -> list[str]:
        out: list[str] = []
        attr = config.attr("recipients")
        if attr:
            out.extend(u.strip() for u in attr.split(",") if u.strip())
        holder = config.child("recipients")
        if holder is not None:
            for value in holder.children:
                if isinstance(value, ElementConfig) and value.text:
                    out.append(value.text.strip())
        return out


def build_services(ctx: Any, replier: Replier | None = None) -> list[Service]:
    """Build every service of ``ctx.app`` with the runtime's ``BuildContext`` (processor
    builder, pool factory, queue manager, exception-strategy factory) and wire their
    inbound endpoints to them (``Service.sources``, each with its own receiver)."""
    app = ctx.app
    builder = ServiceBuilder(
        build_processor=ctx.processor,
        pool_factory=ctx.pool_factory,
        queue_manager=ctx.queue_manager,
        configuration=app.configuration,
        replier=replier,
        compile_expression=ctx.evaluator.expression,
        global_endpoint=ctx.global_endpoint,
        connector_for=ctx.connector_for,
    )
    constructs: list[Service] = []
    for model in app.models.values():
        for config in model.services:
            if config.class_name:
                log.info(
                    "service %s: class %s runs as a plain SEDA service",
                    config.name,
                    config.class_name,
                )
            strategy = ctx.exception_factory.for_construct(
                config.exception_strategy, model.exception_strategy
            )
            service = builder.build(config, strategy, model)
            constructs.append(service)
            for endpoint_config in config.inbound:
                endpoint = ctx.inbound_endpoint(endpoint_config)
                endpoint.flow = service
                redelivery.install(ctx, endpoint)
                endpoint.connector.register_receiver(endpoint)
                service.sources.append(endpoint)
    return constructs


class _LoggingCatchAll(Processor):
    kind = "logging-catch-all-strategy"

    def process(self, event: MuleEvent) -> ProcessResult:
        log.warning("Message %s was not dispatched on any route", event.message.id)
        return None


__all__ = [
    "ForwardingConsumer",
    "IdempotentReceiver",
    "InboundRouter",
    "OutboundRouter",
    "OutboundRouterCollection",
    "SelectiveConsumer",
    "Service",
    "ServiceAsyncReply",
    "ServiceBuilder",
    "ServiceStage",
    "WireTapRouter",
    "build_services",
    "endpoint_for_uri",
    "transaction_of",
]

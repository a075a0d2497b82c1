"""MuleApp: one running application, and ``load_app`` (files → AppConfig → live objects).

The application owns ONE ``Engine`` (``execution/engine.py``), the only owner of
threads: connectors register their dispatchers, flows and services their SEDA stages
and pools, and every one-way inbound endpoint gets a receiver (``PollingReceiver``, or
``TransactedReceiver`` when the endpoint is transacted, R2-R4) on its connector's
receiver pool. Pools made by the builder's pool factory (async scopes, until-successful
...) are adopted by the engine too, so ``wait_until_idle`` and ``stop`` see them.

Start order follows Mule: connectors, then each flow's pipeline (processors, stage),
then the message sources once everything else runs (F-3); the engine starts
dispatchers → stages → receivers. A graceful stop reverses it: receivers first, then
stages (transient queues drained, S-6), then dispatchers, each followed by its pools,
and finally the queue manager. A crash stop closes the queues first, so that the
threads end without draining: whatever was only in memory is lost, as in a killed
process.
"""

from __future__ import annotations

import functools
import importlib
import logging
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from mule_emulator import tracing  # teaching views: run --trace hook
from mule_emulator.errors import (
    ConfigError,
    LifecycleError,
    UnsupportedError,
)
from mule_emulator.execution.engine import Engine, EngineStatistics
from mule_emulator.execution.receiver import (
    PollingReceiver,
    TransactedReceiver,
    transacted_worker_count,
)
from mule_emulator.execution.seda_stage import SedaStage
from mule_emulator.execution.thread_pool import ThreadPool
from mule_emulator.model.config import (
    CORE_NS,
    DEFAULT_SHUTDOWN_TIMEOUT_MS,
    AppConfig,
    ElementConfig,
    EndpointConfig,
    ProcessorConfig,
    ThreadingProfile,
    merge_threading,
)
from mule_emulator.queues.manager import QueueManager
from mule_emulator.queues.store import QueueStatistics, QueueStore
from mule_emulator.runtime import redelivery, transactional_scope, transactions
from mule_emulator.runtime.builder import BuildContext, check_supported, connector_configs
from mule_emulator.runtime.classes import ClassMap
from mule_emulator.runtime.client import MuleClient
from mule_emulator.runtime.endpoints import InboundEndpoint
from mule_emulator.runtime.evaluation import Evaluator
from mule_emulator.runtime.flow import Flow
from mule_emulator.runtime.message import MuleEvent, MuleMessage
from mule_emulator.runtime.processors.poll import build_poll_source
from mule_emulator.runtime.processors.requestreply import deliver_reply

_SCOPES = (transactional_scope.TransactionalScope,)  # registers <transactional>

log = logging.getLogger("mule.application")

RECEIVER_START_DELAY_PROPERTY = "mule.vm.receiverStartDelayMs"
POLL_SLICE_S = 0.02


class MuleApp:
    """A Mule application built from an AppConfig; start it to run its flows."""

    def __init__(
        self,
        config: AppConfig,
        *,
        class_map: ClassMap | None = None,
        work_dir: Path | None = None,
        properties: Mapping[str, str] | None = None,
    ) -> None:
        self.config = config
        self.name = config.name
        self.class_map = class_map or ClassMap()
        self.work_dir = work_dir
        self.properties = dict(properties or {})
        self.client = MuleClient(self)
        self._lock = threading.RLock()
        #: Whether the application is started (between ``start`` and ``stop``); a
        #: plain attribute, read by every client call.
        self.running = False
        self._stale = False
        self._receivers: list[PollingReceiver | TransactedReceiver] = []
        self._consumed_before_stop: set[str] = set()  # receivers' queues (leftover report)
        _check_startable(config, self.class_map)
        self._build()

    # ------------------------------------------------------------------ building

    def _pool(self, name: str, profile: ThreadingProfile | None) -> ThreadPool:
        """The builder's pool factory: every pool it makes belongs to the engine."""
        return self.engine.adopt_pool(ThreadPool(name, profile))

    def _persistent_factory(self) -> Any:
        persistent = _optional_module("mule_emulator.queues.persistent")
        if persistent is None:
            return None
        factory = getattr(persistent, "PersistentQueueStore", None)
        if factory is None:
            return None
        base = (self.work_dir or Path(".mule")) / "queuestore"

        def make(name: str, capacity: int) -> QueueStore:
            store: QueueStore = factory(name, capacity, base)
            return store

        return make

    def _build(self) -> None:
        """AppConfig → connectors, flows, endpoints (unstarted)."""
        from mule_emulator.runtime.exception_strategies import ExceptionStrategyFactory

        self.queue_manager = QueueManager(self._persistent_factory())
        self.engine = Engine(self._shutdown_timeout_s(), self.queue_manager)
        evaluator = Evaluator({"name": self.name, "work_dir": str(self.work_dir or "")})
        ctx = BuildContext(
            app=self.config,
            evaluator=evaluator,
            class_map=self.class_map,
            queue_manager=self.queue_manager,
            pool_factory=self._pool,
        )
        self.build_context = ctx
        ctx.exception_factory = ExceptionStrategyFactory(
            self.config,
            build_chain=lambda cfgs: ctx.chain(cfgs),
            compile_boolean=evaluator.boolean,
            resolve_class=self.class_map.resolve,
        )
        ctx.extra["engine"] = self.engine
        for connector_config in connector_configs(self.config).values():
            ctx.add_connector(connector_config)
        flows: list[Flow] = []
        for flow_config in self.config.flows.values():
            strategy = ctx.resolve_strategy(flow_config)
            flow = Flow(
                flow_config,
                strategy,
                ctx.exception_factory.for_construct(flow_config.exception_strategy),
                pool_factory=self._pool,
                queue_manager=self.queue_manager,
                engine=self.engine,
            )
            ctx.flows[flow.name] = flow
            flows.append(flow)
        replier = functools.partial(deliver_reply, dispatch=self.client.dispatch)
        for flow in flows:
            fc = flow.config
            ctx.extra["construct"] = flow.name  # names the flow's async scopes (P-13)
            flow.chain = ctx.chain(fc.processors, flow.name)
            flow.replier = replier
            if fc.source is not None:
                self._build_source(ctx, flow, fc.source)
            flow.build_stage()
        ctx.extra.pop("construct", None)
        self.flows: dict[str, Flow] = ctx.flows
        from mule_emulator.runtime.services import build_services

        self.constructs: list[Any] = [*flows, *build_services(ctx, replier)]
        self.client.reset()
        self._stale = False

    def _build_source(self, ctx: BuildContext, flow: Flow, source: ProcessorConfig) -> None:
        """F-1: an inbound endpoint, the endpoints of a ``<composite-source>`` (each
        checked by F-8 and given its own receiver), or a ``<poll>``."""
        if isinstance(source, ElementConfig) and (source.namespace, source.name) == (
            CORE_NS,
            "poll",
        ):
            flow.poll = build_poll_source(ctx, source, flow)
            return
        endpoints: list[EndpointConfig] = []
        if isinstance(source, EndpointConfig):
            endpoints.append(source)
        elif (source.namespace, source.name) == (CORE_NS, "composite-source"):
            for child in source.children:
                if not isinstance(child, EndpointConfig):
                    raise UnsupportedError(
                        f"<{child.qname}> inside <composite-source> is not supported "
                        "(only inbound endpoints)",
                        child.location,
                    )
                endpoints.append(child)
        else:
            raise UnsupportedError(
                f"message source <{source.qname}> is not supported", source.location
            )
        for config in endpoints:
            endpoint = ctx.inbound_endpoint(config)
            self._validate_strategy(flow, endpoint)
            endpoint.flow = flow
            redelivery.install(ctx, endpoint)  # issue 7: X5 policy, F-8 switch
            flow.sources.append(endpoint)
            endpoint.connector.register_receiver(endpoint)

    @staticmethod
    def _validate_strategy(flow: Flow, endpoint: InboundEndpoint) -> None:
        """F-8: an explicit async strategy refuses request-response/transacted sources;
        non-blocking needs a non-blocking source (an HTTP listener), never a VM one."""
        if flow.strategy.kind == "non-blocking":
            raise ConfigError(
                f"Flow '{flow.name}': the non-blocking processing strategy needs a "
                f"non-blocking message source; {endpoint.uri} is not one",
                flow.config.location,
            )
        if flow.strategy.strict_async and (not endpoint.one_way or endpoint.transacted):
            raise ConfigError(
                f"Flow '{flow.name}': One of the inbound endpoint configured on this Flow is not "
                f"compatible with an asynchronous processing strategy. Either because it's "
                f"request-response or because it's transactional ({endpoint.uri})",
                flow.config.location,
            )

    # ------------------------------------------------------------------ lifecycle

    def _shutdown_timeout_s(self) -> float:
        ms = self.config.configuration.shutdown_timeout_ms
        return (ms if ms is not None else DEFAULT_SHUTDOWN_TIMEOUT_MS) / 1000.0

    def check_running(self) -> None:
        if not self.running:
            raise LifecycleError(f"Application '{self.name}' is not started")

    def start(self) -> None:
        """Connectors → flow pipelines → message sources (F-3), then the engine starts
        the threads: dispatchers → stages → receivers. A part that fails to start stops
        what had started and the error is raised."""
        with self._lock:
            if self.running:
                return
            if self._stale:
                self._build()
            engine = self.engine
            self.build_context.running = True
            for connector in self.build_context.connectors.values():
                connector.attach(engine)
                connector.start()
            for construct in self.constructs:
                if construct.stopped_initially:
                    continue
                for stage in self._service_stages(construct):
                    engine.register_pool(stage.pool, "stage")
                    engine.register_stage(stage)
                construct.start()
            delay_ms = float(self.properties.get(RECEIVER_START_DELAY_PROPERTY, "1000"))
            self._receivers = []
            for construct in self.constructs:
                if not construct.started:
                    continue
                endpoints: list[InboundEndpoint] = construct.sources
                poll = getattr(construct, "poll", None)
                if not endpoints and poll is None:
                    continue
                construct.start_source()  # a poll's scheduler joins the engine here
                if poll is not None:
                    log.info("Flow %s polling every %d ms", construct.name, poll.frequency_ms)
                for endpoint in endpoints:
                    if endpoint.one_way:
                        receiver = self._receiver(endpoint, delay_ms / 1000.0)
                        engine.register_receiver(receiver)
                        self._receivers.append(receiver)
                    log.info(
                        "Flow %s listening on %s (%s) with connector %s",
                        construct.name,
                        endpoint.uri,
                        endpoint.config.effective_exchange_pattern,
                        endpoint.connector.name,
                    )
            try:
                engine.start()
            except BaseException:
                self._stopped_parts(drain=False)
                raise
            self.running = True
            log.info("Application %s started", self.name)

    @staticmethod
    def _service_stages(construct: Any) -> list[SedaStage]:
        """The SEDA stage of a service (a flow registers its own stages)."""
        if isinstance(construct, Flow):
            return []
        stage = getattr(construct, "stage", None)
        return [stage] if isinstance(stage, SedaStage) else []

    def _receiver(
        self, endpoint: InboundEndpoint, delay_s: float
    ) -> PollingReceiver | TransactedReceiver:
        """R2: transacted or not is fixed now, from the endpoint's transaction."""
        connector = endpoint.connector
        store = connector.queue(endpoint.path)
        name = f"{connector.name}.receiver({endpoint.path})"
        if not endpoint.transacted:
            return PollingReceiver(
                name,
                store,
                connector.receiver_pool,
                functools.partial(self._route_polled, endpoint),
                queue_timeout_s=connector.queue_timeout_s,
                initial_delay_s=delay_s,
                on_take=functools.partial(self._trace_take, endpoint, store),
                on_take_traces_only=True,
            )
        flow = endpoint.flow
        assert flow is not None
        template = transactions.main_template(endpoint.config.transaction, flow.exception_strategy)
        poller = transactions.TransactedPoller(
            store, template, endpoint.route, connector.queue_timeout_s
        )
        config = connector.config
        profile = merge_threading(connector.receiver_threading)
        workers = transacted_worker_count(
            config.effective_tx_receivers,
            config.create_multiple_transacted_receivers is not False,
            profile.do_threading is not False,
        )
        return TransactedReceiver(
            name,
            store,
            connector.receiver_pool,
            poller.poll_once,
            workers=workers,
            idle_wait_s=poller.idle_sleep_s,
            initial_delay_s=delay_s,
        )

    @staticmethod
    def _trace_take(endpoint: InboundEndpoint, store: QueueStore, message: Any) -> None:
        if tracing.current.active:  # trace hook
            tracing.current.emit(
                "dequeue",
                flow=getattr(endpoint.flow, "name", None),
                queue=f"vm://{endpoint.path}",
                depth_after=store.size(),
                message=getattr(message, "id", None),
            )

    @staticmethod
    def _route_polled(endpoint: InboundEndpoint, message: Any) -> None:
        """One polled message on a receiver-pool thread (R3): the endpoint chain and the
        flow inside the endpoint's execution template."""
        flow = endpoint.flow
        assert flow is not None
        transactions.execute_handled(
            lambda: endpoint.route(message),
            flow.exception_strategy,
            "Message from",
            endpoint.uri,
            endpoint.config.transaction,
        )

    def stop(self, mode: str = "graceful") -> None:
        """``graceful``: the engine stops receivers, then stages (transient queues
        drained, S-6), then dispatchers, each followed by its pools; then the flows'
        processors, the connectors and the queue manager.
        ``crash``: the queues close first, so threads end without draining; in-memory
        messages are lost."""
        if mode not in ("graceful", "crash"):
            raise ValueError(f"stop mode must be 'graceful' or 'crash', not {mode!r}")
        with self._lock:
            if not self.running:
                return
            self.running = False
            self._stopped_parts(drain=mode == "graceful")
            log.info("Application %s stopped (%s)", self.name, mode)

    def _stopped_parts(self, drain: bool) -> None:
        bound = self.engine.shutdown_timeout_s
        if not drain:
            bound = min(1.0, bound)
        if not drain:
            self.queue_manager.close()
        clean = self.engine.stop(bound)
        if not clean:
            log.warning("Application %s: some threads did not stop within %.1f s", self.name, bound)
        for construct in self.constructs:
            construct.stop_source()
        for construct in self.constructs:
            if construct.started:
                construct.stop(wait_s=0.0)
        self.build_context.running = False
        for connector in self.build_context.connectors.values():
            connector.stop(0.0)
        self.queue_manager.close()
        self._consumed_before_stop = {r.queue.name for r in self._receivers}
        self._receivers = []
        self._stale = True

    def __enter__(self) -> MuleApp:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ driving

    def run_flow(
        self, name: str, payload: Any, properties: Mapping[str, Any] | None = None
    ) -> MuleMessage | None:
        """T-4: run a flow with a request-response test event, in this thread.
        Raises ``MessagingError`` when the flow's exception strategy rethrows."""
        self.check_running()
        flow = self.flows.get(name)
        if flow is None:
            raise LifecycleError(f"No flow named '{name}'")
        message = MuleMessage.create(payload)
        for key, value in (properties or {}).items():
            message.inbound[key] = value
        event = MuleEvent.of(message, flow=flow, exchange_pattern="request-response")
        template = transactions.main_template(None, flow.exception_strategy)
        result = template.execute(lambda: flow.process(event))
        return result.message if isinstance(result, MuleEvent) else None

    def flow_runs(self, name: str) -> int:
        for construct in self.constructs:
            if construct.name == name:
                return int(construct.runs)
        raise LifecycleError(f"No flow or service named '{name}'")

    def request(self, address: str, timeout_s: float) -> MuleMessage | None:
        return self.client.request(address, timeout_s)

    def purge(self, address: str) -> int:
        _connector, path = self.client.connector_and_path(address)
        return self.queue_manager.purge(path)

    def queue_statistics(self) -> list[QueueStatistics]:
        return self.queue_manager.statistics()

    @property
    def receivers(self) -> tuple[PollingReceiver | TransactedReceiver, ...]:
        """The receivers of the one-way inbound endpoints, while running."""
        return tuple(self._receivers)

    def statistics(self) -> EngineStatistics:
        """Every queue (VM paths, SEDA stage queues) and every pool, as snapshots."""
        return self.engine.statistics()

    def consumed_queues(self) -> set[str]:
        """Queues something takes from: started one-way receivers (plain or transacted;
        after a stop, those of the last run) and SEDA stages."""
        names = {r.queue.name for r in self._receivers} | self._consumed_before_stop
        for construct in self.constructs:
            stages = getattr(construct, "stages", None)
            if stages is None:
                stage = getattr(construct, "stage", None)
                stages = [stage] if stage is not None else []
            names.update(stage.queue.name for stage in stages)
        return names

    def leftover(self) -> dict[str, int]:
        """Queues holding messages that nothing consumes."""
        consumed = self.consumed_queues()
        return {
            s.name: s.depth for s in self.queue_statistics() if s.depth and s.name not in consumed
        }

    def wait_until_idle(self, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` until nothing runs or waits in the engine (pools,
        receivers' queues, stage queues) at one moment; see ``Engine.wait_until_idle``."""
        return self.engine.wait_until_idle(timeout_s)


# ----------------------------------------------------------------------------- loading


def _optional_module(name: str) -> Any:
    """A module another part of the project provides, or None while it is missing."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise


def _check_startable(config: AppConfig, class_map: ClassMap) -> None:
    """Refuse to start with ONE error naming every unsupported element and every
    unmapped Java class, each with its line (issue: unsupported content is named)."""
    found: list[UnsupportedError] = []
    try:
        check_supported(config)
    except UnsupportedError as exc:
        found.append(exc)
    try:
        class_map.check(config.classes)
    except UnsupportedError as exc:
        found.append(exc)
    if len(found) == 1:
        raise found[0]
    if found:
        raise UnsupportedError(
            "; and ".join(exc.message for exc in found),
            problems=tuple(p for exc in found for p in exc.problems),
        )


def load_app(
    paths: Sequence[str | Path],
    *,
    properties: Mapping[str, str] | None = None,
    classes: Mapping[str, str] | None = None,
    work_dir: Path | None = None,
    name: str | None = None,
    class_map: ClassMap | None = None,
) -> MuleApp:
    """Parse (and validate) config files and build an unstarted application."""
    from mule_emulator.model import collect_documents, parse_app

    files = [Path(p) for p in paths]
    documents = collect_documents(files, properties)
    _validate(documents)
    app_name = name or (files[0].stem if files else "app")
    config: AppConfig = parse_app(documents, dict(properties or {}), app_name)
    cmap = class_map or ClassMap()
    if classes:
        cmap = cmap.layered(classes, origin="classes")
    return MuleApp(config, class_map=cmap, work_dir=work_dir, properties=properties)


def _validate(documents: Sequence[Any]) -> None:
    validation = _optional_module("mule_emulator.loading.validation")
    validate = getattr(validation, "validate_document", None)
    if validate is None:
        return
    problems: list[tuple[Any, str]] = []
    for doc in documents:
        for problem in validate(doc):
            if getattr(problem, "severity", "error") == "error":
                location = getattr(problem, "location", None)
                problems.append((location, str(getattr(problem, "message", problem))))
    if problems:
        from mule_emulator.errors import SourceLocation

        raise ConfigError(
            f"{len(problems)} validation error(s)",
            problems=tuple((loc or SourceLocation(), text) for loc, text in problems),
        )


__all__ = ["MuleApp", "load_app"]

"""MuleApp: one running application, and ``load_app`` (files → AppConfig → live objects).

Start order follows Mule: connectors, then each flow's pipeline (processors, stage),
then the message sources once everything else runs (F-3). A graceful stop reverses it:
receivers first, then stages (transient queues drained), pools, and finally the queue
manager. A crash stop ends the threads without draining: whatever was only in memory is
lost, as in a killed process.
"""

from __future__ import annotations

import functools
import importlib
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from mule_emulator import tracing  # teaching views: run --trace hook
from mule_emulator.errors import (
    ConfigError,
    LifecycleError,
    MessagingError,
    QueueClosedError,
)
from mule_emulator.execution.thread_pool import ThreadPool
from mule_emulator.model.config import AppConfig, ThreadingProfile
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

_SCOPES = (transactional_scope.TransactionalScope,)  # registers <transactional>

log = logging.getLogger("mule.application")

RECEIVER_START_DELAY_PROPERTY = "mule.vm.receiverStartDelayMs"
POLL_SLICE_S = 0.02


class OneWayReceiver:
    """A VM one-way receiver (R1, R3): a polling loop on the connector's receiver pool;
    each polled message is processed as its own task on that pool."""

    def __init__(self, endpoint: InboundEndpoint, start_delay_s: float) -> None:
        self.endpoint = endpoint
        self.connector = endpoint.connector
        self.start_delay_s = start_delay_s
        self._running = False
        self._stopped = threading.Event()
        self._done = threading.Event()
        self._done.set()

    @property
    def store(self) -> QueueStore:
        return self.connector.queue(self.endpoint.path)

    def start(self) -> None:
        # Q6: the receiver's connect creates its queue, so a persistent queue comes back
        # from disk now and what it holds counts for the idle check (P6).
        self.connector.queue(self.endpoint.path)
        self._running = True
        self._stopped.clear()
        self._done.clear()
        self.connector.receiver_pool.submit(self._loop)

    def _loop(self) -> None:
        try:
            if self._stopped.wait(self.start_delay_s):
                return
            while self._running:
                self.poll_once()
        finally:
            self._done.set()

    def poll_once(self) -> int:
        """One poll cycle (R3); returns how many messages were taken."""
        store = self.store
        pool = self.connector.receiver_pool
        available = store.size()
        batch = max(1, min(available, pool.max_threads // 2 - 1)) if available > 0 else 0
        try:
            # A short slice of queueTimeout: the loop polls again at once, so nothing
            # observable changes, and a stop is noticed within the slice.
            first = store.take(min(self.connector.queue_timeout_s, POLL_SLICE_S))
        except QueueClosedError:
            self._running = False
            return 0
        if first is None:
            return 0
        items = [first, *store.take_batch(batch)] if batch else [first]
        for item in items:
            if tracing.current.active:  # trace hook
                tracing.current.emit(
                    "dequeue",
                    flow=getattr(self.endpoint.flow, "name", None),
                    queue=f"vm://{self.endpoint.path}",
                    depth_after=store.size(),
                    message=getattr(item, "id", None),
                )
            pool.submit(functools.partial(self.route, item))
        return len(items)

    def route(self, message: Any) -> None:
        flow = self.endpoint.flow
        assert flow is not None
        template = transactions.main_template(
            self.endpoint.config.transaction, flow.exception_strategy
        )
        try:
            template.execute(lambda: self.endpoint.route(message))
        except MessagingError as error:
            log.debug("Message from %s failed: %s", self.endpoint.uri, error)
        except Exception:
            log.exception("Message from %s failed", self.endpoint.uri)

    def signal_stop(self) -> None:
        self._running = False
        self._stopped.set()

    def stop(self, wait_s: float = 5.0) -> None:
        self.signal_stop()
        self._done.wait(wait_s)


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
        self._running = False
        self._stale = False
        self._pools: list[ThreadPool] = []
        self._receivers: list[Any] = []
        check_supported(config)
        self.class_map.check(config.classes)
        self._build()

    # ------------------------------------------------------------------ building

    def _pool(self, name: str, profile: ThreadingProfile | None) -> ThreadPool:
        pool = ThreadPool(name, profile)
        self._pools.append(pool)
        return pool

    def _queue(self, name: str, capacity: int) -> QueueStore:
        self.queue_manager.configure(name, capacity, False)
        return self.queue_manager.get(name)

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

        self._pools = []
        self.queue_manager = QueueManager(self._persistent_factory())
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
            compile_boolean=lambda text: evaluator.boolean(text),
            resolve_class=self.class_map.resolve,
        )
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
                queue_factory=self._queue,
            )
            ctx.flows[flow.name] = flow
            flows.append(flow)
        for flow in flows:
            fc = flow.config
            flow.chain = ctx.chain(fc.processors, flow.name)
            if fc.source is not None:
                from mule_emulator.model.config import EndpointConfig

                if not isinstance(fc.source, EndpointConfig):
                    raise ConfigError(
                        f"message source <{fc.source.qname}> is not supported", fc.source.location
                    )
                endpoint = ctx.inbound_endpoint(fc.source)
                self._validate_strategy(flow, endpoint)
                endpoint.flow = flow
                redelivery.install(ctx, endpoint)  # issue 7: X5 policy, F-8 switch
                flow.source = endpoint
                endpoint.connector.register_receiver(endpoint)
            flow.build_stage()
        self.flows: dict[str, Flow] = ctx.flows
        from mule_emulator.runtime.services import build_services

        self.constructs: list[Any] = [*flows, *build_services(ctx, self._deliver_reply_to)]
        self.client.reset()
        self._stale = False

    def _deliver_reply_to(self, address: str, event: MuleEvent) -> None:
        """A service result for a MULE_REPLYTO address (services.py)."""
        self.client.dispatch(address, event.message.payload, dict(event.message.outbound))

    @staticmethod
    def _validate_strategy(flow: Flow, endpoint: InboundEndpoint) -> None:
        """F-8: an explicit async strategy refuses request-response/transacted sources."""
        strategy = flow.strategy
        if (
            strategy.explicit
            and strategy.kind
            in (
                "asynchronous",
                "queued-asynchronous",
                "thread-per-processor",
                "queued-thread-per-processor",
            )
            and (not endpoint.one_way or endpoint.transacted)
        ):
            raise ConfigError(
                f"Flow '{flow.name}': One of the inbound endpoint configured on this Flow is not "
                f"compatible with an asynchronous processing strategy. Either because it's "
                f"request-response or because it's transactional ({endpoint.uri})",
                flow.config.location,
            )

    # ------------------------------------------------------------------ lifecycle

    @property
    def running(self) -> bool:
        return self._running

    @property
    def engine(self) -> MuleApp:
        """The object that owns every thread of the application (this app for now)."""
        return self

    def check_running(self) -> None:
        if not self._running:
            raise LifecycleError(f"Application '{self.name}' is not started")

    def start(self) -> None:
        """Connectors → flow pipelines → message sources (F-3)."""
        with self._lock:
            if self._running:
                return
            if self._stale:
                self._build()
            self.build_context.running = True
            for connector in self.build_context.connectors.values():
                connector.start()
            for construct in self.constructs:
                if not construct.stopped_initially:
                    construct.start()
            delay_ms = float(self.properties.get(RECEIVER_START_DELAY_PROPERTY, "1000"))
            self._receivers = []
            for flow in self.constructs:
                if not flow.started or flow.source is None:
                    continue
                flow.start_source()
                endpoint = flow.source
                if endpoint.one_way:
                    receiver = self._receiver(endpoint, delay_ms / 1000.0)
                    receiver.start()
                    self._receivers.append(receiver)
                log.info(
                    "Flow %s listening on %s (%s) with connector %s",
                    flow.name,
                    endpoint.uri,
                    endpoint.config.effective_exchange_pattern,
                    endpoint.connector.name,
                )
            self._running = True
            log.info("Application %s started", self.name)

    def _receiver(self, endpoint: InboundEndpoint, delay_s: float) -> Any:
        if endpoint.transacted:
            return TransactedReceiver(endpoint)
        return OneWayReceiver(endpoint, delay_s)

    def stop(self, mode: str = "graceful") -> None:
        """``graceful``: receivers, then stages drained, pools, queue manager.
        ``crash``: threads end without draining; in-memory messages are lost."""
        if mode not in ("graceful", "crash"):
            raise ValueError(f"stop mode must be 'graceful' or 'crash', not {mode!r}")
        with self._lock:
            if not self._running:
                return
            self._running = False
            drain = mode == "graceful"
            wait_s = 5.0 if drain else 1.0
            for receiver in self._receivers:
                receiver.signal_stop()
            for receiver in self._receivers:
                receiver.stop(wait_s)
            for construct in self.constructs:
                construct.stop_source()
            if not drain:
                self.queue_manager.close()
            for construct in self.constructs:
                if construct.started:
                    construct.stop(drain=drain, wait_s=wait_s)
            self.build_context.running = False
            for connector in self.build_context.connectors.values():
                connector.stop(wait_s)
            for pool in self._pools:
                pool.shutdown(wait_s)
            self.queue_manager.close()
            self._receivers = []
            self._stale = True
            log.info("Application %s stopped (%s)", self.name, mode)

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
        event = MuleEvent(message, flow=flow, exchange_pattern="request-response")
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

    def consumed_queues(self) -> set[str]:
        """Queues something takes from: started one-way receivers and flow stages."""
        names = {r.endpoint.path for r in self._receivers}
        for construct in self.constructs:
            stage = getattr(construct, "stage", None)
            store = getattr(stage, "store", None)
            if store is not None:
                names.add(store.name)
        return names

    def leftover(self) -> dict[str, int]:
        """Queues holding messages that nothing consumes."""
        consumed = self.consumed_queues()
        return {
            s.name: s.depth for s in self.queue_statistics() if s.depth and s.name not in consumed
        }

    def wait_until_idle(self, timeout_s: float) -> bool:
        """Wait until no thread works and every consumed queue is empty, twice in a row."""
        deadline = time.monotonic() + timeout_s
        stable = 0
        while time.monotonic() < deadline:
            if self._idle_now():
                stable += 1
                if stable >= 3:
                    return True
            else:
                stable = 0
            time.sleep(0.01)
        return False

    def _idle_now(self) -> bool:
        consumed = self.consumed_queues()
        for stats in self.queue_statistics():
            if stats.name in consumed and stats.depth:
                return False
        return all(self._pool_idle(pool) for pool in self._pools)

    def _pool_idle(self, pool: ThreadPool) -> bool:
        # Long-running pollers (receivers, stage pollers) occupy a pool thread for good.
        pollers = sum(1 for r in self._receivers if r.connector.receiver_pool is pool)
        pollers += sum(
            1 for c in self.constructs if getattr(getattr(c, "stage", None), "pool", None) is pool
        )
        stats = pool.statistics()
        return stats.active + stats.buffered <= pollers


class TransactedReceiver:
    """A transacted VM receiver (R4): N workers, each polling one message per
    transaction in its own thread (``transactions.TransactedPoller``)."""

    def __init__(self, endpoint: InboundEndpoint) -> None:
        self.endpoint = endpoint
        self.connector = endpoint.connector
        self._running = False
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        flow = self.endpoint.flow
        assert flow is not None
        template = transactions.main_template(
            self.endpoint.config.transaction, flow.exception_strategy
        )
        store = self.connector.queue(self.endpoint.path)
        config = self.connector.config
        profile = self.connector.receiver_threading
        many = config.create_multiple_transacted_receivers is not False and (
            profile is None or profile.do_threading is not False
        )
        count = config.effective_tx_receivers if many else 1
        self._running = True
        for i in range(count):
            poller = transactions.TransactedPoller(
                store, template, self.endpoint.route, self.connector.queue_timeout_s
            )
            t = threading.Thread(
                target=self._loop,
                args=(poller,),
                name=f"{self.connector.name}.receiver.tx.{i + 1:02d}",
                daemon=True,
            )
            self._threads.append(t)
            t.start()

    def _loop(self, poller: transactions.TransactedPoller) -> None:
        while self._running:
            try:
                if not poller.poll_once():
                    time.sleep(poller.idle_sleep_s)
            except QueueClosedError:
                return
            except Exception:
                log.exception("transacted receiver on %s failed", self.endpoint.uri)

    def signal_stop(self) -> None:
        self._running = False

    def stop(self, wait_s: float = 5.0) -> None:
        self._running = False
        for t in self._threads:
            t.join(wait_s)
        self._threads = []


# ----------------------------------------------------------------------------- loading


def _optional_module(name: str) -> Any:
    """A module another part of the project provides, or None while it is missing."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise


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


__all__ = ["MuleApp", "OneWayReceiver", "TransactedReceiver", "load_app"]

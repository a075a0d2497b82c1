"""Flow: a message source, a processor chain arranged by a processing strategy, and an
exception strategy (F-1..F-9, PS-1..PS-7).

The processing strategy decides where the chain runs:

- ``synchronous`` (and ``non-blocking`` for source-less flows, PS-6): in the caller's
  thread;
- ``default``: a *lax* SEDA stage (F-7): a sync event runs straight through, any other
  event is copied onto the flow's stage queue and processed by the stage's pool;
- ``queued-asynchronous`` (also ``queued-thread-per-processor``, simplified): always the
  stage; a sync event is rejected;
- ``asynchronous`` (also ``thread-per-processor``, simplified): a copy goes straight to a
  pool, no queue; a sync event is rejected.

Failures after a hand-off are handled on the worker by the flow's exception strategy
(E-2); the caller has already been given VoidMuleEvent.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mule_emulator import tracing  # teaching views: run --trace hook
from mule_emulator.errors import (
    FailedToQueueEventError,
    LifecycleError,
    MessagingError,
    QueueClosedError,
)
from mule_emulator.model.config import (
    ASYNC_STRATEGY_KINDS,
    DEFAULT_QUEUE_TIMEOUT_MS,
    FlowConfig,
    ProcessingStrategyConfig,
    ThreadingProfile,
    merge_threading,
)
from mule_emulator.queues.store import QueueStore
from mule_emulator.runtime import transactions
from mule_emulator.runtime.message import VOID_EVENT, MuleEvent, ProcessResult
from mule_emulator.runtime.processors.base import ExceptionHandler, Processor, as_messaging_error

if TYPE_CHECKING:
    from mule_emulator.execution.thread_pool import ThreadPool
    from mule_emulator.runtime.endpoints import InboundEndpoint

log = logging.getLogger("mule.construct.flow")

PoolFactory = Callable[[str, "ThreadingProfile | None"], "ThreadPool"]
QueueFactory = Callable[[str, int], QueueStore]


@dataclass(frozen=True)
class ProcessingStrategy:
    """The strategy a flow ended up with (F-5): its kind, whether it was chosen
    explicitly (F-8), and the pool/queue settings of the async kinds."""

    kind: str = "default"
    explicit: bool = False
    threading: ThreadingProfile | None = None
    max_queue_size: int | None = None
    queue_timeout_ms: int | None = None

    @property
    def hands_off(self) -> bool:
        return self.kind in ("default", *ASYNC_STRATEGY_KINDS)

    @property
    def queued(self) -> bool:
        return self.kind in ("default", "queued-asynchronous", "queued-thread-per-processor")

    @property
    def lax(self) -> bool:
        return self.kind == "default"

    @classmethod
    def from_config(
        cls, config: ProcessingStrategyConfig, explicit: bool, defaults: ThreadingProfile | None
    ) -> ProcessingStrategy:
        own = ThreadingProfile(
            max_threads_active=config.max_threads,
            max_threads_idle=config.min_threads,
            max_buffer_size=config.max_buffer_size,
            thread_ttl_ms=config.thread_ttl_ms,
            thread_wait_timeout_ms=config.thread_wait_timeout_ms,
            pool_exhausted_action=config.pool_exhausted_action,
        )
        return cls(
            kind=config.kind,
            explicit=explicit,
            threading=merge_threading(own, defaults),
            max_queue_size=config.max_queue_size,
            queue_timeout_ms=config.queue_timeout_ms,
        )


class SedaStage:
    """A flow's SEDA stage (PS-3/PS-4): a bounded queue in the application's queue
    manager, one poller occupying a pool thread, and each event run as its own task.

    Stop drains a transient queue before the pool ends (S-6 draining rule)."""

    def __init__(
        self,
        name: str,
        store: QueueStore,
        pool: ThreadPool,
        worker: Callable[[MuleEvent], None],
        queue_timeout_s: float,
        offer_timeout_s: float,
    ) -> None:
        self.name = name
        self.store = store
        self.pool = pool
        self.worker = worker
        self.queue_timeout_s = queue_timeout_s
        self.offer_timeout_s = offer_timeout_s
        self._running = False
        self._drain = True
        self._poller_done = threading.Event()
        self._poller_done.set()

    def enqueue(self, event: MuleEvent) -> None:
        if tracing.current.active:  # trace hook
            tracing.current.emit(
                "enqueue",
                flow=event.flow_name,
                queue=f"seda.queue({self.name})",
                depth_before=self.store.size(),
                capacity=self.store.capacity,
                timeout_ms=int(self.offer_timeout_s * 1000),
                message=event.message.id,
            )
        if not self.store.offer(event, self.offer_timeout_s):
            ms = int(self.offer_timeout_s * 1000)
            raise FailedToQueueEventError(
                f"The queue for 'SEDA Stage {self.name}' did not accept new event within "
                f"{ms} MILLISECONDS",
                event,
            )

    def start(self) -> None:
        self.pool.start()
        self._running = True
        self._poller_done.clear()
        self.pool.submit(self._poll_loop)

    def poll_once(self) -> bool:
        """Take one event (waiting up to queueTimeout) and schedule it; False if none."""
        try:
            # Slices of queueTimeout, so that a stop is noticed promptly.
            event = self.store.take(min(self.queue_timeout_s, 0.02))
        except QueueClosedError:
            return False
        if event is None:
            return False
        if tracing.current.active:  # trace hook
            tracing.current.emit(
                "dequeue",
                flow=event.flow_name,
                queue=f"seda.queue({self.name})",
                depth_after=self.store.size(),
                message=event.message.id,
            )
        self.pool.submit(lambda: self.worker(event))
        return True

    def _poll_loop(self) -> None:
        try:
            while self._running:
                self.poll_once()
            if self._drain:
                while self.store.size() > 0 and self.poll_once():
                    pass
        finally:
            self._poller_done.set()

    def stop(self, drain: bool = True, wait_s: float = 5.0) -> None:
        self._drain = drain and not self.store.persistent
        self._running = False
        self._poller_done.wait(wait_s)
        self.pool.shutdown(wait_s)


class Flow:
    """A live ``<flow>``: the pipeline behind its source (F-4)."""

    def __init__(
        self,
        config: FlowConfig,
        strategy: ProcessingStrategy,
        exception_strategy: ExceptionHandler,
        *,
        pool_factory: PoolFactory,
        queue_factory: QueueFactory,
    ) -> None:
        self.config = config
        self.name = config.name
        self.strategy = strategy
        self.exception_strategy = exception_strategy
        self.chain: Processor | None = None
        self.source: InboundEndpoint | None = None
        self.stopped_initially = config.initial_state.strip().lower() == "stopped"
        self._pool_factory = pool_factory
        self._queue_factory = queue_factory
        self._stage: SedaStage | None = None
        self._async_pool: ThreadPool | None = None
        self._started = False
        self._source_started = False
        self._runs = 0
        self._runs_lock = threading.Lock()

    # ------------------------------------------------------------------ state

    @property
    def started(self) -> bool:
        return self._started

    @property
    def source_started(self) -> bool:
        return self._source_started

    @property
    def strategy_is_synchronous(self) -> bool:
        return self.strategy.kind == "synchronous"

    @property
    def runs(self) -> int:
        """How many times the flow's processors were entered since start."""
        with self._runs_lock:
            return self._runs

    @property
    def stage(self) -> SedaStage | None:
        return self._stage

    def pools(self) -> list[ThreadPool]:
        out: list[ThreadPool] = []
        if self._stage is not None:
            out.append(self._stage.pool)
        if self._async_pool is not None:
            out.append(self._async_pool)
        return out

    # ------------------------------------------------------------------ processing

    def _guard(self) -> None:
        """F-3: once the flow is stopped, events reaching the pipeline fail."""
        if not self._started:
            raise LifecycleError(f"Flow '{self.name}' is stopped")

    def run_chain(self, event: MuleEvent) -> ProcessResult:
        """The processors, in this thread (the part after any hand-off)."""
        with self._runs_lock:
            self._runs += 1
        if tracing.current.active:  # trace hook
            tracing.current.emit("flow", flow=self.name, message=event.message.id)
        if self.chain is None:
            return event
        return self.chain.process(event)

    def process(self, event: MuleEvent) -> ProcessResult:
        """Enter the pipeline: guard, then the processing strategy (F-7, PS)."""
        try:
            self._guard()
        except LifecycleError as exc:
            raise as_messaging_error(exc, event) from exc
        strategy = self.strategy
        sync = event.synchronous or event.transacted
        if not strategy.hands_off or (strategy.lax and sync):
            return self.run_chain(event)
        if sync:
            raise MessagingError(
                "Unable to process a synchronous event asynchronously", event=event
            )
        handed = event.copy()
        if strategy.queued:
            stage = self._stage
            assert stage is not None
            try:
                stage.enqueue(handed)
            except FailedToQueueEventError as exc:
                raise as_messaging_error(exc, event) from exc
        else:
            pool = self._async_pool
            assert pool is not None
            pool.submit(lambda: self._work(handed))
        return VOID_EVENT

    def process_from_source(self, event: MuleEvent) -> ProcessResult:
        """Called by the inbound endpoint once its own chain has run."""
        return self.process(event)

    def _work(self, event: MuleEvent) -> None:
        """A SEDA or async worker: the chain under the flow's exception strategy (E-2)."""
        template = transactions.main_template(None, self.exception_strategy)

        def work() -> Any:
            return self.run_chain(event)

        try:
            template.execute(work)
        except MessagingError as error:
            log.debug("Flow %s: unhandled failure after hand-off: %s", self.name, error)
        except Exception:
            log.exception("Flow %s: failure in worker", self.name)

    def process_flow_ref(self, event: MuleEvent) -> ProcessResult:
        """P-10: a new event sharing message, flow vars and session; sync is the caller's
        OR the target's synchronous strategy; the target's exception strategy wraps it."""
        inner = event.with_message(event.message)
        inner.flow = self
        inner.synchronous = event.synchronous or self.strategy_is_synchronous
        template = transactions.TransactionTemplate(None, handler=self.exception_strategy)
        result: ProcessResult = template.execute(lambda: self.process(inner))
        if isinstance(result, MuleEvent):
            outer = result.with_message(result.message)
            outer.flow = event.flow
            outer.synchronous = event.synchronous
            return outer
        return result

    def as_flow_ref_target(self) -> Processor:
        return _FlowRefEntry(self)

    # ------------------------------------------------------------------ lifecycle

    def build_stage(self, default_queue_timeout_ms: int = DEFAULT_QUEUE_TIMEOUT_MS) -> None:
        """Create the stage queue/pool for hand-off strategies (not started)."""
        strategy = self.strategy
        if not strategy.hands_off:
            return
        profile = merge_threading(strategy.threading)
        stage_name = f"{self.name}.stage1"
        if strategy.queued:
            max_threads = profile.max_threads_active or 16
            size = strategy.max_queue_size
            capacity = 4 * max_threads if not size else (0 if size < 0 else size)
            store = self._queue_factory(stage_name, capacity)
            pool = self._pool_factory(stage_name, profile)
            timeout_ms = strategy.queue_timeout_ms or default_queue_timeout_ms
            wait_ms = profile.thread_wait_timeout_ms or 30_000
            self._stage = SedaStage(
                stage_name, store, pool, self._work, timeout_ms / 1000.0, wait_ms / 1000.0
            )
        else:
            self._async_pool = self._pool_factory(stage_name, profile)

    def start(self) -> None:
        """F-3: pipeline (processors, stage) before source."""
        if self._started:
            return
        if self.chain is not None:
            self.chain.start()
        if self._stage is not None:
            self._stage.start()
        if self._async_pool is not None:
            self._async_pool.start()
        self._started = True
        with self._runs_lock:
            self._runs = 0
        log.info("Flow %s started (processing strategy %s)", self.name, self.strategy.kind)

    def start_source(self) -> None:
        self._source_started = True

    def stop_source(self) -> None:
        self._source_started = False

    def stop(self, drain: bool = True, wait_s: float = 5.0) -> None:
        """Source first, then the stage (drained when transient), then processors."""
        self._source_started = False
        if self._stage is not None:
            self._stage.stop(drain=drain, wait_s=wait_s)
        if self._async_pool is not None:
            self._async_pool.shutdown(wait_s)
        self._started = False
        if self.chain is not None:
            self.chain.stop()
        log.info("Flow %s stopped", self.name)

    def __repr__(self) -> str:
        return f"<Flow {self.name} ({self.strategy.kind})>"


class _FlowRefEntry(Processor):
    """The processor a flow-ref calls for a flow target."""

    kind = "flow"

    def __init__(self, flow: Flow) -> None:
        self.flow = flow

    def process(self, event: MuleEvent) -> ProcessResult:
        return self.flow.process_flow_ref(event)

    def describe(self) -> str:
        return f"flow {self.flow.name}"


__all__ = ["Flow", "ProcessingStrategy", "SedaStage"]

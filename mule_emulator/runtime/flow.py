"""Flow: a message source, a processor chain arranged by a processing strategy, and an
exception strategy (F-1..F-9, PS-1..PS-7).

The processing strategy (``processing_strategy.py``) decides where the chain runs:

- ``synchronous`` (and ``non-blocking`` for source-less flows, PS-6): in the caller's
  thread;
- ``default``: a *lax* SEDA stage (F-7): a sync event runs straight through, any other
  event is copied onto the flow's stage queue ``seda.queue(<flow>.stage1)`` and
  processed by the stage's pool;
- ``queued-asynchronous``: always the stage; a sync event is rejected;
- ``asynchronous``: a copy goes straight to a pool, no queue; a sync event is rejected;
- ``thread-per-processor`` / ``queued-thread-per-processor``: a hand-off (pool, or SEDA
  stage ``<flow>.stageN``) before every processor; an intercepting processor (filter,
  splitter ...) owns the rest of the chain, so hand-offs stop after the first one.

Failures after a hand-off are handled on the worker by the flow's exception strategy
(E-2); the caller has already been given VoidMuleEvent. The hand-offs' pools and
stages are registered with the application's ``Engine``, which starts and stops them.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mule_emulator import tracing  # teaching views: run --trace hook
from mule_emulator.errors import (
    FailedToQueueEventError,
    LifecycleError,
    MessagingError,
    PoolExhaustedError,
)
from mule_emulator.model.config import FlowConfig, ThreadingProfile
from mule_emulator.queues.manager import QueueManager
from mule_emulator.queues.store import QueueStore
from mule_emulator.runtime import transactions
from mule_emulator.runtime.message import VOID_EVENT, MuleEvent, ProcessResult
from mule_emulator.runtime.processing_strategy import (
    Handoff,
    ProcessingStrategy,
    build_handoff,
    stage_name,
)
from mule_emulator.runtime.processors.base import (
    Chain,
    ExceptionHandler,
    InterceptingProcessor,
    Processor,
    as_messaging_error,
    run_chain,
    run_processor,
)

if TYPE_CHECKING:
    from mule_emulator.execution.engine import Engine
    from mule_emulator.execution.seda_stage import SedaStage
    from mule_emulator.execution.thread_pool import ThreadPool
    from mule_emulator.runtime.endpoints import InboundEndpoint
    from mule_emulator.runtime.processors.poll import PollSource

log = logging.getLogger("mule.construct.flow")

PoolFactory = Callable[[str, "ThreadingProfile | None"], "ThreadPool"]
#: The reply-to post-processor (P-26): called with the event and the chain's result.
Replier = Callable[[MuleEvent, ProcessResult], Any]


class Flow:
    """A live ``<flow>``: the pipeline behind its message source (F-1, F-4).

    The source is one inbound endpoint, the endpoints of a ``<composite-source>``
    (``sources``, each with its own receiver), or a ``<poll>`` (``poll``). After the
    chain, the replier (``replier``, set by the application) sends the result of a
    one-way event that asked for a reply to its ``MULE_REPLYTO`` address (F-4)."""

    #: Whether the strategy is ``synchronous`` (set with ``strategy``).
    strategy_is_synchronous: bool
    _lax: bool
    #: Whether the source delivers (sends find its endpoints): set by ``start_source``
    #: and ``stop_source``; a plain attribute, read on every send.
    source_started: bool

    def __init__(
        self,
        config: FlowConfig,
        strategy: ProcessingStrategy,
        exception_strategy: ExceptionHandler,
        *,
        pool_factory: PoolFactory,
        queue_manager: QueueManager,
        engine: Engine | None = None,
    ) -> None:
        self.config = config
        self.name = config.name
        self.strategy = strategy
        self.exception_strategy = exception_strategy
        self.chain: Processor | None = None
        # A plain ``Chain`` and its head, noted at start: while ``chain`` is still that
        # chain, ``process`` runs the head directly (one frame less per event).
        self._plain_chain: Processor | None = None
        self._chain_head: tuple[Processor, ...] = ()
        self.sources: list[InboundEndpoint] = []
        self.poll: PollSource | None = None
        self.replier: Replier | None = None
        self.stopped_initially = config.initial_state.strip().lower() == "stopped"
        self.engine = engine
        self._pool_factory = pool_factory
        self._queue_manager = queue_manager
        self._handoffs: list[Handoff] = []
        self._steps: tuple[Processor, ...] = ()  # per-processor strategies: hand-off before each
        self._started = False
        self.source_started = False
        # Entries into the processors: ``next()`` on an itertools.count is one C call
        # under the GIL, so concurrent workers count without a lock.
        self._runs = itertools.count()

    # ------------------------------------------------------------------ state

    @property
    def started(self) -> bool:
        return self._started

    @property
    def source(self) -> InboundEndpoint | None:
        """The (first) inbound endpoint of the source, if it has one."""
        return self.sources[0] if self.sources else None

    @property
    def strategy(self) -> ProcessingStrategy:
        return self._strategy

    @strategy.setter
    def strategy(self, strategy: ProcessingStrategy) -> None:
        # What the message path asks of the strategy, worked out once per strategy
        # (redelivery may replace it after the flow is built).
        self._strategy = strategy
        self._lax = strategy.lax
        self.strategy_is_synchronous = strategy.kind == "synchronous"

    @property
    def runs(self) -> int:
        """How many times the flow's processors were entered since start."""
        return int(repr(self._runs)[6:-1])  # "count(N)": N entries, read without taking one

    @property
    def stage(self) -> SedaStage | None:
        """The first SEDA stage (``<flow>.stage1``), if the strategy queues."""
        return self.stages[0] if self.stages else None

    @property
    def stages(self) -> list[SedaStage]:
        """Every SEDA stage of the flow, in chain order."""
        return [h.stage for h in self._handoffs if h.stage is not None]

    @property
    def handoffs(self) -> tuple[Handoff, ...]:
        return tuple(self._handoffs)

    def pools(self) -> list[ThreadPool]:
        return [h.pool for h in self._handoffs]

    # ------------------------------------------------------------------ processing

    def _guard(self) -> None:
        """F-3: once the flow is stopped, events reaching the pipeline fail."""
        if not self._started:
            raise LifecycleError(f"Flow '{self.name}' is stopped")

    def _entered(self, event: MuleEvent) -> None:
        next(self._runs)
        if tracing.current.active:  # trace hook
            tracing.current.emit("flow", flow=self.name, message=event.message.id)

    def run_chain(self, event: MuleEvent) -> ProcessResult:
        """The processors, in this thread (the part after any hand-off), then the
        post-processors (``_entered`` and ``_post_process``, written out: the hot path)."""
        next(self._runs)
        if tracing.current.active:  # trace hook
            tracing.current.emit("flow", flow=self.name, message=event.message.id)
        chain = self.chain
        result = event if chain is None else chain.process(event)
        replier = self.replier
        if (
            replier is not None
            and event.replyto is not None
            and event.exchange_pattern != "request-response"
        ):
            replier(event, result)
        return result

    def _post_process(self, event: MuleEvent, result: ProcessResult) -> None:
        """F-4 post-processors: AsyncReplyToPropertyRequestReplyReplier (P-26) answers
        a one-way event that carries a reply-to address."""
        replier = self.replier
        if replier is not None and event.replyto is not None and not event.request_response:
            replier(event, result)

    def process(self, event: MuleEvent) -> ProcessResult:
        """Enter the pipeline: guard, then the processing strategy (F-7, PS)."""
        if not self._started:
            try:
                self._guard()
            except LifecycleError as exc:
                raise as_messaging_error(exc, event) from exc
        sync = event.synchronous or event.transacted
        if not self._handoffs or (sync and self._lax):
            # run_chain, written out (the hot path of every synchronous flow)
            next(self._runs)
            if tracing.current.active:  # trace hook
                tracing.current.emit("flow", flow=self.name, message=event.message.id)
            chain = self.chain
            if chain is self._plain_chain and chain is not None:
                result = run_chain(self._chain_head, event)  # chain.process, written out
            else:
                result = event if chain is None else chain.process(event)
            replier = self.replier
            if (
                replier is not None
                and event.replyto is not None
                and event.exchange_pattern != "request-response"
            ):
                replier(event, result)
            return result
        if sync:
            raise MessagingError(
                "Unable to process a synchronous event asynchronously", event=event
            )
        self._hand(0, event.copy(), event)
        return VOID_EVENT

    def _hand(self, index: int, handed: MuleEvent, caller: MuleEvent) -> None:
        """Give ``handed`` to hand-off ``index``; failures reach the caller (PS-3, TP-4)."""
        handoff = self._handoffs[index]
        stage = handoff.stage
        if tracing.current.active and stage is not None:  # trace hook
            tracing.current.emit(
                "enqueue",
                flow=self.name,
                queue=stage.queue.name,
                depth_before=stage.queue.size(),
                capacity=stage.queue.capacity,
                timeout_ms=round(stage.offer_timeout_s * 1000),
                message=handed.message.id,
            )
        try:
            handoff.hand(handed)
        except (FailedToQueueEventError, PoolExhaustedError) as exc:
            raise as_messaging_error(exc, caller) from exc

    #: Called by the inbound endpoint once its own chain has run (a service differs).
    process_from_source = process

    def _handle(self, event: MuleEvent, work: Callable[[], Any]) -> None:
        """A worker after a hand-off: ``work`` under the flow's exception strategy (E-2)."""
        transactions.execute_handled(work, self.exception_strategy, "Flow", self.name)

    def _taken(self, queue: QueueStore) -> Callable[[Any], None]:
        """The trace hook of a stage's poller (an event leaves the stage queue)."""

        def taken(event: Any) -> None:
            if tracing.current.active:  # trace hook
                tracing.current.emit(
                    "dequeue",
                    flow=self.name,
                    queue=queue.name,
                    depth_after=queue.size(),
                    message=getattr(getattr(event, "message", None), "id", None),
                )

        return taken

    def _work(self, event: MuleEvent) -> None:
        """The worker of a single hand-off: the whole chain (``_handle``, written out)."""
        transactions.execute_handled(
            self.run_chain, self.exception_strategy, "Flow", self.name, None, (event,)
        )

    def _step_worker(self, index: int) -> Callable[[MuleEvent], None]:
        """The worker of hand-off ``index`` of a per-processor strategy (PS-5): run
        processor ``index`` (P-1 result rules), then hand the result to the next one."""

        def work(event: MuleEvent) -> None:
            if index == 0:
                self._entered(event)

            def step() -> None:
                processor = self._steps[index]
                before = event.copy() if processor.may_return_void else None
                result = run_processor(processor, event)
                if result is None:
                    return
                if result is VOID_EVENT:
                    result = before if before is not None else event
                assert isinstance(result, MuleEvent)
                if index + 1 < len(self._steps):
                    self._hand(index + 1, result.copy(), result)
                else:
                    self._post_process(event, result)

            self._handle(event, step)

        return work

    def _rejected(self, event: Any, exc: BaseException) -> None:
        """A dequeued event the stage's pool refused (ABORT, WAIT timed out): a
        MessagingException for the flow's exception strategy (TP-4)."""
        if not isinstance(event, MuleEvent):
            log.error("Flow %s: event rejected by its pool: %s", self.name, exc)
            return
        error = as_messaging_error(exc, event)

        def fail() -> None:
            raise error

        self._handle(event, fail)

    def process_flow_ref(self, event: MuleEvent) -> ProcessResult:
        """P-10: a new event sharing message, flow vars and session; sync is the caller's
        OR the target's synchronous strategy; the target's exception strategy wraps it."""
        inner = event.with_message(event.message)
        inner.flow = self
        inner.synchronous = event.synchronous or self.strategy_is_synchronous
        inner.replyto = None  # the calling flow answers a reply-to, once
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

    def build_stage(self) -> None:
        """Create the hand-offs of the strategy (not started; call once the chain is set)."""
        strategy = self.strategy
        self._handoffs = []
        self._steps = ()
        if not strategy.hands_off:
            return
        make = self._make_handoff
        if not strategy.per_processor:
            self._handoffs.append(make(stage_name(self.name, 1), self._work))
            return
        steps = self._per_processor_steps()
        if not steps:  # nothing to run: one hand-off that runs the (empty) chain
            self._handoffs.append(make(stage_name(self.name, 1), self._work))
            return
        self._steps = steps
        for i in range(len(steps)):
            self._handoffs.append(make(stage_name(self.name, i + 1), self._step_worker(i)))

    def _per_processor_steps(self) -> tuple[Processor, ...]:
        """The processors that get a hand-off each: the top-level ones up to and
        including the first intercepting processor, which owns the rest (its ``next``)."""
        chain = self.chain
        if chain is None:
            return ()
        if not isinstance(chain, Chain):
            return (chain,)
        steps: list[Processor] = []
        for p in chain.processors:
            steps.append(p)
            if isinstance(p, InterceptingProcessor):
                break
        return tuple(steps)

    def _make_handoff(self, name: str, work: Callable[[MuleEvent], None]) -> Handoff:
        handoff = build_handoff(
            self.strategy,
            name,
            work,
            pool_factory=self._pool_factory,
            queue_manager=self._queue_manager,
            on_reject=self._rejected,
        )
        if handoff.stage is not None:
            handoff.stage.on_take = self._taken(handoff.stage.queue)
        return handoff

    def start(self) -> None:
        """F-3: pipeline (processors, stages) before source. With an engine, the stages
        are registered there (the engine starts them, now or with the application)."""
        if self._started:
            return
        if self.chain is not None:
            self.chain.start()
        chain = self.chain
        if type(chain) is Chain:
            self._plain_chain = chain
            self._chain_head = chain._head
        for handoff in self._handoffs:
            if self.engine is not None:
                self.engine.register_pool(handoff.pool, "stage")
                if handoff.stage is not None:
                    self.engine.register_stage(handoff.stage)
            else:
                handoff.pool.start()
                if handoff.stage is not None:
                    handoff.stage.start()
        self._started = True
        self._runs = itertools.count()
        log.info("Flow %s started (processing strategy %s)", self.name, self.strategy.kind)

    def start_source(self) -> None:
        """Let the source deliver: endpoints are now found by sends, a poll schedules
        (on the engine, with the receivers)."""
        self.source_started = True
        if self.poll is not None:
            self.poll.start()

    def stop_source(self, wait_s: float = 5.0) -> None:
        self.source_started = False
        if self.poll is not None:
            self.poll.stop(wait_s)

    def stop(self, wait_s: float = 5.0) -> None:
        """Source first, then the stages (a transient queue drained, S-6) and pools,
        then processors. Under an engine that already stopped them this only waits for
        nothing; stopping is idempotent."""
        self.stop_source(wait_s)
        for handoff in self._handoffs:
            if handoff.stage is not None:
                handoff.stage.stop(wait_s)
            handoff.pool.shutdown(wait_s)
            if self.engine is not None and handoff.stage is not None:
                self.engine.unregister(handoff.stage)
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


__all__ = ["Flow", "ProcessingStrategy"]

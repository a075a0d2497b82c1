"""ProcessingStrategy: where a flow's processors run, and the hand-offs that move an
event onto another thread (F-5..F-8, PS-1..PS-7).

A strategy is a value (kind, whether it was chosen explicitly, the pool and queue
settings of the asynchronous kinds). ``handoffs`` turns it into the hand-offs a flow
puts in front of its processors:

- ``synchronous`` (and ``non-blocking``, PS-6 SIMPLIFY): none; the caller's thread runs
  the chain;
- ``default`` and ``queued-asynchronous``: one ``QueuedHandoff`` (a SEDA stage named
  ``<flow>.stage1``; PS-3, PS-4);
- ``asynchronous``: one ``PoolHandoff`` (a copy goes straight to a pool, no queue; PS-2);
- ``thread-per-processor`` / ``queued-thread-per-processor``: one hand-off before every
  processor, each with its own pool (and queue ``seda.queue(<flow>.stageN)``; PS-5).

Hand-offs never start threads themselves: their pools and stages belong to the
application's ``Engine``, which starts and stops them in order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from mule_emulator.execution.seda_stage import SedaStage
from mule_emulator.execution.thread_pool import ThreadPool
from mule_emulator.model.config import (
    ASYNC_STRATEGY_KINDS,
    DEFAULT_QUEUE_TIMEOUT_MS,
    ProcessingStrategyConfig,
    ThreadingProfile,
    merge_threading,
)
from mule_emulator.queues.manager import QueueManager

PoolFactory = Callable[[str, "ThreadingProfile | None"], ThreadPool]
Work = Callable[[Any], None]
Reject = Callable[[Any, BaseException], None]

PER_PROCESSOR_KINDS = frozenset({"thread-per-processor", "queued-thread-per-processor"})
QUEUED_KINDS = frozenset({"default", "queued-asynchronous", "queued-thread-per-processor"})


@dataclass(frozen=True)
class ProcessingStrategy:
    """The strategy a flow ended up with (F-5): its kind, whether it was chosen
    explicitly (F-8), and the pool/queue settings of the asynchronous kinds."""

    kind: str = "default"
    explicit: bool = False
    threading: ThreadingProfile | None = None
    max_queue_size: int | None = None
    queue_timeout_ms: int | None = None
    persistent: bool = False  # the queue store of a queued strategy (PS-3)

    @property
    def hands_off(self) -> bool:
        """Whether a non-sync event leaves the caller's thread."""
        return self.kind in ("default", *ASYNC_STRATEGY_KINDS)

    @property
    def queued(self) -> bool:
        """Whether a SEDA queue sits before the processors (PS-7)."""
        return self.kind in QUEUED_KINDS

    @property
    def lax(self) -> bool:
        """The default strategy: sync events run in the caller's thread (F-7)."""
        return self.kind == "default"

    @property
    def per_processor(self) -> bool:
        return self.kind in PER_PROCESSOR_KINDS

    @property
    def strict_async(self) -> bool:
        """An explicitly chosen asynchronous strategy: sync sources are invalid (F-8)."""
        return self.explicit and self.kind in ASYNC_STRATEGY_KINDS

    @property
    def profile(self) -> ThreadingProfile:
        """The fully resolved pool profile of this strategy's hand-offs."""
        return merge_threading(self.threading)

    @classmethod
    def from_config(
        cls, config: ProcessingStrategyConfig, explicit: bool, defaults: ThreadingProfile | None
    ) -> ProcessingStrategy:
        """Strategy attributes override the ``default-threading-profile`` (PS intro)."""
        own = ThreadingProfile(
            max_threads_active=config.max_threads,
            max_threads_idle=config.min_threads,
            max_buffer_size=config.max_buffer_size,
            thread_ttl_ms=config.thread_ttl_ms,
            thread_wait_timeout_ms=config.thread_wait_timeout_ms,
            pool_exhausted_action=config.pool_exhausted_action,
        )
        store = config.queue_store
        return cls(
            kind=config.kind,
            explicit=explicit,
            threading=merge_threading(own, defaults),
            max_queue_size=config.max_queue_size,
            queue_timeout_ms=config.queue_timeout_ms,
            persistent=bool(store is not None and store.persistent),
        )


# ----------------------------------------------------------------------------- hand-offs


class Handoff(Protocol):
    """Moves an event (already copied) to another thread; raises into the caller when
    it cannot (a full SEDA queue, an exhausted pool under ABORT or WAIT)."""

    name: str
    pool: ThreadPool
    stage: SedaStage | None  # the SEDA stage of a queued hand-off

    def hand(self, event: Any) -> None: ...


class PoolHandoff:
    """PS-2: straight to a pool (no queue). Under ``doThreading=false`` the work runs
    in the caller's thread; the pool's exhausted action applies as in Mule."""

    def __init__(self, name: str, pool: ThreadPool, work: Work) -> None:
        self.stage: SedaStage | None = None
        self.name = name
        self.pool = pool
        self.work = work

    def hand(self, event: Any) -> None:
        if not self.pool.threading:
            self.work(event)
            return
        self.pool.submit(lambda: self.work(event))


class QueuedHandoff:
    """PS-3: onto the SEDA stage's queue (offer timeout ``threadWaitTimeout``)."""

    def __init__(self, stage: SedaStage) -> None:
        self.stage: SedaStage | None = stage
        self._stage = stage
        self.name = stage.name
        self.pool = stage.pool

    def hand(self, event: Any) -> None:
        self._stage.enqueue(event)


def stage_name(flow_name: str, index: int) -> str:
    """``<flow>.stage<N>``, N from 1 (Flow.configureMessageProcessors)."""
    return f"{flow_name}.stage{index}"


def build_handoff(
    strategy: ProcessingStrategy,
    name: str,
    work: Work,
    *,
    pool_factory: PoolFactory,
    queue_manager: QueueManager,
    on_reject: Reject | None = None,
) -> Handoff:
    """One hand-off named ``name``: a SEDA stage for queued kinds, else a pool."""
    pool = pool_factory(name, strategy.profile)
    if not strategy.queued:
        return PoolHandoff(name, pool, work)
    stage = SedaStage.build(
        name,
        queue_manager,
        pool,
        work,
        max_queue_size=strategy.max_queue_size,
        persistent=strategy.persistent,
        queue_timeout_ms=strategy.queue_timeout_ms or DEFAULT_QUEUE_TIMEOUT_MS,
        on_reject=on_reject,
    )
    return QueuedHandoff(stage)


__all__ = [
    "PER_PROCESSOR_KINDS",
    "QUEUED_KINDS",
    "Handoff",
    "PoolHandoff",
    "ProcessingStrategy",
    "QueuedHandoff",
    "build_handoff",
    "stage_name",
]

"""Engine: the owner of every thread an application runs.

The runtime registers pools, dispatchers, SEDA stages and receivers here; the engine
starts and stops them in an order that loses no work:

- start: dispatchers → stages → receivers. Nothing can produce work for a stage or a
  dispatcher before it runs, and sources start last (F-3: the source starts only once
  the whole context has started).
- stop, in reverse: receivers first (no new messages come in) and then their pools
  (messages already polled finish, possibly feeding stages and dispatchers); then the
  stages, which drain a transient queue or leave a persistent one as it is (S-6), and
  their pools; then dispatchers and their pools, which by now receive nothing new.
  Every wait is bounded by the shutdown timeout (Mule's ``shutdownTimeout``, 5 s).

``idle()`` / ``wait_until_idle()`` answer "has everything settled?" without races: every
registered part reports ``(quiet, change counter)`` atomically, and the engine reads all
of them twice; when every part was quiet both times and no counter moved, all parts
were quiet together at the moment between the two reads (a double collect). Items
moving between a queue and a pool are always visible in one of them (queue claims).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from mule_emulator.errors import LifecycleError
from mule_emulator.execution.dispatcher import Dispatcher
from mule_emulator.execution.receiver import PollingReceiver, TransactedReceiver
from mule_emulator.execution.seda_stage import SedaStage
from mule_emulator.execution.thread_pool import PoolStatistics, ThreadPool
from mule_emulator.model.config import DEFAULT_SHUTDOWN_TIMEOUT_MS
from mule_emulator.queues.manager import QueueManager
from mule_emulator.queues.store import QueueStatistics, QueueStore


@runtime_checkable
class Startable(Protocol):
    """Anything the engine starts and stops (``stop`` waits at most ``timeout`` s)."""

    def start(self) -> None: ...

    def stop(self, timeout: float) -> Any: ...


@runtime_checkable
class Quiescent(Protocol):
    """Anything that can say whether it is idle: ``(quiet, change counter)``."""

    def quiescence(self) -> tuple[bool, int]: ...


# Start order; stop runs it backwards.
PHASES = ("dispatcher", "stage", "receiver")


@dataclass(frozen=True)
class EngineStatistics:
    """Every queue and pool the engine knows, as snapshots."""

    queues: tuple[QueueStatistics, ...]
    pools: tuple[PoolStatistics, ...]


class Engine:
    """Starts, stops and observes the threads of one application."""

    def __init__(
        self,
        shutdown_timeout_s: float = DEFAULT_SHUTDOWN_TIMEOUT_MS / 1000.0,
        queue_manager: QueueManager | None = None,
    ) -> None:
        self.shutdown_timeout_s = shutdown_timeout_s
        self.queue_manager = queue_manager
        self._lock = threading.RLock()
        self._components: dict[str, list[Startable]] = {p: [] for p in PHASES}
        self._pools: dict[str, list[ThreadPool]] = {p: [] for p in PHASES}
        self._queues: list[QueueStore] = []
        self._adopted: list[ThreadPool] = []  # in "stage" until a phase claims them
        self._started = False
        self._starting: list[tuple[str, Startable]] = []

    # ------------------------------------------------------------------ registration

    def register_pool(self, pool: ThreadPool, phase: str = "stage") -> ThreadPool:
        """Own ``pool``: it is shut down right after the components of ``phase`` stop.

        A pool registered for several phases is shut down after the last of them.
        """
        self._check_phase(phase)
        with self._lock:
            current = self._phase_of(pool)
            if current is not None and any(pool is p for p in self._adopted):
                self._adopted = [p for p in self._adopted if p is not pool]
                self._pools[current].remove(pool)
                current = None
            if current is not None:
                if PHASES.index(phase) >= PHASES.index(current):
                    return pool  # already stopped at least as late
                self._pools[current].remove(pool)
            self._pools[phase].append(pool)
        return pool

    def adopt_pool(self, pool: ThreadPool) -> ThreadPool:
        """Own a pool whose users are not known yet (a factory made it): it stops with
        the stages unless a later ``register_pool`` (a receiver's, a dispatcher's)
        claims it for its own phase."""
        with self._lock:
            if self._phase_of(pool) is None:
                self._pools["stage"].append(pool)
                self._adopted.append(pool)
        return pool

    def register(self, component: Startable, phase: str) -> Startable:
        """Own any other startable part, started with ``phase``."""
        self._check_phase(phase)
        with self._lock:
            if not any(component is c for c in self._components[phase]):
                self._components[phase].append(component)
            if self._started:
                component.start()
        return component

    def register_dispatcher(self, dispatcher: Dispatcher) -> Dispatcher:
        self.register_pool(dispatcher.pool, "dispatcher")
        self.register(dispatcher, "dispatcher")
        return dispatcher

    def register_stage(self, stage: SedaStage) -> SedaStage:
        self.register_pool(stage.pool, "stage")
        self.register(stage, "stage")
        return stage

    def register_receiver(
        self, receiver: PollingReceiver | TransactedReceiver
    ) -> PollingReceiver | TransactedReceiver:
        self.register_pool(receiver.pool, "receiver")
        self.register(receiver, "receiver")
        return receiver

    def watch_queue(self, queue: QueueStore) -> QueueStore:
        """Count ``queue`` in ``idle()`` (a queue no receiver or stage of ours polls)."""
        with self._lock:
            if not any(queue is q for q in self._queues):
                self._queues.append(queue)
        return queue

    def unregister(self, component: Startable) -> None:
        """Forget a component (it must already be stopped)."""
        with self._lock:
            for comps in self._components.values():
                for i, c in enumerate(comps):
                    if c is component:
                        del comps[i]
                        return

    # ------------------------------------------------------------------ lifecycle

    @property
    def started(self) -> bool:
        return self._started

    def start(self) -> None:
        """Start dispatchers, then stages, then receivers. If one fails to start, what
        was started is stopped again and the error is raised."""
        with self._lock:
            if self._started:
                return
            try:
                for phase in PHASES:
                    for pool in self._pools[phase]:
                        pool.start()
                    for comp in self._components[phase]:
                        comp.start()
                        self._starting.append((phase, comp))
            except BaseException:
                self._stop_locked(self.shutdown_timeout_s)
                raise
            self._started = True

    def stop(self, timeout: float | None = None) -> bool:
        """Stop receivers, stages, dispatchers (each followed by its pools), in that
        order, waiting at most ``timeout`` seconds per phase (default: the shutdown
        timeout). True when every part stopped within its bound."""
        with self._lock:
            bound = self.shutdown_timeout_s if timeout is None else timeout
            return self._stop_locked(bound)

    def _stop_locked(self, bound: float) -> bool:
        clean = True
        for phase in reversed(PHASES):
            deadline = time.monotonic() + max(0.0, bound)
            # Tell every part of the phase first, so that they wind down together and
            # the bound is not spent waiting for them one after the other.
            for comp in self._components[phase]:
                signal = getattr(comp, "signal_stop", None)
                if callable(signal):
                    signal()
            for comp in reversed(self._components[phase]):
                remaining = max(0.0, deadline - time.monotonic())
                if comp.stop(remaining) is False:
                    clean = False
            for pool in reversed(self._pools[phase]):
                if not pool.shutdown(max(0.0, deadline - time.monotonic())):
                    clean = False
        self._starting.clear()
        self._started = False
        return clean

    def __enter__(self) -> Engine:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ observing

    def _observed(self) -> list[Quiescent]:
        with self._lock:
            parts: list[Quiescent] = []
            for phase in PHASES:
                parts.extend(self._pools[phase])
                parts.extend(c for c in self._components[phase] if isinstance(c, Quiescent))
            parts.extend(self._queues)
            return parts

    def _collect(self, parts: list[Quiescent]) -> list[tuple[bool, int]] | None:
        out = []
        for p in parts:
            q = p.quiescence()
            if not q[0]:
                return None
            out.append(q)
        return out

    def idle(self) -> bool:
        """True when every watched queue is empty, every pool idle and no receiver or
        stage holds a message, all at one moment (see the module docstring)."""
        parts = self._observed()
        first = self._collect(parts)
        if first is None:
            return False
        return self._collect(parts) == first

    def wait_until_idle(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for ``idle()``; return whether it held."""
        deadline = time.monotonic() + max(0.0, timeout)
        pause = 0.0005
        while True:
            if self.idle():
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            # Polling the parts: each check is cheap and lock-consistent; the pause
            # only bounds how soon after settling we notice it.
            time.sleep(min(pause, remaining))
            pause = min(pause * 2, 0.02)

    def statistics(self) -> EngineStatistics:
        """Snapshots of every queue (the manager's, the stages', the receivers', the
        watched ones) and of every pool."""
        with self._lock:
            queues: list[QueueStore] = []
            pools: list[ThreadPool] = []
            for phase in PHASES:
                pools.extend(p for p in self._pools[phase] if all(p is not x for x in pools))
                for c in self._components[phase]:
                    q = getattr(c, "queue", None)
                    if isinstance(q, QueueStore) and all(q is not x for x in queues):
                        queues.append(q)
            for q in self._queues:
                if all(q is not x for x in queues):
                    queues.append(q)
        names = {q.name for q in queues}
        stats = [q.statistics() for q in queues]
        if self.queue_manager is not None:
            stats.extend(s for s in self.queue_manager.statistics() if s.name not in names)
        return EngineStatistics(tuple(stats), tuple(p.statistics() for p in pools))

    def threads(self) -> list[threading.Thread]:
        """The live worker threads of every pool the engine owns."""
        with self._lock:
            return [t for phase in PHASES for pool in self._pools[phase] for t in pool.threads()]

    # ------------------------------------------------------------------ helpers

    def _phase_of(self, pool: ThreadPool) -> str | None:
        for phase, pools in self._pools.items():
            if any(pool is p for p in pools):
                return phase
        return None

    @staticmethod
    def _check_phase(phase: str) -> None:
        if phase not in PHASES:
            raise LifecycleError(f"Unknown engine phase '{phase}' (one of {', '.join(PHASES)})")


__all__ = ["PHASES", "Engine", "EngineStatistics", "Quiescent", "Startable"]

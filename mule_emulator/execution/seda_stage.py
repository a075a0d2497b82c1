"""SedaStage: the queue and poller between a flow's source and its processors (PS-3, S-6).

``enqueue(event)`` offers the event to the stage's queue, waiting up to
``threadWaitTimeout``; a queue that stays full raises ``FailedToQueueEventError`` into
the caller. One poller task runs on the stage's own pool, polls the queue with
``queueTimeout`` and submits each event to the same pool. QUIRK (kept): the poller
occupies one of the pool's threads, so with ``maxThreads=1`` under RUN the poller
processes the events itself.

Stopping drains: with a transient queue the poller keeps dequeuing until the queue is
empty; with a persistent queue it stops at once and leaves the events for the next
start (S-6). Copying the event before it is queued is the caller's job (the runtime
knows what a copy is).

Capacity: Mule replaces ``maxQueueSize=0`` by ``4 x maxThreadsActive`` and treats a
negative size as unbounded; ``seda_queue_capacity`` computes it and whoever configures
the stage's queue in the ``QueueManager`` (the runtime's builder, or ``SedaStage.build``)
calls it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from mule_emulator.errors import FailedToQueueEventError, QueueClosedError
from mule_emulator.execution.thread_pool import ThreadPool
from mule_emulator.queues.manager import QueueManager
from mule_emulator.queues.store import QueueStore

log = logging.getLogger(__name__)

# SedaStageInterceptingMessageProcessor.DEFAULT_QUEUE_SIZE_MAX_THREADS_FACTOR
QUEUE_SIZE_MAX_THREADS_FACTOR = 4


def seda_queue_name(stage_name: str) -> str:
    """The queue-manager name of a stage's queue: ``seda.queue(<stage name>)``."""
    return f"seda.queue({stage_name})"


def seda_queue_capacity(max_queue_size: int | None, max_threads_active: int) -> int:
    """A stage queue's capacity for the QueueManager (0 = unbounded).

    ``None``/0 → ``4 x maxThreadsActive`` (Mule's default since 3.6); negative →
    unbounded; otherwise as configured.
    """
    if not max_queue_size:
        return QUEUE_SIZE_MAX_THREADS_FACTOR * max(1, max_threads_active)
    if max_queue_size < 0:
        return 0
    return max_queue_size


def _log_error(event: Any, exc: BaseException) -> None:
    log.error("SEDA stage could not process an event", exc_info=exc)


class SedaStage:
    """A queued hand-off: ``enqueue`` on the caller's thread, processing on ``pool``.

    ``process(event)`` runs on a pool thread; its exceptions go to the pool's
    ``on_error``. ``on_reject(event, exc)`` receives an event that was dequeued but that
    the pool refused (ABORT, WAIT timed out): in Mule it is a MessagingException for
    the flow's exception strategy.
    """

    def __init__(
        self,
        name: str,
        queue: QueueStore,
        pool: ThreadPool,
        process: Callable[[Any], None],
        queue_timeout_s: float = 0.2,
        offer_timeout_s: float = 30.0,
        on_reject: Callable[[Any, BaseException], None] | None = None,
        on_take: Callable[[Any], None] | None = None,
    ) -> None:
        self.name = name
        self.on_take = on_take  # told about each event as it leaves the queue (tracing)
        self.queue = queue
        self.pool = pool
        self.process = process
        self.queue_timeout_s = queue_timeout_s
        self.offer_timeout_s = offer_timeout_s
        self.on_reject = on_reject or _log_error
        self._stopping = threading.Event()
        self._paused = False
        self._cond = threading.Condition()
        self._started = False
        self._poller_live = False
        self._own_thread: threading.Thread | None = None

    @classmethod
    def build(
        cls,
        name: str,
        manager: QueueManager,
        pool: ThreadPool,
        process: Callable[[Any], None],
        max_queue_size: int | None = None,
        persistent: bool = False,
        queue_timeout_ms: int = 200,
        on_reject: Callable[[Any, BaseException], None] | None = None,
    ) -> SedaStage:
        """Configure ``seda.queue(name)`` in ``manager`` and build the stage on it.

        The offer timeout is the pool's ``threadWaitTimeout`` (a negative one waits
        forever), as in Mule.
        """
        qname = seda_queue_name(name)
        manager.configure(qname, seda_queue_capacity(max_queue_size, pool.max_threads), persistent)
        wait_ms = pool.wait_timeout_ms
        return cls(
            name,
            manager.get(qname),
            pool,
            process,
            queue_timeout_s=queue_timeout_ms / 1000.0,
            offer_timeout_s=wait_ms / 1000.0 if wait_ms >= 0 else -1.0,
            on_reject=on_reject,
        )

    @property
    def description(self) -> str:
        """Mule's stage description, used in its messages."""
        return f"SEDA Stage {self.name}"

    # ------------------------------------------------------------------ producer side

    def enqueue(self, event: Any) -> None:
        """Queue ``event`` for the pool, waiting up to the offer timeout for room.

        When the pool does not thread (``doThreading=false``) the event is processed
        here and now. Raises ``FailedToQueueEventError`` on a full queue and
        ``QueueClosedError`` after the queue was closed.
        """
        if not self.pool.threading:
            self.process(event)
            return
        timeout = self.offer_timeout_s
        if not self.queue.offer(event, None if timeout < 0 else timeout):
            ms = round(timeout * 1000)
            raise FailedToQueueEventError(
                f"The queue for '{self.description}' did not accept new event within "
                f"{ms} MILLISECONDS",
                event,
            )

    # ------------------------------------------------------------------ consumer side

    def poll_once(self) -> bool:
        """One pass of the poller: dequeue one event (waiting ``queueTimeout``) and hand
        it to the pool. True when an event was taken."""
        event = self.queue.claim(self.queue_timeout_s, self._stopping)
        if event is None:
            return False
        try:
            if self._paused and not self._stopping.is_set():
                self.queue.untake(event)  # paused while waiting: put it back at the head
                return False
            if self.on_take is not None:
                self.on_take(event)
            try:
                self.pool.submit(lambda: self.process(event))
            except Exception as exc:
                self.on_reject(event, exc)
        finally:
            self.queue.release_claim()
        return True

    def _should_exit(self) -> bool:
        if not self._stopping.is_set():
            return False
        # Draining stop (S-6): a transient queue is emptied first; a persistent one
        # keeps its events for the next start.
        return self.queue.persistent or self._paused or self.queue.size() <= 0

    def _run(self) -> None:
        try:
            while not self._should_exit():
                if self._paused and not self._stopping.is_set():
                    with self._cond:
                        self._cond.wait(self.queue_timeout_s)
                    continue
                try:
                    self.poll_once()
                except QueueClosedError:
                    return
                except Exception:
                    log.exception("SEDA stage %s poller failure", self.name)
        finally:
            with self._cond:
                self._poller_live = False
                self._cond.notify_all()

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start the poller on a pool thread (or its own thread if the pool refuses)."""
        with self._cond:
            if self._started:
                return
            self._started = True
            self._stopping.clear()
            if not self.pool.threading:
                return  # events run inline in enqueue(); nothing to poll
            self._poller_live = True
        if not self.pool.try_submit(self._run, background=True):
            self._own_thread = threading.Thread(
                target=self._run, name=f"{self.name}.poller", daemon=False
            )
            self._own_thread.start()

    def signal_stop(self) -> None:
        """Ask the poller to finish by the stop rule (drain or not), without waiting."""
        self._stopping.set()
        self.queue.wake()
        with self._cond:
            self._cond.notify_all()

    def stop(self, timeout: float = 5.0) -> bool:
        """Stop the poller after draining (transient queue) or at once (persistent).

        Waits up to ``timeout`` seconds; True when the poller has ended. Events already
        handed to the pool finish there (the pool's shutdown waits for them).
        """
        deadline = time.monotonic() + max(0.0, timeout)
        self._stopping.set()
        self.queue.wake()
        with self._cond:
            self._cond.notify_all()
            while self._poller_live:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            self._started = False
            done = not self._poller_live
        if self._own_thread is not None and self._own_thread is not threading.current_thread():
            self._own_thread.join(max(0.0, deadline - time.monotonic()))
        return done

    def pause(self) -> None:
        """Keep accepting events but stop dequeuing them (S-5)."""
        with self._cond:
            self._paused = True

    def resume(self) -> None:
        with self._cond:
            self._paused = False
            self._cond.notify_all()

    @property
    def started(self) -> bool:
        return self._started

    @property
    def stopping_requested(self) -> threading.Event:
        """Set once ``stop`` has been asked for (the poller finishes by the stop rule)."""
        return self._stopping

    @property
    def paused(self) -> bool:
        return self._paused

    def quiescence(self) -> tuple[bool, int]:
        """Idle when nothing is queued or claimed (a stopped or paused stage counts as
        idle: its queued events wait for a start or resume)."""
        quiet, changes = self.queue.quiescence()
        if not self._started or self._paused:
            return True, changes
        return quiet, changes


__all__ = [
    "QUEUE_SIZE_MAX_THREADS_FACTOR",
    "SedaStage",
    "seda_queue_capacity",
    "seda_queue_name",
]

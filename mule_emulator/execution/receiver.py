"""VM one-way message receivers: the poll loops behind one-way inbound endpoints (R1-R4).

Two shapes, both polling one queue and both running their loops on the connector's
receiver pool, where each loop occupies a thread as in Mule:

- ``PollingReceiver`` (not transacted, R3): each pass takes a first message waiting up
  to ``queueTimeout``, then up to a batch more without waiting, and submits each as its
  own work item to the receiver pool. The loop does not wait for them (3.8.4+). When
  the pool is exhausted its RUN action makes the poller process the message itself.
- ``TransactedReceiver`` (R4): N independent loops; each waits while the queue is
  empty (Mule sleeps 50 ms; we wait on the queue for at most that long) and otherwise
  calls the runtime's ``transacted_take_and_process()``, which begins the transaction,
  takes one message and routes it in this thread.

Loop bodies are plain methods (``poll_once``) that tests call directly. A loop that
cannot get a pool thread (the pool is exhausted or does not thread) runs on a thread
of its own, as Mule's connector scheduler thread would run it under RUN.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from mule_emulator import tracing
from mule_emulator.errors import QueueClosedError
from mule_emulator.execution.thread_pool import ErrorHandler, ThreadPool
from mule_emulator.queues.store import QueueStore

log = logging.getLogger(__name__)

# Mule's AbstractPollingMessageReceiver.DEFAULT_STARTUP_DELAY. We default to 0 (see R1:
# the delay only makes early messages wait); runtimes that want Mule's timing pass it.
MULE_STARTUP_DELAY_S = 1.0
# TransactedPollingMessageReceiver's sleep when the queue is empty (mule.vm.pollingSleepWaitTime).
TRANSACTED_IDLE_WAIT_S = 0.05
# How long a poll loop pauses after a failed pass before it polls again.
ERROR_PAUSE_S = 0.05


def receiver_batch_size(available: int, max_threads_active: int) -> int:
    """How many messages a non-transacted poll takes after the first one (R3).

    ``max(1, min(available, maxThreadsActive // 2 - 1))``, or 0 when nothing is queued
    (the first poll still waits ``queueTimeout``). 7 with the default 16 threads.
    """
    if available <= 0:
        return 0
    return max(1, min(available, max_threads_active // 2 - 1))


def transacted_worker_count(
    concurrent_receivers: int, create_multiple: bool, do_threading: bool
) -> int:
    """How many transacted poll loops start (R4): N only with both flags, else 1."""
    if create_multiple and do_threading:
        return max(1, concurrent_receivers)
    return 1


def _log_error(exc: BaseException) -> None:
    log.error("Receiver failure", exc_info=exc)


class _PollLoops:
    """Start, run and stop a number of identical poll loops (shared by both receivers)."""

    def __init__(
        self,
        name: str,
        queue: QueueStore,
        pool: ThreadPool,
        loops: int,
        initial_delay_s: float,
        on_error: ErrorHandler | None,
    ) -> None:
        self.name = name
        self.queue = queue
        self.pool = pool
        self.initial_delay_s = max(0.0, initial_delay_s)
        self.on_error: ErrorHandler = on_error or _log_error
        self._loops = max(1, loops)
        self._stopping = threading.Event()
        self._cond = threading.Condition()
        self._live = 0
        self._started = False
        self._own_threads: list[threading.Thread] = []
        self._seq = 0

    @property
    def started(self) -> bool:
        return self._started

    @property
    def stopping(self) -> threading.Event:
        return self._stopping

    def start(self) -> None:
        """Start the loops: each on a receiver-pool thread, or on its own when refused."""
        with self._cond:
            if self._started:
                return
            self._started = True
            self._stopping.clear()
            self._own_threads = [t for t in self._own_threads if t.is_alive()]
        for _ in range(self._loops):
            with self._cond:
                self._live += 1
            if not self.pool.try_submit(self._loop, background=True):
                self._seq += 1
                t = threading.Thread(
                    target=self._loop, name=f"{self.name}.poller.{self._seq:02d}", daemon=False
                )
                self._own_threads.append(t)
                t.start()

    def signal_stop(self) -> None:
        """Ask the loops to end after their current pass, without waiting."""
        self._stopping.set()
        self.queue.wake()

    def stop(self, timeout: float = 5.0) -> bool:
        """Ask the loops to end after their current pass; wait up to ``timeout`` seconds.

        True when every loop has ended. Work already handed to the pool goes on.
        """
        deadline = time.monotonic() + max(0.0, timeout)
        self._stopping.set()
        self.queue.wake()
        with self._cond:
            self._started = False
            while self._live:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            done = self._live == 0
        for t in self._own_threads:
            if t is not threading.current_thread():
                t.join(max(0.0, deadline - time.monotonic()))
        return done

    def _loop(self) -> None:
        try:
            if self.initial_delay_s and self._stopping.wait(self.initial_delay_s):
                return
            while not self._stopping.is_set():
                try:
                    self.pass_once()
                except QueueClosedError:
                    return
                except Exception as exc:  # Mule hands it to the exception listener and loops on
                    self.on_error(exc)
                    # A failure that repeats (a broken store) must not spin: pause a
                    # little, but wake at once when stopped.
                    self._stopping.wait(ERROR_PAUSE_S)
        finally:
            with self._cond:
                self._live -= 1
                self._cond.notify_all()

    def pass_once(self) -> None:  # overridden by the receivers
        raise NotImplementedError


class PollingReceiver(_PollLoops):
    """The non-transacted VM receiver (R3): batch polls, one work item per message.

    ``on_message(message)`` runs on a receiver-pool thread (or in the poller under
    RUN). ``rebuild(message)``, when given, is applied to messages 2..n of a batch (the
    R3 quirk: Mule rebuilds them, giving a new id and dropping attachments).
    ``on_take(message)``, when given, is told in the poller thread about every message
    as it leaves the queue (the runtime's trace hook); ``on_take_traces_only`` says
    that it only listens while a trace is active.
    """

    def __init__(
        self,
        name: str,
        queue: QueueStore,
        pool: ThreadPool,
        on_message: Callable[[Any], None],
        queue_timeout_s: float = 0.2,
        initial_delay_s: float = 0.0,
        rebuild: Callable[[Any], Any] | None = None,
        on_error: ErrorHandler | None = None,
        on_take: Callable[[Any], None] | None = None,
        on_take_traces_only: bool = False,
    ) -> None:
        super().__init__(name, queue, pool, 1, initial_delay_s, on_error)
        self.on_message = on_message
        self.queue_timeout_s = queue_timeout_s
        self.rebuild = rebuild
        self.on_take = on_take
        # True when ``on_take`` does something only while a trace is active: then,
        # outside a trace, a poll may claim its batch at once.
        self.on_take_traces_only = on_take_traces_only
        self.lost = 0  # messages polled but never handed on (the pool refused them)

    def batch_size(self, available: int) -> int:
        return receiver_batch_size(available, self.pool.max_threads)

    def poll_once(self) -> int:
        """One pass of the poll loop; returns how many messages it took.

        Every message is claimed from the queue until the pool has accepted it, so an
        idle check never sees it nowhere. If the pool refuses one (ABORT, WAIT timed
        out, shut down), that message and the rest of the batch are lost, as in Mule,
        and the failure goes to ``on_error``.
        """
        batch = self.batch_size(self.queue.size())
        queue = self.queue
        if (
            batch
            and not tracing.current.active
            and (self.on_take is None or self.on_take_traces_only or queue.persistent)
        ):
            # The first message (waiting queueTimeout) and the batch in one claim: one
            # lock round, and a persistent queue syncs their removal once instead of once
            # per message. (A take hook is told the depth each take leaves, so while it
            # may be listening the messages are taken one by one.)
            messages = self.queue.claim_batch(1 + batch, self.queue_timeout_s, self._stopping)
            if len(messages) > 1 and self.rebuild is not None:
                rebuild = self.rebuild
                messages[1:] = [rebuild(more) for more in messages[1:]]
            if self.on_take is not None:
                for message in messages:
                    self.on_take(message)
        else:
            messages = self._claim_one_by_one(batch)
        if not messages:
            return 0
        # Every message is its own work item (R3); the batch goes to the pool in one
        # round. Claims are released once the pool has them (or they are lost).
        work = self._work_item
        try:
            handed, failure = self.pool.submit_all([work(message) for message in messages])
        finally:
            release = self.queue.release_claim
            for _ in messages:
                release()
        if failure is not None:
            self.lost += len(messages) - handed
            self.on_error(failure)
        return len(messages)

    def _claim_one_by_one(self, batch: int) -> list[Any]:
        """The first claim (waiting queueTimeout) and up to ``batch`` more, telling
        ``on_take`` about each as it is taken (with the depth it leaves)."""
        first = self.queue.claim(self.queue_timeout_s, self._stopping)
        if first is None:
            return []
        messages = [first]
        if self.on_take is not None:  # trace hook
            self.on_take(first)
        for _ in range(batch):
            more = self.queue.claim(0)
            if more is None:
                break
            messages.append(self.rebuild(more) if self.rebuild else more)
            if self.on_take is not None:  # trace hook
                self.on_take(messages[-1])
        return messages

    def _work_item(self, message: Any) -> Callable[[], None]:
        return lambda: self.on_message(message)

    def pass_once(self) -> None:
        self.poll_once()

    def quiescence(self) -> tuple[bool, int]:
        """Idle when stopped, or when the queue holds and claims nothing."""
        if not self.started:
            return True, 0
        return self.queue.quiescence()


class TransactedReceiver(_PollLoops):
    """The transacted VM receiver (R4): ``workers`` loops, one message per transaction.

    ``transacted_take_and_process()`` is the runtime's: it begins the transaction, takes
    one message with ``queueTimeout``, routes it in this thread and resolves the
    transaction (marking it rollback-only when nothing came).
    """

    def __init__(
        self,
        name: str,
        queue: QueueStore,
        pool: ThreadPool,
        transacted_take_and_process: Callable[[], object],
        workers: int = 4,
        idle_wait_s: float = TRANSACTED_IDLE_WAIT_S,
        initial_delay_s: float = 0.0,
        on_error: ErrorHandler | None = None,
    ) -> None:
        super().__init__(name, queue, pool, workers, initial_delay_s, on_error)
        self.transacted_take_and_process = transacted_take_and_process
        self.idle_wait_s = idle_wait_s
        self.workers = max(1, workers)
        self._busy_lock = threading.Lock()
        self._busy = 0
        self._changes = 0

    def poll_once(self) -> bool:
        """One pass: False when the queue was empty (after a bounded wait), True when
        the callback ran."""
        if self.queue.size() == 0:
            self.queue.wait_for_items(self.idle_wait_s, self._stopping)
            return False
        with self._busy_lock:
            self._busy += 1
            self._changes += 1
        try:
            self.transacted_take_and_process()
        finally:
            with self._busy_lock:
                self._busy -= 1
                self._changes += 1
        return True

    def pass_once(self) -> None:
        self.poll_once()

    @property
    def busy(self) -> int:
        """How many loops are inside ``transacted_take_and_process`` now."""
        with self._busy_lock:
            return self._busy

    def quiescence(self) -> tuple[bool, int]:
        """Idle when stopped, or when no loop is processing and the queue is quiet."""
        if not self.started:
            with self._busy_lock:
                return self._busy == 0, self._changes
        with self._busy_lock:
            busy, changes = self._busy, self._changes
        quiet, queue_changes = self.queue.quiescence()
        return busy == 0 and quiet, changes + queue_changes


__all__ = [
    "MULE_STARTUP_DELAY_S",
    "TRANSACTED_IDLE_WAIT_S",
    "PollingReceiver",
    "TransactedReceiver",
    "receiver_batch_size",
    "transacted_worker_count",
]

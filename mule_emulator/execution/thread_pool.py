"""ThreadPool: a work manager built from a threading profile (TP-3, TP-4, TP-5).

Mule hands every piece of asynchronous work to a Java ``ThreadPoolExecutor`` whose
shape comes from a threading profile. This class reproduces the executor's rules, so
that exhausted pools behave as they do in Mule:

1. fewer threads than core (``min(maxThreadsIdle, maxThreadsActive)``) → a new thread;
2. else the task goes to the buffer: a bounded deque of ``maxBufferSize`` when that is
   positive and ``maxThreadsActive > 1``; otherwise a zero-capacity hand-off that only
   succeeds when an idle thread is waiting for work;
3. else, below ``maxThreadsActive`` threads → a new thread;
4. else the pool is exhausted and ``poolExhaustedAction`` decides: RUN (the submitter
   runs it), WAIT (wait for room up to ``threadWaitTimeout``), DISCARD, DISCARD_OLDEST,
   ABORT.

Idle threads above core die after ``threadTTL``. ``doThreading=false`` runs every task
inline. A task's exception never escapes a worker: it goes to ``on_error``.

Hand-off (performance): an idle worker parks on a lock of its own and sits on a LIFO
stack of idle workers (no ``Condition`` herd). A task accepted by the hand-off waits in
the pool's deque, reserved for the idle workers, and at most one worker is being woken
at a time: the woken worker takes the head and, if more is waiting, wakes the next one
before it runs its task, while a worker that finishes takes the next waiting task
without parking. So a burst of tasks costs a few thread wake-ups instead of one per
task (under the GIL a wake-up is the dearest part of a hand-off), and yet every task
accepted while threads were idle gets a thread of its own as soon as the tasks before
it block. Acceptance is unchanged: the hand-off accepts a task only while fewer tasks
wait than idle (parked or waking) workers, so the executor rules and the exhausted
actions see the same pool. Conditions are only notified when somebody waits on them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from mule_emulator.errors import PoolExhaustedError
from mule_emulator.model.config import ThreadingProfile, merge_threading

log = logging.getLogger(__name__)

Task = Callable[[], None]
ErrorHandler = Callable[[BaseException], None]
_Entry = tuple[Task, bool]  # a task and whether it counts as pending work

# Spellings Mule accepts for poolExhaustedAction (TP-4), case-insensitive.
_ACTIONS = {
    "WAIT": "WAIT",
    "WHEN_EXHAUSTED_WAIT": "WAIT",
    "0": "WAIT",
    "DISCARD": "DISCARD",
    "WHEN_EXHAUSTED_DISCARD": "DISCARD",
    "1": "DISCARD",
    "DISCARD_OLDEST": "DISCARD_OLDEST",
    "WHEN_EXHAUSTED_DISCARD_OLDEST": "DISCARD_OLDEST",
    "2": "DISCARD_OLDEST",
    "ABORT": "ABORT",
    "WHEN_EXHAUSTED_ABORT": "ABORT",
    "3": "ABORT",
    "RUN": "RUN",
    "WHEN_EXHAUSTED_RUN": "RUN",
    "4": "RUN",
}


def exhausted_action(value: str) -> str:
    """Normalise a poolExhaustedAction spelling to WAIT/DISCARD/DISCARD_OLDEST/ABORT/RUN."""
    try:
        return _ACTIONS[str(value).strip().upper()]
    except KeyError:
        raise ValueError(f"Unknown poolExhaustedAction '{value}'") from None


@dataclass(frozen=True)
class PoolStatistics:
    """A snapshot of one pool."""

    name: str
    threads: int  # live worker threads
    active: int  # tasks running on worker threads
    idle: int  # worker threads waiting for work
    largest: int  # the most worker threads alive at once
    max: int  # maxThreadsActive
    buffered: int  # tasks accepted and waiting for a thread
    completed: int  # tasks finished (worker, caller-run or inline)
    rejected: int  # submissions that found the pool exhausted (any action)
    discarded: int  # tasks dropped by DISCARD / DISCARD_OLDEST / a bounded shutdown
    peak: int  # the most tasks running on worker threads at once
    caller_runs: int  # tasks the submitter ran itself (RUN)


def _default_on_error(exc: BaseException) -> None:
    log.error("Uncaught exception in a thread pool task", exc_info=exc)


class _Worker:
    """One worker thread's parking place: its lock is held while it waits for work, and
    whoever gives it a task (or tells it to re-check) releases the lock."""

    __slots__ = ("park", "thread", "woken")

    def __init__(self) -> None:
        self.park = threading.Lock()
        self.park.acquire()
        self.woken = False  # unparked and counted in the pool's ``_waking``
        self.thread: threading.Thread | None = None


class ThreadPool:
    """A pool of named, non-daemon worker threads shaped by a ``ThreadingProfile``.

    Threads are created lazily and named ``<name>.NN``. ``submit`` never loses a task
    silently except under DISCARD / DISCARD_OLDEST, which count it.
    """

    def __init__(
        self,
        name: str,
        profile: ThreadingProfile | None = None,
        on_error: ErrorHandler | None = None,
    ) -> None:
        p = merge_threading(profile)
        assert p.max_threads_active is not None and p.max_threads_idle is not None
        assert p.thread_ttl_ms is not None and p.max_buffer_size is not None
        assert p.thread_wait_timeout_ms is not None and p.pool_exhausted_action is not None
        self.name = name
        self.profile = p
        self.max_threads = max(1, p.max_threads_active)
        self.core_threads = max(0, min(p.max_threads_idle, self.max_threads))
        self.keep_alive_s = max(0, p.thread_ttl_ms) / 1000.0
        self.buffer_capacity = (
            p.max_buffer_size if p.max_buffer_size > 0 and self.max_threads > 1 else 0
        )
        self.action = exhausted_action(p.pool_exhausted_action)
        self.wait_timeout_ms = p.thread_wait_timeout_ms
        self.threading = bool(p.do_threading)
        self.on_error: ErrorHandler = on_error or _default_on_error

        self._lock = threading.Lock()
        self._room = threading.Condition(self._lock)  # WAIT submitters wait for room
        self._done = threading.Condition(self._lock)  # pending reached 0 / a worker left
        self._room_waiters = 0
        self._done_waiters = 0
        # Accepted tasks no worker has taken yet: the first ones are hand-offs reserved
        # for the parked and waking workers, any beyond them are the buffer.
        self._queue: deque[_Entry] = deque()
        self._workers: set[threading.Thread] = set()
        self._idle: list[_Worker] = []  # parked workers, the most recently parked last
        self._waking = 0  # workers unparked that have not yet looked at the queue
        self._seq = 0
        self._running = 0  # tasks executing on workers
        self._pending = 0  # accepted and not finished, wherever they run
        self._changes = 0
        self._shutdown = False
        self._largest = 0
        self._peak = 0
        self._completed = 0
        self._rejected = 0
        self._discarded = 0
        self._caller_runs = 0

    # ------------------------------------------------------------------ submitting

    def submit(self, fn: Task) -> None:
        """Run ``fn`` on the pool, following the executor rules and the exhausted action.

        Raises ``PoolExhaustedError`` under ABORT, when WAIT timed out, or when the pool
        is shut down.
        """
        if not self.threading:
            with self._lock:
                self._accept_locked()
            self._run_here(fn)
            return
        with self._lock:
            if self._execute_locked(fn):
                return
            self._rejected += 1
            action = self.action
            if action == "DISCARD":
                self._discarded += 1
                return
            if action == "ABORT":
                raise PoolExhaustedError(self._abort_message_locked())
            if action == "RUN":
                self._caller_runs += 1
                self._accept_locked()
            elif action == "WAIT":
                self._wait_for_room_locked(fn)
                return
            else:  # DISCARD_OLDEST
                self._discard_oldest_locked(fn)
                return
        self._run_here(fn)  # RUN: the submitter is the back-pressure

    def submit_all(self, fns: list[Task]) -> tuple[int, Exception | None]:
        """``submit`` each of ``fns`` in order, stopping at the first that raises.

        Returns how many were handed on and the exception that stopped the rest (None
        when all were). The tasks the executor rules accept as they stand are taken in
        one lock round (a poller handing on a batch); from the first one they refuse,
        the rest go through ``submit`` one by one, so the exhausted action applies to
        each as if they had been submitted separately with nothing in between.
        """
        handed = 0
        try:
            if self.threading:
                with self._lock:
                    execute = self._execute_locked
                    for fn in fns:
                        if not execute(fn):
                            break
                        handed += 1
            for fn in fns[handed:]:
                self.submit(fn)
                handed += 1
        except Exception as exc:
            return handed, exc
        return handed, None

    def try_submit(self, fn: Task, background: bool = False) -> bool:
        """Hand ``fn`` to a pool thread if the executor rules allow it; never apply the
        exhausted action and never run ``fn`` here. False when it was not accepted.

        ``background`` marks a long-running loop (a receiver's or SEDA stage's poller):
        it occupies a thread as in Mule but does not count as pending work for
        ``idle()``; the loop reports its own activity.
        """
        if not self.threading:
            return False
        with self._lock:
            return self._execute_locked(fn, counted=not background)

    def _execute_locked(self, fn: Task, counted: bool = True) -> bool:
        if self._shutdown:
            raise PoolExhaustedError(
                f"ThreadPoolExecutor is already shut down (pool '{self.name}')"
            )
        entry = (fn, counted)
        n = len(self._workers)
        if n < self.core_threads:
            self._accept_locked(counted)
            self._add_worker_locked(entry)
            return True
        if self._offer_locked(entry):
            self._accept_locked(counted)
            if not self._workers:
                self._add_worker_locked(None)
            return True
        if n < self.max_threads:
            self._accept_locked(counted)
            self._add_worker_locked(entry)
            return True
        return False

    def _offer_locked(self, entry: _Entry) -> bool:
        """Step 2: a hand-off to a thread that is waiting for work, or the buffer.

        Each waiting task is matched with an idle (parked or waking) worker first and
        with a buffer slot after that, so the queue accepts a task exactly when Java's
        hand-off or bounded buffer would. The task waits in FIFO order either way.
        """
        queue = self._queue
        if len(queue) >= len(self._idle) + self._waking + self.buffer_capacity:
            return False
        queue.append(entry)
        if not self._waking and self._idle:
            self._wake_one_locked()
        return True

    def _wake_one_locked(self) -> None:
        """Unpark the most recently parked worker to take the head of the queue."""
        worker = self._idle.pop()
        worker.woken = True
        self._waking += 1
        worker.park.release()

    def _covered_locked(self) -> int:
        """How many waiting tasks are hand-offs to idle workers (the rest are buffered)."""
        return min(len(self._queue), len(self._idle) + self._waking)

    def _room_wait_locked(self, timeout: float | None) -> None:
        self._room_waiters += 1
        try:
            self._room.wait(timeout)
        finally:
            self._room_waiters -= 1

    def _room_freed_locked(self) -> None:
        """One unit of room appeared (a parked worker, a buffer slot): wake one waiter."""
        if self._room_waiters:
            self._room.notify()

    def _wait_for_room_locked(self, fn: Task) -> None:
        # Mule's WaitPolicy: offer to the work queue, waiting up to threadWaitTimeout; it
        # never starts a thread. 0 = do not wait, negative = forever (TP-4 quirk).
        timeout_ms = self.wait_timeout_ms
        deadline = None if timeout_ms < 0 else time.monotonic() + timeout_ms / 1000.0
        while True:
            if self._shutdown:
                raise PoolExhaustedError("ThreadPoolExecutor is already shut down")
            if self._offer_locked((fn, True)):
                self._accept_locked()
                return
            if deadline is None:
                self._room_wait_locked(None)
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PoolExhaustedError(
                    f"ThreadPoolExecutor did not accept within {timeout_ms} MILLISECONDS"
                )
            self._room_wait_locked(remaining)

    def _discard_oldest_locked(self, fn: Task) -> None:
        # Java drops the head of the work queue and executes again, as often as it
        # takes. With a hand-off there is nothing to drop, so this waits (on a
        # condition, not spinning) until a thread or a slot frees up.
        while True:
            if self._shutdown:  # DiscardOldestPolicy drops the task of a shut-down pool
                self._discarded += 1
                return
            covered = self._covered_locked()
            if len(self._queue) > covered:  # the oldest buffered task (not a hand-off)
                _, counted = self._queue[covered]
                del self._queue[covered]
                self._discarded += 1
                if counted:
                    self._pending -= 1
                self._changes += 1
            if self._execute_locked(fn):
                return
            self._room_wait_locked(None)

    def _accept_locked(self, counted: bool = True) -> None:
        if counted:
            self._pending += 1
        self._changes += 1

    # ------------------------------------------------------------------ running

    def _add_worker_locked(self, first: _Entry | None) -> None:
        self._seq += 1
        worker = _Worker()
        t = threading.Thread(
            target=self._worker,
            args=(worker, first),
            name=f"{self.name}.{self._seq:02d}",
            daemon=False,
        )
        worker.thread = t
        self._workers.add(t)
        if first is not None:
            self._started_locked()
        if len(self._workers) > self._largest:
            self._largest = len(self._workers)
        t.start()

    def _started_locked(self) -> None:
        self._running += 1
        if self._running > self._peak:
            self._peak = self._running

    def _worker(self, worker: _Worker, first: _Entry | None) -> None:
        entry = first
        lock = self._lock
        call = self._call
        while True:
            if entry is None:
                entry = self._get_task(worker)
                if entry is None:
                    return
            fn, counted = entry
            entry = None
            try:
                call(fn)
            except BaseException:
                # Only SystemExit/KeyboardInterrupt get here: leave the pool consistent
                # (counters, thread set) before the thread dies with them.
                with lock:
                    self._running -= 1
                    if counted:
                        self._finished_locked()
                    self._workers.discard(threading.current_thread())
                    self._notify_done_locked()
                raise
            with lock:
                # Finish and, when the buffer holds work, take the next task in the
                # same critical section (a busy worker never parks).
                self._running -= 1
                if counted:
                    self._finished_locked()
                else:
                    self._changes += 1
                if self._queue:
                    entry = self._queue.popleft()
                    self._started_locked()
                    self._room_freed_locked()

    def _get_task(self, worker: _Worker) -> _Entry | None:
        """The next task, or None when this worker must end (shutdown, or idle past TTL).

        Parks the worker when there is nothing to do. The worker removes itself from
        the pool in the same critical section as it decides to end, so the thread count
        is never stale.
        """
        lock = self._lock
        timed_out = False
        with lock:
            while True:
                if worker.woken:
                    worker.woken = False
                    self._waking -= 1
                queue = self._queue
                if queue:
                    entry = queue.popleft()
                    self._started_locked()
                    if queue and not self._waking and self._idle:
                        self._wake_one_locked()  # the next waiting task gets its thread
                    return entry
                timed = len(self._workers) > self.core_threads
                if self._shutdown or (timed and timed_out):
                    self._workers.discard(threading.current_thread())
                    self._notify_done_locked()
                    return None
                self._idle.append(worker)
                self._room_freed_locked()  # a WAIT submitter may now hand off to us
                lock.release()
                try:
                    woken = worker.park.acquire(True, self.keep_alive_s if timed else -1)
                finally:
                    lock.acquire()
                if woken:
                    continue
                if worker in self._idle:
                    self._idle.remove(worker)
                    timed_out = True
                    continue
                # Woken as the wait ran out: take the release, then look at the queue.
                worker.park.acquire()
                timed_out = False

    def _run_here(self, fn: Task) -> None:
        try:
            self._call(fn)
        finally:
            with self._lock:
                self._finished_locked()

    def _finished_locked(self) -> None:
        self._pending -= 1
        self._completed += 1
        self._changes += 1
        if self._pending == 0 and self._done_waiters:
            self._done.notify_all()

    def _notify_done_locked(self) -> None:
        if self._done_waiters:
            self._done.notify_all()

    def _done_wait_locked(self, timeout: float) -> None:
        self._done_waiters += 1
        try:
            self._done.wait(timeout)
        finally:
            self._done_waiters -= 1

    def _call(self, fn: Task) -> None:
        try:
            fn()
        except Exception as exc:
            try:
                self.on_error(exc)
            except Exception:
                log.exception("on_error of pool '%s' failed", self.name)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Accept work again after ``shutdown`` (an application restart)."""
        with self._lock:
            self._shutdown = False

    def shutdown(self, wait_s: float = 5.0) -> bool:
        """Stop accepting work, let the threads finish what was accepted, join them.

        Waits at most ``wait_s`` seconds in total. Work still buffered when the bound
        expires is discarded (counted); a task still running cannot be interrupted and
        its thread ends when the task returns. True when every thread has ended.
        """
        deadline = time.monotonic() + max(0.0, wait_s)
        with self._lock:
            self._shutdown = True
            self._unpark_all_locked()
            self._room.notify_all()
            while self._workers:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._done_wait_locked(remaining)
            if self._workers and self._queue:
                dropped = len(self._queue)
                log.warning(
                    "Pool '%s' did not finish in %.1f s; dropping %d queued tasks",
                    self.name,
                    wait_s,
                    dropped,
                )
                counted = sum(1 for _, c in self._queue if c)
                self._queue.clear()
                self._discarded += dropped
                self._pending -= counted
                self._changes += 1
                if self._pending == 0:
                    self._notify_done_locked()
            workers = list(self._workers)
        me = threading.current_thread()
        for t in workers:
            if t is not me:
                t.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            return not self._workers

    def _unpark_all_locked(self) -> None:
        """Wake every parked worker without a task, so each re-checks the pool state."""
        idle, self._idle = self._idle, []
        for worker in idle:
            worker.woken = True
            self._waking += 1
            worker.park.release()

    @property
    def is_shutdown(self) -> bool:
        return self._shutdown

    # ------------------------------------------------------------------ observing

    def idle(self) -> bool:
        """No task running (on a worker, the submitter or inline) or buffered."""
        with self._lock:
            return self._pending == 0

    def quiescence(self) -> tuple[bool, int]:
        """(idle, change counter), read atomically; see ``Engine.wait_until_idle``."""
        with self._lock:
            return self._pending == 0, self._changes

    def wait_idle(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until ``idle()``; return whether it is."""
        deadline = time.monotonic() + max(0.0, timeout)
        with self._lock:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._done_wait_locked(remaining)
            return True

    def threads(self) -> list[threading.Thread]:
        """The live worker threads (for tests and views)."""
        with self._lock:
            return list(self._workers)

    def statistics(self) -> PoolStatistics:
        with self._lock:
            covered = self._covered_locked()
            return PoolStatistics(
                name=self.name,
                threads=len(self._workers),
                active=self._running,
                idle=len(self._idle) - max(0, covered - self._waking),
                largest=self._largest,
                max=self.max_threads,
                buffered=len(self._queue) - covered,
                completed=self._completed,
                rejected=self._rejected,
                discarded=self._discarded,
                peak=self._peak,
                caller_runs=self._caller_runs,
            )

    def _abort_message_locked(self) -> str:
        state = "Shutting down" if self._shutdown else "Running"
        return (
            f"Task rejected from {self.name}[{state}, pool size = {len(self._workers)}, "
            f"active threads = {self._running}, queued tasks = {len(self._queue)}, "
            f"completed tasks = {self._completed}]"
        )

    def __repr__(self) -> str:
        return f"ThreadPool({self.name!r}, max={self.max_threads}, action={self.action})"


__all__ = ["PoolStatistics", "ThreadPool", "exhausted_action"]

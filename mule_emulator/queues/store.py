"""QueueStore: the one seam every VM queue and SEDA stage queue stands on.

A store holds one named FIFO queue. The base class owns the policy that Mule's
``AbstractQueueStoreDelegate`` owns (VM-2, Q7): waiting for room when a bounded queue is
full, waiting for an item on take, statistics, and the closed state. Concrete stores
(``memory.py``, ``persistent.py``) implement a handful of primitives that are always
called with the store's condition held, so they need no locking of their own.

Blocking names follow Trio: ``put``/``take`` wait up to a timeout, ``put_nowait``
and ``take_nowait`` never wait. A timeout of ``None`` or a negative number waits
forever (Mule 3.9 treats a negative offer timeout so); 0 does not wait.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from mule_emulator.errors import QueueClosedError, QueueFullError


@dataclass(frozen=True)
class QueueStatistics:
    """A snapshot of one queue: what an operator wants to see under load."""

    name: str
    depth: int
    capacity: int  # 0 = unbounded
    persistent: bool
    in_flight: int  # taken but not yet acknowledged (transactions); 0 otherwise
    offered: int  # items accepted
    processed: int  # items taken
    rejected: int  # offers that found no room in time
    peak: int  # the largest depth seen
    claimed: int = 0  # taken by a consumer that has not yet handed the item on (claim())


def _deadline(timeout: float | None) -> float | None:
    """When a wait of ``timeout`` seconds ends; None waits forever (None or negative)."""
    if timeout is None or timeout < 0:
        return None
    return time.monotonic() + timeout


def _time_left(deadline: float | None) -> float | None:
    """Seconds until ``deadline`` (0 once passed); None for a wait without end."""
    return None if deadline is None else max(0.0, deadline - time.monotonic())


class QueueStore(ABC):
    """One named FIFO queue. Thread-safe; every public method may block only as named."""

    persistent: bool = False

    def __init__(self, name: str, capacity: int = 0) -> None:
        self.name = name
        self.capacity = max(0, capacity)
        self._lock = threading.Lock()
        self._not_empty = threading.Condition(self._lock)
        self._not_full = threading.Condition(self._lock)
        self._closed = False
        self._offered = 0
        self._processed = 0
        self._rejected = 0
        self._peak = 0
        self._in_flight = 0
        self._claimed = 0
        # Bumped on every change of depth or claims: lets an observer prove that the
        # queue stood still between two looks (Engine.wait_until_idle).
        self._changes = 0
        # Watchers wait for "something is queued" without consuming it; they get their
        # own condition so a plain notify() on _not_empty never wakes a watcher instead
        # of a taker.
        self._has_items = threading.Condition(self._lock)
        self._watchers = 0
        self._takers = 0  # threads waiting on _not_empty
        self._putters = 0  # threads waiting on _not_full

    # ------------------------------------------------------------ primitives (lock held)

    @abstractmethod
    def _append(self, item: Any) -> None:
        """Add ``item`` at the tail."""

    @abstractmethod
    def _append_first(self, item: Any) -> None:
        """Add ``item`` at the head (an "untake")."""

    @abstractmethod
    def _pop(self) -> Any:
        """Remove and return the head; only called when ``_size() > 0``."""

    @abstractmethod
    def _size(self) -> int:
        """How many items are queued."""

    @abstractmethod
    def _clear(self) -> int:
        """Drop every item; return how many were dropped."""

    def _peek_all(self) -> list[Any]:
        """Every queued item in order, without removing them (for inspection)."""
        raise NotImplementedError

    def _close_store(self) -> None:
        """Release resources (files, connections). Items stay where the store keeps them."""

    # ------------------------------------------------------------ public API

    def put(self, item: Any, timeout: float | None = None) -> None:
        """Append ``item``, waiting up to ``timeout`` seconds for room.

        Raises ``QueueFullError`` when no room appeared in time (Mule's
        "Queue '<name>' is full") and ``QueueClosedError`` after ``close()``.
        """
        if not self.offer(item, timeout):
            raise QueueFullError(f"Queue '{self.name}' is full (max capacity: {self.size()})")

    def put_nowait(self, item: Any) -> None:
        self.put(item, 0)

    def offer(self, item: Any, timeout: float | None = None) -> bool:
        """Append ``item`` if room appears within ``timeout``; False otherwise."""
        # The hot path of every one-way hop: the plain lock (not the Condition wrapper)
        # and notifications only when somebody waits.
        with self._lock:
            if self._closed:
                self._check_open()
            full = self.capacity and self._size() >= self.capacity
            if full and not self._wait_for_room(timeout):
                self._rejected += 1
                return False
            self._append(item)
            self._after_add()
            return True

    def _occupied(self) -> int:
        """Lock held: the places counted against capacity. A store whose puts become
        visible only once durable adds the puts still on their way (persistent.py)."""
        return self._size()

    def _wait_for_room(self, timeout: float | None) -> bool:
        """Lock held, queue full: wait for room; False on timeout, raise when closed."""
        deadline = _deadline(timeout)
        while self._occupied() >= self.capacity:
            remaining = _time_left(deadline)
            if remaining == 0:
                return False
            self._putters += 1
            try:
                self._not_full.wait(remaining)
            finally:
                self._putters -= 1
            self._check_open()
        return True

    def put_now(self, item: Any) -> None:
        """Append regardless of capacity: a rollback putting a take back, a commit (Q9)."""
        with self._lock:
            self._check_open()
            self._append(item)
            self._after_add()

    def untake(self, item: Any) -> None:
        """Put ``item`` back at the head, regardless of capacity."""
        with self._lock:
            self._check_open()
            self._append_first(item)
            self._after_add(count=False)

    def take(self, timeout: float | None = None) -> Any | None:
        """Remove and return the head, waiting up to ``timeout``; None when nothing came."""
        with self._lock:
            if not self._size() and not self._wait_for_item(timeout, None):
                return None
            item = self._pop()
            self._after_take()
            return item

    def take_nowait(self) -> Any | None:
        return self.take(0)

    def _wait_for_item(self, timeout: float | None, until: threading.Event | None) -> bool:
        """Lock held, queue empty: wait for an item; False on timeout, close or ``until``."""
        deadline = _deadline(timeout)
        while not self._size():
            remaining = _time_left(deadline)
            if self._closed or remaining == 0 or (until is not None and until.is_set()):
                return False
            self._takers += 1
            try:
                self._not_empty.wait(remaining)
            finally:
                self._takers -= 1
        return True

    def _after_take(self) -> None:
        self._processed += 1
        self._changes += 1
        if self._putters:
            self._not_full.notify()

    def claim(
        self, timeout: float | None = None, until: threading.Event | None = None
    ) -> Any | None:
        """``take`` that leaves the queue "busy" until ``release_claim()``.

        A consumer that hands the item on (to a thread pool) claims it, so that the
        item is always visible somewhere: queued, claimed, or in the pool. That is what
        makes an idle check race-free. Every claim that returned an item must be
        released exactly once. ``until``: stop waiting (return None) once that event is
        set and ``wake()`` is called, so a stopping consumer need not sit out its timeout.
        """
        with self._lock:
            if not self._size() and not self._wait_for_item(timeout, until):
                return None
            item = self._pop()
            self._claimed += 1
            self._after_take()
            return item

    def release_claim(self) -> None:
        """The claimed item has been handed on (or dropped); see ``claim``."""
        with self._lock:
            self._claimed -= 1
            self._changes += 1

    def wait_for_items(self, timeout: float, until: threading.Event | None = None) -> bool:
        """Wait up to ``timeout`` seconds until something is queued, without taking it.

        True when the queue is not empty; False on timeout, when closed, or once
        ``until`` is set (and ``wake()`` called).
        """
        deadline = time.monotonic() + max(0.0, timeout)
        with self._lock:
            while self._size() == 0:
                remaining = deadline - time.monotonic()
                if self._closed or remaining <= 0 or (until is not None and until.is_set()):
                    return False
                self._watchers += 1
                try:
                    self._has_items.wait(remaining)
                finally:
                    self._watchers -= 1
            return True

    def wake(self) -> None:
        """Wake every consumer blocked in take/claim/wait_for_items so it re-checks its
        ``until`` event (a stopping receiver or stage); the queue is unchanged."""
        with self._lock:
            self._not_empty.notify_all()
            self._has_items.notify_all()

    def quiescence(self) -> tuple[bool, int]:
        """(nothing queued, claimed or in flight; the change counter), read atomically."""
        with self._lock:
            quiet = self._size() == 0 and self._claimed == 0 and self._in_flight == 0
            return quiet, self._changes

    def take_batch(
        self, limit: int, timeout: float | None = 0, until: threading.Event | None = None
    ) -> list[Any]:
        """Take up to ``limit`` items; when none is queued, wait up to ``timeout`` for the
        first (0, the default: do not wait). ``until`` as in ``claim``."""
        return self._take_many(limit, timeout, until, claim=False)

    def claim_batch(
        self, limit: int, timeout: float | None = None, until: threading.Event | None = None
    ) -> list[Any]:
        """``take_batch`` whose items are claimed (see ``claim``): a poller that hands
        several items on gets them with one lock round (a persistent store: with one
        synced removal); ``release_claim()`` once per item."""
        return self._take_many(limit, timeout, until, claim=True)

    def _take_many(
        self, limit: int, timeout: float | None, until: threading.Event | None, claim: bool
    ) -> list[Any]:
        if limit <= 0:
            return []
        with self._lock:
            if not self._size() and not self._wait_for_item(timeout, until):
                return []
            pop = self._pop
            n = min(limit, self._size())
            out = [pop() for _ in range(n)]
            self._processed += n
            self._changes += 1
            if claim:
                self._claimed += n
            if self._putters:
                self._not_full.notify(n)
        return out

    def size(self) -> int:
        with self._lock:
            return self._size()

    def __len__(self) -> int:
        return self.size()

    def items(self) -> list[Any]:
        """A snapshot of the queued items, head first (inspection; not a take)."""
        with self._lock:
            return self._peek_all()

    def purge(self) -> int:
        """Drop every queued item; return how many."""
        with self._lock:
            n = self._clear()
            self._changes += 1
            self._not_full.notify_all()
            return n

    def close(self) -> None:
        """Refuse new items, wake every waiter, release the store. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._not_empty.notify_all()
            self._not_full.notify_all()
            self._has_items.notify_all()
            self._close_store()

    @property
    def closed(self) -> bool:
        return self._closed

    def statistics(self) -> QueueStatistics:
        with self._lock:
            return QueueStatistics(
                name=self.name,
                depth=self._size(),
                capacity=self.capacity,
                persistent=self.persistent,
                in_flight=self._in_flight,
                offered=self._offered,
                processed=self._processed,
                rejected=self._rejected,
                peak=self._peak,
                claimed=self._claimed,
            )

    # ------------------------------------------------------------ helpers

    def _check_open(self) -> None:
        if self._closed:
            raise QueueClosedError(f"Queue '{self.name}' is closed")

    def _after_add(self, count: bool = True) -> None:
        if count:
            self._offered += 1
        self._changes += 1
        depth = self._size()
        if depth > self._peak:
            self._peak = depth
        if self._takers:
            self._not_empty.notify()
        if self._watchers:
            self._has_items.notify_all()


__all__ = ["QueueStatistics", "QueueStore"]

"""VM receivers: batch arithmetic and fire-and-forget work items (R3), transacted
loops (R4), start/stop."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from mule_emulator.errors import PoolExhaustedError, StoreBrokenError
from mule_emulator.execution.receiver import (
    PollingReceiver,
    TransactedReceiver,
    receiver_batch_size,
    transacted_worker_count,
)
from mule_emulator.execution.thread_pool import ThreadPool
from mule_emulator.queues.memory import MemoryQueueStore
from mule_emulator.queues.persistent import PersistentQueueStore

MakePool = Callable[..., ThreadPool]
Until = Callable[..., bool]


@pytest.mark.parametrize(
    ("available", "max_threads", "batch"),
    [
        (0, 16, 0),
        (-1, 16, 0),
        (1, 16, 1),
        (3, 16, 3),
        (7, 16, 7),
        (100, 16, 7),  # the default: min(available, 16 / 2 - 1)
        (100, 6, 2),
        (5, 4, 1),
        (5, 2, 1),  # 2 / 2 - 1 = 0, raised to 1
        (5, 1, 1),  # 1 / 2 - 1 = -1, raised to 1
    ],
)
def test_batch_size(available: int, max_threads: int, batch: int) -> None:
    assert receiver_batch_size(available, max_threads) == batch


@pytest.mark.parametrize(
    ("n", "multiple", "threading_", "count"),
    [(4, True, True, 4), (4, False, True, 1), (4, True, False, 1), (1, True, True, 1)],
)
def test_transacted_worker_count(n: int, multiple: bool, threading_: bool, count: int) -> None:
    assert transacted_worker_count(n, multiple, threading_) == count


def test_a_persistent_batch_is_removed_with_one_sync(make_pool: MakePool, tmp_path: Path) -> None:
    q = PersistentQueueStore("in", 0, tmp_path)
    try:
        for i in range(10):
            q.put(i)
        seen: list[int] = []
        lock = threading.Lock()

        def on_message(m: int) -> None:
            with lock:
                seen.append(m)

        pool = make_pool("vm.receiver")
        r = PollingReceiver("in", q, pool, on_message, queue_timeout_s=0.01)
        before = q._db.rounds
        assert r.poll_once() == 8  # R3 as on a memory queue: the first and 7 more
        assert q._db.rounds - before == 1
        assert pool.wait_idle(5)
        assert sorted(seen) == list(range(8))
        assert q.quiescence()[0] is False and q.size() == 2  # every claim released
        assert r.poll_once() == 2
        assert pool.wait_idle(5)
        assert q.quiescence()[0] is True
    finally:
        q.close()


def test_poll_once_takes_the_first_message_plus_a_batch(make_pool: MakePool) -> None:
    q = MemoryQueueStore("in")
    for i in range(10):
        q.put(i)
    seen: list[int] = []
    lock = threading.Lock()

    def on_message(m: int) -> None:
        with lock:
            seen.append(m)

    pool = make_pool("vm.receiver")  # 16 threads: batch = min(10, 7)
    r = PollingReceiver("in", q, pool, on_message, queue_timeout_s=0.01)
    assert r.poll_once() == 8
    assert q.size() == 2
    assert pool.wait_idle(5)
    assert sorted(seen) == list(range(8))
    assert r.poll_once() == 2  # the first, then the one left of a batch of min(2, 7)
    assert r.poll_once() == 0  # empty: waits queueTimeout and returns nothing


def test_each_message_is_its_own_work_item_and_the_poller_does_not_wait(
    make_pool: MakePool, gate: threading.Event
) -> None:
    q = MemoryQueueStore("in")
    for i in range(3):
        q.put(i)
    started = threading.Semaphore(0)
    threads: set[str] = set()

    def on_message(m: int) -> None:
        threads.add(threading.current_thread().name)
        started.release()
        assert gate.wait(10)

    pool = make_pool("vm.receiver", max_threads_active=16)
    r = PollingReceiver("in", q, pool, on_message, queue_timeout_s=0.01)
    assert r.poll_once() == 3  # returns while all three are still running
    for _ in range(3):
        assert started.acquire(timeout=5)
    assert len(threads) == 3
    assert pool.statistics().active == 3
    assert q.statistics().claimed == 0


def test_an_exhausted_receiver_pool_makes_the_poller_process_under_run(
    make_pool: MakePool, gate: threading.Event
) -> None:
    q = MemoryQueueStore("in")
    q.put("first")
    q.put("second")
    ran_on: dict[str, str] = {}
    first_started = threading.Event()

    def on_message(m: str) -> None:
        ran_on[m] = threading.current_thread().name
        if m == "first":
            first_started.set()
            assert gate.wait(10)

    pool = make_pool("vm.receiver", max_threads_active=1)  # batch 1: both taken at once
    r = PollingReceiver("in", q, pool, on_message, queue_timeout_s=0.01)
    assert r.poll_once() == 2
    assert first_started.wait(5)
    assert ran_on == {"first": "vm.receiver.01", "second": threading.current_thread().name}


def test_messages_after_the_first_of_a_batch_are_rebuilt(make_pool: MakePool) -> None:
    q = MemoryQueueStore("in")
    for m in ("a", "b", "c"):
        q.put(m)
    seen: list[str] = []
    pool = make_pool(do_threading=False)  # inline, so ``seen`` is in order
    r = PollingReceiver(
        "in", q, pool, seen.append, queue_timeout_s=0.01, rebuild=lambda m: m.upper()
    )
    assert r.poll_once() == 3
    assert seen == ["a", "B", "C"]


def test_a_refused_work_item_loses_the_rest_of_the_batch_and_reports_it(
    make_pool: MakePool, gate: threading.Event
) -> None:
    q = MemoryQueueStore("in")
    for i in range(3):
        q.put(i)
    errors: list[BaseException] = []
    started = threading.Event()

    def on_message(m: int) -> None:
        started.set()
        assert gate.wait(10)

    pool = make_pool(max_threads_active=1, pool_exhausted_action="ABORT")
    r = PollingReceiver("in", q, pool, on_message, queue_timeout_s=0.01, on_error=errors.append)
    assert r.poll_once() == 2  # batch of max(1, 1/2-1): first + 1
    assert started.wait(5)
    assert r.lost == 1
    assert isinstance(errors[0], PoolExhaustedError)
    assert q.statistics().claimed == 0
    assert q.size() == 1


def test_start_polls_on_a_pool_thread_until_stopped(make_pool: MakePool, until: Until) -> None:
    q = MemoryQueueStore("in")
    seen: list[int] = []
    lock = threading.Lock()

    def on_message(m: int) -> None:
        with lock:
            seen.append(m)

    pool = make_pool("vm.receiver")
    r = PollingReceiver("in", q, pool, on_message, queue_timeout_s=5.0)
    r.start()
    assert until(lambda: pool.statistics().active == 1)  # the poll loop holds one thread
    for i in range(20):
        q.put(i)
    assert until(lambda: len(seen) == 20)
    assert r.stop(5) is True  # woken out of its 5 s poll
    assert pool.wait_idle(5)
    q.put(99)
    assert pool.statistics().active == 0 and q.size() == 1


def test_initial_delay_holds_the_first_poll(make_pool: MakePool) -> None:
    q = MemoryQueueStore("in")
    q.put("early")
    pool = make_pool()
    r = PollingReceiver("in", q, pool, lambda m: None, initial_delay_s=30.0)
    r.start()
    assert r.stop(5) is True
    assert q.size() == 1


def test_a_loop_refused_by_the_pool_gets_a_thread_of_its_own(
    make_pool: MakePool, gate: threading.Event, until: Until
) -> None:
    q = MemoryQueueStore("in")
    done = threading.Event()
    pool = make_pool(max_threads_active=1)
    started = threading.Event()

    def hold() -> None:
        started.set()
        assert gate.wait(10)

    pool.submit(hold)
    assert started.wait(5)
    r = PollingReceiver("in", q, pool, lambda m: done.set(), queue_timeout_s=5.0)
    r.start()
    assert any(t.name == "in.poller.01" for t in threading.enumerate())
    gate.set()
    q.put("x")
    assert done.wait(5)
    assert r.stop(5)
    assert not any(t.name == "in.poller.01" for t in threading.enumerate())


def test_transacted_loops_process_up_to_n_messages_at_once(
    make_pool: MakePool, gate: threading.Event, until: Until
) -> None:
    q = MemoryQueueStore("in")
    for i in range(5):
        q.put(i)
    taken: list[int] = []

    def take_and_process() -> None:
        m = q.take(0.01)  # the runtime takes inside its transaction
        if m is not None:
            taken.append(m)
            assert gate.wait(10)

    pool = make_pool("vm.receiver")
    r = TransactedReceiver("in", q, pool, take_and_process, workers=3, idle_wait_s=0.01)
    r.start()
    assert until(lambda: r.busy == 3)
    assert q.size() == 2 and len(taken) == 3
    assert r.quiescence()[0] is False
    gate.set()
    assert until(lambda: q.size() == 0 and r.busy == 0)
    assert r.stop(5)
    assert sorted(taken) == [0, 1, 2, 3, 4]


def test_transacted_poll_once_waits_on_an_empty_queue_without_calling_back(
    make_pool: MakePool,
) -> None:
    q = MemoryQueueStore("in")
    calls: list[int] = []
    r = TransactedReceiver("in", q, make_pool(), lambda: calls.append(1), idle_wait_s=0.01)
    assert r.poll_once() is False
    assert calls == []
    q.put("x")
    assert r.poll_once() is True
    assert calls == [1]


def test_a_failing_poll_is_reported_and_the_loop_still_stops(
    make_pool: MakePool, until: Until
) -> None:
    class BrokenStore(MemoryQueueStore):
        def claim(self, timeout: float | None = None, until: object = None) -> object:
            raise StoreBrokenError("disk gone")

    errors: list[BaseException] = []
    r = PollingReceiver(
        "in", BrokenStore("in"), make_pool(), lambda m: None, on_error=errors.append
    )
    r.start()
    assert until(lambda: len(errors) >= 2)
    assert r.stop(5)
    assert str(errors[0]) == "disk gone"


def test_a_trace_only_take_hook_lets_a_poll_claim_its_batch_at_once(
    make_pool: MakePool,
) -> None:
    q = MemoryQueueStore("in")
    for i in range(4):
        q.put(i)
    depths: list[tuple[int, int]] = []
    pool = make_pool("vm.receiver", max_threads_active=4)  # batch of 1
    r = PollingReceiver(
        "in",
        q,
        pool,
        lambda m: None,
        queue_timeout_s=0.01,
        on_take=lambda m: depths.append((m, q.size())),
        on_take_traces_only=True,
    )
    assert r.poll_once() == 2
    assert pool.wait_idle(5)
    # No trace is active: both were claimed in one round, so the hook sees the depth
    # after the whole batch (a hook that always listens sees 3, then 2).
    assert depths == [(0, 2), (1, 2)]
    assert q.quiescence()[0] is False and q.statistics().claimed == 0

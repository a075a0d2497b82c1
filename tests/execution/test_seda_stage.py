"""SEDA stages: capacity, offer timeout, the one-thread poller quirk, draining stops (PS-3, S-6)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from mule_emulator.errors import FailedToQueueEventError, PoolExhaustedError
from mule_emulator.execution.seda_stage import SedaStage, seda_queue_capacity, seda_queue_name
from mule_emulator.execution.thread_pool import ThreadPool
from mule_emulator.queues.manager import QueueManager
from mule_emulator.queues.memory import MemoryQueueStore

MakePool = Callable[..., ThreadPool]
Until = Callable[..., bool]


class PersistentMemoryStore(MemoryQueueStore):
    """A memory store that says it is persistent: the stop rule only asks the flag."""

    persistent = True


@pytest.mark.parametrize(
    ("max_queue_size", "max_threads", "capacity"),
    [(None, 16, 64), (0, 16, 64), (0, 2, 8), (-1, 16, 0), (10, 16, 10)],
)
def test_capacity_defaults_to_four_times_max_threads(
    max_queue_size: int | None, max_threads: int, capacity: int
) -> None:
    assert seda_queue_capacity(max_queue_size, max_threads) == capacity


def test_build_configures_the_stage_queue_in_the_manager(make_pool: MakePool) -> None:
    m = QueueManager()
    pool = make_pool("f.stage1", max_threads_active=3, thread_wait_timeout_ms=250)
    stage = SedaStage.build("f.stage1", m, pool, lambda e: None, queue_timeout_ms=100)
    assert seda_queue_name("f.stage1") == "seda.queue(f.stage1)"
    assert m.names() == ["seda.queue(f.stage1)"]
    assert stage.queue.capacity == 12
    assert (stage.queue_timeout_s, stage.offer_timeout_s) == (0.1, 0.25)


def test_events_are_processed_on_the_stage_pool(make_pool: MakePool, until: Until) -> None:
    pool = make_pool("f.stage1")
    seen: dict[str, str] = {}
    stage = SedaStage(
        "f.stage1",
        MemoryQueueStore("seda.queue(f.stage1)", 64),
        pool,
        lambda e: seen.__setitem__(e, threading.current_thread().name),
        queue_timeout_s=5.0,
    )
    stage.start()
    stage.enqueue("a")
    assert until(lambda: "a" in seen)
    assert seen["a"].startswith("f.stage1.")
    assert stage.stop(5)


def test_a_full_stage_queue_fails_the_caller_with_mules_text(make_pool: MakePool) -> None:
    stage = SedaStage(
        "flow1.stage1",
        MemoryQueueStore("seda.queue(flow1.stage1)", 1),
        make_pool(),
        lambda e: None,
        offer_timeout_s=0.05,
    )  # not started: nothing drains the queue
    stage.enqueue("first")
    with pytest.raises(FailedToQueueEventError) as info:
        stage.enqueue("second")
    assert str(info.value) == (
        "The queue for 'SEDA Stage flow1.stage1' did not accept new event within 50 MILLISECONDS"
    )
    assert info.value.event == "second"


def test_with_one_thread_the_poller_runs_the_events_itself(make_pool: MakePool) -> None:
    pool = make_pool("f.stage1", max_threads_active=1)  # RUN by default
    ran_on: list[str] = []
    done = threading.Semaphore(0)

    def process(e: int) -> None:
        ran_on.append(threading.current_thread().name)
        done.release()

    stage = SedaStage("f.stage1", MemoryQueueStore("q", 4), pool, process, queue_timeout_s=5.0)
    stage.start()
    for i in range(3):
        stage.enqueue(i)
    for _ in range(3):
        assert done.acquire(timeout=5)
    assert ran_on == ["f.stage1.01"] * 3  # the only thread: the poller's
    assert pool.statistics().caller_runs == 3
    assert stage.stop(5)


def _stop_while_processing(
    stage: SedaStage, gate: threading.Event, first_started: threading.Event
) -> threading.Thread:
    """Start the stage, let it block on the first event, then stop it from a thread."""
    stage.start()
    assert first_started.wait(5)
    stopper = threading.Thread(target=stage.stop, args=(5.0,))
    stopper.start()
    assert stage.stopping_requested.wait(5)
    gate.set()
    stopper.join(5)
    assert not stopper.is_alive()
    return stopper


@pytest.mark.parametrize(("persistent", "left"), [(False, 0), (True, 4)])
def test_stop_drains_a_transient_queue_and_leaves_a_persistent_one(
    make_pool: MakePool, gate: threading.Event, persistent: bool, left: int
) -> None:
    queue = (PersistentMemoryStore if persistent else MemoryQueueStore)("q", 0)
    for i in range(5):
        queue.put(i)
    processed: list[int] = []
    first_started = threading.Event()

    def process(e: int) -> None:
        processed.append(e)
        if e == 0:
            first_started.set()
            assert gate.wait(10)

    # One thread under RUN: the poller processes each event before polling again,
    # so which events it takes after the stop request is decided by the stop rule only.
    pool = make_pool(max_threads_active=1)
    stage = SedaStage("s", queue, pool, process, queue_timeout_s=5.0)
    _stop_while_processing(stage, gate, first_started)
    assert queue.size() == left
    assert processed == list(range(5 - left))


def test_pause_keeps_events_queued_until_resume(make_pool: MakePool, until: Until) -> None:
    seen: list[int] = []
    stage = SedaStage("s", MemoryQueueStore("q"), make_pool(), seen.append, queue_timeout_s=0.01)
    stage.pause()
    stage.start()
    stage.enqueue(1)
    stage.enqueue(2)
    assert stage.quiescence()[0] is True  # paused work does not count as pending
    assert stage.queue.size() >= 1
    stage.resume()
    assert until(lambda: sorted(seen) == [1, 2])
    assert stage.stop(5)


def test_without_threading_the_event_runs_in_the_caller(make_pool: MakePool) -> None:
    seen: list[str] = []
    stage = SedaStage(
        "s",
        MemoryQueueStore("q"),
        make_pool(do_threading=False),
        lambda e: seen.append(threading.current_thread().name),
    )
    stage.start()
    stage.enqueue("x")
    assert seen == [threading.current_thread().name]
    assert stage.stop(1)


def test_an_event_the_pool_refuses_goes_to_on_reject(make_pool: MakePool) -> None:
    rejected: list[tuple[object, BaseException]] = []
    got = threading.Event()

    def on_reject(event: object, exc: BaseException) -> None:
        rejected.append((event, exc))
        got.set()

    pool = make_pool(max_threads_active=1, pool_exhausted_action="ABORT")
    stage = SedaStage(
        "s", MemoryQueueStore("q"), pool, lambda e: None, queue_timeout_s=5.0, on_reject=on_reject
    )
    stage.start()  # the poller holds the only thread: every hand-off is refused
    stage.enqueue("e1")
    assert got.wait(5)
    assert rejected[0][0] == "e1"
    assert isinstance(rejected[0][1], PoolExhaustedError)
    assert stage.stop(5)

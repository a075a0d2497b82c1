"""The one contract every QueueStore keeps (memory, persistent, and any later store).

``STORE_FACTORIES`` maps a store kind to ``factory(folder, name, capacity)``. A new
store joins the suite by adding itself, for example from ``tests/queues/conftest.py``::

    from test_store_contract import STORE_FACTORIES
    STORE_FACTORIES["persistent"] = lambda folder, name, cap: MyStore(folder, name, cap)

The ``store`` fixture is parametrised over the kinds when the tests are collected
(``pytest_generate_tests`` below), so additions made by a conftest are picked up.
Items used here are plain, serialisable values.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mule_emulator.errors import QueueClosedError, QueueFullError
from mule_emulator.queues.memory import MemoryQueueStore
from mule_emulator.queues.persistent import PersistentQueueStore
from mule_emulator.queues.store import QueueStore

StoreFactory = Callable[[Path, str, int], QueueStore]
MakeStore = Callable[..., QueueStore]

STORE_FACTORIES: dict[str, StoreFactory] = {
    "memory": lambda folder, name, capacity: MemoryQueueStore(name, capacity),
    "persistent": lambda folder, name, capacity: PersistentQueueStore(name, capacity, folder),
}

try:  # the durable store joins as soon as it exists: PersistentQueueStore(name, capacity, folder)
    from mule_emulator.queues.persistent import (  # type: ignore[import-not-found,unused-ignore]
        PersistentQueueStore,
    )
except ImportError:
    pass
else:
    STORE_FACTORIES["persistent"] = lambda folder, name, capacity: PersistentQueueStore(
        name, capacity, folder
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "store_kind" in metafunc.fixturenames:
        metafunc.parametrize("store_kind", sorted(STORE_FACTORIES))


@pytest.fixture
def make_store(store_kind: str, tmp_path: Path) -> Iterator[MakeStore]:
    """``make_store(name="q", capacity=0)`` builds a store of the kind under test."""
    made: list[QueueStore] = []

    def make(name: str = "q", capacity: int = 0) -> QueueStore:
        store = STORE_FACTORIES[store_kind](tmp_path, name, capacity)
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()


def in_thread(fn: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    result: list[object] = []
    t = threading.Thread(target=lambda: result.append(fn()))
    t.start()
    return t, result


def test_fifo_order(make_store: MakeStore) -> None:
    q = make_store()
    for i in range(5):
        q.put(f"m{i}")
    assert [q.take(0) for _ in range(5)] == ["m0", "m1", "m2", "m3", "m4"]
    assert q.take_nowait() is None


def test_take_waits_up_to_its_timeout(make_store: MakeStore) -> None:
    q = make_store()
    start = time.monotonic()
    assert q.take(0.05) is None
    assert time.monotonic() - start >= 0.04


def test_take_wakes_when_an_item_arrives(make_store: MakeStore) -> None:
    q = make_store()
    t, result = in_thread(lambda: q.take(5))
    t.join(0.02)
    assert t.is_alive()
    q.put("late")
    t.join(5)
    assert result == ["late"]


def test_full_queue_rejects_after_the_offer_timeout(make_store: MakeStore) -> None:
    q = make_store(capacity=2)
    q.put("a")
    q.put("b")
    assert q.offer("c", 0.02) is False
    with pytest.raises(QueueFullError, match=r"Queue 'q' is full \(max capacity: 2\)"):
        q.put_nowait("c")
    stats = q.statistics()
    assert (stats.depth, stats.capacity, stats.rejected, stats.offered) == (2, 2, 2, 2)


def test_a_blocked_offer_succeeds_when_a_take_makes_room(make_store: MakeStore) -> None:
    q = make_store(capacity=1)
    q.put("a")
    t, result = in_thread(lambda: q.offer("b", 5))
    t.join(0.02)
    assert t.is_alive()
    assert q.take(0) == "a"
    t.join(5)
    assert result == [True]
    assert q.take(0) == "b"


def test_negative_timeout_waits_forever(make_store: MakeStore) -> None:
    q = make_store(capacity=1)
    q.put("a")
    t, result = in_thread(lambda: q.offer("b", -1))
    t.join(0.05)
    assert t.is_alive()
    q.take(0)
    t.join(5)
    assert result == [True]


def test_put_now_and_untake_ignore_capacity(make_store: MakeStore) -> None:
    q = make_store(capacity=1)
    q.put("a")
    q.put_now("tail")
    q.untake("head")
    assert q.size() == 3
    assert [q.take(0), q.take(0), q.take(0)] == ["head", "a", "tail"]


def test_take_batch_takes_what_is_there(make_store: MakeStore) -> None:
    q = make_store()
    for i in range(3):
        q.put(i)
    assert q.take_batch(5) == [0, 1, 2]
    assert q.take_batch(5) == []


def test_take_batch_waits_for_a_first_item_then_takes_what_is_there(
    make_store: MakeStore,
) -> None:
    q = make_store()
    assert q.take_batch(3, 0.01) == []  # nothing came in time
    waiting = threading.Thread(target=lambda: got.extend(q.take_batch(3, 5.0)))
    got: list[object] = []
    waiting.start()
    q.put("first")
    waiting.join(5)
    assert got == ["first"]
    for i in range(5):
        q.put(i)
    assert q.take_batch(3, 5.0) == [0, 1, 2]  # at most the limit, in order
    assert q.size() == 2


def test_claim_batch_claims_every_item_until_released(make_store: MakeStore) -> None:
    q = make_store()
    for i in range(4):
        q.put(i)
    assert q.claim_batch(3, 0) == [0, 1, 2]
    assert q.statistics().claimed == 3
    assert q.statistics().processed == 3
    for _ in range(2):
        q.release_claim()
    assert q.quiescence()[0] is False  # one claimed, one queued
    q.release_claim()
    assert q.take(0) == 3
    assert q.quiescence()[0] is True
    stopping = threading.Event()
    stopping.set()
    assert q.claim_batch(2, 5.0, stopping) == []  # a stopped consumer does not wait


def test_purge_drops_everything_and_reports_how_much(make_store: MakeStore) -> None:
    q = make_store()
    for i in range(4):
        q.put(i)
    assert q.purge() == 4
    assert q.size() == 0 and len(q) == 0


def test_items_is_a_snapshot_not_a_take(make_store: MakeStore) -> None:
    q = make_store()
    q.put("x")
    q.put("y")
    assert q.items() == ["x", "y"]
    assert q.size() == 2


def test_statistics_count_offers_takes_and_peak(make_store: MakeStore) -> None:
    q = make_store("stats")
    for i in range(3):
        q.put(i)
    q.take(0)
    stats = q.statistics()
    assert (stats.name, stats.depth, stats.offered, stats.processed, stats.peak) == (
        "stats",
        2,
        3,
        1,
        3,
    )
    assert stats.persistent is q.persistent


def test_close_refuses_puts_and_wakes_takers(make_store: MakeStore) -> None:
    q = make_store()
    t, result = in_thread(lambda: q.take(5))
    t.join(0.02)
    assert t.is_alive()
    q.close()
    t.join(5)
    assert result == [None]
    assert q.closed
    with pytest.raises(QueueClosedError):
        q.put("x")
    q.close()  # idempotent


def test_close_wakes_a_blocked_offer(make_store: MakeStore) -> None:
    q = make_store(capacity=1)
    q.put("a")
    errors: list[BaseException] = []

    def offer() -> None:
        try:
            q.offer("b", 5)
        except QueueClosedError as exc:
            errors.append(exc)

    t = threading.Thread(target=offer)
    t.start()
    t.join(0.02)
    q.close()
    t.join(5)
    assert len(errors) == 1


def test_claims_keep_the_queue_busy_until_released(make_store: MakeStore) -> None:
    q = make_store()
    assert q.quiescence()[0] is True
    q.put("a")
    before = q.quiescence()
    assert before[0] is False
    assert q.claim(0) == "a"
    quiet, changes = q.quiescence()
    assert quiet is False and changes != before[1]
    assert q.statistics().claimed == 1
    q.release_claim()
    assert q.quiescence()[0] is True


def test_claim_returns_early_once_its_until_event_is_set(make_store: MakeStore) -> None:
    q = make_store()
    stop = threading.Event()
    t, result = in_thread(lambda: q.claim(5, stop))
    t.join(0.02)
    assert t.is_alive()
    stop.set()
    q.wake()
    t.join(5)
    assert result == [None]


def test_wait_for_items_sees_an_item_without_taking_it(make_store: MakeStore) -> None:
    q = make_store()
    assert q.wait_for_items(0.01) is False
    t, result = in_thread(lambda: q.wait_for_items(5))
    t.join(0.02)
    q.put("x")
    t.join(5)
    assert result == [True]
    assert q.size() == 1


def test_a_watcher_never_steals_the_wake_up_of_a_taker(make_store: MakeStore) -> None:
    q = make_store()
    watcher, watched = in_thread(lambda: q.wait_for_items(5))
    taker, taken = in_thread(lambda: q.take(5))
    watcher.join(0.02)
    q.put("only")
    taker.join(5)
    assert taken == ["only"]  # the taker was woken, not (only) the watcher
    q.put("second")  # whatever the watcher saw so far, now it sees an item
    watcher.join(5)
    assert watched == [True]
    assert q.size() == 1


def test_competing_consumers_get_every_item_exactly_once(make_store: MakeStore) -> None:
    q = make_store(capacity=8)
    n, producers, consumers = 400, 3, 3
    got: list[object] = []
    lock = threading.Lock()

    def produce(k: int) -> None:
        for i in range(n):
            q.put(f"{k}-{i}", 5)

    def consume() -> None:
        while True:
            item = q.take(5)
            if item is None or item == "stop":
                return
            with lock:
                got.append(item)

    producing = [threading.Thread(target=produce, args=(k,)) for k in range(producers)]
    consuming = [threading.Thread(target=consume) for _ in range(consumers)]
    for t in producing + consuming:
        t.start()
    for t in producing:
        t.join(30)
    for _ in consuming:
        q.put("stop", 5)
    for t in consuming:
        t.join(30)
    assert sorted(map(str, got)) == sorted(f"{k}-{i}" for k in range(producers) for i in range(n))
    assert q.statistics().peak <= 8

"""QueueManager: one queue per name, created lazily, configuration conflicts rejected (Q6)."""

from __future__ import annotations

import pytest

from mule_emulator.errors import RuntimeFault
from mule_emulator.queues.manager import QueueConfiguration, QueueConfigurationError, QueueManager
from mule_emulator.queues.memory import MemoryQueueStore
from mule_emulator.queues.store import QueueStore


class FakePersistentStore(MemoryQueueStore):
    persistent = True


def test_a_queue_touched_before_configuration_is_in_memory_and_unbounded() -> None:
    m = QueueManager()
    q = m.get("in")
    assert isinstance(q, MemoryQueueStore)
    assert (q.capacity, q.persistent, m.is_persistent("in")) == (0, False, False)
    assert m.get("in") is q  # one queue per name
    assert m.names() == ["in"]


def test_configuration_before_first_use_applies_and_the_last_one_wins() -> None:
    m = QueueManager()
    m.configure("out", 5, False)
    m.configure("out", 2, False)
    assert m.configuration("out") == QueueConfiguration(2, False)
    assert m.get("out").capacity == 2


def test_an_equal_configuration_of_a_queue_in_use_is_a_no_op() -> None:
    m = QueueManager()
    m.configure("out", 2, False)
    q = m.get("out")
    m.configure("out", 2, False)
    assert m.get("out") is q


def test_a_different_configuration_of_a_queue_in_use_is_refused_with_mules_text() -> None:
    m = QueueManager()
    m.get("in")  # created with the default configuration
    with pytest.raises(QueueConfigurationError) as info:
        m.configure("in", 10, False)
    assert str(info.value) == (
        "A queue with name in is in use so we cannot change it's configuration"
    )
    assert isinstance(info.value, RuntimeFault)
    m.configure("in", 0, False)  # the default, spelled out, is equal


def test_persistence_comes_from_the_factory_with_name_and_capacity() -> None:
    calls: list[tuple[str, int]] = []

    def factory(name: str, capacity: int) -> QueueStore:
        calls.append((name, capacity))
        return FakePersistentStore(name, capacity)

    m = QueueManager(persistent_factory=factory)
    m.configure("durable", 3, True)
    q = m.get("durable")
    assert calls == [("durable", 3)]
    assert q.persistent and m.is_persistent("durable")
    with pytest.raises(QueueConfigurationError):
        m.configure("durable", 3, False)


def test_persistent_without_a_factory_is_refused() -> None:
    with pytest.raises(RuntimeFault, match="no persistent queue store"):
        QueueManager().configure("durable", 0, True)


def test_statistics_purge_and_close() -> None:
    m = QueueManager()
    m.get("a").put(1)
    m.get("a").put(2)
    m.get("b")
    assert [(s.name, s.depth) for s in m.statistics()] == [("a", 2), ("b", 0)]
    assert m.purge("a") == 2
    assert m.purge("never") == 0
    assert not m.exists("never")
    a = m.get("a")
    m.close()
    assert a.closed
    with pytest.raises(RuntimeFault):
        m.get("new")

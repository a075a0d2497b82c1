"""QueueManager: the one queue namespace of an application (C3, C4, Q6).

Every VM connector and every SEDA stage of one application shares one manager, so
``vm://out`` on two connectors is the same queue. A queue's configuration (capacity and
persistence, Q5) may be set any number of times before the queue is first used; the
last setting wins. Once the queue exists, only an equal configuration is accepted
(AbstractQueueManager.setQueueConfiguration, MULE-7420). A queue touched before it is
configured gets the default: in memory and unbounded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from mule_emulator.errors import RuntimeFault
from mule_emulator.queues.memory import MemoryQueueStore
from mule_emulator.queues.store import QueueStatistics, QueueStore

PersistentFactory = Callable[[str, int], QueueStore]


@dataclass(frozen=True)
class QueueConfiguration:
    """What Mule compares when a queue is configured twice: capacity and persistence."""

    capacity: int = 0  # 0 = unbounded
    persistent: bool = False


DEFAULT_QUEUE_CONFIGURATION = QueueConfiguration()


class QueueConfigurationError(RuntimeFault):
    """A queue in use was given a different configuration (Mule's MuleRuntimeException)."""


class QueueManager:
    """Creates queues lazily by name and keeps them for the application's life.

    ``persistent_factory(name, capacity)`` builds a durable store; without one, a
    persistent configuration is refused when it is set.
    """

    def __init__(self, persistent_factory: PersistentFactory | None = None) -> None:
        self._persistent_factory = persistent_factory
        self._lock = threading.Lock()
        self._configurations: dict[str, QueueConfiguration] = {}
        self._queues: dict[str, QueueStore] = {}
        self._closed = False

    def configure(self, name: str, capacity: int, persistent: bool) -> None:
        """Set a queue's configuration (Q6): equal is a no-op, different-while-in-use fails."""
        config = QueueConfiguration(max(0, capacity), bool(persistent))
        if config.persistent and self._persistent_factory is None:
            raise RuntimeFault(
                f"Queue '{name}' is configured persistent but this application has no "
                "persistent queue store"
            )
        with self._lock:
            if name in self._queues and self._configurations.get(name) != config:
                raise QueueConfigurationError(
                    f"A queue with name {name} is in use so we cannot change it's configuration"
                )
            self._configurations[name] = config

    def configuration(self, name: str) -> QueueConfiguration:
        """The configuration a queue has, or would get if it were created now."""
        with self._lock:
            return self._configurations.get(name, DEFAULT_QUEUE_CONFIGURATION)

    def get(self, name: str) -> QueueStore:
        """The queue of that name, created on first use with its configuration."""
        with self._lock:
            queue = self._queues.get(name)
            if queue is not None:
                return queue
            if self._closed:
                raise RuntimeFault(f"Queue manager is closed; cannot create queue '{name}'")
            config = self._configurations.setdefault(name, DEFAULT_QUEUE_CONFIGURATION)
            if config.persistent:
                assert self._persistent_factory is not None  # checked in configure()
                queue = self._persistent_factory(name, config.capacity)
            else:
                queue = MemoryQueueStore(name, config.capacity)
            self._queues[name] = queue
            return queue

    def exists(self, name: str) -> bool:
        """Whether the queue has been created (not merely configured)."""
        with self._lock:
            return name in self._queues

    def names(self) -> list[str]:
        """The queues created so far, in creation order."""
        with self._lock:
            return list(self._queues)

    def is_persistent(self, name: str) -> bool:
        return self.configuration(name).persistent

    def statistics(self) -> list[QueueStatistics]:
        with self._lock:
            queues = list(self._queues.values())
        return [q.statistics() for q in queues]

    def purge(self, name: str) -> int:
        """Drop everything queued on ``name``; a queue never created holds nothing."""
        with self._lock:
            queue = self._queues.get(name)
        return queue.purge() if queue is not None else 0

    def close(self) -> None:
        """Close every store: in-memory items are gone, persistent ones stay on disk."""
        with self._lock:
            self._closed = True
            queues = list(self._queues.values())
        for q in queues:
            q.close()


__all__ = [
    "DEFAULT_QUEUE_CONFIGURATION",
    "PersistentFactory",
    "QueueConfiguration",
    "QueueConfigurationError",
    "QueueManager",
]

"""MemoryQueueStore: the transient store behind non-persistent VM queues and SEDA stages.

Mule keeps a non-persistent queue in an in-memory linked list (Q5); items are the
objects themselves, never copied or serialised, so a payload put on an in-memory queue
is the same object the consumer gets (R7). A ``deque`` gives O(1) at both ends and
costs one pointer slot per queued item.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from mule_emulator.queues.store import QueueStore


class MemoryQueueStore(QueueStore):
    """A transient FIFO queue; ``capacity`` 0 means unbounded."""

    persistent = False

    def __init__(self, name: str, capacity: int = 0) -> None:
        super().__init__(name, capacity)
        self._items: deque[Any] = deque()
        # The primitives are the deque's own bound methods: one C call each on the
        # hot path instead of a Python frame (the chain benchmark must beat queue.Queue).
        self._append = self._items.append  # type: ignore[method-assign,assignment]
        self._pop = self._items.popleft  # type: ignore[method-assign,assignment]
        self._size = self._items.__len__  # type: ignore[method-assign,assignment]

    def _append(self, item: Any) -> None:
        self._items.append(item)

    def _append_first(self, item: Any) -> None:
        self._items.appendleft(item)

    def _pop(self) -> Any:
        return self._items.popleft()

    def _size(self) -> int:
        return len(self._items)

    def _clear(self) -> int:
        n = len(self._items)
        self._items.clear()
        return n

    def _peek_all(self) -> list[Any]:
        return list(self._items)


__all__ = ["MemoryQueueStore"]

"""Helpers shared by the transaction, exception-strategy and service tests."""

from __future__ import annotations

from collections import deque
from typing import Any

from mule_emulator.queues.store import QueueStore


class ListStore(QueueStore):
    """A minimal in-memory store for these tests."""

    def __init__(self, name: str, capacity: int = 0, persistent: bool = False) -> None:
        super().__init__(name, capacity)
        self.persistent = persistent
        self._items: deque[Any] = deque()

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

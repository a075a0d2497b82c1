"""A gate stand-in for SEDA tests: a component that records who entered it (payload,
thread) and blocks on a ``threading.Event`` until the test opens it (bounded)."""

from __future__ import annotations

import threading
from typing import Any

WAIT_S = 10.0


class Gate:
    """Blocks every caller until ``open()``; ``wait_entered(n)`` waits for n callers."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self._cond = threading.Condition()
        self.entered: list[tuple[str, str]] = []  # (payload, thread name)

    def __call__(self, message: Any) -> Any:
        with self._cond:
            self.entered.append((str(message.payload), threading.current_thread().name))
            self._cond.notify_all()
        if not self.opened.wait(WAIT_S):
            raise TimeoutError("gate never opened")
        return message.payload

    def open(self) -> None:
        self.opened.set()

    def wait_entered(self, count: int, timeout: float = WAIT_S) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self.entered) >= count, timeout)

    def threads(self) -> dict[str, str]:
        with self._cond:
            return dict(self.entered)


CURRENT = Gate()


def gate(message: Any) -> Any:
    """The class-map target: delegates to the test's current gate."""
    return CURRENT(message)


CLASSES = {"test.Gate": "_seda_helpers:gate"}

"""Helpers shared by the transaction, exception-strategy and service tests."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mule_emulator.queues.memory import MemoryQueueStore
from mule_emulator.runtime.app import MuleApp, load_app
from mule_emulator.runtime.transactions import current_transaction


class ListStore(MemoryQueueStore):
    """The in-memory store, optionally claiming to be persistent (for the rules that
    depend only on a queue's persistence flag)."""

    def __init__(self, name: str, capacity: int = 0, persistent: bool = False) -> None:
        super().__init__(name, capacity)
        self.persistent = persistent


# ---------------------------------------------------------------- applications of our own

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:vm="http://www.mulesoft.org/schema/mule/vm"
      xmlns:test="http://www.mulesoft.org/schema/mule/test">
"""

#: Receivers poll at once in these tests (Mule waits 1 s before the first poll, R1).
FAST = {"mule.vm.receiverStartDelayMs": "0"}


def write_app(
    folder: Path, body: str, *, classes: dict[str, str] | None = None, name: str = "app"
) -> MuleApp:
    """Write ``body`` as a Mule config in ``folder`` and load it (not started)."""
    path = folder / f"{name}.xml"
    path.write_text(HEADER + body + "\n</mule>\n", encoding="utf-8")
    return load_app([path], properties=FAST, classes=classes, work_dir=folder / "work")


@contextmanager
def running(app: MuleApp) -> Iterator[MuleApp]:
    """Start ``app`` and always stop it."""
    app.start()
    try:
        yield app
    finally:
        app.stop()


def wait_for(condition: Callable[[], bool], timeout_s: float = 5.0) -> bool:
    """Poll ``condition`` until it holds or ``timeout_s`` passes (bounded wait)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


#: What the ``Probe`` stand-in saw: the transaction bound in its thread (or None).
seen: list[Any] = []


def Probe(message: Any) -> Any:
    """A component stand-in that records the thread's transaction and passes through."""
    seen.append(current_transaction())
    return message.payload


#: How many times ``Failing`` ran (a transacted flow's redeliveries).
failures: list[Any] = []


def Failing(message: Any) -> Any:
    """A component stand-in that always fails, recording each attempt."""
    failures.append(message.payload)
    raise RuntimeError(f"cannot process {message.payload}")


#: Payloads ``FlakyOnce`` has already failed once.
flaked: set[Any] = set()


def FlakyOnce(message: Any) -> Any:
    """Fails the first delivery of every payload ending in 0 or 5; passes afterwards."""
    payload = message.payload
    if str(payload)[-1] in "05" and payload not in flaked:
        flaked.add(payload)
        raise RuntimeError(f"transient failure for {payload}")
    return payload

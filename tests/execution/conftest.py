"""Fixtures for the execution tests: pools that are always shut down, gates that are
always opened, and a bounded wait on a condition (never a bare sleep)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from mule_emulator.execution.thread_pool import ThreadPool
from mule_emulator.model.config import ThreadingProfile

WAIT_S = 5.0


def wait_until(predicate: Callable[[], bool], timeout: float = WAIT_S) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` passes; return its last value."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return predicate()
        time.sleep(0.001)


@pytest.fixture
def until() -> Callable[..., bool]:
    return wait_until


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    """An event tasks block on; opened at teardown so no thread is left waiting."""
    ev = threading.Event()
    yield ev
    ev.set()


@pytest.fixture
def make_pool() -> Iterator[Callable[..., ThreadPool]]:
    """``make_pool(name, **profile_fields)``; every pool is shut down at teardown."""
    pools: list[ThreadPool] = []

    def make(
        name: str = "p", on_error: Callable[[BaseException], None] | None = None, **kw: object
    ) -> ThreadPool:
        pool = ThreadPool(name, ThreadingProfile(**kw), on_error=on_error)  # type: ignore[arg-type]
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        pool.shutdown(WAIT_S)

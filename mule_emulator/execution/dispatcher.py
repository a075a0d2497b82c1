"""Dispatcher: the asynchronous hand-off of one-way outbound dispatch (C7, VM-4).

A one-way outbound endpoint does its enqueue on the connector's dispatcher pool when
the event is neither synchronous nor transacted (and the dispatcher profile threads);
otherwise it runs in the caller's thread. That is why ``MuleClient.dispatch`` can return
before the message is on the queue, and why a full queue never reaches its caller (Q8).
"""

from __future__ import annotations

from collections.abc import Callable

from mule_emulator.execution.thread_pool import ThreadPool


class Dispatcher:
    """Runs dispatch work on ``pool`` unless asked to run it inline."""

    def __init__(self, name: str, pool: ThreadPool) -> None:
        self.name = name
        self.pool = pool

    def dispatch(self, fn: Callable[[], None], synchronous: bool = False) -> None:
        """Run ``fn`` inline when ``synchronous`` (sync or transacted event) or when the
        pool does not thread; else hand it to the dispatcher pool, where an exception
        goes to the pool's ``on_error`` instead of the caller."""
        if synchronous or not self.pool.threading:
            fn()
            return
        self.pool.submit(fn)

    def start(self) -> None:
        self.pool.start()

    def stop(self, timeout: float = 5.0) -> bool:
        """Nothing of its own to stop: the engine shuts the pool down after the stages."""
        return True

    def quiescence(self) -> tuple[bool, int]:
        return self.pool.quiescence()


__all__ = ["Dispatcher"]

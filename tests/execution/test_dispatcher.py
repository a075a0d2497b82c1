"""Dispatcher: one-way dispatch on the dispatcher pool, inline for sync events (C7, VM-4)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from mule_emulator.execution.dispatcher import Dispatcher
from mule_emulator.execution.thread_pool import ThreadPool

MakePool = Callable[..., ThreadPool]


def test_async_dispatch_runs_on_the_dispatcher_pool(make_pool: MakePool) -> None:
    d = Dispatcher("vm.dispatcher", make_pool("connector.VM.dispatcher"))
    ran_on: list[str] = []
    done = threading.Event()

    def work() -> None:
        ran_on.append(threading.current_thread().name)
        done.set()

    d.dispatch(work)
    assert done.wait(5)
    assert ran_on == ["connector.VM.dispatcher.01"]


def test_sync_dispatch_runs_inline_and_its_errors_reach_the_caller(make_pool: MakePool) -> None:
    d = Dispatcher("vm.dispatcher", make_pool())
    ran_on: list[str] = []
    d.dispatch(lambda: ran_on.append(threading.current_thread().name), synchronous=True)
    assert ran_on == [threading.current_thread().name]

    def fail() -> None:
        raise ValueError("queue full")

    with pytest.raises(ValueError, match="queue full"):
        d.dispatch(fail, synchronous=True)


def test_async_errors_go_to_the_pool_not_the_caller(make_pool: MakePool) -> None:
    errors: list[BaseException] = []
    seen = threading.Event()

    def on_error(exc: BaseException) -> None:
        errors.append(exc)
        seen.set()

    def fail() -> None:
        raise ValueError("queue full")

    d = Dispatcher("vm.dispatcher", make_pool(on_error=on_error))
    d.dispatch(fail)  # returns; the failure surfaces in on_error (Q8)
    assert seen.wait(5)
    assert str(errors[0]) == "queue full"


def test_a_dispatcher_profile_without_threading_dispatches_inline(make_pool: MakePool) -> None:
    d = Dispatcher("vm.dispatcher", make_pool(do_threading=False))
    ran_on: list[str] = []
    d.dispatch(lambda: ran_on.append(threading.current_thread().name))
    assert ran_on == [threading.current_thread().name]

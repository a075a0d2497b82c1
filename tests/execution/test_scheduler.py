"""FixedFrequencyScheduler: the clock of a poll source, as an engine component."""

from __future__ import annotations

import threading

from mule_emulator.execution.engine import Engine
from mule_emulator.execution.scheduler import FixedFrequencyScheduler
from mule_emulator.execution.thread_pool import ThreadPool


def test_runs_repeatedly_on_its_pool_and_stops_with_the_engine() -> None:
    ran = threading.Semaphore(0)
    threads: set[str] = set()

    def task() -> None:
        threads.add(threading.current_thread().name)
        ran.release()

    engine = Engine(shutdown_timeout_s=2.0)
    pool = engine.register_pool(ThreadPool("clock"), "receiver")
    scheduler = FixedFrequencyScheduler("clock", pool, task, period_s=0.01)
    engine.register(scheduler, "receiver")
    engine.start()
    try:
        assert all(ran.acquire(timeout=5) for _ in range(3))
    finally:
        assert engine.stop()
    assert scheduler.runs >= 3
    assert threads and all(name.startswith("clock") for name in threads)
    assert not pool.threads()


def test_a_tick_during_a_run_is_skipped() -> None:
    release = threading.Event()
    entered = threading.Event()

    def slow() -> None:
        entered.set()
        release.wait(5)

    pool = ThreadPool("slow")
    pool.start()
    scheduler = FixedFrequencyScheduler("slow", pool, slow, period_s=60)
    worker = threading.Thread(target=scheduler.run_once)
    worker.start()
    assert entered.wait(5)
    scheduler.run_once()  # the first run still holds: nothing runs
    assert scheduler.runs == 1
    release.set()
    worker.join(5)
    pool.shutdown(1)


def test_start_delay_and_stop_before_the_first_run() -> None:
    pool = ThreadPool("late")
    pool.start()
    scheduler = FixedFrequencyScheduler("late", pool, lambda: None, 0.01, start_delay_s=60)
    scheduler.start()
    assert scheduler.stop(5)
    assert scheduler.runs == 0
    pool.shutdown(1)

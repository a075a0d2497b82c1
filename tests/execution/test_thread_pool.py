"""ThreadPool follows Java's executor rules under Mule's threading profiles (TP-3, TP-4)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from mule_emulator.errors import PoolExhaustedError
from mule_emulator.execution.thread_pool import ThreadPool, exhausted_action

MakePool = Callable[..., ThreadPool]
Until = Callable[..., bool]


def blocker(gate: threading.Event, started: threading.Semaphore) -> Callable[[], None]:
    """A task that says it started, then holds its thread until ``gate`` opens."""

    def run() -> None:
        started.release()
        assert gate.wait(10)

    return run


def hold(pool: ThreadPool, n: int, gate: threading.Event) -> None:
    """Submit ``n`` blockers and wait until all of them run on pool threads."""
    started = threading.Semaphore(0)
    for _ in range(n):
        pool.submit(blocker(gate, started))
    for _ in range(n):
        assert started.acquire(timeout=5)


def test_threads_are_named_after_the_pool_and_are_not_daemons(
    make_pool: MakePool, gate: threading.Event
) -> None:
    pool = make_pool("flow.stage1", max_threads_active=3, max_threads_idle=1)
    hold(pool, 3, gate)
    names = sorted(t.name for t in pool.threads())
    assert names == ["flow.stage1.01", "flow.stage1.02", "flow.stage1.03"]
    assert not any(t.daemon for t in pool.threads())


def test_hand_off_starts_threads_up_to_max_then_run_makes_the_caller_work(
    make_pool: MakePool, gate: threading.Event
) -> None:
    pool = make_pool(max_threads_active=2, max_threads_idle=1, pool_exhausted_action="RUN")
    hold(pool, 2, gate)
    ran_on: list[str] = []
    pool.submit(lambda: ran_on.append(threading.current_thread().name))
    assert ran_on == [threading.current_thread().name]  # RUN: the submitter ran it
    stats = pool.statistics()
    assert (stats.threads, stats.active, stats.rejected, stats.caller_runs) == (2, 2, 1, 1)


def test_hand_off_reuses_an_idle_thread_instead_of_starting_one(
    make_pool: MakePool, gate: threading.Event, until: Until
) -> None:
    pool = make_pool(max_threads_active=4, max_threads_idle=1)
    hold(pool, 2, gate)
    gate.set()
    assert until(lambda: pool.statistics().idle == 2)
    done = threading.Event()
    pool.submit(done.set)
    assert done.wait(5)
    assert pool.statistics().largest == 2


def test_below_core_a_new_thread_starts_even_if_one_is_idle(
    make_pool: MakePool, until: Until
) -> None:
    pool = make_pool(max_threads_active=4, max_threads_idle=4)
    first = threading.Event()
    pool.submit(first.set)
    assert first.wait(5)
    assert until(lambda: pool.statistics().idle == 1)
    second = threading.Event()
    pool.submit(second.set)
    assert second.wait(5)
    assert pool.statistics().largest == 2


def test_buffer_fills_before_threads_beyond_max_threads_idle_start(
    make_pool: MakePool, gate: threading.Event
) -> None:
    pool = make_pool(
        max_threads_active=3, max_threads_idle=1, max_buffer_size=2, pool_exhausted_action="ABORT"
    )
    hold(pool, 1, gate)  # the core thread
    ran: list[str] = []
    pool.submit(lambda: ran.append("b1"))
    pool.submit(lambda: ran.append("b2"))
    stats = pool.statistics()
    assert (stats.threads, stats.buffered) == (1, 2)  # QUIRK: no new thread yet
    hold(pool, 2, gate)  # buffer full: threads 2 and 3 start
    assert pool.statistics().threads == 3
    with pytest.raises(PoolExhaustedError):
        pool.submit(lambda: ran.append("rejected"))
    gate.set()
    assert pool.wait_idle(5)
    assert ran == ["b1", "b2"]


def test_buffer_is_ignored_when_max_threads_active_is_one(
    make_pool: MakePool, gate: threading.Event
) -> None:
    pool = make_pool(max_threads_active=1, max_buffer_size=10, pool_exhausted_action="ABORT")
    assert pool.buffer_capacity == 0
    hold(pool, 1, gate)
    with pytest.raises(PoolExhaustedError, match=r"Task rejected from p\[Running, pool size = 1"):
        pool.submit(lambda: None)


def test_wait_gives_up_after_thread_wait_timeout(
    make_pool: MakePool, gate: threading.Event
) -> None:
    pool = make_pool(max_threads_active=1, pool_exhausted_action="WAIT", thread_wait_timeout_ms=30)
    hold(pool, 1, gate)
    with pytest.raises(
        PoolExhaustedError, match="ThreadPoolExecutor did not accept within 30 MILLISECONDS"
    ):
        pool.submit(lambda: None)
    assert pool.statistics().rejected == 1


def test_wait_zero_does_not_wait(make_pool: MakePool, gate: threading.Event) -> None:
    pool = make_pool(max_threads_active=1, pool_exhausted_action="WAIT", thread_wait_timeout_ms=0)
    hold(pool, 1, gate)
    with pytest.raises(PoolExhaustedError, match="within 0 MILLISECONDS"):
        pool.submit(lambda: None)


def test_wait_forever_hands_the_task_to_the_thread_that_frees_up(
    make_pool: MakePool, gate: threading.Event
) -> None:
    pool = make_pool(max_threads_active=1, pool_exhausted_action="WAIT", thread_wait_timeout_ms=-1)
    hold(pool, 1, gate)
    ran_on: list[str] = []
    submitter = threading.Thread(
        target=pool.submit, args=(lambda: ran_on.append(threading.current_thread().name),)
    )
    submitter.start()
    submitter.join(0.05)
    assert submitter.is_alive()  # blocked: no room, no idle thread
    gate.set()
    submitter.join(5)
    assert not submitter.is_alive()
    assert pool.wait_idle(5)
    assert ran_on == ["p.01"]  # handed to the pool thread, not run by the submitter


def test_discard_drops_silently_and_counts(make_pool: MakePool, gate: threading.Event) -> None:
    pool = make_pool(max_threads_active=1, pool_exhausted_action="DISCARD")
    hold(pool, 1, gate)
    ran: list[int] = []
    pool.submit(lambda: ran.append(1))
    gate.set()
    assert pool.wait_idle(5)
    assert ran == []
    assert pool.statistics().discarded == 1


def test_discard_oldest_drops_the_oldest_buffered_task(
    make_pool: MakePool, gate: threading.Event
) -> None:
    pool = make_pool(
        max_threads_active=2,
        max_threads_idle=1,
        max_buffer_size=1,
        pool_exhausted_action="DISCARD_OLDEST",
    )
    hold(pool, 1, gate)
    ran: list[str] = []
    pool.submit(lambda: ran.append("oldest"))  # buffered
    hold(pool, 1, gate)  # buffer full: second thread
    pool.submit(lambda: ran.append("newest"))  # exhausted: "oldest" goes, "newest" buffered
    stats = pool.statistics()
    assert (stats.discarded, stats.buffered, stats.rejected) == (1, 1, 1)
    gate.set()
    assert pool.wait_idle(5)
    assert ran == ["newest"]


def test_discard_oldest_with_hand_off_retries_until_a_thread_frees_up(
    make_pool: MakePool, gate: threading.Event
) -> None:
    pool = make_pool(max_threads_active=1, pool_exhausted_action="DISCARD_OLDEST")
    hold(pool, 1, gate)
    done = threading.Event()
    submitter = threading.Thread(target=pool.submit, args=(done.set,))
    submitter.start()
    submitter.join(0.05)
    assert submitter.is_alive() and not done.is_set()
    gate.set()
    assert done.wait(5)
    submitter.join(5)
    assert pool.statistics().discarded == 0


def test_abort_raises_to_the_submitter(make_pool: MakePool, gate: threading.Event) -> None:
    pool = make_pool("abort", max_threads_active=2, pool_exhausted_action="ABORT")
    hold(pool, 2, gate)
    with pytest.raises(PoolExhaustedError) as info:
        pool.submit(lambda: None)
    assert "Task rejected from abort[Running, pool size = 2, active threads = 2" in str(info.value)


def test_do_threading_false_runs_inline(make_pool: MakePool) -> None:
    pool = make_pool(do_threading=False)
    ran_on: list[str] = []
    pool.submit(lambda: ran_on.append(threading.current_thread().name))
    assert ran_on == [threading.current_thread().name]
    assert pool.threads() == []
    assert pool.statistics().completed == 1


def test_idle_threads_above_core_die_after_thread_ttl(
    make_pool: MakePool, gate: threading.Event, until: Until
) -> None:
    pool = make_pool(max_threads_active=3, max_threads_idle=1, thread_ttl_ms=20)
    hold(pool, 3, gate)
    gate.set()
    assert until(lambda: pool.statistics().threads == 1)
    assert pool.statistics().largest == 3
    # the core thread stays and still takes work
    done = threading.Event()
    pool.submit(done.set)
    assert done.wait(5)


def test_task_exceptions_reach_on_error_on_workers_and_on_the_caller(
    make_pool: MakePool, gate: threading.Event, until: Until
) -> None:
    errors: list[BaseException] = []
    seen = threading.Event()

    def on_error(exc: BaseException) -> None:
        errors.append(exc)
        seen.set()

    def boom() -> None:
        raise ValueError("boom")

    pool = make_pool(max_threads_active=1, on_error=on_error)
    pool.submit(boom)
    assert seen.wait(5)
    assert until(lambda: pool.statistics().idle == 1)
    hold(pool, 1, gate)
    pool.submit(boom)  # RUN: the caller runs it and its error still goes to on_error
    assert [str(e) for e in errors] == ["boom", "boom"]


def test_shutdown_finishes_buffered_work_joins_threads_and_refuses_more(
    make_pool: MakePool, gate: threading.Event
) -> None:
    pool = make_pool(max_threads_active=2, max_threads_idle=1, max_buffer_size=5)
    hold(pool, 1, gate)
    ran: list[int] = []
    for i in range(5):
        pool.submit(lambda i=i: ran.append(i))
    gate.set()
    assert pool.shutdown(5)
    assert sorted(ran) == [0, 1, 2, 3, 4]
    assert pool.threads() == []
    with pytest.raises(PoolExhaustedError, match="already shut down"):
        pool.submit(lambda: None)
    pool.start()  # an application restart
    done = threading.Event()
    pool.submit(done.set)
    assert done.wait(5)


def test_shutdown_is_bounded_and_drops_work_that_never_started(
    make_pool: MakePool, gate: threading.Event
) -> None:
    pool = make_pool(max_threads_active=2, max_threads_idle=1, max_buffer_size=3)
    hold(pool, 1, gate)
    ran: list[int] = []
    pool.submit(lambda: ran.append(1))
    assert pool.shutdown(0.02) is False
    stats = pool.statistics()
    assert (stats.discarded, stats.buffered) == (1, 0)
    gate.set()
    assert pool.shutdown(5)
    assert ran == []


def test_idle_sees_running_and_buffered_work(make_pool: MakePool, gate: threading.Event) -> None:
    pool = make_pool(max_threads_active=2)
    assert pool.idle()
    hold(pool, 1, gate)
    assert not pool.idle()
    assert pool.quiescence()[0] is False
    gate.set()
    assert pool.wait_idle(5)
    assert pool.idle()


def test_try_submit_never_applies_the_exhausted_action(
    make_pool: MakePool, gate: threading.Event
) -> None:
    pool = make_pool(max_threads_active=1, pool_exhausted_action="RUN")
    hold(pool, 1, gate)
    assert pool.try_submit(lambda: None) is False
    assert pool.statistics().caller_runs == 0


@pytest.mark.parametrize(
    ("spelling", "action"),
    [("wait", "WAIT"), ("WHEN_EXHAUSTED_DISCARD_OLDEST", "DISCARD_OLDEST"), ("4", "RUN")],
)
def test_exhausted_action_spellings(spelling: str, action: str) -> None:
    assert exhausted_action(spelling) == action


def test_profile_defaults_are_mules(make_pool: MakePool) -> None:
    pool = make_pool()
    assert (pool.max_threads, pool.core_threads, pool.buffer_capacity, pool.action) == (
        16,
        1,
        0,
        "RUN",
    )
    assert (pool.keep_alive_s, pool.wait_timeout_ms) == (60.0, 30_000)


def test_with_no_core_threads_buffered_work_still_gets_a_thread(
    make_pool: MakePool, until: Until
) -> None:
    pool = make_pool(max_threads_active=2, max_threads_idle=0, max_buffer_size=5, thread_ttl_ms=10)
    done = threading.Event()
    pool.submit(done.set)
    assert done.wait(5)
    assert until(lambda: pool.statistics().threads == 0)  # above core (0): dies after TTL


def test_hand_offs_reserve_idle_threads_and_each_gets_a_thread_of_its_own(
    make_pool: MakePool, gate: threading.Event, until: Until
) -> None:
    pool = make_pool(max_threads_active=4, pool_exhausted_action="ABORT")
    first = threading.Event()
    hold(pool, 4, first)
    first.set()
    assert until(lambda: pool.statistics().idle == 4)
    started = threading.Semaphore(0)
    ran_on: list[str] = []

    def blocked() -> None:
        ran_on.append(threading.current_thread().name)
        started.release()
        assert gate.wait(10)

    for _ in range(4):
        pool.submit(blocked)
    # Every idle thread is spoken for as soon as the hand-offs are accepted, whether or
    # not the woken threads have run yet: a fifth task finds the pool exhausted.
    assert pool.statistics().idle == 0
    with pytest.raises(PoolExhaustedError):
        pool.submit(lambda: None)
    for _ in range(4):
        assert started.acquire(timeout=5)
    assert sorted(ran_on) == ["p.01", "p.02", "p.03", "p.04"]
    assert pool.statistics().largest == 4


def test_a_burst_of_hand_offs_wakes_one_idle_thread_at_a_time(
    make_pool: MakePool, gate: threading.Event, until: Until
) -> None:
    pool = make_pool(max_threads_active=8)
    hold(pool, 8, gate)
    gate.set()
    assert until(lambda: pool.statistics().idle == 8)
    waking_seen: list[int] = []
    wake = pool._wake_one_locked

    def counting_wake() -> None:
        waking_seen.append(pool._waking)
        wake()

    pool._wake_one_locked = counting_wake  # type: ignore[method-assign]
    done = threading.Semaphore(0)
    for _ in range(8):
        pool.submit(done.release)
    for _ in range(8):
        assert done.acquire(timeout=5)
    assert pool.wait_idle(5)
    assert waking_seen and set(waking_seen) == {0}  # never a second one while one wakes
    assert pool.statistics().rejected == 0  # every task went to a pool thread


def test_submit_all_applies_the_executor_rules_to_each_task_in_order(
    make_pool: MakePool, gate: threading.Event
) -> None:
    pool = make_pool(max_threads_active=2, pool_exhausted_action="RUN")
    hold(pool, 1, gate)
    started = threading.Semaphore(0)
    ran_on: list[str] = []
    tasks = [
        blocker(gate, started),  # a second thread starts (step 3)
        lambda: ran_on.append(threading.current_thread().name),  # exhausted: RUN
        lambda: ran_on.append(threading.current_thread().name),
    ]
    assert pool.submit_all(tasks) == (3, None)
    assert started.acquire(timeout=5)
    me = threading.current_thread().name
    assert ran_on == [me, me]
    stats = pool.statistics()
    assert (stats.threads, stats.caller_runs, stats.rejected) == (2, 2, 2)


def test_submit_all_stops_at_the_first_refusal_and_returns_it(
    make_pool: MakePool, gate: threading.Event
) -> None:
    pool = make_pool(max_threads_active=2, pool_exhausted_action="ABORT")
    hold(pool, 1, gate)
    started = threading.Semaphore(0)
    ran: list[str] = []
    handed, failure = pool.submit_all(
        [blocker(gate, started), lambda: ran.append("refused"), lambda: ran.append("never")]
    )
    assert handed == 1 and isinstance(failure, PoolExhaustedError)
    assert started.acquire(timeout=5)
    gate.set()
    assert pool.wait_idle(5)
    assert ran == []
    assert pool.statistics().rejected == 1

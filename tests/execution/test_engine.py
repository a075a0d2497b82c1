"""Engine: start/stop order, no leaked threads, a race-free idle check, statistics."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from mule_emulator.execution.dispatcher import Dispatcher
from mule_emulator.execution.engine import Engine
from mule_emulator.execution.receiver import PollingReceiver
from mule_emulator.execution.seda_stage import SedaStage
from mule_emulator.execution.thread_pool import ThreadPool
from mule_emulator.model.config import ThreadingProfile
from mule_emulator.queues.manager import QueueManager

Until = Callable[..., bool]


class Recorder:
    """A startable part that writes what happens to it into a shared log."""

    def __init__(self, name: str, log: list[str], fail: bool = False) -> None:
        self.name, self.log, self.fail = name, log, fail

    def start(self) -> None:
        if self.fail:
            raise RuntimeError(f"{self.name} cannot start")
        self.log.append(f"start {self.name}")

    def stop(self, timeout: float) -> bool:
        self.log.append(f"stop {self.name}")
        return True


def one_way_app(
    engine: Engine, manager: QueueManager, process: Callable[[object], None] | None = None
) -> None:
    """vm://in → receiver → flow SEDA stage → dispatcher → vm://out, as the runtime wires it."""
    dispatcher = engine.register_dispatcher(
        Dispatcher("vm.dispatcher", ThreadPool("connector.VM.dispatcher"))
    )
    out = manager.get("out")

    def flow(event: object) -> None:
        if process is not None:
            process(event)
        dispatcher.dispatch(lambda: out.put(event))

    stage = engine.register_stage(
        SedaStage.build("flow.stage1", manager, ThreadPool("flow.stage1"), flow)
    )
    engine.register_receiver(
        PollingReceiver("in", manager.get("in"), ThreadPool("connector.VM.receiver"), stage.enqueue)
    )


def test_start_goes_dispatchers_stages_receivers_and_stop_goes_back() -> None:
    log: list[str] = []
    engine = Engine()
    engine.register(Recorder("receiver", log), "receiver")
    engine.register(Recorder("stage-a", log), "stage")
    engine.register(Recorder("stage-b", log), "stage")
    engine.register(Recorder("dispatcher", log), "dispatcher")
    engine.start()
    engine.stop()
    assert log == [
        "start dispatcher",
        "start stage-a",
        "start stage-b",
        "start receiver",
        "stop receiver",
        "stop stage-b",
        "stop stage-a",
        "stop dispatcher",
    ]


def test_a_part_that_fails_to_start_stops_what_started() -> None:
    log: list[str] = []
    engine = Engine()
    engine.register(Recorder("dispatcher", log), "dispatcher")
    engine.register(Recorder("stage", log, fail=True), "stage")
    with pytest.raises(RuntimeError, match="stage cannot start"):
        engine.start()
    assert log[0] == "start dispatcher"
    assert "stop dispatcher" in log
    assert not engine.started


def test_wait_until_idle_means_every_message_has_arrived() -> None:
    manager = QueueManager()
    engine = Engine(queue_manager=manager)
    one_way_app(engine, manager)
    with engine:
        for round_ in range(1, 6):
            for i in range(100):
                manager.get("in").put(i)
            assert engine.wait_until_idle(10)
            # idle is only reported once nothing is queued, claimed or running anywhere
            assert manager.get("out").size() == 100 * round_


def test_idle_is_false_while_a_flow_is_still_working(gate: threading.Event, until: Until) -> None:
    manager = QueueManager()
    engine = Engine(queue_manager=manager)
    entered = threading.Event()

    def slow(event: object) -> None:
        entered.set()
        assert gate.wait(10)

    one_way_app(engine, manager, slow)
    with engine:
        manager.get("in").put("x")
        assert entered.wait(5)
        assert not engine.idle()
        assert engine.wait_until_idle(0.02) is False
        gate.set()
        assert engine.wait_until_idle(5)
        assert manager.get("out").items() == ["x"]


def test_stop_drains_the_transient_stage_queue_before_returning() -> None:
    manager = QueueManager()
    engine = Engine(queue_manager=manager)
    seen: list[object] = []
    lock = threading.Lock()

    def record(event: object) -> None:
        with lock:
            seen.append(event)

    one_way_app(engine, manager, record)
    engine.start()
    stage_queue = manager.get("seda.queue(flow.stage1)")
    for i in range(50):
        stage_queue.put(i)
    assert engine.stop(10)
    assert stage_queue.size() == 0
    assert sorted(seen) == list(range(50))  # type: ignore[type-var]
    assert manager.get("out").size() == 50


def test_start_and_stop_a_hundred_times_leaves_no_thread_behind() -> None:
    baseline = {t.ident for t in threading.enumerate()}
    manager = QueueManager()
    engine = Engine(queue_manager=manager)
    one_way_app(engine, manager)
    for i in range(100):
        engine.start()
        manager.get("in").put(i)
        assert engine.wait_until_idle(10)
        assert engine.stop(5)
        assert engine.threads() == []
    assert manager.get("out").size() == 100
    leftover = [t for t in threading.enumerate() if t.ident not in baseline]
    assert leftover == []


def test_statistics_cover_every_queue_and_pool() -> None:
    manager = QueueManager()
    engine = Engine(queue_manager=manager)
    one_way_app(engine, manager)
    manager.get("elsewhere")
    with engine:
        manager.get("in").put("x")
        assert engine.wait_until_idle(5)
        stats = engine.statistics()
    assert {q.name for q in stats.queues} == {
        "in",
        "out",
        "seda.queue(flow.stage1)",
        "elsewhere",
    }
    assert {p.name for p in stats.pools} == {
        "connector.VM.dispatcher",
        "flow.stage1",
        "connector.VM.receiver",
    }
    by_name = {q.name: q for q in stats.queues}
    assert (by_name["in"].processed, by_name["out"].depth) == (1, 1)
    assert by_name["seda.queue(flow.stage1)"].capacity == 64


def test_a_watched_queue_counts_in_idle() -> None:
    manager = QueueManager()
    engine = Engine(queue_manager=manager)
    engine.register_pool(ThreadPool("p", ThreadingProfile()), "stage")
    q = engine.watch_queue(manager.get("sink"))
    assert engine.idle()
    q.put("x")
    assert not engine.idle()
    q.take(0)
    assert engine.idle()


def test_a_shared_pool_is_shut_down_after_its_last_user() -> None:
    log: list[str] = []
    pool = ThreadPool("shared")
    engine = Engine()
    engine.register_pool(pool, "receiver")
    engine.register_pool(pool, "dispatcher")
    engine.register_pool(pool, "stage")
    engine.register(Recorder("dispatcher", log), "dispatcher")
    engine.start()
    pool.submit(lambda: None)
    engine.stop()
    assert pool.is_shutdown
    assert engine._phase_of(pool) == "dispatcher"

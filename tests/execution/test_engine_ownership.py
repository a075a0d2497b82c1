"""Engine ownership details the runtime relies on: pools adopted from a factory and
claimed later by a phase, and a phase's parts told to stop before any is waited for."""

from __future__ import annotations

import threading
import time

from mule_emulator.execution.engine import Engine
from mule_emulator.execution.thread_pool import ThreadPool


class RecordingPool(ThreadPool):
    def __init__(self, name: str, log: list[str]) -> None:
        super().__init__(name)
        self.log = log

    def shutdown(self, wait_s: float = 5.0) -> bool:
        self.log.append(f"shutdown {self.name}")
        return super().shutdown(wait_s)


class Part:
    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self.log = name, log

    def start(self) -> None:
        pass

    def stop(self, timeout: float) -> bool:
        self.log.append(f"stop {self.name}")
        return True


def test_an_adopted_pool_stops_with_the_stages_until_a_phase_claims_it() -> None:
    log: list[str] = []
    engine = Engine(shutdown_timeout_s=2.0)
    scope_pool = engine.adopt_pool(RecordingPool("scope", log))
    receiver_pool = engine.adopt_pool(RecordingPool("receiver", log))
    dispatcher_pool = engine.adopt_pool(RecordingPool("dispatcher", log))
    engine.register_pool(receiver_pool, "receiver")  # claimed: moves to its phase
    engine.register_pool(dispatcher_pool, "dispatcher")
    engine.register(Part("stage", log), "stage")
    engine.register(Part("receiver-part", log), "receiver")
    engine.start()
    assert engine.stop()
    assert log == [
        "stop receiver-part",
        "shutdown receiver",  # right after the receivers, before the stages
        "stop stage",
        "shutdown scope",  # an unclaimed adopted pool: with the stages
        "shutdown dispatcher",
    ]
    assert scope_pool.is_shutdown
    engine.adopt_pool(receiver_pool)  # adopting an owned pool changes nothing
    assert [p.name for p in engine.statistics().pools] == ["dispatcher", "scope", "receiver"]


class Waiter:
    """A part whose stop needs another part to have been told to stop first."""

    def __init__(self, other: Signalled) -> None:
        self.other = other

    def start(self) -> None:
        pass

    def stop(self, timeout: float) -> bool:
        return self.other.signalled.wait(min(timeout, 1.0))


class Signalled:
    def __init__(self) -> None:
        self.signalled = threading.Event()

    def start(self) -> None:
        pass

    def signal_stop(self) -> None:
        self.signalled.set()

    def stop(self, timeout: float) -> bool:
        self.signalled.set()
        return True


def test_a_phase_is_told_to_stop_before_any_part_is_waited_for() -> None:
    engine = Engine(shutdown_timeout_s=5.0)
    other = Signalled()
    engine.register(other, "receiver")
    engine.register(Waiter(other), "receiver")  # stopped first (reverse order)
    engine.start()
    started = time.monotonic()
    assert engine.stop(), "the waiter saw the other part signalled"
    assert time.monotonic() - started < 0.9

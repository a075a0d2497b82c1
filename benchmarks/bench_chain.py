"""One-way VM chain: three flows linked by one-way VM endpoints, against plain pipelines.

``chain.one_way``: the client dispatches N small text messages to ``vm://chain-a``; flow
``first`` passes them to ``vm://chain-b``, ``second`` to ``vm://chain-c``, and ``third``
counts them with a Python stand-in component. Everything is at its default: connector,
processing strategy (queued SEDA stage), threading profiles, transient queues. The figure
is end-to-end messages per second, from the first dispatch to the last count.

Baselines, same run, same message count: a producer and three threads linked by three
``queue.Queue`` objects passing the bare payload (what a naive Python pipeline costs),
and the same with ``queue.SimpleQueue`` (the fastest hand-off CPython offers). Goal: at
least 1.0 times the ``queue.Queue`` pipeline.
"""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.measure import best_of, row, scratch_dir

CONFIG = """<?xml version="1.0" encoding="UTF-8"?>
<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:vm="http://www.mulesoft.org/schema/mule/vm">
    <flow name="first">
        <vm:inbound-endpoint path="chain-a" exchange-pattern="one-way"/>
        <vm:outbound-endpoint path="chain-b" exchange-pattern="one-way"/>
    </flow>
    <flow name="second">
        <vm:inbound-endpoint path="chain-b" exchange-pattern="one-way"/>
        <vm:outbound-endpoint path="chain-c" exchange-pattern="one-way"/>
    </flow>
    <flow name="third">
        <vm:inbound-endpoint path="chain-c" exchange-pattern="one-way"/>
        <component class="bench.Counter"/>
    </flow>
</mule>
"""

PAYLOAD = "hello, chain"
# The class map entry the config's <component> resolves to.
CLASSES = {"bench.Counter": "benchmarks.bench_chain:count"}
NO_START_DELAY = {"mule.vm.receiverStartDelayMs": "0"}


class Countdown:
    """Counts arrivals from any thread; ``done`` is set when the target is reached."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.seen = 0
        self.target = 0
        self.done = threading.Event()

    def expect(self, n: int) -> None:
        with self._lock:
            self.seen = 0
            self.target = n
            self.done.clear()

    def tick(self) -> None:
        with self._lock:
            self.seen += 1
            if self.seen == self.target:
                self.done.set()


COUNTER = Countdown()


def count(message: Any) -> Any:
    """The stand-in component of flow ``third``."""
    COUNTER.tick()
    return message.payload


def write_config(folder: Path) -> Path:
    path = folder / "chain.xml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def mule_rate(app: Any, n: int) -> float:
    """Messages per second through the started application's chain."""
    dispatch = app.client.dispatch
    COUNTER.expect(n)
    start = time.perf_counter()
    for _ in range(n):
        dispatch("vm://chain-a", PAYLOAD)
    if not COUNTER.done.wait(60 + n / 200):
        raise RuntimeError(f"chain delivered {COUNTER.seen} of {n} messages")
    return n / (time.perf_counter() - start)


def pipeline_rate(make_queue: Any, n: int) -> float:
    """Messages per second through a producer and three threads linked by queues."""
    queues = [make_queue() for _ in range(3)]
    done = threading.Event()
    stop = object()

    def relay(source: Any, target: Any) -> None:
        get, put = source.get, target.put
        while True:
            item = get()
            put(item)
            if item is stop:
                return

    def sink(source: Any) -> None:
        get = source.get
        seen = 0
        while True:
            item = get()
            if item is stop:
                return
            seen += 1
            if seen == n:
                done.set()

    threads = [
        threading.Thread(target=relay, args=(queues[0], queues[1])),
        threading.Thread(target=relay, args=(queues[1], queues[2])),
        threading.Thread(target=sink, args=(queues[2],)),
    ]
    for t in threads:
        t.start()
    put = queues[0].put
    start = time.perf_counter()
    for _ in range(n):
        put(PAYLOAD)
    done.wait()
    elapsed = time.perf_counter() - start
    put(stop)
    for t in threads:
        t.join(10)
    return n / elapsed


def run(quick: bool, tiny: bool = False) -> list[dict[str, Any]]:
    from mule_emulator import load_app

    n = 200 if tiny else 3000 if quick else 20000
    repeat = 1 if tiny else 2 if quick else 3
    with scratch_dir("bench-chain-") as folder:
        app = load_app([write_config(folder)], classes=CLASSES, properties=NO_START_DELAY)
        app.start()
        try:
            mule_rate(app, min(n, 500))  # warm-up: threads started, code paths hot
            ours = best_of(repeat, lambda: mule_rate(app, n))
        finally:
            app.stop()
    plain = best_of(repeat, lambda: pipeline_rate(queue.Queue, n))
    simple = best_of(repeat, lambda: pipeline_rate(queue.SimpleQueue, n))
    return [
        row(
            "chain.one_way",
            "messages/s",
            ours,
            plain,
            "queue.Queue, producer + 3 threads",
            goal=">= 1.0",
            met=ours / plain >= 1.0,
            chart="throughput",
            messages=n,
        ),
        row(
            "chain.one_way",
            "messages/s",
            ours,
            simple,
            "queue.SimpleQueue, producer + 3 threads",
            goal="(reported)",
            chart="throughput",
            messages=n,
        ),
    ]

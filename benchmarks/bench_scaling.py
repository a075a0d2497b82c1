"""Scaling: throughput of a flow whose component waits on I/O, by maxThreadsActive.

``scaling.threads_N``: the client dispatches messages to a flow whose queued-asynchronous
processing strategy has ``maxThreads=N`` (N = 1, 2, 4, 8, 16); its Python stand-in
component sleeps ``SLEEP_S`` (``time.sleep`` releases the GIL, as a blocking call to a
database or a web service would). The figure is messages per second from the first
dispatch to the last completion.

Baseline, same run: ``concurrent.futures.ThreadPoolExecutor(max_workers=N)`` running the
same stand-in on the same number of messages. The ideal is ``N / SLEEP_S``. A ratio near
1.0 at every N means the engine's pools add no serialisation of their own.
"""

from __future__ import annotations

import concurrent.futures
import time
from pathlib import Path
from typing import Any

from benchmarks.bench_chain import COUNTER
from benchmarks.measure import row, scratch_dir

SLEEP_S = 0.002
THREADS = (1, 2, 4, 8, 16)

CONFIG = """<?xml version="1.0" encoding="UTF-8"?>
<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:vm="http://www.mulesoft.org/schema/mule/vm">
    <queued-asynchronous-processing-strategy name="pool" maxThreads="{threads}"/>
    <flow name="io" processingStrategy="pool">
        <vm:inbound-endpoint path="io" exchange-pattern="one-way"/>
        <component class="bench.Io"/>
    </flow>
</mule>
"""

CLASSES = {"bench.Io": "benchmarks.bench_scaling:wait_on_io"}
NO_START_DELAY = {"mule.vm.receiverStartDelayMs": "0"}


def io_call() -> None:
    """The stand-in's work: a blocking call that releases the GIL."""
    time.sleep(SLEEP_S)


def wait_on_io(message: Any) -> Any:
    io_call()
    COUNTER.tick()
    return message.payload


def mule_rate(folder: Path, threads: int, n: int) -> float:
    from mule_emulator import load_app

    path = folder / f"scaling-{threads}.xml"
    path.write_text(CONFIG.format(threads=threads), encoding="utf-8")
    app = load_app([path], classes=CLASSES, properties=NO_START_DELAY)
    app.start()
    try:
        dispatch = app.client.dispatch
        COUNTER.expect(n)
        start = time.perf_counter()
        for i in range(n):
            dispatch("vm://io", f"request {i}")
        if not COUNTER.done.wait(60 + n * SLEEP_S * 2):
            raise RuntimeError(f"flow io completed {COUNTER.seen} of {n} messages")
        return n / (time.perf_counter() - start)
    finally:
        app.stop()


def executor_rate(threads: int, n: int) -> float:
    with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as pool:
        pool.submit(io_call).result()  # start a thread before the clock does
        start = time.perf_counter()
        futures = [pool.submit(io_call) for _ in range(n)]
        concurrent.futures.wait(futures)
        return n / (time.perf_counter() - start)


def run(quick: bool, tiny: bool = False) -> list[dict[str, Any]]:
    per_thread = 5 if tiny else 40 if quick else 150
    rows = []
    with scratch_dir("bench-scaling-") as folder:
        for threads in THREADS:
            n = per_thread * threads
            ours = mule_rate(folder, threads, n)
            theirs = executor_rate(threads, n)
            ideal = threads / SLEEP_S
            rows.append(
                row(
                    f"scaling.threads_{threads:02d}",
                    "messages/s",
                    ours,
                    theirs,
                    f"ThreadPoolExecutor({threads})",
                    chart="scaling",
                    threads=threads,
                    ideal=round(ideal, 1),
                    of_ideal=round(ours / ideal, 3),
                    messages=n,
                )
            )
    return rows

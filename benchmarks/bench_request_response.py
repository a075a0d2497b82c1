"""Request-response chain: ``MuleClient.send`` through two request-response VM hops.

``rr.round_trip``: the client sends a small text payload to ``vm://rr-front``; flow
``front`` runs a stand-in component, then calls flow ``pricing`` over the
request-response endpoint ``vm://rr-pricing``, whose stand-in component computes the
reply. Everything runs in the caller's thread, as in Mule. Figures: round trips per
second, and p50/p99 latency of single sends.

Baseline, same run: the same work as direct function calls: ``front(payload)`` calls
``pricing(payload)``, which calls the same work function the stand-ins call, timed by
the same loop, its runs alternated with ours while the application is up. Each side
reports its best run. Goal: a round trip within 20 times the direct calls (rate ratio
at least 0.05).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.measure import percentile, row, scratch_dir

CONFIG = """<?xml version="1.0" encoding="UTF-8"?>
<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:vm="http://www.mulesoft.org/schema/mule/vm">
    <flow name="front">
        <vm:inbound-endpoint path="rr-front" exchange-pattern="request-response"/>
        <component class="bench.Front"/>
        <vm:outbound-endpoint path="rr-pricing" exchange-pattern="request-response"/>
    </flow>
    <flow name="pricing">
        <vm:inbound-endpoint path="rr-pricing" exchange-pattern="request-response"/>
        <component class="bench.Pricing"/>
    </flow>
</mule>
"""

PAYLOAD = "widget-42"
CLASSES = {
    "bench.Front": "benchmarks.bench_request_response:front_component",
    "bench.Pricing": "benchmarks.bench_request_response:pricing_component",
}


def ask(item: str) -> str:
    """The front flow's work: phrase the question."""
    return item.strip().lower()


def price(item: str) -> str:
    """The pricing flow's work: the answer."""
    return f"price for {item}: {len(item) * 3}"


def front_component(message: Any) -> Any:
    return ask(message.payload)


def pricing_component(message: Any) -> Any:
    return price(message.payload)


def direct_front(payload: str) -> str:
    return direct_pricing(ask(payload))


def direct_pricing(payload: str) -> str:
    return price(payload)


def _timed(call: Callable[[], Any], n: int) -> tuple[float, list[float]]:
    """(calls per second, sorted per-call latencies in seconds)."""
    clock = time.perf_counter
    latencies = []
    start = clock()
    for _ in range(n):
        t0 = clock()
        call()
        latencies.append(clock() - t0)
    elapsed = clock() - start
    latencies.sort()
    return n / elapsed, latencies


def run(quick: bool, tiny: bool = False) -> list[dict[str, Any]]:
    from mule_emulator import load_app

    n = 200 if tiny else 3000 if quick else 20000
    repeat = 1 if tiny else 2 if quick else 3
    expected = direct_front(PAYLOAD)
    with scratch_dir("bench-rr-") as folder:
        path = Path(folder) / "rr.xml"
        path.write_text(CONFIG, encoding="utf-8")
        app = load_app([path], classes=CLASSES)
        app.start()
        try:
            send = app.client.send
            reply = send("vm://rr-front", PAYLOAD)
            if reply is None or reply.payload != expected:
                raise RuntimeError(f"unexpected reply {reply!r}")
            # Alternated, in the same conditions (the application up, its threads
            # idle): whatever slows one side for a while slows the other as well.
            runs = []
            direct = []
            for _ in range(repeat):
                runs.append(_timed(lambda: send("vm://rr-front", PAYLOAD), n))
                direct.append(_timed(lambda: direct_front(PAYLOAD), n))
        finally:
            app.stop()
    ours_rate, ours_lat = max(runs, key=lambda r: r[0])
    base_rate, base_lat = max(direct, key=lambda r: r[0])
    us = 1e6
    ratio = ours_rate / base_rate
    return [
        row(
            "rr.round_trip",
            "round trips/s",
            ours_rate,
            base_rate,
            "direct function calls",
            goal=">= 0.05 (within 20x)",
            met=ratio >= 0.05,
            chart="throughput",
            slowdown=round(base_rate / ours_rate, 1),
            round_trips=n,
        ),
        row(
            "rr.latency_p50",
            "µs",
            percentile(ours_lat, 0.50) * us,
            percentile(base_lat, 0.50) * us,
            "direct function calls",
        ),
        row(
            "rr.latency_p99",
            "µs",
            percentile(ours_lat, 0.99) * us,
            percentile(base_lat, 0.99) * us,
            "direct function calls",
        ),
    ]

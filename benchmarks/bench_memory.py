"""Memory: bytes per message waiting on a transient VM queue (tracemalloc).

``memory.queued``: with nothing listening on ``vm://parked``, the client dispatches N
small text messages (100 000 in the full run); once all N wait on the queue, the bytes
tracemalloc saw allocated since before the first dispatch, divided by N, are what one
queued message costs beyond its payload (the payload strings exist beforehand). Our
figure is that overhead plus the payload; the baseline is the payload alone
(``sys.getsizeof`` of the strings). Goal: under 600 bytes of overhead per message.
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
from pathlib import Path
from typing import Any

from benchmarks.measure import row, scratch_dir, wait_for

CONFIG = """<?xml version="1.0" encoding="UTF-8"?>
<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:vm="http://www.mulesoft.org/schema/mule/vm">
    <flow name="unrelated">
        <vm:inbound-endpoint path="elsewhere" exchange-pattern="one-way"/>
        <logger level="DEBUG"/>
    </flow>
</mule>
"""

GOAL_BYTES = 600


def run(quick: bool, tiny: bool = False) -> list[dict[str, Any]]:
    from mule_emulator import load_app

    n = 1000 if tiny else 20_000 if quick else 100_000
    payloads = [f"order {i:07d}: 3 widgets" for i in range(n)]
    payload_bytes = sum(sys.getsizeof(p) for p in payloads) / n
    with scratch_dir("bench-memory-") as folder:
        path = Path(folder) / "memory.xml"
        path.write_text(CONFIG, encoding="utf-8")
        app = load_app([path])
        app.start()
        try:
            dispatch = app.client.dispatch
            dispatch("vm://parked", "warm-up")  # creates the queue, the pools, the endpoint
            store = app.queue_manager.get("parked")
            if not wait_for(lambda: store.size() == 1, 30):
                raise RuntimeError("the warm-up message never reached vm://parked")
            store.purge()
            gc.collect()
            tracemalloc.start()
            before = tracemalloc.get_traced_memory()[0]
            for payload in payloads:
                dispatch("vm://parked", payload)
            if not wait_for(lambda: store.size() == n, 60 + n / 1000):
                raise RuntimeError(f"only {store.size()} of {n} messages reached vm://parked")
            gc.collect()
            after = tracemalloc.get_traced_memory()[0]
            tracemalloc.stop()
            store.purge()
        finally:
            if tracemalloc.is_tracing():
                tracemalloc.stop()
            app.stop()
    overhead = (after - before) / n
    return [
        row(
            "memory.queued",
            "bytes/message",
            overhead + payload_bytes,
            payload_bytes,
            "the payload strings alone",
            goal=f"overhead < {GOAL_BYTES} B",
            met=overhead < GOAL_BYTES,
            overhead_bytes=round(overhead, 1),
            messages=n,
        )
    ]

"""What ``mule-emu run`` reports as left on queues that nothing consumes.

A queue read by a receiver (plain or transacted) is consumed even when messages are
still on it when the application stops; only queues nobody reads count as leftovers.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from mule_emulator import MuleApp

AppMaker = Callable[..., MuleApp]

SLOW_TRANSACTED = """
    <flow name="slow">
        <vm:inbound-endpoint path="in" exchange-pattern="one-way">
            <vm:transaction action="ALWAYS_BEGIN"/>
        </vm:inbound-endpoint>
        <test:component waitTime="200"/>
    </flow>
"""


def _wait_for(condition: Callable[[], bool], timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_queue_of_a_transacted_receiver_is_not_a_leftover_after_stop(
    make_app: AppMaker,
) -> None:
    app = make_app(SLOW_TRANSACTED)
    for i in range(10):
        app.client.dispatch("vm://in", f"m{i}")
    app.client.dispatch("vm://nobody", "kept")
    assert _wait_for(lambda: app.flow_runs("slow") >= 1)
    app.stop()
    depths = {s.name: s.depth for s in app.queue_statistics()}
    # 4 transacted workers take one message each, 200 ms apiece: most are still queued.
    assert depths.get("in", 0) > 0, depths
    assert "in" in app.consumed_queues()
    assert app.leftover() == {"nobody": 1}

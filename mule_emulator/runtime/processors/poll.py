"""``<poll>`` (P-24): a message source that runs its child processor on a schedule.

Every period (``frequency`` ms, or ``<fixed-frequency-scheduler frequency startDelay
timeUnit>``) a new message with an empty-string payload goes through the child; a
result that is neither null nor NullPayload enters the flow as a new one-way event (so
the flow's processing strategy applies); otherwise "poll source returned null" is logged.
Failures go to the flow's exception strategy.

The source owns one long-running loop on its own pool (a background task, like a
receiver's poller) and runs each poll as a counted task, so an idle check sees a poll in
progress. ``build_poll_source`` is what a flow builder calls for a ``<poll>`` source.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from mule_emulator.errors import ConfigError
from mule_emulator.execution.thread_pool import ThreadPool
from mule_emulator.model.config import CORE_NS, ElementConfig
from mule_emulator.runtime.message import MuleEvent, MuleMessage, is_null
from mule_emulator.runtime.processors.base import Processor
from mule_emulator.runtime.processors.routers import processor_children
from mule_emulator.runtime.processors.scopes import handle_in_flow

log = logging.getLogger("mule.transport.polling")

_UNITS_MS = {
    "MILLISECONDS": 1,
    "SECONDS": 1000,
    "MINUTES": 60_000,
    "HOURS": 3_600_000,
    "DAYS": 86_400_000,
}


class PollSource:
    """A running ``<poll>``: ``poll_once()`` is one scheduled run."""

    def __init__(
        self,
        child: Processor,
        frequency_ms: int,
        start_delay_ms: int,
        pool_factory: Callable[[], ThreadPool],
        flow: Any = None,
    ) -> None:
        self.child = child
        self.frequency_ms = frequency_ms
        self.start_delay_ms = start_delay_ms
        self.flow = flow
        self._pool_factory = pool_factory
        self._pool: ThreadPool | None = None
        self._stopping = threading.Event()
        self.polls = 0

    def poll_once(self) -> MuleEvent | None:
        """Run the child on a new empty message; route a non-null result into the flow.
        Returns the event handed to the flow (None when the poll produced nothing)."""
        self.polls += 1
        flow = self.flow
        event = MuleEvent(MuleMessage(""), flow=flow, exchange_pattern="one-way")
        produced: list[MuleEvent] = []

        def work() -> None:
            result = self.child.process(event)
            if not isinstance(result, MuleEvent) or is_null(result.message.payload):
                log.info("Poll source returned null, not routing it into the flow")
                return
            entering = MuleEvent(
                MuleMessage(result.message.payload, outbound=result.message.outbound),
                flow=flow,
                exchange_pattern="one-way",
                synchronous=False,
            )
            produced.append(entering)
            if flow is not None:
                flow.process(entering)

        handle_in_flow(event, work)
        return produced[0] if produced else None

    def _scheduled(self) -> None:
        self.poll_once()

    def _loop(self) -> None:
        if self._stopping.wait(self.start_delay_ms / 1000.0):
            return
        pool = self._pool
        while not self._stopping.is_set() and pool is not None:
            try:
                pool.submit(self._scheduled)
            except Exception as exc:  # the pool is shutting down
                log.debug("poll not scheduled: %s", exc)
                return
            if self._stopping.wait(self.frequency_ms / 1000.0):
                return

    def start(self) -> None:
        self._stopping.clear()
        self.child.start()
        self._pool = self._pool_factory()
        self._pool.start()
        self._pool.try_submit(self._loop, background=True)

    def stop(self, wait_s: float = 5.0) -> None:
        self._stopping.set()
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait_s)
        self.child.stop()


def build_poll_source(ctx: Any, cfg: ElementConfig, flow: Any = None) -> PollSource:
    """A ``PollSource`` for a ``<poll>`` element (the flow may be set later)."""
    if (cfg.namespace, cfg.name) != (CORE_NS, "poll"):
        raise ConfigError(f"<{cfg.qname}> is not a poll source", cfg.location)
    frequency = int(cfg.attr("frequency") or 1000)
    delay = 0
    children = [c for c in processor_children(cfg)]
    schedulers = [
        c for c in children if isinstance(c, ElementConfig) and c.name.endswith("-scheduler")
    ]
    for scheduler in schedulers:
        if scheduler.name != "fixed-frequency-scheduler":
            raise ConfigError(
                f"<{scheduler.qname}> is not supported (only fixed-frequency-scheduler)",
                scheduler.location,
            )
        unit = (scheduler.attr("timeUnit") or "MILLISECONDS").upper()
        if unit not in _UNITS_MS:
            raise ConfigError(f"unknown timeUnit {unit!r}", scheduler.location)
        frequency = int(scheduler.attr("frequency") or 1000) * _UNITS_MS[unit]
        delay = int(scheduler.attr("startDelay") or 0) * _UNITS_MS[unit]
    body = [c for c in children if c not in schedulers]
    if len(body) != 1:
        raise ConfigError("<poll> needs exactly one processor", cfg.location)
    if frequency <= 0:
        raise ConfigError("<poll> frequency must be positive", cfg.location)
    name = f"poll.{cfg.location.line or 'source'}"
    return PollSource(
        ctx.processor(body[0]), frequency, delay, lambda: ctx.pool_factory(name, None), flow
    )


#: Children that are parts of ``<poll>``, not processors.
PARTS: set[tuple[str, str]] = {
    (CORE_NS, "fixed-frequency-scheduler"),
    (CORE_NS, "watermark"),
}


__all__ = ["PARTS", "PollSource", "build_poll_source"]

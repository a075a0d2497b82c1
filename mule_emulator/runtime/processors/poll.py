"""``<poll>`` (P-24): a message source that runs its child processor on a schedule.

Every period (``frequency`` ms, or ``<fixed-frequency-scheduler frequency startDelay
timeUnit>``) a new message with an empty-string payload goes through the child; a
result that is neither null nor NullPayload enters the flow as a new one-way event (so
the flow's processing strategy applies); otherwise "poll source returned null" is logged.
Failures go to the flow's exception strategy.

The schedule is a ``FixedFrequencyScheduler`` (``execution/scheduler.py``), an engine
component of the receiver phase with a pool of its own: each poll runs there as a
counted task, so an idle check sees a poll in progress. ``build_poll_source`` is what
the application calls for a flow's ``<poll>`` source.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mule_emulator.errors import ConfigError
from mule_emulator.execution.scheduler import FixedFrequencyScheduler
from mule_emulator.execution.thread_pool import ThreadPool
from mule_emulator.model.config import CORE_NS, ElementConfig
from mule_emulator.runtime.message import MuleEvent, MuleMessage, is_null
from mule_emulator.runtime.processors.base import Processor
from mule_emulator.runtime.processors.routers import processor_children
from mule_emulator.runtime.processors.scopes import handle_in_flow

if TYPE_CHECKING:
    from mule_emulator.execution.engine import Engine

log = logging.getLogger("mule.transport.polling")

_UNITS_MS = {
    "MILLISECONDS": 1,
    "SECONDS": 1000,
    "MINUTES": 60_000,
    "HOURS": 3_600_000,
    "DAYS": 86_400_000,
}


class PollSource:
    """A flow's ``<poll>`` source: ``poll_once()`` is one scheduled run; ``start()``
    hands a ``FixedFrequencyScheduler`` to the application's engine (receiver phase),
    or runs it on its own pool when there is no engine."""

    def __init__(
        self,
        child: Processor,
        frequency_ms: int,
        start_delay_ms: int,
        pool_factory: Callable[[], ThreadPool],
        flow: Any = None,
        engine: Engine | None = None,
        name: str = "poll",
    ) -> None:
        self.child = child
        self.frequency_ms = frequency_ms
        self.start_delay_ms = start_delay_ms
        self.flow = flow
        self.engine = engine
        self.name = name
        self._pool_factory = pool_factory
        self._scheduler: FixedFrequencyScheduler | None = None
        self.polls = 0

    @property
    def scheduler(self) -> FixedFrequencyScheduler | None:
        """The running schedule (None while stopped)."""
        return self._scheduler

    def poll_once(self) -> MuleEvent | None:
        """Run the child on a new empty message; route a non-null result into the flow.
        Returns the event handed to the flow (None when the poll produced nothing)."""
        self.polls += 1
        flow = self.flow
        event = MuleEvent.of(MuleMessage(""), flow=flow, exchange_pattern="one-way")
        produced: list[MuleEvent] = []

        def work() -> None:
            result = self.child.process(event)
            if not isinstance(result, MuleEvent) or is_null(result.message.payload):
                log.info("Poll source returned null, not routing it into the flow")
                return
            entering = MuleEvent.of(
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

    def start(self) -> None:
        if self._scheduler is not None:
            return
        self.child.start()
        pool = self._pool_factory()
        scheduler = FixedFrequencyScheduler(
            self.name,
            pool,
            self.poll_once,
            self.frequency_ms / 1000.0,
            self.start_delay_ms / 1000.0,
        )
        self._scheduler = scheduler
        engine = self.engine
        if engine is not None:  # started now, or with the engine's receivers
            engine.register_pool(pool, "receiver")
            engine.register(scheduler, "receiver")
        else:
            pool.start()
            scheduler.start()

    def stop(self, wait_s: float = 5.0) -> None:
        """Stop the schedule (under an engine that stopped it already this only forgets
        it), then the child."""
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is None:
            return
        scheduler.stop(wait_s)
        if self.engine is not None:
            self.engine.unregister(scheduler)
        scheduler.pool.shutdown(wait_s)
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
    flow_name = getattr(flow, "name", None) or ctx.extra.get("construct")
    name = f"{flow_name}.poll" if flow_name else f"poll.{cfg.location.line or 'source'}"
    return PollSource(
        ctx.processor(body[0]),
        frequency,
        delay,
        lambda: ctx.pool_factory(name, None),
        flow,
        ctx.extra.get("engine"),
        name,
    )


#: Children that are parts of ``<poll>``, not processors.
PARTS: set[tuple[str, str]] = {
    (CORE_NS, "fixed-frequency-scheduler"),
    (CORE_NS, "watermark"),
}


__all__ = ["PARTS", "PollSource", "build_poll_source"]

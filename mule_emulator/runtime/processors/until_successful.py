"""``<until-successful>`` (P-18): retry one route until it succeeds.

Synchronous (``synchronous="true"``): attempts run in the caller's thread, each on a
fresh copy of the event, sleeping ``millisBetweenRetries`` between them; exhaustion
raises to the flow's exception strategy. Asynchronous (the default): the event is kept
(the emulated object store, in memory), the caller gets VoidMuleEvent or the
``ackExpression`` value, and the scope's own pool retries; exhaustion goes to the
dead-letter processor with an exception payload, else to the flow's exception strategy.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from mule_emulator.errors import ConfigError, MessagingError
from mule_emulator.execution.thread_pool import ThreadPool
from mule_emulator.model.config import CORE_NS, ElementConfig, merge_threading
from mule_emulator.runtime.builder import BuildContext, element
from mule_emulator.runtime.message import VOID_EVENT, MuleEvent, ProcessResult
from mule_emulator.runtime.processors.base import Processor, run_processor
from mule_emulator.runtime.processors.core import EventFn
from mule_emulator.runtime.processors.routers import (
    RoutingError,
    processor_children,
)
from mule_emulator.runtime.processors.scopes import handle_in_flow, threading_profile

log = logging.getLogger("mule.routing")


ATTEMPT_COUNT = "process.attempt.count"


class RetryPolicyExhaustedError(RoutingError):
    """Mule's RetryPolicyExhaustedException (asynchronous until-successful)."""


@dataclass(frozen=True)
class RetrySettings:
    max_retries: int = 5
    millis_between_retries: int = 60_000
    failed: Callable[[MuleEvent], bool] | None = None
    ack: EventFn | None = None

    def is_failure(self, result: ProcessResult) -> bool:
        if not isinstance(result, MuleEvent):
            return False
        if self.failed is not None:
            return self.failed(result)
        return result.message.exception_payload is not None


class UntilSuccessful(Processor):
    """``<until-successful>`` (P-18). Synchronous: attempts in the caller's thread,
    each on a fresh copy, sleeping between them; exhaustion raises. Asynchronous: the
    event is kept, the caller gets VoidMuleEvent (or the ``ackExpression`` value) and a
    pool thread retries; exhaustion goes to the dead-letter processor with an exception
    payload, else to the flow's exception strategy."""

    kind = "until-successful"

    def __init__(
        self,
        route: Processor,
        settings: RetrySettings,
        synchronous: bool,
        pool_factory: Callable[[], ThreadPool] | None = None,
        dead_letter: Processor | None = None,
    ) -> None:
        self.route = route
        self.settings = settings
        self.synchronous = synchronous
        self.dead_letter = dead_letter
        self._pool_factory = pool_factory
        self._pool: ThreadPool | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        #: Events waiting for another attempt (the emulated object store), by message id.
        self.pending: dict[str, MuleEvent] = {}

    # -- one attempt ----------------------------------------------------------------

    def _attempt(self, event: MuleEvent) -> tuple[bool, ProcessResult, BaseException | None]:
        try:
            result = run_processor(self.route, event)
        except MessagingError as error:
            return False, None, error
        if self.settings.is_failure(result):
            return False, result, None
        return True, result, None

    def _wait(self) -> bool:
        """Sleep between attempts; False when the scope is stopping."""
        return not self._stopping.wait(self.settings.millis_between_retries / 1000.0)

    # -- synchronous ------------------------------------------------------------------

    def _process_sync(self, event: MuleEvent) -> ProcessResult:
        last: BaseException | None = None
        for attempt in range(self.settings.max_retries + 1):
            if attempt and not self._wait():
                break
            ok, result, error = self._attempt(event.copy())
            if ok:
                if isinstance(result, MuleEvent):
                    event.flow_vars.update(result.flow_vars)
                    event.session.merge(result.session)
                    merged = result.with_message(result.message)
                    merged.flow_vars = event.flow_vars
                    merged.session = event.session
                    return self._ack(merged)
                return result
            last = error
        failure = RoutingError(
            f"until-successful retries exhausted ({self.settings.max_retries} retries)",
            event=event,
        )
        if last is not None:
            failure.__cause__ = last
        raise failure

    def _ack(self, event: MuleEvent) -> MuleEvent:
        if self.settings.ack is None:
            return event
        event.message.payload = self.settings.ack(event)
        return event

    # -- asynchronous -----------------------------------------------------------------

    def pool(self) -> ThreadPool:
        assert self._pool_factory is not None
        with self._lock:
            if self._pool is None:
                self._pool = self._pool_factory()
                self._pool.start()
            return self._pool

    def _process_async(self, event: MuleEvent) -> ProcessResult:
        stored = event.copy()
        stored.synchronous = False
        stored.exchange_pattern = "one-way"
        with self._lock:
            self.pending[stored.message.id] = stored
        self.pool().submit(lambda: handle_in_flow(stored, lambda: self._retry_loop(stored)))
        if self.settings.ack is not None:
            acked = event.copy()
            acked.message.payload = self.settings.ack(event)
            return acked
        return VOID_EVENT

    def _retry_loop(self, event: MuleEvent) -> None:
        last: BaseException | None = None
        try:
            for attempt in range(1, self.settings.max_retries + 2):
                if attempt > 1 and not self._wait():
                    return
                candidate = event.copy()
                candidate.flow_vars[ATTEMPT_COUNT] = attempt
                ok, _result, error = self._attempt(candidate)
                if ok:
                    return
                last = error
        finally:
            with self._lock:
                self.pending.pop(event.message.id, None)
        self._exhausted(event, last)

    def _exhausted(self, event: MuleEvent, last: BaseException | None) -> None:
        error = RetryPolicyExhaustedError(
            f"until-successful retries exhausted ({self.settings.max_retries} retries)",
            event=event,
        )
        if last is not None:
            error.__cause__ = last
        if self.dead_letter is None:
            raise error
        from mule_emulator.runtime.message import ExceptionPayload

        event.message.exception_payload = ExceptionPayload.of(error)
        try:
            run_processor(self.dead_letter, event)
        except MessagingError as dlq_error:
            log.error("until-successful: the dead-letter processor failed: %s", dlq_error)

    # -- processor -------------------------------------------------------------------

    def process(self, event: MuleEvent) -> ProcessResult:
        if self.synchronous:
            return self._process_sync(event)
        return self._process_async(event)

    def children(self) -> Sequence[Processor]:
        return (self.route,) if self.dead_letter is None else (self.route, self.dead_letter)

    def start(self) -> None:
        self._stopping.clear()
        self.route.start()
        if not self.synchronous:
            self.pool()

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(5.0)
        self.route.stop()


@element(CORE_NS, "until-successful")
def _until_successful(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    millis = cfg.attr("millisBetweenRetries")
    seconds = cfg.attr("secondsBetweenRetries")
    if millis and seconds:
        raise ConfigError(
            "<until-successful>: millisBetweenRetries and secondsBetweenRetries cannot both be set",
            cfg.location,
        )
    interval = int(millis) if millis else (int(seconds) * 1000 if seconds else 60_000)
    failure = cfg.attr("failureExpression")
    ack = cfg.attr("ackExpression")
    failed = (
        ctx.evaluator.boolean(failure, False, cfg.location, non_boolean=True) if failure else None
    )
    settings = RetrySettings(
        max_retries=int(cfg.attr("maxRetries") or 5),
        millis_between_retries=interval,
        failed=failed,
        ack=ctx.evaluator.expression(ack, cfg.location) if ack else None,
    )
    synchronous = (cfg.attr("synchronous") or "false").strip().lower() == "true"
    profile_cfg = cfg.child("threading-profile")
    store_ref = cfg.attr("objectStore-ref")
    dlq_ref = cfg.attr("deadLetterQueue-ref")
    body_cfgs = [
        c
        for c in processor_children(cfg)
        if not (isinstance(c, ElementConfig) and c.name == "threading-profile")
    ]
    if len(body_cfgs) != 1:
        raise ConfigError(
            "<until-successful> needs exactly one processor (use <processor-chain> for several)",
            cfg.location,
        )
    route = ctx.processor(body_cfgs[0])
    if synchronous:
        if store_ref or dlq_ref or profile_cfg is not None:
            raise ConfigError(
                "<until-successful synchronous='true'> takes no objectStore-ref, "
                "deadLetterQueue-ref or threading-profile",
                cfg.location,
            )
        return UntilSuccessful(route, settings, True)
    if not store_ref:
        raise ConfigError(
            "A ListableObjectStore must be configured on UntilSuccessful.", cfg.location
        )
    if store_ref not in ctx.app.beans and store_ref not in ctx.app.global_elements:
        raise ConfigError(f"<until-successful>: no object store named '{store_ref}'", cfg.location)
    dead_letter = _reference(ctx, dlq_ref, cfg) if dlq_ref else None
    profile = threading_profile(profile_cfg) if profile_cfg is not None else None
    merged = merge_threading(profile, ctx.app.configuration.default_threading)
    name = f"until-successful.{cfg.location.line or 'scope'}"
    return UntilSuccessful(
        route, settings, False, lambda: ctx.pool_factory(name, merged), dead_letter
    )


def _reference(ctx: BuildContext, name: str, cfg: ElementConfig) -> Processor:
    """A named global endpoint, processor, flow or sub-flow."""
    endpoint = ctx.global_endpoint(name)
    if endpoint is not None:
        return ctx.outbound_endpoint(endpoint)
    target = ctx.app.global_elements.get(name)
    if target is not None:
        return ctx.processor(target)
    return ctx.flow_ref_target(name, cfg.location)


#: Children that are parts of these elements, not processors.

__all__ = ["ATTEMPT_COUNT", "RetryPolicyExhaustedError", "RetrySettings", "UntilSuccessful"]

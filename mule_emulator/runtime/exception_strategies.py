"""Exception strategies: what a flow or service does when processing fails (E-rules).

A strategy is called by the execution template around a flow or service source (see
``transactions.TransactionTemplate``) with the ``MessagingError`` and the event as it
was when the failing processor was called. It returns the event the caller continues
with; a *handled* failure (catch style, or an exhausted redelivery with an
``on-redelivery-attempts-exceeded`` block) sets ``error.handled`` and the template
returns that event as a normal result, an unhandled one is re-raised with it.

- ``DefaultExceptionStrategy`` (E-6): rolls back unless ``commit-transaction`` /
  ``rollback-transaction`` filters say otherwise, sends an ``ExceptionMessage`` to its
  targets (a dead-letter endpoint), then answers ``NullPayload`` + exception payload.
- ``CatchExceptionStrategy`` (E-4): handled; runs its processors; exception payload
  cleared; any transaction is committed by the template.
- ``RollbackExceptionStrategy`` (E-5): rolls back, runs its processors, not handled;
  with ``maxRedeliveryAttempts`` the inbound endpoint counts deliveries
  (``redelivery.RedeliveryPolicy``) and an exhausted message runs the
  ``on-redelivery-attempts-exceeded`` block instead and is consumed.
- ``ChoiceExceptionStrategy`` (E-8), references (E-10), the configuration default
  (E-7) and custom strategies through the class map.

``caller_reply`` says what a request-response caller gets back (E-11, R9, VM-7).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mule_emulator.errors import (
    ConfigError,
    MessagingError,
    UnresolvedReferenceError,
)
from mule_emulator.model.config import AppConfig, ExceptionStrategyConfig, ProcessorConfig
from mule_emulator.runtime.message import (
    NULL_PAYLOAD,
    ExceptionPayload,
    MuleEvent,
    MuleMessage,
    ProcessResult,
)
from mule_emulator.runtime.processors.base import Processor, not_void, run_processor
from mule_emulator.runtime.processors.filters import wildcard_matches as wildcard_match
from mule_emulator.runtime.transactions import rollback_current

log = logging.getLogger(__name__)

#: Builds one processor (a chain) from processor configs; supplied by the builder.
ChainBuilder = Callable[[Sequence[ProcessorConfig]], Processor]
#: Compiles a ``when`` expression into a boolean test of the event.
BooleanCompiler = Callable[[str], Callable[[MuleEvent], bool]]
#: Resolves a Java class name through the class map.
ClassResolver = Callable[[str], Any]


# ----------------------------------------------------------------------- values


@dataclass(frozen=True)
class ExceptionMessage:
    """The payload a default strategy sends to its targets (Mule's ExceptionMessage):
    the original payload, the exception, the component (flow/service) name, the URI of
    the endpoint the message came from, and when it failed."""

    payload: Any
    exception: BaseException
    component_name: str
    endpoint_uri: str | None
    timestamp: float = field(default_factory=time.time)

    def __str__(self) -> str:
        return (
            f"ExceptionMessage{{payload={self.payload!r}, component={self.component_name}, "
            f"endpoint={self.endpoint_uri}, exception={self.exception}}}"
        )


def root_cause(error: BaseException) -> BaseException:
    """The deepest exception in the cause chain (Mule's ``getRootException``)."""
    root = error
    seen = {id(root)}
    while True:
        nxt = getattr(root, "cause", None) or root.__cause__
        if not isinstance(nxt, BaseException) or id(nxt) in seen:
            return root
        seen.add(id(nxt))
        root = nxt


def _class_names(exc: BaseException) -> tuple[str, ...]:
    cls = type(exc)
    names = [cls.__name__, f"{cls.__module__}.{cls.__qualname__}"]
    java = getattr(exc, "java_class", None)
    if isinstance(java, str):
        names.append(java)
    return tuple(names)


# ----------------------------------------------------------------------- strategies


class ExceptionStrategy:
    """Base of every strategy: the ``handle`` protocol plus ``when`` acceptance (E-9)."""

    kind = "exception-strategy"

    def __init__(self, name: str | None = None) -> None:
        self.name = name
        self._when: Callable[[MuleEvent], bool] | None = None
        self.when_text: str | None = None

    def handle(self, error: MessagingError, event: MuleEvent) -> MuleEvent:
        raise NotImplementedError

    # -- choice support ---------------------------------------------------------

    @property
    def accepts_all(self) -> bool:
        return self._when is None

    def accepts(self, event: MuleEvent) -> bool:
        return self._when is None or bool(self._when(event))

    def set_when(self, text: str | None, compiler: BooleanCompiler) -> None:
        self.when_text = text
        self._when = compiler(text) if text else None

    @property
    def redelivery_attempts(self) -> int | None:
        """``maxRedeliveryAttempts`` when this strategy limits redelivery (X5)."""
        return None

    # -- lifecycle ----------------------------------------------------------------

    def processors(self) -> Sequence[Processor]:
        return ()

    def start(self) -> None:
        for p in self.processors():
            p.start()

    def stop(self) -> None:
        for p in reversed(self.processors()):
            p.stop()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name or ''}>".replace(" >", ">")


def _set_exception_payload(event: MuleEvent, error: BaseException) -> None:
    event.message.exception_payload = ExceptionPayload.of(error)


class DefaultExceptionStrategy(ExceptionStrategy):
    """``<default-exception-strategy>`` and the strategy of a flow without one (E-6)."""

    kind = "default-exception-strategy"

    def __init__(
        self,
        name: str | None = None,
        *,
        targets: Sequence[Processor] = (),
        commit_patterns: Sequence[str] = (),
        rollback_patterns: Sequence[str] = (),
        stop_message_processing: bool = False,
        log_exception: bool = True,
        hook: Callable[[MuleMessage], Any] | None = None,
    ) -> None:
        super().__init__(name)
        self.targets = tuple(targets)
        self.commit_patterns = tuple(commit_patterns)
        self.rollback_patterns = tuple(rollback_patterns)
        self.stop_message_processing = stop_message_processing
        self.log_exception = log_exception
        self.hook = hook

    def processors(self) -> Sequence[Processor]:
        return self.targets

    def is_rollback(self, error: BaseException) -> bool:
        """Roll back unless the filters say commit (``AbstractExceptionListener.isRollback``)."""
        if not self.commit_patterns and not self.rollback_patterns:
            return True
        names = _class_names(root_cause(error))
        if any(wildcard_match(p, n) for p in self.rollback_patterns for n in names):
            return True
        if self.commit_patterns:
            return not any(wildcard_match(p, n) for p in self.commit_patterns for n in names)
        return False

    def handle(self, error: MessagingError, event: MuleEvent) -> MuleEvent:
        if self.log_exception:
            log.error("%s in %s: %s", type(root_cause(error)).__name__, event.flow_name, error)
        if self.hook is not None:
            try:
                self.hook(event.message)
            except Exception as exc:
                log.error(
                    "custom exception strategy failed: %s",
                    exc,
                    exc_info=log.isEnabledFor(logging.DEBUG),
                )
        if self.is_rollback(error):
            rollback_current()
        self._route_exception(event, error)
        if self.stop_message_processing:
            _stop_construct(event)
        event.message.payload = NULL_PAYLOAD
        _set_exception_payload(event, error)
        return event

    def _route_exception(self, event: MuleEvent, error: MessagingError) -> None:
        """Send an ExceptionMessage to every target; results ignored, failures logged."""
        if not self.targets:
            return
        report = ExceptionMessage(
            payload=event.message.payload,
            exception=error,
            component_name=event.flow_name or "Unknown",
            endpoint_uri=getattr(event, "endpoint", None),
        )
        message = event.message.copy()
        message.payload = report
        message.exception_payload = None
        carrier = event.with_message(message)
        for target in self.targets:
            try:
                run_processor(target, carrier.copy())
            except Exception as exc:
                log.critical(
                    "Failed to dispatch message to error queue after it failed to process. "
                    "This may cause message loss. id=%s: %s",
                    event.message.id,
                    exc,
                    exc_info=log.isEnabledFor(logging.DEBUG),
                )


def _stop_construct(event: MuleEvent) -> None:
    construct = event.flow
    stopper = getattr(construct, "request_stop", None) or getattr(construct, "stop", None)
    if callable(stopper):
        log.info("Stopping flow '%s' due to exception", event.flow_name)
        try:
            stopper()
        except Exception:
            log.error("Unable to stop flow '%s'", event.flow_name, exc_info=True)


class TemplateExceptionStrategy(ExceptionStrategy):
    """What catch and rollback share (E-3): exception payload set, processors run (a
    failing processor is logged and the strategy continues with its input), then the
    exception payload cleared when handled."""

    handles = False

    def __init__(
        self,
        name: str | None = None,
        *,
        chain: Processor | None = None,
        log_exception: bool = True,
    ) -> None:
        super().__init__(name)
        self.chain = chain
        self.log_exception = log_exception

    def processors(self) -> Sequence[Processor]:
        return (self.chain,) if self.chain is not None else ()

    def handle(self, error: MessagingError, event: MuleEvent) -> MuleEvent:
        if self.log_exception:
            log.error("%s in %s: %s", type(root_cause(error)).__name__, event.flow_name, error)
        _set_exception_payload(event, error)
        if self.handles:
            error.handled = True
        try:
            event = self.before_routing(error, event)
            result = self.route(event, error)
        except Exception as exc:
            log.error("Exception during exception strategy execution: %s", exc)
            rollback_current()
            _set_exception_payload(event, exc)
            return event
        if result is None:
            return event
        if self.handles:
            result.message.exception_payload = None
        return result

    def before_routing(self, error: MessagingError, event: MuleEvent) -> MuleEvent:
        return event

    def route(self, event: MuleEvent, error: MessagingError) -> MuleEvent | None:
        if self.chain is None:
            return event
        return _run_logged(self.chain, event)


def _run_logged(chain: Processor, event: MuleEvent) -> MuleEvent | None:
    try:
        result: ProcessResult = chain.process(event)
    except Exception as exc:
        log.critical(
            "Failed to dispatch message to error queue after it failed to process. "
            "This may cause message loss. id=%s: %s",
            event.message.id,
            exc,
            exc_info=log.isEnabledFor(logging.DEBUG),
        )
        return event
    if result is None:
        return None
    return not_void(result) or event


class CatchExceptionStrategy(TemplateExceptionStrategy):
    """``<catch-exception-strategy>`` (E-4): the failure is handled; the caller gets the
    processors' output without an exception payload; the transaction commits."""

    kind = "catch-exception-strategy"
    handles = True


class MessageRedeliveredError(MessagingError):
    """A message arrived more often than its redelivery policy allows (Mule's
    MessageRedeliveredException, X5); raised before the flow's processors run."""

    def __init__(self, message_id: str, count: int, limit: int, event: Any = None) -> None:
        super().__init__(
            f"Message with id {message_id!r} has been redelivered {count} times on endpoint "
            f"(maxRedelivery {limit})",
            event=event,
        )
        self.message_id = message_id
        self.count = count
        self.limit = limit


class RollbackExceptionStrategy(TemplateExceptionStrategy):
    """``<rollback-exception-strategy>`` (E-5)."""

    kind = "rollback-exception-strategy"

    def __init__(
        self,
        name: str | None = None,
        *,
        chain: Processor | None = None,
        max_redelivery_attempts: int | None = None,
        exceeded: Processor | None = None,
        log_exception: bool = True,
    ) -> None:
        super().__init__(name, chain=chain, log_exception=log_exception)
        self.max_redelivery_attempts = max_redelivery_attempts
        self.exceeded = exceeded

    @property
    def redelivery_attempts(self) -> int | None:
        return self.max_redelivery_attempts

    def processors(self) -> Sequence[Processor]:
        return tuple(p for p in (self.chain, self.exceeded) if p is not None)

    def accepts(self, event: MuleEvent) -> bool:
        # An exhausted redelivery is always this strategy's, whatever its ``when`` says.
        ep = event.message.exception_payload
        if (
            ep is not None
            and isinstance(ep.exception, MessageRedeliveredError)
            and self.max_redelivery_attempts is not None
        ):
            return True
        return super().accepts(event)

    def before_routing(self, error: MessagingError, event: MuleEvent) -> MuleEvent:
        if not isinstance(error, MessageRedeliveredError):
            rollback_current()
        return event

    def route(self, event: MuleEvent, error: MessagingError) -> MuleEvent | None:
        if not isinstance(error, MessageRedeliveredError):
            return super().route(event, error)
        if self.exceeded is None:
            log.info(
                "Message redelivery exhausted. No redelivery exhausted actions configured. "
                "Message consumed."
            )
            return event
        # The exhausted block handles the failure; the exception payload stays on the
        # reply (Mule clears it only for catch; spec open point 2).
        error.handled = True
        return _run_logged(self.exceeded, event)


class ChoiceExceptionStrategy(ExceptionStrategy):
    """``<choice-exception-strategy>`` (E-8): the first child whose ``when`` accepts the
    event (with the exception payload set) handles it; the context default closes the
    list when the last child has a ``when``."""

    kind = "choice-exception-strategy"

    def __init__(self, name: str | None, children: Sequence[ExceptionStrategy]) -> None:
        super().__init__(name)
        self.children = tuple(children)

    def processors(self) -> Sequence[Processor]:
        return tuple(p for c in self.children for p in c.processors())

    @property
    def redelivery_attempts(self) -> int | None:
        for child in self.children:
            if child.redelivery_attempts is not None:
                return child.redelivery_attempts
        return None

    def handle(self, error: MessagingError, event: MuleEvent) -> MuleEvent:
        _set_exception_payload(event, error)
        for child in self.children:
            if child.accepts(event):
                event.message.exception_payload = None
                return child.handle(error, event)
        raise MessagingError("Default exception strategy must accept any event.", event=event)


class ReferenceExceptionStrategy(ExceptionStrategy):
    """``<exception-strategy ref=…>`` (E-10): the named global strategy, shared."""

    kind = "exception-strategy"

    def __init__(self, target: ExceptionStrategy) -> None:
        super().__init__(target.name)
        self.target = target

    @property
    def accepts_all(self) -> bool:
        return self.target.accepts_all

    def accepts(self, event: MuleEvent) -> bool:
        return self.target.accepts(event)

    @property
    def redelivery_attempts(self) -> int | None:
        return self.target.redelivery_attempts

    def handle(self, error: MessagingError, event: MuleEvent) -> MuleEvent:
        return self.target.handle(error, event)

    def start(self) -> None:
        """Global strategies are started once by their factory."""

    def stop(self) -> None:
        """Global strategies are stopped once by their factory."""


# ----------------------------------------------------------------------- caller's view


def caller_reply(
    outcome: ProcessResult | MessagingError,
    *,
    request_response: bool,
    handled_failure: bool = False,
) -> MuleMessage | None:
    """What a VM caller's ``send`` gets back from an inbound endpoint (E-11, R9, VM-7).

    ``outcome`` is the flow's result or the ``MessagingError`` that escaped the main
    template (its event is the strategy's result). A one-way endpoint answers None
    (MULE-13164, ``VMMessageReceiver.returnEvent``), except after a *handled* failure
    (``handled_failure``: a catch strategy, or an exhausted redelivery with an exceeded
    block) when the flow ran in the caller's thread: the main execution template returns
    the strategy's result itself, before ``returnEvent`` is consulted, so the caller gets
    it (VM-7 quirk, CatchExceptionStrategyTestCase#testCatchWithComponent).
    """
    if not request_response and not handled_failure:
        return None
    event = outcome.event if isinstance(outcome, MessagingError) else not_void(outcome)
    if not isinstance(event, MuleEvent):
        return None
    return event.message


# ----------------------------------------------------------------------- factory


class ExceptionStrategyFactory:
    """Builds live strategies from their configs for one application.

    Global strategies are built once and shared by every reference; the context
    default (E-7) is the global named by ``defaultExceptionStrategy-ref`` or else a
    fresh ``DefaultExceptionStrategy`` per flow.
    """

    def __init__(
        self,
        app: AppConfig,
        *,
        build_chain: ChainBuilder,
        compile_boolean: BooleanCompiler,
        resolve_class: ClassResolver | None = None,
    ) -> None:
        self.app = app
        self.build_chain = build_chain
        self.compile_boolean = compile_boolean
        self.resolve_class = resolve_class
        self._globals: dict[str, ExceptionStrategy] = {}
        self._building: set[str] = set()

    # -- public -------------------------------------------------------------------

    def for_construct(
        self, config: ExceptionStrategyConfig | None, *fallbacks: ExceptionStrategyConfig | None
    ) -> ExceptionStrategy:
        """The strategy of a flow or service: its own, else the first fallback (a
        service's model), else the context default (S-2, E-7)."""
        for candidate in (config, *fallbacks):
            if candidate is not None:
                return self.build(candidate)
        return self.context_default()

    def context_default(self) -> ExceptionStrategy:
        """``<configuration defaultExceptionStrategy-ref>`` or a fresh default (E-7)."""
        ref = self.app.configuration.default_exception_strategy_ref
        if not ref:
            return DefaultExceptionStrategy()
        strategy = self.global_strategy(ref, self.app.configuration.location)
        if not strategy.accepts_all:
            raise ConfigError(
                f"default exception strategy {ref!r} must accept every exception "
                "(it cannot have a 'when' expression)",
                self.app.configuration.location,
            )
        return ReferenceExceptionStrategy(strategy)

    def global_strategy(self, name: str, location: Any = None) -> ExceptionStrategy:
        if name in self._globals:
            return self._globals[name]
        config = self.app.exception_strategies.get(name)
        if config is None:
            known = ", ".join(sorted(self.app.exception_strategies)) or "none"
            raise UnresolvedReferenceError(
                f"no global exception strategy named {name!r} (defined: {known})", location
            )
        if name in self._building:
            raise ConfigError(f"exception strategy {name!r} refers to itself", config.location)
        self._building.add(name)
        try:
            strategy = self.build(config)
        finally:
            self._building.discard(name)
        self._globals[name] = strategy
        return strategy

    def globals(self) -> Mapping[str, ExceptionStrategy]:
        return dict(self._globals)

    def build(self, config: ExceptionStrategyConfig) -> ExceptionStrategy:
        builder = getattr(self, "_build_" + config.kind, None)
        if builder is None:
            raise ConfigError(f"unknown exception strategy kind {config.kind!r}", config.location)
        strategy: ExceptionStrategy = builder(config)
        if config.kind != "reference":
            try:
                strategy.set_when(config.when, self.compile_boolean)
            except ConfigError as exc:  # a bad ``when``: name the strategy's place
                if not (exc.location.file or exc.location.line):
                    exc.location = config.location
                raise
        return strategy

    # -- per kind -------------------------------------------------------------------

    def _log_flag(self, config: ExceptionStrategyConfig) -> bool:
        text = config.log_exception
        return text is None or text.strip().lower() != "false"

    def _chain(self, processors: Sequence[ProcessorConfig] | None) -> Processor | None:
        if not processors:
            return None
        return self.build_chain(processors)

    def _build_default(self, config: ExceptionStrategyConfig) -> ExceptionStrategy:
        return DefaultExceptionStrategy(
            config.name,
            targets=[self.build_chain([p]) for p in config.processors],
            commit_patterns=config.commit_patterns,
            rollback_patterns=config.rollback_patterns,
            stop_message_processing=config.stop_message_processing,
            log_exception=self._log_flag(config),
        )

    def _build_catch(self, config: ExceptionStrategyConfig) -> ExceptionStrategy:
        return CatchExceptionStrategy(
            config.name, chain=self._chain(config.processors), log_exception=self._log_flag(config)
        )

    def _build_rollback(self, config: ExceptionStrategyConfig) -> ExceptionStrategy:
        return RollbackExceptionStrategy(
            config.name,
            chain=self._chain(config.processors),
            max_redelivery_attempts=config.max_redelivery_attempts,
            exceeded=self._chain(config.on_redelivery_attempts_exceeded),
            log_exception=self._log_flag(config),
        )

    def _build_choice(self, config: ExceptionStrategyConfig) -> ExceptionStrategy:
        if not config.strategies:
            raise ConfigError(
                "choice-exception-strategy needs at least one strategy", config.location
            )
        children = [self.build(c) for c in config.strategies]
        for child, child_config in zip(children[:-1], config.strategies[:-1], strict=True):
            if child.accepts_all:
                raise ConfigError(
                    "Only last exception strategy inside <choice-exception-strategy> can accept "
                    "any message. Maybe expression attribute is empty.",
                    child_config.location,
                )
        with_redelivery = [c for c in children if c.redelivery_attempts is not None]
        if len(with_redelivery) > 1:
            raise ConfigError(
                "Only one rollback exception strategy inside <choice-exception-strategy> can "
                "handle message redelivery.",
                config.location,
            )
        if not children[-1].accepts_all:
            children.append(self.context_default())
        return ChoiceExceptionStrategy(config.name, children)

    def _build_reference(self, config: ExceptionStrategyConfig) -> ExceptionStrategy:
        if not config.ref:
            raise ConfigError("exception-strategy reference without 'ref'", config.location)
        return ReferenceExceptionStrategy(self.global_strategy(config.ref, config.location))

    def _build_custom(self, config: ExceptionStrategyConfig) -> ExceptionStrategy:
        if not config.class_name or self.resolve_class is None:
            raise ConfigError("custom-exception-strategy needs a mapped 'class'", config.location)
        target = self.resolve_class(config.class_name)
        if isinstance(target, ExceptionStrategy) or (
            hasattr(target, "handle") and callable(target.handle)
        ):
            return _StandInStrategy(config.name, target)
        if not callable(target):
            raise ConfigError(
                f"stand-in for {config.class_name} is neither a strategy nor a callable",
                config.location,
            )
        # A Java custom strategy is almost always a DefaultMessagingExceptionStrategy
        # subclass: default behaviour, with the stand-in called on the failed message.
        return DefaultExceptionStrategy(
            config.name,
            targets=[self.build_chain([p]) for p in config.processors],
            log_exception=self._log_flag(config),
            hook=target,
        )


class _StandInStrategy(ExceptionStrategy):
    """A stand-in object that implements ``handle(error, event)`` itself."""

    kind = "custom-exception-strategy"

    def __init__(self, name: str | None, target: Any) -> None:
        super().__init__(name)
        self.target = target

    def handle(self, error: MessagingError, event: MuleEvent) -> MuleEvent:
        result = self.target.handle(error, event)
        return result if isinstance(result, MuleEvent) else event


def redelivery_attempts(strategy: ExceptionStrategy | None) -> int | None:
    """The redelivery limit a flow's strategy puts on its inbound endpoints (X5)."""
    return strategy.redelivery_attempts if strategy is not None else None


__all__ = [
    "CatchExceptionStrategy",
    "ChoiceExceptionStrategy",
    "DefaultExceptionStrategy",
    "ExceptionMessage",
    "ExceptionStrategy",
    "ExceptionStrategyFactory",
    "MessageRedeliveredError",
    "ReferenceExceptionStrategy",
    "RollbackExceptionStrategy",
    "caller_reply",
    "redelivery_attempts",
    "root_cause",
    "wildcard_match",
]

"""Exception strategies (E-1) and processing strategies (PS): as flow/service children
and as named global elements."""

from __future__ import annotations

from typing import Any

from lxml import etree

from mule_emulator.errors import ConfigError
from mule_emulator.model.config import (
    CORE_NS,
    ExceptionStrategyConfig,
    ProcessingStrategyConfig,
    ProcessorConfig,
    frozen_map,
)
from mule_emulator.model.context import ParseContext, child_elements, qname_of
from mule_emulator.model.processors_parser import parse_processor, parse_processors
from mule_emulator.model.profiles_parser import first_queue_store, pool_exhausted_action
from mule_emulator.model.spring_parser import is_spring, parse_property_value

EXCEPTION_STRATEGY_KINDS = {
    "default-exception-strategy": "default",
    "default-service-exception-strategy": "default",
    "catch-exception-strategy": "catch",
    "rollback-exception-strategy": "rollback",
    "choice-exception-strategy": "choice",
    "exception-strategy": "reference",
    "reference-exception-strategy": "reference",
    "custom-exception-strategy": "custom",
}

PROCESSING_STRATEGY_ELEMENTS = {
    "asynchronous-processing-strategy": "asynchronous",
    "queued-asynchronous-processing-strategy": "queued-asynchronous",
    "thread-per-processor-processing-strategy": "thread-per-processor",
    "queued-thread-per-processor-processing-strategy": "queued-thread-per-processor",
    "non-blocking-processing-strategy": "non-blocking",
    "synchronous-processing-strategy": "synchronous",
    "custom-processing-strategy": "custom",
}


def is_exception_strategy(el: etree._Element) -> bool:
    ns, local = qname_of(el)
    return ns == CORE_NS and local in EXCEPTION_STRATEGY_KINDS


def is_processing_strategy(el: etree._Element) -> bool:
    ns, local = qname_of(el)
    return ns == CORE_NS and local in PROCESSING_STRATEGY_ELEMENTS


def _patterns(ctx: ParseContext, el: etree._Element) -> tuple[str, ...]:
    raw = ctx.attr(el, "exception-pattern") or ""
    return tuple(p.strip() for p in raw.split(",") if p.strip())


def parse_exception_strategy(ctx: ParseContext, el: etree._Element) -> ExceptionStrategyConfig:
    """Any exception strategy element, children included (choice nests strategies)."""
    _, local = qname_of(el)
    kind = EXCEPTION_STRATEGY_KINDS[local]
    processors: list[ProcessorConfig] = []
    exceeded: tuple[ProcessorConfig, ...] | None = None
    strategies: list[ExceptionStrategyConfig] = []
    commit: list[str] = []
    rollback: list[str] = []
    for child in child_elements(el):
        cns, clocal = qname_of(child)
        if cns == CORE_NS and clocal == "commit-transaction":
            commit.extend(_patterns(ctx, child))
        elif cns == CORE_NS and clocal == "rollback-transaction":
            rollback.extend(_patterns(ctx, child))
        elif cns == CORE_NS and clocal == "on-redelivery-attempts-exceeded":
            exceeded = parse_processors(ctx, child_elements(child))
        elif kind == "choice" and is_exception_strategy(child):
            strategies.append(parse_exception_strategy(ctx, child))
        elif is_spring(child) or (cns == CORE_NS and clocal == "description"):
            continue
        else:
            processors.append(parse_processor(ctx, child))
    notifications = ctx.bool_attr(el, "enableNotifications")
    return ExceptionStrategyConfig(
        kind=kind,
        name=ctx.attr(el, "name"),
        when=ctx.attr(el, "when"),
        processors=tuple(processors),
        max_redelivery_attempts=ctx.int_attr(el, "maxRedeliveryAttempts"),
        on_redelivery_attempts_exceeded=exceeded,
        strategies=tuple(strategies),
        ref=ctx.attr(el, "ref"),
        class_name=ctx.attr(el, "class"),
        commit_patterns=tuple(commit),
        rollback_patterns=tuple(rollback),
        stop_message_processing=bool(ctx.bool_attr(el, "stopMessageProcessing")),
        enable_notifications=True if notifications is None else notifications,
        log_exception=ctx.attr(el, "logException"),
        location=ctx.location(el),
    )


def parse_processing_strategy(ctx: ParseContext, el: etree._Element) -> ProcessingStrategyConfig:
    """A global strategy element with its pool attributes and queue-store child (PS)."""
    _, local = qname_of(el)
    properties: dict[str, Any] = {}
    for child in child_elements(el):
        if is_spring(child, "property"):
            key = ctx.attr(child, "name")
            if key is not None:
                properties[key] = parse_property_value(ctx, child)
    return ProcessingStrategyConfig(
        kind=PROCESSING_STRATEGY_ELEMENTS[local],
        name=ctx.attr(el, "name"),
        max_threads=ctx.int_attr(el, "maxThreads"),
        min_threads=ctx.int_attr(el, "minThreads"),
        max_buffer_size=ctx.int_attr(el, "maxBufferSize"),
        thread_ttl_ms=ctx.int_attr(el, "threadTTL"),
        thread_wait_timeout_ms=ctx.int_attr(el, "threadWaitTimeout"),
        pool_exhausted_action=pool_exhausted_action(ctx, el, "poolExhaustedAction"),
        max_queue_size=ctx.int_attr(el, "maxQueueSize"),
        queue_timeout_ms=ctx.int_attr(el, "queueTimeout"),
        queue_store=first_queue_store(ctx, el),
        class_name=ctx.attr(el, "class"),
        properties=frozen_map(properties),
        location=ctx.location(el),
    )


def require_name(ctx: ParseContext, el: etree._Element, what: str) -> str:
    name = ctx.attr(el, "name")
    if not name:
        raise ConfigError(f"a global {what} needs a name attribute", ctx.location(el))
    return name


__all__ = [
    "EXCEPTION_STRATEGY_KINDS",
    "PROCESSING_STRATEGY_ELEMENTS",
    "is_exception_strategy",
    "is_processing_strategy",
    "parse_exception_strategy",
    "parse_processing_strategy",
    "require_name",
]

"""Threading profiles, queue profiles, queue stores and transactions: small value elements
that connectors, endpoints, services and strategies share."""

from __future__ import annotations

from lxml import etree

from mule_emulator.errors import ConfigError
from mule_emulator.model.config import (
    CORE_NS,
    POOL_EXHAUSTED_ACTIONS,
    TRANSACTION_ACTIONS,
    VM_NS,
    QueueProfile,
    QueueStoreConfig,
    ThreadingProfile,
    TransactionConfig,
)
from mule_emulator.model.context import ParseContext, child_elements, qname_of

# Store child elements of a queue profile (spec Q4): local name -> (kind, persistent).
QUEUE_STORE_ELEMENTS: dict[str, tuple[str, bool | None]] = {
    "default-in-memory-queue-store": ("default-in-memory", False),
    "simple-in-memory-queue-store": ("simple-in-memory", False),
    "default-persistent-queue-store": ("default-persistent", True),
    "file-queue-store": ("file", True),
    "queue-store": ("ref", None),
    "custom-queue-store": ("custom", None),
}

QUEUE_PROFILE_NAMES = frozenset({"queue-profile", "queueProfile"})

# Mule's integer codes for exhausted actions (ThreadingProfile.WHEN_EXHAUSTED_*).
_ACTION_CODES = {"0": "WAIT", "1": "DISCARD", "2": "DISCARD_OLDEST", "3": "ABORT", "4": "RUN"}


def normalise_pool_exhausted_action(value: str) -> str | None:
    """``WAIT``/``when_exhausted_wait``/``0`` → ``WAIT``; None when not an action."""
    text = value.strip().upper()
    if text in _ACTION_CODES:
        return _ACTION_CODES[text]
    if text.startswith("WHEN_EXHAUSTED_"):
        text = text[len("WHEN_EXHAUSTED_") :]
    return text if text in POOL_EXHAUSTED_ACTIONS else None


def pool_exhausted_action(ctx: ParseContext, el: etree._Element, name: str) -> str | None:
    raw = ctx.attr(el, name)
    if raw is None:
        return None
    action = normalise_pool_exhausted_action(raw)
    if action is None:
        raise ConfigError(
            f"attribute '{name}' must be one of {', '.join(POOL_EXHAUSTED_ACTIONS)} "
            f"(or WHEN_EXHAUSTED_*, or 0-4), not '{raw}'",
            ctx.location(el),
        )
    return action


def parse_threading_profile(ctx: ParseContext, el: etree._Element) -> ThreadingProfile:
    """Any ``*threading-profile`` element (TP-1)."""
    return ThreadingProfile(
        max_threads_active=ctx.int_attr(el, "maxThreadsActive"),
        max_threads_idle=ctx.int_attr(el, "maxThreadsIdle"),
        thread_ttl_ms=ctx.int_attr(el, "threadTTL"),
        pool_exhausted_action=pool_exhausted_action(ctx, el, "poolExhaustedAction"),
        thread_wait_timeout_ms=ctx.int_attr(el, "threadWaitTimeout"),
        max_buffer_size=ctx.int_attr(el, "maxBufferSize"),
        do_threading=ctx.bool_attr(el, "doThreading"),
        location=ctx.location(el),
    )


def is_queue_store(el: etree._Element) -> bool:
    ns, local = qname_of(el)
    return ns == CORE_NS and local in QUEUE_STORE_ELEMENTS


def parse_queue_store(ctx: ParseContext, el: etree._Element) -> QueueStoreConfig:
    """A store element (Q4); ``custom-queue-store`` records its class."""
    _, local = qname_of(el)
    kind, persistent = QUEUE_STORE_ELEMENTS[local]
    class_name = ctx.attr(el, "class")
    return QueueStoreConfig(
        kind=kind,
        ref=ctx.attr(el, "ref"),
        class_name=class_name,
        persistent=persistent,
        location=ctx.location(el),
    )


def first_queue_store(ctx: ParseContext, el: etree._Element) -> QueueStoreConfig | None:
    for child in child_elements(el):
        if is_queue_store(child):
            return parse_queue_store(ctx, child)
    return None


def parse_queue_profile(ctx: ParseContext, el: etree._Element) -> QueueProfile:
    """``<vm:queue-profile>``/``<vm:queueProfile>``/``<queue-profile>`` (Q1, Q2)."""
    store = first_queue_store(ctx, el)
    return QueueProfile(
        max_outstanding_messages=ctx.int_attr(el, "maxOutstandingMessages") or 0,
        store=store or QueueStoreConfig(location=ctx.location(el)),
        location=ctx.location(el),
    )


def is_queue_profile(el: etree._Element) -> bool:
    ns, local = qname_of(el)
    return ns in (CORE_NS, VM_NS) and local in QUEUE_PROFILE_NAMES


# ----------------------------------------------------------------------------- transactions


def is_transaction(el: etree._Element) -> bool:
    """Transaction elements of any namespace (``vm:transaction``, ``xa-transaction``,
    ``jms:transaction`` ...)."""
    _, local = qname_of(el)
    if local in ("commit-transaction", "rollback-transaction"):
        return False
    return local == "transaction" or local.endswith("-transaction")


def _transaction_kind(el: etree._Element) -> str:
    ns, local = qname_of(el)
    if ns == VM_NS and local == "transaction":
        return "vm"
    if ns == CORE_NS and local == "custom-transaction":
        return "custom"
    if ns == CORE_NS and local == "xa-transaction":
        return "xa"
    if local == "multi-transaction":
        return "multi"
    return "other"


def parse_transaction(ctx: ParseContext, el: etree._Element) -> TransactionConfig:
    """A transaction element (T1); an unknown ``action`` is a located ConfigError."""
    action = (ctx.attr(el, "action") or "NONE").strip().upper()
    if action not in TRANSACTION_ACTIONS:
        raise ConfigError(
            f"transaction action '{action}' is not one of {', '.join(TRANSACTION_ACTIONS)}",
            ctx.location(el),
        )
    factory_class = ctx.attr(el, "factory-class")
    return TransactionConfig(
        kind=_transaction_kind(el),
        action=action,
        timeout_ms=ctx.int_attr(el, "timeout"),
        factory_class=factory_class,
        factory_ref=ctx.attr(el, "factory-ref"),
        interaction_with_external=ctx.attr(el, "interactWithExternal"),
        location=ctx.location(el),
    )


__all__ = [
    "QUEUE_STORE_ELEMENTS",
    "first_queue_store",
    "is_queue_profile",
    "is_queue_store",
    "is_transaction",
    "normalise_pool_exhausted_action",
    "parse_queue_profile",
    "parse_queue_store",
    "parse_threading_profile",
    "parse_transaction",
]

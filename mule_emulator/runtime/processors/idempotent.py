"""The idempotent message filters (P-20): ``idempotent-message-filter`` accepts an event
only if its id (``idExpression``, default the message id) was never seen;
``idempotent-secure-hash-message-filter`` uses a digest of the payload bytes as the id.

Seen ids live in an in-memory store with Mule's defaults (entries expire after 5 minutes;
``<in-memory-store entryTTL maxEntries>`` changes that). Expiry is applied when the store
is used, so no thread is needed. A rejected event is handled like any message filter:
the ``onUnaccepted`` processor's result, ``throwOnUnaccepted``, else None.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

from mule_emulator.errors import ConfigError
from mule_emulator.model.config import CORE_NS, ElementConfig
from mule_emulator.runtime.builder import BuildContext, element
from mule_emulator.runtime.message import MuleEvent, ProcessResult
from mule_emulator.runtime.processors.base import InterceptingProcessor, Processor, attr_bool
from mule_emulator.runtime.processors.conversions import object_to_byte_array
from mule_emulator.runtime.processors.filters import FilterUnacceptedError

DEFAULT_ENTRY_TTL_MS = 5 * 60 * 1000


class InMemoryIdStore:
    """Seen ids with an entry time-to-live and an optional size bound (oldest dropped)."""

    def __init__(
        self,
        entry_ttl_ms: int = DEFAULT_ENTRY_TTL_MS,
        max_entries: int = -1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.entry_ttl_ms = entry_ttl_ms
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def _expire_locked(self) -> None:
        if self.entry_ttl_ms > 0:
            limit = self._clock() - self.entry_ttl_ms / 1000.0
            while self._entries:
                key, (stamp, _value) = next(iter(self._entries.items()))
                if stamp > limit:
                    break
                del self._entries[key]
        if self.max_entries > 0:
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def store_if_new(self, key: str, value: Any) -> bool:
        """Store ``key`` unless present; True when it was new."""
        with self._lock:
            self._expire_locked()
            if key in self._entries:
                return False
            self._entries[key] = (self._clock(), value)
            self._expire_locked()
            return True

    def contains(self, key: str) -> bool:
        with self._lock:
            self._expire_locked()
            return key in self._entries

    def __len__(self) -> int:
        with self._lock:
            self._expire_locked()
            return len(self._entries)


class IdempotentFilter(InterceptingProcessor):
    """The intercepting processor behind both idempotent filters."""

    kind = "idempotent-message-filter"

    def __init__(
        self,
        id_fn: Callable[[MuleEvent], Any],
        value_fn: Callable[[MuleEvent], Any],
        store: InMemoryIdStore,
        throw_on_unaccepted: bool = False,
        on_unaccepted: Processor | None = None,
    ) -> None:
        super().__init__()
        self.id_fn = id_fn
        self.value_fn = value_fn
        self.store = store
        self.throw_on_unaccepted = throw_on_unaccepted
        self.on_unaccepted = on_unaccepted

    def accept(self, event: MuleEvent) -> bool:
        return self.store.store_if_new(str(self.id_fn(event)), self.value_fn(event))

    def process(self, event: MuleEvent) -> ProcessResult:
        if self.accept(event):
            return self.process_next(event)
        if self.on_unaccepted is not None:
            return self.on_unaccepted.process(event)
        if self.throw_on_unaccepted:
            raise FilterUnacceptedError("Message has been rejected by filter", event=event)
        return None

    def children(self) -> Sequence[Processor]:
        extra = (self.on_unaccepted,) if self.on_unaccepted is not None else ()
        return (*super().children(), *extra)


def _store(cfg: ElementConfig) -> InMemoryIdStore:
    for child in cfg.children:
        if not isinstance(child, ElementConfig):
            continue
        if child.name == "in-memory-store":
            ttl = child.attr("entryTTL")
            max_entries = child.attr("maxEntries")
            return InMemoryIdStore(
                int(ttl) if ttl else DEFAULT_ENTRY_TTL_MS,
                int(max_entries) if max_entries else -1,
            )
        if child.name in ("simple-text-file-store", "custom-object-store", "managed-store"):
            raise ConfigError(
                f"<{child.qname}> is not supported for idempotent filters (only <in-memory-store>)",
                child.location,
            )
    return InMemoryIdStore()


def _on_unaccepted(ctx: BuildContext, cfg: ElementConfig) -> Processor | None:
    name = cfg.attr("onUnaccepted")
    if not name:
        return None
    target = ctx.app.global_elements.get(name)
    if target is not None:
        return ctx.processor(target)
    return ctx.flow_ref_target(name, cfg.location)


@element(CORE_NS, "idempotent-message-filter")
def _idempotent(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    id_text = cfg.attr("idExpression") or "#[message:id]"
    value_text = cfg.attr("valueExpression") or "#[message:id]"
    prefix = cfg.attr("storePrefix") or ""
    id_template = ctx.template(id_text, cfg.location)
    value_template = ctx.template(value_text, cfg.location)
    return IdempotentFilter(
        lambda e: prefix + str(id_template(e)),
        value_template,
        _store(cfg),
        attr_bool(cfg.attr("throwOnUnaccepted")),
        _on_unaccepted(ctx, cfg),
    )


@element(CORE_NS, "idempotent-secure-hash-message-filter")
def _secure_hash(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    algorithm = (cfg.attr("messageDigestAlgorithm") or "SHA-256").replace("-", "").lower()
    if algorithm not in hashlib.algorithms_available:
        raise ConfigError(f"unknown messageDigestAlgorithm {algorithm!r}", cfg.location)

    def digest(event: MuleEvent) -> str:
        data = object_to_byte_array(event.message.payload, event.message.encoding or "utf-8")
        return hashlib.new(algorithm, data).hexdigest()

    filt = IdempotentFilter(
        digest,
        digest,
        _store(cfg),
        attr_bool(cfg.attr("throwOnUnaccepted")),
        _on_unaccepted(ctx, cfg),
    )
    filt.kind = "idempotent-secure-hash-message-filter"  # type: ignore[misc]
    return filt


#: Children that are parts of these elements, not processors.
PARTS: set[tuple[str, str]] = {
    (CORE_NS, "in-memory-store"),
    (CORE_NS, "simple-text-file-store"),
    (CORE_NS, "custom-object-store"),
    (CORE_NS, "managed-store"),
}


__all__ = ["DEFAULT_ENTRY_TTL_MS", "IdempotentFilter", "InMemoryIdStore"]

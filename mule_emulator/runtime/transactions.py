"""VM local transactions over queue operations, and the execution templates that
apply a transaction action around a piece of work (vm-transport.md section 6).

- ``VMTransaction`` is Mule's single-resource VM transaction (T3/T4): offers are held
  until commit, takes are final at commit and go back to the **tail** of their queue at
  rollback. Capacity is not enforced inside a transaction the way it is outside (Q9).
- The current transaction is bound to the thread (Mule's ``TransactionCoordination``);
  ``queue_offer``/``queue_take`` enlist every queue operation of that thread in it,
  whatever the endpoint's own action (T3).
- ``TransactionTemplate`` applies an action (ALWAYS_BEGIN, BEGIN_OR_JOIN, ALWAYS_JOIN,
  JOIN_IF_POSSIBLE, NONE, NOT_SUPPORTED, INDIFFERENT, NEVER) in Mule's interceptor
  order (T2), optionally with an exception strategy (the error-handling template of a
  flow source or a ``<transactional>`` scope, T6).
- ``TransactedPoller`` is one worker of a transacted receiver: one message per
  transaction, routed in the worker's thread (R4).

``<xa-transaction>`` is emulated as one local transaction flagged ``xa``: it is
suspended, not resolved, by NONE and ALWAYS_BEGIN, as Mule suspends XA transactions;
there is no two-phase commit and no journal.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import Enum
from typing import Any, Protocol, TypeVar

from mule_emulator import tracing  # teaching views: run --trace hook
from mule_emulator.errors import MessagingError, TransactionError
from mule_emulator.model.config import TransactionConfig
from mule_emulator.queues.store import QueueStore
from mule_emulator.runtime.message import MuleEvent, set_transaction_probe

log = logging.getLogger(__name__)

R = TypeVar("R")

_ids = itertools.count(1)

# How often a transactional offer re-checks a bounded transient queue for room (seconds).
_ROOM_POLL_S = 0.005


class TransactionStatus(Enum):
    ACTIVE = "active"
    COMMITTED = "committed"
    ROLLED_BACK = "rolled back"


class VMTransaction:
    """One local transaction over VM queues (Mule's ``VMTransaction`` with a transient
    or persistent queue transaction context: T3, T4, Q9).

    The transaction is bound to the thread that begins it; ``commit``/``rollback``
    unbind it, as Mule's ``AbstractTransaction`` does.
    """

    def __init__(self, *, xa: bool = False, timeout_ms: int | None = None) -> None:
        self.id = next(_ids)
        self.xa = xa
        self.timeout_ms = timeout_ms
        self.status = TransactionStatus.ACTIVE
        self._rollback_only = False
        # Keyed by id(store) to keep one list per queue, in first-touched order.
        self._added: dict[int, tuple[QueueStore, list[Any]]] = {}
        self._removed: dict[int, tuple[QueueStore, list[Any]]] = {}
        # Takes from persistent queues: reservations that stay on disk until commit.
        self._reserved: list[Any] = []
        self.key = f"vm-tx-{self.id}-{uuid.uuid4().hex[:12]}"

    # ------------------------------------------------------------ state

    @property
    def active(self) -> bool:
        return self.status is TransactionStatus.ACTIVE

    @property
    def rollback_only(self) -> bool:
        return self._rollback_only

    def set_rollback_only(self) -> None:
        self._rollback_only = True

    def __repr__(self) -> str:
        kind = "XA(emulated)" if self.xa else "VM"
        return f"{kind}Transaction#{self.id}({self.status.value})"

    # ------------------------------------------------------------ queue operations

    def offer(self, store: QueueStore, item: Any, timeout: float | None) -> bool:
        """Hold ``item`` for ``store`` until commit.

        Persistent queues never check capacity here. A bounded transient queue waits for
        room counting what this transaction already offered to it, and refuses outright
        when that alone reaches the capacity (Q9).
        """
        self._check_active()
        held = self._added.setdefault(id(store), (store, []))[1]
        if store.capacity and not store.persistent:
            room = len(held)
            if store.capacity <= room:
                raise TransactionError("Can not add more objects than the capacity in one time")
            if not self._wait_for_room(store, room, timeout):
                return False
        held.append(item)
        return True

    @staticmethod
    def _wait_for_room(store: QueueStore, room: int, timeout: float | None) -> bool:
        deadline = None if timeout is None or timeout < 0 else time.monotonic() + timeout
        while store.size() >= store.capacity - room:
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(_ROOM_POLL_S)
        return True

    def take(self, store: QueueStore, timeout: float | None) -> Any | None:
        """Take the head of ``store``; it goes back to the tail if this rolls back.

        From a persistent queue the item is *reserved*: it stays on disk, marked with
        this transaction, until commit deletes it; a rollback, or a crash before commit,
        puts it back at the tail (P4, at-least-once)."""
        self._check_active()
        reserve = getattr(store, "reserve", None)
        if store.persistent and reserve is not None:
            reservation = reserve(self.key, timeout)
            if reservation is None:
                return None
            self._reserved.append(reservation)
            return reservation.item
        # A claim keeps the queue "busy" until this transaction completes, so an idle
        # check never sees a message that a rollback is about to put back.
        claim = getattr(store, "claim", None)
        item = claim(timeout) if claim is not None else store.take(timeout)
        if item is not None:
            self._removed.setdefault(id(store), (store, []))[1].append(item)
        return item

    def pending(self, store: QueueStore) -> int:
        """How many items this transaction holds for ``store`` (not yet visible)."""
        entry = self._added.get(id(store))
        return len(entry[1]) if entry else 0

    # ------------------------------------------------------------ completion

    def commit(self) -> None:
        """Make the offers visible (regardless of capacity) and the takes final."""
        self._check_active()
        if self._rollback_only:
            self.rollback()
            raise TransactionError("Cannot commit transaction transaction is marked for rollback")
        try:
            durable = [
                (store, item)
                for store, items in self._added.values()
                if _journaled(store)
                for item in items
            ]
            if self._reserved or durable:
                # One synced change: reserved takes deleted, persistent puts appended.
                _persistent().commit(self._reserved, durable)
            for store, items in self._added.values():
                if not _journaled(store):
                    for item in items:
                        store.put_now(item)
        finally:
            self._release_claims()
            self._finish(TransactionStatus.COMMITTED)

    def rollback(self) -> None:
        """Drop the offers; put every taken item back at the tail of its queue (R5)."""
        if not self.active:
            return
        try:
            if self._reserved:
                try:
                    _persistent().rollback(self._reserved)
                except Exception as exc:  # closed or broken: the next start recovers them
                    log.warning(
                        "rollback left %d reserved message(s) on disk: %s", len(self._reserved), exc
                    )
            for store, items in self._removed.values():
                for item in items:
                    if not store.closed:
                        store.put_now(item)
        finally:
            self._release_claims()
            self._finish(TransactionStatus.ROLLED_BACK)

    def _release_claims(self) -> None:
        for store, items in self._removed.values():
            release = getattr(store, "release_claim", None)
            if release is not None and getattr(store, "claim", None) is not None:
                for _ in items:
                    release()

    def resolve(self) -> None:
        """Commit, or roll back when marked rollback-only (``resolveTransaction``)."""
        if self._rollback_only:
            self.rollback()
        else:
            self.commit()

    def _finish(self, status: TransactionStatus) -> None:
        if tracing.current.active:  # trace hook
            tracing.current.emit(
                "tx-commit" if status is TransactionStatus.COMMITTED else "tx-rollback", tx=self.id,
                added=tracing.queue_items(self._added.values()),
                taken=tracing.queue_items(self._removed.values(), self._reserved),
            )  # fmt: skip
        self.status = status
        self._added.clear()
        self._removed.clear()
        self._reserved = []
        _unbind(self)
        log.debug("%r", self)

    def _check_active(self) -> None:
        if not self.active:
            raise TransactionError(f"Transaction {self!r} is no longer active")


def _journaled(store: QueueStore) -> bool:
    """Whether ``store`` takes part in a transaction through its journal (P4)."""
    return store.persistent and hasattr(store, "reserve")


def _persistent() -> Any:
    from mule_emulator.queues import persistent

    return persistent


# ---------------------------------------------------------------- coordination


class _ThreadState(threading.local):
    def __init__(self) -> None:
        self.current: VMTransaction | None = None
        self.isolated: list[VMTransaction | None] = []
        self.suspended: list[VMTransaction] = []


_state = _ThreadState()


def current_transaction() -> VMTransaction | None:
    """The transaction bound to this thread, if any."""
    return _state.current


def _has_transaction() -> bool:
    return _state.current is not None


set_transaction_probe(_has_transaction, _state)


def begin_transaction(*, xa: bool = False, timeout_ms: int | None = None) -> VMTransaction:
    """Begin a transaction and bind it to this thread."""
    if _state.current is not None:
        raise TransactionError(
            f"Cannot bind a new transaction: {_state.current!r} is already bound to this thread"
        )
    tx = VMTransaction(xa=xa, timeout_ms=timeout_ms)
    _state.current = tx
    if tracing.current.active:  # trace hook
        tracing.current.emit("tx-begin", tx=tx.id)
    return tx


def _unbind(tx: VMTransaction) -> None:
    if _state.current is tx:
        _state.current = None


def resolve_current() -> None:
    """Resolve (commit or roll back) the bound transaction, if any."""
    tx = _state.current
    if tx is not None:
        tx.resolve()


def rollback_current() -> None:
    """Roll back the bound transaction, if any; failures are logged (as Mule does)."""
    tx = _state.current
    if tx is not None:
        try:
            tx.rollback()
        except Exception:  # a store failing during rollback is only logged
            log.exception("rollback of %r failed", tx)


@contextmanager
def isolated() -> Iterator[None]:
    """Run without the bound transaction (NOT_SUPPORTED); it is restored afterwards."""
    _state.isolated.append(_state.current)
    _state.current = None
    try:
        yield
    finally:
        restored = _state.isolated.pop()
        if restored is not None and restored.active:
            _state.current = restored


@contextmanager
def _xa_suspended(tx: VMTransaction) -> Iterator[None]:
    _state.suspended.append(tx)
    _state.current = None
    try:
        yield
    finally:
        _state.suspended.pop()
        if tx.active and _state.current is None:
            _state.current = tx


# ---------------------------------------------------------------- queue operations


def queue_offer(store: QueueStore, item: Any, timeout: float | None) -> bool:
    """Offer ``item`` to ``store``; inside a transaction the offer is held until commit."""
    tx = _state.current
    if tx is not None and tx.active:
        return tx.offer(store, item, timeout)
    return store.offer(item, timeout)


def queue_take(store: QueueStore, timeout: float | None) -> Any | None:
    """Take from ``store``; inside a transaction a rollback puts the item back (tail)."""
    tx = _state.current
    if tx is not None and tx.active:
        return tx.take(store, timeout)
    return store.take(timeout)


# ---------------------------------------------------------------- templates


class ExceptionHandler(Protocol):
    """What a template needs from an exception strategy (``processors.base.ExceptionHandler``)."""

    def handle(self, error: MessagingError, event: MuleEvent) -> MuleEvent: ...


_BEGINS = frozenset({"ALWAYS_BEGIN"})
_RESOLVES_PREVIOUS = frozenset({"NONE", "ALWAYS_BEGIN"})


class TransactionTemplate:
    """Runs work under a transaction action, in Mule's interceptor order (T2):

    isolate (NOT_SUPPORTED) → validate (NEVER, ALWAYS_JOIN) → suspend XA (NONE,
    ALWAYS_BEGIN) → resolve the previous transaction (NONE, ALWAYS_BEGIN) → begin
    (ALWAYS_BEGIN; BEGIN_OR_JOIN without a transaction) → [exception strategy] → work,
    then resolve what this template began.

    ``handler`` makes it an error-handling template: a ``MessagingError`` goes to the
    handler, whose result becomes the error's event; a handled error returns that event
    as a normal result, an unhandled one is re-raised. ``resolve_any`` (a flow source's
    main template) resolves whatever transaction is bound when an error escapes, joined
    or not; a scope template resolves only what it began.
    """

    def __init__(
        self,
        config: TransactionConfig | None = None,
        *,
        handler: ExceptionHandler | None = None,
        error_handling: bool = False,
        resolve_any: bool = False,
    ) -> None:
        self.config = config
        self.action = config.action if config is not None else "INDIFFERENT"
        self.xa = config is not None and config.kind == "xa"
        self.timeout_ms = config.timeout_ms if config is not None else None
        self.handler = handler
        self.error_handling = error_handling or handler is not None
        self.resolve_any = resolve_any
        # INDIFFERENT (no <transaction>, the usual case) isolates, validates, suspends,
        # resolves and begins nothing: its steps reduce to the work and, for an
        # error-handling template, the failure handling. Decided once, here.
        self._plain = self.action == "INDIFFERENT"
        #: INDIFFERENT and error-handling: ``execute`` is the work itself, with
        #: ``failed`` on a ``MessagingError``; a hot caller may do the same without it.
        self.plain_handling = self._plain and self.error_handling

    @property
    def transacted(self) -> bool:
        """Whether a receiver built with this action polls inside a transaction (R2)."""
        return self.action in ("ALWAYS_BEGIN", "BEGIN_OR_JOIN", "ALWAYS_JOIN")

    def execute(self, work: Callable[..., R], *args: Any) -> R:
        """Run ``work(*args)`` under the action (``args`` spare the caller a closure)."""
        if self._plain:
            # The steps below written out for INDIFFERENT: nothing to begin or resolve
            # before the work, so only a failure has anything to do.
            if not self.error_handling:
                return work(*args)
            try:
                return work(*args)
            except MessagingError as error:
                return self.failed(error)  # type: ignore[no-any-return]
        if args:
            return self.execute(lambda: work(*args))
        if not self.error_handling:
            return self._isolate(work)
        try:
            return self._isolate(work)
        except MessagingError as error:
            if error.handled:
                result: R = error.event
                return result
            raise

    def _isolate(self, work: Callable[[], R]) -> R:
        if self.action == "NOT_SUPPORTED" and _state.current is not None:
            with isolated():
                return self._validate(work)
        return self._validate(work)

    def _validate(self, work: Callable[[], R]) -> R:
        tx = _state.current
        if self.action == "NEVER" and tx is not None:
            raise TransactionError(
                'A transaction is available for this session, but transaction action is "Never"'
            )
        if self.action == "ALWAYS_JOIN" and tx is None:
            raise TransactionError(
                "A transaction is not available for this session, but transaction action is "
                '"Always Join"'
            )
        if tx is not None and tx.xa and self.action in _RESOLVES_PREVIOUS:
            with _xa_suspended(tx):
                return self._resolve_previous(work)
        return self._resolve_previous(work)

    def _resolve_previous(self, work: Callable[[], R]) -> R:
        if self.action in _RESOLVES_PREVIOUS and _state.current is not None:
            resolve_current()
        return self._begin(work)

    def _begin(self, work: Callable[[], R]) -> R:
        began = False
        if self.action in _BEGINS or (self.action == "BEGIN_OR_JOIN" and _state.current is None):
            begin_transaction(xa=self.xa, timeout_ms=self.timeout_ms)
            if self.xa:
                log.info("xa-transaction emulated as one local VM transaction")
            began = True
        try:
            result = self._handle(work)
        except MessagingError:
            if self.error_handling and (began or self.resolve_any):
                self._resolve_quietly()
            raise
        except BaseException:
            # Not a messaging failure (a transaction state error, a bug): never leave a
            # transaction this template began bound to the thread.
            if began:
                rollback_current()
            raise
        if began and _state.current is not None:
            resolve_current()
        return result

    def _handle(self, work: Callable[[], R]) -> R:
        if not self.error_handling:
            return work()
        try:
            return work()
        except MessagingError as error:
            self._on_error(error)
            raise

    def failed(self, error: MessagingError) -> Any:
        """What a plain template (``plain``) does when its work raised ``error``: the
        exception strategy, then (``resolve_any``) whatever transaction is bound; the
        handled result, or ``error`` raised again. A caller on the hot path runs the
        work itself and calls this only on failure (``execute``'s INDIFFERENT branch)."""
        # A failing strategy raises ``error`` again: it goes on as it is.
        with contextlib.suppress(MessagingError):
            self._on_error(error)
        if self.resolve_any:
            self._resolve_quietly()
        if error.handled:
            return error.event
        raise error

    def _on_error(self, error: MessagingError) -> None:
        """Hand a failure to the exception strategy; its result becomes the error's
        event. A failing strategy rolls back and ``error`` is raised (T6)."""
        handler = self.handler or _flow_handler(error.event)
        if handler is not None:
            if tracing.current.active:  # trace hook
                tracing.exception(handler, error)
            try:
                processed = handler.handle(error, error.event)
            except Exception:  # a failing strategy rolls back (T6)
                log.exception("exception strategy failed")
                rollback_current()
                raise error from None
            if processed is not None:
                error.event = processed

    @staticmethod
    def _resolve_quietly() -> None:
        try:
            resolve_current()
        except TransactionError:
            log.exception("resolving the transaction after a failure")


def _flow_handler(event: Any) -> ExceptionHandler | None:
    flow = getattr(event, "flow", None)
    handler = getattr(flow, "exception_strategy", None)
    return handler if hasattr(handler, "handle") else None


def main_template(
    config: TransactionConfig | None, handler: ExceptionHandler | None
) -> TransactionTemplate:
    """The template around a flow or service source (Mule's main execution template)."""
    return TransactionTemplate(config, handler=handler, error_handling=True, resolve_any=True)


# Main templates of execute_handled, by the identities of their settings (a template
# holds only its settings; the hot path of every polled message and SEDA worker would
# otherwise build one per message). Values keep the keys' objects alive, so an id is
# never reused while its entry exists. Bounded: a full cache is cleared.
_MAIN_TEMPLATES: dict[tuple[int, int], TransactionTemplate] = {}
_MAIN_TEMPLATES_MAX = 1024


def _cached_main_template(
    config: TransactionConfig | None, handler: ExceptionHandler | None
) -> TransactionTemplate:
    key = (id(config), id(handler))
    template = _MAIN_TEMPLATES.get(key)
    if template is None or template.config is not config or template.handler is not handler:
        template = main_template(config, handler)
        if len(_MAIN_TEMPLATES) >= _MAIN_TEMPLATES_MAX:
            _MAIN_TEMPLATES.clear()
        _MAIN_TEMPLATES[key] = template
    return template


def execute_handled(
    work: Callable[..., Any],
    handler: ExceptionHandler | None,
    what: str,
    name: object,
    config: TransactionConfig | None = None,
    args: tuple[Any, ...] = (),
) -> None:
    """Run ``work(*args)`` in the main execution template where nobody waits for a
    result (a receiver's or a worker's thread): the exception strategy handles failures
    (E-2); what it leaves unhandled is logged as "<what> <name>" (E-13), never raised.
    (Two parts, so that a hot path builds no message text unless something fails.)"""
    # _cached_main_template, written out (once per polled message or stage work item)
    template = _MAIN_TEMPLATES.get((id(config), id(handler)))
    if template is None or template.config is not config or template.handler is not handler:
        template = _cached_main_template(config, handler)
    try:
        template.execute(work, *args)
    except MessagingError as error:
        log.debug("%s %s: unhandled failure: %s", what, name, error)
    except Exception:
        log.exception("%s %s: failure", what, name)


def scope_template(
    config: TransactionConfig | None, handler: ExceptionHandler | None
) -> TransactionTemplate:
    """The template of a ``<transactional>`` scope: resolves only what it began."""
    return TransactionTemplate(config, handler=handler, error_handling=True, resolve_any=False)


def endpoint_template(config: TransactionConfig | None) -> TransactionTemplate:
    """The template an outbound endpoint wraps its dispatch in (no exception strategy)."""
    return TransactionTemplate(config)


def run_outbound(config: TransactionConfig | None, work: Callable[[], R]) -> R:
    """Run an outbound endpoint's work under its own transaction action (T2).

    Without a ``<transaction>`` element the action is INDIFFERENT, which changes nothing:
    the work runs as it is and any bound transaction enlists its queue operations (T3).
    NOT_SUPPORTED isolates the bound transaction, so the dispatch takes effect at once.
    """
    if config is None or config.action == "INDIFFERENT":
        return work()
    return endpoint_template(config).execute(work)


# ---------------------------------------------------------------- transacted receiver


class TransactedPoller:
    """One worker of a transacted VM receiver (R4): ``poll_once`` takes **one** message
    inside a transaction begun by ``template`` and routes it in the calling thread.

    ``route`` runs the message through the inbound endpoint chain and the flow; it raises
    ``MessagingError`` on failure, which the template hands to the flow's exception
    strategy before it commits or rolls back (T6). The engine calls ``poll_once`` in a
    loop and sleeps ``idle_sleep_s`` when it returns False (empty queue).
    """

    idle_sleep_s = 0.05  # mule.vm.pollingSleepWaitTime

    def __init__(
        self,
        store: QueueStore,
        template: TransactionTemplate,
        route: Callable[[Any], Any],
        queue_timeout_s: float,
    ) -> None:
        self.store = store
        self.template = template
        self.route = route
        self.queue_timeout_s = queue_timeout_s

    def poll_once(self) -> bool:
        """Process at most one message; False when the queue looked empty."""
        if self.store.size() == 0:
            return False

        def work() -> Any:
            item = queue_take(self.store, self.queue_timeout_s)
            if item is not None and tracing.current.active:  # trace hook
                tracing.current.emit(
                    "dequeue",
                    queue=f"vm://{self.store.name}",
                    depth_after=self.store.size(),
                    message=getattr(item, "id", None),
                    tx=getattr(current_transaction(), "id", None),
                )
            if item is None:
                tx = current_transaction()
                if tx is not None:
                    tx.set_rollback_only()
                return None
            return self.route(item)

        try:
            self.template.execute(work)
        except MessagingError as error:
            # Already handled by the flow's strategy; nobody waits for a polled message.
            log.debug("polled message failed: %s", error)
        return True


__all__ = [
    "ExceptionHandler",
    "TransactedPoller",
    "TransactionStatus",
    "TransactionTemplate",
    "VMTransaction",
    "begin_transaction",
    "current_transaction",
    "endpoint_template",
    "execute_handled",
    "isolated",
    "main_template",
    "queue_offer",
    "queue_take",
    "resolve_current",
    "rollback_current",
    "run_outbound",
    "scope_template",
]

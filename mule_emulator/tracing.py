"""The trace hook: a tiny object the runtime tells about each step of an event.

The runtime calls it at a few points (flow entered, processor entered, enqueue with the
depth before and dequeue with the depth after, for VM queues and for the SEDA stages of
flows, services and async scopes; one-way dispatch, request-response send, the
redelivery policy's count, an exception strategy taking over, transaction
begin/commit/rollback with what the transaction held), always guarded so that the hot
path pays one attribute check while nobody traces::

    if tracing.current.active:  # trace hook
        tracing.current.emit("enqueue", queue=name, depth_before=n, message=msg_id)

The helpers below keep each such hook to a line or two.

``current`` is a no-op ``Tracer`` until ``install`` puts a recording one in place
(``mule-emu run --trace`` does, see ``views/trace.py``). There is one hook per process:
the command line runs one application at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


class Tracer:
    """The hook's interface, and the no-op default (``active`` is False)."""

    active: bool = False

    def __init__(self) -> None:
        # The class's value as the instance's own: every hot path reads
        # ``tracing.current.active``, and CPython 3.11 caches an instance attribute
        # read but not one that falls through to the class.
        self.active = type(self).active

    def emit(self, step: str, **fields: Any) -> None:
        """One step of an event; ``fields`` name the flow, queue, depth, message id ..."""


NO_TRACER = Tracer()
current: Tracer = NO_TRACER


def install(tracer: Tracer) -> None:
    """Make ``tracer`` the process's hook (until ``uninstall``)."""
    global current
    current = tracer


def uninstall() -> None:
    """Back to the no-op hook."""
    global current
    current = NO_TRACER


# ------------------------------------------------------------------ hook helpers
# Small functions that keep each ``# trace hook`` in the runtime to one line.


def message_id(event: Any) -> Any:
    """The message id of an event (or of a bare message), None when it has none."""
    message = getattr(event, "message", event)
    return getattr(message, "id", None)


def queue_label(name: str) -> str:
    """A queue as traces show it: ``vm://<path>`` for VM queues, SEDA stage queues
    (``seda.queue(<stage>)``) as they are."""
    return name if name.startswith("seda.queue(") else f"vm://{name}"


def queue_items(
    entries: Iterable[tuple[Any, list[Any]]], reserved: Iterable[Any] = ()
) -> list[str]:
    """One queue label per item held by a transaction: ``(store, items)`` pairs, and
    reservations (items taken from a persistent queue, each with its ``store``)."""
    out = [queue_label(store.name) for store, items in entries for _ in items]
    out.extend(queue_label(r.store.name) for r in reserved)
    return out


def stage_enqueue(owner: str, stage: Any, event: Any) -> None:
    """An event offered to a SEDA stage's queue (depth before the offer)."""
    queue = stage.queue
    current.emit(
        "enqueue",
        flow=owner,
        queue=queue.name,
        depth_before=queue.size(),
        capacity=queue.capacity,
        timeout_ms=round(stage.offer_timeout_s * 1000),
        message=message_id(event),
    )


def stage_taken(owner: str | None, queue: Any) -> Callable[[Any], None]:
    """A SedaStage ``on_take`` hook: an event leaves ``queue`` (depth after the take);
    ``owner`` None names the event's own flow."""

    def taken(event: Any) -> None:
        if current.active:
            current.emit(
                "dequeue",
                flow=owner or getattr(event, "flow_name", None) or None,
                queue=queue.name,
                depth_after=queue.size(),
                message=message_id(event),
            )

    return taken


def exception(handler: Any, error: BaseException) -> None:
    """An exception strategy takes over a failed event (the strategy's kind, and the
    class of the deepest cause)."""
    strategy = getattr(handler, "target", handler)  # a reference: the global strategy
    cause: BaseException = error
    for _ in range(20):
        nxt = getattr(cause, "cause", None) or cause.__cause__
        if not isinstance(nxt, BaseException):
            break
        cause = nxt
    event = getattr(error, "event", None)
    current.emit(
        "exception",
        flow=getattr(event, "flow_name", None) or None,
        strategy=getattr(strategy, "kind", type(strategy).__name__),
        error=type(cause).__name__,
        message=message_id(event),
    )


__all__ = [
    "NO_TRACER",
    "Tracer",
    "current",
    "exception",
    "install",
    "message_id",
    "queue_items",
    "queue_label",
    "stage_enqueue",
    "stage_taken",
    "uninstall",
]

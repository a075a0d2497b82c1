"""The trace hook: a tiny object the runtime tells about each step of an event.

The runtime calls it at a few points (flow entered, processor entered, enqueue and
dequeue with the queue depth, one-way dispatch, request-response send, transaction
begin/commit/rollback), always guarded so that the hot path pays one attribute check
while nobody traces::

    if tracing.current.active:
        tracing.current.emit("enqueue", queue=name, depth=n, message=msg_id)

``current`` is a no-op ``Tracer`` until ``install`` puts a recording one in place
(``mule-emu run --trace`` does, see ``views/trace.py``). There is one hook per process:
the command line runs one application at a time.
"""

from __future__ import annotations

from typing import Any


class Tracer:
    """The hook's interface, and the no-op default (``active`` is False)."""

    active: bool = False

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


__all__ = ["NO_TRACER", "Tracer", "current", "install", "uninstall"]

"""The ``all`` router (P-15): a copy of the event to every route in turn, in the
caller's thread, gathering the results. (``<transactional>`` is
``runtime/transactional_scope.py``.)"""

from __future__ import annotations

from collections.abc import Sequence

from mule_emulator.runtime.message import VOID_EVENT, MuleEvent, MuleMessage, ProcessResult
from mule_emulator.runtime.processors.base import Processor, run_processor


class AllRouter(Processor):
    """``<all>``: every route gets its own copy, sequentially; void results are
    dropped; one result is returned as is, several as a collection (list payload)."""

    kind = "all"

    def __init__(self, routes: Sequence[Processor]) -> None:
        self.routes = tuple(routes)

    def children(self) -> Sequence[Processor]:
        return self.routes

    def start(self) -> None:
        for r in self.routes:
            r.start()

    def stop(self) -> None:
        for r in self.routes:
            r.stop()

    def process(self, event: MuleEvent) -> ProcessResult:
        message = event.message
        if message.correlation_id is None:
            message.correlation_id = message.id
        message.correlation_group_size = len(self.routes)
        results: list[MuleEvent] = []
        for route in self.routes:
            copy = event.with_message(message.copy())
            result = run_processor(route, copy)
            if isinstance(result, MuleEvent):
                results.append(result)
        if not results:
            return VOID_EVENT
        if len(results) == 1:
            return results[0]
        collection = MuleMessage([r.message.payload for r in results])
        collection.correlation_id = message.correlation_id
        return event.with_message(collection)


__all__ = ["AllRouter"]

"""The view of the current message that a Python stand-in receives.

A stand-in for a Java class (component, transformer, filter, custom processor) is called
with one argument exposing ``payload``, ``inbound``, ``outbound``, ``invocation``,
``session`` (dict-like; inbound and outbound case-insensitive) and ``attachments``. Writes
go straight to the event, so a stand-in can set properties as Java code would.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from mule_emulator.runtime.message import NULL_PAYLOAD, MuleEvent, MuleMessage


class StandInMessage:
    """The message as a stand-in sees it (payload NullPayload reads as None)."""

    # No __init__: ``of(event)`` makes a view. A component call makes one per event, so
    # ``CallableComponent`` calls the class and sets ``_event`` itself (no frame, no
    # argument tuple for ``object.__new__``). Slots, with ``__dict__`` kept for a
    # stand-in that stores something on its view: the dict is made only then.
    __slots__ = ("__dict__", "_event")
    _event: MuleEvent

    @classmethod
    def of(cls, event: MuleEvent) -> StandInMessage:
        """The view of ``event``'s message."""
        view = cls()
        view._event = event
        return view

    @property
    def event(self) -> MuleEvent:
        return self._event

    @property
    def message(self) -> MuleMessage:
        return self._event.message

    @property
    def payload(self) -> Any:
        value = self._event.message.payload
        return None if value is NULL_PAYLOAD else value

    @payload.setter
    def payload(self, value: Any) -> None:
        self._event.message.payload = NULL_PAYLOAD if value is None else value

    @property
    def inbound(self) -> MutableMapping[str, Any]:
        return self._event.message.inbound

    @property
    def outbound(self) -> MutableMapping[str, Any]:
        return self._event.message.outbound

    @property
    def invocation(self) -> MutableMapping[str, Any]:
        return self._event.flow_vars

    @property
    def session(self) -> MutableMapping[str, Any]:
        return self._event.session.vars

    @property
    def attachments(self) -> dict[str, Any]:
        return {
            "inbound": self._event.message.inbound_attachments,
            "outbound": self._event.message.outbound_attachments,
        }

    @property
    def id(self) -> str:
        return self._event.message.id

    @property
    def correlation_id(self) -> str | None:
        return self._event.message.correlation_id

    @property
    def flow_name(self) -> str:
        return self._event.flow_name

    def __repr__(self) -> str:
        return f"StandInMessage(payload={self.payload!r})"


__all__ = ["StandInMessage"]

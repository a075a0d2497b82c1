"""What an expression can see: the ``EvaluationContext`` protocol and ``MessageView``.

The names follow Mule's MEL context (EL-4): ``payload`` (assignable; NullPayload reads as
None), ``message`` (a ``MessageView``), ``flowVars``, ``sessionVars``, ``exception``,
``flow``, ``app``, ``server`` and ``mule``. ``SimpleContext`` (tests, teaching views) and
``EventContext`` (the runtime's MuleEvent) implement it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, MutableMapping
from typing import Any, Protocol

from mule_emulator.expressions.environment import AppInfo, FlowInfo, MuleInfo, ServerInfo


class MessageView(ABC):
    """MEL's ``message``: ids, correlation, payload, property scopes, attachments.

    ``inbound_properties`` must refuse writes (wrap it in ``maps.ReadOnlyMap``); the
    outbound map and attachments are live (writes reach the message).
    """

    @property
    @abstractmethod
    def id(self) -> str: ...

    @property
    @abstractmethod
    def root_id(self) -> str: ...

    @property
    @abstractmethod
    def correlation_id(self) -> str | None: ...

    @property
    @abstractmethod
    def correlation_sequence(self) -> int: ...

    @property
    @abstractmethod
    def correlation_group_size(self) -> int: ...

    @property
    @abstractmethod
    def reply_to(self) -> Any: ...

    @reply_to.setter
    @abstractmethod
    def reply_to(self, value: Any) -> None: ...

    @property
    @abstractmethod
    def data_type(self) -> Any: ...

    @property
    @abstractmethod
    def encoding(self) -> str: ...

    @property
    @abstractmethod
    def payload(self) -> Any:
        """The payload; Mule's NullPayload reads as None."""

    @payload.setter
    @abstractmethod
    def payload(self, value: Any) -> None: ...

    @property
    @abstractmethod
    def inbound_properties(self) -> Mapping[str, Any]: ...

    @property
    @abstractmethod
    def outbound_properties(self) -> MutableMapping[str, Any]: ...

    @property
    @abstractmethod
    def inbound_attachments(self) -> Mapping[str, Any]: ...

    @property
    @abstractmethod
    def outbound_attachments(self) -> MutableMapping[str, Any]: ...

    @property
    @abstractmethod
    def exception(self) -> BaseException | None: ...

    @property
    def raw(self) -> Any:
        """The underlying message object (the view itself when there is none)."""
        return self

    def payload_text(self) -> str:
        """The payload as text (``payloadAs(java.lang.String)``): bytes decoded."""
        from mule_emulator.expressions.values import java_str

        value = self.payload
        if isinstance(value, bytes | bytearray):
            return bytes(value).decode(self.encoding or "UTF-8", errors="replace")
        return java_str(value)

    def __str__(self) -> str:
        from mule_emulator.expressions.values import java_str

        return (
            f"MuleMessage{{id={self.id}, payload={java_str(self.payload)}, "
            f"correlationId={self.correlation_id}, "
            f"outbound={dict(self.outbound_properties)}}}"
        )


class EvaluationContext(Protocol):
    """Everything an expression may read or write while it is evaluated."""

    @property
    def payload(self) -> Any:
        """The message payload (None for NullPayload)."""

    @payload.setter
    def payload(self, value: Any) -> None: ...

    @property
    def message(self) -> MessageView: ...

    @property
    def flow_vars(self) -> MutableMapping[str, Any]:
        """Invocation scope (``flowVars``): case-sensitive, writable."""

    @property
    def session_vars(self) -> MutableMapping[str, Any]:
        """Session scope (``sessionVars``): case-sensitive, writable."""

    @property
    def exception(self) -> BaseException | None:
        """The exception of the message's exception payload, else None."""

    @property
    def flow(self) -> FlowInfo: ...

    @property
    def app(self) -> AppInfo: ...

    @property
    def server(self) -> ServerInfo: ...

    @property
    def mule(self) -> MuleInfo: ...


__all__ = ["EvaluationContext", "MessageView"]

"""``EventContext``: the evaluation context over the runtime's ``MuleEvent``.

Duck-typed on the shared message API (``runtime/message.py``): nothing from the runtime is
imported when this module loads; Mule's NullPayload singleton is looked up lazily so MEL
reads it as None and writing None stores it back (``payload = null``).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

from mule_emulator.expressions.context import MessageView
from mule_emulator.expressions.environment import (
    DEFAULT_APP,
    DEFAULT_MULE,
    SERVER,
    AppInfo,
    FlowInfo,
    MuleInfo,
    ServerInfo,
)
from mule_emulator.expressions.maps import ReadOnlyMap

_NULL_PAYLOAD: Any = None
_NO_NULL_PAYLOAD = object()


def null_payload() -> Any:
    """The runtime's ``NULL_PAYLOAD`` (imported on first use; a private marker without it)."""
    global _NULL_PAYLOAD
    if _NULL_PAYLOAD is None:
        try:
            from mule_emulator.runtime import message as runtime_message

            _NULL_PAYLOAD = runtime_message.NULL_PAYLOAD
        except (ImportError, AttributeError):
            return _NO_NULL_PAYLOAD
    return _NULL_PAYLOAD


def is_null_payload(value: Any) -> bool:
    """True for Mule's NullPayload (by identity, or by class name for foreign copies)."""
    if value is _NULL_PAYLOAD and value is not None:
        return True
    if value is None or type(value) in _PLAIN_TYPES:
        return False
    return value is null_payload() or type(value).__name__ == "NullPayload"


_PLAIN_TYPES = frozenset({str, bytes, int, float, bool, dict, list})


class EventMessage(MessageView):
    """MEL's ``message`` over a runtime ``MuleMessage`` (read and written live)."""

    __slots__ = ("_msg",)

    def __init__(self, msg: Any) -> None:
        self._msg = msg

    @property
    def raw(self) -> Any:
        return self._msg

    @property
    def id(self) -> str:
        return str(self._msg.id)

    @property
    def root_id(self) -> str:
        return str(getattr(self._msg, "root_id", None) or self._msg.id)

    @property
    def correlation_id(self) -> str | None:
        value = self._msg.correlation_id
        return None if value is None else str(value)

    @property
    def correlation_sequence(self) -> int:
        return int(self._msg.correlation_sequence)

    @property
    def correlation_group_size(self) -> int:
        return int(self._msg.correlation_group_size)

    @property
    def reply_to(self) -> Any:
        return self._msg.reply_to

    @reply_to.setter
    def reply_to(self, value: Any) -> None:
        self._msg.reply_to = value

    @property
    def data_type(self) -> Any:
        return getattr(self._msg, "data_type", None)

    @property
    def encoding(self) -> str:
        return str(getattr(self._msg, "encoding", None) or "UTF-8")

    @property
    def payload(self) -> Any:
        value = self._msg.payload
        return None if is_null_payload(value) else value

    @payload.setter
    def payload(self, value: Any) -> None:
        self._msg.payload = null_payload_or(value)

    @property
    def inbound_properties(self) -> Mapping[str, Any]:
        return ReadOnlyMap(self._msg.inbound)

    @property
    def outbound_properties(self) -> MutableMapping[str, Any]:
        outbound: MutableMapping[str, Any] = self._msg.outbound
        return outbound

    @property
    def inbound_attachments(self) -> Mapping[str, Any]:
        return ReadOnlyMap(self._msg.inbound_attachments, "inbound attachments")

    @property
    def outbound_attachments(self) -> MutableMapping[str, Any]:
        attachments: MutableMapping[str, Any] = self._msg.outbound_attachments
        return attachments

    @property
    def exception(self) -> BaseException | None:
        payload = getattr(self._msg, "exception_payload", None)
        if payload is None:
            return None
        exc: BaseException | None = getattr(payload, "exception", None)
        return exc

    def __str__(self) -> str:
        return str(self._msg)


def null_payload_or(value: Any) -> Any:
    """None becomes the runtime's NullPayload (when the runtime has one)."""
    if value is None:
        marker = null_payload()
        return None if marker is _NO_NULL_PAYLOAD else marker
    return value


def app_info_from(values: Mapping[str, Any] | None) -> AppInfo:
    """An ``AppInfo`` from a plain mapping (``name``, ``encoding``, ``work_dir``, ...)."""
    if not values:
        return DEFAULT_APP
    known = {"name", "encoding", "work_dir", "standalone", "registry"}
    return AppInfo(**{k: v for k, v in values.items() if k in known})


class EventContext:
    """An ``EvaluationContext`` over a runtime ``MuleEvent`` and the application's info.

    Cheap to create (one per evaluation site call): it only keeps references.
    """

    __slots__ = ("_app", "_event", "_mule")

    def __init__(
        self,
        event: Any,
        app_info: AppInfo | Mapping[str, Any] | None = None,
        mule_info: MuleInfo | None = None,
    ) -> None:
        self._event = event
        self._app = app_info
        self._mule = mule_info or DEFAULT_MULE

    @property
    def event(self) -> Any:
        return self._event

    @property
    def payload(self) -> Any:
        value = self._event.message.payload
        return None if is_null_payload(value) else value

    @payload.setter
    def payload(self, value: Any) -> None:
        self._event.message.payload = null_payload_or(value)

    @property
    def message(self) -> EventMessage:
        return EventMessage(self._event.message)

    @property
    def flow_vars(self) -> MutableMapping[str, Any]:
        flow_vars: MutableMapping[str, Any] = self._event.flow_vars
        return flow_vars

    @property
    def session_vars(self) -> MutableMapping[str, Any]:
        session_vars: MutableMapping[str, Any] = self._event.session.vars
        return session_vars

    @property
    def exception(self) -> BaseException | None:
        payload = getattr(self._event.message, "exception_payload", None)
        if payload is None:
            return None
        exc: BaseException | None = getattr(payload, "exception", None)
        return exc

    @property
    def flow(self) -> FlowInfo:
        name = getattr(self._event, "flow_name", None)
        if name is None:
            flow = getattr(self._event, "flow", None)
            name = getattr(flow, "name", None)
        return FlowInfo(name)

    @property
    def app(self) -> AppInfo:
        app = self._app
        if isinstance(app, AppInfo):
            return app
        return app_info_from(app)

    @property
    def server(self) -> ServerInfo:
        return SERVER

    @property
    def mule(self) -> MuleInfo:
        return self._mule

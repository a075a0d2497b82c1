"""``SimpleContext``: a self-contained evaluation context for tests and teaching views.

It holds its own message (``SimpleMessage``) with Mule's rules: property scopes match
names case-insensitively, the inbound scope is read-only through MEL, the correlation id
is the outbound ``MULE_CORRELATION_ID`` falling back to the inbound one.
"""

from __future__ import annotations

import uuid
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
from mule_emulator.expressions.maps import CaseInsensitiveDict, ReadOnlyMap


def _int_property(props: Mapping[str, Any], name: str, default: int) -> int:
    value = props.get(name)
    try:
        return int(value) if value is not None else default
    except (TypeError, ValueError):
        return default


class SimpleMessage(MessageView):
    """A plain in-memory message with the fields MEL reads."""

    def __init__(
        self,
        payload: Any = None,
        *,
        inbound: Mapping[str, Any] | None = None,
        outbound: Mapping[str, Any] | None = None,
        inbound_attachments: Mapping[str, Any] | None = None,
        outbound_attachments: Mapping[str, Any] | None = None,
        message_id: str | None = None,
        root_id: str | None = None,
        reply_to: Any = None,
        encoding: str = "UTF-8",
        exception: BaseException | None = None,
    ) -> None:
        self._payload = payload
        self.inbound = CaseInsensitiveDict(inbound)
        self.outbound = CaseInsensitiveDict(outbound)
        self._inbound_view = ReadOnlyMap(self.inbound)
        self._inbound_attachments = ReadOnlyMap(
            dict(inbound_attachments or {}), "inbound attachments"
        )
        self._outbound_attachments: dict[str, Any] = dict(outbound_attachments or {})
        self._id = message_id or str(uuid.uuid4())
        self._root_id = root_id or self._id
        self._reply_to = reply_to
        self._encoding = encoding
        self._exception = exception

    @property
    def id(self) -> str:
        return self._id

    @property
    def root_id(self) -> str:
        return self._root_id

    @property
    def correlation_id(self) -> str | None:
        value = self.outbound.get("MULE_CORRELATION_ID")
        if value is None:
            value = self.inbound.get("MULE_CORRELATION_ID")
        return None if value is None else str(value)

    @property
    def correlation_sequence(self) -> int:
        return _int_property(self.outbound, "MULE_CORRELATION_SEQUENCE", -1)

    @property
    def correlation_group_size(self) -> int:
        return _int_property(self.outbound, "MULE_CORRELATION_GROUP_SIZE", -1)

    @property
    def reply_to(self) -> Any:
        return self._reply_to

    @reply_to.setter
    def reply_to(self, value: Any) -> None:
        self._reply_to = value

    @property
    def data_type(self) -> Any:
        payload = self._payload
        return "java.lang.Object" if payload is None else type(payload).__name__

    @property
    def encoding(self) -> str:
        return self._encoding

    @property
    def payload(self) -> Any:
        return self._payload

    @payload.setter
    def payload(self, value: Any) -> None:
        self._payload = value

    @property
    def inbound_properties(self) -> Mapping[str, Any]:
        return self._inbound_view

    @property
    def outbound_properties(self) -> MutableMapping[str, Any]:
        return self.outbound

    @property
    def inbound_attachments(self) -> Mapping[str, Any]:
        return self._inbound_attachments

    @property
    def outbound_attachments(self) -> MutableMapping[str, Any]:
        return self._outbound_attachments

    @property
    def exception(self) -> BaseException | None:
        return self._exception

    @exception.setter
    def exception(self, value: BaseException | None) -> None:
        self._exception = value


class SimpleContext:
    """An ``EvaluationContext`` over a ``SimpleMessage`` and plain variable dicts."""

    def __init__(
        self,
        payload: Any = None,
        *,
        message: SimpleMessage | None = None,
        flow_vars: MutableMapping[str, Any] | None = None,
        session_vars: MutableMapping[str, Any] | None = None,
        inbound: Mapping[str, Any] | None = None,
        outbound: Mapping[str, Any] | None = None,
        exception: BaseException | None = None,
        flow_name: str | None = "test-flow",
        app: AppInfo = DEFAULT_APP,
        mule: MuleInfo = DEFAULT_MULE,
    ) -> None:
        self._message = message or SimpleMessage(
            payload, inbound=inbound, outbound=outbound, exception=exception
        )
        self._flow_vars: MutableMapping[str, Any] = {} if flow_vars is None else flow_vars
        self._session_vars: MutableMapping[str, Any] = {} if session_vars is None else session_vars
        self._flow = FlowInfo(flow_name)
        self._app = app
        self._mule = mule

    @property
    def payload(self) -> Any:
        return self._message.payload

    @payload.setter
    def payload(self, value: Any) -> None:
        self._message.payload = value

    @property
    def message(self) -> SimpleMessage:
        return self._message

    @property
    def flow_vars(self) -> MutableMapping[str, Any]:
        return self._flow_vars

    @property
    def session_vars(self) -> MutableMapping[str, Any]:
        return self._session_vars

    @property
    def exception(self) -> BaseException | None:
        return self._message.exception

    @property
    def flow(self) -> FlowInfo:
        return self._flow

    @property
    def app(self) -> AppInfo:
        return self._app

    @property
    def server(self) -> ServerInfo:
        return SERVER

    @property
    def mule(self) -> MuleInfo:
        return self._mule

"""``<request-reply timeout? storePrefix?>`` (P-26): send a request one way and wait for
the reply that carries the same correlation id on a reply queue.

The requester sets ``MULE_REPLYTO`` to the reply endpoint's address,
``MULE_REPLYTO_REQUESTOR`` to the flow name and the correlation id (the existing one or
the message id), sends the request through its outbound part, then takes messages from
the reply queue until the one with its correlation id arrives (others are kept for the
requesters waiting for them). The caller continues with the reply message and its own
flow variables; a session carried by the reply is merged.

The replying side is ``deliver_reply``: what Mule's flow post-processor does with a
one-way event whose message asks for a reply (``MULE_REPLYTO``), unless the flow set the
flow variable ``MULE_REPLY_TO_STOP``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from mule_emulator.errors import ConfigError, LifecycleError, MessagingError
from mule_emulator.model.config import CORE_NS, ElementConfig, EndpointConfig
from mule_emulator.runtime.builder import BuildContext, element
from mule_emulator.runtime.connectors import VMConnector
from mule_emulator.runtime.endpoints import rebuild_session
from mule_emulator.runtime.message import (
    CORRELATION_GROUP_SIZE,
    CORRELATION_ID,
    CORRELATION_SEQUENCE,
    REPLY_TO,
    MuleEvent,
    MuleMessage,
    ProcessResult,
)
from mule_emulator.runtime.processors.base import Processor, run_processor
from mule_emulator.runtime.processors.routers import processor_children

REPLY_TO_REQUESTOR = "MULE_REPLYTO_REQUESTOR"
REPLY_TO_STOP = "MULE_REPLY_TO_STOP"

#: How long one poll of the reply queue waits before waiters re-check their state.
_POLL_S = 0.05


class ResponseTimeoutError(MessagingError):
    """Mule's ResponseTimeoutException: no reply within the timeout."""


class _Mailbox:
    """Replies taken from one reply queue, by correlation id (several may share one,
    a collection's); one poller at a time."""

    def __init__(self) -> None:
        self.pending: dict[str, list[MuleMessage]] = {}
        self.condition = threading.Condition()
        self.polling = False


class ReplyWaiter:
    """The waiting half of an asynchronous request-reply (``AbstractAsyncRequest
    ReplyRequester``): replies are taken from the reply endpoint's queue until the one
    with the wanted correlation id arrives; others are kept for their own waiters.
    ``<request-reply>`` and a service's ``<async-reply>`` are built on it."""

    def __init__(self, connector: VMConnector, path: str, timeout_ms: int = 0) -> None:
        self.connector = connector
        self.path = path
        self.timeout_ms = timeout_ms
        self.mailbox = _Mailbox()

    @property
    def reply_address(self) -> str:
        return f"vm://{self.path}?connector={self.connector.name}"

    def deadline(self) -> float | None:
        """When a wait starting now gives up: never when the timeout is <= 0, else
        after the timeout plus Mule's second of grace."""
        if self.timeout_ms <= 0:
            return None
        return time.monotonic() + self.timeout_ms / 1000.0 + 1.0

    def await_reply(
        self, correlation: str, event: MuleEvent, deadline: float | None = None
    ) -> MuleMessage:
        """The next reply with this correlation id, by ``deadline`` (``ResponseTimeout
        Error`` after it)."""
        box = self.mailbox
        while True:
            with box.condition:
                waiting = box.pending.get(correlation)
                if waiting:
                    reply = waiting.pop(0)
                    if not waiting:
                        del box.pending[correlation]
                    return reply
                poll = not box.polling
                if poll:
                    box.polling = True
                else:
                    box.condition.wait(_POLL_S)
            if deadline is not None and time.monotonic() >= deadline:
                raise ResponseTimeoutError(
                    f"No response received within {self.timeout_ms} ms for correlation id "
                    f"{correlation} on {self.reply_address}",
                    event=event,
                )
            if not poll:
                continue
            try:
                if not self.connector.started:
                    raise LifecycleError(f"connector {self.connector.name} stopped")
                taken = self.connector.request(self.path, _POLL_S)
            finally:
                with box.condition:
                    box.polling = False
                    box.condition.notify_all()
            if taken is not None:
                with box.condition:
                    key = taken.correlation_id or taken.id
                    box.pending.setdefault(key, []).append(taken)
                    box.condition.notify_all()

    @staticmethod
    def continue_with(event: MuleEvent, reply: MuleMessage) -> MuleEvent:
        """The caller goes on with the reply message and its own flow variables; a
        session the reply carries is merged (M-6)."""
        session = rebuild_session(reply)
        if session.vars:
            event.session.merge(session)
        return event.with_message(reply)


class RequestReply(ReplyWaiter, Processor):
    """The requester (P-26)."""

    kind = "request-reply"

    def __init__(
        self,
        request: Processor,
        connector: VMConnector,
        path: str,
        reply_address: str | None = None,
        timeout_ms: int = 0,
    ) -> None:
        super().__init__(connector, path, timeout_ms)
        self.request = request
        self._address = reply_address

    @property
    def reply_address(self) -> str:
        return self._address or super().reply_address

    def process(self, event: MuleEvent) -> ProcessResult:
        message = event.message
        correlation = message.correlation_id or message.id
        message.correlation_id = correlation
        message.reply_to = self.reply_address
        message.outbound[REPLY_TO_REQUESTOR] = event.flow_name
        deadline = self.deadline()
        run_processor(self.request, event.copy())
        return self.continue_with(event, self.await_reply(correlation, event, deadline))

    def children(self) -> Sequence[Processor]:
        return (self.request,)

    def start(self) -> None:
        self.request.start()

    def stop(self) -> None:
        self.request.stop()


def deliver_reply(event: MuleEvent, result: ProcessResult, dispatch: Callable[..., Any]) -> bool:
    """The replier (``AsyncReplyToPropertyRequestReplyReplier``): when the event asks
    for a reply (its reply-to destination, else the inbound ``MULE_REPLYTO``), the flow
    did not set ``MULE_REPLY_TO_STOP`` and the result is not addressed back to this very
    flow (``MULE_REPLYTO_REQUESTOR``), ``dispatch(address, payload, outbound_properties)``
    the result with the request's correlation id. True when a reply was sent."""
    address = event.replyto or event.message.inbound.get(REPLY_TO)
    if not address or not isinstance(result, MuleEvent):
        return False
    if str(result.flow_vars.get(REPLY_TO_STOP, "")).lower() == "true":
        return False
    requestor = result.message.outbound.get(REPLY_TO_REQUESTOR)
    if requestor is not None and requestor == event.flow_name:
        return False
    outbound = dict(result.message.outbound)
    request = event.message
    for name in (CORRELATION_ID, CORRELATION_GROUP_SIZE, CORRELATION_SEQUENCE):
        value = request.outbound.get(name, request.inbound.get(name))
        if value is not None:  # the reply keeps the request's correlation
            outbound.setdefault(name, value)
    outbound.pop(REPLY_TO, None)
    dispatch(str(address), result.message.payload, outbound)
    return True


@element(CORE_NS, "request-reply")
def _request_reply(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    children = processor_children(cfg)
    inbound = [c for c in children if isinstance(c, EndpointConfig) and c.role == "inbound"]
    requests = [c for c in children if c not in inbound]
    if len(inbound) != 1 or len(requests) != 1:
        raise ConfigError(
            "<request-reply> needs one outbound processor and one inbound endpoint",
            cfg.location,
        )
    reply_cfg = inbound[0]
    if reply_cfg.scheme != "vm":
        raise ConfigError("<request-reply> replies only over vm:// endpoints", reply_cfg.location)
    connector = ctx.connector_for(reply_cfg)
    connector.configure_queue(reply_cfg.path)
    return RequestReply(
        ctx.processor(requests[0]), connector, reply_cfg.path, None, int(cfg.attr("timeout") or 0)
    )


__all__ = [
    "REPLY_TO_REQUESTOR",
    "REPLY_TO_STOP",
    "ReplyWaiter",
    "RequestReply",
    "ResponseTimeoutError",
    "deliver_reply",
]

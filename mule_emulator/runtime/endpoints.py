"""Inbound and outbound VM endpoints: their processor chains (E8, P-27), MIME checks (E9),
connector default transformers (E11), and what crosses a hop (R7, R8, M-4, M-6).

- An ``InboundEndpoint`` turns a message taken from a queue (or handed over by a send)
  into an event for its flow: session rebuilt from ``MULE_SESSION``, the synchronous flag
  (F-6), MIME check, ``MULE_ORIGINATING_ENDPOINT``, the connector's inbound transformers,
  the endpoint's own processors, then the flow; on the way back (request-response) its
  ``<response>`` processors.
- An ``OutboundEndpoint`` is a processor: its own processors, then a one-way dispatch
  (enqueue, on the dispatcher pool unless the event is sync or transacted, C7) or a
  request-response send (the listening flow runs in this thread, E5).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from mule_emulator import tracing  # teaching views: run --trace hook
from mule_emulator.errors import LifecycleError, MessagingError
from mule_emulator.model.config import EndpointConfig
from mule_emulator.runtime import transactions
from mule_emulator.runtime.message import (
    REPLY_TO,
    ROOT_MESSAGE_ID,
    SOLE_SPELLINGS,
    VOID_EVENT,
    MuleEvent,
    MuleMessage,
    MuleSession,
    ProcessResult,
)
from mule_emulator.runtime.processors.base import Processor, run_chain

if TYPE_CHECKING:
    from mule_emulator.runtime.connectors import VMConnector
    from mule_emulator.runtime.flow import Flow

log = logging.getLogger("mule.endpoint")

MULE_SESSION = "MULE_SESSION"
MULE_ENDPOINT = "MULE_ENDPOINT"
MULE_ORIGINATING_ENDPOINT = "MULE_ORIGINATING_ENDPOINT"
MULE_FORCE_SYNC = "MULE_FORCE_SYNC"
CONTENT_TYPE = "Content-Type"


_URIS: dict[tuple[str, str], str] = {}


def endpoint_uri(config: EndpointConfig) -> str:
    """The endpoint's URI as Mule prints it (``vm://path``).

    One string per address, shared: every message dispatched through an endpoint
    carries it as ``MULE_ENDPOINT``, and a queued message should not hold its own copy."""
    key = (config.scheme, config.path)
    uri = _URIS.get(key)
    if uri is None:
        uri = _URIS.setdefault(key, f"{config.scheme}://{config.path}")
    return uri


def _mime_base(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def check_mime_type(message: MuleMessage, props: Any, expected: str | None) -> None:
    """E9: set the Content-Type when absent; a different primary/sub type is an error."""
    if not expected:
        return
    current = props.get(CONTENT_TYPE)
    if current is None:
        props[CONTENT_TYPE] = expected
        return
    if _mime_base(str(current)) != _mime_base(expected):
        raise MessagingError(
            f'Message contained MIME type "{current}" when "{expected}" was expected'
        )


def rebuild_session(message: MuleMessage, owned: bool = False) -> MuleSession:
    """The session a receiver rebuilds from the inbound ``MULE_SESSION`` (M-6).

    ``owned``: the carried session is this receiver's alone (a send's request, made for
    this call and never queued or redelivered), so it is taken as it is: it was already
    serialised once when the sender attached it."""
    carried = message.inbound.pop(MULE_SESSION, None)
    if isinstance(carried, MuleSession):
        return carried if owned else carried.serialized_copy()
    return MuleSession.of()


def attach_session(message: MuleMessage, session: MuleSession) -> None:
    """Store the session, serialisable values only, as outbound ``MULE_SESSION``."""
    message.outbound[MULE_SESSION] = session.serialized_copy()


# What the transport adds besides MULE_ENDPOINT, and a receiver takes off again.
_TRANSPORT_ONLY = (MULE_SESSION, ROOT_MESSAGE_ID)


class EndpointAddress:
    """What an inbound and an outbound endpoint read alike from their config, worked
    out once when the endpoint is built (the config is frozen): the message path reads
    plain attributes instead of recomputing them per message."""

    config: EndpointConfig
    path: str
    uri: str
    one_way: bool

    def _set_address(self, config: EndpointConfig) -> None:
        self.config = config
        self.path = config.path
        self.uri = endpoint_uri(config)
        self.one_way = config.one_way


class InboundEndpoint(EndpointAddress):
    """A VM inbound endpoint of a flow (or service): the message source's chain."""

    def __init__(
        self,
        config: EndpointConfig,
        connector: VMConnector,
        processors: Sequence[Processor] = (),
        response_processors: Sequence[Processor] = (),
        name: str | None = None,
    ) -> None:
        self._set_address(config)
        self.connector = connector
        self.processors = tuple(processors)
        self.response_processors = tuple(response_processors)
        self.name = name or config.name or endpoint_uri(config)
        self.flow: Flow | None = None
        # X5/P-29: set by redelivery.install (issue 7); wraps the request chain and flow.
        self.redelivery_policy: Any = None
        tx = config.transaction
        self.transacted = tx is not None and tx.transacted
        self.exchange_pattern = config.effective_exchange_pattern
        # The connector's inbound transformers followed by ours, rebuilt only when the
        # connector's tuple is replaced (it is set after the endpoints are built).
        self._chain_key: tuple[Processor, ...] | None = None
        self._chain: tuple[Processor, ...] = ()
        # Neither a MIME check nor response processors: accept_call routes inline.
        self._plain_route = not config.mime_type and not self.response_processors

    def create_event(
        self, message: MuleMessage, owned: bool = False, session: MuleSession | None = None
    ) -> MuleEvent:
        """VM-5/R8: a fresh event for the flow from a message that crossed a hop.

        The message is copied first (a queued message may be delivered again after a
        rollback) unless ``owned``: a send's request, made for this call alone.
        ``session``: the session a send hands over with its request (built without
        ``MULE_SESSION`` and ``MULE_ROOT_MESSAGE_ID``, see ``OutboundEndpoint.send``);
        otherwise it is rebuilt from the inbound ``MULE_SESSION`` (M-6)."""
        flow = self.flow
        if session is not None:
            msg = message
        else:
            carried = message.inbound.get(MULE_SESSION)
            if owned:
                msg = message
                msg.inbound.pop(MULE_SESSION, None)
                msg.inbound.pop(ROOT_MESSAGE_ID, None)
            else:  # the copy goes without the transport's two properties
                msg = message.copy(_TRANSPORT_ONLY)
            if isinstance(carried, MuleSession):
                session = carried if owned else carried.serialized_copy()
            else:
                session = MuleSession.of()
        inbound = msg.inbound
        # MuleEvent.of(...) written out: every flag is known here.
        event = MuleEvent()
        event.message = msg
        event.flow = flow
        event.session = session
        event.flow_vars = {}
        event.exchange_pattern = self.exchange_pattern
        event._transacted = transacted = self.transacted
        event.synchronous = (
            transacted
            or not self.one_way
            or (flow is not None and flow.strategy_is_synchronous)
            or str(inbound.get(MULE_FORCE_SYNC, "")).lower() == "true"
        )
        event.replyto = inbound.get(REPLY_TO)  # the reply-to destination (P-26)
        event.endpoint = self.uri
        return event

    def accept_call(self, message: MuleMessage, session: MuleSession) -> ProcessResult:
        """A send's request on a request-response endpoint: ``create_event(message,
        True, session)`` then ``route_event``, as one call (the hot path of every send).

        ``message`` was made for this call alone, ``session`` handed over beside it."""
        flow = self.flow
        # MuleEvent.of(...) written out, as create_event with a session: a request-response
        # event is synchronous.
        event = MuleEvent()
        event.message = message
        event.flow = flow
        event.session = session
        event.flow_vars = {}
        event.exchange_pattern = self.exchange_pattern
        event._transacted = self.transacted
        event.synchronous = True
        inbound = message.inbound
        data = inbound._data
        # the reply-to destination (P-26): inbound.get(REPLY_TO), its usual answers inline
        if REPLY_TO in data:
            event.replyto = data[REPLY_TO]
        else:
            event.replyto = None if REPLY_TO in SOLE_SPELLINGS else inbound.get(REPLY_TO)
        event.endpoint = self.uri
        if self._plain_route is False or self.redelivery_policy is not None or flow is None:
            return self.route_event(event)
        # route_event, written out for an endpoint without MIME type, redelivery
        # policy and response processors
        if inbound._shared or MULE_ORIGINATING_ENDPOINT not in SOLE_SPELLINGS:
            inbound[MULE_ORIGINATING_ENDPOINT] = self.name
        else:  # the scope's own dict, and no other spelling of the name stored anywhere
            data[MULE_ORIGINATING_ENDPOINT] = self.name
        transformers = self.connector.inbound_transformers
        if transformers is not self._chain_key:
            self._chain = (*transformers, *self.processors)
            self._chain_key = transformers
        chain = self._chain
        result = run_chain(chain, event) if chain else event
        if isinstance(result, MuleEvent):
            return flow.process_from_source(result)
        return result

    def route(
        self, message: MuleMessage, owned: bool = False, session: MuleSession | None = None
    ) -> ProcessResult:
        """Run the request chain and the flow for one message; then, request-response,
        the response processors. Raises ``MessagingError`` on failure. ``owned`` and
        ``session``: see ``create_event``."""
        if self.flow is None:
            raise LifecycleError(f"No flow listens on {self.uri}")
        return self.route_event(self.create_event(message, owned, session))

    def route_event(self, event: MuleEvent) -> ProcessResult:
        assert self.flow is not None
        inbound = event.message.inbound
        if self.config.mime_type:
            try:
                check_mime_type(event.message, inbound, self.config.mime_type)
            except MessagingError as error:
                error.event = event
                raise
        inbound[MULE_ORIGINATING_ENDPOINT] = self.name
        policy = self.redelivery_policy
        result: ProcessResult
        if policy is not None:
            result = policy.around(event, self._request_chain)
        else:  # _request_chain, written out
            transformers = self.connector.inbound_transformers
            if transformers is not self._chain_key:
                self._chain = (*transformers, *self.processors)
                self._chain_key = transformers
            chain = self._chain
            result = run_chain(chain, event) if chain else event
            if isinstance(result, MuleEvent):
                result = self.flow.process_from_source(result)
        if self.one_way or not isinstance(result, MuleEvent) or not self.response_processors:
            return result
        return run_chain(self.response_processors, result)

    def _request_chain(self, event: MuleEvent) -> ProcessResult:
        flow = self.flow
        assert flow is not None
        transformers = self.connector.inbound_transformers
        if transformers is not self._chain_key:
            self._chain = (*transformers, *self.processors)
            self._chain_key = transformers
        chain = self._chain
        result = run_chain(chain, event) if chain else event
        if not isinstance(result, MuleEvent):
            return result
        return flow.process_from_source(result)

    def __repr__(self) -> str:
        return f"<InboundEndpoint {self.uri} ({self.config.effective_exchange_pattern})>"


class OutboundEndpoint(EndpointAddress, Processor):
    """A VM outbound endpoint used as a processor (E4, E5, M-4)."""

    kind = "vm:outbound-endpoint"

    def __init__(
        self,
        config: EndpointConfig,
        connector: VMConnector,
        processors: Sequence[Processor] = (),
        response_processors: Sequence[Processor] = (),
        properties: dict[str, Any] | None = None,
    ) -> None:
        self._set_address(config)
        self.connector = connector
        self.processors = tuple(processors)
        self.response_processors = tuple(response_processors)
        self.properties = dict(properties if properties is not None else config.properties)
        self.location = config.location
        # P-1: only a one-way endpoint may return VoidMuleEvent, so only before one
        # does the chain keep a copy of the event (as Mule's executor asks the
        # endpoint's exchange pattern).
        self.may_return_void = self.one_way
        tx = config.transaction
        # T2: no <transaction> (or INDIFFERENT) changes nothing; decided once here.
        self._plain = tx is None or tx.action == "INDIFFERENT"
        # A request-response endpoint with nothing to run on the caller's message
        # before the send, nor on the reply: ``send_payload`` may skip that message.
        self._bare = (
            self._plain
            and not self.one_way
            and not self.processors
            and not self.response_processors
            and not config.mime_type
        )
        self._chain_key: tuple[Processor, ...] | None = None
        self._chain: tuple[Processor, ...] = ()
        # What a send writes into the request's inbound scope (read, never written:
        # ``to_inbound`` copies it).
        self._request_puts = {MULE_ENDPOINT: self.uri}

    def children(self) -> Sequence[Processor]:
        return (*self.processors, *self.response_processors)

    def process(self, event: MuleEvent, _under_action: bool = False) -> ProcessResult:
        """The endpoint's work: its processors, the connector's transformers, then the
        dispatch or the send. With a transaction action other than INDIFFERENT the
        work runs under it (T2; ``_under_action``: it already does)."""
        if not self._plain and not _under_action:
            # T2: the endpoint's own transaction action wraps its work (issue 7 wiring;
            # the logic lives in transactions.py).
            return transactions.run_outbound(
                self.config.transaction, lambda: self.process(event, True)
            )
        connector = self.connector
        if not connector.started:
            raise LifecycleError(f'Cannot process event as "{connector.name}" is stopped')
        # M-4: endpoint properties go to the invocation scope.
        if self.properties:
            event.flow_vars.update(self.properties)
        transformers = connector.outbound_transformers
        if transformers is not self._chain_key:
            self._chain = (*self.processors, *transformers)
            self._chain_key = transformers
        chain = self._chain
        result = run_chain(chain, event) if chain else event
        if not isinstance(result, MuleEvent):
            return result
        event = result
        if self.config.mime_type:
            check_mime_type(event.message, event.message.outbound, self.config.mime_type)
        if self.one_way:
            message = self.outbound_message(event)
            connector.dispatch(self, message, event)
            return VOID_EVENT
        # E5, R8: call the listening flow in this thread; the reply becomes our message.
        # The request is what ``outbound_message`` makes, except that the session goes
        # to the receiver beside it, not through ``MULE_SESSION`` and back: the
        # receiver would take both transport properties off again at once
        # (``InboundEndpoint.create_event``).
        request = event.message.to_inbound(self._request_puts, _TRANSPORT_ONLY)
        session = event.session
        if session._vars:
            handed = session.serialized_copy()
        else:  # serialized_copy() of an empty session, written out
            handed = MuleSession()
            handed._vars = None
        reply = connector.send(self, request, event, handed)
        if reply is None:
            return None
        # The reply is the connector's own inbound copy of the callee's message (no
        # further copy). Its MULE_SESSION was stored under exactly that spelling
        # (``VMConnector.send``), so the plain dict answers.
        carried = reply.inbound._data.get(MULE_SESSION)
        if isinstance(carried, MuleSession):
            # The carried session stays on the reply (inbound MULE_SESSION); the caller
            # merges a copy of it, unless there is nothing in it to copy (then, with
            # nothing of ours either, the merge would change nothing).
            if carried._vars:
                session.merge(carried.serialized_copy())
            elif session._vars is not None:
                session.merge(carried)
        # event.with_message(reply), written out
        result = MuleEvent()
        result.message = reply
        result.flow = event.flow
        result.session = session
        result.flow_vars = event.flow_vars
        result.exchange_pattern = event.exchange_pattern
        result._transacted = event._transacted
        result.synchronous = event.synchronous
        result.replyto = event.replyto
        result.endpoint = event.endpoint
        if self.response_processors:
            return run_chain(self.response_processors, result)
        return result

    def send_payload(
        self, payload: Any, event_for: Callable[[Any], MuleEvent]
    ) -> MuleMessage | None:
        """A request-response send of a bare payload by a caller that keeps nothing of
        its event (``MuleClient.send`` without properties): the reply message, or None.

        ``process(event_for(payload))`` then the reply's message, as observed: when
        nothing runs before the send (no processors, connector transformers, MIME
        type, transaction action, response processors, trace), the caller's message
        would only be copied into the request and its event, session and flow
        variables dropped with the reply, so the request is built from the payload at
        once (same new id, same properties)."""
        connector = self.connector
        if (
            not self._bare
            or connector.outbound_transformers
            or not connector.started
            or tracing.current.active
        ):
            result = self.process(event_for(payload))
            return result.message if isinstance(result, MuleEvent) else None
        request = MuleMessage.arriving(payload, {MULE_ENDPOINT: self.uri})
        session = MuleSession()  # the caller's empty session, serialised
        session._vars = None
        return connector.send(self, request, None, session)

    def outbound_message(self, event: MuleEvent) -> MuleMessage:
        """What crosses the hop (R7): the inbound copy of the message, with the
        session and endpoint properties attached (M-4) to what becomes its inbound
        scope; the caller's message is left as it was."""
        message = event.message
        return message.to_inbound(
            {
                MULE_ENDPOINT: self.uri,
                ROOT_MESSAGE_ID: message.root_id,
                MULE_SESSION: event.session.serialized_copy(),
            }
        )

    def describe(self) -> str:
        return f"{self.kind} {self.uri}"


__all__ = [
    "CONTENT_TYPE",
    "MULE_ENDPOINT",
    "MULE_ORIGINATING_ENDPOINT",
    "MULE_SESSION",
    "InboundEndpoint",
    "OutboundEndpoint",
    "attach_session",
    "check_mime_type",
    "endpoint_uri",
    "rebuild_session",
]

"""MuleClient: dispatch, send and request, as Mule's ``muleContext.getClient()`` (MC-1, MC-2).

An address is ``vm://path``, ``vm://path?connector=name`` or the name of a global
endpoint (E1). ``properties`` become outbound properties of a new message, so the
receiving flow sees them as inbound properties. A dispatch is a one-way client event,
never sync, so the enqueue itself runs on the connector's dispatcher pool (C7, R11) and
``dispatch`` may return before the message is queued.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from mule_emulator.errors import InputError
from mule_emulator.model.config import EndpointConfig, frozen_map
from mule_emulator.runtime.message import MuleEvent, MuleMessage, MuleSession

if TYPE_CHECKING:
    from mule_emulator.runtime.app import MuleApp
    from mule_emulator.runtime.connectors import VMConnector
    from mule_emulator.runtime.endpoints import OutboundEndpoint


# A system call that returns at once and gives up the GIL around it (getrandom of one
# byte): any thread waiting for the GIL takes it (see ``MuleClient.dispatch``).
_urandom = os.urandom


class ClientConstruct:
    """The pseudo flow "MuleClient" that owns client events (MC-2)."""

    name = "MuleClient"
    exception_strategy = None


CLIENT_CONSTRUCT = ClientConstruct()


def parse_address(address: str) -> tuple[str, str, dict[str, str]]:
    """``vm://path?connector=x`` → ("vm", "path", {"connector": "x"}) (E2)."""
    scheme, sep, rest = address.strip().partition("://")
    if not sep:
        raise InputError(f"'{address}' is neither a vm:// address nor a global endpoint name")
    rest, _, query = rest.partition("?")
    if rest.startswith("localhost/"):
        rest = rest[len("localhost/") :]
    params: dict[str, str] = {}
    for pair in query.split("&") if query else ():
        key, _, value = pair.partition("=")
        if key:
            params[key] = value
    return scheme.lower(), rest, params


def _send_event(payload: Any) -> MuleEvent:
    """A client event for a send of a bare payload (``OutboundEndpoint.send_payload``)."""
    return MuleClient._event(payload, None, "request-response")


class MuleClient:
    """Drives an application the way Mule's LocalMuleClient does."""

    def __init__(self, app: MuleApp) -> None:
        self._app = app
        self._endpoints: dict[tuple[str, str], OutboundEndpoint] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ addresses

    def endpoint_config(self, address: str, pattern: str) -> EndpointConfig:
        """The outbound endpoint config an address stands for (E3: MEP forced)."""
        app_config = self._app.config
        glob = app_config.global_endpoints.get(address)
        if glob is not None:
            return replace(glob, role="outbound", exchange_pattern=pattern)
        scheme, path, params = parse_address(address)
        if scheme != "vm":
            raise InputError(f"'{address}': only vm:// addresses are supported")
        return EndpointConfig(
            role="outbound",
            address=address,
            path=path,
            scheme=scheme,
            params=frozen_map(params),
            exchange_pattern=pattern,
        )

    def outbound(self, address: str, pattern: str) -> OutboundEndpoint:
        key = (address, pattern)
        endpoint = self._endpoints.get(key)  # one dict read: atomic, no lock needed
        if endpoint is None:
            endpoint = self._app.build_context.outbound_endpoint(
                self.endpoint_config(address, pattern)
            )
            with self._lock:
                endpoint = self._endpoints.setdefault(key, endpoint)
        return endpoint

    def connector_and_path(self, address: str) -> tuple[VMConnector, str]:
        config = self.endpoint_config(address, "one-way")
        return self._app.build_context.connector_for(config), config.path

    def reset(self) -> None:
        """Forget built endpoints (the application was rebuilt)."""
        with self._lock:
            self._endpoints.clear()

    # ------------------------------------------------------------------ operations

    @staticmethod
    def _event(payload: Any, properties: Mapping[str, Any] | None, pattern: str) -> MuleEvent:
        message = payload if isinstance(payload, MuleMessage) else MuleMessage(payload)
        if properties:
            outbound = message.outbound
            for key, value in properties.items():
                outbound[key] = value
        # MuleEvent.of(message, flow=CLIENT_CONSTRUCT, exchange_pattern=pattern,
        # synchronous=<request-response>), without the keyword parsing
        event = MuleEvent()
        event.message = message
        event.flow = CLIENT_CONSTRUCT
        event.session = MuleSession.of()
        event.flow_vars = {}
        event.exchange_pattern = pattern
        event._transacted = False
        event.synchronous = pattern == "request-response"
        event.replyto = None
        event.endpoint = None
        return event

    def dispatch(
        self, address: str, payload: Any, properties: Mapping[str, Any] | None = None
    ) -> None:
        """One-way send (E4): the message is queued on the address's path.

        Then the caller gives up the GIL once, so that the dispatcher thread this send
        woke can run, as it would beside the caller in Mule. Under the GIL a caller
        dispatching in a loop otherwise floods the first queue before any stage runs,
        and the stages' threads then contend for it: the one-way chain benchmark fell
        from about 7k to 3k messages/s, at 17-20 voluntary context switches per
        message instead of 4 (README, tuning table). Until message ids became
        time-based, the ``os.urandom`` call in each new id did this by accident.
        ``os.sched_yield`` gives up the CPU as well and measured 10 % slower;
        ``time.sleep(0)`` did not help."""
        self._app.check_running()
        endpoint = self._endpoints.get((address, "one-way"))  # outbound(), written out
        if endpoint is None:
            endpoint = self.outbound(address, "one-way")
        endpoint.process(self._event(payload, properties, "one-way"))
        _urandom(1)  # gives up the GIL (above)

    def send(
        self,
        address: str,
        payload: Any,
        properties: Mapping[str, Any] | None = None,
        timeout_s: float | None = None,
    ) -> MuleMessage | None:
        """Request-response send (E5-E7): the listening flow runs in this thread; the
        reply message, or None. ``timeout_s`` is accepted but VM sends apply none (VM-6)."""
        app = self._app
        if not app.running:
            app.check_running()
        endpoint = self._endpoints.get((address, "request-response"))  # outbound(), written out
        if endpoint is None:
            endpoint = self.outbound(address, "request-response")
        if not properties and not isinstance(payload, MuleMessage):
            # Nothing of the client's message or event outlives the send: the endpoint
            # may build its request from the payload at once.
            return endpoint.send_payload(payload, _send_event)
        result = endpoint.process(self._event(payload, properties, "request-response"))
        return result.message if isinstance(result, MuleEvent) else None

    def request(self, address: str, timeout_s: float) -> MuleMessage | None:
        """Take one message from the address's queue, waiting up to ``timeout_s`` (R11)."""
        self._app.check_running()
        connector, path = self.connector_and_path(address)
        return connector.request(path, timeout_s)


__all__ = ["CLIENT_CONSTRUCT", "MuleClient", "parse_address"]

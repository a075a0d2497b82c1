"""VMConnector: receivers per address, one-way dispatch, request-response send, request.

Mule's VM connector owns no queues (C3): every queue lives in the application's one
``QueueManager`` (C4). What the connector owns is:

- the receivers registry, one per address (R10), which a send consults (E5, E6);
- the queue profile it applies to the queues its endpoints touch (Q6) and the
  ``queueTimeout`` used for offers and polls (R12);
- the dispatcher (C7/VM-4) whose pool runs a one-way dispatch of a non-sync event,
  and the receiver pool (C6) that runs the poll loops and the polled messages.

Both pools belong to the application's ``Engine`` (``engine``): the dispatcher is
registered in its dispatcher phase, the receiver pool with the receivers.
"""

from __future__ import annotations

import fnmatch
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mule_emulator import tracing  # teaching views: run --trace hook
from mule_emulator.errors import (
    ConfigError,
    LifecycleError,
    MessagingError,
    NoReceiverError,
    QueueFullError,
)
from mule_emulator.execution.dispatcher import Dispatcher
from mule_emulator.model.config import ConnectorConfig, ThreadingProfile
from mule_emulator.queues.manager import QueueManager
from mule_emulator.queues.store import QueueStore
from mule_emulator.runtime import transactions
from mule_emulator.runtime.endpoints import MULE_SESSION
from mule_emulator.runtime.message import MuleEvent, MuleMessage, MuleSession
from mule_emulator.runtime.processors.base import Processor

if TYPE_CHECKING:
    from mule_emulator.execution.engine import Engine
    from mule_emulator.execution.thread_pool import ThreadPool
    from mule_emulator.runtime.endpoints import InboundEndpoint, OutboundEndpoint

log = logging.getLogger("mule.transport.vm")

PoolFactory = Callable[[str, "ThreadingProfile | None"], "ThreadPool"]


class VMConnector:
    """One ``<vm:connector>`` (or the implicit default connector, C5)."""

    def __init__(
        self,
        config: ConnectorConfig,
        queue_manager: QueueManager,
        pool_factory: PoolFactory,
        *,
        receiver_threading: ThreadingProfile | None = None,
        dispatcher_threading: ThreadingProfile | None = None,
        persistent: bool = False,
    ) -> None:
        self.config = config
        self.name = config.name
        self.queue_manager = queue_manager
        self.queue_timeout_s = config.effective_queue_timeout_ms / 1000.0
        self.capacity = config.effective_queue_profile.max_outstanding_messages
        self.persistent = persistent
        self.receiver_threading = receiver_threading
        self.dispatcher_threading = dispatcher_threading
        self._pool_factory = pool_factory
        self._receiver_pool: ThreadPool | None = None
        self._dispatcher: Dispatcher | None = None
        self.engine: Engine | None = None  # set by the application that owns the threads
        self.receivers: dict[str, InboundEndpoint] = {}
        self.inbound_transformers: tuple[Processor, ...] = ()
        self.outbound_transformers: tuple[Processor, ...] = ()
        self.started = False
        self._lock = threading.Lock()
        self._settled: set[str] = set()  # paths whose queue exists with our profile
        self._stores: dict[str, QueueStore] = {}
        self._templates: dict[InboundEndpoint, tuple[Any, transactions.TransactionTemplate]] = {}

    # ------------------------------------------------------------------ pools

    @property
    def receiver_pool(self) -> ThreadPool:
        with self._lock:
            if self._receiver_pool is None:
                self._receiver_pool = self._pool_factory(
                    f"{self.name}.receiver", self.receiver_threading
                )
            return self._receiver_pool

    @property
    def dispatcher(self) -> Dispatcher:
        """The one-way dispatcher (C7); registered with the engine when it is made."""
        with self._lock:
            dispatcher = self._dispatcher
            if dispatcher is not None:
                return dispatcher
            pool = self._pool_factory(f"{self.name}.dispatcher", self.dispatcher_threading)
            dispatcher = self._dispatcher = Dispatcher(f"{self.name}.dispatcher", pool)
            engine = self.engine
        if engine is not None:
            engine.register_dispatcher(dispatcher)
        return dispatcher

    @property
    def dispatcher_pool(self) -> ThreadPool:
        return self.dispatcher.pool

    # ------------------------------------------------------------------ queues

    def configure_queue(self, path: str) -> None:
        """Q6: give the path's queue this connector's profile."""
        if path in self._settled:
            return
        manager = self.queue_manager
        manager.configure(path, self.capacity, self.persistent)
        # Once the queue exists the manager refuses any other configuration (MULE-7420),
        # so ours can never change again: later dispatches skip the manager's lock.
        if manager.exists(path):
            self._settled.add(path)

    def queue(self, path: str) -> QueueStore:
        store = self._stores.get(path)
        if store is None:  # the manager keeps a queue for the application's life
            store = self._stores.setdefault(path, self.queue_manager.get(path))
        return store

    # ------------------------------------------------------------------ receivers

    def register_receiver(self, endpoint: InboundEndpoint) -> None:
        """R10: one receiver per address per connector."""
        with self._lock:
            if endpoint.path in self.receivers:
                raise ConfigError(
                    "There is already a listener registered on this connector on endpointUri: "
                    f"{endpoint.uri}",
                    endpoint.config.location,
                )
            self.receivers[endpoint.path] = endpoint
        if endpoint.one_way:
            self.configure_queue(endpoint.path)

    def unregister_receiver(self, endpoint: InboundEndpoint) -> None:
        with self._lock:
            if self.receivers.get(endpoint.path) is endpoint:
                del self.receivers[endpoint.path]

    def receiver_for(self, path: str) -> InboundEndpoint | None:
        """Exact address first, then wildcard receivers (VM-9). Only started flows count."""
        # One dict read is atomic: the exact match needs no lock, only the scan does.
        exact = self.receivers.get(path)
        if exact is not None:
            flow = exact.flow
            return exact if flow is not None and flow.source_started else None
        with self._lock:
            candidates = [
                r
                for key, r in self.receivers.items()
                if "*" in key and fnmatch.fnmatchcase(path, key)
            ]
        for receiver in candidates:
            flow = receiver.flow
            if flow is not None and flow.source_started:
                return receiver
        return None

    # ------------------------------------------------------------------ one-way

    def dispatch(self, endpoint: OutboundEndpoint, message: MuleMessage, event: MuleEvent) -> None:
        """E4/VM-3/C7: enqueue ``message`` on the endpoint's path; on the dispatcher pool
        unless the event is sync or transacted (then here, and errors reach the caller)."""
        if endpoint.path not in self._settled:
            self.configure_queue(endpoint.path)
        if tracing.current.active:  # trace hook
            tracing.current.emit("dispatch", flow=event.flow_name, address=endpoint.uri, mode="caller's thread" if event.synchronous or event.transacted or not self.dispatcher.pool.threading else "dispatcher pool", message=message.id)  # noqa: E501
        if event.synchronous or event.transacted:
            self.enqueue(endpoint.path, message, endpoint.uri)
            return

        def task() -> None:
            try:
                self.enqueue(endpoint.path, message, endpoint.uri)
            except Exception as exc:  # E-13: the system exception strategy only logs
                log.error("Failed to dispatch to %s: %s", endpoint.uri, exc)

        dispatcher = self._dispatcher  # made once: no lock once it exists
        if dispatcher is None:
            dispatcher = self.dispatcher
        dispatcher.dispatch(task)

    def enqueue(self, path: str, message: MuleMessage, uri: str | None = None) -> None:
        """Offer ``message`` with ``queueTimeout`` (Q7); a transaction holds it until commit."""
        store = self._stores.get(path)  # queue(path), written out once the store is known
        if store is None:
            store = self.queue(path)
        if tracing.current.active:  # trace hook
            tracing.current.emit("enqueue", queue=f"vm://{path}", depth_before=store.size(), capacity=store.capacity, timeout_ms=int(self.queue_timeout_s * 1000), message=message.id, tx=getattr(transactions.current_transaction(), "id", None))  # noqa: E501
        if not transactions.queue_offer(store, message, self.queue_timeout_s):
            if tracing.current.active:  # trace hook
                tracing.current.emit("queue-full", queue=f"vm://{path}", depth=store.size(), timeout_ms=int(self.queue_timeout_s * 1000), message=message.id)  # noqa: E501
            raise QueueFullError(
                f"Queue '{path}' is full (max capacity: {store.size()}). Failed to route event "
                f"via endpoint: {uri or 'vm://' + path}"
            )

    # ------------------------------------------------------------------ request-response

    def send(
        self,
        endpoint: OutboundEndpoint,
        message: MuleMessage,
        event: MuleEvent | None,
        session: MuleSession | None = None,
    ) -> MuleMessage | None:
        """E5/E6: find the receiver for the path and run its flow in this thread; the
        reply as the caller receives it (the callee's outbound properties and its
        serialised session as ``MULE_SESSION`` in its inbound scope), or None.
        ``session``: handed to the receiver with ``message`` (``InboundEndpoint.create_event``).
        ``event``: the sender's, for the trace (None: a bare send outside a trace,
        ``OutboundEndpoint.send_payload``)."""
        receiver = self.receivers.get(endpoint.path)  # receiver_for's exact match, inline
        flow = None if receiver is None else receiver.flow
        if flow is None or not flow.source_started:
            receiver = self.receiver_for(endpoint.path)
            flow = None if receiver is None else receiver.flow
        if tracing.current.active:  # trace hook
            tracing.current.emit("send", flow=event.flow_name if event else "MuleClient", address=endpoint.uri, target=receiver.flow.name if receiver and receiver.flow else None, message=message.id)  # noqa: E501
        if receiver is None:
            raise NoReceiverError(
                f'There is no receiver registered on connector "{self.name}" for endpointUri '
                f"{endpoint.uri}. Failed to route event via endpoint: {endpoint.uri}"
            )
        if receiver.one_way or session is None:
            reply = self.on_call(receiver, message, True, session)
            if reply is not None:
                reply.turn_inbound()
            return reply
        # on_call for a request-response receiver, written out (the hot path of a send)
        assert flow is not None
        found = self._templates.get(receiver)
        if found is not None and found[0] is flow.exception_strategy:
            template = found[1]
        else:
            template = self._template(receiver, flow.exception_strategy)
        try:
            if template.plain_handling:  # template.execute, written out
                try:
                    result = receiver.accept_call(message, session)
                except MessagingError as error:
                    result = template.failed(error)
            else:
                result = template.execute(receiver.accept_call, message, session)
        except MessagingError as error:
            failed = error.event if isinstance(error.event, MuleEvent) else None
            if failed is None:
                return None
            result = failed
        if not isinstance(result, MuleEvent):
            return None
        # _reply then turn_inbound, in one copy
        callee = result.session
        if callee._vars:
            carried = callee.serialized_copy()
        else:  # serialized_copy() of an empty session, written out
            carried = MuleSession()
            carried._vars = None
        return result.message.to_inbound({MULE_SESSION: carried}, put_is_yours=True)

    def on_call(
        self,
        receiver: InboundEndpoint,
        message: MuleMessage,
        owned: bool = False,
        session: MuleSession | None = None,
    ) -> MuleMessage | None:
        """VM-7/R9: what a send returns, run inside the receiver's execution template.
        ``owned`` and ``session``: ``message`` was made for this call alone, the
        session handed over beside it (``InboundEndpoint.create_event``)."""
        flow = receiver.flow
        assert flow is not None
        handler = flow.exception_strategy
        found = self._templates.get(receiver)
        template = found[1] if found is not None and found[0] is handler else None
        if template is None:
            template = self._template(receiver, handler)
        if receiver.one_way:
            return self._call_one_way(receiver, template, message, owned, session)
        try:
            # receiver.route, without its flow check (asserted above) and a closure
            result = template.execute(
                receiver.route_event, receiver.create_event(message, owned, session)
            )
        except MessagingError as error:
            failed = error.event if isinstance(error.event, MuleEvent) else None
            if failed is None:
                return None
            return self._reply(failed)
        if not isinstance(result, MuleEvent):
            return None
        return self._reply(result)

    def _call_one_way(
        self,
        receiver: InboundEndpoint,
        template: transactions.TransactionTemplate,
        message: MuleMessage,
        owned: bool,
        session: MuleSession | None,
    ) -> MuleMessage | None:
        """A send to a one-way receiver: a reply only when its flow failed and the
        exception strategy handled the failure."""
        handled: list[bool] = []

        def work() -> Any:
            try:
                return receiver.route(message, owned, session)
            except MessagingError as error:
                handled.append(True)
                raise error

        try:
            result = template.execute(work)
        except MessagingError:
            return None
        if not isinstance(result, MuleEvent) or not handled:
            return None
        return self._reply(result)

    def _template(
        self, receiver: InboundEndpoint, handler: Any
    ) -> transactions.TransactionTemplate:
        """The receiver's main execution template, made once per (receiver, strategy):
        a template holds only its settings."""
        found = self._templates.get(receiver)
        if found is not None and found[0] is handler:
            return found[1]
        template = transactions.main_template(receiver.config.transaction, handler)
        self._templates[receiver] = (handler, template)
        return template

    @staticmethod
    def _reply(event: MuleEvent) -> MuleMessage:
        """The callee's message as it answers: a copy carrying the serialised session
        as outbound ``MULE_SESSION`` (``attach_session``, in the copy's one dict)."""
        return event.message.copy(put_outbound={MULE_SESSION: event.session.serialized_copy()})

    # ------------------------------------------------------------------ request

    def request(self, path: str, timeout_s: float) -> MuleMessage | None:
        """R11: poll the path's queue for up to ``timeout_s``; connector inbound
        transformers apply to the result."""
        self.configure_queue(path)
        item = transactions.queue_take(self.queue(path), timeout_s)
        if item is None:
            return None
        message = item if isinstance(item, MuleMessage) else getattr(item, "message", None)
        if not isinstance(message, MuleMessage):
            return None
        if self.inbound_transformers:
            from mule_emulator.runtime.processors.base import run_chain

            result = run_chain(self.inbound_transformers, MuleEvent.of(message))
            if isinstance(result, MuleEvent):
                message = result.message
        return message

    # ------------------------------------------------------------------ lifecycle

    def attach(self, engine: Engine) -> None:
        """Hand this connector's threads to ``engine``: the dispatcher now, the receiver
        pool with the receivers that use it."""
        with self._lock:
            self.engine = engine
            dispatcher = self._dispatcher
        if dispatcher is None:
            self.dispatcher  # noqa: B018  (made now, and so registered)
        else:
            engine.register_dispatcher(dispatcher)

    def start(self) -> None:
        """Accept dispatches. Without an engine (a connector used on its own) the pools
        are started here; with one, the engine starts them in its order."""
        with self._lock:
            self.started = True
            engine = self.engine
            pools = [p for p in (self._receiver_pool, self._dispatcher_pool()) if p is not None]
        if engine is None:
            for pool in pools:
                pool.start()

    def stop(self, wait_s: float = 5.0) -> None:
        """Stop accepting dispatches; dispatcher work accepted so far finishes first
        (the engine has normally shut the pools down already; this is idempotent)."""
        with self._lock:
            self.started = False
            pools = [p for p in (self._dispatcher_pool(), self._receiver_pool) if p is not None]
        for pool in pools:
            pool.shutdown(wait_s)

    def _dispatcher_pool(self) -> ThreadPool | None:
        return self._dispatcher.pool if self._dispatcher is not None else None

    def check_started(self) -> None:
        if not self.started:
            raise LifecycleError(f'Cannot process event as "{self.name}" is stopped')

    def __repr__(self) -> str:
        return f"<VMConnector {self.name}>"


__all__ = ["PoolFactory", "VMConnector"]

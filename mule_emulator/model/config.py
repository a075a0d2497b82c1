"""AppConfig and its parts: the configuration as frozen values, parsed once.

These dataclasses carry no behaviour and know nothing of XML. The parser
(``model/parser.py``) builds them from validated trees; the builder
(``runtime/builder.py``) turns them into live objects; the teaching views read them.

Conventions:

- Every value that Mule gives a default keeps ``None`` when the config did not set it,
  so "explicit or default" stays visible (the explain view needs it). The ``effective_*``
  helpers and the ``DEFAULT_*`` constants give Mule 3.9's defaults.
- Times are milliseconds (``*_ms``), as in Mule's attributes.
- ``location`` says where an element stands (file, line, element path).
- Processors that have no typed class here are ``ElementConfig``: the element's namespace
  and local name, its attributes (placeholders already resolved) and its children, in
  document order. Endpoints inside flows and routers are ``EndpointConfig`` so that the
  runtime and the checks see addresses without re-parsing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Union

from mule_emulator.errors import SourceLocation

# Namespaces the project bundles and executes.
CORE_NS = "http://www.mulesoft.org/schema/mule/core"
VM_NS = "http://www.mulesoft.org/schema/mule/vm"
TEST_NS = "http://www.mulesoft.org/schema/mule/test"
SPRING_BEANS_NS = "http://www.springframework.org/schema/beans"
SPRING_CONTEXT_NS = "http://www.springframework.org/schema/context"
DOC_NS = "http://www.mulesoft.org/schema/mule/documentation"

# Mule 3.9 defaults (spec references in brackets).
DEFAULT_QUEUE_TIMEOUT_MS = 200  # DefaultMuleConfiguration.defaultQueueTimeout [C2]
DEFAULT_CONNECTOR_NAME = "connector.VM.mule.default"  # [C5]
DEFAULT_CONCURRENT_TX_RECEIVERS = 4  # [C2]
DEFAULT_RESPONSE_TIMEOUT_MS = 10_000
DEFAULT_TRANSACTION_TIMEOUT_MS = 30_000
DEFAULT_SHUTDOWN_TIMEOUT_MS = 5_000
DEFAULT_EXCHANGE_PATTERN = "one-way"  # vm.properties [C1]

POOL_EXHAUSTED_ACTIONS = ("WAIT", "DISCARD", "DISCARD_OLDEST", "ABORT", "RUN")
EXCHANGE_PATTERNS = ("one-way", "request-response")
TRANSACTION_ACTIONS = (
    "ALWAYS_BEGIN",
    "BEGIN_OR_JOIN",
    "ALWAYS_JOIN",
    "JOIN_IF_POSSIBLE",
    "NONE",
    "NOT_SUPPORTED",
    "INDIFFERENT",
    "NEVER",
)
# Actions that make a receiver transacted when it is built (R2).
TRANSACTED_ACTIONS = frozenset({"ALWAYS_BEGIN", "BEGIN_OR_JOIN", "ALWAYS_JOIN"})

PROCESSING_STRATEGY_KEYWORDS = (
    "default",
    "synchronous",
    "non-blocking",
    "asynchronous",
    "queued-asynchronous",
    "thread-per-processor",
    "queued-thread-per-processor",
)
ASYNC_STRATEGY_KINDS = frozenset(
    {"asynchronous", "queued-asynchronous", "thread-per-processor", "queued-thread-per-processor"}
)


def frozen_map(values: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    """A read-only mapping, so config values stay frozen all the way down."""
    return MappingProxyType(dict(values or {}))


def _empty_map() -> Mapping[str, Any]:
    return frozen_map()


# --------------------------------------------------------------------------- generic


@dataclass(frozen=True)
class ElementConfig:
    """Any element without a typed config class: processors, filters, transformers, routers.

    ``namespace`` is the element's namespace URI, ``name`` its local name
    (``logger``, ``choice``, ``component``, ...). ``attributes`` are unqualified
    attribute names to values, placeholders resolved, ``doc:`` attributes dropped.
    ``children`` keep document order and may contain ``EndpointConfig`` values.
    ``text`` is the element's own text (``test:return-data``), stripped, or None.
    """

    namespace: str
    name: str
    attributes: Mapping[str, str] = field(default_factory=_empty_map)
    children: tuple[ProcessorConfig, ...] = ()
    text: str | None = None
    location: SourceLocation = field(default_factory=SourceLocation)

    @property
    def qname(self) -> str:
        """``prefix:name`` with the conventional prefix for bundled namespaces."""
        prefix = _PREFIXES.get(self.namespace)
        return f"{prefix}:{self.name}" if prefix else self.name

    def attr(self, key: str, default: str | None = None) -> str | None:
        return self.attributes.get(key, default)

    def child(self, name: str) -> ElementConfig | None:
        """The first child element with this local name, if any."""
        for c in self.children:
            if isinstance(c, ElementConfig) and c.name == name:
                return c
        return None

    def children_named(self, name: str) -> tuple[ElementConfig, ...]:
        return tuple(c for c in self.children if isinstance(c, ElementConfig) and c.name == name)


_PREFIXES = {CORE_NS: "", VM_NS: "vm", TEST_NS: "test", SPRING_BEANS_NS: "spring"}


# --------------------------------------------------------------------------- profiles


@dataclass(frozen=True)
class ThreadingProfile:
    """A threading profile (TP-1/TP-2). ``None`` fields fall back to the profile it
    inherits from (connector → configuration default → Mule's constants)."""

    max_threads_active: int | None = None
    max_threads_idle: int | None = None
    thread_ttl_ms: int | None = None
    pool_exhausted_action: str | None = None  # one of POOL_EXHAUSTED_ACTIONS, normalised
    thread_wait_timeout_ms: int | None = None
    max_buffer_size: int | None = None
    do_threading: bool | None = None
    location: SourceLocation = field(default_factory=SourceLocation)


# Mule's constants (DefaultThreadingProfileConfig) as a fully resolved profile.
MULE_DEFAULT_THREADING = ThreadingProfile(
    max_threads_active=16,
    max_threads_idle=1,
    thread_ttl_ms=60_000,
    pool_exhausted_action="RUN",
    thread_wait_timeout_ms=30_000,
    max_buffer_size=0,
    do_threading=True,
)


def merge_threading(*profiles: ThreadingProfile | None) -> ThreadingProfile:
    """Resolve a profile chain, most specific first; Mule's constants fill the rest."""
    values: dict[str, Any] = {}
    for name in (
        "max_threads_active",
        "max_threads_idle",
        "thread_ttl_ms",
        "pool_exhausted_action",
        "thread_wait_timeout_ms",
        "max_buffer_size",
        "do_threading",
    ):
        chosen = None
        for p in (*profiles, MULE_DEFAULT_THREADING):
            if p is not None and getattr(p, name) is not None:
                chosen = getattr(p, name)
                break
        values[name] = chosen
    return ThreadingProfile(**values)


@dataclass(frozen=True)
class QueueStoreConfig:
    """The store child of a queue profile or queued strategy (Q4).

    ``kind``: ``default-in-memory``, ``simple-in-memory``, ``default-persistent``,
    ``file``, ``ref`` (``<queue-store ref=>``) or ``custom`` (a class).
    ``persistent`` is known for the built-in kinds; for ``ref``/``custom`` the builder
    asks the referenced object (None here).
    """

    kind: str = "default-in-memory"
    ref: str | None = None
    class_name: str | None = None
    persistent: bool | None = False
    location: SourceLocation = field(default_factory=SourceLocation)


@dataclass(frozen=True)
class QueueProfile:
    """``<vm:queue-profile>`` / ``<queue-profile>`` (Q1): capacity (0 = unbounded) and store."""

    max_outstanding_messages: int = 0
    store: QueueStoreConfig = field(default_factory=QueueStoreConfig)
    location: SourceLocation = field(default_factory=SourceLocation)


# --------------------------------------------------------------------------- transactions


@dataclass(frozen=True)
class TransactionConfig:
    """``vm:transaction``, ``custom-transaction``, ``xa-transaction`` (and friends).

    ``kind``: ``vm``, ``custom``, ``xa``, ``multi`` or ``other`` (a non-bundled namespace).
    """

    kind: str
    action: str = "NONE"
    timeout_ms: int | None = None
    factory_class: str | None = None
    interaction_with_external: str | None = None
    factory_ref: str | None = None  # custom-transaction factory-ref= (a bean name)
    location: SourceLocation = field(default_factory=SourceLocation)

    @property
    def transacted(self) -> bool:
        """Whether a receiver built with this config is transacted (R2)."""
        return self.action in TRANSACTED_ACTIONS


# --------------------------------------------------------------------------- connectors


@dataclass(frozen=True)
class ConnectorConfig:
    """``<vm:connector>``, or the implicit ``connector.VM.mule.default`` (``implicit``)."""

    name: str
    protocol: str = "vm"
    queue_timeout_ms: int | None = None
    queue_profile: QueueProfile | None = None
    receiver_threading: ThreadingProfile | None = None
    dispatcher_threading: ThreadingProfile | None = None
    number_of_concurrent_transacted_receivers: int | None = None
    create_multiple_transacted_receivers: bool | None = None
    validate_connections: bool | None = None
    dynamic_notification: bool | None = None
    service_overrides: Mapping[str, str] = field(default_factory=_empty_map)
    properties: Mapping[str, Any] = field(default_factory=_empty_map)
    implicit: bool = False
    location: SourceLocation = field(default_factory=SourceLocation)

    @property
    def effective_queue_timeout_ms(self) -> int:
        return (
            self.queue_timeout_ms if self.queue_timeout_ms is not None else DEFAULT_QUEUE_TIMEOUT_MS
        )

    @property
    def effective_queue_profile(self) -> QueueProfile:
        return self.queue_profile or QueueProfile()

    @property
    def effective_tx_receivers(self) -> int:
        n = self.number_of_concurrent_transacted_receivers
        return n if n is not None else DEFAULT_CONCURRENT_TX_RECEIVERS


# --------------------------------------------------------------------------- endpoints


@dataclass(frozen=True)
class EndpointConfig:
    """An endpoint: global (``<vm:endpoint>``, ``<endpoint>``), inbound or outbound.

    ``role`` is ``global``, ``inbound`` or ``outbound``. ``address`` is the full URI as
    written or built (``vm://path?params``); ``path`` the queue name (E2); ``params`` the
    URI query parameters (``connector``, ``responseTransformers`` ...). ``ref`` names a
    global endpoint this one is based on; the parser merges the global's settings into
    the referencing endpoint (the referencing endpoint's own values win) and keeps
    ``ref`` for the views. ``exchange_pattern`` None means the transport default
    (one-way). ``processors`` are the nested transformers/filters/processors in order,
    plus those named by ``transformer-refs``; ``response_processors`` those of
    ``<response>`` and ``responseTransformer-refs``.
    """

    role: str
    address: str
    path: str
    scheme: str = "vm"
    name: str | None = None
    ref: str | None = None
    connector_ref: str | None = None
    exchange_pattern: str | None = None
    transaction: TransactionConfig | None = None
    processors: tuple[ProcessorConfig, ...] = ()
    response_processors: tuple[ProcessorConfig, ...] = ()
    properties: Mapping[str, str] = field(default_factory=_empty_map)
    params: Mapping[str, str] = field(default_factory=_empty_map)
    mime_type: str | None = None
    encoding: str | None = None
    response_timeout_ms: int | None = None
    redelivery_policy: ElementConfig | None = None
    location: SourceLocation = field(default_factory=SourceLocation)

    @property
    def effective_exchange_pattern(self) -> str:
        return self.exchange_pattern or DEFAULT_EXCHANGE_PATTERN

    @property
    def one_way(self) -> bool:
        return self.effective_exchange_pattern == "one-way"

    @property
    def connector_name(self) -> str | None:
        """The connector named on the endpoint (attribute first, then ``?connector=``)."""
        return self.connector_ref or self.params.get("connector")


ProcessorConfig = ElementConfig | EndpointConfig


# --------------------------------------------------------------------------- strategies


@dataclass(frozen=True)
class ProcessingStrategyConfig:
    """A processing strategy: a keyword on a flow or a global strategy element (PS)."""

    kind: str  # one of PROCESSING_STRATEGY_KEYWORDS, or "custom"
    name: str | None = None
    max_threads: int | None = None
    min_threads: int | None = None
    max_buffer_size: int | None = None
    thread_ttl_ms: int | None = None
    thread_wait_timeout_ms: int | None = None
    pool_exhausted_action: str | None = None
    max_queue_size: int | None = None
    queue_timeout_ms: int | None = None
    queue_store: QueueStoreConfig | None = None
    class_name: str | None = None
    properties: Mapping[str, Any] = field(default_factory=_empty_map)
    location: SourceLocation = field(default_factory=SourceLocation)


@dataclass(frozen=True)
class ExceptionStrategyConfig:
    """An exception strategy (E-1).

    ``kind``: ``default``, ``catch``, ``rollback``, ``choice``, ``reference`` or
    ``custom``. ``processors`` run when the strategy handles an exception.
    ``strategies`` are a choice's children; ``ref`` a reference's target;
    ``commit_patterns``/``rollback_patterns`` the default strategy's filters.
    """

    kind: str
    name: str | None = None
    when: str | None = None
    processors: tuple[ProcessorConfig, ...] = ()
    max_redelivery_attempts: int | None = None
    on_redelivery_attempts_exceeded: tuple[ProcessorConfig, ...] | None = None
    strategies: tuple[ExceptionStrategyConfig, ...] = ()
    ref: str | None = None
    class_name: str | None = None
    commit_patterns: tuple[str, ...] = ()
    rollback_patterns: tuple[str, ...] = ()
    stop_message_processing: bool = False
    enable_notifications: bool = True
    log_exception: str | None = None
    location: SourceLocation = field(default_factory=SourceLocation)


# --------------------------------------------------------------------------- constructs


@dataclass(frozen=True)
class FlowConfig:
    """``<flow>`` (F-1). ``source`` is the message source: an inbound endpoint, or an
    ``ElementConfig`` for ``poll``/``composite-source``/``custom-source``; None for a
    private flow. ``processors`` keep document order and include ``response`` blocks
    (ElementConfig ``response``) where they stand. ``processing_strategy`` is the
    attribute as written (keyword or global strategy name), None when absent."""

    name: str
    source: ProcessorConfig | None = None
    processors: tuple[ProcessorConfig, ...] = ()
    exception_strategy: ExceptionStrategyConfig | None = None
    processing_strategy: str | None = None
    initial_state: str = "started"
    location: SourceLocation = field(default_factory=SourceLocation)


@dataclass(frozen=True)
class SubFlowConfig:
    """``<sub-flow>`` (P-9): processors only."""

    name: str
    processors: tuple[ProcessorConfig, ...] = ()
    location: SourceLocation = field(default_factory=SourceLocation)


@dataclass(frozen=True)
class ServiceConfig:
    """``<service>`` in a ``<model>`` (S-1). ``inbound`` holds the inbound endpoints;
    ``inbound_routers`` the rest of ``<inbound>`` (routers, filters, catch-all).
    ``component`` is the component element or None (pass-through). ``outbound`` holds
    the outbound routers in order (each an ElementConfig whose children include its
    endpoints)."""

    name: str
    model: str
    inbound: tuple[EndpointConfig, ...] = ()
    inbound_routers: tuple[ProcessorConfig, ...] = ()
    component: ElementConfig | None = None
    outbound: tuple[ElementConfig, ...] = ()
    outbound_match_all: bool = False
    outbound_catch_all: ElementConfig | None = None
    async_reply: ElementConfig | None = None
    exception_strategy: ExceptionStrategyConfig | None = None
    threading_profile: ThreadingProfile | None = None
    queue_profile: QueueProfile | None = None
    queue_timeout_ms: int | None = None
    initial_state: str = "started"
    class_name: str | None = None
    location: SourceLocation = field(default_factory=SourceLocation)


@dataclass(frozen=True)
class ModelConfig:
    """``<model>`` / ``<seda-model>``: defaults its services inherit (S-2)."""

    name: str
    exception_strategy: ExceptionStrategyConfig | None = None
    queue_profile: QueueProfile | None = None
    services: tuple[ServiceConfig, ...] = ()
    location: SourceLocation = field(default_factory=SourceLocation)


# --------------------------------------------------------------------------- spring


@dataclass(frozen=True)
class BeanRef:
    """A ``ref`` to another bean by name."""

    name: str


BeanValue = Union[str, BeanRef, "BeanConfig", tuple[Any, ...], Mapping[str, Any], None]


@dataclass(frozen=True)
class BeanConfig:
    """A Spring ``<bean>`` (or a bean-like ``<spring:property>`` holder): class and properties."""

    name: str | None
    class_name: str | None
    properties: Mapping[str, Any] = field(default_factory=_empty_map)
    constructor_args: tuple[Any, ...] = ()
    scope: str | None = None
    location: SourceLocation = field(default_factory=SourceLocation)


# --------------------------------------------------------------------------- application


@dataclass(frozen=True)
class MuleConfiguration:
    """``<configuration>`` (section 11 of flows-and-threads.md)."""

    default_processing_strategy: str | None = None
    default_exception_strategy_ref: str | None = None
    default_response_timeout_ms: int | None = None
    default_transaction_timeout_ms: int | None = None
    shutdown_timeout_ms: int | None = None
    default_object_serializer_ref: str | None = None
    flow_ending_with_one_way_endpoint_returns_null: bool = False
    enricher_propagates_session_variable_changes: bool = False
    default_threading: ThreadingProfile | None = None
    default_dispatcher_threading: ThreadingProfile | None = None
    default_receiver_threading: ThreadingProfile | None = None
    default_service_threading: ThreadingProfile | None = None
    location: SourceLocation = field(default_factory=SourceLocation)


@dataclass(frozen=True)
class UnsupportedElement:
    """Content the runtime cannot execute: a non-bundled namespace element, an element
    of a bundled namespace the runtime does not implement, or similar."""

    qname: str
    reason: str
    location: SourceLocation = field(default_factory=SourceLocation)


@dataclass(frozen=True)
class AppConfig:
    """One application: one or more config files merged into one set of named parts.

    Mappings are keyed by name and keep document order. ``global_elements`` holds named
    top-level processors, transformers, filters and processor-chains (ElementConfig),
    which ``ref=`` attributes point at. ``classes`` lists every Java class name the
    configuration mentions with where (for the class map's start-up check).
    """

    name: str
    files: tuple[str, ...] = ()
    configuration: MuleConfiguration = field(default_factory=MuleConfiguration)
    connectors: Mapping[str, ConnectorConfig] = field(default_factory=_empty_map)
    global_endpoints: Mapping[str, EndpointConfig] = field(default_factory=_empty_map)
    flows: Mapping[str, FlowConfig] = field(default_factory=_empty_map)
    sub_flows: Mapping[str, SubFlowConfig] = field(default_factory=_empty_map)
    models: Mapping[str, ModelConfig] = field(default_factory=_empty_map)
    processing_strategies: Mapping[str, ProcessingStrategyConfig] = field(
        default_factory=_empty_map
    )
    exception_strategies: Mapping[str, ExceptionStrategyConfig] = field(default_factory=_empty_map)
    global_elements: Mapping[str, ElementConfig] = field(default_factory=_empty_map)
    beans: Mapping[str, BeanConfig] = field(default_factory=_empty_map)
    queue_stores: Mapping[str, QueueStoreConfig] = field(default_factory=_empty_map)
    properties: Mapping[str, str] = field(default_factory=_empty_map)
    classes: tuple[tuple[str, SourceLocation], ...] = ()
    unsupported: tuple[UnsupportedElement, ...] = ()
    # Top-level elements without a name and without a typed place (jboss-transaction-
    # manager, notifications, ...), in document order.
    other_elements: tuple[ElementConfig, ...] = ()

    @property
    def services(self) -> tuple[ServiceConfig, ...]:
        return tuple(s for m in self.models.values() for s in m.services)


__all__ = [
    "ASYNC_STRATEGY_KINDS",
    "CORE_NS",
    "DEFAULT_CONNECTOR_NAME",
    "DEFAULT_QUEUE_TIMEOUT_MS",
    "MULE_DEFAULT_THREADING",
    "SPRING_BEANS_NS",
    "TEST_NS",
    "VM_NS",
    "AppConfig",
    "BeanConfig",
    "BeanRef",
    "ConnectorConfig",
    "ElementConfig",
    "EndpointConfig",
    "ExceptionStrategyConfig",
    "FlowConfig",
    "ModelConfig",
    "MuleConfiguration",
    "ProcessingStrategyConfig",
    "ProcessorConfig",
    "QueueProfile",
    "QueueStoreConfig",
    "ServiceConfig",
    "SubFlowConfig",
    "ThreadingProfile",
    "TransactionConfig",
    "UnsupportedElement",
    "frozen_map",
    "merge_threading",
]

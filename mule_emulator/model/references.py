"""Name resolution over a parsed AppConfig: which connector an endpoint uses (spec C5),
every endpoint anywhere with its owner, and lookups by name for ``ref=`` attributes,
exception-strategy references and processing strategies.

These are pure functions of the frozen config, so the runtime builder, the semantic
checks and the teaching views all resolve names the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from mule_emulator.errors import ConfigError, UnresolvedReferenceError, UnsupportedError
from mule_emulator.model.config import (
    DEFAULT_CONNECTOR_NAME,
    PROCESSING_STRATEGY_KEYWORDS,
    AppConfig,
    BeanConfig,
    ConnectorConfig,
    ElementConfig,
    EndpointConfig,
    ExceptionStrategyConfig,
    FlowConfig,
    ModelConfig,
    ProcessingStrategyConfig,
    ProcessorConfig,
    QueueStoreConfig,
    ServiceConfig,
    SubFlowConfig,
)

Named = (
    ConnectorConfig
    | EndpointConfig
    | FlowConfig
    | SubFlowConfig
    | ModelConfig
    | ServiceConfig
    | ProcessingStrategyConfig
    | ExceptionStrategyConfig
    | ElementConfig
    | BeanConfig
    | QueueStoreConfig
)


# ----------------------------------------------------------------------------- connectors


def vm_connectors(app: AppConfig) -> tuple[ConnectorConfig, ...]:
    """Connectors that support ``vm``, in document order."""
    return tuple(c for c in app.connectors.values() if c.protocol == "vm")


def default_connector(app: AppConfig) -> ConnectorConfig:
    """The implicit connector Mule creates when none is configured: all defaults,
    named ``connector.VM.mule.default`` (``.1``, ``.2`` ... if that name is taken)."""
    name = DEFAULT_CONNECTOR_NAME
    n = 0
    while find_global(app, name) is not None:
        n += 1
        name = f"{DEFAULT_CONNECTOR_NAME}.{n}"
    return ConnectorConfig(name=name, implicit=True)


def resolve_connector(app: AppConfig, endpoint: EndpointConfig) -> ConnectorConfig:
    """The connector an endpoint uses (C5, E10).

    ``connector-ref`` or ``?connector=`` names it; otherwise the single VM connector,
    or the implicit default when there is none. Two or more with none named is Mule's
    start-up error, word for word.
    """
    if endpoint.scheme != "vm":
        raise UnsupportedError(
            f"endpoint {endpoint.address} uses transport '{endpoint.scheme}', which is not "
            "bundled (only vm)",
            endpoint.location,
        )
    named = endpoint.connector_name
    if named:
        connector = app.connectors.get(named)
        if connector is None:
            known = ", ".join(app.connectors) or "none"
            raise UnresolvedReferenceError(
                f"endpoint {endpoint.address} names connector '{named}', which is not "
                f"defined (VM connectors: {known})",
                endpoint.location,
            )
        return connector
    candidates = vm_connectors(app)
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        return default_connector(app)
    listed = "".join(f"{c.name}, " for c in candidates)
    raise ConfigError(
        'There are at least 2 connectors matching protocol "vm", so the connector to use '
        "must be specified on the endpoint using the 'connector' property/attribute. "
        f'Connectors in your configuration that support "vm" are: {listed}',
        endpoint.location,
    )


# ----------------------------------------------------------------------------- endpoints


def endpoints_in(processors: Iterable[ProcessorConfig]) -> Iterator[EndpointConfig]:
    """Every endpoint among ``processors`` and their children, at any depth."""
    for p in processors:
        if isinstance(p, EndpointConfig):
            yield p
            yield from endpoints_in(p.processors)
            yield from endpoints_in(p.response_processors)
        else:
            yield from endpoints_in(p.children)


def _strategy_endpoints(strategy: ExceptionStrategyConfig | None) -> Iterator[EndpointConfig]:
    if strategy is None:
        return
    yield from endpoints_in(strategy.processors)
    yield from endpoints_in(strategy.on_redelivery_attempts_exceeded or ())
    for child in strategy.strategies:
        yield from _strategy_endpoints(child)


def _service_endpoints(service: ServiceConfig) -> Iterator[EndpointConfig]:
    yield from endpoints_in(service.inbound)
    yield from endpoints_in(service.inbound_routers)
    if service.component is not None:
        yield from endpoints_in((service.component,))
    yield from endpoints_in(service.outbound)
    for extra in (service.outbound_catch_all, service.async_reply):
        if extra is not None:
            yield from endpoints_in((extra,))
    yield from _strategy_endpoints(service.exception_strategy)


def iter_endpoints(app: AppConfig) -> Iterator[tuple[str, EndpointConfig]]:
    """(owner name, endpoint) for every endpoint anywhere: global endpoints, flow
    sources and processors, sub-flows, services, models' and global exception
    strategies, and global elements (processor chains ...)."""
    for name, endpoint in app.global_endpoints.items():
        yield name, endpoint
    for flow in app.flows.values():
        if flow.source is not None:
            for e in endpoints_in((flow.source,)):
                yield flow.name, e
        for e in endpoints_in(flow.processors):
            yield flow.name, e
        for e in _strategy_endpoints(flow.exception_strategy):
            yield flow.name, e
    for sub_flow in app.sub_flows.values():
        for e in endpoints_in(sub_flow.processors):
            yield sub_flow.name, e
    for model in app.models.values():
        for e in _strategy_endpoints(model.exception_strategy):
            yield model.name, e
        for service in model.services:
            for e in _service_endpoints(service):
                yield service.name, e
    for name, strategy in app.exception_strategies.items():
        for e in _strategy_endpoints(strategy):
            yield name, e
    for name, element in app.global_elements.items():
        for e in endpoints_in((element,)):
            yield name, e


def inbound_endpoints(app: AppConfig) -> Iterator[tuple[str, EndpointConfig]]:
    """The inbound endpoints that receive for a flow or service (sources, composite
    sources, service inbound)."""
    for owner, endpoint in iter_endpoints(app):
        if endpoint.role == "inbound":
            yield owner, endpoint


# ----------------------------------------------------------------------------- names


def find_global(app: AppConfig, name: str) -> Named | None:
    """Whatever is registered under ``name`` (one namespace, as Mule's registry)."""
    for mapping in (
        app.connectors,
        app.global_endpoints,
        app.flows,
        app.sub_flows,
        app.processing_strategies,
        app.exception_strategies,
        app.global_elements,
        app.beans,
        app.queue_stores,
        app.models,
    ):
        found = mapping.get(name)
        if found is not None:
            return found  # type: ignore[no-any-return]
    for service in app.services:
        if service.name == name:
            return service
    return None


def find_flow_construct(app: AppConfig, name: str) -> FlowConfig | SubFlowConfig | None:
    """A flow or sub-flow by name (``flow-ref``)."""
    return app.flows.get(name) or app.sub_flows.get(name)


def find_service(app: AppConfig, name: str) -> ServiceConfig | None:
    for service in app.services:
        if service.name == name:
            return service
    return None


def resolve_exception_strategy(
    app: AppConfig, strategy: ExceptionStrategyConfig
) -> ExceptionStrategyConfig:
    """Follow ``<exception-strategy ref=>`` (E-10), through chains of references."""
    seen: list[str] = []
    current = strategy
    while current.kind == "reference":
        ref = current.ref or ""
        if ref in seen:
            raise ConfigError(
                f"exception strategy references form a cycle: {' -> '.join([*seen, ref])}",
                current.location,
            )
        seen.append(ref)
        target = app.exception_strategies.get(ref)
        if target is None:
            known = ", ".join(app.exception_strategies) or "none"
            raise UnresolvedReferenceError(
                f"exception strategy ref '{ref}' names no global exception strategy "
                f"(known: {known})",
                current.location,
            )
        current = target
    return current


def default_exception_strategy(app: AppConfig) -> ExceptionStrategyConfig | None:
    """``<configuration defaultExceptionStrategy-ref>`` resolved (E-7), or None."""
    ref = app.configuration.default_exception_strategy_ref
    if not ref:
        return None
    target = app.exception_strategies.get(ref)
    if target is None:
        raise UnresolvedReferenceError(
            f"defaultExceptionStrategy-ref '{ref}' names no global exception strategy",
            app.configuration.location,
        )
    return resolve_exception_strategy(app, target)


def resolve_processing_strategy(app: AppConfig, flow: FlowConfig) -> ProcessingStrategyConfig:
    """The flow's strategy per F-5: its attribute, else ``<configuration
    defaultProcessingStrategy>``, else ``default``. Keywords become a bare config;
    names resolve to the global strategy element. (The ``mule.default.processing.
    strategy`` system property is in ``app.properties`` for the caller to apply.)"""
    written = flow.processing_strategy or app.configuration.default_processing_strategy
    if not written:
        return ProcessingStrategyConfig(kind="default")
    if written in PROCESSING_STRATEGY_KEYWORDS:
        return ProcessingStrategyConfig(kind=written)
    target = app.processing_strategies.get(written)
    if target is None:
        where = flow.location if flow.processing_strategy else app.configuration.location
        raise UnresolvedReferenceError(
            f"processing strategy '{written}' is neither a keyword "
            f"({', '.join(PROCESSING_STRATEGY_KEYWORDS)}) nor a global strategy",
            where,
        )
    return target


def resolve_queue_store(app: AppConfig, store: QueueStoreConfig) -> QueueStoreConfig:
    """``<queue-store ref=>`` → the named store (a top-level store element); a Spring
    bean keeps kind ``ref`` with its class, persistence unknown (None)."""
    if store.kind != "ref":
        return store
    ref = store.ref or ""
    target = app.queue_stores.get(ref)
    if target is not None:
        return target
    bean = app.beans.get(ref)
    if bean is not None:
        return QueueStoreConfig(
            kind="ref",
            ref=ref,
            class_name=bean.class_name,
            persistent=None,
            location=store.location,
        )
    raise UnresolvedReferenceError(
        f"queue-store ref '{ref}' names no queue store or bean", store.location
    )


__all__ = [
    "default_connector",
    "default_exception_strategy",
    "endpoints_in",
    "find_flow_construct",
    "find_global",
    "find_service",
    "inbound_endpoints",
    "iter_endpoints",
    "resolve_connector",
    "resolve_exception_strategy",
    "resolve_processing_strategy",
    "resolve_queue_store",
    "vm_connectors",
]

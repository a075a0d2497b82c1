"""The model parser: validated trees → one frozen ``AppConfig``.

Several files form one application: their named parts share one namespace (Mule's
registry), so a name defined twice is a ``ConfigError`` naming both places. Parsing
runs in phases so that order across files does not matter:

0. placeholders: system properties, ``<global-property>``, property-placeholder files;
1. global endpoints of every file (``ref=`` may point into another file);
2. every other top-level element, dispatched by qualified name;
3. a scan for Java class names and elements of namespaces the project does not bundle.

The parser never executes anything and never follows ``<spring:import>``; use
``load_app_config`` (model/loader.py) for that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from lxml import etree

from mule_emulator.errors import ConfigError, InputError, SourceLocation
from mule_emulator.loading.document import Document
from mule_emulator.model.config import (
    CORE_NS,
    DOC_NS,
    SPRING_BEANS_NS,
    SPRING_CONTEXT_NS,
    VM_NS,
    AppConfig,
    BeanConfig,
    ConnectorConfig,
    ElementConfig,
    EndpointConfig,
    ExceptionStrategyConfig,
    FlowConfig,
    ModelConfig,
    MuleConfiguration,
    ProcessingStrategyConfig,
    QueueProfile,
    QueueStoreConfig,
    SubFlowConfig,
    ThreadingProfile,
    frozen_map,
)
from mule_emulator.model.constructs_parser import (
    MODEL_ELEMENTS,
    parse_flow,
    parse_model,
    parse_sub_flow,
)
from mule_emulator.model.context import (
    BUNDLED_NAMESPACES,
    AppCollector,
    ParseContext,
    child_elements,
    element_path,
    line_of,
    qname_of,
)
from mule_emulator.model.endpoints_parser import parse_endpoint
from mule_emulator.model.placeholders import (
    PlaceholderResolver,
    builtin_properties,
    read_properties_file,
)
from mule_emulator.model.processors_parser import endpoint_role, parse_element
from mule_emulator.model.profiles_parser import (
    is_queue_profile,
    is_queue_store,
    parse_queue_profile,
    parse_queue_store,
    parse_threading_profile,
)
from mule_emulator.model.spring_parser import is_spring, parse_bean, parse_property_value
from mule_emulator.model.strategies_parser import (
    is_exception_strategy,
    is_processing_strategy,
    parse_exception_strategy,
    parse_processing_strategy,
    require_name,
)

# ----------------------------------------------------------------------------- documents


def top_level(root: etree._Element) -> Iterator[etree._Element]:
    """The root's element children, with ``<spring:beans>`` wrappers opened."""
    for el in child_elements(root):
        if is_spring(el, "beans"):
            yield from top_level(el)
        else:
            yield el


def _check_root(doc: Document) -> None:
    ns, local = qname_of(doc.root)
    if (ns, local) not in ((CORE_NS, "mule"), (SPRING_BEANS_NS, "beans")):
        raise ConfigError(
            f"the root element is <{local}> in namespace '{ns or '(none)'}'; a Mule config "
            f'starts with <mule xmlns="{CORE_NS}">',
            SourceLocation(doc.file, line_of(doc.root), element_path(doc.root)),
        )


# ----------------------------------------------------------------------------- placeholders


def build_resolver(
    documents: Sequence[Document],
    properties: Mapping[str, str] | None,
    app_name: str = "",
    unresolved: list[tuple[str, SourceLocation]] | None = None,
) -> PlaceholderResolver:
    """Phase 0: the placeholder chain (system properties, global properties, files,
    then the built-in JVM/Mule properties)."""

    @lru_cache(maxsize=1)
    def builtins() -> dict[str, str]:
        first = Path(documents[0].file)
        return builtin_properties(app_name or first.stem, first.parent.resolve())

    system = dict(properties or {})
    global_props: dict[str, str] = {}
    placeholders: list[tuple[Document, etree._Element]] = []
    for doc in documents:
        for el in top_level(doc.root):
            ns, local = qname_of(el)
            if ns == CORE_NS and local == "global-property":
                global_props[el.get("name") or ""] = el.get("value") or ""
            elif ns == SPRING_CONTEXT_NS and local == "property-placeholder":
                placeholders.append((doc, el))
    early = PlaceholderResolver([system, global_props], builtins=builtins)
    file_maps: list[dict[str, str]] = []
    ignore_unresolvable = False
    for doc, el in placeholders:
        where = SourceLocation(doc.file, line_of(el), element_path(el))
        flags = {
            k: (el.get(k) or "").strip().lower() == "true"
            for k in (
                "ignore-resource-not-found",
                "ignore-unresolvable",
            )
        }
        ignore_unresolvable |= flags["ignore-unresolvable"]
        encoding = el.get("file-encoding") or "iso-8859-1"
        values: dict[str, str] = {}
        for entry in early.resolve(el.get("location") or "", where).split(","):
            if entry.strip():
                values.update(
                    read_properties_file(
                        entry,
                        Path(doc.file).parent,
                        encoding,
                        flags["ignore-resource-not-found"],
                        where,
                    )
                )
        file_maps.append(values)
    return PlaceholderResolver(
        [system, global_props, *file_maps],
        ignore_unresolvable,
        builtins=builtins,
        unresolved=unresolved,
    )


# ----------------------------------------------------------------------------- elements


def parse_connector(ctx: ParseContext, el: etree._Element) -> ConnectorConfig:
    """``<vm:connector>`` attributes and children (C2)."""
    properties: dict[str, Any] = {}
    receiver: ThreadingProfile | None = None
    dispatcher: ThreadingProfile | None = None
    overrides: dict[str, str] = {}
    profile: QueueProfile | None = None
    for child in child_elements(el):
        ns, local = qname_of(child)
        if is_spring(child, "property"):
            key = ctx.attr(child, "name")
            if key is not None:
                properties[key] = parse_property_value(ctx, child)
        elif ns == CORE_NS and local == "receiver-threading-profile":
            receiver = parse_threading_profile(ctx, child)
        elif ns == CORE_NS and local == "dispatcher-threading-profile":
            dispatcher = parse_threading_profile(ctx, child)
        elif ns == CORE_NS and local == "service-overrides":
            overrides.update(ctx.attrs(child))
        elif is_queue_profile(child):
            profile = parse_queue_profile(ctx, child)  # queue-profile follows queueProfile
    pool_factory = ctx.attr(el, "dispatcherPoolFactory-ref")
    if pool_factory:
        properties.setdefault("dispatcherPoolFactory", pool_factory)
    return ConnectorConfig(
        name=require_name(ctx, el, "connector"),
        protocol="vm",
        queue_timeout_ms=ctx.int_attr(el, "queueTimeout"),
        queue_profile=profile,
        receiver_threading=receiver,
        dispatcher_threading=dispatcher,
        number_of_concurrent_transacted_receivers=ctx.int_attr(
            el, "numberOfConcurrentTransactedReceivers"
        ),
        create_multiple_transacted_receivers=ctx.bool_attr(el, "createMultipleTransactedReceivers"),
        validate_connections=ctx.bool_attr(el, "validateConnections"),
        dynamic_notification=ctx.bool_attr(el, "dynamicNotification"),
        service_overrides=frozen_map(overrides),
        properties=frozen_map(properties),
        location=ctx.location(el),
    )


_CONFIGURATION_ATTRIBUTES: dict[str, tuple[str, str]] = {
    "defaultProcessingStrategy": ("default_processing_strategy", "str"),
    "defaultExceptionStrategy-ref": ("default_exception_strategy_ref", "str"),
    "defaultResponseTimeout": ("default_response_timeout_ms", "int"),
    "defaultTransactionTimeout": ("default_transaction_timeout_ms", "int"),
    "shutdownTimeout": ("shutdown_timeout_ms", "int"),
    "defaultObjectSerializer-ref": ("default_object_serializer_ref", "str"),
    "flowEndingWithOneWayEndpointReturnsNull": (
        "flow_ending_with_one_way_endpoint_returns_null",
        "bool",
    ),
    "enricherPropagatesSessionVariableChanges": (
        "enricher_propagates_session_variable_changes",
        "bool",
    ),
}

_CONFIGURATION_PROFILES = {
    "default-threading-profile": "default_threading",
    "default-dispatcher-threading-profile": "default_dispatcher_threading",
    "default-receiver-threading-profile": "default_receiver_threading",
    "default-service-threading-profile": "default_service_threading",
}


def parse_configuration(
    ctx: ParseContext, el: etree._Element, previous: MuleConfiguration | None
) -> MuleConfiguration:
    """``<configuration>``; a later one overrides what it sets (one registry bean)."""
    changes: dict[str, Any] = {"location": ctx.location(el)}
    for attribute, (field_name, kind) in _CONFIGURATION_ATTRIBUTES.items():
        if el.get(attribute) is None:
            continue
        if kind == "int":
            changes[field_name] = ctx.int_attr(el, attribute)
        elif kind == "bool":
            changes[field_name] = bool(ctx.bool_attr(el, attribute))
        else:
            changes[field_name] = ctx.attr(el, attribute)
    for child in child_elements(el):
        ns, local = qname_of(child)
        if ns == CORE_NS and local in _CONFIGURATION_PROFILES:
            changes[_CONFIGURATION_PROFILES[local]] = parse_threading_profile(ctx, child)
    return replace(previous or MuleConfiguration(), **changes)


# ----------------------------------------------------------------------------- assembly


class _AppParts:
    """Mutable collections while parsing; ``build`` freezes them into an AppConfig."""

    def __init__(self) -> None:
        self.names: dict[str, tuple[str, SourceLocation]] = {}
        self.configuration: MuleConfiguration | None = None
        self.connectors: dict[str, ConnectorConfig] = {}
        self.global_endpoints: dict[str, EndpointConfig] = {}
        self.flows: dict[str, FlowConfig] = {}
        self.sub_flows: dict[str, SubFlowConfig] = {}
        self.models: dict[str, ModelConfig] = {}
        self.processing_strategies: dict[str, ProcessingStrategyConfig] = {}
        self.exception_strategies: dict[str, ExceptionStrategyConfig] = {}
        self.global_elements: dict[str, ElementConfig] = {}
        self.beans: dict[str, BeanConfig] = {}
        self.queue_stores: dict[str, QueueStoreConfig] = {}
        self.other_elements: list[ElementConfig] = []
        self._anonymous = 0

    def register(self, name: str, kind: str, location: SourceLocation) -> None:
        """One registry namespace for every named part, across all files."""
        if name in self.names:
            first_kind, first = self.names[name]
            raise ConfigError(
                f"the name '{name}' is defined twice: {first_kind} at {first} and {kind} here",
                location,
                problems=((first, f"{first_kind} '{name}'"), (location, f"{kind} '{name}'")),
            )
        self.names[name] = (kind, location)

    def anonymous_name(self, stem: str) -> str:
        name = f"{stem}#{self._anonymous}"
        self._anonymous += 1
        return name


_Handler = Callable[[ParseContext, etree._Element, _AppParts], None]


def _configuration(ctx: ParseContext, el: etree._Element, parts: _AppParts) -> None:
    parts.configuration = parse_configuration(ctx, el, parts.configuration)


def _connector(ctx: ParseContext, el: etree._Element, parts: _AppParts) -> None:
    connector = parse_connector(ctx, el)
    parts.register(connector.name, "connector", connector.location)
    parts.connectors[connector.name] = connector


def _flow(ctx: ParseContext, el: etree._Element, parts: _AppParts) -> None:
    flow = parse_flow(ctx, el)
    parts.register(flow.name, "flow", flow.location)
    parts.flows[flow.name] = flow


def _sub_flow(ctx: ParseContext, el: etree._Element, parts: _AppParts) -> None:
    sub_flow = parse_sub_flow(ctx, el)
    parts.register(sub_flow.name, "sub-flow", sub_flow.location)
    parts.sub_flows[sub_flow.name] = sub_flow


def _model(ctx: ParseContext, el: etree._Element, parts: _AppParts) -> None:
    explicit = ctx.attr(el, "name")
    model = parse_model(ctx, el, explicit or parts.anonymous_name("model"))
    if explicit:
        parts.register(model.name, "model", model.location)
    for service in model.services:
        parts.register(service.name, "service", service.location)
    parts.models[model.name] = model


def _bean(ctx: ParseContext, el: etree._Element, parts: _AppParts) -> None:
    bean = parse_bean(ctx, el)
    name = bean.name
    if name is None:
        name = parts.anonymous_name(bean.class_name or "bean")
    else:
        parts.register(name, "spring bean", bean.location)
    parts.beans[name] = bean


def _ignore(ctx: ParseContext, el: etree._Element, parts: _AppParts) -> None:
    """Handled in another phase (endpoints, placeholders) or by the loader (imports)."""


_HANDLERS: dict[tuple[str, str], _Handler] = {
    (CORE_NS, "configuration"): _configuration,
    (VM_NS, "connector"): _connector,
    (CORE_NS, "flow"): _flow,
    (CORE_NS, "sub-flow"): _sub_flow,
    (SPRING_BEANS_NS, "bean"): _bean,
    (SPRING_BEANS_NS, "import"): _ignore,
    (SPRING_BEANS_NS, "alias"): _ignore,
    (SPRING_BEANS_NS, "description"): _ignore,
    (CORE_NS, "global-property"): _ignore,
    (CORE_NS, "description"): _ignore,
    **{(CORE_NS, m): _model for m in MODEL_ELEMENTS},
}


def _other(ctx: ParseContext, el: etree._Element, parts: _AppParts) -> None:
    """Strategies, queue stores and any other top-level element (by name or not)."""
    ns, local = qname_of(el)
    if ns in (SPRING_CONTEXT_NS, DOC_NS) or endpoint_role(el) is not None:
        return
    if is_processing_strategy(el):
        strategy = parse_processing_strategy(ctx, el)
        name = require_name(ctx, el, "processing strategy")
        parts.register(name, "processing strategy", strategy.location)
        parts.processing_strategies[name] = strategy
    elif is_exception_strategy(el):
        exception_strategy = parse_exception_strategy(ctx, el)
        name = require_name(ctx, el, "exception strategy")
        parts.register(name, "exception strategy", exception_strategy.location)
        parts.exception_strategies[name] = exception_strategy
    elif is_queue_store(el) and ctx.attr(el, "name"):
        store = parse_queue_store(ctx, el)
        name = require_name(ctx, el, "queue store")
        parts.register(name, "queue store", store.location)
        parts.queue_stores[name] = store
    else:
        if ns == CORE_NS and local == "custom-connector":
            ctx.note_unsupported(local, "custom connectors are not emulated (only vm)", el)
        element = parse_element(ctx, el)
        element_name = ctx.attr(el, "name")
        if element_name:
            parts.register(element_name, f"<{element.qname or local}>", element.location)
            parts.global_elements[element_name] = element
        else:
            parts.other_elements.append(element)


def _scan(ctx: ParseContext, el: etree._Element) -> None:
    """Phase 3: Java class names, and the outermost element of each foreign namespace."""
    ns, local = qname_of(el)
    if ns not in BUNDLED_NAMESPACES:
        label = f"{el.prefix}:{local}" if el.prefix else local
        reason = f"namespace {ns} is not bundled" if ns else "element has no namespace"
        ctx.note_unsupported(label, reason, el)
        return
    for attribute in ("class", "factory-class"):
        ctx.note_class(ctx.attr(el, attribute), el)
    if ns == CORE_NS and local == "service-overrides":
        for value in ctx.attrs(el).values():
            ctx.note_class(value, el)
    for child in child_elements(el):
        _scan(ctx, child)


def parse_app(
    documents: Sequence[Document],
    properties: Mapping[str, str] | None = None,
    name: str | None = None,
    unresolved: list[tuple[str, SourceLocation]] | None = None,
) -> AppConfig:
    """Parse one application from its documents; see the module docstring for phases.

    ``unresolved``: when a list is given, a ``${key}`` with no value is recorded there
    (key, where) and left as written instead of raising ``ConfigError``.
    """
    if not documents:
        raise InputError("no configuration file given")
    for doc in documents:
        _check_root(doc)
    app_name = name or Path(documents[0].file).stem
    resolver = build_resolver(documents, properties, app_name, unresolved)
    collector = AppCollector()
    contexts = [(ParseContext(doc.file, resolver, collector), doc) for doc in documents]
    parts = _AppParts()

    for ctx, doc in contexts:  # phase 1: global endpoints
        for el in top_level(doc.root):
            if endpoint_role(el) == "global":
                endpoint = parse_endpoint(ctx, el, "global")
                endpoint_name = require_name(ctx, el, "endpoint")
                parts.register(endpoint_name, "global endpoint", endpoint.location)
                parts.global_endpoints[endpoint_name] = endpoint
                collector.global_endpoints[endpoint_name] = endpoint

    for ctx, doc in contexts:  # phase 2: everything else
        for el in top_level(doc.root):
            _HANDLERS.get(qname_of(el), _other)(ctx, el, parts)

    for ctx, doc in contexts:  # phase 3: classes and foreign namespaces
        _scan(ctx, doc.root)

    file_order = {doc.file: i for i, doc in enumerate(documents)}
    unsupported = sorted(
        collector.unsupported,
        key=lambda u: (file_order.get(u.location.file, 0), u.location.line),
    )
    return AppConfig(
        name=app_name,
        files=tuple(doc.file for doc in documents),
        configuration=parts.configuration or MuleConfiguration(),
        connectors=frozen_map(parts.connectors),
        global_endpoints=frozen_map(parts.global_endpoints),
        flows=frozen_map(parts.flows),
        sub_flows=frozen_map(parts.sub_flows),
        models=frozen_map(parts.models),
        processing_strategies=frozen_map(parts.processing_strategies),
        exception_strategies=frozen_map(parts.exception_strategies),
        global_elements=frozen_map(parts.global_elements),
        beans=frozen_map(parts.beans),
        queue_stores=frozen_map(parts.queue_stores),
        properties=frozen_map(resolver.effective()),
        classes=tuple(collector.classes),
        unsupported=tuple(unsupported),
        other_elements=tuple(parts.other_elements),
    )


__all__ = [
    "build_resolver",
    "parse_app",
    "parse_configuration",
    "parse_connector",
    "top_level",
]

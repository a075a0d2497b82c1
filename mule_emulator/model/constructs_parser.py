"""Flow constructs: ``<flow>`` (F-1), ``<sub-flow>`` (P-9), ``<model>`` with its
``<service>`` elements (S-1)."""

from __future__ import annotations

from lxml import etree

from mule_emulator.errors import ConfigError
from mule_emulator.model.config import (
    CORE_NS,
    ElementConfig,
    EndpointConfig,
    ExceptionStrategyConfig,
    FlowConfig,
    ModelConfig,
    ProcessorConfig,
    QueueProfile,
    ServiceConfig,
    SubFlowConfig,
    ThreadingProfile,
)
from mule_emulator.model.context import BUNDLED_NAMESPACES, ParseContext, child_elements, qname_of
from mule_emulator.model.processors_parser import (
    endpoint_role,
    parse_element,
    parse_processor,
    parse_processors,
)
from mule_emulator.model.profiles_parser import (
    is_queue_profile,
    parse_queue_profile,
    parse_threading_profile,
)
from mule_emulator.model.strategies_parser import (
    is_exception_strategy,
    parse_exception_strategy,
)

_CORE_SOURCES = frozenset({"poll", "composite-source", "custom-source"})
_SKIPPED = frozenset({"description", "message-info-mapping"})
SERVICE_ELEMENTS = frozenset({"service", "custom-service", "seda-service"})
MODEL_ELEMENTS = frozenset({"model", "seda-model"})


def _is_source(el: etree._Element) -> bool:
    """Whether a flow's first element is its message source (F-1)."""
    ns, local = qname_of(el)
    if endpoint_role(el) is not None:
        return local == "inbound-endpoint"
    if ns == CORE_NS:
        return local in _CORE_SOURCES
    if ns not in BUNDLED_NAMESPACES:
        return (
            local.endswith("inbound-endpoint") or local == "listener" or local.endswith("-listener")
        )
    return False


def _skipped(el: etree._Element) -> bool:
    ns, local = qname_of(el)
    return ns == CORE_NS and local in _SKIPPED


def _name(ctx: ParseContext, el: etree._Element, what: str) -> str:
    name = ctx.attr(el, "name")
    if not name:
        raise ConfigError(f"a {what} needs a name attribute", ctx.location(el))
    return name


def parse_flow(ctx: ParseContext, el: etree._Element) -> FlowConfig:
    source: ProcessorConfig | None = None
    processors: list[ProcessorConfig] = []
    strategy: ExceptionStrategyConfig | None = None
    children = [c for c in child_elements(el) if not _skipped(c)]
    if children and _is_source(children[0]):
        source = parse_processor(ctx, children.pop(0))
    for child in children:
        if is_exception_strategy(child):
            if strategy is not None:
                raise ConfigError(
                    "a flow takes at most one exception strategy", ctx.location(child)
                )
            strategy = parse_exception_strategy(ctx, child)
        else:
            processors.append(parse_processor(ctx, child))
    return FlowConfig(
        name=_name(ctx, el, "flow"),
        source=source,
        processors=tuple(processors),
        exception_strategy=strategy,
        processing_strategy=ctx.attr(el, "processingStrategy"),
        initial_state=ctx.attr(el, "initialState") or "started",
        location=ctx.location(el),
    )


def parse_sub_flow(ctx: ParseContext, el: etree._Element) -> SubFlowConfig:
    return SubFlowConfig(
        name=_name(ctx, el, "sub-flow"),
        processors=parse_processors(ctx, [c for c in child_elements(el) if not _skipped(c)]),
        location=ctx.location(el),
    )


def parse_model(ctx: ParseContext, el: etree._Element, default_name: str) -> ModelConfig:
    """A model and its services; an unnamed model gets ``default_name``."""
    name = ctx.attr(el, "name") or default_name
    strategy: ExceptionStrategyConfig | None = None
    queue_profile: QueueProfile | None = None
    services: list[ServiceConfig] = []
    for child in child_elements(el):
        ns, local = qname_of(child)
        if is_exception_strategy(child):
            strategy = parse_exception_strategy(ctx, child)
        elif is_queue_profile(child):
            queue_profile = parse_queue_profile(ctx, child)
        elif ns == CORE_NS and local in SERVICE_ELEMENTS:
            services.append(parse_service(ctx, child, name))
    return ModelConfig(
        name=name,
        exception_strategy=strategy,
        queue_profile=queue_profile,
        services=tuple(services),
        location=ctx.location(el),
    )


def _is_component(el: etree._Element) -> bool:
    return qname_of(el)[1].endswith("component")


def _is_catch_all(el: etree._Element) -> bool:
    return qname_of(el)[1].endswith("catch-all-strategy")


def parse_service(ctx: ParseContext, el: etree._Element, model: str) -> ServiceConfig:
    inbound: list[EndpointConfig] = []
    inbound_routers: list[ProcessorConfig] = []
    component: ElementConfig | None = None
    outbound: list[ElementConfig] = []
    match_all = False
    catch_all: ElementConfig | None = None
    async_reply: ElementConfig | None = None
    strategy: ExceptionStrategyConfig | None = None
    threading: ThreadingProfile | None = None
    queue_profile: QueueProfile | None = None
    for child in child_elements(el):
        ns, local = qname_of(child)
        if ns == CORE_NS and local == "inbound":
            for item in child_elements(child):
                parsed = parse_processor(ctx, item)
                if isinstance(parsed, EndpointConfig):
                    inbound.append(parsed)
                else:
                    inbound_routers.append(parsed)
        elif ns == CORE_NS and local == "outbound":
            match_all = bool(ctx.bool_attr(child, "matchAll"))
            for item in child_elements(child):
                if _is_catch_all(item):
                    catch_all = parse_element(ctx, item)
                else:
                    outbound.append(parse_element(ctx, item))
        elif ns == CORE_NS and local == "async-reply":
            async_reply = parse_element(ctx, child)
        elif is_exception_strategy(child):
            strategy = parse_exception_strategy(ctx, child)
        elif ns == CORE_NS and local == "threading-profile":
            threading = parse_threading_profile(ctx, child)
        elif is_queue_profile(child):
            queue_profile = parse_queue_profile(ctx, child)
        elif _is_component(child) and component is None:
            component = parse_element(ctx, child)
    return ServiceConfig(
        name=_name(ctx, el, "service"),
        model=model,
        inbound=tuple(inbound),
        inbound_routers=tuple(inbound_routers),
        component=component,
        outbound=tuple(outbound),
        outbound_match_all=match_all,
        outbound_catch_all=catch_all,
        async_reply=async_reply,
        exception_strategy=strategy,
        threading_profile=threading,
        queue_profile=queue_profile,
        queue_timeout_ms=ctx.int_attr(el, "queueTimeout"),
        initial_state=ctx.attr(el, "initialState") or "started",
        class_name=ctx.attr(el, "class"),
        location=ctx.location(el),
    )


__all__ = [
    "MODEL_ELEMENTS",
    "SERVICE_ELEMENTS",
    "parse_flow",
    "parse_model",
    "parse_service",
    "parse_sub_flow",
]

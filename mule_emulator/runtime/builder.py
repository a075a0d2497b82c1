"""The builder: the one place that maps configuration (AppConfig) to runtime objects.

``BuildContext`` holds what building needs (the AppConfig, the expression evaluator, the
class map, the queue manager, the pool factory, connectors and flows built so far) and
offers ``processor(cfg)`` / ``chain(cfgs)`` so other runtime modules (exception
strategies, services) build nested processors the same way.

Element builders are registered by (namespace, local name) in ``ELEMENTS``. Before
anything is built, ``unsupported_elements`` walks the whole configuration and lists every
element without a builder, so one error names them all with their lines.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mule_emulator.errors import (
    ConfigError,
    SourceLocation,
    UnresolvedReferenceError,
    UnsupportedError,
)
from mule_emulator.execution.thread_pool import ThreadPool
from mule_emulator.model.config import (
    CORE_NS,
    DEFAULT_CONNECTOR_NAME,
    PROCESSING_STRATEGY_KEYWORDS,
    SPRING_BEANS_NS,
    TEST_NS,
    AppConfig,
    ConnectorConfig,
    ElementConfig,
    EndpointConfig,
    FlowConfig,
    ProcessingStrategyConfig,
    ProcessorConfig,
    ThreadingProfile,
    merge_threading,
)
from mule_emulator.queues.manager import QueueManager
from mule_emulator.runtime.classes import ClassMap
from mule_emulator.runtime.connectors import VMConnector
from mule_emulator.runtime.endpoints import InboundEndpoint, OutboundEndpoint
from mule_emulator.runtime.evaluation import Evaluator
from mule_emulator.runtime.flow import Flow, ProcessingStrategy
from mule_emulator.runtime.processors import core, filters, routing
from mule_emulator.runtime.processors.base import Chain, Processor, attr_bool

log = logging.getLogger("mule.builder")

ElementBuilder = Callable[["BuildContext", ElementConfig], Processor]
ELEMENTS: dict[tuple[str, str], ElementBuilder] = {}


def element(namespace: str, *names: str) -> Callable[[ElementBuilder], ElementBuilder]:
    """Register a builder for elements of ``namespace`` with these local names."""

    def register(fn: ElementBuilder) -> ElementBuilder:
        for name in names:
            ELEMENTS[(namespace, name)] = fn
        return fn

    return register


# Elements that carry no runtime behaviour of their own inside a processor list.
IGNORED = {(CORE_NS, "description"), (SPRING_BEANS_NS, "property")}


@dataclass
class BuildContext:
    """Everything building an application needs; one per application."""

    app: AppConfig
    evaluator: Evaluator
    class_map: ClassMap
    queue_manager: QueueManager
    pool_factory: Callable[[str, ThreadingProfile | None], ThreadPool]
    connectors: dict[str, VMConnector] = field(default_factory=dict)
    flows: dict[str, Flow] = field(default_factory=dict)
    inbound_endpoints: list[InboundEndpoint] = field(default_factory=list)
    exception_factory: Any = None
    running: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ processors

    def processor(self, cfg: ProcessorConfig) -> Processor:
        """Build one processor from its config."""
        if isinstance(cfg, EndpointConfig):
            if cfg.role == "inbound":
                raise ConfigError("an inbound endpoint cannot be used as a processor", cfg.location)
            return self.outbound_endpoint(cfg)
        builder = ELEMENTS.get((cfg.namespace, cfg.name))
        if builder is None:
            raise UnsupportedError(f"<{cfg.qname}> is not supported by the runtime", cfg.location)
        p = builder(self, cfg)
        if p.location == SourceLocation():
            p.location = cfg.location
        return p

    def processors(self, cfgs: Iterable[ProcessorConfig]) -> list[Processor]:
        out: list[Processor] = []
        for cfg in cfgs:
            if isinstance(cfg, ElementConfig) and (cfg.namespace, cfg.name) in IGNORED:
                continue
            out.append(self.processor(cfg))
        return out

    def chain(self, cfgs: Sequence[ProcessorConfig], name: str = "") -> Chain:
        """A processor chain (P-1) from configs; ``<response>`` blocks become
        intercepting processors where they stand (P-12)."""
        return Chain(self.processors(cfgs), name)

    # ------------------------------------------------------------------ expressions

    def value(self, cfg: ElementConfig, attr: str, default: str | None = None) -> core.EventFn:
        text = cfg.attr(attr, default)
        if text is None:
            raise ConfigError(f"<{cfg.qname}> needs the attribute '{attr}'", cfg.location)
        return self.evaluator.value(text, cfg.location)

    def template(self, text: str, location: SourceLocation | None = None) -> core.EventFn:
        return self.evaluator.template(text, location)

    def boolean(
        self, text: str, default: bool = False, location: SourceLocation | None = None
    ) -> Callable[[Any], bool]:
        return self.evaluator.boolean(text, default, location)

    # ------------------------------------------------------------------ classes

    def bean_properties(self, cfg: ElementConfig) -> dict[str, Any]:
        """The properties an element gives the Java object it makes, as a dict:
        ``<spring:property name value|text>``, and in a ``singleton-object`` /
        ``prototype-object`` core ``<property key value>`` and ``<properties>`` with
        ``<spring:entry key value>``."""
        props: dict[str, Any] = {}
        for child in cfg.children:
            if not isinstance(child, ElementConfig):
                continue
            spring = child.namespace == SPRING_BEANS_NS
            if spring and child.name == "property":
                name = child.attr("name")
            elif child.namespace == CORE_NS and child.name == "property":
                name = child.attr("key")
            elif child.namespace == CORE_NS and child.name == "properties":
                props.update(self.bean_properties(child))  # its spring:entry children
                continue
            elif spring and child.name == "entry":
                name = child.attr("key")
            else:
                continue
            if name:
                props[name] = child.attr("value", child.text)
        return props

    def java_callable(self, class_name: str, cfg: ElementConfig) -> Callable[[Any], Any]:
        return self.class_map.message_callable(class_name, self.bean_properties(cfg), cfg.location)

    # ------------------------------------------------------------------ connectors

    def connector_for(self, endpoint: EndpointConfig) -> VMConnector:
        """C5: the named connector, else the only VM connector, else the default one."""
        name = endpoint.connector_name
        if name:
            connector = self.connectors.get(name)
            if connector is None:
                known = ", ".join(sorted(self.connectors)) or "none"
                raise UnresolvedReferenceError(
                    f"No connector named '{name}' (connectors: {known})", endpoint.location
                )
            return connector
        explicit = [c for c in self.connectors.values() if not c.config.implicit]
        if len(explicit) == 1:
            return explicit[0]
        if len(explicit) > 1:
            names = "".join(f"{c.name}, " for c in explicit)
            raise ConfigError(
                'There are at least 2 connectors matching protocol "vm", so the connector to '
                "use must be specified on the endpoint using the 'connector' property/attribute. "
                f'Connectors in your configuration that support "vm" are: {names}',
                endpoint.location,
            )
        return self.default_connector()

    def default_connector(self) -> VMConnector:
        existing = self.connectors.get(DEFAULT_CONNECTOR_NAME)
        if existing is not None:
            return existing
        return self.add_connector(ConnectorConfig(name=DEFAULT_CONNECTOR_NAME, implicit=True))

    def add_connector(self, config: ConnectorConfig) -> VMConnector:
        conf = self.app.configuration
        connector = VMConnector(
            config,
            self.queue_manager,
            self.pool_factory,
            receiver_threading=merge_threading(
                config.receiver_threading, conf.default_receiver_threading, conf.default_threading
            ),
            dispatcher_threading=merge_threading(
                config.dispatcher_threading,
                conf.default_dispatcher_threading,
                conf.default_threading,
            ),
            persistent=self.store_is_persistent(config),
        )
        overrides = config.service_overrides
        connector.inbound_transformers = tuple(
            self._override_transformer(overrides.get("inboundTransformer"), config)
        )
        connector.outbound_transformers = tuple(
            self._override_transformer(overrides.get("outboundTransformer"), config)
        )
        self.connectors[config.name] = connector
        if self.running:  # made while running (a MuleClient address): threads to the engine
            engine = self.extra.get("engine")
            if engine is not None:
                connector.attach(engine)
            connector.start()
        return connector

    def _override_transformer(
        self, class_name: str | None, config: ConnectorConfig
    ) -> list[Processor]:
        if not class_name:
            return []
        fn = self.class_map.message_callable(class_name, {}, config.location)
        return [TransformerCallable(fn, class_name)]

    def store_is_persistent(self, config: ConnectorConfig) -> bool:
        store = config.effective_queue_profile.store
        if store.persistent is not None:
            return store.persistent
        if store.kind == "ref" and store.ref:
            ref = self.app.queue_stores.get(store.ref)
            if ref is not None and ref.persistent is not None:
                return ref.persistent
            class_name = ref.class_name if ref is not None else None
            if class_name:
                obj = self.class_map.instance(class_name, {}, store.location)
                check = getattr(obj, "is_persistent", None)
                return bool(check()) if callable(check) else False
        if store.class_name:
            obj = self.class_map.instance(store.class_name, {}, store.location)
            check = getattr(obj, "is_persistent", None)
            return bool(check()) if callable(check) else False
        return False

    # ------------------------------------------------------------------ endpoints

    def _endpoint_chains(self, cfg: EndpointConfig) -> tuple[list[Processor], list[Processor]]:
        """The endpoint's request and response processors. The parser has already added
        the global transformers its URI names in ``?transformers=`` /
        ``?responseTransformers=`` (E11), with Mule's precedence rules."""
        return self.processors(cfg.processors), self.processors(cfg.response_processors)

    def outbound_endpoint(self, cfg: EndpointConfig) -> OutboundEndpoint:
        self._check_vm(cfg)
        connector = self.connector_for(cfg)
        processors, response = self._endpoint_chains(cfg)
        return OutboundEndpoint(cfg, connector, processors, response)

    def inbound_endpoint(self, cfg: EndpointConfig) -> InboundEndpoint:
        self._check_vm(cfg)
        connector = self.connector_for(cfg)
        processors, response = self._endpoint_chains(cfg)
        endpoint = InboundEndpoint(cfg, connector, processors, response)
        self.inbound_endpoints.append(endpoint)
        return endpoint

    @staticmethod
    def _check_vm(cfg: EndpointConfig) -> None:
        if cfg.scheme != "vm":
            raise UnsupportedError(
                f"{cfg.scheme}:// endpoints are not supported (only vm://)", cfg.location
            )

    def global_endpoint(self, name: str) -> EndpointConfig | None:
        return self.app.global_endpoints.get(name)

    # ------------------------------------------------------------------ flows

    def flow_ref_target(self, name: str, location: SourceLocation) -> Processor:
        """P-9/P-10: a flow's entry, or a fresh copy of a sub-flow's chain."""
        flow = self.flows.get(name)
        if flow is not None:
            return flow.as_flow_ref_target()
        sub = self.app.sub_flows.get(name)
        if sub is not None:
            chain = self.chain(sub.processors, name)
            chain.start()
            return chain
        raise UnresolvedReferenceError(f"No flow or sub-flow named '{name}'", location)

    def resolve_strategy(self, cfg: FlowConfig) -> ProcessingStrategy:
        """F-5: the flow's attribute, else the configuration default, else "default"."""
        conf = self.app.configuration
        text = cfg.processing_strategy or conf.default_processing_strategy
        defaults = conf.default_threading
        if not text:
            return ProcessingStrategy("default", False, merge_threading(defaults))
        explicit = text != "default"
        if text in PROCESSING_STRATEGY_KEYWORDS:
            return ProcessingStrategy.from_config(
                ProcessingStrategyConfig(kind=text), explicit, defaults
            )
        global_cfg = self.app.processing_strategies.get(text)
        if global_cfg is None:
            raise UnresolvedReferenceError(
                f"Flow '{cfg.name}': no processing strategy named '{text}'", cfg.location
            )
        if global_cfg.kind == "custom":
            raise UnsupportedError(
                f"custom-processing-strategy '{text}' is not supported", global_cfg.location
            )
        return ProcessingStrategy.from_config(global_cfg, global_cfg.kind != "default", defaults)


class TransformerCallable(core.Transformer):
    """A transformer backed by a class-map callable: its return value is the new payload."""

    def __init__(self, fn: Callable[[Any], Any], java_class: str) -> None:
        self.fn = fn
        self.java_class = java_class

    def process(self, event: Any) -> Any:
        from mule_emulator.runtime.message import NULL_PAYLOAD, MuleMessage
        from mule_emulator.runtime.processors.standin import StandInMessage

        view = StandInMessage.of(event)
        result = self.fn(view)
        if result is view:
            return event
        if isinstance(result, MuleMessage):
            return event.with_message(result)
        event.message.payload = NULL_PAYLOAD if result is None else result
        return event

    def describe(self) -> str:
        return f"custom-transformer {self.java_class}"


# ----------------------------------------------------------------------------- elements


@element(CORE_NS, "logger")
def _logger(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    message = cfg.attr("message")
    fn = ctx.template(message, cfg.location) if message is not None else None
    return core.LoggerProcessor(fn, cfg.attr("level"), cfg.attr("category"))


@element(CORE_NS, "set-payload")
def _set_payload(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    return core.SetPayload(ctx.value(cfg, "value"), cfg.attr("mimeType"), cfg.attr("encoding"))


_SET_SCOPES = {
    "set-property": ("outbound", "propertyName"),
    "set-variable": ("invocation", "variableName"),
    "set-session-variable": ("session", "variableName"),
}
_REMOVE_SCOPES = {
    "remove-property": ("outbound", "propertyName"),
    "remove-variable": ("invocation", "variableName"),
    "remove-session-variable": ("session", "variableName"),
}


@element(CORE_NS, *_SET_SCOPES)
def _set_scoped(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    scope, name_attr = _SET_SCOPES[cfg.name]
    return core.SetScoped(scope, ctx.value(cfg, name_attr), ctx.value(cfg, "value"), cfg.name)


@element(CORE_NS, *_REMOVE_SCOPES)
def _remove_scoped(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    scope, name_attr = _REMOVE_SCOPES[cfg.name]
    return core.RemoveScoped(scope, ctx.value(cfg, name_attr), cfg.name)


@element(CORE_NS, "copy-properties")
def _copy_properties(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    return core.CopyProperties(ctx.value(cfg, "propertyName"))


@element(CORE_NS, "echo-component")
def _echo(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    return core.EchoComponent()


@element(CORE_NS, "append-string-transformer")
def _append(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    return core.AppendString(cfg.attr("message") or "")


@element(TEST_NS, "component", "web-service-component")
def _test_component(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    return_data = cfg.child("return-data")
    append = cfg.attr("appendString")
    wait = cfg.attr("waitTime")
    if return_data is not None and return_data.attr("file"):
        raise UnsupportedError("test:return-data file= is not supported", return_data.location)
    data_text = return_data.text if return_data is not None else None
    return core.TestComponent(
        throw_exception=attr_bool(cfg.attr("throwException")),
        exception_to_throw=cfg.attr("exceptionToThrow"),
        exception_text=cfg.attr("exceptionText"),
        append_string=ctx.template(append, cfg.location) if append is not None else None,
        return_data=ctx.template(data_text or "", cfg.location)
        if return_data is not None
        else None,
        wait_time_ms=int(wait) if wait else 0,
        log_message_details=attr_bool(cfg.attr("logMessageDetails")),
    )


@element(CORE_NS, "flow-ref")
def _flow_ref(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    name = cfg.attr("name")
    if not name:
        raise ConfigError("<flow-ref> needs 'name'", cfg.location)
    static = None if "#[" in name else name
    if static is not None and static not in ctx.app.flows and static not in ctx.app.sub_flows:
        raise UnresolvedReferenceError(f"No flow or sub-flow named '{static}'", cfg.location)
    return core.FlowRef(
        ctx.template(name, cfg.location),
        lambda n: ctx.flow_ref_target(n, cfg.location),
        static,
    )


@element(CORE_NS, "processor-chain")
def _processor_chain(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    return ctx.chain(cfg.children, cfg.attr("name") or "")


@element(CORE_NS, "response")
def _response(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    return core.ResponseBlock(ctx.processors(cfg.children))


def _global(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    ref = cfg.attr("ref")
    if not ref:
        raise ConfigError(f"<{cfg.qname}> needs 'ref'", cfg.location)
    target = ctx.app.global_elements.get(ref)
    if target is None:
        if ref in ctx.app.sub_flows or ref in ctx.app.flows:
            return ctx.flow_ref_target(ref, cfg.location)
        raise UnresolvedReferenceError(f"No global element named '{ref}'", cfg.location)
    return ctx.processor(target)


element(CORE_NS, "transformer", "processor", "filter")(_global)


@element(CORE_NS, "component")
def _component(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    class_name = cfg.attr("class")
    if not class_name:
        for child_name in ("singleton-object", "prototype-object"):
            child = cfg.child(child_name)
            if child is not None:
                class_name = child.attr("class")
                props = ctx.bean_properties(child)
                fn = ctx.class_map.message_callable(class_name or "", props, child.location)
                return core.CallableComponent(fn, class_name or "", "component")
        raise UnsupportedError("<component> without a class is not supported", cfg.location)
    return core.CallableComponent(ctx.java_callable(class_name, cfg), class_name, "component")


@element(CORE_NS, "custom-processor")
def _custom_processor(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    class_name = cfg.attr("class") or ""
    return core.CallableComponent(
        ctx.java_callable(class_name, cfg), class_name, "custom-processor"
    )


@element(CORE_NS, "custom-transformer")
def _custom_transformer(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    class_name = cfg.attr("class") or ""
    return TransformerCallable(ctx.java_callable(class_name, cfg), class_name)


# ----------------------------------------------------------------------------- checks


def iter_processor_configs(app: AppConfig) -> Iterator[ProcessorConfig]:
    """Every processor config of the application, nested ones included."""

    def walk(cfgs: Iterable[ProcessorConfig]) -> Iterator[ProcessorConfig]:
        for cfg in cfgs:
            yield cfg
            if isinstance(cfg, EndpointConfig):
                yield from walk(cfg.processors)
                yield from walk(cfg.response_processors)
            else:
                yield from walk(cfg.children)

    for flow in app.flows.values():
        if flow.source is not None:
            yield from walk([flow.source])
        yield from walk(flow.processors)
        if flow.exception_strategy is not None:
            yield from _walk_strategy(flow.exception_strategy, walk)
    for sub in app.sub_flows.values():
        yield from walk(sub.processors)
    for strategy in app.exception_strategies.values():
        yield from _walk_strategy(strategy, walk)
    for endpoint in app.global_endpoints.values():
        yield from walk(endpoint.processors)
        yield from walk(endpoint.response_processors)


def _walk_strategy(
    strategy: Any, walk: Callable[[Iterable[ProcessorConfig]], Iterator[ProcessorConfig]]
) -> Iterator[ProcessorConfig]:
    yield from walk(strategy.processors)
    if strategy.on_redelivery_attempts_exceeded:
        yield from walk(strategy.on_redelivery_attempts_exceeded)
    for child in strategy.strategies:
        yield from _walk_strategy(child, walk)


# The flow message sources the runtime runs besides an inbound endpoint (F-1).
MESSAGE_SOURCES = frozenset({(CORE_NS, "poll"), (CORE_NS, "composite-source")})

# Children of known elements that are parts of their parent, not processors.
_PARTS: set[tuple[str, str]] = {
    (TEST_NS, "return-data"),
    (TEST_NS, "callback"),
    (CORE_NS, "singleton-object"),
    (CORE_NS, "prototype-object"),
    (CORE_NS, "property"),  # a singleton-/prototype-object's properties
    (CORE_NS, "properties"),
    (CORE_NS, "when"),
    (CORE_NS, "otherwise"),
    (CORE_NS, "catch-exception-strategy"),
    (CORE_NS, "rollback-exception-strategy"),
    (CORE_NS, "default-exception-strategy"),
}


def register_parts(parts: Iterable[tuple[str, str]]) -> None:
    """Declare (namespace, name) child elements that are parts of their parent element,
    not processors (``<when>``, ``<enrich>`` ...), so the support check accepts them."""
    _PARTS.update(parts)


def unsupported_elements(app: AppConfig) -> list[tuple[SourceLocation, str]]:
    """Every element the runtime cannot execute, with where it is (one error lists all)."""
    problems: list[tuple[SourceLocation, str]] = [
        (u.location, f"<{u.qname}>: {u.reason}") for u in app.unsupported
    ]
    # An element of a namespace that is not bundled is named once, by the parser's
    # record above, not again as an unsupported processor or message source.
    reported = {(u.location.file, u.location.line, u.location.path) for u in app.unsupported}
    seen: set[tuple[str, int, str]] = set()
    for cfg in iter_processor_configs(app):
        if (cfg.location.file, cfg.location.line, cfg.location.path) in reported:
            continue
        if isinstance(cfg, EndpointConfig):
            if cfg.scheme != "vm":
                problems.append((cfg.location, f"{cfg.scheme}:// endpoints are not supported"))
            continue
        key = (cfg.namespace, cfg.name)
        if key in ELEMENTS or key in IGNORED or key in _PARTS or key in MESSAGE_SOURCES:
            continue
        if cfg.namespace == SPRING_BEANS_NS:
            continue
        marker = (cfg.location.file, cfg.location.line, cfg.qname)
        if marker in seen:
            continue
        seen.add(marker)
        problems.append((cfg.location, f"<{cfg.qname}> is not supported by the runtime"))
    for flow in app.flows.values():
        src = flow.source
        if (
            isinstance(src, ElementConfig)
            and (src.namespace, src.name) not in MESSAGE_SOURCES
            and (src.location.file, src.location.line, src.location.path) not in reported
        ):
            problems.append((src.location, f"message source <{src.qname}> is not supported"))
    return problems


def check_supported(app: AppConfig) -> None:
    problems = unsupported_elements(app)
    if problems:
        names = sorted(
            {text.split(">")[0] + ">" for _loc, text in problems if text.startswith("<")}
        )
        summary = ", ".join(names) if names else f"{len(problems)} element(s)"
        raise UnsupportedError(
            f"the configuration uses content the runtime cannot execute: {summary}",
            problems=tuple(problems),
        )


def connector_configs(app: AppConfig) -> Mapping[str, ConnectorConfig]:
    return {name: c for name, c in app.connectors.items() if c.protocol.lower() == "vm"}


__all__ = [
    "ELEMENTS",
    "BuildContext",
    "TransformerCallable",
    "check_supported",
    "element",
    "iter_processor_configs",
    "register_parts",
    "unsupported_elements",
]


# ----------------------------------------------------------------------------- filters

_FILTER_NAMES = (
    "expression-filter",
    "wildcard-filter",
    "regex-filter",
    "payload-type-filter",
    "message-property-filter",
    "exception-type-filter",
    "equals-filter",
    "and-filter",
    "or-filter",
    "not-filter",
    "custom-filter",
)


def build_filter(ctx: BuildContext, cfg: ElementConfig) -> filters.Filter:
    """One filter element (P-20) as a ``Filter``."""
    name = cfg.name
    if name == "filter":  # <filter ref="global"/>
        target = ctx.app.global_elements.get(cfg.attr("ref") or "")
        if target is None:
            raise UnresolvedReferenceError(
                f"No global filter named '{cfg.attr('ref')}'", cfg.location
            )
        return build_filter(ctx, target)
    if name in ("and-filter", "or-filter"):
        parts = [build_filter(ctx, c) for c in cfg.children if isinstance(c, ElementConfig)]
        return filters.AndFilter(parts) if name == "and-filter" else filters.OrFilter(parts)
    if name == "not-filter":
        inner = [c for c in cfg.children if isinstance(c, ElementConfig)]
        if len(inner) != 1:
            raise ConfigError("<not-filter> needs exactly one filter", cfg.location)
        return filters.NotFilter(build_filter(ctx, inner[0]))
    if name == "expression-filter":
        # ExpressionFilter: null → nullReturnsTrue, a non-boolean value → its negation
        null_true = attr_bool(cfg.attr("nullReturnsTrue"))
        test = ctx.evaluator.boolean(
            cfg.attr("expression") or "", null_true, cfg.location, non_boolean=not null_true
        )
        return filters.TestFilter(test, name)
    if name == "wildcard-filter":
        pattern = cfg.attr("pattern") or ""
        case = cfg.attr("caseSensitive") is None or attr_bool(cfg.attr("caseSensitive"))
        return filters.TestFilter(
            lambda e: filters.wildcard_matches(pattern, e.message.payload_as_text(), case), name
        )
    if name == "regex-filter":
        pattern = cfg.attr("pattern") or ""
        value = cfg.attr("value")
        getter = ctx.evaluator.value(value, cfg.location) if value else None
        return filters.TestFilter(
            lambda e: filters.regex_finds(
                pattern, str(getter(e)) if getter else e.message.payload_as_text()
            ),
            name,
        )
    if name == "payload-type-filter":
        expected = cfg.attr("expectedType") or "java.lang.Object"
        return filters.TestFilter(
            lambda e: filters.payload_type_accepts(expected, e.message.payload), name
        )
    if name == "message-property-filter":
        return _property_filter(cfg)
    if name == "exception-type-filter":
        expected_type = cfg.attr("expectedType") or ""

        def exc_test(event: Any) -> bool:
            ep = event.message.exception_payload
            if ep is None:
                return False
            names = {type(ep.exception).__name__, getattr(ep.exception, "java_class", "")}
            return not expected_type or expected_type.rsplit(".", 1)[-1] in {
                n.rsplit(".", 1)[-1] for n in names if n
            }

        return filters.TestFilter(exc_test, name)
    if name == "equals-filter":
        expected_value = cfg.attr("pattern") or cfg.attr("value")
        return filters.TestFilter(lambda e: e.message.payload_as_text() == expected_value, name)
    if name == "custom-filter":
        class_name = cfg.attr("class") or ""
        fn = ctx.java_callable(class_name, cfg)

        def custom_test(event: Any) -> bool:
            from mule_emulator.runtime.processors.standin import StandInMessage

            return bool(fn(StandInMessage.of(event)))

        return filters.TestFilter(custom_test, f"custom-filter {class_name}")
    raise UnsupportedError(f"<{cfg.qname}> is not a supported filter", cfg.location)


def _property_filter(cfg: ElementConfig) -> filters.Filter:
    pattern = cfg.attr("pattern") or ""
    scope = (cfg.attr("scope") or "outbound").lower()
    case = cfg.attr("caseSensitive") is None or attr_bool(cfg.attr("caseSensitive"))
    negate = "!=" in pattern
    key, _, expected = pattern.partition("!=" if negate else "=")
    key, expected = key.strip(), expected.strip()

    def test(event: Any) -> bool:
        source = core.scope_map(event, scope)
        value = source.get(key)
        ok = value is not None and filters.wildcard_matches(expected, str(value), case)
        return not ok if negate else ok

    return filters.TestFilter(test, "message-property-filter")


@element(CORE_NS, *_FILTER_NAMES)
def _bare_filter(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    return filters.MessageFilter(build_filter(ctx, cfg))


@element(CORE_NS, "message-filter")
def _message_filter(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    inner = [c for c in cfg.children if isinstance(c, ElementConfig)]
    if len(inner) != 1:
        raise ConfigError("<message-filter> needs exactly one filter", cfg.location)
    on_unaccepted_name = cfg.attr("onUnaccepted")
    on_unaccepted: Processor | None = None
    if on_unaccepted_name:
        target = ctx.app.global_elements.get(on_unaccepted_name)
        if target is not None:
            on_unaccepted = ctx.processor(target)
        else:
            on_unaccepted = ctx.flow_ref_target(on_unaccepted_name, cfg.location)
    return filters.MessageFilter(
        build_filter(ctx, inner[0]), attr_bool(cfg.attr("throwOnUnaccepted")), on_unaccepted
    )


@element(CORE_NS, "all")
def _all(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    return routing.AllRouter([ctx.processor(c) for c in cfg.children if not _ignored(c)])


def _ignored(cfg: ProcessorConfig) -> bool:
    return isinstance(cfg, ElementConfig) and (cfg.namespace, cfg.name) in IGNORED


from mule_emulator.runtime.processors import catalog  # noqa: E402,F401  (routers, scopes, ...)

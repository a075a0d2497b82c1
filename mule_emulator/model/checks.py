"""Semantic checks: the rules Mule enforces only at start-up or trips over at run time.

``check_app(config)`` looks at one parsed ``AppConfig`` and returns ``Problem`` values;
``check_documents(documents)`` looks at the raw trees for what the parser collapses
(duplicate names). Every rule has a stable id, a severity and a one-line title in
``RULES``; docs/validation-rules.md gives each one's rationale.

Severities follow one principle: *error* when Mule 3.9 refuses to start (or an
unresolved name would stop it), *warning* when the app starts but misbehaves at run
time (messages wait forever, sends fail, endless redelivery), *note* when the
behaviour is legal but surprising.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from lxml import etree

from mule_emulator.errors import SourceLocation
from mule_emulator.loading.document import Document
from mule_emulator.loading.problems import ERROR, NOTE, WARNING, Problem
from mule_emulator.model.config import (
    ASYNC_STRATEGY_KINDS,
    CORE_NS,
    DEFAULT_CONNECTOR_NAME,
    PROCESSING_STRATEGY_KEYWORDS,
    AppConfig,
    ConnectorConfig,
    EndpointConfig,
    ExceptionStrategyConfig,
    FlowConfig,
    ProcessorConfig,
    QueueProfile,
)
from mule_emulator.model.context import element_path, split_tag


@dataclass(frozen=True)
class Rule:
    """A semantic rule: stable id, default severity, one-line title."""

    id: str
    severity: str
    title: str


_RULE_LIST = (
    Rule("MULE100", ERROR, "a name in the configuration refers to nothing"),
    Rule("MULE101", ERROR, "connector-ref / ?connector= names no connector"),
    Rule("MULE102", ERROR, "endpoint ref= names no global endpoint"),
    Rule("MULE103", ERROR, "transformer reference names no global transformer"),
    Rule("MULE104", ERROR, "filter ref= names no global filter"),
    Rule("MULE105", ERROR, "exception strategy reference names no global exception strategy"),
    Rule("MULE106", ERROR, "flow-ref names no flow or sub-flow"),
    Rule("MULE107", ERROR, "processor ref= names no global processor"),
    Rule("MULE108", ERROR, "processingStrategy names no keyword and no global strategy"),
    Rule("MULE109", ERROR, "queue-store ref= names no queue store"),
    Rule("MULE201", ERROR, "two or more vm connectors and an endpoint that names none"),
    Rule("MULE202", ERROR, "two inbound endpoints listen on one path of one connector"),
    Rule("MULE301", WARNING, "one-way dispatch to a path nothing listens on"),
    Rule("MULE302", WARNING, "request-response send to a path with no receiver"),
    Rule("MULE303", NOTE, "request-response send to a one-way listener returns null"),
    Rule("MULE401", ERROR, "two queue profiles configure one path differently"),
    Rule("MULE501", ERROR, "asynchronous processing strategy on an incompatible flow source"),
    Rule("MULE502", ERROR, "non-blocking processing strategy with a vm inbound endpoint"),
    Rule(
        "MULE601",
        WARNING,
        "rollback strategy without maxRedeliveryAttempts on a transacted source",
    ),
    Rule("MULE701", ERROR, "two top-level elements share one name"),
    Rule("MULE801", WARNING, "a ${placeholder} has no value here"),
    Rule("MULE802", ERROR, "an expression is not valid MEL of the supported subset"),
    Rule("MULE900", NOTE, "content mule-emu can validate but not run"),
    Rule("MULE000", ERROR, "the configuration could not be parsed into an application"),
)
RULES: dict[str, Rule] = {r.id: r for r in _RULE_LIST}


def _problem(rule: str, location: SourceLocation, message: str, file: str = "") -> Problem:
    return Problem(
        file=location.file or file,
        line=location.line,
        column=location.column,
        path=location.path,
        rule=rule,
        severity=RULES[rule].severity,
        message=message,
    )


# --------------------------------------------------------------------------- walking


@dataclass(frozen=True)
class _Use:
    """An endpoint or element as it stands inside a construct (flow, sub-flow, service)."""

    item: ProcessorConfig
    construct: str


def _walk(items: Iterable[ProcessorConfig | None]) -> Iterator[ProcessorConfig]:
    """Every processor below ``items``, depth first, endpoints' own processors included."""
    for item in items:
        if item is None:
            continue
        yield item
        if isinstance(item, EndpointConfig):
            yield from _walk(item.processors)
            yield from _walk(item.response_processors)
            if item.redelivery_policy is not None:
                yield from _walk((item.redelivery_policy,))
        else:
            yield from _walk(item.children)


def _strategy_items(es: ExceptionStrategyConfig | None) -> Iterator[ProcessorConfig]:
    if es is None:
        return
    yield from _walk(es.processors)
    yield from _walk(es.on_redelivery_attempts_exceeded or ())
    for child in es.strategies:
        yield from _strategy_items(child)


def _strategies(es: ExceptionStrategyConfig | None) -> Iterator[ExceptionStrategyConfig]:
    if es is None:
        return
    yield es
    for child in es.strategies:
        yield from _strategies(child)


def _uses(config: AppConfig) -> Iterator[_Use]:
    """Every processor and endpoint the application runs, with the construct it sits in."""
    for flow in config.flows.values():
        for item in _walk((flow.source, *flow.processors)):
            yield _Use(item, flow.name)
        for item in _strategy_items(flow.exception_strategy):
            yield _Use(item, flow.name)
    for sub in config.sub_flows.values():
        for item in _walk(sub.processors):
            yield _Use(item, sub.name)
    for model in config.models.values():
        for item in _strategy_items(model.exception_strategy):
            yield _Use(item, model.name)
        for svc in model.services:
            roots: list[ProcessorConfig | None] = [
                *svc.inbound,
                *svc.inbound_routers,
                svc.component,
                *svc.outbound,
                svc.outbound_catch_all,
                svc.async_reply,
            ]
            for item in _walk(roots):
                yield _Use(item, svc.name)
            for item in _strategy_items(svc.exception_strategy):
                yield _Use(item, svc.name)
    for strategy in config.exception_strategies.values():
        for item in _strategy_items(strategy):
            yield _Use(item, strategy.name or "")
    for element in config.global_elements.values():
        for item in _walk((element,)):
            yield _Use(item, element.attr("name") or element.name)
    for endpoint in config.global_endpoints.values():
        for item in _walk((*endpoint.processors, *endpoint.response_processors)):
            yield _Use(item, endpoint.name or "")


def _endpoints(config: AppConfig) -> list[tuple[EndpointConfig, str]]:
    """Inbound and outbound endpoints that will be built (global templates excluded)."""
    return [
        (u.item, u.construct)
        for u in _uses(config)
        if isinstance(u.item, EndpointConfig) and u.item.role in ("inbound", "outbound")
    ]


def _is_dynamic(text: str | None) -> bool:
    return text is not None and ("#[" in text or "${" in text)


def _path(ep: EndpointConfig) -> str:
    """The queue name (E2): the address without query parameters."""
    return ep.path.split("?", 1)[0]


def _uri(ep: EndpointConfig) -> str:
    return f"{ep.scheme}://{_path(ep)}"


# --------------------------------------------------------------------------- connectors


def _vm_connectors(config: AppConfig) -> list[ConnectorConfig]:
    return [c for c in config.connectors.values() if c.protocol == "vm" and not c.implicit]


def _connector_of(ep: EndpointConfig, config: AppConfig) -> str | None:
    """The connector an endpoint resolves to (C5), or None when it cannot be decided."""
    named = ep.connector_name
    if named:
        return named if named in config.connectors else None
    explicit = _vm_connectors(config)
    if len(explicit) == 1:
        return explicit[0].name
    if not explicit:
        return DEFAULT_CONNECTOR_NAME
    return None


def _check_connectors(
    config: AppConfig, endpoints: Sequence[tuple[EndpointConfig, str]]
) -> list[Problem]:
    problems = []
    vm = _vm_connectors(config)
    for ep, _construct in endpoints:
        if ep.scheme != "vm":
            continue
        named = ep.connector_name
        if named and not _is_dynamic(named) and named not in config.connectors:
            known = ", ".join(sorted(config.connectors)) or "none"
            problems.append(
                _problem(
                    "MULE101",
                    ep.location,
                    f"endpoint {_uri(ep)} names connector '{named}', which is not defined "
                    f"(connectors: {known})",
                )
            )
        elif not named and len(vm) >= 2:
            names = "".join(f"{c.name}, " for c in vm)
            problems.append(
                _problem(
                    "MULE201",
                    ep.location,
                    'There are at least 2 connectors matching protocol "vm", so the connector '
                    "to use must be specified on the endpoint using the 'connector' "
                    f'property/attribute. Connectors in your configuration that support "vm" '
                    f"are: {names}".rstrip(),
                )
            )
    return problems


# --------------------------------------------------------------------------- references


def _check_references(config: AppConfig) -> list[Problem]:
    problems: list[Problem] = []
    known_globals = set(config.global_elements) | set(config.beans)
    routable = set(config.flows) | set(config.sub_flows)
    for use in _uses(config):
        item = use.item
        if isinstance(item, EndpointConfig):
            if item.ref and item.ref not in config.global_endpoints:
                problems.append(
                    _problem(
                        "MULE102",
                        item.location,
                        f"{item.role} endpoint refers to global endpoint '{item.ref}', "
                        "which is not defined",
                    )
                )
            continue
        if item.namespace != CORE_NS:
            continue
        ref = item.attr("ref")
        if item.name == "flow-ref":
            target = item.attr("name")
            if target and not _is_dynamic(target) and target not in routable:
                problems.append(
                    _problem(
                        "MULE106",
                        item.location,
                        f"flow-ref names '{target}', which is neither a flow nor a sub-flow",
                    )
                )
        elif ref and not _is_dynamic(ref) and ref not in known_globals:
            rule = {"transformer": "MULE103", "filter": "MULE104", "processor": "MULE107"}.get(
                item.name
            )
            if rule is not None:
                problems.append(
                    _problem(
                        rule,
                        item.location,
                        f"<{item.name} ref=\"{ref}\"> names no global {item.name} called '{ref}'",
                    )
                )
    problems += _check_strategy_refs(config)
    problems += _check_store_refs(config)
    return problems


def _all_strategies(config: AppConfig) -> Iterator[ExceptionStrategyConfig]:
    for flow in config.flows.values():
        yield from _strategies(flow.exception_strategy)
    for model in config.models.values():
        yield from _strategies(model.exception_strategy)
        for svc in model.services:
            yield from _strategies(svc.exception_strategy)
    for es in config.exception_strategies.values():
        yield from _strategies(es)


def _check_strategy_refs(config: AppConfig) -> list[Problem]:
    problems = []
    for es in _all_strategies(config):
        if es.kind == "reference" and es.ref and es.ref not in config.exception_strategies:
            problems.append(
                _problem(
                    "MULE105",
                    es.location,
                    f'exception-strategy ref="{es.ref}" names no global exception strategy',
                )
            )
    default_ref = config.configuration.default_exception_strategy_ref
    if default_ref and default_ref not in config.exception_strategies:
        problems.append(
            _problem(
                "MULE105",
                config.configuration.location,
                f'defaultExceptionStrategy-ref="{default_ref}" names no global exception strategy',
            )
        )
    return problems


def _check_store_refs(config: AppConfig) -> list[Problem]:
    problems = []
    known = set(config.queue_stores) | set(config.beans)
    stores = [
        c.queue_profile.store for c in config.connectors.values() if c.queue_profile is not None
    ]
    stores += [s.queue_store for s in config.processing_strategies.values() if s.queue_store]
    stores += [svc.queue_profile.store for svc in config.services if svc.queue_profile is not None]
    for store in stores:
        if store.kind == "ref" and store.ref and store.ref not in known:
            problems.append(
                _problem(
                    "MULE109",
                    store.location,
                    f'queue-store ref="{store.ref}" names no queue store or bean',
                )
            )
    return problems


# --------------------------------------------------------------------------- paths


def _listens(pattern: str, path: str) -> bool:
    """A receiver address matches exactly or as a wildcard pattern (E5)."""
    return pattern == path or ("*" in pattern and fnmatch.fnmatchcase(path, pattern))


def _check_paths(
    config: AppConfig, endpoints: Sequence[tuple[EndpointConfig, str]]
) -> list[Problem]:
    problems = []
    vm = [(ep, c) for ep, c in endpoints if ep.scheme == "vm" and not _is_dynamic(ep.path)]
    inbound = [(ep, _connector_of(ep, config)) for ep, _ in vm if ep.role == "inbound"]
    seen: dict[tuple[str | None, str], EndpointConfig] = {}
    for ep, connector in inbound:
        key = (connector, _path(ep))
        if connector is not None and key in seen:
            first = seen[key]
            problems.append(
                _problem(
                    "MULE202",
                    ep.location,
                    "There is already a listener registered on this connector on endpointUri: "
                    f"{_uri(ep)} (connector '{connector}', first listener at line "
                    f"{first.location.line})",
                )
            )
        else:
            seen.setdefault(key, ep)
    dispatched: dict[str, list[EndpointConfig]] = {}
    for ep, _construct in vm:
        if ep.role == "outbound" and ep.one_way:
            dispatched.setdefault(_path(ep), []).append(ep)
    for path, senders in dispatched.items():
        if any(i.one_way and _listens(_path(i), path) for i, _ in inbound):
            continue
        more = f" (and {len(senders) - 1} more endpoint(s) in this app)" if len(senders) > 1 else ""
        problems.append(
            _problem(
                "MULE301",
                senders[0].location,
                f"one-way endpoint dispatches to {_uri(senders[0])}{more}, but no one-way inbound "
                "endpoint listens on that path: messages wait in the queue until a client "
                "requests them",
            )
        )
    for ep, _construct in vm:
        if ep.role != "outbound" or ep.one_way:
            continue
        connector = _connector_of(ep, config)
        if connector is None:
            continue
        receivers = [i for i, c in inbound if c == connector and _listens(_path(i), _path(ep))]
        if not receivers:
            elsewhere = sorted(
                {c or "?" for i, c in inbound if _listens(_path(i), _path(ep)) and c != connector}
            )
            hint = (
                f"; path '{_path(ep)}' has listeners only on connector(s) {', '.join(elsewhere)}"
                if elsewhere
                else ""
            )
            problems.append(
                _problem(
                    "MULE302",
                    ep.location,
                    f"request-response endpoint sends to {_uri(ep)}, but no inbound endpoint "
                    f"listens there on connector '{connector}': each send fails with "
                    f'"There is no receiver registered on connector "{connector}" for '
                    f'endpointUri {_uri(ep)}"{hint}',
                )
            )
        elif all(r.one_way for r in receivers):
            problems.append(
                _problem(
                    "MULE303",
                    ep.location,
                    f"request-response endpoint sends to {_uri(ep)}, whose listener is one-way: "
                    "the flow runs but the caller always gets null (Mule 3.9, MULE-13164)",
                )
            )
    return problems


def _profile_key(profile: QueueProfile) -> tuple[int, object] | None:
    """What a profile sets on a queue (Q5): capacity and persistence; None if unknown."""
    store = profile.store
    if store.persistent is None:
        return None
    return (profile.max_outstanding_messages, store.persistent)


def _describe(key: tuple[int, object]) -> str:
    capacity, persistent = key
    bound = f"maxOutstandingMessages={capacity}" if capacity else "unbounded"
    return f"{bound}, {'persistent' if persistent else 'in-memory'}"


def _check_queue_profiles(
    config: AppConfig, endpoints: Sequence[tuple[EndpointConfig, str]]
) -> list[Problem]:
    problems = []
    first: dict[str, tuple[tuple[int, object], str]] = {}
    reported: set[str] = set()
    for ep, _construct in endpoints:
        if ep.scheme != "vm" or not ep.one_way or _is_dynamic(ep.path):
            continue
        name = _connector_of(ep, config)
        if name is None:
            continue
        connector = config.connectors.get(name)
        profile = connector.effective_queue_profile if connector else QueueProfile()
        key = _profile_key(profile)
        if key is None:
            continue
        path = _path(ep)
        if path not in first:
            first[path] = (key, name)
            continue
        seen_key, seen_connector = first[path]
        if key != seen_key and path not in reported:
            reported.add(path)
            problems.append(
                _problem(
                    "MULE401",
                    ep.location,
                    f"A queue with name {path} is in use so we cannot change it's "
                    f"configuration: connector '{seen_connector}' configures it as "
                    f"{_describe(seen_key)}, connector '{name}' as {_describe(key)} "
                    "(VM queues are shared by every connector of the app)",
                )
            )
    return problems


# --------------------------------------------------------------------------- flows


def _strategy_kind(config: AppConfig, name: str) -> str | None:
    if name in PROCESSING_STRATEGY_KEYWORDS:
        return name
    strategy = config.processing_strategies.get(name)
    return strategy.kind if strategy is not None else None


def _resolve_es(
    config: AppConfig, es: ExceptionStrategyConfig | None
) -> ExceptionStrategyConfig | None:
    if es is None:
        ref = config.configuration.default_exception_strategy_ref
        return config.exception_strategies.get(ref) if ref else None
    if es.kind == "reference" and es.ref:
        return config.exception_strategies.get(es.ref)
    return es


def _rollbacks(
    config: AppConfig, es: ExceptionStrategyConfig | None
) -> list[ExceptionStrategyConfig]:
    resolved = _resolve_es(config, es)
    found = []
    for s in _strategies(resolved):
        target = _resolve_es(config, s) if s.kind == "reference" else s
        if target is not None and target.kind == "rollback":
            found.append(target)
    return found


def _source_endpoints(flow: FlowConfig) -> list[EndpointConfig]:
    if flow.source is None:
        return []
    return [
        e for e in _walk((flow.source,)) if isinstance(e, EndpointConfig) and e.role == "inbound"
    ]


def _check_flows(config: AppConfig) -> list[Problem]:
    problems = []
    default_strategy = config.configuration.default_processing_strategy
    for flow in config.flows.values():
        chosen = flow.processing_strategy or default_strategy
        if chosen is None or _is_dynamic(chosen):
            kind = None
        else:
            kind = _strategy_kind(config, chosen)
            if kind is None:
                where = flow.location if flow.processing_strategy else config.configuration.location
                problems.append(
                    _problem(
                        "MULE108",
                        where,
                        f"processing strategy '{chosen}' is neither a keyword "
                        f"({', '.join(PROCESSING_STRATEGY_KEYWORDS)}) nor a global strategy",
                    )
                )
        sources = _source_endpoints(flow)
        redelivery = any(
            r.max_redelivery_attempts is not None
            for r in _rollbacks(config, flow.exception_strategy)
        )
        if kind in ASYNC_STRATEGY_KINDS:
            bad = [
                e for e in sources if not e.one_way or (e.transaction and e.transaction.transacted)
            ]
            if bad or redelivery:
                reasons = []
                if bad:
                    reasons.append(
                        f"{_uri(bad[0])} is "
                        + ("request-response" if not bad[0].one_way else "transactional")
                    )
                if redelivery:
                    reasons.append("a rollback strategy sets maxRedeliveryAttempts")
                problems.append(
                    _problem(
                        "MULE501",
                        flow.location,
                        f"flow '{flow.name}' uses the {kind} processing strategy, which Mule "
                        "refuses here: One of the inbound endpoint configured on this Flow is "
                        "not compatible with an asynchronous processing strategy. Either because "
                        "it is request-response, has a transaction defined, or messaging "
                        f"redelivered is configured. ({'; '.join(reasons)})",
                    )
                )
        if kind == "non-blocking":
            vm_sources = [e for e in sources if e.scheme == "vm"]
            if vm_sources:
                problems.append(
                    _problem(
                        "MULE502",
                        flow.location,
                        f"flow '{flow.name}' uses the non-blocking processing strategy, which "
                        f"needs a non-blocking source; {_uri(vm_sources[0])} is not one",
                    )
                )
        problems += _check_redelivery(config, flow.name, sources, flow.exception_strategy)
    for model in config.models.values():
        for svc in model.services:
            es = svc.exception_strategy or model.exception_strategy
            problems += _check_redelivery(config, svc.name, list(svc.inbound), es)
    return problems


def _check_redelivery(
    config: AppConfig,
    construct: str,
    sources: Sequence[EndpointConfig],
    es: ExceptionStrategyConfig | None,
) -> list[Problem]:
    # An endpoint's own idempotent-redelivery-policy bounds redelivery (dead-letter
    # queue, or the exhausted message is consumed), so it is not endless.
    transacted = [
        e
        for e in sources
        if e.one_way
        and e.transaction is not None
        and e.transaction.transacted
        and e.redelivery_policy is None
    ]
    if not transacted:
        return []
    problems = []
    for rollback in _rollbacks(config, es):
        if rollback.max_redelivery_attempts is None:
            problems.append(
                _problem(
                    "MULE601",
                    rollback.location,
                    f"'{construct}' receives {_uri(transacted[0])} in a transaction and rolls "
                    "back without maxRedeliveryAttempts: a message that always fails is "
                    "redelivered forever",
                )
            )
    return problems


def _check_unsupported(config: AppConfig) -> list[Problem]:
    return [
        _problem("MULE900", u.location, f"<{u.qname}> is not covered by mule-emu run: {u.reason}")
        for u in config.unsupported
    ]


# Attributes whose value Mule reads as an expression even without the #[ ] marker (EL-1).
_EXPRESSION_ATTRIBUTES = frozenset({"expression"})


def _check_expressions(config: AppConfig) -> list[Problem]:
    """MULE802: every expression compiles, as the runtime compiles them at start-up.

    Values holding ``#[`` are read as attribute values (EL-2); a core element's
    ``expression`` attribute as an expression (EL-1) unless an ``evaluator`` names
    another language. Content of other expression languages (groovy:, xpath: ...) is a
    MULE900 note: valid Mule, but not something mule-emu runs.
    """
    # Imported here: only configs with expressions pay for the expression compiler.
    from mule_emulator.errors import ConfigError, UnsupportedError
    from mule_emulator.expressions import compile_attribute, compile_expression

    problems: list[Problem] = []

    def compile_one(text: str, as_attribute: bool, where: SourceLocation, label: str) -> None:
        try:
            if as_attribute:
                compile_attribute(text, where)
            else:
                compile_expression(text, where)
        except UnsupportedError as exc:
            problems.append(
                _problem("MULE900", where, f"{label}: {exc.message} (mule-emu run refuses it)")
            )
        except ConfigError as exc:
            problems.append(_problem("MULE802", where, f'{label}="{text}": {exc.message}'))

    for use in _uses(config):
        item = use.item
        if isinstance(item, EndpointConfig):
            continue
        for key, value in item.attributes.items():
            if "#[" in value:
                compile_one(value, True, item.location, key)
            elif (
                key in _EXPRESSION_ATTRIBUTES
                and item.namespace == CORE_NS
                and "evaluator" not in item.attributes
            ):
                compile_one(value, False, item.location, key)
    for strategy in _all_strategies(config):
        if strategy.when:
            compile_one(strategy.when, False, strategy.location, "when")
    return problems


def check_app(config: AppConfig) -> list[Problem]:
    """Every semantic problem of one application, in a stable order (file, line, rule)."""
    endpoints = _endpoints(config)
    problems = [
        *_check_references(config),
        *_check_connectors(config, endpoints),
        *_check_paths(config, endpoints),
        *_check_queue_profiles(config, endpoints),
        *_check_flows(config),
        *_check_unsupported(config),
        *_check_expressions(config),
    ]
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.file, p.line, p.column, p.rule))


# --------------------------------------------------------------------------- trees

SPRING_NS_PREFIX = "http://www.springframework.org/schema/"
_DEFINED_BY = "definitions"


def _local(element: etree._Element) -> str:
    return split_tag(str(element.tag))[1]


def _ns(element: etree._Element) -> str:
    return split_tag(str(element.tag))[0]


def _line(element: etree._Element) -> int:
    line = element.sourceline
    return line if isinstance(line, int) else 0


def _tree_problem(rule: str, file: str, element: etree._Element, message: str) -> Problem:
    return Problem(
        file=file,
        line=_line(element),
        column=0,
        path=element_path(element),
        rule=rule,
        severity=RULES[rule].severity,
        message=message,
    )


@dataclass(frozen=True)
class _Definition:
    """A named global element as the registry would hold it."""

    kind: str  # the element's local name (flow, vm:connector → connector, spring bean → bean)
    file: str
    element: etree._Element


def _definitions(documents: Sequence[Document]) -> tuple[dict[str, _Definition], list[Problem]]:
    """Every registry name of the application, and the duplicates (MULE701)."""
    names: dict[str, _Definition] = {}
    problems = []
    for doc in documents:
        candidates = [e for e in doc.root if isinstance(e.tag, str)]
        for element in list(candidates):
            if _local(element) == "beans" and _ns(element).startswith(SPRING_NS_PREFIX):
                candidates += [b for b in element if isinstance(b.tag, str)]
        for element in candidates:
            spring = _ns(element).startswith(SPRING_NS_PREFIX)
            name = element.get("id") or element.get("name") if spring else element.get("name")
            if not name:
                continue
            if name in names:
                first = names[name]
                line = _line(first.element)
                at = f"line {line}" if first.file == doc.file else f"{first.file}:{line}"
                problems.append(
                    _tree_problem(
                        "MULE701",
                        doc.file,
                        element,
                        f'<{_local(element)} name="{name}"> reuses a name already defined at '
                        f"{at} (<{first.kind}>); Mule registers both under one name and refuses "
                        "the second",
                    )
                )
            else:
                kind = "bean" if spring else _local(element)
                names[name] = _Definition(kind, doc.file, element)
    return names, problems


# What a reference must point at: rule id, what it is called, which kinds fit (None: any).
_ENDPOINT_REF = ("MULE102", "global endpoint", lambda k: k == "endpoint")
_CONNECTOR_REF = ("MULE101", "connector", lambda k: k.endswith("connector"))
_FLOW_REF = ("MULE106", "flow or sub-flow", lambda k: k in ("flow", "sub-flow"))
_STRATEGY_REF = (
    "MULE105",
    "global exception strategy",
    lambda k: k.endswith("exception-strategy") or k == "bean",
)
_PROCESSING_REF = (
    "MULE108",
    "global processing strategy",
    lambda k: k.endswith("processing-strategy"),
)
_TRANSFORMER_REF = ("MULE103", "global transformer", None)
_FILTER_REF = ("MULE104", "global filter", None)
_PROCESSOR_REF = ("MULE107", "global processor", None)
_STORE_REF = ("MULE109", "queue store", None)


def _references(element: etree._Element) -> Iterator[tuple[str, str, tuple[object, ...]]]:
    """(attribute, name, target spec) for every name this element refers to."""
    local = _local(element)
    ns = _ns(element)
    if ns.startswith(SPRING_NS_PREFIX):
        return
    parent = element.getparent()
    top_level = parent is not None and parent.getparent() is None
    ref = element.get("ref")
    if ref:
        if local.endswith("endpoint") and not top_level:
            yield "ref", ref, _ENDPOINT_REF
        elif local == "exception-strategy":
            yield "ref", ref, _STRATEGY_REF
        elif local == "transformer":
            yield "ref", ref, _TRANSFORMER_REF
        elif local == "filter":
            yield "ref", ref, _FILTER_REF
        elif local == "processor":
            yield "ref", ref, _PROCESSOR_REF
        elif local == "queue-store":
            yield "ref", ref, _STORE_REF
    if local == "flow-ref" and element.get("name"):
        yield "name", element.get("name") or "", _FLOW_REF
    connector = element.get("connector-ref")
    if connector:
        yield "connector-ref", connector, _CONNECTOR_REF
    for attribute in ("transformer-refs", "responseTransformer-refs"):
        for name in (element.get(attribute) or "").split():
            yield attribute, name, _TRANSFORMER_REF
    if local == "flow":
        strategy = element.get("processingStrategy")
        if strategy and strategy not in PROCESSING_STRATEGY_KEYWORDS:
            yield "processingStrategy", strategy, _PROCESSING_REF
    if local == "configuration":
        strategy = element.get("defaultProcessingStrategy")
        if strategy and strategy not in PROCESSING_STRATEGY_KEYWORDS:
            yield "defaultProcessingStrategy", strategy, _PROCESSING_REF
        default_es = element.get("defaultExceptionStrategy-ref")
        if default_es:
            yield "defaultExceptionStrategy-ref", default_es, _STRATEGY_REF


# The only elements ``_references`` can yield for, picked out by libxml2 in one pass.
_REFERRING = etree.XPath(
    "descendant-or-self::*[@ref or @connector-ref or @transformer-refs"
    " or @responseTransformer-refs or local-name()='flow-ref' or local-name()='flow'"
    " or local-name()='configuration']"
)


def _check_tree_references(
    documents: Sequence[Document], names: dict[str, _Definition]
) -> list[Problem]:
    problems = []
    for doc in documents:
        found = _REFERRING(doc.root)
        assert isinstance(found, list)
        for element in found:
            assert isinstance(element, etree._Element)
            for attribute, name, spec in _references(element):
                if _is_dynamic(name):
                    continue
                rule, what, fits = spec
                target = names.get(name)
                if target is None:
                    reason = f"names no {what} called '{name}'"
                elif callable(fits) and not fits(target.kind):
                    line = _line(target.element)
                    reason = (
                        f"names '{name}', which is a <{target.kind}> (line {line}), not a {what}"
                    )
                else:
                    continue
                problems.append(
                    _tree_problem(
                        str(rule), doc.file, element, f"<{_local(element)} {attribute}> {reason}"
                    )
                )
    return problems


def check_documents(documents: Sequence[Document]) -> list[Problem]:
    """Checks on the raw trees of one application, before it is parsed.

    Duplicate top-level names (MULE701), which the parser's name-keyed maps would
    collapse, and every reference by name (MULE101-MULE109): the parser stops at the
    first unresolved name, while these checks report each one with its own line.
    """
    names, problems = _definitions(documents)
    problems += _check_tree_references(documents, names)
    return sorted(problems, key=lambda p: (p.file, p.line, p.rule))


__all__ = ["RULES", "Rule", "check_app", "check_documents"]

"""Effective settings of flows, sub-flows and services, and of the whole application.

Builds on ``effective.py`` (settings, connectors, endpoints): a flow's processing
strategy and why (F-5), what happens to each event of its source (F-6, F-7), its SEDA
stage and pool (PS-3, TP-2), its exception strategy and redelivery (E-5, E-7); a
service's inherited queue profile, threading profile and strategy (S-2, S-3).
"""

from __future__ import annotations

from dataclasses import replace

from mule_emulator.errors import ConfigError
from mule_emulator.model.config import (
    ASYNC_STRATEGY_KINDS,
    DEFAULT_QUEUE_TIMEOUT_MS,
    AppConfig,
    EndpointConfig,
    ExceptionStrategyConfig,
    FlowConfig,
    ServiceConfig,
    SubFlowConfig,
)
from mule_emulator.model.references import endpoints_in, find_flow_construct
from mule_emulator.views.effective import (
    DEFAULT,
    DERIVED,
    EXPLICIT,
    EffectiveApp,
    Part,
    Setting,
    StrategyChoice,
    choose_exception_strategy,
    choose_strategy,
    connector_part,
    dead_letter_endpoints,
    endpoint_part,
    exception_settings,
    profile_settings,
    queue_capacity,
    queue_persistent,
    resolved_connector,
    seda_capacity,
    store_persistence,
    strategy_pool_chain,
    used_connectors,
    where,
)

QUEUED_KINDS = ("default", "queued-asynchronous", "queued-thread-per-processor")


def stage_name(flow: str) -> str:
    """The SEDA stage of a flow as Mule names it (Flow.java: ``<flow>.stage1``)."""
    return f"{flow}.stage1"


def flow_source(flow: FlowConfig) -> EndpointConfig | None:
    return flow.source if isinstance(flow.source, EndpointConfig) else None


def source_endpoints(flow: FlowConfig) -> list[EndpointConfig]:
    """The inbound endpoints a flow receives on: its endpoint, or those of its
    ``<composite-source>`` (F-1)."""
    if flow.source is None:
        return []
    return [e for e in endpoints_in((flow.source,)) if e.role == "inbound"]


def poll_period(flow: FlowConfig) -> tuple[int, str] | None:
    """(period in ms, where it comes from) of a ``<poll>`` source (P-24), else None."""
    source = flow.source
    if source is None or isinstance(source, EndpointConfig) or source.name != "poll":
        return None
    units = {"MILLISECONDS": 1, "SECONDS": 1000, "MINUTES": 60_000, "HOURS": 3_600_000}
    scheduler = source.child("fixed-frequency-scheduler")
    element = scheduler if scheduler is not None else source
    text = element.attr("frequency")
    unit = units.get((element.attr("timeUnit") or "MILLISECONDS").strip().upper(), 1)
    try:
        period = int(text.strip()) * unit if text else 1000
    except ValueError:
        return None
    return period, where(element.location) if text else "Mule default (P-24)"


def flow_redelivery(app: AppConfig, flow: FlowConfig) -> bool:
    """Whether F-8 sees a redelivery policy: the flow's exception strategy is a
    rollback strategy with ``maxRedeliveryAttempts``, directly or inside a choice
    (``AbstractPipeline.isRedeliveryPolicyConfigured``). An endpoint's own
    ``<idempotent-redelivery-policy>`` does not count: it changes no strategy."""
    choice = choose_exception_strategy(app, flow.exception_strategy, [])
    from mule_emulator.views.effective import strategy_redelivery

    attempts, _loc = strategy_redelivery(choice.strategy)
    return attempts is not None


def effective_kind(app: AppConfig, flow: FlowConfig) -> tuple[StrategyChoice, str, str]:
    """(choice, effective kind, note): F-8 switches an implicit strategy to
    synchronous when a redelivery policy is configured."""
    choice = choose_strategy(app, flow)
    if not choice.explicit and flow_redelivery(app, flow):
        return (
            choice,
            "synchronous",
            "switched to synchronous because a redelivery policy is configured (F-8; Mule "
            "logs a warning)",
        )
    return choice, choice.kind, ""


def event_handling(kind: str, flow: FlowConfig) -> tuple[str, str]:
    """(value, why) for what happens to an event arriving from the flow's source."""
    if flow.source is None:
        return (
            "caller's thread (flow-ref)",
            "a private flow: reached by flow-ref, which passes the caller's event; a "
            "synchronous event stays in the caller's thread (P-10)",
        )
    if poll_period(flow) is not None:
        return _one_way_handling(
            kind, flow, "each poll result enters the flow as a new one-way event (P-24)"
        )
    endpoints = source_endpoints(flow)
    if not endpoints:
        return "from its message source", f"<{getattr(flow.source, 'qname', 'source')}>"
    if len(endpoints) == 1 and flow_source(flow) is not None:
        return _endpoint_handling(kind, flow, endpoints[0])
    each = [(e, _endpoint_handling(kind, flow, e)) for e in endpoints]
    values = {value for _e, (value, _why) in each}
    if len(values) == 1:
        return each[0][1][0], "every endpoint of the <composite-source>: " + "; ".join(
            why for _e, (_v, why) in each
        )
    return "per endpoint of the <composite-source>", "; ".join(
        f"{e.scheme}://{e.path}: {value}" for e, (value, _why) in each
    )


def _one_way_handling(kind: str, flow: FlowConfig, what: str) -> tuple[str, str]:
    """A source of one-way events without a transaction (a poll)."""
    stage = f"seda.queue({stage_name(flow.name)})"
    if kind in ("synchronous", "non-blocking"):
        return "synchronous", f"{what}; it runs in the source's thread ({kind})"
    if kind == "default":
        return (
            f"asynchronous via {stage}",
            f"{what}: it is copied onto the flow's SEDA queue and run by pool "
            f"{stage_name(flow.name)} (F-7)",
        )
    if kind in ("queued-asynchronous", "queued-thread-per-processor"):
        return f"asynchronous via {stage}", f"{what}; every event is queued (PS-3)"
    return "asynchronous", f"{what}; handed straight to a pool, no queue (PS-2)"


def _endpoint_handling(kind: str, flow: FlowConfig, source: EndpointConfig) -> tuple[str, str]:
    stage = f"seda.queue({stage_name(flow.name)})"
    tx = source.transaction is not None and source.transaction.transacted
    address = f"{source.scheme}://{source.path}"
    if kind in ("synchronous", "non-blocking"):
        return "synchronous", f"every event runs in the thread that received it ({kind})"
    if kind == "default":
        if not source.one_way:
            return (
                "synchronous",
                f"{address} is request-response, so its events are synchronous and run in "
                "the caller's thread (F-6, F-7)",
            )
        if tx:
            return (
                "synchronous",
                f"{address} is transacted, so its events are synchronous and run in the "
                "receiver's thread (F-6, F-7)",
            )
        return (
            f"asynchronous via {stage}",
            f"{address} is one-way without a transaction: each event is copied onto the "
            f"flow's SEDA queue and run by pool {stage_name(flow.name)} (F-7)",
        )
    if kind in ("queued-asynchronous", "queued-thread-per-processor"):
        return f"asynchronous via {stage}", "every event is queued (PS-3)"
    return "asynchronous", "handed straight to a pool, no queue (PS-2)"


def strategy_warnings(app: AppConfig, flow: FlowConfig, choice: StrategyChoice) -> list[str]:
    out: list[str] = []
    if choice.error:
        out.append(choice.error)
    if not choice.explicit or choice.kind not in ASYNC_STRATEGY_KINDS:
        return out
    for source in source_endpoints(flow):
        if not source.one_way or (source.transaction is not None and source.transaction.transacted):
            out.append(
                f"start-up error (F-8): {source.scheme}://{source.path} is request-response "
                f"or transacted, which the {choice.kind} strategy refuses"
            )
    if flow_redelivery(app, flow):
        out.append(f"start-up error (F-8): a redelivery policy is not allowed with {choice.kind}")
    return out


def stage_part(app: AppConfig, flow: FlowConfig, choice: StrategyChoice) -> Part:
    """The SEDA stage (queued kinds) or async pool of a flow."""
    pool = profile_settings(strategy_pool_chain(app, choice.config))
    max_threads = next(int(s.value) for s in pool if s.name == "maxThreadsActive")  # type: ignore[arg-type]
    cfg = choice.config
    settings: list[Setting] = []
    name = stage_name(flow.name)
    if choice.kind in QUEUED_KINDS:
        size = cfg.max_queue_size if cfg is not None else None
        capacity, why = seda_capacity(size, max_threads)
        origin = EXPLICIT if size else DERIVED
        src = where(cfg.location) if (cfg is not None and size) else "PS-3"
        settings.append(Setting("queue", f"seda.queue({name})", DERIVED, "Flow.java, PS-3"))
        settings.append(Setting("capacity", capacity, origin, src, why=why))
        wait = next(s for s in pool if s.name == "threadWaitTimeout")
        settings.append(
            Setting(
                "offerTimeout",
                wait.value,
                wait.origin,
                wait.source,
                "ms",
                "threadWaitTimeout: a full stage queue makes the sender wait this long, then "
                "FailedToQueueEventException (PS-3)",
            )
        )
        if cfg is not None and cfg.queue_timeout_ms is not None:
            settings.append(
                Setting("queueTimeout", cfg.queue_timeout_ms, EXPLICIT, where(cfg.location), "ms")
            )
        else:
            settings.append(
                Setting(
                    "queueTimeout",
                    DEFAULT_QUEUE_TIMEOUT_MS,
                    DEFAULT,
                    "Mule default (DefaultMuleConfiguration.defaultQueueTimeout)",
                    "ms",
                    "the stage's poller waits this long per poll",
                )
            )
        store = cfg.queue_store if cfg is not None else None
        if store is not None:
            persistent, reason = store_persistence(app, store)
            settings.append(
                Setting("persistent", persistent, EXPLICIT, where(store.location), why=reason)
            )
        else:
            settings.append(
                Setting("persistent", False, DEFAULT, "Mule default (default-in-memory, PS-3)")
            )
    summary = f"SEDA stage; one thread of pool {name} is the queue's poller (PS-3)"
    pool_part = Part("pool", name, "", pool, summary=f"threads {name}.NN")
    if choice.kind not in QUEUED_KINDS:
        return Part(
            "stage", name, "", (), (pool_part,), summary="asynchronous hand-off, no queue (PS-2)"
        )
    return Part("stage", name, "", tuple(settings), (pool_part,), summary=summary)


def flow_part(app: AppConfig, flow: FlowConfig) -> Part:
    settings: list[Setting] = []
    warnings: list[str] = []
    parts: list[Part] = []
    state = flow.initial_state
    if state.strip().lower() == "stopped":
        settings.append(
            Setting(
                "initialState",
                "stopped",
                EXPLICIT,
                where(flow.location),
                why="not started with the app: one-way messages wait on its queue, a send "
                "finds no receiver (F-2)",
            )
        )
    else:
        settings.append(Setting("initialState", "started", DEFAULT, "Mule default (F-2)"))
    choice, kind, note = effective_kind(app, flow)
    settings.append(
        Setting("processingStrategy", choice.kind, choice.origin, choice.source, why=choice.why)
    )
    if note:
        settings.append(Setting("effectiveStrategy", kind, DERIVED, "F-8", why=note))
        warnings.append(note)
    poll = poll_period(flow)
    if poll is not None:
        period, origin = poll
        settings.append(
            Setting(
                "source",
                f"poll every {period} ms",
                DEFAULT if origin.startswith("Mule default") else EXPLICIT,
                origin,
                why='a new message (payload "") runs through the poll\'s processor; a '
                "non-null result enters the flow (P-24)",
            )
        )
    value, why = event_handling(kind, flow)
    settings.append(Setting("events", value, DERIVED, "F-6, F-7", why=why))
    sources = source_endpoints(flow)
    # Redelivery and transactions are told for the (first transacted) source endpoint.
    transacted = [e for e in sources if e.transaction is not None and e.transaction.transacted]
    source = (transacted or sources)[0] if sources else None
    exc = choose_exception_strategy(app, flow.exception_strategy, [])
    exc_settings, exc_warnings = exception_settings(app, exc, source)
    settings.extend(exc_settings)
    warnings.extend(strategy_warnings(app, flow, choice))
    warnings.extend(exc_warnings)
    for endpoint in sources:
        parts.append(endpoint_part(app, flow.name, endpoint, "source"))
    if kind == "default" or kind in ASYNC_STRATEGY_KINDS:
        stage = stage_part(app, flow, choice)
        if value == "synchronous":
            stage = replace(
                stage, summary="SEDA stage, unused by this source: its events are synchronous"
            )
        parts.append(stage)
    sync = (
        None if flow.source is None or value.startswith("per endpoint") else value == "synchronous"
    )
    for endpoint in endpoints_in(flow.processors):
        parts.append(endpoint_part(app, flow.name, endpoint, "outbound", sync))
    for endpoint in sources:
        for dead_letter in dead_letter_endpoints(endpoint):
            parts.append(endpoint_part(app, flow.name, dead_letter, "dead letter", sync))
    parts.extend(strategy_endpoint_parts(app, flow.name, exc.strategy, sync))
    refs = flow_refs(flow.processors)
    if refs:
        settings.append(
            Setting(
                "flowRefs",
                ", ".join(refs),
                EXPLICIT,
                where(flow.location),
                why="same event, same thread: flow variables are shared (P-10)",
            )
        )
    summary = "flow" if flow.source is not None else "private flow (no source)"
    return Part(
        "flow",
        flow.name,
        where(flow.location),
        tuple(settings),
        tuple(parts),
        tuple(warnings),
        summary,
    )


def strategy_endpoint_parts(
    app: AppConfig,
    owner: str,
    strategy: ExceptionStrategyConfig | None,
    sync: bool | None = None,
) -> list[Part]:
    """The endpoints of an exception strategy: its processors' ("on error") and those of
    its ``<on-redelivery-attempts-exceeded>`` block ("redelivery exhausted", X5); the
    children of a choice strategy too (E-8). A strategy runs in the thread of the failed
    event, so ``sync`` is that of the construct's events (E-2)."""
    if strategy is None:
        return []
    parts = [
        endpoint_part(app, owner, e, "on error", sync) for e in endpoints_in(strategy.processors)
    ]
    exceeded = strategy.on_redelivery_attempts_exceeded or ()
    parts.extend(
        endpoint_part(app, owner, e, "redelivery exhausted", sync) for e in endpoints_in(exceeded)
    )
    for child in strategy.strategies:
        parts.extend(strategy_endpoint_parts(app, owner, child, sync))
    return parts


def flow_refs(processors: object) -> list[str]:
    """Names of flows and sub-flows referenced by ``<flow-ref>`` at any depth."""
    out: list[str] = []

    def walk(items: object) -> None:
        for p in items:  # type: ignore[attr-defined]
            if isinstance(p, EndpointConfig):
                continue
            if p.name == "flow-ref" and p.attr("name"):
                out.append(p.attr("name"))
            walk(p.children)

    walk(processors)
    return out


def sub_flow_part(app: AppConfig, sub: SubFlowConfig) -> Part:
    settings = [
        Setting(
            "events",
            "caller's thread",
            DERIVED,
            "P-9",
            why="a sub-flow's processors run as part of the caller's chain; the caller's "
            "exception strategy applies (E-12)",
        )
    ]
    refs = flow_refs(sub.processors)
    if refs:
        settings.append(Setting("flowRefs", ", ".join(refs), EXPLICIT, where(sub.location)))
    parts = tuple(endpoint_part(app, sub.name, e, "outbound") for e in endpoints_in(sub.processors))
    return Part(
        "sub-flow", sub.name, where(sub.location), tuple(settings), parts, summary="sub-flow"
    )


def service_part(app: AppConfig, service: ServiceConfig) -> Part:
    model = app.models.get(service.model)
    conf = app.configuration
    settings: list[Setting] = [
        Setting("model", service.model, EXPLICIT, where(model.location) if model else "")
    ]
    pool = profile_settings(
        [
            (service.threading_profile, f"<threading-profile> of {service.name}"),
            (conf.default_service_threading, "<default-service-threading-profile>"),
            (conf.default_threading, "<default-threading-profile>"),
        ]
    )
    max_threads = next(int(s.value) for s in pool if s.name == "maxThreadsActive")  # type: ignore[arg-type]
    threads = next(s.value for s in pool if s.name == "doThreading")
    profile = service.queue_profile
    if profile is not None:
        p_src, p_why = where(profile.location), "the service's <queue-profile> (S-2)"
    elif model is not None and model.queue_profile is not None:
        profile = model.queue_profile
        p_src, p_why = where(profile.location), f"inherited from model '{model.name}' (S-2)"
    else:
        p_src, p_why = "Mule default (S-2)", "no queue profile on the service or its model"
    cap = profile.max_outstanding_messages if profile is not None else 0
    if threads is False:
        settings.append(
            Setting("stage", "none", EXPLICIT, "doThreading=false", why="no SEDA stage (TP-5, S-3)")
        )
    else:
        capacity = cap if cap > 0 else 4 * max_threads
        why = (
            p_why
            if cap > 0
            else f"{p_why}; maxOutstandingMessages 0 becomes 4 x maxThreadsActive ({max_threads})"
        )
        origin = EXPLICIT if profile is not None and cap > 0 else DERIVED
        settings.append(Setting("queue", f"seda.queue({service.name})", DERIVED, "S-3"))
        settings.append(Setting("capacity", capacity, origin, p_src, why=why))
        persistent = store_persistence(app, profile.store)[0] if profile is not None else False
        settings.append(Setting("persistent", persistent, origin if profile else DEFAULT, p_src))
        if service.queue_timeout_ms is not None:
            settings.append(
                Setting(
                    "queueTimeout",
                    service.queue_timeout_ms,
                    EXPLICIT,
                    where(service.location),
                    "ms",
                )
            )
        else:
            settings.append(
                Setting(
                    "queueTimeout",
                    DEFAULT_QUEUE_TIMEOUT_MS,
                    DEFAULT,
                    "Mule default (DefaultMuleConfiguration.defaultQueueTimeout, S-2)",
                    "ms",
                )
            )
        settings.append(
            Setting(
                "events",
                "asynchronous via the stage unless synchronous",
                DERIVED,
                "S-3, F-7",
                why="request-response or transacted events skip the stage and run in the "
                "receiving thread",
            )
        )
    component = service.component
    settings.append(
        Setting(
            "component",
            (component.attr("class") or component.qname)
            if component is not None
            else "pass-through",
            EXPLICIT if component is not None else DEFAULT,
            where(component.location) if component is not None else "Mule default (S-1)",
        )
    )
    inherited = (
        [(model.exception_strategy, f"inherited from model '{model.name}' (S-2)")] if model else []
    )
    exc = choose_exception_strategy(app, service.exception_strategy, inherited)
    inbound = service.inbound[0] if service.inbound else None
    exc_settings, warnings = exception_settings(app, exc, inbound)
    settings.extend(exc_settings)
    parts: list[Part] = [endpoint_part(app, service.name, e, "inbound") for e in service.inbound]
    for router in service.outbound:
        for e in endpoints_in((router,)):
            parts.append(endpoint_part(app, service.name, e, f"outbound ({router.name})"))
    for e in service.inbound:
        parts.extend(
            endpoint_part(app, service.name, d, "dead letter") for d in dead_letter_endpoints(e)
        )
    parts.extend(strategy_endpoint_parts(app, service.name, exc.strategy))
    if threads is not False:
        parts.append(
            Part("pool", service.name, "", pool, summary=f"service pool: threads {service.name}.NN")
        )
    return Part(
        "service",
        service.name,
        where(service.location),
        tuple(settings),
        tuple(parts),
        tuple(warnings),
        "service (SEDA model)",
    )


def queue_parts(app: AppConfig) -> tuple[Part, ...]:
    """Every VM queue a one-way endpoint uses, with who produces and who consumes."""
    from mule_emulator.views.effective import all_endpoints

    seen: dict[str, dict[str, object]] = {}
    for owner, endpoint in all_endpoints(app):
        if not endpoint.one_way:
            continue
        info = seen.setdefault(
            endpoint.path, {"producers": [], "consumers": [], "connector": None, "loc": endpoint}
        )
        role = "consumers" if endpoint.role == "inbound" else "producers"
        names = info[role]
        assert isinstance(names, list)
        if owner not in names:
            names.append(owner)
        if info["connector"] is None:
            info["connector"] = resolved_connector(app, endpoint)
    out: list[Part] = []
    for path in sorted(seen):
        info = seen[path]
        connector = info["connector"]
        cap = queue_capacity(connector)  # type: ignore[arg-type]
        persistent = queue_persistent(app, connector)  # type: ignore[arg-type]
        producers = info["producers"]
        consumers = info["consumers"]
        assert isinstance(producers, list) and isinstance(consumers, list)
        settings = (
            Setting("capacity", cap if cap else "unbounded", DERIVED, "Q1"),
            Setting("persistent", persistent, DERIVED, "Q4, Q5"),
            Setting("producers", ", ".join(producers) or "none in the config", DERIVED, ""),
            Setting(
                "consumers",
                ", ".join(consumers) or "none: messages wait for request()",
                DERIVED,
                "",
            ),
        )
        out.append(Part("queue", path, "", settings, summary="VM queue"))
    return tuple(out)


def effective_app(app: AppConfig) -> EffectiveApp:
    """Every effective setting of ``app``, in document order."""
    connectors = tuple(connector_part(app, c) for c in used_connectors(app))
    flows: list[Part] = [flow_part(app, f) for f in app.flows.values()]
    flows.extend(sub_flow_part(app, s) for s in app.sub_flows.values())
    services = tuple(service_part(app, s) for s in app.services)
    warnings: list[str] = []
    for flow in app.flows.values():
        for name in flow_refs(flow.processors):
            if "#[" not in name and find_flow_construct(app, name) is None:
                warnings.append(f"flow '{flow.name}': flow-ref to unknown '{name}'")
    try:
        _ = [c.name for c in used_connectors(app)]
    except ConfigError as exc:  # pragma: no cover - resolution errors are per endpoint
        warnings.append(exc.message)
    return EffectiveApp(
        app.name, app.files, connectors, tuple(flows), services, queue_parts(app), tuple(warnings)
    )


__all__ = [
    "effective_app",
    "effective_kind",
    "event_handling",
    "flow_part",
    "flow_refs",
    "flow_source",
    "queue_parts",
    "service_part",
    "stage_name",
    "sub_flow_part",
]

"""Effective settings: every value Mule would use for a config, default or explicit.

This is the one place where the teaching views resolve defaults (explain prints these
parts, graph and trace reuse them). It reads the frozen ``AppConfig`` only, never XML,
and follows the same resolution as the runtime builder: threading profiles merged most
specific first (TP-2, TP-6), connectors chosen per C5, processing strategies per F-5
and F-7, exception strategies per E-7/E-10, redelivery per E-5/P-29.

Each value is a ``Setting`` that says whether it was written in the config
(``explicit``, with file:line), is Mule's built-in default (``default``, naming the
rule), or was worked out from other values (``derived``, e.g. a SEDA queue's capacity of
4 x maxThreads).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from mule_emulator.errors import ConfigError, SourceLocation
from mule_emulator.model.config import (
    ASYNC_STRATEGY_KINDS,
    DEFAULT_CONCURRENT_TX_RECEIVERS,
    DEFAULT_EXCHANGE_PATTERN,
    DEFAULT_QUEUE_TIMEOUT_MS,
    MULE_DEFAULT_THREADING,
    AppConfig,
    ConnectorConfig,
    ElementConfig,
    EndpointConfig,
    ExceptionStrategyConfig,
    FlowConfig,
    ProcessingStrategyConfig,
    QueueProfile,
    QueueStoreConfig,
    ThreadingProfile,
)
from mule_emulator.model.references import (
    default_connector,
    endpoints_in,
    resolve_connector,
    resolve_exception_strategy,
    resolve_queue_store,
)

EXPLICIT = "explicit"
DEFAULT = "default"
DERIVED = "derived"

Value = str | int | bool | None


@dataclass(frozen=True)
class Setting:
    """One effective value: ``origin`` is explicit, default or derived; ``source`` says
    where it came from (``file:line`` or "Mule default (...)"); ``why`` explains."""

    name: str
    value: Value
    origin: str
    source: str
    unit: str = ""
    why: str = ""

    @property
    def shown(self) -> str:
        """The value as people read it (``200 ms``, ``unbounded``, ``true``)."""
        if isinstance(self.value, bool):
            text = "true" if self.value else "false"
        elif self.value is None:
            text = "-"
        else:
            text = str(self.value)
        return f"{text} {self.unit}" if self.unit else text


@dataclass(frozen=True)
class Part:
    """A connector, endpoint, pool, flow or service with its effective settings."""

    kind: str
    name: str
    location: str
    settings: tuple[Setting, ...] = ()
    parts: tuple[Part, ...] = ()
    warnings: tuple[str, ...] = ()
    summary: str = ""

    def setting(self, name: str) -> Setting | None:
        for s in self.settings:
            if s.name == name:
                return s
        return None

    def value(self, name: str) -> Value:
        s = self.setting(name)
        return s.value if s is not None else None


@dataclass(frozen=True)
class EffectiveApp:
    """The whole application's effective settings, grouped as explain prints them."""

    name: str
    files: tuple[str, ...]
    connectors: tuple[Part, ...] = ()
    flows: tuple[Part, ...] = ()
    services: tuple[Part, ...] = ()
    queues: tuple[Part, ...] = ()
    warnings: tuple[str, ...] = ()


def where(location: SourceLocation) -> str:
    """``file:line`` of a config element ("" when unknown)."""
    if not location.file:
        return ""
    return f"{location.file}:{location.line}" if location.line else location.file


def _explicit(
    name: str, value: Value, loc: SourceLocation, unit: str = "", why: str = ""
) -> Setting:
    return Setting(name, value, EXPLICIT, where(loc) or "config", unit, why)


def _default(name: str, value: Value, rule: str, unit: str = "", why: str = "") -> Setting:
    return Setting(name, value, DEFAULT, f"Mule default ({rule})", unit, why)


def _derived(name: str, value: Value, source: str, unit: str = "", why: str = "") -> Setting:
    return Setting(name, value, DERIVED, source, unit, why)


# ----------------------------------------------------------------------- threading profiles

_PROFILE_FIELDS = (
    ("maxThreadsActive", "max_threads_active", ""),
    ("maxThreadsIdle", "max_threads_idle", ""),
    ("maxBufferSize", "max_buffer_size", ""),
    ("poolExhaustedAction", "pool_exhausted_action", ""),
    ("threadWaitTimeout", "thread_wait_timeout_ms", "ms"),
    ("threadTTL", "thread_ttl_ms", "ms"),
    ("doThreading", "do_threading", ""),
)

ProfileLink = tuple[ThreadingProfile | None, str]


def profile_settings(chain: list[ProfileLink]) -> tuple[Setting, ...]:
    """Each profile attribute from the first profile in ``chain`` that sets it (most
    specific first, as ``merge_threading``), else Mule's constant (TP-2)."""
    out: list[Setting] = []
    for label, attr, unit in _PROFILE_FIELDS:
        chosen: Setting | None = None
        for profile, element in chain:
            if profile is not None and getattr(profile, attr) is not None:
                value = getattr(profile, attr)
                chosen = _explicit(label, value, profile.location, unit, f"from {element}")
                break
        if chosen is None:
            chosen = _default(
                label,
                getattr(MULE_DEFAULT_THREADING, attr),
                "DefaultThreadingProfileConfig, TP-2",
                unit,
            )
        out.append(chosen)
    return tuple(out)


def _dispatcher_threads(app: AppConfig, connector: ConnectorConfig) -> bool:
    """Whether the connector's dispatcher profile threads (doThreading, TP-5)."""
    settings = profile_settings(dispatcher_chain(app, connector))
    return next((s.value is not False for s in settings if s.name == "doThreading"), True)


def _int(settings: tuple[Setting, ...], name: str) -> int:
    for s in settings:
        if s.name == name and isinstance(s.value, int) and not isinstance(s.value, bool):
            return s.value
    return 0


def _pool(name: str, role: str, settings: tuple[Setting, ...], summary: str) -> Part:
    return Part("pool", name, "", settings, summary=f"{role}: {summary}" if summary else role)


# ----------------------------------------------------------------------- queue stores


def store_persistence(app: AppConfig, store: QueueStoreConfig) -> tuple[bool | None, str]:
    """Whether a queue store persists (Q4/Q5), with a short reason."""
    try:
        resolved = resolve_queue_store(app, store)
    except ConfigError as exc:
        return None, exc.message
    if resolved.persistent is not None:
        return resolved.persistent, f"<{resolved.kind}-queue-store>".replace(
            "<ref-queue-store>", "<queue-store ref>"
        )
    named = resolved.class_name or resolved.ref or "?"
    return None, f"decided by {named}.isPersistent() when the app starts (Q5)"


def _queue_settings(
    app: AppConfig, profile: QueueProfile | None, owner_loc: SourceLocation, owner: str
) -> list[Setting]:
    out: list[Setting] = []
    if profile is None:
        out.append(
            _default(
                "maxOutstandingMessages",
                0,
                "Q1",
                why=f"0 = unbounded; {owner} has no queue profile",
            )
        )
        out.append(_default("queueStore", "default-in-memory", "Q1"))
        out.append(_default("persistent", False, "Q1", why="messages live in memory only"))
        return out
    cap = profile.max_outstanding_messages
    out.append(
        _explicit(
            "maxOutstandingMessages",
            cap,
            profile.location,
            why="" if cap > 0 else "0 = unbounded",
        )
    )
    store = profile.store
    store_loc = store.location if store.location.line else profile.location
    if store.location.line and store.location != profile.location:
        out.append(_explicit("queueStore", store.kind, store_loc))
    else:
        out.append(_default("queueStore", store.kind, "Q1", why="the profile has no store child"))
    persistent, reason = store_persistence(app, store)
    why = "survives a restart (files under <workDir>/queuestore)" if persistent else reason
    if persistent is False:
        why = "messages live in memory only; a restart loses them"
    out.append(_derived("persistent", persistent, reason, why=why))
    return out


# ----------------------------------------------------------------------- connectors


def used_connectors(app: AppConfig) -> list[ConnectorConfig]:
    """Configured connectors, plus the implicit default one when an endpoint needs it."""
    out = list(app.connectors.values())
    for _owner, endpoint in all_endpoints(app):
        try:
            c = resolve_connector(app, endpoint)
        except ConfigError:
            continue
        if c.implicit and all(x.name != c.name for x in out):
            out.append(c)
    return out


def all_endpoints(app: AppConfig) -> Iterator[tuple[str, EndpointConfig]]:
    """(owner, endpoint) for endpoints of flows, sub-flows, services and strategies,
    and the dead-letter endpoints of inbound redelivery policies (P-29)."""
    from mule_emulator.model.references import iter_endpoints

    for owner, endpoint in iter_endpoints(app):
        if endpoint.role != "global":
            yield owner, endpoint
            for dead_letter in dead_letter_endpoints(endpoint):
                yield owner, dead_letter


def dead_letter_endpoints(endpoint: EndpointConfig) -> list[EndpointConfig]:
    """The endpoints inside the ``<dead-letter-queue>`` of ``endpoint``'s
    ``<idempotent-redelivery-policy>`` (where an exhausted message goes, P-29)."""
    policy = endpoint.redelivery_policy
    if policy is None:
        return []
    out: list[EndpointConfig] = []
    for dlq in policy.children_named("dead-letter-queue"):
        out.extend(e for e in endpoints_in(dlq.children) if e.role != "global")
    return out


def receiver_chain(app: AppConfig, c: ConnectorConfig) -> list[ProfileLink]:
    conf = app.configuration
    return [
        (c.receiver_threading, f"<receiver-threading-profile> of {c.name}"),
        (conf.default_receiver_threading, "<default-receiver-threading-profile>"),
        (conf.default_threading, "<default-threading-profile>"),
    ]


def dispatcher_chain(app: AppConfig, c: ConnectorConfig) -> list[ProfileLink]:
    conf = app.configuration
    return [
        (c.dispatcher_threading, f"<dispatcher-threading-profile> of {c.name}"),
        (conf.default_dispatcher_threading, "<default-dispatcher-threading-profile>"),
        (conf.default_threading, "<default-threading-profile>"),
    ]


def connector_part(app: AppConfig, c: ConnectorConfig) -> Part:
    settings: list[Setting] = []
    if c.queue_timeout_ms is not None:
        settings.append(_explicit("queueTimeout", c.queue_timeout_ms, c.location, "ms"))
    else:
        settings.append(
            _default(
                "queueTimeout",
                DEFAULT_QUEUE_TIMEOUT_MS,
                "DefaultMuleConfiguration.defaultQueueTimeout, C2",
                "ms",
                "how long a dispatch waits for room in a full queue, and a poll for a message",
            )
        )
    settings.extend(_queue_settings(app, c.queue_profile, c.location, f"connector {c.name}"))
    if c.number_of_concurrent_transacted_receivers is not None:
        settings.append(
            _explicit(
                "numberOfConcurrentTransactedReceivers",
                c.number_of_concurrent_transacted_receivers,
                c.location,
            )
        )
    else:
        settings.append(
            _default(
                "numberOfConcurrentTransactedReceivers",
                DEFAULT_CONCURRENT_TX_RECEIVERS,
                "AbstractConnector, C2",
            )
        )
    if c.create_multiple_transacted_receivers is not None:
        settings.append(
            _explicit(
                "createMultipleTransactedReceivers",
                c.create_multiple_transacted_receivers,
                c.location,
            )
        )
    else:
        settings.append(
            _default("createMultipleTransactedReceivers", True, "AbstractConnector, C2")
        )
    receiver = profile_settings(receiver_chain(app, c))
    dispatcher = profile_settings(dispatcher_chain(app, c))
    pools = (
        _pool(
            f"{c.name}.receiver",
            "receiver pool (C6, R3)",
            receiver,
            f"runs the polling loops of one-way inbound endpoints and each polled message; "
            f"threads {c.name}.receiver.NN",
        ),
        _pool(
            f"{c.name}.dispatcher",
            "dispatcher pool (C7)",
            dispatcher,
            f"enqueues one-way dispatches of asynchronous events; threads {c.name}.dispatcher.NN",
        ),
    )
    if c.implicit:
        summary = (
            "implicit: no <vm:connector> is configured, so Mule creates this one with "
            "every default (C5)"
        )
        location = "Mule default (C5)"
    else:
        summary = "<vm:connector>"
        location = where(c.location)
    return Part("connector", c.name, location, tuple(settings), pools, summary=summary)


# ----------------------------------------------------------------------- endpoints


def connector_choice(app: AppConfig, endpoint: EndpointConfig) -> Setting:
    """Which connector an endpoint uses and why (C5, E10)."""
    try:
        connector = resolve_connector(app, endpoint)
    except ConfigError as exc:
        return Setting("connector", None, DERIVED, "start-up error", why=exc.message)
    if endpoint.connector_ref:
        return _explicit("connector", connector.name, endpoint.location, why="connector-ref")
    if endpoint.params.get("connector"):
        return _explicit(
            "connector", connector.name, endpoint.location, why="?connector= in the address"
        )
    if connector.implicit:
        return _default(
            "connector",
            connector.name,
            "C5",
            why="no VM connector is configured: Mule creates one with every default",
        )
    return _derived(
        "connector", connector.name, "C5", why="the only VM connector in the application"
    )


def resolved_connector(app: AppConfig, endpoint: EndpointConfig) -> ConnectorConfig | None:
    try:
        return resolve_connector(app, endpoint)
    except ConfigError:
        return None


def exchange_pattern(endpoint: EndpointConfig) -> Setting:
    if endpoint.exchange_pattern is not None:
        return _explicit("exchange-pattern", endpoint.exchange_pattern, endpoint.location)
    return _default(
        "exchange-pattern", DEFAULT_EXCHANGE_PATTERN, "vm.properties, C1", why="VM's default MEP"
    )


def queue_persistent(app: AppConfig, connector: ConnectorConfig | None) -> bool | None:
    if connector is None or connector.queue_profile is None:
        return False
    return store_persistence(app, connector.queue_profile.store)[0]


def queue_capacity(connector: ConnectorConfig | None) -> int:
    if connector is None:
        return 0
    return connector.effective_queue_profile.max_outstanding_messages


def endpoint_part(
    app: AppConfig,
    owner: str,
    endpoint: EndpointConfig,
    role: str = "",
    sync_owner: bool | None = None,
) -> Part:
    """An endpoint with its connector, MEP, queue, transaction and redelivery."""
    settings: list[Setting] = [connector_choice(app, endpoint), exchange_pattern(endpoint)]
    warnings: list[str] = []
    connector = resolved_connector(app, endpoint)
    queue_name = endpoint.path
    one_way = endpoint.one_way
    inbound = endpoint.role == "inbound"
    if one_way:
        cap = queue_capacity(connector)
        persistent = queue_persistent(app, connector)
        kind = "persistent" if persistent else ("transient" if persistent is False else "unknown")
        settings.append(
            _derived(
                "queue",
                f"{queue_name} ({kind}, {'capacity ' + str(cap) if cap else 'unbounded'})",
                f"queue profile of {connector.name if connector else '?'} (Q1, Q6)",
                why="a one-way VM hop goes through this queue (VM-2)",
            )
        )
        if connector is not None:
            timeout = connector.effective_queue_timeout_ms
            settings.append(
                _derived(
                    "queueTimeout",
                    timeout,
                    f"connector {connector.name}",
                    "ms",
                    "a poll waits this long for a message"
                    if inbound
                    else "a dispatch to a full queue waits this long, then fails (Q7)",
                )
            )
    else:
        settings.append(
            _derived(
                "queue",
                "none",
                "E5, VM-6",
                why="request-response uses no queue: a send runs the listening flow in the "
                "caller's thread",
            )
        )
    tx = endpoint.transaction
    if tx is not None:
        settings.append(_explicit("transaction", f"{tx.kind} {tx.action}", tx.location))
    else:
        settings.append(
            _default("transaction", "none", "INDIFFERENT", why="no transaction element")
        )
    if inbound and connector is not None:
        settings.append(_receiver_setting(app, endpoint, connector))
    if not inbound and one_way and connector is not None and sync_owner:
        settings.append(
            _derived(
                "dispatch",
                "in the caller's thread",
                "C7, VM-4",
                why=f"{owner}'s events are synchronous, so the enqueue happens in its own "
                "thread and a full queue fails the flow",
            )
        )
    elif not inbound and one_way and connector is not None and not _dispatcher_threads(
        app, connector
    ):
        settings.append(
            _derived(
                "dispatch",
                "in the caller's thread",
                "C7, TP-5",
                why=f"the dispatcher threading profile of {connector.name} has "
                "doThreading=false: every one-way dispatch enqueues in the caller's thread",
            )
        )
    elif not inbound and one_way and connector is not None:
        settings.append(
            _derived(
                "dispatch",
                f"on pool {connector.name}.dispatcher",
                "C7, VM-4",
                why="only for asynchronous events; a synchronous or transacted event "
                "enqueues in the caller's thread and sees a queue-full error itself",
            )
        )
    policy = endpoint.redelivery_policy
    if policy is not None:
        count = policy.attr("maxRedeliveryCount")
        dlq = policy.child("dead-letter-queue")
        text = f"idempotent-redelivery-policy maxRedeliveryCount={count or 5}"
        if dlq is not None:
            targets = [e.address for e in endpoints_in(dlq.children)]
            text += f", dead letter to {', '.join(targets) or 'processors'}"
        settings.append(_explicit("redelivery", text, policy.location))
    if connector is None:
        warnings.append(str(connector_choice(app, endpoint).why))
    summary = f"{role or endpoint.role} {endpoint.scheme}://{endpoint.path}"
    if endpoint.ref:
        summary += f" (based on global endpoint '{endpoint.ref}')"
    return Part(
        "endpoint",
        f"{endpoint.scheme}://{endpoint.path}",
        where(endpoint.location),
        tuple(settings),
        warnings=tuple(warnings),
        summary=summary,
    )


def transacted_workers(app: AppConfig, connector: ConnectorConfig) -> int:
    """R4: N workers, or one when multiple receivers are off or the receiver profile
    does not thread."""
    receiver = profile_settings(receiver_chain(app, connector))
    threads = next((s.value for s in receiver if s.name == "doThreading"), True)
    if connector.create_multiple_transacted_receivers is False or threads is False:
        return 1
    return connector.effective_tx_receivers


def _receiver_setting(
    app: AppConfig, endpoint: EndpointConfig, connector: ConnectorConfig
) -> Setting:
    if not endpoint.one_way:
        return _derived(
            "receiver",
            "registered, never polls",
            "R1, E5",
            why="reached only by a send, in the sender's thread (a dispatch to it stays "
            "on the queue, E7)",
        )
    tx = endpoint.transaction
    if tx is not None and tx.transacted:
        n = transacted_workers(app, connector)
        return _derived(
            "receiver",
            f"transacted, {n} worker{'s' if n != 1 else ''}",
            f"R2, R4 (numberOfConcurrentTransactedReceivers of {connector.name})",
            why="each worker takes one message inside a transaction and runs the flow in "
            "its own thread; a rollback puts the message back at the tail of the queue",
        )
    max_threads = _int(profile_settings(receiver_chain(app, connector)), "maxThreadsActive")
    batch = max(1, max_threads // 2 - 1)
    return _derived(
        "receiver",
        f"polling, batches of up to {batch}",
        f"R3 (maxThreadsActive {max_threads} of {connector.name}.receiver)",
        why="a loop polls the queue and hands each message to the receiver pool",
    )


# ----------------------------------------------------------------------- strategies


@dataclass(frozen=True)
class StrategyChoice:
    """A flow's processing strategy per F-5 with the reason it was chosen."""

    kind: str
    explicit: bool
    source: str
    origin: str
    why: str
    config: ProcessingStrategyConfig | None = None
    error: str = ""


def choose_strategy(app: AppConfig, flow: FlowConfig) -> StrategyChoice:
    conf = app.configuration
    if flow.processing_strategy:
        written, origin = flow.processing_strategy, EXPLICIT
        source, why = where(flow.location), "the flow's processingStrategy attribute (F-5 step 1)"
    elif conf.default_processing_strategy:
        written, origin = conf.default_processing_strategy, EXPLICIT
        source = where(conf.location) or "configuration"
        why = "<configuration defaultProcessingStrategy> (F-5 step 2)"
    else:
        return StrategyChoice(
            "default",
            False,
            "Mule default (DefaultFlowProcessingStrategy, F-5 step 4)",
            DEFAULT,
            "no processingStrategy on the flow nor in <configuration>",
        )
    if written in ("default", "synchronous", "non-blocking", *ASYNC_STRATEGY_KINDS):
        return StrategyChoice(written, written != "default", source, origin, why)
    target = app.processing_strategies.get(written)
    if target is None:
        return StrategyChoice(
            "default", False, source, origin, why, error=f"no processing strategy named '{written}'"
        )
    return StrategyChoice(
        target.kind,
        target.kind != "default",
        where(target.location),
        EXPLICIT,
        f"global strategy '{written}' named by {why}",
        target,
    )


def strategy_pool_chain(app: AppConfig, cfg: ProcessingStrategyConfig | None) -> list[ProfileLink]:
    own = None
    if cfg is not None:
        own = ThreadingProfile(
            max_threads_active=cfg.max_threads,
            max_threads_idle=cfg.min_threads,
            max_buffer_size=cfg.max_buffer_size,
            thread_ttl_ms=cfg.thread_ttl_ms,
            thread_wait_timeout_ms=cfg.thread_wait_timeout_ms,
            pool_exhausted_action=cfg.pool_exhausted_action,
            location=cfg.location,
        )
    return [
        (own, "the strategy's attributes"),
        (app.configuration.default_threading, "<default-threading-profile>"),
    ]


def seda_capacity(max_queue_size: int | None, max_threads: int) -> tuple[int | str, str]:
    """(capacity, why) of a SEDA stage queue (PS-3)."""
    if max_queue_size is not None and max_queue_size > 0:
        return max_queue_size, "maxQueueSize"
    if max_queue_size is not None and max_queue_size < 0:
        return "unbounded", "maxQueueSize < 0"
    return 4 * max_threads, f"4 x maxThreadsActive ({max_threads}), PS-3"


# ----------------------------------------------------------------------- exception strategies


@dataclass(frozen=True)
class ExceptionChoice:
    kind: str
    source: str
    origin: str
    why: str
    strategy: ExceptionStrategyConfig | None


def choose_exception_strategy(
    app: AppConfig,
    own: ExceptionStrategyConfig | None,
    inherited: list[tuple[ExceptionStrategyConfig | None, str]],
) -> ExceptionChoice:
    """Own strategy (following a reference, E-10), then ``inherited`` (a model's),
    then ``<configuration defaultExceptionStrategy-ref>``, then Mule's default (E-7)."""
    candidates: list[tuple[ExceptionStrategyConfig | None, str]] = [(own, ""), *inherited]
    for strategy, label in candidates:
        if strategy is None:
            continue
        try:
            target = resolve_exception_strategy(app, strategy)
        except ConfigError as exc:
            return ExceptionChoice(
                "unresolved", where(strategy.location), EXPLICIT, exc.message, None
            )
        why = label or "the construct's own strategy"
        if strategy.kind == "reference":
            defined = where(target.location)
            why = f'<exception-strategy ref="{strategy.ref}"> (E-10), defined at {defined}'
        return ExceptionChoice(target.kind, where(strategy.location), EXPLICIT, why, target)
    ref = app.configuration.default_exception_strategy_ref
    if ref:
        configured = app.exception_strategies.get(ref)
        if configured is None:
            return ExceptionChoice(
                "unresolved",
                where(app.configuration.location),
                EXPLICIT,
                f"defaultExceptionStrategy-ref '{ref}' names nothing",
                None,
            )
        return ExceptionChoice(
            configured.kind,
            where(app.configuration.location) or "configuration",
            EXPLICIT,
            f'<configuration defaultExceptionStrategy-ref="{ref}"> (E-7)',
            configured,
        )
    return ExceptionChoice(
        "default",
        "Mule default (DefaultMessagingExceptionStrategy, E-7)",
        DEFAULT,
        "logs, rolls back any transaction; a request-response caller gets NullPayload "
        "with an exception payload (E-6)",
        None,
    )


def strategy_redelivery(
    strategy: ExceptionStrategyConfig | None,
) -> tuple[int | None, SourceLocation]:
    """``maxRedeliveryAttempts`` of a rollback strategy, directly or inside a choice."""
    if strategy is None:
        return None, SourceLocation()
    if strategy.kind == "rollback" and strategy.max_redelivery_attempts is not None:
        return strategy.max_redelivery_attempts, strategy.location
    for child in strategy.strategies:
        n, loc = strategy_redelivery(child)
        if n is not None:
            return n, loc
    return None, SourceLocation()


def rolls_back(strategy: ExceptionStrategyConfig | None) -> bool:
    """Whether a failure under this strategy rolls the transaction back (E-4..E-8)."""
    if strategy is None:
        return True
    if strategy.kind == "catch":
        return False
    if strategy.kind == "default":
        return not any(p.strip() == "*" for p in strategy.commit_patterns)
    if strategy.kind == "choice":
        return any(rolls_back(s) for s in strategy.strategies) or not strategy.strategies
    return strategy.kind in ("rollback", "custom")


def _redelivery_identity(policy: ElementConfig | None) -> str:
    """How a redelivery policy tells "the same message" (P-29, X5)."""
    expression = policy.attr("idExpression") if policy is not None else None
    if expression:
        return f"identified by {expression}"
    return "identified by the SHA-256 of its payload"


def exception_settings(
    app: AppConfig,
    choice: ExceptionChoice,
    source: EndpointConfig | None,
) -> tuple[list[Setting], list[str]]:
    """The exception strategy and redelivery settings of a flow or service."""
    settings: list[Setting] = []
    warnings: list[str] = []
    name = (
        f" '{choice.strategy.name}'" if choice.strategy is not None and choice.strategy.name else ""
    )
    settings.append(
        Setting(
            "exceptionStrategy",
            f"{choice.kind}{name}",
            choice.origin,
            choice.source,
            why=choice.why,
        )
    )
    attempts, loc = strategy_redelivery(choice.strategy)
    policy = source.redelivery_policy if source is not None else None
    identity = _redelivery_identity(policy)
    if attempts is not None:
        why = (
            f"the inbound endpoint counts failed deliveries of the same message ({identity}): "
            f"the flow runs at most {attempts + 1} times, the next arrival skips it, "
            "on-redelivery-attempts-exceeded runs and the message is consumed (X5, E-5)"
        )
        if policy is not None:
            why += "; this limit replaces the endpoint policy's maxRedeliveryCount (X5)"
        settings.append(_explicit("redelivery", f"maxRedeliveryAttempts {attempts}", loc, why=why))
    elif policy is not None:
        count = int(policy.attr("maxRedeliveryCount") or "5")
        targets = [e.address for e in dead_letter_endpoints(source)] if source else []
        after = (
            f"goes to the dead-letter queue {', '.join(targets)} and is consumed"
            if targets
            else "fails with MessageRedeliveredException in the exception strategy"
        )
        settings.append(
            _explicit(
                "redelivery",
                f"maxRedeliveryCount {count}",
                policy.location,
                why=f"the inbound endpoint counts failed deliveries of the same message "
                f"({identity}): the flow runs at most {count + 1} times, the next arrival "
                f"{after} (P-29)",
            )
        )
    transacted = (
        source is not None and source.transaction is not None and source.transaction.transacted
    )
    if transacted and source is not None:
        if not rolls_back(choice.strategy) and attempts is None and policy is None:
            settings.append(
                _derived(
                    "redelivery",
                    "none",
                    "E-4, T6",
                    why=f"the {choice.kind} strategy commits the transaction: a failed message "
                    "is consumed, and what the flow dispatched before the failure is delivered",
                )
            )
        if rolls_back(choice.strategy) and attempts is None and policy is None:
            settings.append(_default("redelivery", "endless", "no redelivery limit", why="E-5, R5"))
            warnings.append(
                f"endless redelivery: a message from {source.scheme}://{source.path} that keeps "
                "failing is rolled back to the tail of its queue and redelivered forever; set "
                "maxRedeliveryAttempts on a rollback-exception-strategy"
            )
    elif attempts is None and policy is None:
        settings.append(
            _derived("redelivery", "none", "no transaction", why="a failed message is not put back")
        )
    return settings, warnings


__all__ = [
    "DEFAULT",
    "DERIVED",
    "EXPLICIT",
    "EffectiveApp",
    "ExceptionChoice",
    "Part",
    "Setting",
    "StrategyChoice",
    "all_endpoints",
    "choose_exception_strategy",
    "choose_strategy",
    "connector_part",
    "dead_letter_endpoints",
    "default_connector",
    "endpoint_part",
    "exception_settings",
    "profile_settings",
    "queue_capacity",
    "queue_persistent",
    "resolved_connector",
    "seda_capacity",
    "strategy_pool_chain",
    "used_connectors",
    "where",
]

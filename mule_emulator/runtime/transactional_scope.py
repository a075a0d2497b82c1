"""The ``<transactional action=…>`` scope (T3, T4; VmSingleTransactionTransactionalElement).

The scope runs its processors under a scope execution template (``transactions.
scope_template``): ``ALWAYS_BEGIN`` (the default) resolves a bound transaction first and
begins its own, ``BEGIN_OR_JOIN`` joins; a failure goes to the scope's own exception
strategy (its last child), else to the context default strategy, and the transaction
the scope began is resolved: committed after a catch, rolled back after a default or
rollback strategy. A joined transaction is left to its owner.

Importing this module registers the element with the runtime's builder.
"""

from __future__ import annotations

from collections.abc import Sequence

from mule_emulator.errors import ConfigError
from mule_emulator.model.config import (
    CORE_NS,
    ElementConfig,
    ExceptionStrategyConfig,
    ProcessorConfig,
    TransactionConfig,
)
from mule_emulator.runtime.builder import BuildContext, element
from mule_emulator.runtime.exception_strategies import ExceptionStrategy
from mule_emulator.runtime.message import MuleEvent, ProcessResult
from mule_emulator.runtime.processors.base import Processor
from mule_emulator.runtime.transactions import TransactionTemplate, scope_template

_STRATEGY_KINDS = {
    "catch-exception-strategy": "catch",
    "rollback-exception-strategy": "rollback",
    "default-exception-strategy": "default",
    "choice-exception-strategy": "choice",
    "exception-strategy": "reference",
}


class TransactionalScope(Processor):
    """Runs ``chain`` inside ``template`` (a scope template with the scope's strategy)."""

    kind = "transactional"

    def __init__(self, chain: Processor, template: TransactionTemplate) -> None:
        self.chain = chain
        self.template = template

    def process(self, event: MuleEvent) -> ProcessResult:
        result: ProcessResult = self.template.execute(lambda: self.chain.process(event))
        return result

    def children(self) -> Sequence[Processor]:
        return (self.chain,)

    def start(self) -> None:
        self.chain.start()

    def stop(self) -> None:
        self.chain.stop()


def strategy_config(cfg: ElementConfig) -> ExceptionStrategyConfig:
    """An exception strategy written inside a scope, as the model would have parsed it."""
    kind = _STRATEGY_KINDS[cfg.name]
    processors: list[ProcessorConfig] = []
    exceeded: tuple[ProcessorConfig, ...] | None = None
    strategies: list[ExceptionStrategyConfig] = []
    for child in cfg.children:
        if isinstance(child, ElementConfig) and child.name == "on-redelivery-attempts-exceeded":
            exceeded = child.children
        elif isinstance(child, ElementConfig) and child.name in _STRATEGY_KINDS:
            strategies.append(strategy_config(child))
        elif isinstance(child, ElementConfig) and child.name in (
            "commit-transaction",
            "rollback-transaction",
        ):
            continue
        else:
            processors.append(child)
    attempts = cfg.attr("maxRedeliveryAttempts")
    return ExceptionStrategyConfig(
        kind=kind,
        name=cfg.attr("name"),
        when=cfg.attr("when"),
        processors=tuple(processors),
        max_redelivery_attempts=int(attempts) if attempts and attempts.isdigit() else None,
        on_redelivery_attempts_exceeded=exceeded,
        strategies=tuple(strategies),
        ref=cfg.attr("ref"),
        commit_patterns=tuple(
            str(c.attr("exception-pattern"))
            for c in cfg.children_named("commit-transaction")
            if c.attr("exception-pattern")
        ),
        rollback_patterns=tuple(
            str(c.attr("exception-pattern"))
            for c in cfg.children_named("rollback-transaction")
            if c.attr("exception-pattern")
        ),
        log_exception=cfg.attr("logException"),
        location=cfg.location,
    )


@element(CORE_NS, "transactional")
def build_transactional(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    body = list(cfg.children)
    strategy_cfg: ElementConfig | None = None
    if body and isinstance(body[-1], ElementConfig) and body[-1].name in _STRATEGY_KINDS:
        last = body.pop()
        assert isinstance(last, ElementConfig)
        strategy_cfg = last
    factory = ctx.exception_factory
    if factory is None:
        raise ConfigError("exception strategies are not available to <transactional>", cfg.location)
    handler: ExceptionStrategy = (
        factory.build(strategy_config(strategy_cfg))
        if strategy_cfg is not None
        else factory.context_default()
    )
    action = (cfg.attr("action") or "ALWAYS_BEGIN").strip().upper()
    tx = TransactionConfig(kind="vm", action=action, location=cfg.location)
    return TransactionalScope(ctx.chain(body, "transactional"), scope_template(tx, handler))


def _strategy_outside_scope(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    raise ConfigError(
        f"<{cfg.qname}> is only allowed as the last element of a <transactional> scope",
        cfg.location,
    )


# The walker that lists unsupported elements descends into the scope; its strategy is
# part of it. Anywhere else such an element is refused with a clear message.
for _name in _STRATEGY_KINDS:
    element(CORE_NS, _name)(_strategy_outside_scope)


__all__ = ["TransactionalScope", "build_transactional", "strategy_config"]

"""Exception strategies (E-3..E-11), the redelivery policy (P-29, X5) and what a
request-response caller gets back."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from _tx_helpers import ListStore

from mule_emulator.errors import ConfigError, MessagingError, UnresolvedReferenceError
from mule_emulator.model.config import (
    AppConfig,
    ElementConfig,
    ExceptionStrategyConfig,
    MuleConfiguration,
    ProcessorConfig,
    TransactionConfig,
    frozen_map,
)
from mule_emulator.runtime.exception_strategies import (
    CatchExceptionStrategy,
    ChoiceExceptionStrategy,
    DefaultExceptionStrategy,
    ExceptionMessage,
    ExceptionStrategy,
    ExceptionStrategyFactory,
    MessageRedeliveredError,
    RollbackExceptionStrategy,
    caller_reply,
    redelivery_attempts,
    wildcard_match,
)
from mule_emulator.runtime.message import NULL_PAYLOAD, MuleEvent, MuleMessage, ProcessResult
from mule_emulator.runtime.processors.base import Chain, Processor
from mule_emulator.runtime.redelivery import RedeliveryPolicy, payload_digest
from mule_emulator.runtime.transactions import (
    begin_transaction,
    current_transaction,
    main_template,
    queue_offer,
)


class Append(Processor):
    def __init__(self, text: str) -> None:
        self.text = text

    def process(self, event: MuleEvent) -> ProcessResult:
        event.message.payload = f"{event.message.payload}{self.text}"
        return event


class Record(Processor):
    """A target: records what it received; optionally offers it to a queue."""

    def __init__(self, store: ListStore | None = None) -> None:
        self.seen: list[MuleEvent] = []
        self.store = store

    def process(self, event: MuleEvent) -> ProcessResult:
        self.seen.append(event)
        if self.store is not None:
            queue_offer(self.store, event.message.payload, 0)
        return event


class Boom(Processor):
    def process(self, event: MuleEvent) -> ProcessResult:
        raise RuntimeError("processor in strategy fails")


class FunctionalTestError(Exception):
    pass


def failure(payload: Any = "some message") -> tuple[MessagingError, MuleEvent]:
    ev = MuleEvent.of(MuleMessage(payload), exchange_pattern="request-response")
    error = MessagingError("wrapped", event=ev, cause=FunctionalTestError("Functional Test"))
    return error, ev


def run_flow(
    strategy: ExceptionStrategy, work: Callable[[MuleEvent], Any], payload: Any = "some message"
) -> ProcessResult | MessagingError:
    """Run ``work`` as a request-response flow would, inside the main template."""
    ev = MuleEvent.of(MuleMessage(payload), exchange_pattern="request-response")

    def body() -> Any:
        try:
            return work(ev)
        except MessagingError:
            raise
        except Exception as exc:
            raise MessagingError(str(exc), event=ev, cause=exc) from exc

    try:
        result: ProcessResult = main_template(None, strategy).execute(body)
        return result
    except MessagingError as error:
        return error


def fail(_: MuleEvent) -> Any:
    raise FunctionalTestError("Functional Test Service Exception")


# ------------------------------------------------------------------- default (E-6)


def test_default_strategy_answers_null_payload_with_exception_payload() -> None:
    outcome = run_flow(DefaultExceptionStrategy(), fail)
    assert isinstance(outcome, MessagingError) and not outcome.handled
    reply = caller_reply(outcome, request_response=True)
    assert reply is not None
    assert reply.payload is NULL_PAYLOAD
    assert reply.exception_payload is not None
    assert reply.exception_payload.message == "Functional Test Service Exception"


def test_default_strategy_sends_an_exception_message_to_its_targets() -> None:
    target = Record()
    strategy = DefaultExceptionStrategy(targets=[target])
    error, ev = failure("original")
    strategy.handle(error, ev)
    (sent,) = target.seen
    assert isinstance(sent.message.payload, ExceptionMessage)
    assert sent.message.payload.payload == "original"
    assert sent.message.exception_payload is None


def test_default_strategy_rolls_back_without_filters() -> None:
    dlq = ListStore("dead.letter")
    inq = ListStore("in")
    inq.put("m")
    strategy = DefaultExceptionStrategy(targets=[Record(dlq)])
    t = begin_transaction()
    t.take(inq, 0)
    error, ev = failure()
    strategy.handle(error, ev)
    assert current_transaction() is None
    assert inq.items() == ["m"], "rolled back: the message is back on its queue"
    (sent,) = dlq.items()
    assert isinstance(sent, ExceptionMessage), "after the rollback the target writes at once"


def test_commit_filter_keeps_the_transaction_so_the_dead_letter_commits() -> None:
    dlq, inq = ListStore("dead.letter"), ListStore("in")
    inq.put("m")
    strategy = DefaultExceptionStrategy(targets=[Record(dlq)], commit_patterns=["*"])

    def work(ev: MuleEvent) -> Any:
        t = current_transaction()
        assert t is not None
        t.take(inq, 0)
        raise FunctionalTestError("x")

    outcome = run_flow_tx(strategy, work)
    assert isinstance(outcome, MessagingError)
    assert inq.size() == 0, "committed: the message is consumed"
    assert len(dlq.items()) == 1
    assert isinstance(dlq.items()[0], ExceptionMessage)


def run_flow_tx(strategy: ExceptionStrategy, work: Callable[[MuleEvent], Any]) -> Any:
    ev = MuleEvent.of(MuleMessage("m"), exchange_pattern="one-way")

    def body() -> Any:
        try:
            return work(ev)
        except Exception as exc:
            raise MessagingError(str(exc), event=ev, cause=exc) from exc

    try:
        return main_template(TransactionConfig("vm", "ALWAYS_BEGIN"), strategy).execute(body)
    except MessagingError as error:
        return error


def test_rollback_and_commit_filters_match_the_root_exception_class() -> None:
    error, _ = failure()
    assert DefaultExceptionStrategy(commit_patterns=["*"]).is_rollback(error) is False
    assert DefaultExceptionStrategy(commit_patterns=["java.io.*"]).is_rollback(error) is True
    both = DefaultExceptionStrategy(commit_patterns=["*"], rollback_patterns=["*TestError"])
    assert both.is_rollback(error) is True
    assert DefaultExceptionStrategy(rollback_patterns=["Other*"]).is_rollback(error) is False


def test_wildcard_match_forms() -> None:
    assert wildcard_match("*", "x")
    assert wildcard_match("*Ex*", "MyException")
    assert wildcard_match("*Exception", "MyException")
    assert wildcard_match("java.*", "java.io.IOException")
    assert wildcard_match("a, b", "b")
    assert not wildcard_match("java.*", "org.Foo")


# ------------------------------------------------------------------- catch (E-4)


def test_catch_returns_its_output_without_exception_payload_and_commits() -> None:
    out = ListStore("out")

    def work(ev: MuleEvent) -> Any:
        queue_offer(out, "written before the failure", 0)
        raise FunctionalTestError("x")

    strategy = CatchExceptionStrategy(chain=Chain([Append(" caught")]))
    outcome = run_flow_tx(strategy, work)
    assert isinstance(outcome, MuleEvent)
    assert outcome.message.payload == "m caught"
    assert outcome.message.exception_payload is None
    assert out.items() == ["written before the failure"]


def test_failing_processor_inside_a_strategy_is_logged_and_the_input_kept() -> None:
    strategy = CatchExceptionStrategy(chain=Chain([Append(" a"), Boom()]))
    outcome = run_flow(strategy, fail)
    assert isinstance(outcome, MuleEvent)
    assert outcome.message.payload == "some message a"


# ------------------------------------------------------------------- rollback (E-5)


def test_rollback_keeps_exception_payload_and_its_processors_output() -> None:
    strategy = RollbackExceptionStrategy(chain=Chain([Append(" apt1"), Append(" apt2")]))
    outcome = run_flow(strategy, fail)
    assert isinstance(outcome, MessagingError)
    reply = caller_reply(outcome, request_response=True)
    assert reply is not None
    assert reply.payload == "some message apt1 apt2"
    assert reply.exception_payload is not None


def test_rollback_rolls_the_transaction_back() -> None:
    inq = ListStore("in")
    inq.put("m")

    def work(ev: MuleEvent) -> Any:
        t = current_transaction()
        assert t is not None
        t.take(inq, 0)
        raise FunctionalTestError("x")

    run_flow_tx(RollbackExceptionStrategy(), work)
    assert inq.items() == ["m"]


def test_exhausted_redelivery_runs_the_exceeded_block_and_is_handled() -> None:
    strategy = RollbackExceptionStrategy(
        chain=Chain([Append(" apt1")]),
        max_redelivery_attempts=2,
        exceeded=Chain([Append(" apt4")]),
    )
    error, ev = failure()
    exhausted = MessageRedeliveredError("id", 3, 2, event=ev)
    result = strategy.handle(exhausted, ev)
    assert exhausted.handled
    assert result.message.payload == "some message apt4"
    assert not error.handled


def test_redelivery_timeline_n_plus_one_attempts_then_exceeded() -> None:
    """E-5 timeline with maxRedeliveryAttempts=2: sends 1-3 fail, send 4 runs only the
    exceeded block (RollbackExceptionStrategyTestCase)."""
    strategy = RollbackExceptionStrategy(
        chain=Chain([Append(" apt1 apt2 apt3")]),
        max_redelivery_attempts=2,
        exceeded=Chain([Append(" apt4 apt5")]),
    )
    attempts = redelivery_attempts(strategy)
    assert attempts == 2
    policy = RedeliveryPolicy(attempts)
    flow_runs: list[str] = []

    class Flow(Processor):
        def process(self, event: MuleEvent) -> ProcessResult:
            flow_runs.append(event.message.payload)
            raise FunctionalTestError("fails")

    policy.next = Flow()
    replies = []
    for _ in range(4):
        outcome = run_flow(strategy, policy.process)
        if isinstance(outcome, MessagingError) and outcome.handled:
            outcome = outcome.event
        replies.append(caller_reply(outcome, request_response=True))
    payloads = [r.payload for r in replies if r is not None]
    assert payloads == ["some message apt1 apt2 apt3"] * 3 + ["some message apt4 apt5"]
    assert len(flow_runs) == 3


def test_redelivery_policy_success_resets_the_counter_and_dead_letter_takes_over() -> None:
    dlq = Record()
    policy = RedeliveryPolicy(0, dead_letter=dlq)
    state = {"fail": True}

    class Flow(Processor):
        def process(self, event: MuleEvent) -> ProcessResult:
            if state["fail"]:
                raise FunctionalTestError("fails")
            return event

    policy.next = Flow()
    ev = MuleEvent.of(MuleMessage("same"))
    with pytest.raises(FunctionalTestError):
        policy.process(ev)
    assert policy.count(payload_digest("same")) == 1
    assert policy.process(MuleEvent.of(MuleMessage("same"))) is not None
    assert len(dlq.seen) == 1, "N=0: the second arrival is already diverted"
    state["fail"] = False
    assert policy.process(MuleEvent.of(MuleMessage("other"))) is not None
    assert policy.count(payload_digest("other")) == 0


def test_payload_digest_is_sha256_of_the_text_bytes() -> None:
    import hashlib

    assert payload_digest("abc") == hashlib.sha256(b"abc").hexdigest()
    assert payload_digest(b"abc") == payload_digest("abc")


# ------------------------------------------------------------------- choice (E-8)


def when(expr: str) -> Callable[[MuleEvent], bool]:
    """A tiny compiler for these tests: 'payload == X' and 'exception'."""
    if expr.startswith("payload == "):
        wanted = expr.removeprefix("payload == ")
        return lambda e: e.message.payload == wanted
    if expr == "exception":
        return lambda e: e.message.exception_payload is not None
    raise AssertionError(expr)


def test_choice_delegates_to_the_first_accepting_child() -> None:
    first = CatchExceptionStrategy(chain=Chain([Append(" first")]))
    first.set_when("payload == a", when)
    second = CatchExceptionStrategy(chain=Chain([Append(" second")]))
    choice = ChoiceExceptionStrategy(None, [first, second])
    error, ev = failure("b")
    assert choice.handle(error, ev).message.payload == "b second"
    error, ev = failure("a")
    assert choice.handle(error, ev).message.payload == "a first"


def test_when_sees_the_exception_payload() -> None:
    child = CatchExceptionStrategy(chain=Chain([Append(" seen")]))
    child.set_when("exception", when)
    choice = ChoiceExceptionStrategy(None, [child, DefaultExceptionStrategy()])
    error, ev = failure("x")
    assert choice.handle(error, ev).message.payload == "x seen"


# ------------------------------------------------------------------- factory (E-7, E-10)


def es(kind: str, **kw: Any) -> ExceptionStrategyConfig:
    return ExceptionStrategyConfig(kind=kind, **kw)


def factory(app: AppConfig) -> ExceptionStrategyFactory:
    def build_chain(configs: Sequence[ProcessorConfig]) -> Processor:
        procs: list[Processor] = []
        for c in configs:
            assert isinstance(c, ElementConfig)
            procs.append(Append(str(c.attr("message"))))
        return Chain(procs)

    return ExceptionStrategyFactory(app, build_chain=build_chain, compile_boolean=when)


def append_cfg(text: str) -> ElementConfig:
    return ElementConfig("", "append-string-transformer", frozen_map({"message": text}))


def test_factory_builds_each_kind_and_shares_globals() -> None:
    app = AppConfig(
        name="app",
        exception_strategies=frozen_map(
            {"global": es("catch", name="global", processors=(append_cfg(" g"),))}
        ),
    )
    f = factory(app)
    ref1 = f.build(es("reference", ref="global"))
    ref2 = f.build(es("reference", ref="global"))
    error, ev = failure("x")
    assert ref1.handle(error, ev).message.payload == "x g"
    assert f.global_strategy("global") is f.global_strategy("global")
    assert ref2.accepts_all
    rollback = f.build(
        es(
            "rollback",
            max_redelivery_attempts=3,
            on_redelivery_attempts_exceeded=(append_cfg(" exhausted"),),
        )
    )
    assert isinstance(rollback, RollbackExceptionStrategy) and rollback.redelivery_attempts == 3
    default = f.build(es("default", processors=(append_cfg(""),), commit_patterns=("*",)))
    assert isinstance(default, DefaultExceptionStrategy) and len(default.targets) == 1


def test_unknown_reference_is_a_config_error() -> None:
    with pytest.raises(UnresolvedReferenceError, match="nope"):
        factory(AppConfig(name="app")).build(es("reference", ref="nope"))


def test_context_default_is_the_configured_global_and_must_accept_all() -> None:
    app = AppConfig(
        name="app",
        configuration=MuleConfiguration(default_exception_strategy_ref="g"),
        exception_strategies=frozen_map({"g": es("catch", name="g")}),
    )
    strategy = factory(app).for_construct(None)
    error, ev = failure()
    strategy.handle(error, ev)
    assert error.handled
    picky = AppConfig(
        name="app",
        configuration=MuleConfiguration(default_exception_strategy_ref="g"),
        exception_strategies=frozen_map({"g": es("catch", name="g", when="exception")}),
    )
    with pytest.raises(ConfigError, match="must accept every exception"):
        factory(picky).for_construct(None)


def test_construct_without_strategy_gets_a_fresh_default() -> None:
    f = factory(AppConfig(name="app"))
    a, b = f.for_construct(None), f.for_construct(None)
    assert isinstance(a, DefaultExceptionStrategy) and a is not b
    model_level = f.for_construct(None, es("catch"))
    assert isinstance(model_level, CatchExceptionStrategy)


def test_choice_validation() -> None:
    f = factory(AppConfig(name="app"))
    with pytest.raises(ConfigError, match="Only last exception strategy"):
        f.build(es("choice", strategies=(es("catch"), es("catch", when="exception"))))
    with pytest.raises(ConfigError, match="Only one rollback"):
        f.build(
            es(
                "choice",
                strategies=(
                    es("rollback", when="exception", max_redelivery_attempts=1),
                    es("rollback", max_redelivery_attempts=2),
                ),
            )
        )
    choice = f.build(es("choice", strategies=(es("catch", when="exception"),)))
    assert isinstance(choice, ChoiceExceptionStrategy)
    assert isinstance(choice.children[-1], DefaultExceptionStrategy), "default appended"


# ------------------------------------------------------------------- caller's view (E-11)


def test_one_way_endpoint_answers_null_except_after_a_handled_failure() -> None:
    outcome = run_flow(CatchExceptionStrategy(chain=Chain([Append(" c")])), fail)
    assert isinstance(outcome, MuleEvent)
    assert caller_reply(outcome, request_response=False) is None
    assert caller_reply(outcome, request_response=True) is not None
    # VM-7 quirk: the catch result reaches a caller whose send ran the flow in its thread.
    quirk = caller_reply(outcome, request_response=False, handled_failure=True)
    assert quirk is not None and quirk.payload == outcome.message.payload


def test_request_response_success_returns_the_flow_result() -> None:
    ev = MuleEvent.of(MuleMessage("ok"))
    reply = caller_reply(ev, request_response=True)
    assert reply is not None and reply.payload == "ok"
    assert caller_reply(None, request_response=True) is None

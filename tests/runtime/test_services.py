"""The SEDA service model (S-1..S-7): inbound routers, lax SEDA stage, component,
outbound routers and response rules, inheritance, pause and stop."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from mule_emulator.errors import ConfigError, MessagingError, UnsupportedError
from mule_emulator.execution.thread_pool import ThreadPool
from mule_emulator.model.config import (
    VM_NS,
    ElementConfig,
    EndpointConfig,
    ModelConfig,
    MuleConfiguration,
    ProcessorConfig,
    QueueProfile,
    ServiceConfig,
    ThreadingProfile,
    frozen_map,
)
from mule_emulator.queues.manager import QueueManager
from mule_emulator.runtime.exception_strategies import (
    CatchExceptionStrategy,
    DefaultExceptionStrategy,
)
from mule_emulator.runtime.message import (
    NULL_PAYLOAD,
    VOID_EVENT,
    MuleEvent,
    MuleMessage,
    ProcessResult,
)
from mule_emulator.runtime.processors.base import Processor
from mule_emulator.runtime.services import (
    Service,
    ServiceBuilder,
    endpoint_for_uri,
    transaction_of,
)

WAIT = 5.0


# ------------------------------------------------------------------- stand-in processors


class Append(Processor):
    def __init__(self, text: str) -> None:
        self.text = text

    def process(self, event: MuleEvent) -> ProcessResult:
        event.message.payload = f"{event.message.payload}{self.text}"
        return event


class Endpoint(Processor):
    """An outbound endpoint stand-in: records payloads; one-way answers VOID."""

    def __init__(self, name: str, one_way: bool = False, reply: str = "") -> None:
        self.name = name
        self.one_way = one_way
        self.reply = reply
        self.received: list[Any] = []

    def process(self, event: MuleEvent) -> ProcessResult:
        self.received.append(event.message.payload)
        if self.one_way:
            return VOID_EVENT
        event.message.payload = f"{event.message.payload}{self.reply}"
        return event


class Accept(Processor):
    """A filter as a message filter: None when rejected."""

    def __init__(self, needle: str) -> None:
        self.needle = needle

    def process(self, event: MuleEvent) -> ProcessResult:
        return event if self.needle in str(event.message.payload) else None


class Gate(Processor):
    """A component that blocks until opened and counts what it processed."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.done: list[Any] = []
        self.threads: list[threading.Thread] = []
        self.cond = threading.Condition()

    def process(self, event: MuleEvent) -> ProcessResult:
        assert self.open.wait(WAIT)
        with self.cond:
            self.done.append(event.message.payload)
            self.threads.append(threading.current_thread())
            self.cond.notify_all()
        return event

    def wait_for(self, n: int) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: len(self.done) >= n, WAIT)


class Fail(Processor):
    def process(self, event: MuleEvent) -> ProcessResult:
        raise ValueError("component fails")


# ------------------------------------------------------------------- config helpers


def el(name: str, *children: ProcessorConfig, ns: str = "", **attrs: str) -> ElementConfig:
    return ElementConfig(ns, name, frozen_map(attrs), tuple(children))


def ep(path: str, pattern: str = "request-response") -> EndpointConfig:
    return EndpointConfig(
        role="outbound", address=f"vm://{path}", path=path, exchange_pattern=pattern
    )


class Registry:
    """build_processor for the tests: names map to prepared processors."""

    def __init__(self, **named: Processor) -> None:
        self.named = dict(named)
        self.built: list[ProcessorConfig] = []

    def __call__(self, config: ProcessorConfig) -> Processor:
        self.built.append(config)
        key = config.path if isinstance(config, EndpointConfig) else config.attr("id", config.name)
        if key not in self.named:
            raise AssertionError(f"no stand-in for {key}")
        return self.named[key]


@pytest.fixture
def pools() -> Iterator[list[ThreadPool]]:
    made: list[ThreadPool] = []
    yield made
    for p in made:
        p.shutdown(WAIT)


def builder(
    registry: Registry,
    pools: list[ThreadPool],
    configuration: MuleConfiguration | None = None,
    manager: QueueManager | None = None,
) -> ServiceBuilder:
    def pool_factory(name: str, profile: ThreadingProfile | None) -> ThreadPool:
        pool = ThreadPool(name, profile)
        pools.append(pool)
        return pool

    return ServiceBuilder(
        build_processor=registry,
        pool_factory=pool_factory,
        queue_manager=manager or QueueManager(),
        configuration=configuration,
    )


def service_config(**kw: Any) -> ServiceConfig:
    kw.setdefault("name", "svc")
    kw.setdefault("model", "model")
    return ServiceConfig(**kw)


def rr_event(payload: Any = "in") -> MuleEvent:
    return MuleEvent.of(MuleMessage(payload), exchange_pattern="request-response")


def one_way_event(payload: Any = "in") -> MuleEvent:
    return MuleEvent.of(MuleMessage(payload), exchange_pattern="one-way")


def started(service: Service) -> Service:
    service.start()
    service.start_source()
    return service


# ------------------------------------------------------------------- chain and response (S-3, S-4)


def test_request_response_runs_in_the_caller_and_answers_the_outbound_result(
    pools: list[ThreadPool],
) -> None:
    out = Endpoint("out", reply=" Received")
    reg = Registry(component=Append(" comp"), out=out)
    config = service_config(
        component=el("component", id="component"),
        outbound=(el("pass-through-router", ep("out")),),
    )
    svc = started(builder(reg, pools).build(config, DefaultExceptionStrategy()))
    result = svc.process_from_source(rr_event("x"))
    assert isinstance(result, MuleEvent)
    assert result.message.payload == "x comp Received"
    assert svc.runs == 1
    svc.stop()


def test_one_way_outbound_answers_the_component_result(pools: list[ThreadPool]) -> None:
    reg = Registry(component=Append(" comp"), out=Endpoint("out", one_way=True))
    config = service_config(
        component=el("component", id="component"),
        outbound=(el("pass-through-router", ep("out", "one-way")),),
    )
    svc = started(builder(reg, pools).build(config, DefaultExceptionStrategy()))
    result = svc.process_from_source(rr_event("x"))
    assert isinstance(result, MuleEvent) and result.message.payload == "x comp"
    svc.stop()


def test_bridge_without_component_to_one_way_outbound_answers_null_payload(
    pools: list[ThreadPool],
) -> None:
    out = Endpoint("out", one_way=True)
    config = service_config(outbound=(el("pass-through-router", ep("out", "one-way")),))
    svc = started(builder(Registry(out=out), pools).build(config, DefaultExceptionStrategy()))
    result = svc.process_from_source(rr_event("x"))
    assert isinstance(result, MuleEvent) and result.message.payload is NULL_PAYLOAD
    assert out.received == ["x"]
    svc.stop()


def test_null_component_answer_skips_the_outbound_phase(pools: list[ThreadPool]) -> None:
    class NullAnswer(Processor):
        def process(self, event: MuleEvent) -> ProcessResult:
            event.message.payload = NULL_PAYLOAD
            return event

    out = Endpoint("out")
    reg = Registry(component=NullAnswer(), out=out)
    config = service_config(
        component=el("component", id="component"),
        outbound=(el("pass-through-router", ep("out")),),
    )
    svc = started(builder(reg, pools).build(config, DefaultExceptionStrategy()))
    svc.process_from_source(rr_event())
    assert out.received == []
    svc.stop()


def test_async_event_goes_through_the_seda_stage(pools: list[ThreadPool]) -> None:
    gate = Gate()
    gate.open.set()
    manager = QueueManager()
    config = service_config(component=el("component", id="component"))
    svc = started(
        builder(Registry(component=gate), pools, manager=manager).build(
            config, DefaultExceptionStrategy()
        )
    )
    assert svc.process_from_source(one_way_event("a")) is VOID_EVENT
    assert gate.wait_for(1)
    assert gate.done == ["a"]
    assert gate.threads[0] is not threading.current_thread(), "ran on the stage's pool"
    assert manager.get("seda.queue(svc)").statistics().offered == 1
    svc.stop()


def test_failure_after_the_hand_off_goes_to_the_service_strategy(pools: list[ThreadPool]) -> None:
    handled = threading.Event()

    class Strategy(CatchExceptionStrategy):
        def handle(self, error: MessagingError, event: MuleEvent) -> MuleEvent:
            handled.set()
            return super().handle(error, event)

    config = service_config(component=el("component", id="component"))
    svc = started(builder(Registry(component=Fail()), pools).build(config, Strategy()))
    svc.process_from_source(one_way_event())
    assert handled.wait(WAIT)
    svc.stop()


def test_do_threading_false_builds_no_stage(pools: list[ThreadPool]) -> None:
    config = service_config(
        component=el("component", id="component"),
        threading_profile=ThreadingProfile(do_threading=False),
    )
    svc = started(
        builder(Registry(component=Append("!")), pools).build(config, DefaultExceptionStrategy())
    )
    assert svc.stage is None
    result = svc.process_from_source(one_way_event("x"))
    assert isinstance(result, MuleEvent) and result.message.payload == "x!"
    svc.stop()


# ------------------------------------------------------------------- outbound routers


def test_filtering_routers_first_match_wins_and_no_match_is_dropped(
    pools: list[ThreadPool],
) -> None:
    vowels, consonants = Endpoint("vowels"), Endpoint("consonants")
    reg = Registry(vowels=vowels, consonants=consonants, a=Accept("a"), z=Accept("z"))
    config = service_config(
        outbound=(
            el("filtering-router", ep("vowels"), el("regex-filter", id="a")),
            el("filtering-router", ep("consonants"), el("regex-filter", id="z")),
        )
    )
    svc = started(builder(reg, pools).build(config, DefaultExceptionStrategy()))
    svc.process_from_source(rr_event("aei"))
    svc.process_from_source(rr_event("zyx"))
    svc.process_from_source(rr_event("qqq"))
    assert vowels.received == ["aei"] and consonants.received == ["zyx"]
    svc.stop()


def test_match_all_routes_every_matching_router(pools: list[ThreadPool]) -> None:
    one, two = Endpoint("one"), Endpoint("two")
    reg = Registry(one=one, two=two)
    config = service_config(
        outbound=(el("pass-through-router", ep("one")), el("pass-through-router", ep("two"))),
        outbound_match_all=True,
    )
    svc = started(builder(reg, pools).build(config, DefaultExceptionStrategy()))
    svc.process_from_source(rr_event("m"))
    assert one.received == ["m"] and two.received == ["m"]
    svc.stop()


def test_multicasting_sends_copies_and_collects_results(pools: list[ThreadPool]) -> None:
    hop1, hop2 = Endpoint("hop1", reply=" 1"), Endpoint("hop2", reply=" 2")
    config = service_config(outbound=(el("multicasting-router", ep("hop1"), ep("hop2")),))
    svc = started(
        builder(Registry(hop1=hop1, hop2=hop2), pools).build(config, DefaultExceptionStrategy())
    )
    result = svc.process_from_source(rr_event("p"))
    assert hop1.received == ["p"] and hop2.received == ["p"]
    assert isinstance(result, MuleEvent) and result.message.payload == ["p 1", "p 2"]
    svc.stop()


def test_chaining_router_feeds_each_result_to_the_next(pools: list[ThreadPool]) -> None:
    first, second = Endpoint("first", reply=" a"), Endpoint("second", reply=" b")
    config = service_config(outbound=(el("chaining-router", ep("first"), ep("second")),))
    svc = started(
        builder(Registry(first=first, second=second), pools).build(
            config, DefaultExceptionStrategy()
        )
    )
    result = svc.process_from_source(rr_event("p"))
    assert second.received == ["p a"]
    assert isinstance(result, MuleEvent) and result.message.payload == "p a b"
    svc.stop()


def test_static_recipient_list_builds_endpoints_with_the_router_transaction(
    pools: list[ThreadPool],
) -> None:
    output = Endpoint("output", reply=" Received")
    reg = Registry(output=output)
    router = el(
        "static-recipient-list-router",
        el(
            "custom-transaction",
            action="ALWAYS_JOIN",
            **{"factory-class": "x.VMTransactionFactory"},
        ),
        el("recipients", ElementConfig("spring", "value", text="vm://output")),
        synchronous="true",
    )
    svc = started(
        builder(reg, pools).build(service_config(outbound=(router,)), DefaultExceptionStrategy())
    )
    (built,) = [c for c in reg.built if isinstance(c, EndpointConfig)]
    assert built.path == "output" and built.effective_exchange_pattern == "request-response"
    assert built.transaction is not None and built.transaction.action == "ALWAYS_JOIN"
    # ALWAYS_JOIN on the router without a transaction fails (T2) ...
    outcome = svc.process_from_source
    with pytest.raises(Exception, match="Always Join"):
        outcome(rr_event("test"))
    svc.stop()


def test_unsupported_router_is_named() -> None:
    reg = Registry()
    with pytest.raises(UnsupportedError, match="message-chunking-router"):
        builder(reg, []).build(
            service_config(outbound=(el("message-chunking-router"),)), DefaultExceptionStrategy()
        )


# ------------------------------------------------------------------- inbound routers


def test_selective_consumer_rejects_to_the_catch_all(pools: list[ThreadPool]) -> None:
    catch = Endpoint("catch")
    reg = Registry(component=Append("!"), a=Accept("a"), catch=catch)
    config = service_config(
        component=el("component", id="component"),
        inbound_routers=(
            el("selective-consumer-router", el("regex-filter", id="a")),
            el("forwarding-catch-all-strategy", ep("catch")),
        ),
    )
    svc = started(builder(reg, pools).build(config, DefaultExceptionStrategy()))
    ok = svc.process_from_source(rr_event("a"))
    assert isinstance(ok, MuleEvent) and ok.message.payload == "a!"
    svc.process_from_source(rr_event("b"))
    assert catch.received == ["b"]
    svc.stop()


def test_idempotent_receiver_drops_a_repeated_message_id(pools: list[ThreadPool]) -> None:
    config = service_config(
        component=el("component", id="component"),
        inbound_routers=(el("idempotent-receiver-router"),),
    )
    svc = started(
        builder(Registry(component=Append("!")), pools).build(config, DefaultExceptionStrategy())
    )
    message = MuleMessage("m")
    assert svc.process_from_source(
        MuleEvent.of(message.copy(), exchange_pattern="request-response")
    )
    assert (
        svc.process_from_source(MuleEvent.of(message.copy(), exchange_pattern="request-response"))
        is None
    )
    svc.stop()


def test_wire_tap_gets_a_copy_and_forwarding_skips_the_component(pools: list[ThreadPool]) -> None:
    tap, out = Endpoint("tap", reply=" tapped"), Endpoint("out")
    comp = Append(" comp")
    reg = Registry(component=comp, tap=tap, out=out)
    config = service_config(
        component=el("component", id="component"),
        inbound_routers=(el("wire-tap-router", ep("tap", "one-way")), el("forwarding-router")),
        outbound=(el("pass-through-router", ep("out")),),
    )
    svc = started(builder(reg, pools).build(config, DefaultExceptionStrategy()))
    result = svc.process_from_source(rr_event("m"))
    assert tap.received == ["m"]
    assert out.received == ["m"], "forwarded without the component"
    assert isinstance(result, MuleEvent) and result.message.payload == "m"
    svc.stop()


# ------------------------------------------------------------------- inheritance (S-2)


def test_queue_capacity_inheritance_and_the_shared_model_profile_quirk(
    pools: list[ThreadPool],
) -> None:
    config = MuleConfiguration(default_service_threading=ThreadingProfile(max_threads_active=4))
    b = builder(Registry(), pools, configuration=config)
    model = ModelConfig(name="m", queue_profile=QueueProfile(max_outstanding_messages=0))
    first = service_config(name="a", threading_profile=ThreadingProfile(max_threads_active=2))
    second = service_config(name="b")
    assert b.queue_settings(first, model, 2) == (8, False)
    assert b.queue_settings(second, model, 4) == (8, False), "the model's profile was fixed"
    own = service_config(name="c", queue_profile=QueueProfile(max_outstanding_messages=3))
    assert b.queue_settings(own, model, 4) == (3, False)
    assert b.queue_settings(service_config(name="d"), None, 16) == (64, False)
    assert b.threading(second).max_threads_active == 4
    assert b.threading(first).max_threads_active == 2


# ------------------------------------------------------------------- pause and stop (S-5, S-6)


def test_paused_service_queues_async_events_and_holds_sync_callers(
    pools: list[ThreadPool],
) -> None:
    gate = Gate()
    gate.open.set()
    config = service_config(component=el("component", id="component"), initial_state="paused")
    svc = started(
        builder(Registry(component=gate), pools).build(config, DefaultExceptionStrategy())
    )
    assert svc.paused
    svc.process_from_source(one_way_event("queued"))
    answers: list[ProcessResult] = []
    caller = threading.Thread(
        target=lambda: answers.append(svc.process_from_source(rr_event("sync")))
    )
    caller.start()
    caller.join(0.3)
    assert caller.is_alive() and gate.done == [], "nothing runs while paused"
    svc.resume()
    caller.join(WAIT)
    assert gate.wait_for(2)
    assert sorted(gate.done) == ["queued", "sync"]
    svc.stop()


def test_stop_drains_the_transient_stage_queue(pools: list[ThreadPool]) -> None:
    gate = Gate()
    config = service_config(
        component=el("component", id="component"),
        threading_profile=ThreadingProfile(max_threads_active=2, pool_exhausted_action="WAIT"),
    )
    svc = started(
        builder(Registry(component=gate), pools).build(config, DefaultExceptionStrategy())
    )
    for i in range(5):
        svc.process_from_source(one_way_event(i))
    stopper = threading.Thread(target=svc.stop)
    stopper.start()
    gate.open.set()
    stopper.join(WAIT)
    assert not stopper.is_alive()
    assert sorted(gate.done) == [0, 1, 2, 3, 4]


def test_stopped_service_refuses_events(pools: list[ThreadPool]) -> None:
    config = service_config(initial_state="stopped")
    svc = builder(Registry(), pools).build(config, DefaultExceptionStrategy())
    assert svc.stopped_initially
    with pytest.raises(MessagingError, match="stopped"):
        svc.process_from_source(rr_event())


# ------------------------------------------------------------------- helpers


def test_transaction_of_and_endpoint_for_uri() -> None:
    vm_tx = transaction_of(el("transaction", ns=VM_NS, action="always_begin"))
    assert vm_tx is not None and vm_tx.kind == "vm" and vm_tx.action == "ALWAYS_BEGIN"
    assert transaction_of(el("xa-transaction", action="ALWAYS_JOIN")).kind == "xa"  # type: ignore[union-attr]
    assert transaction_of(el("logger")) is None
    config = endpoint_for_uri(
        "vm://out?connector=c1", request_response=False, transaction=None, where=None
    )
    assert (config.path, config.connector_name, config.one_way) == ("out", "c1", True)
    with pytest.raises(ConfigError):
        endpoint_for_uri("nonsense", request_response=False, transaction=None, where=None)


# ------------------------------------------------------------------- endpoint selector


def test_endpoint_selector_router_sends_where_the_expression_says(tmp_path: Any) -> None:
    """``endpoint-selector-router`` (EndpointSelector@mule-3.9.0): the expression names
    an endpoint of the router (by name or URI), else a global endpoint or a URI; null
    falls back to ``default``."""
    from _tx_helpers import running, write_app

    app = write_app(
        tmp_path,
        """
    <vm:endpoint name="archive" path="archive" exchange-pattern="one-way"/>
    <model name="m">
        <service name="select">
            <inbound>
                <vm:inbound-endpoint path="select" exchange-pattern="request-response"/>
            </inbound>
            <outbound>
                <endpoint-selector-router expression="#[message.inboundProperties.target]"
                                          default="vm://fallback">
                    <vm:outbound-endpoint name="red" path="red" exchange-pattern="one-way"/>
                    <vm:outbound-endpoint path="blue" exchange-pattern="one-way"/>
                </endpoint-selector-router>
            </outbound>
        </service>
    </model>""",
    )
    with running(app):
        for target, queue in (
            ("red", "red"),
            ("vm://blue", "blue"),
            ("archive", "archive"),
            ("vm://elsewhere", "elsewhere"),
            (None, "fallback"),
        ):
            props = {"target": target} if target is not None else {}
            reply = app.client.send("vm://select", f"to {queue}", props)
            assert reply is not None and reply.exception_payload is None
            got = app.client.request(f"vm://{queue}", 2)
            assert got is not None and got.payload == f"to {queue}", target
        reply = app.client.send("vm://select", "lost", {"target": "nowhere"})
        assert reply is not None and reply.exception_payload is not None
        assert "nowhere" in str(reply.exception_payload.message)

"""SEDA at the application level: every poolExhaustedAction (TP-4), the SEDA stage's
capacity and offer timeout (PS-3), strict asynchronous strategies refused at start
(F-8), hand-offs per processor (PS-5), threading profiles (TP-6) and no thread left
behind after start/stop.

Synchronisation is on a gate stand-in (``threading.Event``) and on bounded waits for
queue/pool states; nothing sleeps to wait for a thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import _seda_helpers
import pytest
from _seda_helpers import CLASSES, Gate

from mule_emulator import ConfigError, MuleApp
from mule_emulator.execution.thread_pool import PoolStatistics
from mule_emulator.queues.store import QueueStatistics
from mule_emulator.runtime.message import MuleMessage

AppMaker = Callable[..., MuleApp]
WAIT_S = 10.0


@pytest.fixture(autouse=True)
def gate() -> Iterator[Gate]:
    g = Gate()
    _seda_helpers.CURRENT = g
    yield g
    g.open()


def wait_for(predicate: Callable[[], bool], timeout: float = WAIT_S) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return predicate()
        time.sleep(0.002)
    return True


def pool(app: MuleApp, name: str) -> PoolStatistics:
    found = [p for p in app.statistics().pools if p.name == name]
    assert found, f"no pool {name}: {[p.name for p in app.statistics().pools]}"
    return found[0]


def queue(app: MuleApp, name: str) -> QueueStatistics:
    found = [q for q in app.statistics().queues if q.name == name]
    assert found, f"no queue {name}: {[q.name for q in app.statistics().queues]}"
    return found[0]


def put(app: MuleApp, path: str, *payloads: str) -> None:
    """Straight onto the VM queue, in this order (no dispatcher threads involved)."""
    store = app.queue_manager.get(path)
    for p in payloads:
        store.put(MuleMessage.create(p))


def drain(app: MuleApp, path: str, timeout: float = 0.2) -> list[str]:
    out = []
    while (m := app.client.request(f"vm://{path}", timeout)) is not None:
        out.append(str(m.payload))
    return out


# One receiver thread (receiver pool of 1: the poll loop runs every message itself,
# in queue order), so the flow's pool sees the submissions one by one.
CONNECTOR = """
    <vm:connector name="c">
        <receiver-threading-profile maxThreadsActive="1"/>
    </vm:connector>
"""


def exhausted_app(make_app: AppMaker, action: str, extra: str = "") -> MuleApp:
    return make_app(
        CONNECTOR
        + f"""
    <asynchronous-processing-strategy name="one" maxThreads="1" minThreads="1"
        poolExhaustedAction="{action}" {extra}/>
    <flow name="work" processingStrategy="one">
        <vm:inbound-endpoint path="in" connector-ref="c"/>
        <component class="test.Gate"/>
        <vm:outbound-endpoint path="out" connector-ref="c"/>
        <catch-exception-strategy>
            <set-payload value="#[payload + ' failed']"/>
            <vm:outbound-endpoint path="errors" connector-ref="c"/>
        </catch-exception-strategy>
    </flow>""",
        classes=CLASSES,
    )


def test_run_makes_the_submitting_receiver_thread_process_the_event(
    make_app: AppMaker, gate: Gate
) -> None:
    app = exhausted_app(make_app, "RUN")
    put(app, "in", "m1", "m2")
    assert gate.wait_entered(2)
    threads = gate.threads()
    assert threads["m1"].startswith("work.stage1.")
    assert threads["m2"].startswith("c.receiver."), "RUN: the submitter ran it"
    gate.open()
    assert app.wait_until_idle(WAIT_S)
    assert sorted(drain(app, "out")) == ["m1", "m2"]
    stats = pool(app, "work.stage1")
    assert (stats.rejected, stats.caller_runs, stats.discarded) == (1, 1, 0)


def test_discard_drops_the_event_silently(make_app: AppMaker, gate: Gate) -> None:
    app = exhausted_app(make_app, "DISCARD")
    put(app, "in", "m1", "m2")
    assert gate.wait_entered(1)
    assert wait_for(lambda: pool(app, "work.stage1").discarded == 1)
    gate.open()
    assert app.wait_until_idle(WAIT_S)
    assert drain(app, "out") == ["m1"]
    assert drain(app, "errors", 0.05) == [], "no error reaches anybody"
    assert [p for p, _ in gate.entered] == ["m1"]


def test_abort_raises_into_the_flow_exception_strategy(make_app: AppMaker, gate: Gate) -> None:
    app = exhausted_app(make_app, "ABORT")
    put(app, "in", "m1", "m2")
    assert gate.wait_entered(1)
    failed = app.client.request("vm://errors", WAIT_S)
    assert failed is not None and failed.payload == "m2 failed"
    gate.open()
    assert app.wait_until_idle(WAIT_S)
    assert drain(app, "out") == ["m1"]
    assert pool(app, "work.stage1").rejected == 1


def test_wait_times_out_after_thread_wait_timeout(make_app: AppMaker, gate: Gate) -> None:
    app = exhausted_app(make_app, "WAIT", 'threadWaitTimeout="50"')
    put(app, "in", "m1", "m2")
    assert gate.wait_entered(1)
    failed = app.client.request("vm://errors", WAIT_S)
    assert failed is not None and failed.payload == "m2 failed"
    gate.open()
    assert app.wait_until_idle(WAIT_S)
    assert drain(app, "out") == ["m1"]


def test_wait_hands_the_event_over_once_a_thread_is_free(make_app: AppMaker, gate: Gate) -> None:
    app = exhausted_app(make_app, "WAIT", 'threadWaitTimeout="-1"')
    put(app, "in", "m1", "m2")
    assert gate.wait_entered(1)
    # m2's submitter (the receiver thread) is blocked in the pool, not running m2.
    assert wait_for(lambda: pool(app, "work.stage1").rejected == 1)
    assert [p for p, _ in gate.entered] == ["m1"]
    gate.open()
    assert app.wait_until_idle(WAIT_S)
    assert sorted(drain(app, "out")) == ["m1", "m2"]
    assert gate.threads()["m2"].startswith("work.stage1."), "ran on the pool after waiting"


def test_discard_oldest_drops_the_oldest_buffered_event(make_app: AppMaker, gate: Gate) -> None:
    # 2 threads, a buffer of 1 (TP-3: m1 → core thread, m2 → buffer, m3 → second
    # thread, m4 → exhausted: m2 is dropped and m4 buffered).
    app = make_app(
        CONNECTOR
        + """
    <asynchronous-processing-strategy name="two" maxThreads="2" minThreads="1"
        maxBufferSize="1" poolExhaustedAction="DISCARD_OLDEST"/>
    <flow name="work" processingStrategy="two">
        <vm:inbound-endpoint path="in" connector-ref="c"/>
        <component class="test.Gate"/>
        <vm:outbound-endpoint path="out" connector-ref="c"/>
    </flow>""",
        classes=CLASSES,
    )
    put(app, "in", "m1", "m2", "m3", "m4")
    assert gate.wait_entered(2)
    assert wait_for(lambda: pool(app, "work.stage1").discarded == 1)
    gate.open()
    assert app.wait_until_idle(WAIT_S)
    assert sorted(drain(app, "out")) == ["m1", "m3", "m4"]


# ----------------------------------------------------------------------------- SEDA stage


def seda_app(make_app: AppMaker, attrs: str) -> MuleApp:
    return make_app(
        CONNECTOR
        + f"""
    <queued-asynchronous-processing-strategy name="q" {attrs}/>
    <flow name="work" processingStrategy="q">
        <vm:inbound-endpoint path="in" connector-ref="c"/>
        <component class="test.Gate"/>
        <vm:outbound-endpoint path="out" connector-ref="c"/>
        <catch-exception-strategy>
            <set-payload value="#[payload + ' failed']"/>
            <vm:outbound-endpoint path="errors" connector-ref="c"/>
        </catch-exception-strategy>
    </flow>""",
        classes=CLASSES,
    )


def test_a_full_seda_queue_fails_the_offer_after_thread_wait_timeout(
    make_app: AppMaker, gate: Gate
) -> None:
    app = seda_app(make_app, 'maxThreads="1" maxQueueSize="2" threadWaitTimeout="100"')
    put(app, "in", "m1", "m2", "m3", "m4")
    # PS-3 quirk: the poller holds the only thread, so under RUN it runs m1 itself;
    # m2 and m3 fill the queue (capacity 2); m4's offer gives up after 100 ms.
    assert gate.wait_entered(1)
    failed = app.client.request("vm://errors", WAIT_S)
    assert failed is not None and failed.payload == "m4 failed"
    stats = queue(app, "seda.queue(work.stage1)")
    assert (stats.capacity, stats.depth, stats.rejected, stats.peak) == (2, 2, 1, 2)
    assert gate.threads()["m1"].startswith("work.stage1.")
    gate.open()
    assert app.wait_until_idle(WAIT_S)
    assert sorted(drain(app, "out")) == ["m1", "m2", "m3"]


@pytest.mark.parametrize(
    ("attrs", "capacity"),
    [
        ('maxThreads="3"', 12),  # maxQueueSize 0 → 4 x maxThreadsActive
        ('maxThreads="3" maxQueueSize="5"', 5),
        ('maxThreads="3" maxQueueSize="-1"', 0),  # negative: unbounded
    ],
)
def test_seda_queue_capacity(make_app: AppMaker, attrs: str, capacity: int) -> None:
    app = seda_app(make_app, attrs)
    assert queue(app, "seda.queue(work.stage1)").capacity == capacity
    assert pool(app, "work.stage1").max == 3


def test_default_strategy_capacity_follows_the_default_threading_profile(
    make_app: AppMaker,
) -> None:
    app = make_app(
        """
    <configuration><default-threading-profile maxThreadsActive="5"/></configuration>
    <flow name="work">
        <vm:inbound-endpoint path="in"/>
        <logger/>
    </flow>"""
    )
    assert queue(app, "seda.queue(work.stage1)").capacity == 20
    assert pool(app, "work.stage1").max == 5


# ----------------------------------------------------------------------------- F-8


@pytest.mark.parametrize(
    "strategy",
    ["asynchronous", "queued-asynchronous", "thread-per-processor", "queued-thread-per-processor"],
)
def test_strict_async_strategy_on_a_request_response_source_fails_at_start(
    make_app: AppMaker, strategy: str
) -> None:
    with pytest.raises(ConfigError, match="not compatible with an asynchronous processing"):
        make_app(
            f"""
    <flow name="f" processingStrategy="{strategy}">
        <vm:inbound-endpoint path="in" exchange-pattern="request-response"/>
        <logger/>
    </flow>"""
        )


def test_strict_async_strategy_on_a_transacted_source_fails_at_start(make_app: AppMaker) -> None:
    with pytest.raises(ConfigError, match="not compatible with an asynchronous processing"):
        make_app(
            """
    <queued-asynchronous-processing-strategy name="q" maxThreads="2"/>
    <flow name="f" processingStrategy="q">
        <vm:inbound-endpoint path="in"><vm:transaction action="ALWAYS_BEGIN"/></vm:inbound-endpoint>
        <logger/>
    </flow>"""
        )


def test_non_blocking_strategy_refuses_a_vm_source(make_app: AppMaker) -> None:
    with pytest.raises(ConfigError, match="non-blocking message source"):
        make_app(
            """
    <flow name="f" processingStrategy="non-blocking">
        <vm:inbound-endpoint path="in" exchange-pattern="request-response"/>
        <logger/>
    </flow>"""
        )
    app = make_app(
        """
    <flow name="nb" processingStrategy="non-blocking"><set-payload value="done"/></flow>
    <flow name="caller">
        <vm:inbound-endpoint path="c" exchange-pattern="request-response"/>
        <flow-ref name="nb"/>
    </flow>"""
    )
    reply = app.client.send("vm://c", "x")  # PS-6 SIMPLIFY: source-less, runs in the caller
    assert reply is not None and reply.payload == "done"


def test_configuration_default_strategy_counts_as_explicit(make_app: AppMaker) -> None:
    with pytest.raises(ConfigError, match="not compatible"):
        make_app(
            """
    <configuration defaultProcessingStrategy="queued-asynchronous"/>
    <flow name="f">
        <vm:inbound-endpoint path="in" exchange-pattern="request-response"/>
        <logger/>
    </flow>"""
        )


def test_implicit_default_strategy_runs_request_response_in_the_caller(make_app: AppMaker) -> None:
    app = make_app(
        """
    <flow name="f">
        <vm:inbound-endpoint path="in" exchange-pattern="request-response"/>
        <set-payload value="#[payload + ' ok']"/>
    </flow>"""
    )
    reply = app.client.send("vm://in", "x")
    assert reply is not None and reply.payload == "x ok"


# ----------------------------------------------------------------------------- PS-5


class Recorder:
    def __init__(self) -> None:
        self.threads: list[str] = []

    def __call__(self, message: object) -> object:
        self.threads.append(threading.current_thread().name)
        return getattr(message, "payload", None)


@pytest.mark.parametrize("strategy", ["thread-per-processor", "queued-thread-per-processor"])
def test_per_processor_strategies_hand_off_before_every_processor(
    make_app: AppMaker, strategy: str
) -> None:
    recorder = Recorder()
    _seda_helpers.RECORDER = recorder  # type: ignore[attr-defined]
    app = make_app(
        f"""
    <flow name="tpp" processingStrategy="{strategy}">
        <vm:inbound-endpoint path="in"/>
        <custom-transformer class="test.Record"/>
        <append-string-transformer message=" a"/>
        <custom-transformer class="test.Record"/>
        <vm:outbound-endpoint path="out"/>
    </flow>""",
        classes={"test.Record": "_seda_helpers:RECORDER"},
    )
    app.client.dispatch("vm://in", "x")
    out = app.client.request("vm://out", WAIT_S)
    assert out is not None and out.payload == "x a"
    assert [t.rsplit(".", 1)[0] for t in recorder.threads] == ["tpp.stage1", "tpp.stage3"]
    names = {p.name for p in app.statistics().pools}
    assert {"tpp.stage1", "tpp.stage2", "tpp.stage3", "tpp.stage4"} <= names
    queues = {q.name for q in app.statistics().queues}
    queued = strategy.startswith("queued")
    assert ("seda.queue(tpp.stage2)" in queues) is queued


# ----------------------------------------------------------------------------- TP-6


def test_threading_profiles_reach_their_pools(make_app: AppMaker) -> None:
    app = make_app(
        """
    <configuration>
        <default-dispatcher-threading-profile maxThreadsActive="5"/>
        <default-receiver-threading-profile maxThreadsActive="3"/>
    </configuration>
    <vm:connector name="own">
        <dispatcher-threading-profile maxThreadsActive="2"/>
    </vm:connector>
    <vm:connector name="plain"/>
    <flow name="a"><vm:inbound-endpoint path="a" connector-ref="own"/><logger/></flow>
    <flow name="b"><vm:inbound-endpoint path="b" connector-ref="plain"/><logger/></flow>"""
    )
    app.client.dispatch("vm://a?connector=own", "x")
    app.client.dispatch("vm://b?connector=plain", "y")
    assert app.wait_until_idle(WAIT_S)
    assert pool(app, "own.dispatcher").max == 2
    assert pool(app, "plain.dispatcher").max == 5
    assert pool(app, "own.receiver").max == 3
    assert pool(app, "own.dispatcher").completed >= 1, "dispatch ran on the dispatcher pool"


def test_receiver_do_threading_false_starts_one_transacted_poller(make_app: AppMaker) -> None:
    app = make_app(
        """
    <vm:connector name="c" numberOfConcurrentTransactedReceivers="4">
        <receiver-threading-profile doThreading="false"/>
    </vm:connector>
    <flow name="t">
        <vm:inbound-endpoint path="t" connector-ref="c">
            <vm:transaction action="ALWAYS_BEGIN"/>
        </vm:inbound-endpoint>
        <vm:outbound-endpoint path="out" connector-ref="c"/>
    </flow>"""
    )
    receivers = app.receivers
    assert len(receivers) == 1 and getattr(receivers[0], "workers", None) == 1
    app.client.dispatch("vm://t?connector=c", "x")
    out = app.client.request("vm://out?connector=c", WAIT_S)
    assert out is not None and out.payload == "x"


def test_service_threading_profile_sizes_its_stage(make_app: AppMaker) -> None:
    app = make_app(
        """
    <configuration><default-service-threading-profile maxThreadsActive="6"/></configuration>
    <model name="m">
        <service name="own">
            <inbound><vm:inbound-endpoint path="own"/></inbound>
            <threading-profile maxThreadsActive="2"/>
        </service>
        <service name="dflt">
            <inbound><vm:inbound-endpoint path="dflt"/></inbound>
        </service>
    </model>"""
    )
    assert pool(app, "own").max == 2
    assert queue(app, "seda.queue(own)").capacity == 8
    assert pool(app, "dflt").max == 6
    assert queue(app, "seda.queue(dflt)").capacity == 24


# ----------------------------------------------------------------------------- lifecycle


LIFECYCLE = """
    <vm:connector name="c"/>
    <flow name="queued">
        <vm:inbound-endpoint path="in" connector-ref="c"/>
        <vm:outbound-endpoint path="mid" connector-ref="c"/>
    </flow>
    <flow name="async" processingStrategy="asynchronous">
        <vm:inbound-endpoint path="mid" connector-ref="c"/>
        <vm:outbound-endpoint path="tx" connector-ref="c"/>
    </flow>
    <flow name="transacted">
        <vm:inbound-endpoint path="tx" connector-ref="c">
            <vm:transaction action="ALWAYS_BEGIN"/>
        </vm:inbound-endpoint>
        <vm:outbound-endpoint path="tpp" connector-ref="c"/>
    </flow>
    <flow name="per" processingStrategy="queued-thread-per-processor">
        <vm:inbound-endpoint path="tpp" connector-ref="c"/>
        <logger/>
        <vm:outbound-endpoint path="out" connector-ref="c"/>
    </flow>
"""


def test_start_stop_100_times_leaves_no_thread_behind(make_app: AppMaker) -> None:
    before = set(threading.enumerate())
    app = make_app(LIFECYCLE, start=False)
    for i in range(100):
        app.start()
        if i % 20 == 0:  # a message through every kind of hand-off now and then
            app.client.dispatch("vm://in?connector=c", f"m{i}")
            out = app.client.request("vm://out?connector=c", WAIT_S)
            assert out is not None and out.payload == f"m{i}"
        app.stop()
        left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        assert not left, f"cycle {i}: threads left behind: {[t.name for t in left]}"


def test_graceful_stop_drains_a_transient_seda_queue(make_app: AppMaker, gate: Gate) -> None:
    app = seda_app(make_app, 'maxThreads="1" maxQueueSize="10"')
    put(app, "in", "m1", "m2", "m3")
    assert gate.wait_entered(1)
    assert wait_for(lambda: queue(app, "seda.queue(work.stage1)").depth == 2)
    stage = app.flows["work"].stage
    assert stage is not None
    stopper = threading.Thread(target=app.stop)
    stopper.start()
    assert stage.stopping_requested.wait(WAIT_S)  # the stop reached the stage
    gate.open()
    stopper.join(WAIT_S)
    assert not stopper.is_alive()
    assert sorted(p for p, _ in gate.entered) == ["m1", "m2", "m3"], "S-6: drained on stop"


def test_a_connector_made_while_running_belongs_to_the_engine(make_app: AppMaker) -> None:
    before = set(threading.enumerate())
    app = make_app('<flow name="f"><logger/></flow>')
    app.client.dispatch("vm://x", "p")  # C5: the default connector is made now
    taken = app.client.request("vm://x", WAIT_S)
    assert taken is not None and taken.payload == "p"
    assert wait_for(lambda: pool(app, "connector.VM.mule.default.dispatcher").completed == 1)
    app.stop()
    assert [t.name for t in threading.enumerate() if t not in before and t.is_alive()] == []


# ----------------------------------------------------------------------------- P-13


def test_async_scope_queues_on_its_own_seda_stage(make_app: AppMaker, gate: Gate) -> None:
    app = make_app(
        """
    <flow name="main">
        <vm:inbound-endpoint path="in" exchange-pattern="request-response"/>
        <async>
            <component class="test.Gate"/>
            <vm:outbound-endpoint path="side"/>
        </async>
        <async name="named" processingStrategy="asynchronous">
            <vm:outbound-endpoint path="side2"/>
        </async>
        <set-payload value="#[payload + ' main']"/>
    </flow>""",
        classes=CLASSES,
    )
    reply = app.client.send("vm://in", "x")
    assert reply is not None and reply.payload == "x main", "the caller does not wait"
    assert gate.wait_entered(1)
    assert gate.threads()["x"].startswith("main.1."), "the scope's own pool"
    assert queue(app, "seda.queue(main.1)").capacity == 64  # 4 x 16 (PS-3 defaults)
    names = {q.name for q in app.statistics().queues}
    assert "seda.queue(main.named)" not in names, "asynchronous: no queue"
    assert pool(app, "main.named").max == 16
    gate.open()
    side = app.client.request("vm://side", WAIT_S)
    assert side is not None and side.payload == "x"
    side2 = app.client.request("vm://side2", WAIT_S)
    assert side2 is not None and side2.payload == "x"


def test_async_scope_work_is_drained_on_stop(make_app: AppMaker, gate: Gate) -> None:
    app = make_app(
        """
    <queued-asynchronous-processing-strategy name="one" maxThreads="1"/>
    <flow name="main">
        <vm:inbound-endpoint path="in" exchange-pattern="request-response"/>
        <async processingStrategy="one"><component class="test.Gate"/></async>
    </flow>""",
        classes=CLASSES,
    )
    for p in ("a", "b", "c"):
        app.client.send("vm://in", p)
    assert gate.wait_entered(1)
    assert wait_for(lambda: queue(app, "seda.queue(main.1)").depth == 2)
    assert not app.wait_until_idle(0.05), "queued scope work counts as busy"
    scope = app.flows["main"].chain.processors[0]  # type: ignore[union-attr]
    stage = scope.handoff().stage
    assert stage is not None
    stopper = threading.Thread(target=app.stop)
    stopper.start()
    assert stage.stopping_requested.wait(WAIT_S)  # the stop reached the scope's stage
    gate.open()
    stopper.join(WAIT_S)
    assert not stopper.is_alive()
    assert sorted(p for p, _ in gate.entered) == ["a", "b", "c"]


# ----------------------------------------------------------------------------- S-6


def service_app(make_app: AppMaker, store: str) -> MuleApp:
    return make_app(
        f"""
    <model name="m">
        <service name="svc">
            <inbound><vm:inbound-endpoint path="svc"/></inbound>
            <component class="test.Gate"/>
            <outbound>
                <pass-through-router><vm:outbound-endpoint path="svc.out"/></pass-through-router>
            </outbound>
            <threading-profile maxThreadsActive="1"/>
            <queue-profile maxOutstandingMessages="10">{store}</queue-profile>
        </service>
    </model>""",
        classes=CLASSES,
    )


@pytest.mark.parametrize("persistent", [False, True])
def test_service_stop_drains_a_transient_queue_and_keeps_a_persistent_one(
    make_app: AppMaker, gate: Gate, persistent: bool
) -> None:
    app = service_app(make_app, "<default-persistent-queue-store/>" if persistent else "")
    for p in ("a", "b", "c"):
        app.client.dispatch("vm://svc", p)
    assert gate.wait_entered(1)  # the poller runs "a" itself (one thread, RUN)
    assert wait_for(lambda: queue(app, "seda.queue(svc)").depth == 2)
    assert queue(app, "seda.queue(svc)").persistent is persistent
    stage = next(c for c in app.constructs if c.name == "svc").stage
    stopper = threading.Thread(target=app.stop)
    stopper.start()
    # Open the gate only once the stop has reached the stage (receivers stop first).
    assert stage.stopping_requested.wait(WAIT_S)
    gate.open()
    stopper.join(WAIT_S)
    assert not stopper.is_alive()
    processed = sorted(p for p, _ in gate.entered)
    if not persistent:
        assert processed == ["a", "b", "c"], "S-6: a transient queue is drained"
        return
    assert processed == ["a"], "S-6: a persistent queue keeps its events"
    app.start()  # the next start processes them
    assert gate.wait_entered(3)
    assert app.wait_until_idle(WAIT_S)
    assert sorted(p for p, _ in gate.entered) == ["a", "b", "c"]

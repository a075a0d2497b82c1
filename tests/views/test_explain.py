"""mule-emu explain: effective values, explicit vs default vs derived, and why."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from click.testing import CliRunner

from mule_emulator.cli import cli
from mule_emulator.model.config import AppConfig
from mule_emulator.views.effective import Part
from mule_emulator.views.effective_constructs import effective_app
from mule_emulator.views.explain import explain

MakeConfig = Callable[..., tuple[str, AppConfig]]


def _flow(app: AppConfig, name: str) -> Part:
    return next(p for p in effective_app(app).flows if p.name == name)


def _child(part: Part, kind: str, name: str | None = None) -> Part:
    return next(c for c in part.parts if c.kind == kind and (name is None or c.name == name))


ONE_WAY = """
    <flow name="receive">
        <vm:inbound-endpoint path="in"/>
        <logger/>
        <vm:outbound-endpoint path="out"/>
    </flow>
    <flow name="answer">
        <vm:inbound-endpoint path="ask" exchange-pattern="request-response"/>
        <logger/>
    </flow>
"""


def test_implicit_connector_and_mule_defaults(make_config: MakeConfig) -> None:
    _path, app = make_config(ONE_WAY)
    eff = effective_app(app)
    (connector,) = eff.connectors
    assert connector.name == "connector.VM.mule.default"
    timeout = connector.setting("queueTimeout")
    assert timeout is not None
    assert (timeout.value, timeout.origin) == (200, "default")
    assert "DefaultMuleConfiguration" in timeout.source
    receiver = _child(connector, "pool", "connector.VM.mule.default.receiver")
    assert receiver.value("maxThreadsActive") == 16
    assert receiver.value("poolExhaustedAction") == "RUN"
    source = _child(_flow(app, "receive"), "endpoint", "vm://in")
    choice = source.setting("connector")
    assert choice is not None and choice.origin == "default" and "C5" in choice.source
    pattern = source.setting("exchange-pattern")
    assert pattern is not None and (pattern.value, pattern.origin) == ("one-way", "default")


def test_default_strategy_is_chosen_per_event(make_config: MakeConfig) -> None:
    _path, app = make_config(ONE_WAY)
    receive = _flow(app, "receive")
    assert receive.value("processingStrategy") == "default"
    events = receive.setting("events")
    assert events is not None and "seda.queue(receive.stage1)" in str(events.value)
    stage = _child(receive, "stage")
    assert stage.value("capacity") == 64  # 4 x maxThreadsActive (PS-3)
    assert stage.value("offerTimeout") == 30_000
    answer = _flow(app, "answer")
    assert answer.value("events") == "synchronous"
    assert "unused" in _child(answer, "stage").summary  # built by the strategy, not used


def test_explicit_values_carry_file_and_line(make_config: MakeConfig) -> None:
    path, app = make_config(
        """
    <configuration>
        <default-threading-profile maxThreadsActive="4"/>
    </configuration>
    <vm:connector name="only" queueTimeout="750" numberOfConcurrentTransactedReceivers="2">
        <receiver-threading-profile maxThreadsActive="6" poolExhaustedAction="WAIT"/>
        <vm:queue-profile maxOutstandingMessages="5">
            <default-persistent-queue-store/>
        </vm:queue-profile>
    </vm:connector>
    <flow name="f">
        <vm:inbound-endpoint path="in">
            <vm:transaction action="ALWAYS_BEGIN"/>
        </vm:inbound-endpoint>
        <logger/>
    </flow>
    <flow name="g" processingStrategy="queued-asynchronous">
        <vm:inbound-endpoint path="g"/>
        <logger/>
    </flow>
"""
    )
    eff = effective_app(app)
    (connector,) = eff.connectors
    timeout = connector.setting("queueTimeout")
    assert timeout is not None and timeout.origin == "explicit"
    assert timeout.source == f"{path}:8" and timeout.value == 750
    assert connector.value("maxOutstandingMessages") == 5
    assert connector.value("persistent") is True
    receiver = _child(connector, "pool")
    threads = receiver.setting("maxThreadsActive")
    assert threads is not None and threads.value == 6 and threads.source == f"{path}:9"
    # the receiver profile does not set maxBufferSize: <default-threading-profile> neither
    buffer = receiver.setting("maxBufferSize")
    assert buffer is not None and buffer.origin == "default"
    f = _flow(app, "f")
    source = _child(f, "endpoint")
    assert source.value("receiver") == "transacted, 2 workers"
    queue = source.setting("queue")
    assert queue is not None and "persistent" in str(queue.value)
    assert f.value("events") == "synchronous"  # transacted (F-6)
    assert any("endless redelivery" in w for w in f.warnings)
    g = _flow(app, "g")
    stage = _child(g, "stage")
    assert stage.value("capacity") == 16  # 4 x the default profile's 4 threads
    pool = _child(stage, "pool")
    active = pool.setting("maxThreadsActive")
    assert active is not None and active.origin == "explicit" and "default-threading" in active.why


def test_strategy_warnings_and_redelivery(make_config: MakeConfig) -> None:
    _path, app = make_config(
        """
    <rollback-exception-strategy name="retry" maxRedeliveryAttempts="3"/>
    <flow name="bad" processingStrategy="asynchronous">
        <vm:inbound-endpoint path="bad" exchange-pattern="request-response"/>
        <logger/>
    </flow>
    <flow name="limited">
        <vm:inbound-endpoint path="limited">
            <vm:transaction action="BEGIN_OR_JOIN"/>
        </vm:inbound-endpoint>
        <logger/>
        <exception-strategy ref="retry"/>
    </flow>
"""
    )
    assert any("F-8" in w for w in _flow(app, "bad").warnings)
    limited = _flow(app, "limited")
    assert limited.value("exceptionStrategy") == "rollback 'retry'"
    assert limited.value("redelivery") == "maxRedeliveryAttempts 3"
    assert limited.value("effectiveStrategy") == "synchronous"  # F-8 switch
    assert not any("endless" in w for w in limited.warnings)


def test_connector_choice_reasons(make_config: MakeConfig) -> None:
    _path, app = make_config(
        """
    <vm:connector name="a"/>
    <vm:connector name="b"/>
    <flow name="f">
        <vm:inbound-endpoint path="x" connector-ref="a"/>
        <vm:outbound-endpoint path="y?connector=b"/>
        <vm:outbound-endpoint path="z"/>
    </flow>
"""
    )
    f = _flow(app, "f")
    x = _child(f, "endpoint", "vm://x").setting("connector")
    assert x is not None and (x.value, x.why) == ("a", "connector-ref")
    z = _child(f, "endpoint", "vm://z")
    assert z.warnings and "at least 2 connectors" in z.warnings[0]


def test_services_inherit_from_the_model(make_config: MakeConfig) -> None:
    _path, app = make_config(
        """
    <model name="m">
        <queue-profile maxOutstandingMessages="7"/>
        <service name="s">
            <inbound>
                <vm:inbound-endpoint path="s"/>
            </inbound>
            <echo-component/>
        </service>
    </model>
"""
    )
    (service,) = effective_app(app).services
    assert service.value("queue") == "seda.queue(s)"
    capacity = service.setting("capacity")
    assert capacity is not None and capacity.value == 7 and "model 'm'" in capacity.why
    assert service.value("exceptionStrategy") == "default"


def test_formats_from_the_command_line(make_config: MakeConfig) -> None:
    path, app = make_config(ONE_WAY)
    runner = CliRunner()
    text = runner.invoke(cli, ["explain", path])
    assert text.exit_code == 0
    assert (
        "queueTimeout" in text.output and "[Mule default: DefaultMuleConfiguration" in text.output
    )
    md = runner.invoke(cli, ["explain", path, "--format", "markdown"])
    assert md.exit_code == 0 and md.output.startswith("# Application")
    assert "| Setting | Value | Origin | Source | Why |" in md.output
    data: dict[str, Any] = json.loads(
        runner.invoke(cli, ["explain", path, "--format", "json"]).output
    )
    assert [f["name"] for f in data["flows"]] == ["receive", "answer"]
    assert explain(app, "json") == runner.invoke(cli, ["explain", path, "--format", "json"]).output


def test_bad_input_exits_2_without_traceback(tmp_path: Any) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text("<mule><flow", encoding="utf-8")
    for command in ("explain", "graph"):
        result = CliRunner().invoke(cli, [command, str(bad)])
        assert result.exit_code == 2
        assert "Traceback" not in result.output
        missing = CliRunner().invoke(cli, [command, str(tmp_path / "missing.xml")])
        assert missing.exit_code == 2


def test_only_keeps_named_parts(make_config: MakeConfig) -> None:
    path, _app = make_config(ONE_WAY)
    runner = CliRunner()
    result = runner.invoke(cli, ["explain", path, "--only", "answer", "--only", "out"])
    assert result.exit_code == 0
    assert "Flow answer" in result.output and "Queue out" in result.output
    assert "Flow receive" not in result.output and "Connector" not in result.output
    unknown = runner.invoke(cli, ["explain", path, "--only", "nope"])
    assert unknown.exit_code == 2 and "known: connector.VM.mule.default" in unknown.output


def test_dispatch_thread_follows_the_dispatcher_profile(make_config: MakeConfig) -> None:
    """C7/TP-5: an asynchronous flow's one-way dispatch goes to the dispatcher pool,
    unless the connector's dispatcher profile has doThreading=false."""
    _path, app = make_config(
        """
    <vm:connector name="inline">
        <dispatcher-threading-profile doThreading="false"/>
    </vm:connector>
    <vm:connector name="pooled"/>
    <flow name="f">
        <vm:inbound-endpoint path="in" connector-ref="pooled"/>
        <vm:outbound-endpoint path="a" connector-ref="inline"/>
        <vm:outbound-endpoint path="b" connector-ref="pooled"/>
    </flow>
"""
    )
    flow = _flow(app, "f")
    assert _child(flow, "endpoint", "vm://a").value("dispatch") == "in the caller's thread"
    assert _child(flow, "endpoint", "vm://b").value("dispatch") == "on pool pooled.dispatcher"


def test_catch_on_a_transacted_source_consumes_the_message(make_config: MakeConfig) -> None:
    _path, app = make_config(
        """
    <flow name="f">
        <vm:inbound-endpoint path="in"><vm:transaction action="ALWAYS_BEGIN"/></vm:inbound-endpoint>
        <logger/>
        <catch-exception-strategy/>
    </flow>
"""
    )
    redelivery = _flow(app, "f").setting("redelivery")
    assert redelivery is not None and redelivery.value == "none"
    assert "commits the transaction" in redelivery.why


def test_poll_and_composite_sources(make_config: MakeConfig) -> None:
    _path, app = make_config(
        """
    <flow name="ticker">
        <poll>
            <fixed-frequency-scheduler frequency="2" timeUnit="SECONDS"/>
            <set-payload value="tick"/>
        </poll>
        <logger/>
    </flow>
    <flow name="both">
        <composite-source>
            <vm:inbound-endpoint path="a"/>
            <vm:inbound-endpoint path="b" exchange-pattern="request-response"/>
        </composite-source>
        <logger/>
    </flow>
    <flow name="strict" processingStrategy="queued-asynchronous">
        <composite-source>
            <vm:inbound-endpoint path="c"/>
            <vm:inbound-endpoint path="d" exchange-pattern="request-response"/>
        </composite-source>
        <logger/>
    </flow>
"""
    )
    ticker = _flow(app, "ticker")
    source = ticker.setting("source")
    assert source is not None and (source.value, source.origin) == (
        "poll every 2000 ms",
        "explicit",
    )
    assert ticker.value("events") == "asynchronous via seda.queue(ticker.stage1)"
    both = _flow(app, "both")
    assert [p.name for p in both.parts if p.kind == "endpoint"] == ["vm://a", "vm://b"]
    events = both.setting("events")
    assert events is not None and events.value == "per endpoint of the <composite-source>"
    assert events.why == "vm://a: asynchronous via seda.queue(both.stage1); vm://b: synchronous"
    strict = _flow(app, "strict")
    assert any("start-up error (F-8): vm://d" in w for w in strict.warnings)

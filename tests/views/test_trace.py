"""mule-emu run --trace: the hook is a no-op by default; the recorder writes one line per
step with thread names as the engine gives them; steps of one message are in causal
order."""

from __future__ import annotations

import io
import json
import re
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from mule_emulator import tracing
from mule_emulator.cli import cli
from mule_emulator.execution.receiver import PollingReceiver
from mule_emulator.execution.thread_pool import ThreadPool
from mule_emulator.model.config import ThreadingProfile
from mule_emulator.queues.memory import MemoryQueueStore
from mule_emulator.views.trace import TraceRecorder, format_text, tracing_to

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:vm="http://www.mulesoft.org/schema/mule/vm"
      xmlns:test="http://www.mulesoft.org/schema/mule/test">
"""

CHAIN = """
    <flow name="receive">
        <vm:inbound-endpoint path="in"/>
        <logger message="got #[payload]"/>
        <vm:outbound-endpoint path="out"/>
    </flow>
"""

TRANSACTED = """
    <flow name="tx">
        <vm:inbound-endpoint path="in">
            <vm:transaction action="ALWAYS_BEGIN"/>
        </vm:inbound-endpoint>
        <vm:outbound-endpoint path="out">
            <vm:transaction action="ALWAYS_JOIN"/>
        </vm:outbound-endpoint>
    </flow>
"""

FAST = ["-D", "mule.vm.receiverStartDelayMs=0", "--until-idle", "--log-level", "ERROR"]


def _config(tmp_path: Path, body: str) -> str:
    path = tmp_path / "app.xml"
    path.write_text(HEAD + body + "\n</mule>\n", encoding="utf-8")
    return str(path)


def test_hook_is_a_no_op_by_default() -> None:
    assert tracing.current is tracing.NO_TRACER
    assert tracing.current.active is False
    tracing.current.emit("flow", flow="x")  # accepted and ignored


def test_recorder_lines_and_message_numbers() -> None:
    ticks = iter([10.0, 10.0015, 10.25])
    sink = io.StringIO()
    with tracing_to(sink) as recorder:
        assert tracing.current is recorder
        recorder.clock = lambda: next(ticks)
        tracing.current.emit("enqueue", queue="vm://in", depth_before=0, message="id-a")
        tracing.current.emit("dequeue", flow="f", queue="vm://in", depth_after=0, message="id-a")
        tracing.current.emit(
            "enqueue", queue="vm://in", depth_before=2, capacity=2, timeout_ms=200, message="id-b"
        )
    assert tracing.current is tracing.NO_TRACER
    lines = sink.getvalue().splitlines()
    assert lines[0].split() == [
        "0.0",
        "ms",
        "main",
        "-",
        "enqueue",
        "vm://in",
        "depth",
        "0->1",
        "m1",
    ]
    assert lines[1].split()[2:] == ["main", "f", "dequeue", "vm://in", "depth", "1->0", "m1"]
    assert lines[1].startswith("      1.5 ms")
    assert "full (2/2), waits up to 200 ms for room  m2" in lines[2]
    assert lines[2].startswith("    250.0 ms")


def test_jsonl_records() -> None:
    sink = io.StringIO()
    recorder = TraceRecorder(sink, "jsonl", clock=lambda: 5.0)
    recorder.emit("tx-begin", tx=3)
    recorder.emit("send", flow="a", address="vm://b", target=None, message="m-id")
    first, second = (json.loads(x) for x in sink.getvalue().splitlines())
    assert first == {"t_ms": 0.0, "thread": "main", "step": "tx-begin", "tx": 3}
    assert second["message"] == "m-id" and second["m"] == 1 and "target" not in second
    assert format_text(1.0, "t", "send", {"address": "vm://b"}, None).endswith("(no receiver)")


def _steps(output: str) -> list[tuple[str, str, str, str]]:
    """(thread, flow, step, detail) of each trace line."""
    out = []
    for line in output.splitlines():
        m = re.match(r"\s*[\d.]+ ms  (\S+)\s+(\S+)\s+(\S+)\s*(.*)$", line)
        if m:
            out.append((m.group(1), m.group(2), m.group(3), m.group(4)))
    return out


def test_run_trace_one_way_chain(tmp_path: Path) -> None:
    config = _config(tmp_path, CHAIN)
    result = CliRunner().invoke(
        cli, ["run", config, "--dispatch", "vm://in=hello", "--trace", *FAST]
    )
    assert result.exit_code == 0, result.output
    steps = _steps(result.output)
    names = [s[2] for s in steps]
    # one message, so its steps come in causal order
    assert names == [
        "dispatch",
        "enqueue",
        "dequeue",
        "enqueue",
        "dequeue",
        "flow",
        "processor",
        "processor",
        "dispatch",
        "enqueue",
    ]
    assert steps[0][:2] == ("main", "MuleClient")
    assert re.fullmatch(r"connector\.VM\.mule\.default\.dispatcher\.\d\d", steps[1][0])
    assert steps[1][3].startswith("vm://in depth 0->1")
    assert re.fullmatch(r"connector\.VM\.mule\.default\.receiver\.\d\d", steps[2][0])
    assert steps[3][3].startswith("seda.queue(receive.stage1) depth 0->1")
    assert re.fullmatch(r"receive\.stage1\.\d\d", steps[5][0])
    assert all(s[3].endswith("m1") for s in steps)
    assert tracing.current is tracing.NO_TRACER


def test_run_trace_transaction_and_file(tmp_path: Path) -> None:
    config = _config(tmp_path, TRANSACTED)
    trace_file = tmp_path / "trace.jsonl"
    result = CliRunner().invoke(
        cli,
        [
            "run",
            config,
            "--dispatch",
            "vm://in=x",
            "--trace-format",
            "jsonl",
            "--trace-file",
            str(trace_file),
            *FAST,
        ],
    )
    assert result.exit_code == 0, result.output
    records = [json.loads(x) for x in trace_file.read_text(encoding="utf-8").splitlines()]
    dequeue = next(r for r in records if r["step"] == "dequeue")
    assert dequeue["queue"] == "vm://in"
    tx = dequeue["tx"]
    # the transaction that took the message began before the take and committed after
    # it; other workers may begin transactions that find nothing and roll back (R4)
    mine = [(i, r["step"]) for i, r in enumerate(records) if r.get("tx") == tx]
    index = records.index(dequeue)
    assert mine[0][1] == "tx-begin" and mine[0][0] < index
    assert mine[-1][1] == "tx-commit" and mine[-1][0] > index
    enqueue = [
        i for i, r in enumerate(records) if r["step"] == "enqueue" and r["queue"] == "vm://out"
    ]
    assert enqueue and index < enqueue[0] < mine[-1][0]


def test_unwritable_trace_file_exits_2(tmp_path: Path) -> None:
    config = _config(tmp_path, CHAIN)
    target = tmp_path / "missing" / "trace.txt"
    result = CliRunner().invoke(cli, ["run", config, "--trace-file", str(target), *FAST])
    assert result.exit_code == 2
    assert "cannot write" in result.output


@pytest.mark.parametrize("fmt", ["text", "jsonl"])
def test_trace_format_alone_turns_tracing_on(tmp_path: Path, fmt: str) -> None:
    config = _config(tmp_path, CHAIN)
    result = CliRunner().invoke(
        cli, ["run", config, "--dispatch", "vm://in=a", "--trace-format", fmt, *FAST]
    )
    assert result.exit_code == 0
    assert "dispatch" in result.output


def test_empty_transactions_are_not_shown_and_shown_ones_are_numbered() -> None:
    sink = io.StringIO()
    recorder = TraceRecorder(sink, clock=lambda: 1.0)
    recorder.emit("tx-begin", tx=7)
    recorder.emit("tx-rollback", tx=7, added=[], taken=[])  # a poll that found nothing
    recorder.emit("tx-begin", tx=8)
    recorder.emit("dequeue", queue="vm://in", depth_after=0, message="a", tx=8)
    recorder.emit("enqueue", queue="vm://out", depth_before=0, message="a", tx=8)
    recorder.emit("tx-commit", tx=8, added=["vm://out"], taken=["vm://in"])
    steps = _steps(sink.getvalue())
    assert [s[2] for s in steps] == ["tx-begin", "dequeue", "enqueue", "tx-commit"]
    assert steps[0][3] == "tx#1"
    assert steps[2][3] == "vm://out depth 0->1, held by tx#1 until commit  m1"
    assert steps[3][3] == "tx#1: delivers vm://out; consumes vm://in"


def test_a_held_back_begin_keeps_its_threads_order() -> None:
    sink = io.StringIO()
    recorder = TraceRecorder(sink, clock=lambda: 1.0)
    recorder.emit("tx-begin", tx=1)  # main begins, then polls
    other = threading.Thread(
        target=lambda: recorder.emit("flow", flow="f", message="b"), name="worker.01"
    )
    other.start()
    other.join(5)
    recorder.emit("dequeue", queue="vm://in", depth_after=0, message="a", tx=1)
    steps = _steps(sink.getvalue())
    assert [(s[0], s[2]) for s in steps] == [
        ("worker.01", "flow"),
        ("main", "tx-begin"),
        ("main", "dequeue"),
    ]


@pytest.mark.parametrize(
    ("step", "fields", "detail"),
    [
        ("redelivery", {"failures": 0, "limit": 2}, "attempt 1 of 3 (maxRedelivery 2)"),
        ("redelivery", {"failures": 2, "limit": 2}, "attempt 3 of 3 (maxRedelivery 2)"),
        (
            "redelivery",
            {"failures": 3, "limit": 2, "dead_letter": False},
            "exhausted after 3 failed attempts: MessageRedeliveredException",
        ),
        (
            "redelivery",
            {"failures": 2, "limit": 1, "dead_letter": True},
            "exhausted after 2 failed attempts: dead-letter queue",
        ),
        (
            "exception",
            {"strategy": "catch-exception-strategy", "error": "IOError"},
            "catch-exception-strategy handles IOError",
        ),
        (
            "tx-rollback",
            {"tx": 2, "added": ["vm://a", "vm://b", "vm://a"], "taken": ["vm://in"]},
            "tx#2: discards vm://a (2), vm://b; puts vm://in back at the tail",
        ),
        ("tx-commit", {"tx": 2, "added": [], "taken": []}, "tx#2"),
    ],
)
def test_step_details(step: str, fields: dict[str, object], detail: str) -> None:
    line = format_text(0.0, "t", step, {"flow": "f", **fields}, None)
    assert line.endswith(f" {detail}"), line


CATCH_AND_ROLLBACK = """
    <flow name="catcher">
        <vm:inbound-endpoint path="c.in">
            <vm:transaction action="ALWAYS_BEGIN"/>
        </vm:inbound-endpoint>
        <vm:outbound-endpoint path="audit"/>
        <test:component throwException="true"/>
        <catch-exception-strategy/>
    </flow>
    <flow name="roller">
        <vm:inbound-endpoint path="r.in">
            <vm:transaction action="ALWAYS_BEGIN"/>
        </vm:inbound-endpoint>
        <vm:outbound-endpoint path="audit"/>
        <test:component throwException="true"/>
        <rollback-exception-strategy maxRedeliveryAttempts="0"/>
    </flow>
"""


def _text_steps(tmp_path: Path, body: str, *args: str) -> list[tuple[str, str, str, str]]:
    config = _config(tmp_path, body)
    result = CliRunner().invoke(cli, ["run", config, *args, "--trace", *FAST])
    assert result.exit_code == 0, result.output
    return _steps(result.stdout)


def test_run_trace_catch_commits_and_rollback_puts_back(tmp_path: Path) -> None:
    steps = _text_steps(
        tmp_path, CATCH_AND_ROLLBACK, "--dispatch", "vm://c.in=x", "--dispatch", "vm://r.in=y"
    )
    details = [s[3] for s in steps]
    assert any(
        re.fullmatch(r"vm://audit depth 0->1, held by tx#\d until commit  m1", d) for d in details
    ), details
    assert any(
        re.fullmatch(r"tx#\d: delivers vm://audit; consumes vm://c\.in", d) for d in details
    ), details
    assert any(
        re.fullmatch(r"tx#\d: discards vm://audit; puts vm://r\.in back at the tail", d)
        for d in details
    ), details
    assert ("roller", "redelivery", "attempt 1 of 1 (maxRedelivery 0)  m2") in [
        s[1:] for s in steps
    ]
    handled = [s[3] for s in steps if s[2] == "exception" and s[1] == "catcher"]
    assert handled and handled[0].startswith("catch-exception-strategy handles ")
    # no transaction is shown without something taken or offered in it
    shown = {re.match(r"tx#(\d+)", d).group(1) for d in details if re.match(r"tx#\d+", d)}  # type: ignore[union-attr]
    assert len(shown) == 3  # catcher's, roller's rolled back one, roller's exhausted one


SERVICE = """
    <model name="m">
        <service name="svc">
            <inbound>
                <vm:inbound-endpoint path="s.in"/>
            </inbound>
            <echo-component/>
        </service>
    </model>
"""


def test_run_trace_service_seda_stage(tmp_path: Path) -> None:
    steps = _text_steps(tmp_path, SERVICE, "--dispatch", "vm://s.in=x")
    stage = [s for s in steps if "seda.queue(svc)" in s[3]]
    assert [(s[1], s[2], s[3]) for s in stage] == [
        ("svc", "enqueue", "seda.queue(svc) depth 0->1  m1"),
        ("svc", "dequeue", "seda.queue(svc) depth 1->0  m1"),
    ]


ASYNC_SCOPE = """
    <flow name="front" processingStrategy="synchronous">
        <vm:inbound-endpoint path="a.in"/>
        <async>
            <logger/>
        </async>
    </flow>
"""


def test_run_trace_async_scope_stage(tmp_path: Path) -> None:
    steps = _text_steps(tmp_path, ASYNC_SCOPE, "--dispatch", "vm://a.in=x")
    stage = [(s[1], s[2], s[3]) for s in steps if "seda.queue(front.1)" in s[3]]
    assert stage == [
        ("front", "enqueue", "seda.queue(front.1) depth 0->1  m1"),
        ("front", "dequeue", "seda.queue(front.1) depth 1->0  m1"),
    ]


def test_a_receiver_batch_traces_each_take_with_the_depth_it_leaves() -> None:
    """R3: a poll takes the first message and a batch; each take is told at once, so a
    trace shows 4->3, 3->2 ... rather than the depth after the whole batch."""
    queue = MemoryQueueStore("in")
    for i in range(4):
        queue.put(i)
    depths: list[tuple[int, int]] = []
    pool = ThreadPool("vm.receiver", ThreadingProfile(max_threads_active=4))  # batch of 1
    try:
        receiver = PollingReceiver(
            "in",
            queue,
            pool,
            lambda m: None,
            queue_timeout_s=0.01,
            on_take=lambda m: depths.append((m, queue.size())),
        )
        assert receiver.poll_once() == 2
        assert pool.wait_idle(5)
    finally:
        pool.shutdown(5)
    assert depths == [(0, 3), (1, 2)]


def test_dispatch_without_dispatcher_threads_is_in_the_callers_thread(tmp_path: Path) -> None:
    body = """
    <vm:connector name="inline">
        <dispatcher-threading-profile doThreading="false"/>
    </vm:connector>
    <flow name="f">
        <vm:inbound-endpoint path="in"/>
        <logger/>
    </flow>
"""
    steps = _text_steps(tmp_path, body, "--dispatch", "vm://in=x")
    assert steps[0][1:] == ("MuleClient", "dispatch", "vm://in (caller's thread)  m1")
    assert steps[1][0] == "main"  # and the enqueue really happens there

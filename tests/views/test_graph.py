"""mule-emu graph: shapes, arrow styles, formats, and the missing-Graphviz message."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from mule_emulator.cli import cli
from mule_emulator.model.config import AppConfig
from mule_emulator.views.graph import build_graph, to_dot, to_mermaid

MakeConfig = Callable[..., tuple[str, AppConfig]]

APP = """
    <vm:connector name="disk">
        <vm:queue-profile maxOutstandingMessages="3">
            <default-persistent-queue-store/>
        </vm:queue-profile>
    </vm:connector>
    <flow name="front">
        <vm:inbound-endpoint path="quote" exchange-pattern="request-response" connector-ref="disk"/>
        <vm:outbound-endpoint path="pricing" exchange-pattern="request-response"
                              connector-ref="disk"/>
        <flow-ref name="audit"/>
        <vm:outbound-endpoint path="orders" connector-ref="disk"/>
        <catch-exception-strategy>
            <vm:outbound-endpoint path="dlq" connector-ref="disk"/>
        </catch-exception-strategy>
    </flow>
    <flow name="pricing">
        <vm:inbound-endpoint path="pricing" exchange-pattern="request-response"
                             connector-ref="disk"/>
        <logger/>
    </flow>
    <sub-flow name="audit">
        <logger/>
    </sub-flow>
    <model name="m">
        <service name="fulfil">
            <inbound>
                <vm:inbound-endpoint path="orders" connector-ref="disk"/>
            </inbound>
        </service>
    </model>
"""


def test_shapes_and_arrows(make_config: MakeConfig) -> None:
    _path, app = make_config(APP)
    text = to_mermaid(build_graph(app))
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    # persistent queue: a cylinder, marked in the label and with the persistent class
    assert '    q_orders[("vm://orders<br/><i>persistent, capacity 3</i>")]:::persistent' in lines
    assert '    ep_pricing(["vm://pricing<br/><i>request-response</i>"])' in lines
    assert '    sub_audit[["audit<br/><i>sub-flow</i>"]]' in lines
    assert '    svc_fulfil{{"fulfil<br/><i>service</i>"}}' in lines
    assert "    flow_front ==>|send| ep_pricing" in lines  # request-response: thick
    assert "    ep_pricing -.->|reply| flow_front" in lines  # and its reply, dashed
    assert "    flow_front -->|dispatch| q_orders" in lines  # one-way: plain
    assert "    q_orders --> svc_fulfil" in lines
    assert "    flow_front -->|flow-ref| sub_audit" in lines
    assert "    flow_front -.->|on error| q_dlq" in lines
    assert "classDef persistent" in lines[-1]


REDELIVERY = """
    <flow name="invoices">
        <vm:inbound-endpoint path="invoices">
            <idempotent-redelivery-policy maxRedeliveryCount="1" idExpression="#[payload]">
                <dead-letter-queue>
                    <vm:outbound-endpoint path="invoices.dlq" exchange-pattern="one-way"/>
                </dead-letter-queue>
            </idempotent-redelivery-policy>
            <vm:transaction action="ALWAYS_BEGIN"/>
        </vm:inbound-endpoint>
        <logger/>
        <choice-exception-strategy>
            <rollback-exception-strategy when="#[true]" maxRedeliveryAttempts="2">
                <vm:outbound-endpoint path="failures"/>
                <on-redelivery-attempts-exceeded>
                    <vm:outbound-endpoint path="parked"/>
                </on-redelivery-attempts-exceeded>
            </rollback-exception-strategy>
        </choice-exception-strategy>
    </flow>
"""


def test_dead_letter_and_exhausted_paths(make_config: MakeConfig) -> None:
    """A one-way dead-letter endpoint is a queue (not a request-response address), and
    the exceeded block of a rollback strategy (inside a choice) is told apart from its
    processors."""
    _path, app = make_config(REDELIVERY)
    lines = to_mermaid(build_graph(app)).splitlines()
    assert '    q_invoices_dlq[("vm://invoices.dlq<br/><i>transient, unbounded</i>")]' in lines
    assert "    flow_invoices -.->|dead letter| q_invoices_dlq" in lines
    assert "    flow_invoices -.->|on error| q_failures" in lines
    assert "    flow_invoices -.->|redelivery exhausted| q_parked" in lines
    assert not any(line.startswith("    ep_") for line in lines), lines


def test_deterministic_and_sorted(make_config: MakeConfig) -> None:
    _path, app = make_config(APP)
    first = build_graph(app)
    assert first == build_graph(app)
    assert list(first.nodes) == sorted(first.nodes)
    assert list(first.edges) == sorted(first.edges)


def test_dot(make_config: MakeConfig) -> None:
    path, _app = make_config(APP)
    result = CliRunner().invoke(cli, ["graph", path, "--format", "dot"])
    assert result.exit_code == 0
    assert result.output.startswith('digraph "app" {')
    assert "shape=cylinder, peripheries=2" in result.output
    assert 'flow_front -> ep_pricing [label="send", style=bold, penwidth=2];' in result.output
    assert result.output == to_dot(build_graph(_app), "app")


def test_image_without_graphviz_exits_2(
    make_config: MakeConfig, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path, _app = make_config(APP)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = CliRunner().invoke(cli, ["graph", path, "--format", "svg"])
    assert result.exit_code == 2
    assert "`dot`" in result.output and "--format dot" in result.output
    assert "Traceback" not in result.output


def test_image_runs_graphviz(
    make_config: MakeConfig, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A stand-in ``dot`` on PATH receives the DOT text and its output is the image."""
    path, _app = make_config(APP)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "dot"
    fake.write_text('#!/bin/sh\necho "<svg format=$1>"\ncat >/dev/null\n', encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(bin_dir) + os.pathsep + os.environ.get("PATH", ""))
    out = tmp_path / "app.svg"
    result = CliRunner().invoke(cli, ["graph", path, "--format", "svg", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == "<svg format=-Tsvg>\n"


def test_message_filter_on_unaccepted_names_its_flow(make_config: MakeConfig) -> None:
    _path, app = make_config(
        """
    <flow name="intake">
        <vm:inbound-endpoint path="in"/>
        <message-filter onUnaccepted="refuse">
            <expression-filter expression="#[payload != 'bad']"/>
        </message-filter>
    </flow>
    <sub-flow name="refuse">
        <logger/>
    </sub-flow>
"""
    )
    lines = to_mermaid(build_graph(app)).splitlines()
    assert "    flow_intake -->|unaccepted| sub_refuse" in lines


SOURCES = """
    <flow name="ticker">
        <poll frequency="500">
            <set-payload value="tick"/>
        </poll>
        <vm:outbound-endpoint path="ticks"/>
    </flow>
    <flow name="both">
        <composite-source>
            <vm:inbound-endpoint path="a"/>
            <vm:inbound-endpoint path="b" exchange-pattern="request-response"/>
        </composite-source>
        <logger/>
    </flow>
"""


def test_poll_and_composite_sources(make_config: MakeConfig) -> None:
    _path, app = make_config(SOURCES)
    lines = to_mermaid(build_graph(app)).splitlines()
    assert '    poll_ticker>"poll<br/><i>every 500 ms</i>"]' in lines
    assert "    poll_ticker --> flow_ticker" in lines
    assert '    flow_ticker["ticker<br/><i>asynchronous (SEDA stage)</i>"]' in lines
    # every endpoint of a composite source feeds the flow, each in its own way
    assert "    q_a --> flow_both" in lines
    assert "    ep_b ==> flow_both" in lines
    assert '    flow_both["both<br/><i>per source endpoint</i>"]' in lines

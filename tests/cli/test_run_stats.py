"""`mule-emu run --stats SECONDS`: every queue and pool, periodically and at the end."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from mule_emulator.cli import cli
from mule_emulator.execution.engine import EngineStatistics
from mule_emulator.execution.thread_pool import PoolStatistics
from mule_emulator.queues.store import QueueStatistics
from mule_emulator.views.stats import format_statistics

APP = """<?xml version="1.0" encoding="UTF-8"?>
<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:vm="http://www.mulesoft.org/schema/mule/vm">
    <vm:connector name="c">
        <vm:queue-profile maxOutstandingMessages="5"/>
    </vm:connector>
    <flow name="publish">
        <vm:inbound-endpoint path="events" connector-ref="c"/>
        <vm:outbound-endpoint path="audit" connector-ref="c"/>
    </flow>
</mule>
"""


@pytest.fixture
def app_xml(tmp_path: Path) -> str:
    path = tmp_path / "stats.xml"
    path.write_text(APP)
    return str(path)


def _row(output: str, name: str) -> list[str]:
    """The last table row that starts with ``name``, split into cells."""
    rows = [line.split() for line in output.splitlines() if line.split()[:1] == [name]]
    assert rows, f"no row for {name} in:\n{output}"
    return rows[-1]


def test_stats_at_the_end_show_every_queue_and_pool(app_xml: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "run",
            app_xml,
            "-D",
            "mule.vm.receiverStartDelayMs=0",
            "--data-dir",
            str(tmp_path / "data"),
            "--dispatch",
            "vm://events=one",
            "--dispatch",
            "vm://events=two",
            "--until-idle",
            "--stats",
            "60",
            "--log-level",
            "ERROR",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "statistics at the end:" in result.stdout
    # queue: depth capacity in-flight processed rejected peak
    assert _row(result.stdout, "audit")[1:3] == ["2", "5"]
    assert _row(result.stdout, "events")[1:5] == ["0", "5", "0", "2"]
    stage = _row(result.stdout, "seda.queue(publish.stage1)")
    assert stage[2] == "64" and stage[4] == "2"  # 4 x 16 threads; both taken
    for pool in ("c.receiver", "c.dispatcher", "publish.stage1"):
        assert _row(result.stdout, pool)[3] == "16"  # maxThreadsActive
    assert int(_row(result.stdout, "c.dispatcher")[5]) >= 2  # completed dispatches


def test_stats_are_printed_periodically(app_xml: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "run",
            app_xml,
            "--data-dir",
            str(tmp_path / "data"),
            "--duration",
            "0.5",
            "--stats",
            "0.1",
            "--log-level",
            "ERROR",
        ],
    )
    assert result.exit_code == 0, result.output
    periodic = re.findall(r"^statistics at \d+\.\d s:$", result.stdout, re.MULTILINE)
    assert len(periodic) >= 2, result.stdout
    assert result.stdout.rstrip().count("statistics at the end:") == 1


@pytest.mark.parametrize("value", ["0", "-1", "soon"])
def test_stats_needs_a_positive_interval(app_xml: str, value: str) -> None:
    result = CliRunner().invoke(cli, ["run", app_xml, "--stats", value])
    assert result.exit_code == 2
    assert "--stats" in result.output


def test_format_statistics_tables() -> None:
    stats = EngineStatistics(
        queues=(
            QueueStatistics("b", 3, 0, False, 1, 9, 6, 2, 4, claimed=1),
            QueueStatistics("a", 0, 10, True, 0, 0, 0, 0, 0),
        ),
        pools=(
            PoolStatistics(
                name="p",
                threads=2,
                active=1,
                idle=1,
                largest=2,
                max=4,
                buffered=3,
                completed=5,
                rejected=6,
                discarded=1,
                peak=2,
                caller_runs=1,
            ),
        ),
    )
    text = format_statistics(stats, "now")
    lines = text.splitlines()
    assert lines[0] == "now:"
    assert lines[1].split() == [
        "queue",
        "depth",
        "capacity",
        "in-flight",
        "processed",
        "rejected",
        "peak",
    ]
    assert lines[2].split() == ["a", "0", "10", "0", "0", "0", "0"]
    assert lines[3].split() == ["b", "3", "unbounded", "2", "6", "2", "4"]
    assert lines[4].split()[0] == "pool"
    assert lines[5].split() == ["p", "2", "1", "4", "3", "5", "6", "1", "1", "2"]
    empty = format_statistics(EngineStatistics((), ()))
    assert empty.splitlines()[1:] == ["  no queues", "  no thread pools"]

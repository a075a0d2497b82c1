"""`mule-emu run` on exit: what is left on queues, told apart by whether something reads
the queue (a transacted receiver here) or nothing does."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from mule_emulator.cli import cli

ENDLESS_ROLLBACK = """<?xml version="1.0" encoding="UTF-8"?>
<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:vm="http://www.mulesoft.org/schema/mule/vm"
      xmlns:test="http://www.mulesoft.org/schema/mule/test">
    <flow name="loop">
        <vm:inbound-endpoint path="in">
            <vm:transaction action="ALWAYS_BEGIN"/>
        </vm:inbound-endpoint>
        <test:component throwException="true"/>
        <rollback-exception-strategy/>
    </flow>
</mule>
"""


def test_a_message_redelivered_forever_is_not_reported_as_unconsumed(tmp_path: Path) -> None:
    config = tmp_path / "loop.xml"
    config.write_text(ENDLESS_ROLLBACK, encoding="utf-8")
    args = [
        "run", str(config), "--data-dir", str(tmp_path / "data"),
        "-D", "mule.vm.receiverStartDelayMs=0",
        "--dispatch", "vm://in=x", "--dispatch", "vm://nobody=y",
        "--duration", "0.3", "--log-level", "error",
    ]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    # The rolled-back message is back on vm://in (read by the transacted receiver).
    assert "left on queue 'in' (not taken before the stop): 1 message" in lines
    assert "left on queue 'nobody' (nothing consumes it): 1 message" in lines
    assert not any("'in' (nothing consumes it)" in line for line in lines)

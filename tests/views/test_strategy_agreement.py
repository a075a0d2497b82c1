"""explain and the runtime agree on F-8: which flows a redelivery policy switches to
``synchronous``, and which explicit strategies it makes a start-up error.

Each case is a config of our own; explain's effective strategy (``effective_kind``)
is compared with the strategy the built (unstarted) application gives the flow.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mule_emulator.errors import ConfigError
from mule_emulator.model import load_app_config
from mule_emulator.runtime.app import load_app
from mule_emulator.views.effective_constructs import effective_kind, strategy_warnings

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:vm="http://www.mulesoft.org/schema/mule/vm">
"""

TX_SOURCE = """<vm:inbound-endpoint path="in"><vm:transaction action="ALWAYS_BEGIN"/>
        </vm:inbound-endpoint>"""
ONE_WAY_SOURCE = '<vm:inbound-endpoint path="in"/>'
ROLLBACK_2 = '<rollback-exception-strategy maxRedeliveryAttempts="2"/>'
GLOBAL_ROLLBACK_2 = '<rollback-exception-strategy name="g" maxRedeliveryAttempts="2"/>'

CASES: dict[str, tuple[str, str]] = {
    # name: (config body, the effective strategy both must report for flow "f")
    "rollback with maxRedeliveryAttempts: switched": (
        f'<flow name="f">{TX_SOURCE}<logger/>{ROLLBACK_2}</flow>',
        "synchronous",
    ),
    "one-way source, no transaction, rollback with attempts: switched": (
        f'<flow name="f">{ONE_WAY_SOURCE}<logger/>{ROLLBACK_2}</flow>',
        "synchronous",
    ),
    "rollback without attempts: stays default": (
        f'<flow name="f">{TX_SOURCE}<logger/><rollback-exception-strategy/></flow>',
        "default",
    ),
    "endpoint idempotent-redelivery-policy only: stays default": (
        """<flow name="f">
            <vm:inbound-endpoint path="in">
                <idempotent-redelivery-policy maxRedeliveryCount="1" idExpression="#[payload]"/>
                <vm:transaction action="ALWAYS_BEGIN"/>
            </vm:inbound-endpoint>
            <logger/>
            <rollback-exception-strategy/>
        </flow>""",
        "default",
    ),
    "rollback with attempts inside a choice: switched": (
        f"""<flow name="f">{TX_SOURCE}<logger/>
            <choice-exception-strategy>
                <catch-exception-strategy when="#[false]"/>
                {ROLLBACK_2}
            </choice-exception-strategy>
        </flow>""",
        "synchronous",
    ),
    "global strategy by reference: switched": (
        f"""{GLOBAL_ROLLBACK_2}
        <flow name="f">{TX_SOURCE}<logger/><exception-strategy ref="g"/></flow>""",
        "synchronous",
    ),
    "configuration defaultExceptionStrategy-ref: switched": (
        f"""<configuration defaultExceptionStrategy-ref="g"/>
        {GLOBAL_ROLLBACK_2}
        <flow name="f">{TX_SOURCE}<logger/></flow>""",
        "synchronous",
    ),
    "explicit synchronous: unchanged": (
        f'<flow name="f" processingStrategy="synchronous">{TX_SOURCE}<logger/>{ROLLBACK_2}</flow>',
        "synchronous",
    ),
    "no redelivery anywhere: stays default": (
        f'<flow name="f">{ONE_WAY_SOURCE}<logger/></flow>',
        "default",
    ),
}


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "app.xml"
    path.write_text(HEAD + body + "\n</mule>\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("case", sorted(CASES))
def test_explain_and_runtime_choose_the_same_strategy(case: str, tmp_path: Path) -> None:
    body, expected = CASES[case]
    path = _write(tmp_path, body)
    config = load_app_config([str(path)])
    _choice, explained, _note = effective_kind(config, config.flows["f"])
    app = load_app([path], work_dir=tmp_path / "data")
    assert (explained, app.flows["f"].strategy.kind) == (expected, expected)


def test_explicit_async_strategy_with_redelivery_is_refused_by_both(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        f'<flow name="f" processingStrategy="queued-asynchronous">{ONE_WAY_SOURCE}'
        f"<logger/>{ROLLBACK_2}</flow>",
    )
    config = load_app_config([str(path)])
    flow = config.flows["f"]
    choice, kind, _note = effective_kind(config, flow)
    assert kind == "queued-asynchronous"
    assert any("start-up error (F-8)" in w for w in strategy_warnings(config, flow, choice))
    with pytest.raises(ConfigError, match="not compatible with an asynchronous"):
        load_app([path], work_dir=tmp_path / "data")

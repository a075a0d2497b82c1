"""Redelivery end to end (T5, X5, P-29, F-8): transacted VM flows of our own whose
component always fails, with and without a limit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import _tx_helpers
import pytest
from _tx_helpers import running, wait_for, write_app

from mule_emulator.errors import ConfigError
from mule_emulator.runtime.message import NULL_PAYLOAD, MuleMessage

FAILING = {"test.Failing": "_tx_helpers:Failing"}


@pytest.fixture(autouse=True)
def fresh_records() -> None:
    _tx_helpers.failures.clear()


def _attempts(payload: str) -> int:
    return sum(1 for p in _tx_helpers.failures if p == payload)


@pytest.mark.parametrize("limit", [0, 2])
def test_max_redelivery_attempts_runs_the_flow_n_plus_one_times_then_the_exceeded_block(
    tmp_path: Path, limit: int
) -> None:
    app = write_app(
        tmp_path,
        f"""
    <flow name="orders">
        <vm:inbound-endpoint path="orders">
            <vm:transaction action="ALWAYS_BEGIN"/>
        </vm:inbound-endpoint>
        <component class="test.Failing"/>
        <rollback-exception-strategy maxRedeliveryAttempts="{limit}">
            <on-redelivery-attempts-exceeded>
                <append-string-transformer message=" (gave up)"/>
                <vm:outbound-endpoint path="exhausted"/>
            </on-redelivery-attempts-exceeded>
        </rollback-exception-strategy>
    </flow>""",
        classes=FAILING,
    )
    with running(app):
        app.client.dispatch("vm://orders", "order-1")
        exhausted = app.client.request("vm://exhausted", 5)
        assert exhausted is not None and exhausted.payload == "order-1 (gave up)"
        assert _attempts("order-1") == limit + 1
        # The exhausted arrival was consumed (committed): nothing comes back.
        assert app.wait_until_idle(2)
        assert app.client.request("vm://orders", 0.05) is None
        assert _attempts("order-1") == limit + 1
        assert app.flow_runs("orders") == limit + 1


def test_without_a_limit_a_transacted_failure_is_redelivered_forever(tmp_path: Path) -> None:
    """T5: rollback puts the message back at the tail; nothing ever gives up. The run is
    bounded by observing many redeliveries and then stopping the application."""
    app = write_app(
        tmp_path,
        """
    <flow name="loop">
        <vm:inbound-endpoint path="loop">
            <vm:transaction action="ALWAYS_BEGIN"/>
        </vm:inbound-endpoint>
        <component class="test.Failing"/>
        <rollback-exception-strategy/>
    </flow>""",
        classes=FAILING,
    )
    with running(app):
        app.client.dispatch("vm://loop", "poison")
        assert wait_for(lambda: _attempts("poison") >= 25, 10)
    # Stopped: the message was still being redelivered, never given up on.
    assert _attempts("poison") >= 25


def test_default_strategy_also_redelivers_forever(tmp_path: Path) -> None:
    app = write_app(
        tmp_path,
        """
    <flow name="loop">
        <vm:inbound-endpoint path="loop">
            <vm:transaction action="BEGIN_OR_JOIN"/>
        </vm:inbound-endpoint>
        <component class="test.Failing"/>
    </flow>""",
        classes=FAILING,
    )
    with running(app):
        app.client.dispatch("vm://loop", "poison")
        assert wait_for(lambda: _attempts("poison") >= 10, 10)


def test_idempotent_redelivery_policy_sends_the_message_to_its_dead_letter_queue(
    tmp_path: Path,
) -> None:
    app = write_app(
        tmp_path,
        """
    <flow name="orders">
        <vm:inbound-endpoint path="orders">
            <idempotent-redelivery-policy maxRedeliveryCount="1">
                <dead-letter-queue>
                    <vm:outbound-endpoint path="dlq"/>
                </dead-letter-queue>
            </idempotent-redelivery-policy>
            <vm:transaction action="ALWAYS_BEGIN"/>
        </vm:inbound-endpoint>
        <component class="test.Failing"/>
    </flow>""",
        classes=FAILING,
    )
    with running(app):
        app.client.dispatch("vm://orders", "order-7")
        dead = app.client.request("vm://dlq", 5)
        assert dead is not None and dead.payload == "order-7"
        assert _attempts("order-7") == 2
        assert app.wait_until_idle(2)
        assert _attempts("order-7") == 2


def test_strategy_limit_overrides_the_policy_count(tmp_path: Path) -> None:
    """DefaultInboundEndpoint: maxRedeliveryAttempts replaces maxRedeliveryCount."""
    app = write_app(
        tmp_path,
        """
    <flow name="orders">
        <vm:inbound-endpoint path="orders">
            <idempotent-redelivery-policy maxRedeliveryCount="5">
                <dead-letter-queue><vm:outbound-endpoint path="dlq"/></dead-letter-queue>
            </idempotent-redelivery-policy>
            <vm:transaction action="ALWAYS_BEGIN"/>
        </vm:inbound-endpoint>
        <component class="test.Failing"/>
        <rollback-exception-strategy maxRedeliveryAttempts="1"/>
    </flow>""",
        classes=FAILING,
    )
    with running(app):
        app.client.dispatch("vm://orders", "x")
        assert app.client.request("vm://dlq", 5) is not None
        assert _attempts("x") == 2


def _request_response_app(tmp_path: Path, id_expression: str | None) -> Any:
    policy = (
        f'<idempotent-redelivery-policy idExpression="{id_expression}"/>' if id_expression else ""
    )
    return write_app(
        tmp_path,
        f"""
    <flow name="rr">
        <vm:inbound-endpoint path="rr" exchange-pattern="request-response">
            {policy}
        </vm:inbound-endpoint>
        <component class="test.Failing"/>
        <rollback-exception-strategy maxRedeliveryAttempts="1">
            <append-string-transformer message=" rolled back"/>
            <on-redelivery-attempts-exceeded>
                <set-payload value="exhausted"/>
            </on-redelivery-attempts-exceeded>
        </rollback-exception-strategy>
    </flow>""",
        classes=FAILING,
    )


def test_counter_is_keyed_by_the_payload_hash(tmp_path: Path) -> None:
    """X5: equal payloads share one counter, so repeated sends count as redeliveries."""
    with running(_request_response_app(tmp_path, None)) as app:
        for _ in range(2):
            reply = app.client.send("vm://rr", "same")
            assert reply is not None and reply.payload == "same rolled back"
            assert reply.exception_payload is not None
        other = app.client.send("vm://rr", "different")
        assert other is not None and other.payload == "different rolled back"
        third = app.client.send("vm://rr", "same")
        assert third is not None and third.payload == "exhausted"
        assert _attempts("same") == 2 and _attempts("different") == 1


def test_id_expression_keys_the_counter(tmp_path: Path) -> None:
    with running(_request_response_app(tmp_path, "#[message.inboundProperties.orderId]")) as app:
        for payload in ("a", "b"):
            reply = app.client.send("vm://rr", payload, {"orderId": "42"})
            assert reply is not None and reply.exception_payload is not None
        reply = app.client.send("vm://rr", "c", {"orderId": "42"})
        assert reply is not None and reply.payload == "exhausted"
        reply = app.client.send("vm://rr", "c", {"orderId": "43"})
        assert reply is not None and reply.payload == "c rolled back"


def test_success_resets_the_counter(tmp_path: Path) -> None:
    app = write_app(
        tmp_path,
        """
    <flow name="rr">
        <vm:inbound-endpoint path="rr" exchange-pattern="request-response"/>
        <choice>
            <when expression="#[message.inboundProperties.fail == 'yes']">
                <component class="test.Failing"/>
            </when>
            <otherwise><logger/></otherwise>
        </choice>
        <rollback-exception-strategy maxRedeliveryAttempts="1">
            <on-redelivery-attempts-exceeded>
                <set-payload value="exhausted"/>
            </on-redelivery-attempts-exceeded>
        </rollback-exception-strategy>
    </flow>""",
        classes=FAILING,
    )

    def send(fail: str) -> MuleMessage:
        reply = app.client.send("vm://rr", "p", {"fail": fail})
        assert reply is not None
        return reply

    with running(app):
        assert send("yes").exception_payload is not None
        assert send("no").payload == "p"  # back to 0
        # Without the reset this second failure would already be the exhausted one.
        assert send("yes").exception_payload is not None
        assert send("yes").exception_payload is not None
        assert send("yes").payload == "exhausted"


def test_redelivery_switches_a_default_flow_to_synchronous(tmp_path: Path) -> None:
    """F-8: no explicit processing strategy + maxRedeliveryAttempts -> synchronous."""
    app = write_app(
        tmp_path,
        """
    <flow name="limited">
        <vm:inbound-endpoint path="limited"/>
        <logger/>
        <rollback-exception-strategy maxRedeliveryAttempts="3"/>
    </flow>
    <flow name="plain">
        <vm:inbound-endpoint path="plain"/>
        <logger/>
        <rollback-exception-strategy/>
    </flow>""",
    )
    assert app.flows["limited"].strategy.kind == "synchronous"
    assert app.flows["limited"].stage is None
    assert app.flows["plain"].strategy.kind == "default"


def test_redelivery_with_an_explicit_asynchronous_strategy_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="messaging redelivered is configured"):
        write_app(
            tmp_path,
            """
    <flow name="limited" processingStrategy="queued-asynchronous">
        <vm:inbound-endpoint path="limited"/>
        <logger/>
        <rollback-exception-strategy maxRedeliveryAttempts="3"/>
    </flow>""",
        )


def test_a_one_way_transacted_flow_answers_a_send_with_the_catch_result(tmp_path: Path) -> None:
    """VM-7 quirk, settled against VMMessageReceiver.onCall@mule-3.9.0: a handled failure
    is returned by the main execution template itself, before ``returnEvent`` can drop
    it, so a one-way endpoint that ran in the caller's thread answers with the catch
    result; unhandled failures and successes of a one-way endpoint answer null."""
    app = write_app(
        tmp_path,
        """
    <flow name="caught">
        <vm:inbound-endpoint path="caught">
            <vm:transaction action="ALWAYS_BEGIN"/>
        </vm:inbound-endpoint>
        <test:component throwException="true"/>
        <catch-exception-strategy>
            <append-string-transformer message=" Caught"/>
        </catch-exception-strategy>
    </flow>
    <flow name="rolled">
        <vm:inbound-endpoint path="rolled">
            <vm:transaction action="ALWAYS_BEGIN"/>
        </vm:inbound-endpoint>
        <test:component throwException="true"/>
        <rollback-exception-strategy maxRedeliveryAttempts="5"/>
    </flow>
    <flow name="fine">
        <vm:inbound-endpoint path="fine">
            <vm:transaction action="ALWAYS_BEGIN"/>
        </vm:inbound-endpoint>
        <logger/>
    </flow>""",
    )
    with running(app):
        reply = app.client.send("vm://caught", "some message")
        assert reply is not None and reply.payload == "some message Caught"
        assert reply.exception_payload is None
        assert app.client.send("vm://rolled", "some message") is None
        assert app.client.send("vm://fine", "some message") is None


def test_default_strategy_reply_to_a_request_response_caller(tmp_path: Path) -> None:
    app = write_app(
        tmp_path,
        """
    <flow name="rr">
        <vm:inbound-endpoint path="rr" exchange-pattern="request-response"/>
        <test:component throwException="true"/>
    </flow>""",
    )
    with running(app):
        reply = app.client.send("vm://rr", "m")
        assert reply is not None and reply.payload is NULL_PAYLOAD
        assert reply.exception_payload is not None


def _rules(folder: Path, body: str) -> list[str]:
    from mule_emulator.model.validator import validate_files

    path = folder / "checked.xml"
    path.write_text(_tx_helpers.HEADER + body + "\n</mule>\n", encoding="utf-8")
    return [p.rule for f in validate_files([str(path)]) for p in f.problems]


def test_validator_warns_about_endless_redelivery_unless_the_endpoint_bounds_it(
    tmp_path: Path,
) -> None:
    """MULE601 (checks.py): a transacted one-way source with a rollback strategy without
    maxRedeliveryAttempts loops forever; an idempotent-redelivery-policy bounds it."""
    endless = """
    <flow name="f">
        <vm:inbound-endpoint path="in"><vm:transaction action="ALWAYS_BEGIN"/></vm:inbound-endpoint>
        <logger/>
        <rollback-exception-strategy/>
    </flow>"""
    assert "MULE601" in _rules(tmp_path, endless)
    bounded = endless.replace(
        '<vm:transaction action="ALWAYS_BEGIN"/>',
        '<idempotent-redelivery-policy maxRedeliveryCount="2"/>'
        '<vm:transaction action="ALWAYS_BEGIN"/>',
    )
    assert "MULE601" not in _rules(tmp_path, bounded)
    limited = endless.replace(
        "<rollback-exception-strategy/>",
        '<rollback-exception-strategy maxRedeliveryAttempts="2"/>',
    )
    assert "MULE601" not in _rules(tmp_path, limited)


def test_every_message_is_eventually_accepted_when_failures_are_transient(
    tmp_path: Path,
) -> None:
    """RollbackTestCase (T5, S23), made deterministic: 100 messages into a transacted
    flow where some fail once; every rolled-back message comes back from the tail and
    all 100 are accepted, each exactly once."""
    _tx_helpers.flaked.clear()
    app = write_app(
        tmp_path,
        """
    <flow name="accept">
        <vm:inbound-endpoint path="work">
            <vm:transaction action="ALWAYS_BEGIN"/>
        </vm:inbound-endpoint>
        <component class="test.Flaky"/>
        <vm:outbound-endpoint path="accepted"/>
        <default-exception-strategy>
            <rollback-transaction exception-pattern="*"/>
        </default-exception-strategy>
    </flow>""",
        classes={"test.Flaky": "_tx_helpers:FlakyOnce"},
    )
    accepted: list[str] = []
    with running(app):
        for i in range(100):
            app.client.dispatch("vm://work", f"Hello {i}")
        while len(accepted) < 100:
            message = app.client.request("vm://accepted", 5)
            assert message is not None, f"only {len(accepted)} accepted"
            accepted.append(str(message.payload))
    assert sorted(accepted) == sorted(f"Hello {i}" for i in range(100))
    assert len(_tx_helpers.flaked) == 20
    assert app.flow_runs("accept") == 120

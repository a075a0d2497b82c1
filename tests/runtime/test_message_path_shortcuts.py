"""The second round of message-path shortcuts changes nothing observable.

- ``CaseInsensitiveDict.crossing`` gives what a copy, then writes and pops, give,
  whatever spellings were stored before;
- an INDIFFERENT transaction template (no ``<transaction>``) runs its work directly,
  and handles failures as the full interceptor path does (checked against
  JOIN_IF_POSSIBLE, which takes the full path and changes nothing without a
  transaction);
- a send hands its session to the receiver beside the request (the transport's own
  properties never reach the callee), and the reply still carries ``MULE_SESSION``;
- a flow counts its runs without a lock, also from several threads.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

import pytest

from mule_emulator import MuleApp
from mule_emulator.errors import MessagingError, TransactionError
from mule_emulator.model.config import TransactionConfig
from mule_emulator.runtime import transactions
from mule_emulator.runtime.message import CaseInsensitiveDict, MuleEvent, MuleMessage

AppMaker = Callable[..., MuleApp]  # the make_app fixture (conftest)

# ----------------------------------------------------------------------------- crossing


def _reference(scope: CaseInsensitiveDict, put: dict[str, Any], drop: tuple[str, ...]) -> Any:
    other = scope.copy()
    for key, value in put.items():
        other[key] = value
    for key in drop:
        other.pop(key, None)
    return other


def test_crossing_matches_copy_write_pop_for_any_spellings() -> None:
    rng = random.Random(8)
    names = ["Cross_A", "cross_a", "CROSS_A", "Cross_B", "cross_b", "Cross_C", "plain"]
    for _ in range(400):
        scope = CaseInsensitiveDict.empty()
        for name in rng.sample(names, rng.randint(0, 4)):
            scope[name] = rng.randint(0, 9)
        put = {name: rng.randint(10, 19) for name in rng.sample(names, rng.randint(0, 2))}
        put = {k: v for k, v in put.items() if k.lower() not in {p.lower() for p in put if p != k}}
        drop = tuple(rng.sample(names, rng.randint(0, 2)))
        before = list(scope.items())
        got = scope.crossing(put, drop)
        want = _reference(scope, put, drop)
        assert list(got.items()) == list(want.items())
        for name in names:  # every spelling finds what the reference finds
            assert got.get(name) == want.get(name)
        assert list(scope.items()) == before  # the source is left as it was
        got["written_after"] = 1
        assert "written_after" not in scope


def test_crossing_copy_is_isolated_both_ways() -> None:
    source = CaseInsensitiveDict.of({"k": 1})
    crossed = source.crossing({"MULE_ENDPOINT": "vm://x"})
    source["late"] = 2
    crossed["k"] = 5
    assert dict(source) == {"k": 1, "late": 2}
    assert dict(crossed) == {"k": 5, "MULE_ENDPOINT": "vm://x"}
    assert crossed["mule_endpoint"] == "vm://x"  # found under another spelling
    empty = CaseInsensitiveDict.empty().crossing(None, ("MULE_SESSION",))
    empty["a"] = 1
    assert len(CaseInsensitiveDict.empty()) == 0


def test_a_name_stored_later_under_another_spelling_is_still_found() -> None:
    first = CaseInsensitiveDict.empty().crossing({"Late_Spelling_Name": 1})
    assert first.get("late_spelling_name") == 1
    second = CaseInsensitiveDict.of({"LATE_SPELLING_NAME": 2})
    # Another spelling is now known: crossing takes the slow, exact way.
    crossed = second.crossing({"Late_Spelling_Name": 3}, ())
    assert list(crossed.items()) == [("Late_Spelling_Name", 3)]
    dropped = second.crossing(None, ("late_spelling_name",))
    assert len(dropped) == 0 and len(second) == 1


def test_message_copy_and_to_inbound_with_transport_properties() -> None:
    message = MuleMessage("p", outbound={"o": 1}, inbound={"MULE_SESSION": "s", "i": 2})
    copied = message.copy(("MULE_SESSION",), {"MULE_SESSION": "reply"})
    assert dict(copied.inbound) == {"i": 2}
    assert dict(copied.outbound) == {"o": 1, "MULE_SESSION": "reply"}
    assert dict(message.outbound) == {"o": 1} and "MULE_SESSION" in message.inbound
    crossed = message.to_inbound({"MULE_ENDPOINT": "vm://q"}, ("o",))
    assert dict(crossed.inbound) == {"MULE_ENDPOINT": "vm://q"} and len(crossed.outbound) == 0
    assert crossed.id == message.id and dict(message.outbound) == {"o": 1}


# ----------------------------------------------------------------------------- templates


class Strategy:
    """A test exception strategy: records calls; handles, declines or fails."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.calls = 0

    def handle(self, error: MessagingError, event: MuleEvent) -> MuleEvent:
        self.calls += 1
        if self.mode == "fail":
            raise RuntimeError("strategy broke")
        result = MuleEvent.of(MuleMessage(f"handled {self.mode}"))
        if self.mode == "catch":
            error.handled = True
        return result


def _outcome(action: str, mode: str, resolve_any: bool, bound: bool) -> tuple[Any, ...]:
    config = TransactionConfig(kind="vm", action=action)
    strategy = Strategy(mode)
    template = transactions.TransactionTemplate(
        config, handler=strategy, error_handling=True, resolve_any=resolve_any
    )
    tx = transactions.begin_transaction() if bound else None
    failure = MessagingError("boom", event=MuleEvent.of(MuleMessage("in")))

    def work(suffix: str) -> Any:
        raise failure

    try:
        try:
            result = template.execute(work, "x")
            outcome: tuple[Any, ...] = ("returned", result.message.payload)
        except MessagingError as error:
            payload = error.event.message.payload if error.event is not None else None
            outcome = ("raised", error is failure, payload)
        still_bound = transactions.current_transaction() is not None
        status = tx.status.value if tx is not None else None
        return (*outcome, strategy.calls, still_bound, status)
    finally:
        transactions.rollback_current()


@pytest.mark.parametrize("mode", ["catch", "rethrow", "fail"])
@pytest.mark.parametrize("resolve_any", [True, False])
@pytest.mark.parametrize("bound", [True, False])
def test_plain_template_fails_as_the_full_path_does(
    mode: str, resolve_any: bool, bound: bool
) -> None:
    plain = _outcome("INDIFFERENT", mode, resolve_any, bound)
    full = _outcome("JOIN_IF_POSSIBLE", mode, resolve_any, bound)
    assert plain == full
    if mode == "catch":
        assert plain[:2] == ("returned", "handled catch")
    elif mode == "rethrow":
        assert plain[:3] == ("raised", True, "handled rethrow")
    else:
        assert plain[:3] == ("raised", True, "in")
    # A source's template resolves what is bound; a failing strategy rolls back (T6).
    assert plain[-2] == (bound and not resolve_any and mode != "fail")


def test_plain_template_passes_arguments_and_results() -> None:
    plain = transactions.TransactionTemplate(None)
    full = transactions.TransactionTemplate(TransactionConfig(kind="vm", action="NONE"))
    assert plain.execute(lambda a, b: a + b, 2, 3) == 5
    assert full.execute(lambda a, b: a + b, 2, 3) == 5
    assert plain.execute(lambda: "no args") == "no args"
    with pytest.raises(TransactionError):
        plain.execute(_raise_transaction_error)


def _raise_transaction_error() -> None:
    raise TransactionError("not a messaging failure: passes through")


def test_execute_handled_reuses_its_template_and_still_handles() -> None:
    strategy = Strategy("catch")
    seen: list[str] = []

    def failing() -> None:
        raise MessagingError("boom", event=MuleEvent.of(MuleMessage("in")))

    transactions.execute_handled(failing, strategy, "test", "a")
    transactions.execute_handled(lambda: seen.append("ok"), strategy, "test", "b")
    first = transactions._cached_main_template(None, strategy)
    assert transactions._cached_main_template(None, strategy) is first
    assert transactions._cached_main_template(None, Strategy("catch")) is not first
    assert strategy.calls == 1 and seen == ["ok"]


# ----------------------------------------------------------------------------- a send

SEEN: list[Any] = []


def callee(message: Any) -> Any:
    SEEN.append((dict(message.inbound), dict(message.session)))
    message.session["back"] = "from callee"
    return "reply"


def caller_after(message: Any) -> Any:
    SEEN.append((message.inbound.get("MULE_SESSION"), dict(message.session)))
    return message.payload


SEND_APP = """
    <flow name="caller">
        <vm:inbound-endpoint path="sc-in" exchange-pattern="request-response"/>
        <set-session-variable variableName="sent" value="along"/>
        <set-property propertyName="MULE_ROOT_MESSAGE_ID" value="user-set"/>
        <vm:outbound-endpoint path="sc-callee" exchange-pattern="request-response"/>
        <component class="t.After"/>
    </flow>
    <flow name="callee">
        <vm:inbound-endpoint path="sc-callee" exchange-pattern="request-response"/>
        <component class="t.Callee"/>
    </flow>
"""
SEND_CLASSES = {
    "t.Callee": "test_message_path_shortcuts:callee",
    "t.After": "test_message_path_shortcuts:caller_after",
}


def test_send_hands_the_session_over_and_keeps_transport_properties_off(
    make_app: AppMaker,
) -> None:
    SEEN.clear()
    app = make_app(SEND_APP, classes=SEND_CLASSES)
    reply = app.client.send("vm://sc-in", "p", {"client": "c"})
    assert reply is not None and reply.payload == "reply"
    (inbound, session), (carried, merged) = SEEN
    assert session == {"sent": "along"}
    assert inbound["MULE_ENDPOINT"] == "vm://sc-callee"
    assert inbound["MULE_ORIGINATING_ENDPOINT"]
    assert "MULE_SESSION" not in inbound and "MULE_ROOT_MESSAGE_ID" not in inbound
    # The reply carries the callee's session (inbound MULE_SESSION); merged (M-6).
    assert carried is not None and carried.vars == {"sent": "along", "back": "from callee"}
    assert merged == {"sent": "along", "back": "from callee"}


# ----------------------------------------------------------------------------- runs


def test_flow_runs_are_counted_from_several_threads(make_app: AppMaker) -> None:
    app = make_app(
        """
    <flow name="counted" processingStrategy="synchronous">
        <vm:inbound-endpoint path="sc-count" exchange-pattern="request-response"/>
        <logger level="DEBUG"/>
    </flow>
"""
    )
    flow = app.flows["counted"]
    assert flow.runs == 0
    start = threading.Barrier(4)

    def send_many() -> None:
        start.wait(5)
        for _ in range(250):
            app.client.send("vm://sc-count", "x")

    threads = [threading.Thread(target=send_many) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)
    assert flow.runs == 1000


# ----------------------------------------------------------------------------- dispatch


def test_client_dispatch_gives_up_the_gil_once_per_message(
    make_app: AppMaker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The release after the hand-off (``MuleClient.dispatch``) happens once per
    dispatch, after the message is handed over, and a send does not pay for it."""
    from mule_emulator.runtime import client as client_module

    app = make_app(
        """
    <flow name="sink">
        <vm:inbound-endpoint path="sc-sink" exchange-pattern="one-way"/>
        <logger level="DEBUG"/>
    </flow>
    <flow name="echo">
        <vm:inbound-endpoint path="sc-echo" exchange-pattern="request-response"/>
        <logger level="DEBUG"/>
    </flow>
"""
    )
    releases: list[int] = []
    real = client_module._urandom
    monkeypatch.setattr(client_module, "_urandom", lambda n: releases.append(n) or real(n))
    for _ in range(3):
        app.client.dispatch("vm://sc-sink", "x")
    assert releases == [1, 1, 1]
    app.client.send("vm://sc-echo", "y")
    assert releases == [1, 1, 1]

"""Every transaction action, with and without a current transaction (T2), at each place
an action applies: an inbound endpoint (the main template), an outbound endpoint
(``run_outbound``) and the ``<transactional>`` scope (the scope template).

The first table drives the templates directly and looks at the transaction the work
sees; the second and third run applications of our own and look at what reaches the
queues when the outer transaction rolls back.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _tx_helpers import running, write_app

from mule_emulator.errors import TransactionError
from mule_emulator.model.config import TransactionConfig
from mule_emulator.runtime.transactions import (
    TransactionStatus,
    VMTransaction,
    begin_transaction,
    current_transaction,
    main_template,
    run_outbound,
    scope_template,
)

ALWAYS_JOIN_TEXT = (
    'A transaction is not available for this session, but transaction action is "Always Join"'
)
NEVER_TEXT = 'A transaction is available for this session, but transaction action is "Never"'

# What the work sees and what becomes of the outer transaction (T2):
#   "new": a transaction this template began; "outer": the caller's; None: none;
#   an exception text: the action refuses to run.
# Outer after: "active" (still bound afterwards), "committed" (resolved before the work),
# or None when there is no outer transaction.
WITHOUT = {
    "ALWAYS_BEGIN": "new",
    "BEGIN_OR_JOIN": "new",
    "ALWAYS_JOIN": ALWAYS_JOIN_TEXT,
    "JOIN_IF_POSSIBLE": None,
    "NONE": None,
    "NOT_SUPPORTED": None,
    "INDIFFERENT": None,
    "NEVER": None,
}
WITH = {
    "ALWAYS_BEGIN": ("new", "committed"),
    "BEGIN_OR_JOIN": ("outer", "active"),
    "ALWAYS_JOIN": ("outer", "active"),
    "JOIN_IF_POSSIBLE": ("outer", "active"),
    "NONE": (None, "committed"),
    "NOT_SUPPORTED": (None, "active"),
    "INDIFFERENT": ("outer", "active"),
    "NEVER": (NEVER_TEXT, "active"),
}
ACTIONS = list(WITHOUT)


def _inbound(config: TransactionConfig, work: Callable[[], Any]) -> Any:
    return main_template(config, None).execute(work)


def _outbound(config: TransactionConfig, work: Callable[[], Any]) -> Any:
    return run_outbound(config, work)


def _scope(config: TransactionConfig, work: Callable[[], Any]) -> Any:
    return scope_template(config, None).execute(work)


SITES = {"inbound endpoint": _inbound, "outbound endpoint": _outbound, "transactional": _scope}


@pytest.fixture(autouse=True)
def no_leaked_transaction() -> Any:
    yield
    leaked = current_transaction()
    if leaked is not None:
        leaked.rollback()
    assert leaked is None, "a test left a transaction bound to the thread"


def _observe(site: str, action: str) -> tuple[Any, VMTransaction | None]:
    """Run the site's template with ``action``; what the work saw (or the error text)."""
    seen: list[VMTransaction | None] = []
    config = TransactionConfig(kind="vm", action=action)
    try:
        SITES[site](config, lambda: seen.append(current_transaction()))
    except TransactionError as exc:
        return str(exc), None
    assert len(seen) == 1
    return "ran", seen[0]


@pytest.mark.parametrize("site", list(SITES))
@pytest.mark.parametrize("action", ACTIONS)
def test_action_without_a_current_transaction(site: str, action: str) -> None:
    outcome, inside = _observe(site, action)
    expected = WITHOUT[action]
    if expected not in ("new", None):
        assert outcome == expected
        return
    assert outcome == "ran"
    if expected == "new":
        assert inside is not None and inside.status is TransactionStatus.COMMITTED
    else:
        assert inside is None
    assert current_transaction() is None


@pytest.mark.parametrize("site", list(SITES))
@pytest.mark.parametrize("action", ACTIONS)
def test_action_with_a_current_transaction(site: str, action: str) -> None:
    outer = begin_transaction()
    outcome, inside = _observe(site, action)
    expected_inside, expected_outer = WITH[action]
    if expected_inside not in ("new", "outer", None):
        assert outcome == expected_inside
    else:
        assert outcome == "ran"
        if expected_inside == "outer":
            assert inside is outer
        elif expected_inside == "new":
            assert inside is not None and inside is not outer
            assert inside.status is TransactionStatus.COMMITTED
        else:
            assert inside is None
    if expected_outer == "active":
        assert outer.active and current_transaction() is outer
        outer.commit()
    else:
        assert outer.status is TransactionStatus.COMMITTED
        assert current_transaction() is None


def test_xa_outer_transaction_is_suspended_by_none_and_resumed() -> None:
    outer = begin_transaction(xa=True)
    outcome, inside = _observe("outbound endpoint", "NONE")
    assert outcome == "ran" and inside is None
    assert outer.active and current_transaction() is outer
    outer.rollback()


# ------------------------------------------------------------------ through applications

# Actions the XML allows on <vm:transaction> (T1); "INDIFFERENT" is no element at all.
XML_ACTIONS = [
    "ALWAYS_BEGIN",
    "BEGIN_OR_JOIN",
    "ALWAYS_JOIN",
    "JOIN_IF_POSSIBLE",
    "NONE",
    "NOT_SUPPORTED",
    "INDIFFERENT",
]
# Whether a dispatch made under the action survives the outer transaction's rollback.
SURVIVES_ROLLBACK = {
    "ALWAYS_BEGIN": True,  # the outer one is committed first, then its own commits
    "BEGIN_OR_JOIN": False,
    "ALWAYS_JOIN": False,
    "JOIN_IF_POSSIBLE": False,
    "NONE": True,  # the outer one is committed first
    "NOT_SUPPORTED": True,  # runs outside it
    "INDIFFERENT": False,
}


def _tx_element(action: str) -> str:
    return "" if action == "INDIFFERENT" else f'<vm:transaction action="{action}"/>'


def _slug(action: str) -> str:
    return action.lower().replace("_", "-")


def _outbound_app(folder: Path) -> Any:
    flows = []
    for action in XML_ACTIONS:
        s = _slug(action)
        out = f'<vm:outbound-endpoint path="out-{s}">{_tx_element(action)}</vm:outbound-endpoint>'
        flows.append(
            f"""
    <flow name="inTx-{s}">
        <vm:inbound-endpoint path="in-tx-{s}" exchange-pattern="request-response"/>
        <transactional>
            <vm:outbound-endpoint path="before-{s}"/>
            {out}
            <test:component throwException="true"/>
        </transactional>
    </flow>
    <flow name="noTx-{s}">
        <vm:inbound-endpoint path="no-tx-{s}" exchange-pattern="request-response"/>
        {out}
    </flow>"""
        )
    return write_app(folder, "".join(flows))


@pytest.fixture(scope="module")
def outbound_app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    app = _outbound_app(tmp_path_factory.mktemp("outbound"))
    with running(app):
        yield app


@pytest.mark.parametrize("action", XML_ACTIONS)
def test_outbound_endpoint_action_inside_a_rolled_back_transaction(
    outbound_app: Any, action: str
) -> None:
    s = _slug(action)
    reply = outbound_app.client.send(f"vm://in-tx-{s}", "m")
    assert reply is not None and reply.exception_payload is not None
    got = outbound_app.client.request(f"vm://out-{s}", 0.05)
    assert (got is not None) is SURVIVES_ROLLBACK[action]
    before = outbound_app.client.request(f"vm://before-{s}", 0.05)
    # ALWAYS_BEGIN and NONE commit the outer transaction before they run (T2).
    assert (before is not None) is (action in ("ALWAYS_BEGIN", "NONE"))


@pytest.mark.parametrize("action", XML_ACTIONS)
def test_outbound_endpoint_action_without_a_transaction(outbound_app: Any, action: str) -> None:
    s = _slug(action)
    reply = outbound_app.client.send(f"vm://no-tx-{s}", "m")
    got = outbound_app.client.request(f"vm://out-{s}", 0.5)
    if action == "ALWAYS_JOIN":
        assert reply is not None and reply.exception_payload is not None
        assert ALWAYS_JOIN_TEXT in str(reply.exception_payload.message)
        assert got is None
    else:
        assert reply is not None and reply.exception_payload is None
        assert got is not None and got.payload == "m"


def _inbound_app(folder: Path) -> Any:
    flows = []
    for action in XML_ACTIONS:
        s = _slug(action)
        flows.append(
            f"""
    <flow name="callee-{s}">
        <vm:inbound-endpoint path="callee-{s}" exchange-pattern="request-response">
            {_tx_element(action)}
        </vm:inbound-endpoint>
        <vm:outbound-endpoint path="callee-out-{s}"/>
    </flow>
    <flow name="caller-{s}">
        <vm:inbound-endpoint path="caller-{s}" exchange-pattern="request-response"/>
        <transactional>
            <vm:outbound-endpoint path="callee-{s}" exchange-pattern="request-response"/>
            <test:component throwException="true"/>
        </transactional>
    </flow>"""
        )
    return write_app(folder, "".join(flows))


@pytest.fixture(scope="module")
def inbound_app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    app = _inbound_app(tmp_path_factory.mktemp("inbound"))
    with running(app):
        yield app


@pytest.mark.parametrize("action", XML_ACTIONS)
def test_inbound_endpoint_action_called_inside_a_rolled_back_transaction(
    inbound_app: Any, action: str
) -> None:
    """T3: a request-response callee runs in the caller's thread; its inbound action
    decides whether its dispatch belongs to the caller's transaction."""
    s = _slug(action)
    reply = inbound_app.client.send(f"vm://caller-{s}", "m")
    assert reply is not None and reply.exception_payload is not None
    got = inbound_app.client.request(f"vm://callee-out-{s}", 0.05)
    assert (got is not None) is SURVIVES_ROLLBACK[action]


@pytest.mark.parametrize("action", XML_ACTIONS)
def test_inbound_endpoint_action_called_without_a_transaction(
    inbound_app: Any, action: str
) -> None:
    s = _slug(action)
    if action == "ALWAYS_JOIN":
        # The caller's send fails (S27: root cause IllegalTransactionStateException).
        with pytest.raises(TransactionError, match="Always Join"):
            inbound_app.client.send(f"vm://callee-{s}", "m")
        assert inbound_app.client.request(f"vm://callee-out-{s}", 0.05) is None
        return
    reply = inbound_app.client.send(f"vm://callee-{s}", "m")
    assert reply is not None and reply.exception_payload is None
    got = inbound_app.client.request(f"vm://callee-out-{s}", 0.5)
    assert got is not None and got.payload == "m"


@pytest.mark.parametrize(
    "element",
    [
        '<xa-transaction action="ALWAYS_BEGIN"/>',
        '<custom-transaction action="ALWAYS_BEGIN" '
        'factory-class="org.mule.transport.vm.VMTransactionFactory"/>',
    ],
)
def test_xa_and_custom_vm_transactions_cover_queue_operations(tmp_path: Path, element: str) -> None:
    """T1/T8: ``custom-transaction`` with the VM factory is a VM transaction and
    ``xa-transaction`` is emulated as one local transaction over the VM queues."""
    app = write_app(
        tmp_path,
        f"""
    <flow name="tx">
        <vm:inbound-endpoint path="in" exchange-pattern="request-response">
            {element}
        </vm:inbound-endpoint>
        <vm:outbound-endpoint path="out"/>
        <choice>
            <when expression="#[payload == 'fail']"><test:component throwException="true"/></when>
            <otherwise><logger/></otherwise>
        </choice>
    </flow>""",
    )
    with running(app):
        assert app.client.send("vm://in", "fail") is not None
        assert app.client.request("vm://out", 0.05) is None
        reply = app.client.send("vm://in", "ok")
        assert reply is not None and reply.exception_payload is None
        got = app.client.request("vm://out", 1)
        assert got is not None and got.payload == "ok"

"""What a request-response VM caller gets back when the flow or service it calls fails
(E-11, T7), for every kind of exception strategy, through applications of our own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _tx_helpers import running, write_app

from mule_emulator.runtime.message import NULL_PAYLOAD

STRATEGIES = {
    "none": "",
    "default": "<default-exception-strategy/>",
    "catch": '<catch-exception-strategy><set-payload value="caught"/></catch-exception-strategy>',
    "rollback": (
        '<rollback-exception-strategy><set-payload value="rolled back"/>'
        "</rollback-exception-strategy>"
    ),
    "exhausted": (
        '<rollback-exception-strategy maxRedeliveryAttempts="0">'
        '<set-payload value="rolled back"/>'
        '<on-redelivery-attempts-exceeded><set-payload value="exceeded"/>'
        "</on-redelivery-attempts-exceeded></rollback-exception-strategy>"
    ),
    "choice": (
        "<choice-exception-strategy>"
        '<catch-exception-strategy when="#[exception.causedBy(java.io.IOException)]">'
        '<set-payload value="io"/></catch-exception-strategy>'
        '<rollback-exception-strategy><set-payload value="chosen rollback"/>'
        "</rollback-exception-strategy></choice-exception-strategy>"
    ),
}

# (payload, exception payload present) of the reply; "exhausted" is the second send of
# the same payload (maxRedeliveryAttempts=0 allows one attempt, X5).
EXPECTED: dict[str, tuple[Any, bool]] = {
    "none": (NULL_PAYLOAD, True),
    "default": (NULL_PAYLOAD, True),
    "catch": ("caught", False),
    "rollback": ("rolled back", True),
    # Rollback never clears the exception payload, not even after the exceeded block
    # (TemplateMessagingExceptionStrategy clears it only for catch, @mule-3.9.0).
    "exhausted": ("exceeded", True),
    "choice": ("chosen rollback", True),
}


def _flows() -> str:
    return "".join(
        f"""
    <flow name="flow-{kind}">
        <vm:inbound-endpoint path="flow-{kind}" exchange-pattern="request-response"/>
        <test:component throwException="true"/>
        {strategy}
    </flow>"""
        for kind, strategy in STRATEGIES.items()
    )


def _services() -> str:
    services = "".join(
        f"""
        <service name="service-{kind}">
            <inbound>
                <vm:inbound-endpoint path="service-{kind}" exchange-pattern="request-response"/>
            </inbound>
            <test:component throwException="true"/>
            {strategy}
        </service>"""
        for kind, strategy in STRATEGIES.items()
    )
    return f'<model name="replies">{services}\n    </model>'


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    folder: Path = tmp_path_factory.mktemp("replies")
    built = write_app(folder, _flows() + _services())
    with running(built):
        yield built


@pytest.mark.parametrize("construct", ["flow", "service"])
@pytest.mark.parametrize("kind", list(STRATEGIES))
def test_request_response_caller_reply(app: Any, construct: str, kind: str) -> None:
    address = f"vm://{construct}-{kind}"
    reply = app.client.send(address, f"{construct} {kind}")
    if kind == "exhausted":
        assert reply is not None and reply.payload == "rolled back"
        assert reply.exception_payload is not None
        reply = app.client.send(address, f"{construct} {kind}")
    payload, has_exception = EXPECTED[kind]
    assert reply is not None
    assert reply.payload == payload
    assert (reply.exception_payload is not None) is has_exception
    if has_exception and kind not in ("exhausted",):
        assert "Functional Test Service Exception" in str(reply.exception_payload.message)

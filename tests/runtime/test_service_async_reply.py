"""A service's ``<async-reply>`` (S-1, S-3) on the request-reply machinery: the
outbound router's ``<reply-to>`` tells the receiving service where to answer."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mule_emulator import MessagingError, MuleApp

AppMaker = Callable[..., MuleApp]


def _front(
    router: str,
    timeout: str = "5000",
    fail: str = "true",
    back: str = "back",
    reply_router: str = "single-async-reply-router",
    second: str = "",
) -> str:
    return f"""
    <model name="m">
        <service name="front">
            <inbound>
                <vm:inbound-endpoint path="front" exchange-pattern="request-response"/>
            </inbound>
            <outbound>
                <{router}>
                    <vm:outbound-endpoint path="{back}" exchange-pattern="one-way"/>
                    {second}
                    <reply-to address="vm://replies"/>
                </{router}>
            </outbound>
            <async-reply timeout="{timeout}" failOnTimeout="{fail}">
                <vm:inbound-endpoint path="replies" exchange-pattern="one-way"/>
                <{reply_router}/>
            </async-reply>
        </service>
        <service name="back">
            <inbound>
                <vm:inbound-endpoint path="back" exchange-pattern="one-way"/>
            </inbound>
            <test:component appendString=" answered by back"/>
        </service>
        <service name="other">
            <inbound>
                <vm:inbound-endpoint path="other" exchange-pattern="one-way"/>
            </inbound>
            <test:component appendString=" answered by other"/>
        </service>
    </model>
"""


def test_the_caller_gets_the_asynchronous_reply(make_app: AppMaker) -> None:
    app = make_app(_front("pass-through-router"))
    reply = app.client.send("vm://front", "question")
    assert reply is not None and reply.payload == "question answered by back"
    assert app.flow_runs("back") == 1
    assert app.wait_until_idle(5)
    assert app.client.request("vm://replies", 0.05) is None


def test_concurrent_callers_each_get_their_own_reply(make_app: AppMaker) -> None:
    import threading

    app = make_app(_front("pass-through-router"))
    got: dict[str, object] = {}

    def ask(text: str) -> None:
        reply = app.client.send("vm://front", text)
        got[text] = None if reply is None else reply.payload

    threads = [threading.Thread(target=ask, args=(f"q{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert got == {f"q{i}": f"q{i} answered by back" for i in range(4)}


def test_no_reply_in_time_fails_or_answers_nothing(make_app: AppMaker) -> None:
    failing = make_app(_front("pass-through-router", timeout="10", back="nobody"))
    with pytest.raises(MessagingError, match="No response received within 10 ms"):
        _send_raising(failing)
    quiet = make_app(_front("pass-through-router", timeout="10", fail="false", back="nobody"))
    assert quiet.client.send("vm://front", "q") is None


def _send_raising(app: MuleApp) -> None:
    reply = app.client.send("vm://front", "q")
    assert reply is not None
    if reply.exception_payload is not None:
        raise reply.exception_payload.exception


def test_a_collection_router_waits_for_the_whole_group(make_app: AppMaker) -> None:
    app = make_app(
        _front(
            "multicasting-router",
            reply_router="collection-async-reply-router",
            second='<vm:outbound-endpoint path="other" exchange-pattern="one-way"/>',
        )
    )
    reply = app.client.send("vm://front", "q")
    assert reply is not None
    assert sorted(reply.payload) == ["q answered by back", "q answered by other"]

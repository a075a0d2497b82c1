"""``<composite-source>``: several inbound endpoints feeding one flow (F-1, F-8)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mule_emulator import ConfigError, MuleApp

AppMaker = Callable[..., MuleApp]

COMPOSITE = """
    <vm:connector name="first"/>
    <vm:connector name="second"/>
    <flow name="merged">
        <composite-source>
            <vm:inbound-endpoint path="a" connector-ref="first" exchange-pattern="one-way"/>
            <vm:inbound-endpoint path="b" connector-ref="second" exchange-pattern="one-way"/>
            <vm:inbound-endpoint path="c" connector-ref="second"
                                 exchange-pattern="request-response"/>
        </composite-source>
        <set-payload value="#[payload + ' via ' + message.inboundProperties.MULE_ENDPOINT]"/>
        <vm:outbound-endpoint path="out" connector-ref="second" exchange-pattern="one-way"/>
    </flow>
"""


def test_every_endpoint_of_a_composite_source_feeds_the_flow(make_app: AppMaker) -> None:
    app = make_app(COMPOSITE)
    app.client.dispatch("vm://a?connector=first", "one")
    got = app.client.request("vm://out?connector=second", 5)
    assert got is not None and got.payload == "one via vm://a"
    app.client.dispatch("vm://b?connector=second", "two")
    got = app.client.request("vm://out?connector=second", 5)
    assert got is not None and got.payload == "two via vm://b"
    reply = app.client.send("vm://c?connector=second", "three")
    assert reply is not None and reply.payload == "three via vm://c"
    assert app.flow_runs("merged") == 3


def test_each_one_way_endpoint_gets_its_own_receiver(make_app: AppMaker) -> None:
    app = make_app(COMPOSITE)
    assert sorted(r.queue.name for r in app.receivers) == ["a", "b"]
    assert [e.path for e in app.flows["merged"].sources] == ["a", "b", "c"]


def test_f8_applies_to_each_endpoint_of_a_composite_source(make_app: AppMaker) -> None:
    with pytest.raises(ConfigError, match="not compatible with an asynchronous"):
        make_app(
            COMPOSITE.replace('name="merged"', 'name="merged" processingStrategy="asynchronous"')
        )


def test_only_endpoints_inside_a_composite_source(make_app: AppMaker) -> None:
    with pytest.raises(ConfigError, match="composite-source"):
        make_app(
            """<flow name="f">
                <composite-source>
                    <vm:inbound-endpoint path="a"/>
                    <poll frequency="1000"><set-payload value="x"/></poll>
                </composite-source>
                <logger/>
            </flow>"""
        )

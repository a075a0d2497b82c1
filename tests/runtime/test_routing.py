"""Routers and scopes over small configs of our own: choice, first-successful,
round-robin, wire-tap, foreach, enricher, async, until-successful (P-13..P-21)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mule_emulator import ConfigError, MessagingError, MuleApp
from mule_emulator.runtime.classes import ClassMap

AppMaker = Callable[..., MuleApp]

FIXTURE = str(Path(__file__).parent / "breadth_fixture")


@pytest.fixture
def standins() -> Iterator[ClassMap]:
    cmap = ClassMap(
        {
            "com.example.Flaky": "breadth_standins:flaky",
            "com.example.AlwaysFails": "breadth_standins:always_fails",
        },
        search_path=FIXTURE,
    )
    cmap.resolve("com.example.Flaky")
    import breadth_standins  # type: ignore[import-not-found]

    breadth_standins.reset()
    yield cmap


# ----------------------------------------------------------------------------- choice

CHOICE = """
    <flow name="choose">
        <choice>
            <when expression="#[payload == 'a']"><set-payload value="first"/></when>
            <when expression="payload.startsWith('b')">
                <set-variable variableName="seen" value="b"/>
                <set-payload value="#['second:' + payload + ':' + flowVars.seen]"/>
            </when>
            <otherwise><set-payload value="other"/></otherwise>
        </choice>
        <set-payload value="#[payload + '!']"/>
    </flow>
    <flow name="strict">
        <choice>
            <when expression="#[payload == 'x']"><set-payload value="x"/></when>
            <when expression="#[null]"><set-payload value="null is false"/></when>
            <when expression="#['text']"><set-payload value="non-boolean is true"/></when>
        </choice>
    </flow>
    <flow name="none">
        <choice>
            <when expression="#[false]"><set-payload value="never"/></when>
        </choice>
    </flow>
"""


def test_choice_takes_the_first_accepting_branch_then_continues(make_app: AppMaker) -> None:
    app = make_app(CHOICE)
    assert _payload(app.run_flow("choose", "a")) == "first!"
    assert _payload(app.run_flow("choose", "bee")) == "second:bee:b!"
    assert _payload(app.run_flow("choose", "zzz")) == "other!"


def test_choice_reads_when_as_an_expression_filter(make_app: AppMaker) -> None:
    app = make_app(CHOICE)
    assert _payload(app.run_flow("strict", "x")) == "x"
    assert _payload(app.run_flow("strict", "y")) == "non-boolean is true"


def test_choice_without_a_matching_route_or_otherwise_fails(make_app: AppMaker) -> None:
    app = make_app(CHOICE)
    with pytest.raises(MessagingError, match="no route has been found"):
        app.run_flow("none", "x")


# ----------------------------------------------------------------------------- first-successful

FIRST_SUCCESSFUL = """
    <flow name="first">
        <first-successful>
            <test:component throwException="true"/>
            <set-payload value="#[payload + ' by second']"/>
            <set-payload value="never"/>
        </first-successful>
    </flow>
    <flow name="allFail">
        <first-successful>
            <test:component throwException="true"/>
            <test:component throwException="true" exceptionText="again"/>
        </first-successful>
    </flow>
    <flow name="byExpression">
        <first-successful failureExpression="#[payload == 'bad']">
            <set-payload value="bad"/>
            <set-payload value="good"/>
        </first-successful>
    </flow>
    <flow name="copies">
        <set-payload value="original"/>
        <first-successful>
            <processor-chain>
                <set-payload value="changed"/>
                <test:component throwException="true"/>
            </processor-chain>
            <set-payload value="#[payload + ' seen by route two']"/>
        </first-successful>
    </flow>
"""


def test_first_successful_returns_the_first_route_that_does_not_fail(make_app: AppMaker) -> None:
    app = make_app(FIRST_SUCCESSFUL)
    assert _payload(app.run_flow("first", "msg")) == "msg by second"
    assert _payload(app.run_flow("byExpression", "x")) == "good"


def test_first_successful_tries_each_route_on_a_copy(make_app: AppMaker) -> None:
    app = make_app(FIRST_SUCCESSFUL)
    assert _payload(app.run_flow("copies", "x")) == "original seen by route two"


def test_first_successful_fails_when_every_route_fails(make_app: AppMaker) -> None:
    app = make_app(FIRST_SUCCESSFUL)
    with pytest.raises(MessagingError, match="all message processor failed"):
        app.run_flow("allFail", "x")


# ----------------------------------------------------------------------------- round-robin

ROUND_ROBIN = """
    <flow name="rr">
        <round-robin>
            <set-payload value="route0"/>
            <set-payload value="route1"/>
            <set-payload value="route2"/>
        </round-robin>
    </flow>
    <flow name="rr2">
        <round-robin>
            <set-payload value="A"/>
            <set-payload value="B"/>
        </round-robin>
    </flow>
"""


def test_round_robin_starts_at_route_two_mod_n_then_rotates(make_app: AppMaker) -> None:
    app = make_app(ROUND_ROBIN)
    seen = [_payload(app.run_flow("rr", "x")) for _ in range(5)]
    assert seen == ["route2", "route0", "route1", "route2", "route0"]
    assert [_payload(app.run_flow("rr2", "x")) for _ in range(3)] == ["A", "B", "A"]


# ----------------------------------------------------------------------------- wire-tap

WIRE_TAP = """
    <flow name="tapped">
        <vm:inbound-endpoint path="tapped" exchange-pattern="request-response"/>
        <wire-tap>
            <processor-chain>
                <set-payload value="#['tap saw ' + payload]"/>
                <vm:outbound-endpoint path="tap" exchange-pattern="one-way"/>
            </processor-chain>
        </wire-tap>
        <set-payload value="#[payload + ' main']"/>
    </flow>
    <flow name="filtered">
        <vm:inbound-endpoint path="filtered" exchange-pattern="request-response"/>
        <wire-tap>
            <vm:outbound-endpoint path="tap2" exchange-pattern="one-way"/>
            <wildcard-filter pattern="keep*"/>
        </wire-tap>
    </flow>
"""


def test_wire_tap_sends_a_copy_and_the_original_continues(make_app: AppMaker) -> None:
    app = make_app(WIRE_TAP)
    reply = app.client.send("vm://tapped", "msg")
    assert reply is not None and reply.payload == "msg main"
    tapped = app.client.request("vm://tap", 5)
    assert tapped is not None and tapped.payload == "tap saw msg"


def test_wire_tap_filter_decides_what_is_tapped(make_app: AppMaker) -> None:
    app = make_app(WIRE_TAP)
    app.client.send("vm://filtered", "drop me")
    app.client.send("vm://filtered", "keep me")
    tapped = app.client.request("vm://tap2", 5)
    assert tapped is not None and tapped.payload == "keep me"
    assert app.client.request("vm://tap2", 0.2) is None


# ----------------------------------------------------------------------------- foreach

FOREACH = """
    <flow name="loop">
        <set-variable variableName="acc" value=""/>
        <foreach>
            <set-variable variableName="acc"
                value="#[flowVars.acc + payload + counter
                    + '(' + rootMessage.payload.size() + ')']"/>
            <set-payload value="thrown away"/>
        </foreach>
        <set-payload value="#[payload.size() + ' ' + flowVars.acc + ' ' + flowVars.counter]"/>
    </flow>
    <flow name="loopCollection">
        <set-variable variableName="acc" value=""/>
        <foreach collection="#[['x', 'y', 'z']]" counterVariableName="i" batchSize="2">
            <set-variable variableName="acc" value="#[flowVars.acc + payload + i + ';']"/>
        </foreach>
        <set-payload value="#[flowVars.acc]"/>
    </flow>
    <flow name="loopMap">
        <set-variable variableName="acc" value=""/>
        <foreach>
            <set-variable variableName="acc" value="#[flowVars.acc + key + '=' + payload + ';']"/>
        </foreach>
        <set-payload value="#[flowVars.acc]"/>
    </flow>
    <flow name="loopSingle">
        <foreach collection="#[payload]">
            <set-variable variableName="single" value="#[payload + counter]"/>
        </foreach>
        <set-payload value="#[flowVars.single]"/>
    </flow>
    <flow name="loopFails">
        <foreach>
            <test:component throwException="true"/>
        </foreach>
    </flow>
"""


def test_foreach_runs_per_element_and_returns_the_original_message(make_app: AppMaker) -> None:
    app = make_app(FOREACH)
    assert _payload(app.run_flow("loop", ["a", "b"])) == "2 a1(2)b2(2) null"


def test_foreach_collection_batches_and_counter_name(make_app: AppMaker) -> None:
    app = make_app(FOREACH)
    assert _payload(app.run_flow("loopCollection", "ignored")) == "[x, y]1;[z]2;"


def test_foreach_over_a_map_sets_key(make_app: AppMaker) -> None:
    app = make_app(FOREACH)
    assert _payload(app.run_flow("loopMap", {"k1": "v1", "k2": "v2"})) == "k1=v1;k2=v2;"


def test_foreach_over_a_single_value_runs_once(make_app: AppMaker) -> None:
    app = make_app(FOREACH)
    assert _payload(app.run_flow("loopSingle", "one")) == "one1"


def test_foreach_failure_propagates(make_app: AppMaker) -> None:
    app = make_app(FOREACH)
    with pytest.raises(MessagingError, match="Functional Test Service Exception"):
        app.run_flow("loopFails", ["a"])


# ----------------------------------------------------------------------------- enricher

ENRICHER = """
    <flow name="enrich">
        <set-variable variableName="before" value="kept"/>
        <enricher source="#[payload + '-enriched']" target="#[flowVars.result]">
            <processor-chain>
                <set-variable variableName="before" value="changed inside"/>
                <set-payload value="inner"/>
            </processor-chain>
        </enricher>
        <enricher>
            <set-payload value="for headers"/>
            <enrich source="#[payload]" target="#[message.outboundProperties.h]"/>
            <enrich source="#['s']" target="#[sessionVars.s]"/>
        </enricher>
        <set-payload value="#[payload + ' ' + flowVars.result + ' ' + flowVars.before + ' '
            + message.outboundProperties.h + ' ' + sessionVars.s]"/>
    </flow>
    <flow name="enrichPayload">
        <enricher><set-payload value="replaced"/></enricher>
    </flow>
"""


def test_enricher_writes_the_source_into_the_original(make_app: AppMaker) -> None:
    app = make_app(ENRICHER)
    result = _payload(app.run_flow("enrich", "body"))
    assert result == "body inner-enriched kept for headers s"
    assert _payload(app.run_flow("enrichPayload", "x")) == "replaced"


def test_enricher_rejects_an_unknown_target(make_app: AppMaker) -> None:
    with pytest.raises(ConfigError, match="enricher target"):
        make_app(
            """<flow name="f"><enricher target="#[foo.bar()]"><set-payload value="x"/>
            </enricher></flow>"""
        )


# ----------------------------------------------------------------------------- async

ASYNC = """
    <flow name="withAsync">
        <vm:inbound-endpoint path="in" exchange-pattern="request-response"/>
        <set-variable variableName="v" value="main"/>
        <async>
            <set-variable variableName="v" value="async"/>
            <set-payload value="#[payload + ' async ' + flowVars.v]"/>
            <vm:outbound-endpoint path="asyncOut" exchange-pattern="one-way"/>
        </async>
        <set-payload value="#[payload + ' main ' + flowVars.v]"/>
    </flow>
    <flow name="asyncFails">
        <vm:inbound-endpoint path="failing" exchange-pattern="request-response"/>
        <async>
            <test:component throwException="true"/>
        </async>
        <set-payload value="caller unaffected"/>
        <catch-exception-strategy>
            <vm:outbound-endpoint path="caught" exchange-pattern="one-way"/>
        </catch-exception-strategy>
    </flow>
"""


def test_async_runs_a_copy_and_the_caller_continues(make_app: AppMaker) -> None:
    app = make_app(ASYNC)
    reply = app.client.send("vm://in", "m")
    assert reply is not None and reply.payload == "m main main"
    other = app.client.request("vm://asyncOut", 5)
    assert other is not None and other.payload == "m async async"


def test_async_failure_goes_to_the_flow_exception_strategy(make_app: AppMaker) -> None:
    app = make_app(ASYNC)
    reply = app.client.send("vm://failing", "m")
    assert reply is not None and reply.payload == "caller unaffected"
    caught = app.client.request("vm://caught", 5)
    assert caught is not None


# ----------------------------------------------------------------------------- until-successful

UNTIL = """
    <spring:beans>
        <spring:bean id="store" class="org.mule.util.store.SimpleMemoryObjectStore"/>
    </spring:beans>
    <flow name="sync">
        <set-variable variableName="failures" value="#[2]"/>
        <until-successful maxRetries="3" millisBetweenRetries="10" synchronous="true">
            <component class="com.example.Flaky"/>
        </until-successful>
    </flow>
    <flow name="syncExhausted">
        <until-successful maxRetries="1" millisBetweenRetries="10" synchronous="true">
            <component class="com.example.AlwaysFails"/>
        </until-successful>
    </flow>
    <flow name="async">
        <vm:inbound-endpoint path="retry" exchange-pattern="one-way"/>
        <set-variable variableName="failures" value="#[1]"/>
        <until-successful objectStore-ref="store" maxRetries="2" millisBetweenRetries="10"
                          deadLetterQueue-ref="dlq">
            <processor-chain>
                <component class="com.example.Flaky"/>
                <set-payload value="#[payload + ' attempt ' + flowVars['process.attempt.count']]"/>
                <vm:outbound-endpoint path="retried" exchange-pattern="one-way"/>
            </processor-chain>
        </until-successful>
    </flow>
    <flow name="asyncDead">
        <vm:inbound-endpoint path="dead" exchange-pattern="one-way"/>
        <until-successful objectStore-ref="store" maxRetries="1" millisBetweenRetries="10"
                          deadLetterQueue-ref="dlq">
            <component class="com.example.AlwaysFails"/>
        </until-successful>
    </flow>
    <vm:endpoint name="dlq" path="dlq" exchange-pattern="one-way"/>
"""


def test_until_successful_synchronous_retries_in_the_caller(
    make_app: AppMaker, standins: ClassMap
) -> None:
    app = make_app(UNTIL, class_map=standins)
    assert _payload(app.run_flow("sync", "s")) == "s ok after 3"
    with pytest.raises(MessagingError, match="retries exhausted"):
        app.run_flow("syncExhausted", "t")


def test_until_successful_asynchronous_retries_on_its_pool(
    make_app: AppMaker, standins: ClassMap
) -> None:
    app = make_app(UNTIL, class_map=standins)
    app.client.dispatch("vm://retry", "r")
    done = app.client.request("vm://retried", 5)
    assert done is not None and done.payload == "r ok after 2 attempt 2"


def test_until_successful_exhausted_goes_to_the_dead_letter_queue(
    make_app: AppMaker, standins: ClassMap
) -> None:
    app = make_app(UNTIL, class_map=standins)
    app.client.dispatch("vm://dead", "d")
    dead = app.client.request("vm://dlq", 5)
    assert dead is not None and dead.payload == "d"


def test_until_successful_asynchronous_needs_an_object_store(make_app: AppMaker) -> None:
    with pytest.raises(ConfigError, match="ListableObjectStore"):
        make_app(
            """<flow name="f"><until-successful><set-payload value="x"/>
            </until-successful></flow>"""
        )


def _payload(message: object) -> object:
    assert message is not None
    return getattr(message, "payload")  # noqa: B009


# ----------------------------------------------------------------------------- scatter-gather

SCATTER = """
    <flow name="scatter">
        <set-variable variableName="v" value="caller"/>
        <scatter-gather>
            <set-payload value="#[payload + ' one']"/>
            <processor-chain>
                <set-variable variableName="v" value="route two"/>
                <set-payload value="#[payload + ' two']"/>
            </processor-chain>
            <vm:outbound-endpoint path="sgOut" exchange-pattern="one-way"/>
        </scatter-gather>
        <set-payload value="#[payload.toString() + ' ' + flowVars.v]"/>
    </flow>
    <flow name="scatterFails">
        <scatter-gather>
            <set-payload value="fine"/>
            <test:component throwException="true"/>
        </scatter-gather>
    </flow>
    <flow name="scatterTimeout">
        <scatter-gather timeout="50">
            <set-payload value="fast"/>
            <test:component waitTime="500"/>
        </scatter-gather>
    </flow>
"""


def test_scatter_gather_collects_every_route_on_copies(make_app: AppMaker) -> None:
    app = make_app(SCATTER)
    assert _payload(app.run_flow("scatter", "p")) == "[p one, p two] caller"
    sent = app.client.request("vm://sgOut", 5)
    assert sent is not None and sent.payload == "p"


def test_scatter_gather_failures_and_timeout(make_app: AppMaker) -> None:
    app = make_app(SCATTER)
    with pytest.raises(MessagingError, match=r"route\(s\): 1: Functional Test Service"):
        app.run_flow("scatterFails", "p")
    with pytest.raises(MessagingError, match="timed out after 50 ms"):
        app.run_flow("scatterTimeout", "p")

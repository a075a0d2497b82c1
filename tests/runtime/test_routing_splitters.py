"""Splitters and aggregators (P-19): the rest of the chain per part, correlation,
aggregation in the same flow and behind a VM hop, timeouts, chunking."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from mule_emulator import MessagingError, MuleApp

AppMaker = Callable[..., MuleApp]

SPLIT = """
    <flow name="perPart">
        <collection-splitter/>
        <set-payload value="#[payload + ':' + message.correlationSequence + '/'
            + message.correlationGroupSize]"/>
    </flow>
    <flow name="splitFilter">
        <collection-splitter/>
        <wildcard-filter pattern="k*"/>
        <set-payload value="#[payload.toUpperCase()]"/>
    </flow>
    <flow name="splitAggregate">
        <set-property propertyName="origin" value="kept"/>
        <collection-splitter/>
        <set-payload value="#[payload + message.outboundProperties.origin]"/>
        <collection-aggregator/>
    </flow>
    <flow name="byExpression">
        <splitter expression="#[payload.split(',')]"/>
        <set-payload value="#['&lt;' + payload + '&gt;']"/>
        <collection-aggregator/>
    </flow>
    <flow name="mapSplit">
        <splitter expression="#[payload]"/>
        <set-payload value="#[key + '=' + payload]"/>
        <collection-aggregator/>
    </flow>
    <flow name="notACollection">
        <collection-splitter/>
    </flow>
    <flow name="empty">
        <set-payload value="#[[]]"/>
        <collection-splitter/>
        <set-payload value="never"/>
    </flow>
"""


def test_collection_splitter_runs_the_rest_per_part_with_correlation(make_app: AppMaker) -> None:
    app = make_app(SPLIT)
    result = app.run_flow("perPart", ["a", "b", "c"])
    assert result is not None and result.payload == ["a:1/3", "b:2/3", "c:3/3"]


def test_split_filter_keeps_only_accepted_parts(make_app: AppMaker) -> None:
    app = make_app(SPLIT)
    one = app.run_flow("splitFilter", ["keep", "drop"])
    assert one is not None and one.payload == "KEEP"
    assert app.run_flow("splitFilter", ["x", "y"]) is None


def test_split_and_aggregate_in_one_flow(make_app: AppMaker) -> None:
    app = make_app(SPLIT)
    result = app.run_flow("splitAggregate", ["a", "b"])
    assert result is not None and result.payload == ["akept", "bkept"]


def test_expression_splitter_and_map_entries(make_app: AppMaker) -> None:
    app = make_app(SPLIT)
    result = app.run_flow("byExpression", "x,y,z")
    assert result is not None and result.payload == ["<x>", "<y>", "<z>"]
    mapped = app.run_flow("mapSplit", {"k": "v", "l": "w"})
    assert mapped is not None and mapped.payload == ["k=v", "l=w"]


def test_collection_splitter_refuses_a_non_collection(make_app: AppMaker) -> None:
    app = make_app(SPLIT)
    with pytest.raises(MessagingError, match="not of the correct type"):
        app.run_flow("notACollection", "text")


def test_empty_split_returns_void_and_the_flow_goes_on_with_its_copy(make_app: AppMaker) -> None:
    app = make_app(SPLIT)
    result = app.run_flow("empty", "x")
    assert result is not None and result.payload == []


ACROSS_VM = """
    <flow name="splitter">
        <vm:inbound-endpoint path="split" exchange-pattern="one-way"/>
        <collection-splitter/>
        <vm:outbound-endpoint path="parts" exchange-pattern="one-way"/>
    </flow>
    <flow name="aggregator" processingStrategy="synchronous">
        <vm:inbound-endpoint path="parts" exchange-pattern="one-way"/>
        <collection-aggregator/>
        <vm:outbound-endpoint path="whole" exchange-pattern="one-way"/>
    </flow>
    <flow name="timedAggregator" processingStrategy="synchronous">
        <vm:inbound-endpoint path="timed" exchange-pattern="one-way"/>
        <collection-aggregator timeout="100" failOnTimeout="false"/>
        <vm:outbound-endpoint path="partial" exchange-pattern="one-way"/>
    </flow>
    <flow name="failingTimeout" processingStrategy="synchronous">
        <vm:inbound-endpoint path="strictTimed" exchange-pattern="one-way"/>
        <collection-aggregator timeout="100"/>
        <vm:outbound-endpoint path="strictOut" exchange-pattern="one-way"/>
    </flow>
"""


def test_parts_travel_a_vm_hop_and_are_aggregated(make_app: AppMaker) -> None:
    app = make_app(ACROSS_VM)
    app.client.dispatch("vm://split", ["1", "2", "3"])
    whole = app.client.request("vm://whole", 5)
    assert whole is not None
    assert sorted(whole.payload) == ["1", "2", "3"]
    assert app.client.request("vm://whole", 0.1) is None


def _part(seq: int, size: int, group: str) -> dict[str, object]:
    return {
        "MULE_CORRELATION_ID": group,
        "MULE_CORRELATION_GROUP_SIZE": size,
        "MULE_CORRELATION_SEQUENCE": seq,
    }


def test_aggregator_timeout_without_fail_sends_the_partial_group(make_app: AppMaker) -> None:
    app = make_app(ACROSS_VM)
    app.client.dispatch("vm://timed", "p1", _part(1, 3, "g1"))
    app.client.dispatch("vm://timed", "p2", _part(2, 3, "g1"))
    partial = app.client.request("vm://partial", 5)
    assert partial is not None and sorted(partial.payload) == ["p1", "p2"]
    # a late part of an expired group is dropped
    app.client.dispatch("vm://timed", "p3", _part(3, 3, "g1"))
    assert app.client.request("vm://partial", 0.3) is None


def test_aggregator_timeout_with_fail_discards_the_group(make_app: AppMaker) -> None:
    app = make_app(ACROSS_VM)
    app.client.dispatch("vm://strictTimed", "p1", _part(1, 2, "g2"))
    assert app.wait_until_idle(5)
    threading.Event().wait(0.5)  # the group's 100 ms timeout passes (time is the subject)
    app.client.dispatch("vm://strictTimed", "p2", _part(2, 2, "g2"))
    assert app.wait_until_idle(5)
    # the group expired and was discarded, so its last part completes nothing
    assert app.client.request("vm://strictOut", 0.2) is None
    app.client.dispatch("vm://strictTimed", "q1", _part(1, 2, "g3"))
    app.client.dispatch("vm://strictTimed", "q2", _part(2, 2, "g3"))
    complete = app.client.request("vm://strictOut", 5)
    assert complete is not None and sorted(complete.payload) == ["q1", "q2"]


CHUNKS = """
    <flow name="chunks">
        <message-chunk-splitter messageSize="4"/>
        <message-chunk-aggregator/>
        <byte-array-to-string-transformer/>
    </flow>
"""


def test_chunk_splitter_and_aggregator_round_trip(make_app: AppMaker) -> None:
    app = make_app(CHUNKS)
    result = app.run_flow("chunks", "0123456789")
    assert result is not None and result.payload == "0123456789"


RESEQUENCE = """
    <flow name="reorder" processingStrategy="synchronous">
        <vm:inbound-endpoint path="unordered" exchange-pattern="one-way"/>
        <resequencer/>
        <vm:outbound-endpoint path="ordered" exchange-pattern="one-way"/>
    </flow>
"""


def test_resequencer_releases_a_group_in_sequence_order(make_app: AppMaker) -> None:
    app = make_app(RESEQUENCE)
    for seq in (3, 1, 2):
        app.client.dispatch("vm://unordered", f"m{seq}", _part(seq, 3, "r1"))
        assert app.wait_until_idle(5)
    out = [app.client.request("vm://ordered", 5) for _ in range(3)]
    assert [m.payload if m else None for m in out] == ["m1", "m2", "m3"]

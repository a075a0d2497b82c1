"""evaluation.py: expressions compiled with their place; EL-7 booleans in filters and whens."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mule_emulator import ConfigError, MuleApp

AppMaker = Callable[..., MuleApp]


def test_a_bad_expression_stops_the_start_with_file_and_line(make_app: AppMaker) -> None:
    with pytest.raises(ConfigError) as info:
        make_app(
            """<flow name="f">
        <set-payload value="#[payload +* 2]"/>
    </flow>"""
        )
    location = info.value.location
    assert location.file.endswith("app0.xml")
    assert location.line == 7  # the set-payload element, counted from the file's header
    assert f"app0.xml:{location.line}" in str(info.value)


def test_a_bad_when_of_an_exception_strategy_names_its_line(make_app: AppMaker) -> None:
    with pytest.raises(ConfigError) as info:
        make_app(
            """<flow name="f">
        <logger/>
        <choice-exception-strategy>
            <catch-exception-strategy when="#[exception.(]"/>
        </choice-exception-strategy>
    </flow>"""
        )
    assert info.value.location.line == 9


MISSING_HEADER = """
    <flow name="filtered" processingStrategy="synchronous">
        <expression-filter expression="#[header:INBOUND:missing]"/>
        <set-payload value="passed"/>
    </flow>
    <flow name="lenient" processingStrategy="synchronous">
        <expression-filter expression="#[header:INBOUND:missing]" nullReturnsTrue="true"/>
        <set-payload value="passed"/>
    </flow>
    <flow name="non-boolean" processingStrategy="synchronous">
        <expression-filter expression="#[payload]"/>
        <set-payload value="passed"/>
    </flow>
    <flow name="routed" processingStrategy="synchronous">
        <choice>
            <when expression="#[header:INBOUND:missing]"><set-payload value="when"/></when>
            <otherwise><set-payload value="otherwise"/></otherwise>
        </choice>
    </flow>
"""


def test_a_missing_required_header_is_the_filters_default(make_app: AppMaker) -> None:
    app = make_app(MISSING_HEADER)
    assert app.run_flow("filtered", "in") is None  # rejected, no failure
    lenient = app.run_flow("lenient", "in")
    assert lenient is not None and lenient.payload == "passed"
    present = app.run_flow("filtered", "in", {"missing": "true"})
    assert present is not None and present.payload == "passed"


def test_a_non_boolean_value_is_the_negation_of_null_returns_true(make_app: AppMaker) -> None:
    app = make_app(MISSING_HEADER)
    accepted = app.run_flow("non-boolean", "some text")
    assert accepted is not None and accepted.payload == "passed"


def test_a_missing_required_header_in_a_when_is_false(make_app: AppMaker) -> None:
    app = make_app(MISSING_HEADER)
    routed = app.run_flow("routed", "in")
    assert routed is not None and routed.payload == "otherwise"

"""Built-in emulations of Mule's Java classes, named by class in configs."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mule_emulator import MessagingError, MuleApp
from mule_emulator.runtime.classes import ClassMap, builtin_names
from mule_emulator.runtime.processors.builtins import BUILTINS, JavaObject

AppMaker = Callable[..., MuleApp]

CLASSES = """
    <custom-transformer name="suffix" class="org.mule.transformer.simple.StringAppendTransformer">
        <spring:property name="message" value=" appended"/>
    </custom-transformer>
    <flow name="append">
        <transformer ref="suffix"/>
    </flow>
    <flow name="toArray">
        <custom-transformer class="org.mule.transformer.simple.StringToObjectArray"/>
    </flow>
    <flow name="echo">
        <component class="org.mule.component.simple.EchoComponent"/>
    </flow>
    <flow name="null">
        <component class="org.mule.component.simple.NullComponent"/>
    </flow>
    <flow name="regex">
        <custom-filter class="org.mule.routing.filters.RegExFilter">
            <spring:property name="pattern" value="^[aeiou]+$"/>
        </custom-filter>
        <set-payload value="vowels"/>
    </flow>
    <flow name="expressionFilter">
        <custom-filter class="org.mule.routing.filters.ExpressionFilter">
            <spring:property name="expression" value="#[payload == 'yes']"/>
        </custom-filter>
        <set-payload value="accepted"/>
    </flow>
    <flow name="payloadType">
        <custom-filter class="org.mule.routing.filters.PayloadTypeFilter">
            <spring:property name="expectedType" value="java.lang.String"/>
        </custom-filter>
        <set-payload value="a string"/>
    </flow>
"""


def test_string_append_transformer_with_spring_property(make_app: AppMaker) -> None:
    app = make_app(CLASSES)
    assert _payload(app.run_flow("append", "text")) == "text appended"
    assert _payload(app.run_flow("append", b"bytes")) == "bytes appended"


def test_string_to_object_array_splits_on_spaces(make_app: AppMaker) -> None:
    app = make_app(CLASSES)
    assert _payload(app.run_flow("toArray", " a  b c ")) == ["a", "b", "c"]


def test_simple_components(make_app: AppMaker) -> None:
    app = make_app(CLASSES)
    assert _payload(app.run_flow("echo", "same")) == "same"
    static = BUILTINS["org.mule.component.simple.StaticComponent"]({"data": "d", "prefix": "<"})
    assert static(object()) == "<d"
    with pytest.raises(MessagingError, match="cannot receive messages"):
        app.run_flow("null", "x")


def test_filters_by_class(make_app: AppMaker) -> None:
    app = make_app(CLASSES)
    assert _payload(app.run_flow("regex", "aei")) == "vowels"
    assert app.run_flow("regex", "xyz") is None
    assert _payload(app.run_flow("expressionFilter", "yes")) == "accepted"
    assert app.run_flow("expressionFilter", "no") is None
    assert _payload(app.run_flow("payloadType", "s")) == "a string"
    assert app.run_flow("payloadType", 5) is None


def test_every_builtin_is_registered_and_builds() -> None:
    names = builtin_names()
    for name, factory in BUILTINS.items():
        assert name in names
        props = {"pattern": "x", "expression": "#[true]", "message": "m", "data": "d"}
        obj = factory(props)
        assert callable(obj) or isinstance(obj, JavaObject), name


def test_markers_are_mapped_for_the_class_check() -> None:
    cmap = ClassMap()
    for name in (
        "org.mule.transport.vm.VMTransactionFactory",
        "org.mule.session.SerializeAndEncodeSessionHandler",
        "org.mule.util.store.SimpleMemoryObjectStore",
    ):
        assert cmap.is_mapped(name)


def test_a_user_standin_replaces_a_builtin(tmp_path: object) -> None:
    import pathlib

    folder = pathlib.Path(str(tmp_path))
    (folder / "mine.py").write_text("def shout(m):\n    return str(m.payload).upper()\n")
    cmap = ClassMap(
        {"org.mule.transformer.simple.StringAppendTransformer": "mine:shout"},
        search_path=str(folder),
    )
    fn = cmap.message_callable("org.mule.transformer.simple.StringAppendTransformer")

    class Msg:
        payload = "hi"

    assert fn(Msg()) == "HI"


def test_an_unknown_class_stops_the_start_naming_it(make_app: AppMaker) -> None:
    from mule_emulator import UnsupportedError

    with pytest.raises(UnsupportedError, match=r"com\.example\.Nowhere") as info:
        make_app('<flow name="f"><component class="com.example.Nowhere"/></flow>')
    assert "--class" in str(info.value)


def _payload(message: object) -> object:
    assert message is not None
    return getattr(message, "payload")  # noqa: B009


def test_object_factory_properties_reach_the_class(make_app: Callable[..., MuleApp]) -> None:
    """Core ``<property key value>`` and ``<properties><spring:entry>`` children of a
    component's singleton-/prototype-object configure the class (StaticComponent data)."""
    app = make_app(
        """<flow name="single" processingStrategy="synchronous">
            <component>
                <singleton-object class="org.mule.component.simple.StaticComponent">
                    <property key="data" value="canned"/>
                    <property key="prefix" value="["/>
                </singleton-object>
            </component>
        </flow>
        <flow name="proto" processingStrategy="synchronous">
            <component>
                <prototype-object class="org.mule.component.simple.StaticComponent">
                    <properties>
                        <spring:entry key="data" value="entry"/>
                        <spring:entry key="postfix" value="]"/>
                    </properties>
                </prototype-object>
            </component>
        </flow>"""
    )
    single = app.run_flow("single", "ignored")
    proto = app.run_flow("proto", "ignored")
    assert single is not None and single.payload == "[canned"
    assert proto is not None and proto.payload == "entry]"

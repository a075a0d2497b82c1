"""Transformers (P-6, P-8, P-22): message-properties-transformer, expression-transformer,
the string/byte/serialisation family with the common attributes, expression-component."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mule_emulator import MessagingError, MuleApp
from mule_emulator.runtime.processors.conversions import (
    byte_array_to_object,
    object_to_byte_array,
    object_to_string,
    safe_loads,
    serialize,
)

AppMaker = Callable[..., MuleApp]

PROPERTIES = """
    <flow name="props">
        <set-property propertyName="old" value="1"/>
        <set-property propertyName="X-Drop-Me" value="2"/>
        <set-property propertyName="X-Drop-Too" value="3"/>
        <set-property propertyName="keep" value="original"/>
        <message-properties-transformer overwrite="false">
            <delete-message-property key="X-Drop.*"/>
            <add-message-property key="keep" value="not written"/>
            <add-message-property key="added" value="#[payload + '!']"/>
            <add-message-property key="skipped" value="#[null]"/>
            <add-message-property key="literal" value="plain"/>
            <rename-message-property key="old" value="new"/>
        </message-properties-transformer>
        <set-payload value="#[message.outboundProperties.keep + ' '
            + message.outboundProperties.added + ' ' + message.outboundProperties.literal
            + ' ' + message.outboundProperties.new + ' '
            + message.outboundProperties.old + ' ' + message.outboundProperties['X-Drop-Me'] + ' '
            + message.outboundProperties.containsKey('skipped')]"/>
    </flow>
    <flow name="scoped">
        <set-variable variableName="v" value="before"/>
        <message-properties-transformer scope="invocation">
            <add-message-property key="v" value="after"/>
            <add-message-properties>
                <spring:entry key="m1" value="one"/>
            </add-message-properties>
        </message-properties-transformer>
        <message-properties-transformer scope="session">
            <add-message-property key="s" value="#[flowVars.v]"/>
        </message-properties-transformer>
        <set-payload value="#[flowVars.v + ' ' + flowVars.m1 + ' ' + sessionVars.s]"/>
    </flow>
"""


def test_message_properties_transformer_delete_add_rename(make_app: AppMaker) -> None:
    app = make_app(PROPERTIES)
    result = app.run_flow("props", "p")
    assert result is not None
    assert result.payload == "original p! plain 1 null null false"


def test_message_properties_transformer_scopes(make_app: AppMaker) -> None:
    app = make_app(PROPERTIES)
    result = app.run_flow("scoped", "p")
    assert result is not None and result.payload == "after one after"


EXPRESSIONS = """
    <flow name="expr">
        <expression-transformer expression="#[payload.toUpperCase()]"/>
    </flow>
    <flow name="legacy">
        <expression-transformer evaluator="header" expression="INBOUND:h"/>
    </flow>
    <flow name="arguments">
        <expression-transformer>
            <return-argument expression="#[payload]"/>
            <return-argument expression="#[null]" optional="true"/>
        </expression-transformer>
    </flow>
    <flow name="nullResult">
        <expression-transformer expression="#[null]"/>
    </flow>
    <flow name="sourceIfNull">
        <expression-transformer expression="#[null]" returnSourceIfNull="true"/>
    </flow>
    <flow name="component">
        <expression-component>
            payload = payload + ' changed';
            flowVars.x = 'set';
        </expression-component>
        <set-payload value="#[payload + ' ' + flowVars.x]"/>
    </flow>
"""


def test_expression_transformer_forms(make_app: AppMaker) -> None:
    app = make_app(EXPRESSIONS)
    assert _payload(app.run_flow("expr", "abc")) == "ABC"
    assert _payload(app.run_flow("legacy", "x", {"h": "from header"})) == "from header"
    assert _payload(app.run_flow("arguments", "a")) == ["a", None]
    assert _payload(app.run_flow("sourceIfNull", "kept")) == "kept"
    with pytest.raises(MessagingError, match="evaluated to null"):
        app.run_flow("nullResult", "x")


def test_expression_component_side_effects(make_app: AppMaker) -> None:
    app = make_app(EXPRESSIONS)
    assert _payload(app.run_flow("component", "p")) == "p changed set"


BYTES = """
    <flow name="toBytes">
        <string-to-byte-array-transformer/>
    </flow>
    <flow name="roundTrip">
        <object-to-byte-array-transformer/>
        <byte-array-to-object-transformer/>
    </flow>
    <flow name="serial">
        <serializable-to-byte-array-transformer/>
        <byte-array-to-serializable-transformer/>
    </flow>
    <flow name="latin">
        <string-to-byte-array-transformer encoding="ISO-8859-1"/>
    </flow>
    <flow name="strict">
        <byte-array-to-serializable-transformer/>
    </flow>
    <flow name="lenient">
        <byte-array-to-serializable-transformer ignoreBadInput="true" mimeType="text/plain"/>
    </flow>
    <flow name="typed">
        <object-to-string-transformer returnClass="java.lang.Integer"/>
    </flow>
    <flow name="toText">
        <object-to-string-transformer/>
    </flow>
"""


def test_string_byte_transformers(make_app: AppMaker) -> None:
    app = make_app(BYTES)
    assert _payload(app.run_flow("toBytes", "héllo")) == "héllo".encode()
    assert _payload(app.run_flow("latin", "é")) == b"\xe9"
    assert _payload(app.run_flow("roundTrip", "text")) == "text"
    assert _payload(app.run_flow("roundTrip", [1, "two"])) == [1, "two"]
    assert _payload(app.run_flow("serial", {"k": [1, 2]})) == {"k": [1, 2]}
    assert _payload(app.run_flow("toText", [1, "a", True])) == "[1, a, true]"
    assert _payload(app.run_flow("toText", b"bytes")) == "bytes"


def test_bad_input_and_return_class(make_app: AppMaker) -> None:
    app = make_app(BYTES)
    with pytest.raises(MessagingError, match="does not support the source type"):
        app.run_flow("strict", "a string")
    lenient = app.run_flow("lenient", "a string")
    assert lenient is not None and lenient.payload == "a string"
    with pytest.raises(MessagingError, match="expected return type"):
        app.run_flow("typed", "x")


CODECS = """
    <flow name="base64">
        <base64-encoder-transformer/>
        <set-variable variableName="encoded" value="#[payload]"/>
        <base64-decoder-transformer/>
        <byte-array-to-string-transformer/>
        <set-payload value="#[flowVars.encoded + ' ' + payload]"/>
    </flow>
    <flow name="gzip">
        <gzip-compress-transformer/>
        <gzip-uncompress-transformer/>
        <byte-array-to-string-transformer/>
    </flow>
    <flow name="hex">
        <string-to-byte-array-transformer/>
        <byte-array-to-hex-string-transformer/>
        <set-variable variableName="hex" value="#[payload]"/>
        <hex-string-to-byte-array-transformer/>
        <byte-array-to-string-transformer/>
        <set-payload value="#[flowVars.hex + ' ' + payload]"/>
    </flow>
    <flow name="attachments">
        <set-attachment attachmentName="a1" value="#[payload]" contentType="text/plain"/>
        <set-attachment attachmentName="a2" value="two" contentType="text/plain"/>
        <remove-attachment attachmentName="a2"/>
        <vm:outbound-endpoint path="withAttachments" exchange-pattern="one-way"/>
    </flow>
    <flow name="components">
        <static-component><return-data>static text</return-data></static-component>
        <log-component/>
    </flow>
    <flow name="refuses">
        <null-component/>
    </flow>
"""


def test_codec_transformers_round_trip(make_app: AppMaker) -> None:
    app = make_app(CODECS)
    assert _payload(app.run_flow("base64", "hi")) == "aGk= hi"
    assert _payload(app.run_flow("gzip", "zip me")) == "zip me"
    assert _payload(app.run_flow("hex", "AB")) == "4142 AB"


def test_attachments_travel_as_outbound_attachments(make_app: AppMaker) -> None:
    app = make_app(CODECS)
    app.run_flow("attachments", "content")
    received = app.client.request("vm://withAttachments", 5)
    assert received is not None
    assert received.inbound_attachments == {"a1": ("content", "text/plain")}


def test_simple_component_elements(make_app: AppMaker) -> None:
    app = make_app(CODECS)
    assert _payload(app.run_flow("components", "ignored")) == "static text"
    with pytest.raises(MessagingError, match="cannot receive messages"):
        app.run_flow("refuses", "x")


def test_conversions_directly() -> None:
    assert object_to_string(b"\xc3\xa9", "utf-8") == "é"
    assert object_to_byte_array("é", "utf-8") == b"\xc3\xa9"
    assert byte_array_to_object(b"plain", "utf-8") == "plain"
    assert safe_loads(serialize({"a": (1, 2)})) == {"a": (1, 2)}


def test_deserialisation_refuses_arbitrary_classes() -> None:
    import pickle

    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (print, ("should never run",))

    with pytest.raises(pickle.UnpicklingError):
        safe_loads(pickle.dumps(Evil()))
    # ByteArrayToObject falls back to text rather than running code
    assert isinstance(byte_array_to_object(pickle.dumps(Evil()), "utf-8"), str)


def _payload(message: object) -> object:
    assert message is not None
    return getattr(message, "payload")  # noqa: B009

"""Placeholders: Java .properties syntax and ${...} resolution from every source."""

from __future__ import annotations

from pathlib import Path

import pytest

from mule_emulator.errors import ConfigError, SourceLocation
from mule_emulator.model import load_app_config, parse_properties
from mule_emulator.model.placeholders import PlaceholderResolver

NS = (
    'xmlns="http://www.mulesoft.org/schema/mule/core" '
    'xmlns:vm="http://www.mulesoft.org/schema/mule/vm" '
    'xmlns:test="http://www.mulesoft.org/schema/mule/test" '
    'xmlns:spring="http://www.springframework.org/schema/beans" '
    'xmlns:context="http://www.springframework.org/schema/context"'
)


def write_app(folder: Path, body: str, name: str = "app.xml") -> Path:
    path = folder / name
    path.write_text(f"<mule {NS}>\n{body}\n</mule>\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- .properties


def test_properties_separators_and_comments() -> None:
    text = "# comment\n! also comment\n  a=1\nb : 2\nc 3\nd=\n\ne = spaced value  \n"
    assert parse_properties(text) == {"a": "1", "b": "2", "c": "3", "d": "", "e": "spaced value  "}


def test_properties_escapes_and_continuations() -> None:
    text = (
        "key\\=with\\:seps = v\n"
        "tab=a\\tb\n"
        "uni=\\u0041\\u00e9\n"
        "long = first \\\n      second \\\n   third\n"
        "backslash=c:\\\\dir\n"
    )
    values = parse_properties(text)
    assert values["key=with:seps"] == "v"
    assert values["tab"] == "a\tb"
    assert values["uni"] == "Aé"
    assert values["long"] == "first second third"
    assert values["backslash"] == "c:\\dir"


def test_properties_later_key_wins_and_hash_inside_value_kept() -> None:
    assert parse_properties("a=1\na=2\nb=x#y\n") == {"a": "2", "b": "x#y"}


def test_properties_bad_unicode_escape_is_an_error() -> None:
    with pytest.raises(ValueError, match="uxxxx"):
        parse_properties("a=\\uZZZZ\n")


# --------------------------------------------------------------------------- resolver


def test_resolver_defaults_nesting_and_order() -> None:
    r = PlaceholderResolver([{"env": "dev", "a": "sys"}, {"a": "file", "q.dev": "devq"}])
    assert r.resolve("${a}") == "sys"
    assert r.resolve("vm://${q.${env}}?x=${missing:fallback}") == "vm://devq?x=fallback"
    assert r.resolve("no placeholders, #[mel] stays") == "no placeholders, #[mel] stays"


def test_resolver_values_are_resolved_recursively_and_cycles_fail() -> None:
    r = PlaceholderResolver([{"a": "${b}-x", "b": "B", "loop": "${loop}"}])
    assert r.resolve("${a}") == "B-x"
    with pytest.raises(ConfigError, match="circular"):
        r.resolve("${loop}")


def test_resolver_unresolvable_fails_with_location_or_is_kept_when_ignored() -> None:
    where = SourceLocation("f.xml", 7, "/mule/flow")
    with pytest.raises(ConfigError) as info:
        PlaceholderResolver([{}]).resolve("a ${nope} b", where)
    assert info.value.location.line == 7
    assert "Could not resolve placeholder 'nope'" in str(info.value)
    assert PlaceholderResolver([{}], ignore_unresolvable=True).resolve("a ${nope}") == "a ${nope}"


# --------------------------------------------------------------------------- in configs


def test_placeholders_in_attributes_and_text_from_files(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "a.properties").write_text("queue=orders\nreply=from-a\n")
    (tmp_path / "b.properties").write_text("reply=from-b\ntimeout=750\n")
    path = write_app(
        tmp_path,
        """
        <context:property-placeholder location="classpath:conf/a.properties, b.properties"/>
        <vm:connector name="c" queueTimeout="${timeout}"/>
        <flow name="f">
          <vm:inbound-endpoint path="${queue}"/>
          <test:component><test:return-data>${reply}</test:return-data></test:component>
        </flow>""",
    )
    app = load_app_config([path])
    assert app.connectors["c"].queue_timeout_ms == 750
    flow = app.flows["f"]
    assert flow.source is not None and getattr(flow.source, "path", None) == "orders"
    component = flow.processors[0]
    assert component.children[0].text == "from-b"  # type: ignore[union-attr]
    assert app.properties["queue"] == "orders"


def test_system_properties_win_over_files_and_global_property(tmp_path: Path) -> None:
    (tmp_path / "p.properties").write_text("q=file\nonlyfile=yes\n")
    path = write_app(
        tmp_path,
        """
        <global-property name="g" value="global-${onlyfile}"/>
        <context:property-placeholder location="p.properties"/>
        <flow name="f"><vm:inbound-endpoint path="${q}-${g}"/></flow>""",
    )
    app = load_app_config([path], properties={"q": "system"})
    assert app.flows["f"].source.path == "system-global-yes"  # type: ignore[union-attr]
    assert load_app_config([path]).flows["f"].source.path == "file-global-yes"  # type: ignore[union-attr]


def test_first_placeholder_element_wins(tmp_path: Path) -> None:
    (tmp_path / "one.properties").write_text("k=one\n")
    (tmp_path / "two.properties").write_text("k=two\n")
    path = write_app(
        tmp_path,
        """
        <context:property-placeholder location="one.properties"/>
        <context:property-placeholder location="two.properties"/>
        <flow name="f"><vm:inbound-endpoint path="${k}"/></flow>""",
    )
    assert load_app_config([path]).flows["f"].source.path == "one"  # type: ignore[union-attr]


def test_unresolvable_placeholder_is_a_located_error(tmp_path: Path) -> None:
    path = write_app(tmp_path, '<flow name="f">\n<vm:inbound-endpoint path="${missing}"/></flow>')
    with pytest.raises(ConfigError) as info:
        load_app_config([path])
    assert info.value.location.file == str(path)
    assert info.value.location.line == 3
    assert "missing" in info.value.message


def test_ignore_unresolvable_keeps_the_placeholder(tmp_path: Path) -> None:
    (tmp_path / "p.properties").write_text("x=1\n")
    path = write_app(
        tmp_path,
        """<context:property-placeholder location="p.properties" ignore-unresolvable="true"/>
        <flow name="f"><vm:inbound-endpoint path="${missing}"/></flow>""",
    )
    assert load_app_config([path]).flows["f"].source.path == "${missing}"  # type: ignore[union-attr]


def test_missing_properties_file_fails_unless_ignored(tmp_path: Path) -> None:
    body = '<context:property-placeholder location="nope.properties"{flag}/>'
    failing = write_app(tmp_path, body.format(flag=""), "a.xml")
    with pytest.raises(ConfigError, match=r"nope\.properties"):
        load_app_config([failing])
    tolerant = write_app(tmp_path, body.format(flag=' ignore-resource-not-found="true"'), "b.xml")
    assert load_app_config([tolerant]).flows == {}


def test_location_itself_may_use_system_properties(tmp_path: Path) -> None:
    (tmp_path / "prod.properties").write_text("q=prodq\n")
    path = write_app(
        tmp_path,
        """<context:property-placeholder location="${env}.properties"/>
        <flow name="f"><vm:inbound-endpoint path="${q}"/></flow>""",
    )
    app = load_app_config([path], properties={"env": "prod"})
    assert app.flows["f"].source.path == "prodq"  # type: ignore[union-attr]


def test_builtin_mule_and_jvm_properties_are_the_last_fallback(tmp_path: Path) -> None:
    path = write_app(
        tmp_path,
        """<flow name="f"><vm:inbound-endpoint path="${app.name}-q"/>
        <logger message="${app.home}|${file.separator}"/></flow>""",
        "orders.xml",
    )
    app = load_app_config([path])
    assert app.flows["f"].source.path == "orders-q"  # type: ignore[union-attr]
    logger = app.flows["f"].processors[0]
    assert logger.attr("message") == f"{tmp_path.resolve()}|/"  # type: ignore[union-attr]
    assert "app.home" not in app.properties  # built-ins are not configuration
    overridden = load_app_config([path], properties={"app.name": "x"})
    assert overridden.flows["f"].source.path == "x-q"  # type: ignore[union-attr]

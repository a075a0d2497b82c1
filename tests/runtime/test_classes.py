"""The class map: stand-ins from files, options and suites; built-ins; the unmapped error."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from mule_emulator.errors import ConfigError, InputError, SourceLocation, UnsupportedError
from mule_emulator.runtime.classes import (
    ClassMap,
    parse_class_option,
    register_builtin,
)

FIXTURE = str(Path(__file__).parent / "classmap_fixture")


def _message(payload: object) -> SimpleNamespace:
    return SimpleNamespace(payload=payload, inbound={}, outbound={})


def test_function_standin_is_called_with_the_message() -> None:
    cmap = ClassMap({"com.acme.Shout": "acme_standins:shout"}, search_path=FIXTURE)
    fn = cmap.message_callable("com.acme.Shout")
    assert fn(_message("hi")) == "HI"


def test_class_standin_is_instantiated_with_spring_properties() -> None:
    cmap = ClassMap(
        {"com.acme.Store": "acme_standins:Store", "com.acme.Append": "acme_standins:Appender"},
        search_path=FIXTURE,
    )
    store = cmap.instance("com.acme.Store", {"maxSize": 5, "label": "x"})
    assert store.max_size == 5
    assert store.label == "set:x"
    append = cmap.message_callable("com.acme.Append", {"suffix": "!"})
    assert append(_message("a")) == "a!"


def test_builtin_registry_and_user_override() -> None:
    register_builtin("org.example.Echo", lambda props: lambda msg: (props.get("p"), msg.payload))
    cmap = ClassMap()
    assert cmap.is_mapped("org.example.Echo")
    assert cmap.message_callable("org.example.Echo", {"p": 1})(_message("x")) == (1, "x")
    over = cmap.layered({"org.example.Echo": "acme_standins:shout"}, search_path=FIXTURE)
    assert over.message_callable("org.example.Echo")(_message("x")) == "X"
    # the base map is unchanged by the layer
    assert cmap.message_callable("org.example.Echo", {"p": 2})(_message("y")) == (2, "y")


def test_check_lists_every_unmapped_class_with_its_line() -> None:
    cmap = ClassMap({"com.acme.Shout": "acme_standins:shout"}, search_path=FIXTURE)
    classes = [
        ("com.acme.Shout", SourceLocation("app.xml", 3)),
        ("com.acme.Missing", SourceLocation("app.xml", 7)),
        ("com.acme.Other", SourceLocation("app.xml", 9)),
    ]
    with pytest.raises(UnsupportedError) as info:
        cmap.check(classes)
    text = str(info.value)
    assert "com.acme.Missing" in text and "com.acme.Other" in text
    assert "app.xml:7" in text and "app.xml:9" in text
    assert "--class com.acme.Missing=" in text
    assert "com.acme.Shout has no" not in text


def test_check_imports_stand_ins_so_bad_targets_fail_at_build_time() -> None:
    cmap = ClassMap({"com.acme.Gone": "acme_standins:nothing_here"}, search_path=FIXTURE)
    with pytest.raises(ConfigError, match="no attribute nothing_here"):
        cmap.check([("com.acme.Gone", SourceLocation("a.xml", 1))])
    cmap = ClassMap({"com.acme.Gone": "no_such_module_xyz:f"}, search_path=FIXTURE)
    with pytest.raises(ConfigError, match="cannot import no_such_module_xyz"):
        cmap.check([("com.acme.Gone", SourceLocation("a.xml", 1))])


def test_non_callable_target_is_refused_for_per_message_use() -> None:
    cmap = ClassMap({"com.acme.N": "acme_standins:not_callable"}, search_path=FIXTURE)
    with pytest.raises(ConfigError, match="not callable"):
        cmap.message_callable("com.acme.N")


def test_class_map_file(tmp_path: Path) -> None:
    (tmp_path / "my_standins.py").write_text("def f(m):\n    return 'f:' + m.payload\n")
    cm = tmp_path / "classes.toml"
    cm.write_text('[classes]\n"com.acme.F" = "my_standins:f"\n')
    cmap = ClassMap.from_file(cm)
    assert cmap.message_callable("com.acme.F")(_message("x")) == "f:x"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('[classes]\n"com.acme.F" = 3\n', "must map"),
        ('[klasses]\n"a.B" = "m:f"\n', "unknown key"),
        ("[classes\n", "not valid TOML"),
        ('[classes]\n"com.acme.F" = "no-colon"\n', "module:attribute"),
    ],
)
def test_bad_class_map_files(tmp_path: Path, text: str, match: str) -> None:
    cm = tmp_path / "classes.toml"
    cm.write_text(text)
    with pytest.raises(InputError, match=match):
        ClassMap.from_file(cm)


def test_missing_class_map_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read class map"):
        ClassMap.from_file(tmp_path / "absent.toml")


def test_parse_class_option() -> None:
    assert parse_class_option("a.B=m.n:f") == ("a.B", "m.n:f")
    with pytest.raises(InputError):
        parse_class_option("a.B")
    with pytest.raises(InputError):
        parse_class_option("a.B=nocolon")

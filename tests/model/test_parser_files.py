"""Applications made of several files: merging, duplicate names, <spring:import>."""

from __future__ import annotations

from pathlib import Path

import pytest

from mule_emulator.errors import ConfigError, InputError
from mule_emulator.loading.document import parse_file
from mule_emulator.model import collect_documents, load_app_config, parse_app
from mule_emulator.model.config import EndpointConfig

NS = (
    'xmlns="http://www.mulesoft.org/schema/mule/core" '
    'xmlns:vm="http://www.mulesoft.org/schema/mule/vm" '
    'xmlns:spring="http://www.springframework.org/schema/beans"'
)


def write(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<mule {NS}>\n{body}\n</mule>\n", encoding="utf-8")
    return path


def test_two_files_form_one_application(tmp_path: Path) -> None:
    a = write(tmp_path / "orders.xml", '<flow name="f"><vm:inbound-endpoint ref="in"/></flow>')
    b = write(
        tmp_path / "shared.xml",
        '<vm:connector name="c"/><vm:endpoint name="in" path="orders.in"/>',
    )
    app = load_app_config([a, b])
    assert app.name == "orders"
    assert app.files == (str(a), str(b))
    source = app.flows["f"].source
    assert isinstance(source, EndpointConfig) and source.path == "orders.in"  # ref across files
    assert list(app.connectors) == ["c"]
    assert load_app_config([a, b], name="custom").name == "custom"


def test_duplicate_name_across_files_names_both_places(tmp_path: Path) -> None:
    a = write(tmp_path / "a.xml", '<flow name="dup"><logger/></flow>')
    b = write(tmp_path / "b.xml", '\n\n<vm:connector name="dup"/>')
    with pytest.raises(ConfigError) as info:
        parse_app([parse_file(a), parse_file(b)])
    err = info.value
    assert err.location.file == str(b) and err.location.line == 4
    assert [(loc.file, loc.line) for loc, _ in err.problems] == [(str(a), 2), (str(b), 4)]
    assert "flow" in str(err) and "connector" in str(err)


def test_imports_are_followed_relative_to_the_importing_file(tmp_path: Path) -> None:
    main = write(
        tmp_path / "main.xml",
        """<spring:beans>
             <spring:import resource="sub/part.xml"/>
             <spring:import resource="classpath:common.xml"/>
           </spring:beans>
           <flow name="main"><vm:inbound-endpoint path="m"/></flow>""",
    )
    write(
        tmp_path / "sub" / "part.xml",
        '<spring:import resource="../main.xml"/><flow name="part"><logger/></flow>',
    )
    write(tmp_path / "common.xml", '<vm:connector name="common"/>')
    documents = collect_documents([main])
    assert [Path(d.file).name for d in documents] == ["main.xml", "part.xml", "common.xml"]
    app = load_app_config([main])
    assert set(app.flows) == {"main", "part"} and "common" in app.connectors


def test_missing_import_is_reported_at_the_import(tmp_path: Path) -> None:
    main = write(tmp_path / "main.xml", '\n<spring:import resource="gone.xml"/>')
    with pytest.raises(InputError) as info:
        load_app_config([main])
    assert info.value.location.file == str(main) and info.value.location.line == 3
    assert "gone.xml" in str(info.value)


def test_import_resource_may_use_system_properties(tmp_path: Path) -> None:
    main = write(tmp_path / "main.xml", '<spring:import resource="${env}-conf.xml"/>')
    write(tmp_path / "test-conf.xml", '<flow name="from-test"><logger/></flow>')
    app = load_app_config([main], properties={"env": "test"})
    assert "from-test" in app.flows


def test_no_files_is_an_input_error() -> None:
    with pytest.raises(InputError):
        load_app_config([])
    with pytest.raises(InputError):
        parse_app([])

"""One start-up error names every unsupported element and every unmapped Java class."""

from __future__ import annotations

from pathlib import Path

import pytest

from mule_emulator import load_app
from mule_emulator.errors import UnsupportedError

CONFIG = """<?xml version="1.0" encoding="UTF-8"?>
<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:http="http://www.mulesoft.org/schema/mule/http"
      xmlns:vm="http://www.mulesoft.org/schema/mule/vm">
    <http:listener-config name="cfg" host="localhost" port="8081"/>
    <flow name="f">
        <http:listener config-ref="cfg" path="/x"/>
        <component class="com.acme.Thing"/>
        <vm:outbound-endpoint path="out"/>
    </flow>
</mule>
"""


def test_unsupported_elements_and_unmapped_classes_are_named_together(tmp_path: Path) -> None:
    path = tmp_path / "mixed.xml"
    path.write_text(CONFIG, encoding="utf-8")
    with pytest.raises(UnsupportedError) as caught:
        load_app([path])
    error = caught.value
    lines = sorted(loc.line for loc, _text in error.problems)
    # listener-config (5), listener (7) once only, the component's class (8)
    assert lines == [5, 7, 8]
    assert "com.acme.Thing" in error.message
    assert "<http:listener>" in error.message
    assert "--class-map" in error.message

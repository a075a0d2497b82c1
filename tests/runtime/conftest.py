"""Helpers for runtime tests: write a small Mule config of our own and load it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mule_emulator import MuleApp, load_app

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:vm="http://www.mulesoft.org/schema/mule/vm"
      xmlns:test="http://www.mulesoft.org/schema/mule/test"
      xmlns:spring="http://www.springframework.org/schema/beans">
"""

# Receivers poll at once in tests (Mule waits 1 s before the first poll, R1).
FAST = {"mule.vm.receiverStartDelayMs": "0"}

AppMaker = Callable[..., MuleApp]


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[AppMaker]:
    apps: list[MuleApp] = []

    def make(body: str, *, start: bool = True, **kwargs: object) -> MuleApp:
        path = tmp_path / f"app{len(apps)}.xml"
        path.write_text(HEADER + body + "\n</mule>\n", encoding="utf-8")
        props = dict(FAST)
        props.update(kwargs.pop("properties", {}) or {})  # type: ignore[arg-type]
        app = load_app([path], properties=props, work_dir=tmp_path / "work", **kwargs)  # type: ignore[arg-type]
        apps.append(app)
        if start:
            app.start()
        return app

    yield make
    for app in apps:
        app.stop()

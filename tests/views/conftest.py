"""Helpers for the views tests: write a config of our own and parse it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mule_emulator.model import load_app_config
from mule_emulator.model.config import AppConfig

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:vm="http://www.mulesoft.org/schema/mule/vm">
"""


@pytest.fixture
def make_config(tmp_path: Path) -> Callable[[str], tuple[str, AppConfig]]:
    """``make_config(body)`` writes ``<mule>body</mule>`` and returns (path, AppConfig)."""

    def make(body: str, name: str = "app.xml") -> tuple[str, AppConfig]:
        path = tmp_path / name
        path.write_text(HEAD + body + "\n</mule>\n", encoding="utf-8")
        return str(path), load_app_config([str(path)])

    return make

"""Stand-ins used by test_classes.py (imported through the class map's search path)."""

from __future__ import annotations

from typing import Any


def shout(message: Any) -> str:
    return str(message.payload).upper()


class Store:
    def __init__(self) -> None:
        self.max_size = 0
        self.label = ""

    def set_label(self, value: str) -> None:
        self.label = "set:" + value


class Appender:
    def __init__(self) -> None:
        self.suffix = ""

    def __call__(self, message: Any) -> str:
        return str(message.payload) + self.suffix


not_callable = 42

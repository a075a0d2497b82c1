"""Filters and the message filter that applies them (P-20).

A ``Filter`` says whether an event is accepted. In a chain a filter is always wrapped in
a ``MessageFilter`` (an intercepting processor): accepted → the rest of the chain runs;
rejected → the ``onUnaccepted`` processor's result, a ``FilterUnacceptedError`` with
``throwOnUnaccepted``, else ``None`` (processing stops; a request-response caller gets
no message).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from mule_emulator.errors import MessagingError
from mule_emulator.runtime.message import NULL_PAYLOAD, MuleEvent, ProcessResult
from mule_emulator.runtime.processors.base import InterceptingProcessor, Processor

EventTest = Callable[[MuleEvent], bool]

# Java type names a payload-type filter may name, and the Python types standing for them.
JAVA_TYPES: dict[str, tuple[type, ...]] = {
    "java.lang.String": (str,),
    "java.lang.Object": (object,),
    "[B": (bytes, bytearray),
    "byte[]": (bytes, bytearray),
    "java.lang.Integer": (int,),
    "java.lang.Long": (int,),
    "java.lang.Short": (int,),
    "java.lang.Number": (int, float),
    "java.lang.Double": (float,),
    "java.lang.Float": (float,),
    "java.lang.Boolean": (bool,),
    "java.util.List": (list, tuple),
    "java.util.Collection": (list, tuple, set),
    "java.util.Map": (dict,),
    "org.mule.transport.NullPayload": (type(NULL_PAYLOAD),),
}


class FilterUnacceptedError(MessagingError):
    """Mule's FilterUnacceptedException."""


class Filter:
    """Accepts or rejects an event."""

    kind = "filter"

    def accept(self, event: MuleEvent) -> bool:
        raise NotImplementedError


class TestFilter(Filter):
    """A filter from a test function (expression, wildcard, regex, stand-in ...)."""

    def __init__(self, test: EventTest, kind: str = "filter") -> None:
        self.test = test
        self.kind = kind

    def accept(self, event: MuleEvent) -> bool:
        return bool(self.test(event))


class AndFilter(Filter):
    kind = "and-filter"

    def __init__(self, filters: Sequence[Filter]) -> None:
        self.filters = tuple(filters)

    def accept(self, event: MuleEvent) -> bool:
        return all(f.accept(event) for f in self.filters)


class OrFilter(AndFilter):
    kind = "or-filter"

    def accept(self, event: MuleEvent) -> bool:
        return any(f.accept(event) for f in self.filters)


class NotFilter(Filter):
    kind = "not-filter"

    def __init__(self, inner: Filter) -> None:
        self.inner = inner

    def accept(self, event: MuleEvent) -> bool:
        return not self.inner.accept(event)


def wildcard_matches(pattern: str, value: str, case_sensitive: bool = True) -> bool:
    """Mule's WildcardFilter (P-20) on one string."""
    if not case_sensitive:
        pattern, value = pattern.lower(), value.lower()
    for raw in pattern.split(","):
        p = raw.strip()
        if not p:
            continue
        if p == "*":
            return True
        if len(p) > 1 and p.startswith("*") and p.endswith("*"):
            if p[1:-1] in value:
                return True
        elif p.startswith("*"):
            if value.endswith(p[1:]):
                return True
        elif p.endswith("*"):
            if value.startswith(p[:-1]):
                return True
        elif p == value:
            return True
    return False


def regex_finds(pattern: str, value: str) -> bool:
    """Java ``Matcher.find``: the pattern anywhere in the value."""
    return re.search(pattern, value) is not None


def payload_type_accepts(expected: str, payload: Any) -> bool:
    types = JAVA_TYPES.get(expected)
    if types is None:
        simple = expected.rsplit(".", 1)[-1]
        return type(payload).__name__ == simple
    if bool in types or not isinstance(payload, bool):
        return isinstance(payload, types)
    return False


class MessageFilter(InterceptingProcessor):
    """``<message-filter>`` or a bare filter in a chain (P-20)."""

    kind = "message-filter"
    may_return_void = False

    def __init__(
        self,
        filter: Filter,
        throw_on_unaccepted: bool = False,
        on_unaccepted: Processor | None = None,
    ) -> None:
        super().__init__()
        self.filter = filter
        self.throw_on_unaccepted = throw_on_unaccepted
        self.on_unaccepted = on_unaccepted

    def process(self, event: MuleEvent) -> ProcessResult:
        if self.filter.accept(event):
            return self.process_next(event)
        if self.on_unaccepted is not None:
            return self.on_unaccepted.process(event)
        if self.throw_on_unaccepted:
            raise FilterUnacceptedError("Message has been rejected by filter", event=event)
        return None

    def describe(self) -> str:
        return f"message-filter ({self.filter.kind})"


__all__ = [
    "JAVA_TYPES",
    "AndFilter",
    "Filter",
    "FilterUnacceptedError",
    "MessageFilter",
    "NotFilter",
    "OrFilter",
    "TestFilter",
    "payload_type_accepts",
    "regex_finds",
    "wildcard_matches",
]

"""Expectations checked against what one step produced.

A step's ``Outcome`` is the message it produced (a send's reply, a request's message,
a run_flow result; None when nothing came) and the error its action raised, if any.
``check_outcome`` returns the first failing expectation as a reason a person can act on
(what was expected, what came), or None when everything holds. Reading the message is
duck-typed so the checks work on any message the runtime returns.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mule_emulator.suites.model import Expectation

_MAX_SHOWN = 200


@dataclass(frozen=True)
class Outcome:
    """What one step (one repetition) produced."""

    message: Any = None
    error: BaseException | None = None


def short(value: Any) -> str:
    """A value as shown in a failure reason: repr, cut to a readable length."""
    text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def error_text(exc: BaseException) -> str:
    """An exception's message followed by the messages of its causes (as Mule's
    exception chain reads), so ``error = "..."`` can match any level."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        text = str(current) or type(current).__name__
        parts.append(f"{type(current).__name__}: {text}")
        nxt = getattr(current, "cause", None)
        current = nxt if isinstance(nxt, BaseException) else current.__cause__
    return " <- ".join(parts)


def payload_text(message: Any) -> str:
    """The payload read as text, as the format compares it."""
    as_text = getattr(message, "payload_as_text", None)
    if callable(as_text):
        return str(as_text())
    payload = getattr(message, "payload", message)
    if isinstance(payload, bytes | bytearray):
        return bytes(payload).decode("utf-8", errors="replace")
    return str(payload)


def exception_payload_text(message: Any) -> str | None:
    """The text of the message's exception payload, or None when it carries none."""
    ep = getattr(message, "exception_payload", None)
    if ep is None:
        return None
    texts = [str(getattr(ep, "message", "") or "")]
    exc = getattr(ep, "exception", None)
    if isinstance(exc, BaseException):
        texts.append(error_text(exc))
    return " | ".join(t for t in texts if t)


def _scope(message: Any, *names: str) -> Mapping[str, Any] | None:
    for name in names:
        value = getattr(message, name, None)
        if value is not None and hasattr(value, "keys"):
            return value  # type: ignore[no-any-return]
    return None


def session_vars(message: Any) -> Mapping[str, Any] | None:
    """The session variables that came with a message: ``message.session`` (a
    ``MuleSession`` or a mapping) or ``message.session_vars``."""
    session = getattr(message, "session", None)
    if session is not None:
        held = getattr(session, "vars", session)
        if hasattr(held, "keys"):
            return held  # type: ignore[no-any-return]
    return _scope(message, "session_vars")


def _same(expected: Any, actual: Any) -> bool:
    if actual is None:
        return False
    if isinstance(expected, bool):
        return str(actual).lower() == ("true" if expected else "false")
    return str(actual) == str(expected) or actual == expected


def check_outcome(expect: Expectation | None, outcome: Outcome) -> str | None:
    """The first expectation that does not hold, as a reason; None when all hold."""
    message, error = outcome.message, outcome.error
    if (expect is None or expect.error is None) and error is not None:
        return f"raised {error_text(error)}"
    if expect is None:
        return None
    if expect.error is not None:
        texts = [error_text(error)] if error is not None else []
        if message is not None and (ep := exception_payload_text(message)) is not None:
            texts.append(ep)
        if not texts:
            return f"expected an error containing {short(expect.error)}, but nothing failed"
        if not any(expect.error in t for t in texts):
            return f"expected an error containing {short(expect.error)}, got {short(texts[0])}"
    if expect.null is True and message is not None:
        return f"expected no message, got payload {short(payload_text(message))}"
    if expect.null is False and message is None:
        return "expected a message, got none"
    if message is None:
        if expect.needs_message:
            return "expected a message, got none" + (
                f" (expected payload {short(expect.payload)})" if expect.payload is not None else ""
            )
        return None
    return _check_message(expect, message)


def _check_message(expect: Expectation, message: Any) -> str | None:
    if expect.payload is not None:
        text = payload_text(message)
        if text != expect.payload:
            return f"expected payload {short(expect.payload)}, got {short(text)}"
    if expect.payload_matches is not None:
        text = payload_text(message)
        if not re.search(expect.payload_matches, text):
            return f"expected payload matching /{expect.payload_matches}/, got {short(text)}"
    if expect.exception_payload is not None:
        carried = getattr(message, "exception_payload", None) is not None
        if carried != expect.exception_payload:
            if carried:
                return (
                    f"expected no exception payload, got {short(exception_payload_text(message))}"
                )
            return "expected an exception payload, the message carries none"
    if expect.inbound:
        inbound = _scope(message, "inbound") or {}
        for key, value in expect.inbound.items():
            got = inbound.get(key)
            if not _same(value, got):
                return f"expected inbound property {key}={short(value)}, got {short(got)}"
    for scope_name, keys, attrs in (
        ("inbound", expect.absent_inbound, ("inbound",)),
        ("outbound", expect.absent_outbound, ("outbound",)),
        ("invocation", expect.absent_invocation, ("invocation", "flow_vars")),
    ):
        if not keys:
            continue
        scope = _scope(message, *attrs) or {}
        present = [k for k in keys if k in scope]
        if present:
            return f"expected no {scope_name} property {present[0]}, got {short(scope[present[0]])}"
    if expect.session:
        held = session_vars(message)
        if held is None:
            return "expected session variables, but the message carries no session"
        for key, value in expect.session.items():
            got = held.get(key)
            if not _same(value, got):
                return f"expected session variable {key}={short(value)}, got {short(got)}"
    return None


def compare_payloads(expected: Sequence[str], got: Sequence[str], ordered: bool) -> str | None:
    """The ``payloads`` expectation: a multiset (or, ``ordered``, a sequence) of texts."""
    if ordered:
        if list(expected) != list(got):
            return f"expected payloads in order {short(list(expected))}, got {short(list(got))}"
        return None
    want, have = Counter(expected), Counter(got)
    if want != have:
        missing = sorted((want - have).elements())
        extra = sorted((have - want).elements())
        return (
            f"expected payloads {short(sorted(expected))}, got {short(sorted(got))}"
            f" (missing {short(missing)}, unexpected {short(extra)})"
        )
    return None


__all__ = [
    "Outcome",
    "check_outcome",
    "compare_payloads",
    "error_text",
    "exception_payload_text",
    "payload_text",
    "session_vars",
    "short",
]

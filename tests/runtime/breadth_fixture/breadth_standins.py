"""Stand-ins for the router and scope tests (loaded through the class map)."""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
calls: dict[str, int] = {}


def reset() -> None:
    with _lock:
        calls.clear()


def flaky(message: Any) -> Any:
    """Fails until it has been called ``inbound/flow var 'failures'`` times for this
    payload, then answers ``<payload> ok after <n>``."""
    key = str(message.payload)
    with _lock:
        calls[key] = calls.get(key, 0) + 1
        count = calls[key]
    failures = int(message.invocation.get("failures", 0))
    if count <= failures:
        raise RuntimeError(f"attempt {count} failed")
    return f"{key} ok after {count}"


def always_fails(message: Any) -> Any:
    raise RuntimeError("always fails")


def vowels_only(message: Any) -> bool:
    return all(c in "aeiou" for c in str(message.payload))

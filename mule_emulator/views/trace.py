"""``mule-emu run --trace``: an event timeline, one line per step.

A ``TraceRecorder`` is the recording ``tracing.Tracer``: the runtime tells it about
each step (see ``mule_emulator/tracing.py`` for the hook points) and it writes one line
per step to a text stream, as text for people or JSON lines for tools. Each line has:

- the time in milliseconds since the first traced step;
- the thread, as the engine names it after Mule (``main`` for the caller,
  ``<connector>.receiver.NN``, ``<connector>.dispatcher.NN``, ``<flow>.stage1.NN``);
- the flow, the step and its details: processor, queue and its depth around the hand-off
  (hooks report ``depth_before`` for an enqueue, ``depth_after`` for a dequeue, so the
  line reads ``depth 0->1`` / ``depth 1->0``), transaction id;
- the message: ``m1``, ``m2`` ... numbered by first appearance (the full id in JSON).

A transacted receiver begins a transaction before it polls, and one that finds no
message rolls back an empty transaction (R4). Those are polling noise, not steps of an
event: a ``tx-begin`` is held back until its thread's next step and dropped together
with an empty commit or rollback. Text lines number transactions ``tx#1``, ``tx#2`` ...
in the order they are shown (JSON keeps the runtime's ids).

Steps: ``flow`` (a flow's processors start), ``processor``, ``dispatch`` (a one-way
outbound endpoint hands the message to its connector), ``enqueue`` (inside a
transaction the message is held until commit), ``queue-full``, ``dequeue``, ``send`` (a
request-response call), ``redelivery`` (the inbound redelivery policy counts an
arrival: which attempt, or exhausted), ``exception`` (an exception strategy takes over),
``tx-begin``, ``tx-commit`` (what it delivers and consumes) and ``tx-rollback`` (what it
discards and puts back at the tail of its queue).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from mule_emulator import tracing

FORMATS = ("text", "jsonl")

_THREAD_ALIASES = {"MainThread": "main"}


def thread_name() -> str:
    """The current thread's name as a trace shows it (Mule calls the caller ``main``)."""
    name = threading.current_thread().name
    return _THREAD_ALIASES.get(name, name)


_TX_ENDS = ("tx-commit", "tx-rollback")


class TraceRecorder(tracing.Tracer):
    """Writes each traced step as one line to ``sink`` (``text`` or ``jsonl``)."""

    active = True

    def __init__(
        self,
        sink: TextIO,
        fmt: str = "text",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown trace format {fmt!r}")
        super().__init__()
        self.sink = sink
        self.fmt = fmt
        self.clock = clock
        self._lock = threading.Lock()
        self._start: float | None = None
        self._numbers: dict[str, int] = {}
        self._tx_numbers: dict[str, int] = {}
        # A held-back tx-begin per thread: (time, thread name, fields).
        self._pending: dict[int, tuple[float, str, dict[str, Any]]] = {}
        self.steps = 0

    def emit(self, step: str, **fields: Any) -> None:
        now = self.clock()
        thread = thread_name()
        ident = threading.get_ident()
        with self._lock:
            if step == "tx-begin":
                self._pending[ident] = (now, thread, fields)
                return
            pending = self._pending.pop(ident, None)
            if pending is not None:
                begun = pending[2].get("tx")
                empty = not fields.get("added") and not fields.get("taken")
                if step in _TX_ENDS and fields.get("tx") == begun and empty:
                    return  # a poll that found nothing: neither line is shown
                self._write(pending[0], pending[1], "tx-begin", pending[2])
            self._write(now, thread, step, fields)

    def _write(self, now: float, thread: str, step: str, fields: dict[str, Any]) -> None:
        if self._start is None:
            self._start = now
        ms = (now - self._start) * 1000.0
        message = fields.get("message")
        number = None
        if message is not None:
            number = self._numbers.setdefault(str(message), len(self._numbers) + 1)
        if self.fmt == "jsonl":
            record: dict[str, Any] = {"t_ms": round(ms, 3), "thread": thread, "step": step}
            record.update({k: v for k, v in fields.items() if v is not None})
            if number is not None:
                record["m"] = number
            line = json.dumps(record, sort_keys=False, default=str)
        else:
            tx = fields.get("tx")
            if tx is not None:
                shown = self._tx_numbers.setdefault(str(tx), len(self._tx_numbers) + 1)
                fields = {**fields, "tx": shown}
            line = format_text(ms, thread, step, fields, number)
        self.steps += 1
        try:
            self.sink.write(line + "\n")
            self.sink.flush()
        except (OSError, ValueError):  # a closed pipe must not break the application
            pass


def _queue_detail(step: str, fields: dict[str, Any]) -> str:
    queue = fields.get("queue", "")
    before = fields.get("depth_before")
    after = fields.get("depth_after")
    capacity = fields.get("capacity") or 0
    if step == "enqueue" and isinstance(before, int):
        if capacity and before >= capacity:
            wait = fields.get("timeout_ms")
            return f"{queue} full ({before}/{capacity}), waits up to {wait} ms for room"
        return f"{queue} depth {before}->{before + 1}"
    if step == "dequeue" and isinstance(after, int):
        return f"{queue} depth {after + 1}->{after}"
    if step == "queue-full":
        return f"{queue} still full after {fields.get('timeout_ms')} ms: dispatch fails"
    depth = fields.get("depth")  # a hook that reports one plain depth
    return f"{queue} depth={depth}" if depth is not None else str(queue)


def _counted(labels: Any) -> str:
    """``vm://a, vm://b (2)``: queue labels in first-seen order, repeats counted."""
    counts: dict[str, int] = {}
    for label in labels or ():
        counts[str(label)] = counts.get(str(label), 0) + 1
    return ", ".join(k if n == 1 else f"{k} ({n})" for k, n in counts.items())


def _tx_detail(step: str, fields: dict[str, Any]) -> str:
    added, taken = _counted(fields.get("added")), _counted(fields.get("taken"))
    parts: list[str] = []
    if step == "tx-commit":
        if added:
            parts.append(f"delivers {added}")
        if taken:
            parts.append(f"consumes {taken}")
    elif step == "tx-rollback":
        if added:
            parts.append(f"discards {added}")
        if taken:
            parts.append(f"puts {taken} back at the tail")
    text = f"tx#{fields.get('tx')}"
    return f"{text}: {'; '.join(parts)}" if parts else text


def _redelivery_detail(fields: dict[str, Any]) -> str:
    failures, limit = fields.get("failures"), fields.get("limit")
    if not isinstance(failures, int) or not isinstance(limit, int):
        return ""
    if failures <= limit:
        return f"attempt {failures + 1} of {limit + 1} (maxRedelivery {limit})"
    then = "dead-letter queue" if fields.get("dead_letter") else "MessageRedeliveredException"
    return f"exhausted after {failures} failed attempts: {then}"


def _detail(step: str, fields: dict[str, Any]) -> str:
    if step in ("enqueue", "dequeue", "queue-full"):
        detail = _queue_detail(step, fields)
        if step == "enqueue" and fields.get("tx") is not None:
            detail += f", held by tx#{fields['tx']} until commit"
        return detail
    if step == "redelivery":
        return _redelivery_detail(fields)
    if step == "exception":
        return f"{fields.get('strategy', '')} handles {fields.get('error', '')}"
    if step == "processor":
        return str(fields.get("processor", ""))
    if step == "dispatch":
        return f"{fields.get('address', '')} ({fields.get('mode', '')})"
    if step == "send":
        target = fields.get("target")
        return f"{fields.get('address', '')}" + (
            f" -> flow {target}" if target else " (no receiver)"
        )
    if step.startswith("tx-"):
        return _tx_detail(step, fields)
    skip = ("flow", "message")
    return " ".join(f"{k}={v}" for k, v in fields.items() if k not in skip and v is not None)


def format_text(
    ms: float, thread: str, step: str, fields: dict[str, Any], number: int | None
) -> str:
    """One text line: time, thread, flow, step, details, message."""
    flow = fields.get("flow") or "-"
    msg = f"m{number}" if number is not None else ""
    detail = _detail(step, fields)
    line = f"{ms:9.1f} ms  {thread:<40} {flow:<12} {step:<11} {detail}"
    if msg:
        line = f"{line}  {msg}" if detail else f"{line}{msg}"
    return line.rstrip()


@contextmanager
def tracing_to(sink: TextIO, fmt: str = "text") -> Iterator[TraceRecorder]:
    """Install a recorder writing to ``sink`` for the duration of the block."""
    recorder = TraceRecorder(sink, fmt)
    tracing.install(recorder)
    try:
        yield recorder
    finally:
        tracing.uninstall()


__all__ = ["FORMATS", "TraceRecorder", "format_text", "thread_name", "tracing_to"]

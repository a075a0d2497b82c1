"""The engine's statistics as text: every queue (VM paths, SEDA stage queues) and every
thread pool, one line each (``mule-emu run --stats``).

Queues: depth, capacity (``unbounded`` for 0), in flight (taken inside a transaction or
claimed by a poller and not yet handed on), processed (taken), rejected (offers that
found no room in time), peak depth. Pools: threads alive, tasks running (in flight),
maxThreadsActive, tasks buffered, completed, rejected (the pool was exhausted, whatever
the action), discarded, run by the caller (RUN), peak of running tasks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mule_emulator.execution.engine import EngineStatistics

QUEUE_COLUMNS = ("queue", "depth", "capacity", "in-flight", "processed", "rejected", "peak")
POOL_COLUMNS = (
    "pool",
    "threads",
    "in-flight",
    "max",
    "buffered",
    "completed",
    "rejected",
    "discarded",
    "caller-runs",
    "peak",
)


def _table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    cells = [[str(c) for c in columns], *[[str(v) for v in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = []
    for row in cells:
        first = row[0].ljust(widths[0])
        rest = [v.rjust(w) for v, w in zip(row[1:], widths[1:], strict=True)]
        lines.append("  " + "  ".join([first, *rest]))
    return lines


def format_statistics(stats: EngineStatistics, title: str = "statistics") -> str:
    """A text report of ``stats``: a queue table, then a pool table (sorted by name)."""
    queues = sorted(stats.queues, key=lambda q: q.name)
    pools = sorted(stats.pools, key=lambda p: p.name)
    lines = [f"{title}:"]
    if queues:
        lines.extend(
            _table(
                QUEUE_COLUMNS,
                [
                    (
                        q.name,
                        q.depth,
                        q.capacity or "unbounded",
                        q.in_flight + q.claimed,
                        q.processed,
                        q.rejected,
                        q.peak,
                    )
                    for q in queues
                ],
            )
        )
    else:
        lines.append("  no queues")
    if pools:
        lines.extend(
            _table(
                POOL_COLUMNS,
                [
                    (
                        p.name,
                        p.threads,
                        p.active,
                        p.max,
                        p.buffered,
                        p.completed,
                        p.rejected,
                        p.discarded,
                        p.caller_runs,
                        p.peak,
                    )
                    for p in pools
                ],
            )
        )
    else:
        lines.append("  no thread pools")
    return "\n".join(lines)


__all__ = ["POOL_COLUMNS", "QUEUE_COLUMNS", "format_statistics"]

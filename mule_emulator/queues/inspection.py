"""Looking into a data folder of persistent queues from outside the application.

What ``mule-emu queues`` shows: each queue with its depth and size, a queue's messages
(id, properties, a payload preview), and purging one queue. Reading opens the database
read-only and takes no lock, so it works beside a running application (SQLite's log
gives it a consistent snapshot). Nothing read here is ever unpickled: objects a stand-in
put on a queue show as their type name and size. Purging changes the folder, so it
takes the folder's lock and is refused while an application holds it.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mule_emulator.errors import InputError, StoreBrokenError
from mule_emulator.queues import codec
from mule_emulator.queues.data_dir import DATABASE_FILE, QUEUESTORE, DataFolder
from mule_emulator.queues.database import QueueDatabase
from mule_emulator.runtime.message import MuleEvent, MuleMessage

PREVIEW_CHARS = 60


@dataclass(frozen=True)
class QueueSummary:
    """One persistent queue as stored: items queued and taken by unfinished transactions."""

    name: str
    depth: int
    size_bytes: int
    in_flight: int


@dataclass(frozen=True)
class StoredMessage:
    """One stored item, described without running any of its code."""

    position: int
    state: str  # "queued" or "in flight" (taken by a transaction not yet committed)
    size_bytes: int
    id: str | None
    payload_type: str
    payload_preview: str
    properties: dict[str, dict[str, str]] = field(default_factory=dict)
    problem: str | None = None  # why the record could not be read


def find_queuestore(path: Path) -> Path:
    """The queuestore folder for ``path``: an app data folder (``.mule/<app>``) or the
    queuestore folder itself. ``InputError`` when neither holds persistent queues."""
    for candidate in (path, path / QUEUESTORE):
        if (candidate / DATABASE_FILE).is_file():
            return candidate
    if not path.exists():
        raise InputError(f"{path}: no such folder")
    raise InputError(f"{path}: no persistent queues here (no {QUEUESTORE}/{DATABASE_FILE})")


@contextlib.contextmanager
def _read_only(folder: Path) -> Iterator[sqlite3.Connection]:
    uri = (folder / DATABASE_FILE).absolute().as_uri() + "?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise StoreBrokenError(f"Cannot read {folder / DATABASE_FILE}: {exc}") from exc
    try:
        yield conn
    except sqlite3.Error as exc:
        raise StoreBrokenError(f"Cannot read {folder / DATABASE_FILE}: {exc}") from exc
    finally:
        conn.close()


def list_queues(path: Path) -> list[QueueSummary]:
    """Every persistent queue ever opened in the folder, by name."""
    folder = find_queuestore(path)
    with _read_only(folder) as conn:
        names = [row[0] for row in conn.execute("SELECT name FROM queues")]
        stats = {
            row[0]: row[1:]
            for row in conn.execute(
                "SELECT queue, SUM(tx IS NULL), SUM(LENGTH(body)), SUM(tx IS NOT NULL)"
                " FROM messages GROUP BY queue"
            )
        }
    out = []
    for name in sorted(set(names) | set(stats)):
        depth, size, in_flight = stats.get(name, (0, 0, 0))
        out.append(QueueSummary(name, int(depth or 0), int(size or 0), int(in_flight or 0)))
    return out


def _known(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM queues WHERE name = ? UNION SELECT 1 FROM messages WHERE queue = ?",
        (name, name),
    ).fetchone()
    return row is not None


# Control characters (C0, DEL, C1) are shown escaped: a payload must not be able to
# drive the terminal of whoever inspects the queue.
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))}


def _preview(value: Any) -> str:
    if isinstance(value, bytes):
        text = value[:PREVIEW_CHARS].decode("utf-8", errors="replace").translate(_CONTROLS)
        suffix = "..." if len(value) > PREVIEW_CHARS else ""
        return f"{text}{suffix} ({len(value)} bytes)"
    text = value if isinstance(value, str) else repr(value)
    short = text if len(text) <= PREVIEW_CHARS else text[:PREVIEW_CHARS] + "..."
    return short.translate(_CONTROLS)


def _scope(values: Any) -> dict[str, str]:
    return {str(k): _preview(v) for k, v in values.items()}


def _describe(position: int, state: str, body: bytes) -> StoredMessage:
    try:
        item = codec.decode(body, allow_pickle=False)
    except codec.CorruptRecordError as exc:
        return StoredMessage(position, state, len(body), None, "?", "", problem=str(exc))
    message = item.message if isinstance(item, MuleEvent) else item
    if isinstance(message, MuleMessage):
        properties = {
            scope: _scope(values)
            for scope, values in (("inbound", message.inbound), ("outbound", message.outbound))
            if values
        }
        payload = message.payload
        return StoredMessage(
            position,
            state,
            len(body),
            message.id,
            type(payload).__name__
            if not isinstance(payload, codec.OpaqueValue)
            else payload.type_name,
            _preview(payload),
            properties,
        )
    kind = item.type_name if isinstance(item, codec.OpaqueValue) else type(item).__name__
    return StoredMessage(position, state, len(body), None, kind, _preview(item))


def show_queue(path: Path, name: str, limit: int | None = None) -> list[StoredMessage]:
    """The messages of queue ``name`` in the order they will be served, then the ones
    in flight (they return at the tail if their transaction does not commit)."""
    folder = find_queuestore(path)
    with _read_only(folder) as conn:
        if not _known(conn, name):
            raise InputError(f"no persistent queue named '{name}' in {folder}")
        sql = (
            "SELECT pos, tx IS NOT NULL, body FROM messages WHERE queue = ?"
            " ORDER BY tx IS NOT NULL, pos"
        )
        params: tuple[Any, ...] = (name,)
        if limit is not None:
            sql += " LIMIT ?"
            params = (name, limit)
        rows = conn.execute(sql, params).fetchall()
    return [_describe(pos, "in flight" if tx else "queued", bytes(body)) for pos, tx, body in rows]


def purge_queue(path: Path, name: str) -> int:
    """Delete every message of queue ``name`` (queued and in flight); how many.
    ``DataFolderInUseError`` while an application holds the folder."""
    folder = find_queuestore(path)
    lock = DataFolder(folder)
    try:
        db = QueueDatabase(folder / DATABASE_FILE)
        try:
            known = db.query(
                "SELECT 1 FROM queues WHERE name = ? UNION SELECT 1 FROM messages WHERE queue = ?",
                (name, name),
            )
            if not known:
                raise InputError(f"no persistent queue named '{name}' in {folder}")
            count = db.query("SELECT COUNT(*) FROM messages WHERE queue = ?", (name,))[0][0]
            db.execute([("DELETE FROM messages WHERE queue = ?", (name,))])
            return int(count)
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise StoreBrokenError(f"Cannot open {folder / DATABASE_FILE}: {exc}") from exc
    finally:
        lock.release()


__all__ = [
    "QueueSummary",
    "StoredMessage",
    "find_queuestore",
    "list_queues",
    "purge_queue",
    "show_queue",
]

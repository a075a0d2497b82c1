"""PersistentQueueStore: a VM queue kept on disk (Mule's persistent queue, section 5).

Same seam, same contract as ``MemoryQueueStore``; what differs is when things are
durable (P3, P4):

- ``put``/``offer`` return only once the item is written and synced. Items are encoded
  by ``codec.py`` first, so an item that cannot be serialised fails the dispatch, and
  the consumer always gets a copy.
- A non-transacted ``take`` removes the item durably *before* handing it out: a crash
  while it is processed loses it (at-most-once, as Mule).
- Transactions (``reserve``, then ``commit`` or ``rollback``): a reserved item stays on
  disk marked with its transaction; commit deletes it and makes the transaction's puts
  visible in one atomic, synced change; rollback, or a crash before commit, puts it back
  at the **tail** (P4, P6).
- On open, a queue comes back in order; reserved rows of a previous run go to the tail;
  a record that fails its CRC-32 or cannot be decoded is set aside under
  ``corrupt/`` with a warning naming the file, and the rest is served.

Syncs are shared (``database.py``): the store lock is never held while waiting for the
disk, so concurrent producers and consumers join the same commit round. Each store keeps
its queued records (position, bytes) in memory for O(1) takes; positions come from the
store and the in-memory order follows them.

All persistent queues under one ``queuestore`` folder share one ``DataFolder`` (the
lock) and one ``QueueDatabase``; the first store opens them, the last one closed
releases them.
"""

from __future__ import annotations

import bisect
import logging
import threading
import uuid
import zlib
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mule_emulator.errors import StoreBrokenError
from mule_emulator.queues import codec
from mule_emulator.queues.data_dir import DataFolder, create_private_file, touch_private_file
from mule_emulator.queues.database import (
    DELETE_MESSAGE,
    INSERT_MESSAGE,
    QueueDatabase,
    Statement,
)
from mule_emulator.queues.store import QueueStore, _deadline, _time_left

log = logging.getLogger("mule.queue.persistent")

_INSERT = INSERT_MESSAGE
_DELETE = DELETE_MESSAGE
_RESERVE = "UPDATE messages SET tx = ? WHERE queue = ? AND pos = ?"
_TO_TAIL = "UPDATE messages SET pos = ?, tx = NULL WHERE queue = ? AND pos = ?"

Record = tuple[int, bytes]  # (position, encoded item)


# ----------------------------------------------------------------------------- folders


class _OpenFolder:
    """A data folder opened by this process: lock + database + the queues open in it."""

    def __init__(self, path: Path) -> None:
        self.folder = DataFolder(path)
        try:
            touch_private_file(self.folder.database)
            self.database = _open_database(self.folder)
        except BaseException:
            self.folder.release()
            raise
        self.stores: dict[str, PersistentQueueStore] = {}


_folders: dict[Path, _OpenFolder] = {}
_folders_lock = threading.Lock()


def _open_database(folder: DataFolder) -> QueueDatabase:
    """The folder's database; one that SQLite cannot read is set aside whole."""
    import sqlite3

    path = folder.database
    try:
        return QueueDatabase(path)
    except sqlite3.DatabaseError as exc:
        if isinstance(exc, sqlite3.OperationalError) and "malformed" not in str(exc):
            raise StoreBrokenError(f"Cannot open {path}: {exc}") from exc
        aside = folder.set_aside_path(path.name, ".unreadable")
        aside.mkdir(mode=0o700)
        for suffix in ("", "-wal", "-shm"):
            part = path.with_name(path.name + suffix)
            if part.exists():
                part.rename(aside / part.name)
        log.warning(
            "The queue database %s cannot be read (%s); it was set aside in %s and the "
            "persistent queues start empty",
            path,
            exc,
            aside,
        )
        touch_private_file(path)
        try:
            return QueueDatabase(path)
        except sqlite3.Error as again:
            raise StoreBrokenError(f"Cannot open {path}: {again}") from again


def _attach(path: Path, store: PersistentQueueStore) -> _OpenFolder:
    key = Path(path).absolute()
    with _folders_lock:
        opened = _folders.get(key)
        if opened is None:
            try:
                opened = _OpenFolder(key)
            except StoreBrokenError:
                raise
            except Exception as exc:
                raise StoreBrokenError(f"Cannot open the queue store {key}: {exc}") from exc
            _folders[key] = opened
        if store.name in opened.stores:
            raise StoreBrokenError(
                f"Persistent queue '{store.name}' is already open in {key} in this process"
            )
        opened.stores[store.name] = store
        return opened


def _detach(store: PersistentQueueStore) -> None:
    with _folders_lock:
        opened = store._opened
        if opened.stores.get(store.name) is store:
            del opened.stores[store.name]
        if not opened.stores:
            key = opened.folder.path
            if _folders.get(key) is opened:
                del _folders[key]
            try:
                opened.database.close()
            finally:
                opened.folder.release()


# ----------------------------------------------------------------------------- store


@dataclass(frozen=True)
class Reservation:
    """An item taken inside a transaction: on disk until ``commit``, back at the tail
    on ``rollback`` or after a crash."""

    store: PersistentQueueStore
    position: int
    body: bytes
    item: Any
    tx: str


class PersistentQueueStore(QueueStore):
    """A durable FIFO queue named ``name`` in the queuestore folder ``folder``."""

    persistent = True

    def __init__(self, name: str, capacity: int = 0, folder: Path | str = ".mule/queuestore"):
        super().__init__(name, capacity)
        self._items: deque[Record] = deque()
        self._pending_puts = 0  # accepted, not yet durable: they count against capacity
        self._removing = 0  # taken, removal not yet durable
        self.set_aside: list[Path] = []
        self._opened = _attach(Path(folder), self)
        self._db = self._opened.database
        self.folder = self._opened.folder.path
        try:
            self._recover()
        except BaseException:
            _detach(self)
            raise
        self._head = self._items[0][0] - 1 if self._items else 0
        self._tail = self._items[-1][0] + 1 if self._items else 1

    # ------------------------------------------------------------ recovery

    def _recover(self) -> None:
        """Load the queue in order (P6): rows of unfinished transactions to the tail,
        records failing their checks set aside."""
        self._db.execute([("INSERT OR IGNORE INTO queues (name) VALUES (?)", (self.name,))])
        rows = self._db.query(
            "SELECT pos, crc, body, tx FROM messages WHERE queue = ? ORDER BY pos",
            (self.name,),
        )
        live: list[Record] = []
        reserved: list[Record] = []
        bad: list[tuple[int, bytes, str]] = []
        for pos, crc, body, tx in rows:
            body = bytes(body) if body is not None else b""
            if zlib.crc32(body) != crc:
                bad.append((pos, body, "its checksum does not match"))
            elif not body.startswith(codec.MAGIC):
                bad.append((pos, body, "it is not a queue record"))
            elif tx is not None:
                reserved.append((pos, body))
            else:
                live.append((pos, body))
        for pos, body, why in bad:
            self._set_aside(pos, body, why)
        tail = max((p for p, _ in live + reserved), default=0) + 1
        moves: list[Statement] = []
        for pos, body in reserved:
            moves.append((_TO_TAIL, (tail, self.name, pos)))
            live.append((tail, body))
            tail += 1
        if moves:
            self._db.execute(moves)
            log.info(
                "Persistent queue '%s': %d message(s) of unfinished transactions back at the tail",
                self.name,
                len(moves),
            )
        self._items.extend(live)
        self._peak = len(self._items)

    def _set_aside(self, pos: int, body: bytes, why: str) -> None:
        """Move a bad record out of the queue into its own 0600 file, and say where."""
        target = self._opened.folder.set_aside_path(f"{self.name}.{pos}", ".rec")
        try:
            create_private_file(target, body, exclusive=True)
            self._db.execute([(_DELETE, (self.name, pos))])
        except (OSError, StoreBrokenError) as exc:
            log.warning(
                "Persistent queue '%s': record %d in %s is unreadable (%s) and could not "
                "be set aside: %s",
                self.name,
                pos,
                self._db.path,
                why,
                exc,
            )
            return
        self.set_aside.append(target)
        log.warning(
            "Persistent queue '%s': record %d in %s is unreadable (%s); set aside as %s",
            self.name,
            pos,
            self._db.path,
            why,
            target,
        )

    # ------------------------------------------------------------ primitives

    def _append(self, item: Any) -> None:  # only reached through overridden methods
        raise NotImplementedError("PersistentQueueStore writes through offer/put_now")

    def _append_first(self, item: Any) -> None:
        raise NotImplementedError("PersistentQueueStore writes through untake")

    def _pop(self) -> Any:
        raise NotImplementedError("PersistentQueueStore reads through take/claim")

    def _size(self) -> int:
        return len(self._items)

    def _clear(self) -> int:
        raise NotImplementedError("PersistentQueueStore purges through purge")

    def _peek_all(self) -> list[Any]:
        return [codec.decode(body) for _, body in self._items]

    def _close_store(self) -> None:
        pass  # released in close(), outside the lock

    # ------------------------------------------------------------ puts

    def _encode(self, item: Any) -> tuple[bytes, int]:
        try:
            body = codec.encode(item)
        except Exception as exc:
            raise type(exc)(f"Queue '{self.name}': {exc}") from exc
        return body, zlib.crc32(body)

    def offer(self, item: Any, timeout: float | None = None) -> bool:
        body, crc = self._encode(item)
        with self._lock:
            self._check_open()
            if self.capacity and not self._wait_for_room(timeout):
                self._rejected += 1
                return False
            pos = self._tail
            self._tail += 1
            self._pending_puts += 1
        self._write_put(pos, body, crc)
        return True

    def put_now(self, item: Any) -> None:
        body, crc = self._encode(item)
        with self._lock:
            self._check_open()
            pos = self._tail
            self._tail += 1
            self._pending_puts += 1
        self._write_put(pos, body, crc)

    def untake(self, item: Any) -> None:
        body, crc = self._encode(item)
        with self._lock:
            self._check_open()
            pos = self._head
            self._head -= 1
            self._pending_puts += 1
        self._write_put(pos, body, crc, count=False)

    def _occupied(self) -> int:
        """Queued items plus puts not yet durable: they already hold their place."""
        return len(self._items) + self._pending_puts

    def _write_put(self, pos: int, body: bytes, crc: int, count: bool = True) -> None:
        try:
            self._db.execute(
                [(_INSERT, (self.name, pos, crc, body))],
                lambda: self._publish([(pos, body)], count),
            )
        except StoreBrokenError as exc:
            with self._lock:
                self._pending_puts -= 1
                if self._putters:
                    self._not_full.notify()
            raise StoreBrokenError(f"Queue '{self.name}': {exc}") from exc

    def _publish(self, records: Iterable[Record], count: bool = True) -> None:
        """Durable puts become visible, in position order. The takers they wake will
        each remove what they take: the database expects those changes."""
        added = 0
        with self._lock:
            waiting = self._takers
            items = self._items
            for record in records:
                added += 1
                self._pending_puts -= 1
                if not items or record[0] > items[-1][0]:
                    items.append(record)
                elif record[0] < items[0][0]:
                    items.appendleft(record)
                else:  # a concurrent producer's earlier position arriving late
                    at = bisect.bisect_left([p for p, _ in items], record[0])
                    items.insert(at, record)
                self._after_add(count)
        if waiting:
            self._db.expect(min(waiting, added))

    # ------------------------------------------------------------ takes

    def take(self, timeout: float | None = None) -> Any | None:
        return self._take(timeout, None, claim=False)

    def claim(
        self, timeout: float | None = None, until: threading.Event | None = None
    ) -> Any | None:
        return self._take(timeout, until, claim=True)

    def _take(self, timeout: float | None, until: threading.Event | None, claim: bool) -> Any:
        """Pop the head, make its removal durable, then hand out the decoded copy.
        A record that cannot be decoded is set aside and the next one is tried."""
        deadline = _deadline(timeout)
        while True:
            with self._lock:
                record = self._pop_record(deadline, until)
                if record is None:
                    return None
                self._removing += 1
                if claim:
                    self._claimed += 1
                self._after_take()
            item, ok = self._decode(record)
            try:
                if ok:
                    self._db.execute([(_DELETE, (self.name, record[0]))], urgent=True)
                else:
                    self._set_aside(record[0], record[1], "it cannot be decoded")
            except StoreBrokenError as exc:
                self._undo_takes([record], claim)
                raise StoreBrokenError(f"Queue '{self.name}': {exc}") from exc
            finally:
                with self._lock:
                    self._removing -= 1
            if ok:
                return item
            if claim:
                self.release_claim()

    def _pop_record(self, deadline: float | None, until: threading.Event | None) -> Record | None:
        """Lock held: the head record, waiting for one until ``deadline``; None if none came."""
        if not self._items and not self._wait_for_item(_time_left(deadline), until):
            return None
        return self._items.popleft()

    def _decode(self, record: Record) -> tuple[Any, bool]:
        try:
            return codec.decode(record[1]), True
        except Exception as exc:
            log.warning("Persistent queue '%s': record %d: %s", self.name, record[0], exc)
            return None, False

    def _undo_takes(self, records: Sequence[Record], claimed: bool) -> None:
        """Removal failed: the records are still on disk, so back at the head they go."""
        with self._lock:
            for record in reversed(records):
                self._items.appendleft(record)
                self._processed -= 1
                if claimed:
                    self._claimed -= 1
            self._changes += 1
            if self._takers:
                self._not_empty.notify(len(records))

    def _take_many(
        self, limit: int, timeout: float | None, until: threading.Event | None, claim: bool
    ) -> list[Any]:
        """Pop up to ``limit`` records (waiting up to ``timeout`` for the first), make
        their removal durable in one synced change, then hand out the decoded copies.
        Records that cannot be decoded are set aside (and their claims released)."""
        if limit <= 0:
            return []
        with self._lock:
            if not self._items and not self._wait_for_item(timeout, until):
                return []
            items = self._items
            records = [items.popleft() for _ in range(min(limit, len(items)))]
            n = len(records)
            self._removing += n
            self._processed += n
            if claim:
                self._claimed += n
            self._changes += 1
            if self._putters:
                self._not_full.notify(n)
        decoded = [self._decode(r) for r in records]
        deletes: list[Statement] = [
            (_DELETE, (self.name, pos))
            for (pos, _), (_, ok) in zip(records, decoded, strict=True)
            if ok
        ]
        try:
            if deletes:
                self._db.execute(deletes, urgent=True)
        except StoreBrokenError as exc:
            self._undo_takes(records, claimed=claim)
            raise StoreBrokenError(f"Queue '{self.name}': {exc}") from exc
        finally:
            with self._lock:
                self._removing -= n
        for record, (_, ok) in zip(records, decoded, strict=True):
            if not ok:
                self._set_aside(record[0], record[1], "it cannot be decoded")
                if claim:
                    self.release_claim()
        return [item for item, ok in decoded if ok]

    # ------------------------------------------------------------ transactions

    def reserve(
        self,
        tx: str | None = None,
        timeout: float | None = None,
        until: threading.Event | None = None,
    ) -> Reservation | None:
        """Take the head for a transaction: it leaves the queue (no other consumer gets
        it) but stays on disk marked ``tx`` until ``commit``/``rollback``. None when
        nothing came within ``timeout``. Counts as in flight in ``statistics()``."""
        tx = tx or uuid.uuid4().hex
        deadline = _deadline(timeout)
        while True:
            with self._lock:
                record = self._pop_record(deadline, until)
                if record is None:
                    return None
                self._in_flight += 1
                self._after_take()
            item, ok = self._decode(record)
            try:
                if ok:
                    self._db.execute([(_RESERVE, (tx, self.name, record[0]))], urgent=True)
                else:
                    self._set_aside(record[0], record[1], "it cannot be decoded")
            except StoreBrokenError as exc:
                with self._lock:
                    self._in_flight -= 1
                self._undo_takes([record], claimed=False)
                raise StoreBrokenError(f"Queue '{self.name}': {exc}") from exc
            if ok:
                return Reservation(self, record[0], record[1], item, tx)
            with self._lock:
                self._in_flight -= 1
                self._changes += 1

    def _finish_reserved(self, count: int) -> None:
        with self._lock:
            self._in_flight -= count
            self._changes += 1

    # ------------------------------------------------------------ other operations

    def purge(self) -> int:
        with self._lock:
            records = list(self._items)
            self._items.clear()
            self._changes += 1
            self._not_full.notify_all()
        if not records:
            return 0
        try:
            self._db.execute([(_DELETE, (self.name, pos)) for pos, _ in records])
        except StoreBrokenError as exc:
            self._undo_takes(records, claimed=False)
            with self._lock:
                self._processed += len(records)  # _undo_takes counts takes back
            raise StoreBrokenError(f"Queue '{self.name}': {exc}") from exc
        return len(records)

    def quiescence(self) -> tuple[bool, int]:
        with self._lock:
            quiet = (
                not self._items
                and self._claimed == 0
                and self._in_flight == 0
                and self._pending_puts == 0
                and self._removing == 0
            )
            return quiet, self._changes

    def byte_size(self) -> int:
        """How many bytes the queued records take (what ``mule-emu queues`` shows)."""
        with self._lock:
            return sum(len(body) for _, body in self._items)

    def close(self) -> None:
        """Refuse new items and release the folder; queued items stay on disk."""
        with self._lock:
            was_closed = self._closed
        super().close()
        if not was_closed:
            _detach(self)


# ----------------------------------------------------------------------------- transactions


def commit(
    takes: Sequence[Reservation] = (), puts: Sequence[tuple[PersistentQueueStore, Any]] = ()
) -> None:
    """Complete a transaction: its reserved takes are deleted and its puts appended
    (capacity is not checked, Q9), in one synced change per data folder; the puts become
    visible only then. ``StoreBrokenError`` leaves the reservations in place (a later
    ``rollback`` or the next start puts them back)."""
    encoded: list[tuple[PersistentQueueStore, bytes, int]] = []
    for store, item in puts:
        body, crc = store._encode(item)
        encoded.append((store, body, crc))
    by_db: dict[int, tuple[QueueDatabase, list[Statement], list[Any]]] = {}
    for r in takes:
        entry = by_db.setdefault(id(r.store._db), (r.store._db, [], []))
        entry[1].append((_DELETE, (r.store.name, r.position)))
    published: list[tuple[PersistentQueueStore, Record]] = []
    for store, body, crc in encoded:
        with store._lock:
            store._check_open()
            pos = store._tail
            store._tail += 1
            store._pending_puts += 1
        entry = by_db.setdefault(id(store._db), (store._db, [], []))
        entry[1].append((_INSERT, (store.name, pos, crc, body)))
        published.append((store, (pos, body)))
    try:
        for db, statements, _ in by_db.values():
            db.execute(statements)
    except StoreBrokenError:
        for store, _ in published:
            with store._lock:
                store._pending_puts -= 1
        raise
    for store, record in published:
        store._publish([record])
    _count_finished(takes)


def rollback(takes: Sequence[Reservation]) -> None:
    """Undo a transaction's takes: each goes back at the **tail** of its queue (P4)."""
    moves: dict[int, tuple[QueueDatabase, list[Statement]]] = {}
    published: list[tuple[PersistentQueueStore, Record]] = []
    for r in takes:
        store = r.store
        with store._lock:
            pos = store._tail
            store._tail += 1
            store._pending_puts += 1
        moves.setdefault(id(store._db), (store._db, []))[1].append(
            (_TO_TAIL, (pos, store.name, r.position))
        )
        published.append((store, (pos, r.body)))
    try:
        for db, statements in moves.values():
            db.execute(statements)
    except StoreBrokenError:
        for store, _ in published:
            with store._lock:
                store._pending_puts -= 1
        raise
    for store, record in published:
        store._publish([record], count=False)
    _count_finished(takes)


def _count_finished(takes: Sequence[Reservation]) -> None:
    counts: dict[int, tuple[PersistentQueueStore, int]] = {}
    for r in takes:
        store, n = counts.get(id(r.store), (r.store, 0))
        counts[id(r.store)] = (store, n + 1)
    for store, n in counts.values():
        store._finish_reserved(n)


def open_folders() -> list[Path]:
    """The queuestore folders this process holds open (diagnostics, tests)."""
    with _folders_lock:
        return list(_folders)


__all__ = [
    "PersistentQueueStore",
    "Reservation",
    "commit",
    "open_folders",
    "rollback",
]

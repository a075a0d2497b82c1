"""QueueDatabase: the SQLite file behind every persistent queue of one data folder, with
group commit.

Why SQLite: it is in the standard library, its write-ahead log makes a commit one
synced append (``journal_mode=WAL``, ``synchronous=FULL``), a torn tail of that log is
recognised by its frame checksums and ignored on open, and one transaction can touch
several queues, so a VM transaction that consumes from one queue and produces into
another commits atomically. ``benchmarks/bench_persistent.py`` measures it against
one write + fsync per record and against persist-queue.

Group commit: a writer never syncs alone if others are waiting. Each change is a
*ticket* (a few SQL statements plus a callback); the first waiting thread becomes the
leader, takes every pending ticket, runs them in one transaction with one sync, runs the
callbacks in ticket order, and wakes each owner; the owner of the oldest ticket that
arrived meanwhile leads the next round. Under 16 producers a round carries many
tickets, so durability costs far less than one sync per message. A failed round is
retried ticket by ticket so that one bad change does not fail its neighbours; what
still fails raises ``StoreBrokenError`` in the thread that asked for it, and nothing
already committed is touched.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from mule_emulator.errors import StoreBrokenError

log = logging.getLogger("mule.queue.persistent")

Statement = tuple[str, Sequence[Any]]

SCHEMA_VERSION = 1

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS queues (name TEXT PRIMARY KEY)",
    # One row per queued item. ``pos`` orders a queue (a put at the head takes a
    # position below the first); ``tx`` marks a row taken by a transaction that has not
    # committed (it goes back to the tail on rollback or on the next start).
    "CREATE TABLE IF NOT EXISTS messages ("
    " id INTEGER PRIMARY KEY,"
    " queue TEXT NOT NULL,"
    " pos INTEGER NOT NULL,"
    " crc INTEGER NOT NULL,"
    " body BLOB NOT NULL,"
    " tx TEXT)",
    "CREATE UNIQUE INDEX IF NOT EXISTS messages_order ON messages (queue, pos)",
)


class _Ticket:
    """One change waiting for a commit round. ``wake`` is held from creation until the
    ticket is done, or until its owner is handed the leadership of the next round."""

    __slots__ = ("callback", "done", "error", "statements", "wake")

    def __init__(self, statements: Sequence[Statement], callback: Callable[[], None] | None):
        self.statements = statements
        self.callback = callback
        self.done = False
        self.error: StoreBrokenError | None = None
        self.wake = threading.Lock()
        self.wake.acquire()


def _describe(exc: sqlite3.Error) -> str:
    text = str(exc)
    lowered = text.lower()
    if "full" in lowered:
        return f"the disk is full ({text})"
    if "readonly" in lowered or "read-only" in lowered:
        return f"the folder is read-only ({text})"
    return text


class QueueDatabase:
    """The one SQLite database of a data folder; thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn_lock = threading.RLock()
        self._mutex = threading.Lock()
        self._pending: list[_Ticket] = []
        self._leading = False
        self._closed = False
        self.rounds = 0  # commit rounds run (statistics: tickets per sync)
        self.tickets = 0
        self._conn = sqlite3.connect(
            str(path), isolation_level=None, check_same_thread=False, timeout=5.0
        )
        try:
            self._configure()
        except sqlite3.Error:
            self._conn.close()
            raise

    def _configure(self) -> None:
        c = self._conn
        mode = c.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise sqlite3.OperationalError(f"cannot use write-ahead logging (mode {mode})")
        c.execute("PRAGMA synchronous=FULL")
        c.execute("BEGIN IMMEDIATE")
        try:
            for sql in _SCHEMA:
                c.execute(sql)
            row = c.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is None:
                c.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            elif row[0] != str(SCHEMA_VERSION):
                raise sqlite3.DatabaseError(f"unknown schema version {row[0]}")
            c.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                c.execute("ROLLBACK")
            raise

    # ------------------------------------------------------------ reads (no sync)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of a read-only statement (opening a queue, inspection)."""
        with self._conn_lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StoreBrokenError(f"Cannot read {self.path}: {_describe(exc)}") from exc

    # ------------------------------------------------------------ durable changes

    def enqueue(
        self, statements: Sequence[Statement], callback: Callable[[], None] | None = None
    ) -> _Ticket:
        """Queue a change for the next commit round; ``wait(ticket)`` makes it durable.

        ``callback`` runs once the change is on disk, before any later round's
        callbacks, with no lock of this database held."""
        ticket = _Ticket(statements, callback)
        with self._mutex:
            if self._closed:
                raise StoreBrokenError(f"The queue database {self.path} is closed")
            self._pending.append(ticket)
        return ticket

    def wait(self, ticket: _Ticket) -> None:
        """Return once ``ticket`` is committed and synced; raise ``StoreBrokenError`` if
        it could not be. The calling thread may lead commit rounds meanwhile.

        Leadership passes from hand to hand without a thread of our own: a leader that
        finds changes pending after its round wakes the owner of the oldest one, which
        leads the next round; every other waiter sleeps on its own ticket until done."""
        with self._mutex:
            lead = not self._leading and not ticket.done
            if lead:
                self._leading = True
        if not lead:
            if not ticket.done:
                ticket.wake.acquire()
            if ticket.done:
                if ticket.error is not None:
                    raise ticket.error
                return
        # This thread leads: its own ticket is pending, so the round below takes it (and
        # releases its ``wake``, held since creation or since the hand-over).
        while True:
            with self._mutex:
                batch, self._pending = self._pending, []
            self._run_round(batch)
            with self._mutex:
                if not ticket.done:  # not reached: our ticket was in the batch
                    continue
                if self._pending:
                    self._pending[0].wake.release()  # the next round is theirs
                else:
                    self._leading = False
                break
        if ticket.error is not None:
            raise ticket.error

    def execute(
        self, statements: Sequence[Statement], callback: Callable[[], None] | None = None
    ) -> None:
        """``enqueue`` + ``wait``."""
        self.wait(self.enqueue(statements, callback))

    def _run_round(self, batch: list[_Ticket]) -> None:
        if not batch:
            return
        with self._conn_lock:
            error = self._commit(batch)
            if error is not None and len(batch) > 1:
                # Retry alone so one failing change does not fail the others.
                results = [(t, self._commit([t])) for t in batch]
            else:
                results = [(t, error) for t in batch]
            self.rounds += 1
            self.tickets += len(batch)
        for ticket, err in results:
            if err is None and ticket.callback is not None:
                try:
                    ticket.callback()
                except Exception:  # a bug in a callback must not leave waiters hanging
                    log.exception("Persistent queue callback failed")
            ticket.error = err
            ticket.done = True
            ticket.wake.release()

    def _commit(self, batch: Iterable[_Ticket]) -> StoreBrokenError | None:
        c = self._conn
        try:
            c.execute("BEGIN IMMEDIATE")
            # Runs of the same statement (a batch of puts or of removals, across
            # tickets) go to SQLite as one executemany: one prepared statement, one call.
            run_sql = ""
            run: list[Sequence[Any]] = []
            for ticket in batch:
                for sql, params in ticket.statements:
                    if sql != run_sql:
                        if run:
                            c.executemany(run_sql, run)
                        run_sql, run = sql, []
                    run.append(params)
            if run:
                c.executemany(run_sql, run)
            c.execute("COMMIT")
            return None
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                c.execute("ROLLBACK")
            return StoreBrokenError(f"Cannot write to {self.path}: {_describe(exc)}")

    # ------------------------------------------------------------ closing

    def close(self) -> None:
        """Checkpoint the log into the database file and close. Idempotent."""
        with self._mutex:
            if self._closed:
                return
            self._closed = True
        with self._conn_lock:
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.close()


__all__ = ["SCHEMA_VERSION", "QueueDatabase", "Statement"]

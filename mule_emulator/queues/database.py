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
import functools
import logging
import sqlite3
import threading
import time
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


# The two statements of every queue operation. Runs of them (a round's puts, a batch's
# removals) are merged into multi-row statements: SQLite does the same work, but each
# call into it gives up the GIL and must win it back, which under 16 producers costs
# more than the work itself.
INSERT_MESSAGE = "INSERT INTO messages (queue, pos, crc, body) VALUES (?, ?, ?, ?)"
DELETE_MESSAGE = "DELETE FROM messages WHERE queue = ? AND pos = ?"
_MAX_ROWS = 200  # rows per merged statement: 800 host parameters at most
_MAX_LINGER = 0.0005  # seconds a lone change waits for an expected one (``_linger``)

Step = tuple[str, Any, bool]  # (sql, parameters or rows of them, executemany?)


@functools.lru_cache(maxsize=2 * _MAX_ROWS)
def _insert_rows(n: int) -> str:
    return "INSERT INTO messages (queue, pos, crc, body) VALUES " + ", ".join(["(?, ?, ?, ?)"] * n)


@functools.lru_cache(maxsize=2 * _MAX_ROWS)
def _delete_rows(n: int) -> str:
    # ``pos IN (...)`` per queue: SQLite looks each one up in the (queue, pos) index
    # (a row-value ``(queue, pos) IN (...)`` would scan the table).
    return "DELETE FROM messages WHERE queue = ? AND pos IN (" + ", ".join(["?"] * n) + ")"


def _merge(sql: str, rows: list[Sequence[Any]]) -> list[Step]:
    """A run of one statement as few calls as possible, with the same effect."""
    if len(rows) == 1:
        return [(sql, rows[0], False)]
    steps: list[Step] = []
    if sql == INSERT_MESSAGE:
        for at in range(0, len(rows), _MAX_ROWS):
            chunk = rows[at : at + _MAX_ROWS]
            params = [value for row in chunk for value in row]
            steps.append((_insert_rows(len(chunk)), params, False))
        return steps
    if sql == DELETE_MESSAGE:  # removals of distinct rows: their order does not matter
        by_queue: dict[Any, list[Any]] = {}
        for queue, pos in rows:
            by_queue.setdefault(queue, []).append(pos)
        for queue, positions in by_queue.items():
            for at in range(0, len(positions), _MAX_ROWS):
                chunk = positions[at : at + _MAX_ROWS]
                steps.append((_delete_rows(len(chunk)), [queue, *chunk], False))
        return steps
    return [(sql, rows, True)]


def _plan(batch: Iterable[_Ticket]) -> list[Step]:
    """The calls that apply a round's statements in order: runs of the same statement
    (across tickets) merged."""
    steps: list[Step] = []
    run_sql = ""
    run: list[Sequence[Any]] = []
    for ticket in batch:
        for sql, params in ticket.statements:
            if sql != run_sql:
                if run:
                    steps.extend(_merge(run_sql, run))
                run_sql, run = sql, []
            run.append(params)
    if run:
        steps.extend(_merge(run_sql, run))
    return steps


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
        # Changes on their way: the owners of the last round's tickets (a producer puts
        # again, a consumer takes again) and the takers its puts woke. A round that
        # would carry one change waits a little for them (``_linger``).
        self._expected = 0
        self._arrival = threading.Condition(self._mutex)
        self._lingering = False
        self._commit_seconds = 0.0  # how long the last round's commit took
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
            if self._expected:
                self._expected -= 1
                if self._lingering:
                    self._arrival.notify()
        return ticket

    def expect(self, count: int) -> None:
        """``count`` more changes are on their way (a callback woke that many takers,
        each of which will remove what it takes)."""
        with self._mutex:
            self._expected += count

    def _linger(self) -> None:
        """Mutex held, one change pending while others are expected: wait until one of
        them arrives, at most half a commit, so that both share the sync.

        One producer and one consumer otherwise alternate: the producer's next put
        starts a round of its own just before the consumer's removal of the previous
        message arrives, and each then costs a sync. Waiting never weakens durability;
        it only delays the round, and by less than the sync it saves."""
        deadline = time.monotonic() + min(self._commit_seconds / 2, _MAX_LINGER)
        self._lingering = True
        try:
            while len(self._pending) == 1 and self._expected > 0 and not self._closed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._arrival.wait(remaining)
        finally:
            self._lingering = False

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
                if len(self._pending) == 1 and self._expected > 0:
                    self._linger()
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
            started = time.perf_counter()
            error = self._commit(batch)
            self._commit_seconds = time.perf_counter() - started
            if error is not None and len(batch) > 1:
                # Retry alone so one failing change does not fail the others.
                results = [(t, self._commit([t])) for t in batch]
            else:
                results = [(t, error) for t in batch]
            self.rounds += 1
            self.tickets += len(batch)
        with self._mutex:
            # Set before anyone is woken: each owner may come back with a new change.
            self._expected = len(batch)
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
        steps = _plan(batch)
        try:
            if len(steps) == 1 and not steps[0][2]:
                # One statement is its own transaction (autocommit): one call into
                # SQLite instead of three, each of which gives up the GIL and must win
                # it back while the producers are busy.
                c.execute(steps[0][0], steps[0][1])
                return None
            c.execute("BEGIN IMMEDIATE")
            for sql, params, many in steps:
                if many:
                    c.executemany(sql, params)
                else:
                    c.execute(sql, params)
            c.execute("COMMIT")
            return None
        except sqlite3.Error as exc:
            if c.in_transaction:
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


__all__ = ["DELETE_MESSAGE", "INSERT_MESSAGE", "SCHEMA_VERSION", "QueueDatabase", "Statement"]

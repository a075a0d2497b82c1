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
callbacks in ticket order, and wakes each owner; the owner of a ticket that
arrived meanwhile (a taker's first) leads the next round. Under 16 producers a round
carries many tickets, so durability costs far less than one sync per message. A
taker's removal (``urgent``) leads its own round: the consumer can remove at most a
receiver's batch per sync, so it must not wait a round more nor be woken for it. A
round of puts and removals is a single statement (one call into SQLite, one GIL
re-acquisition). A failed round is retried ticket by ticket so that one bad change
does not fail its neighbours; what still fails raises ``StoreBrokenError`` in the
thread that asked for it, and nothing already committed is touched.
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
    """One change waiting for a commit round. ``wake`` is held from creation; it is
    released (``QueueDatabase._signal``, once: ``signalled``) when the ticket is done
    or its owner is handed the leadership of the next round, and taken again by the
    owner."""

    __slots__ = ("callback", "done", "error", "signalled", "statements", "urgent", "wake")

    def __init__(
        self,
        statements: Sequence[Statement],
        callback: Callable[[], None] | None,
        urgent: bool = False,
    ):
        self.statements = statements
        self.callback = callback
        self.urgent = urgent
        self.signalled = False  # ``wake`` released and not yet taken: guarded by the mutex
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
_MAX_LINGER = 0.0005  # seconds a leader waits for expected changes (``_wait_for_arrivals``)

Step = tuple[str, Any, bool]  # (sql, parameters or rows of them, executemany?)


# A round of puts and removals as one statement (``_commit``): rows into a view of this
# connection whose triggers apply them in order. One statement in autocommit is its own
# transaction, so the round is one call into SQLite: each call gives up the GIL, and
# winning it back from 16 producers costs a consumer-led round 0.1-0.2 ms per call.
_CHANGES = (
    "CREATE TEMP VIEW IF NOT EXISTS changes (op, queue, pos, crc, body) AS"
    " SELECT NULL, NULL, NULL, NULL, NULL",
    "CREATE TEMP TRIGGER IF NOT EXISTS change_put INSTEAD OF INSERT ON changes"
    " WHEN NEW.op = 0 BEGIN"
    " INSERT INTO messages (queue, pos, crc, body)"
    " VALUES (NEW.queue, NEW.pos, NEW.crc, NEW.body); END",
    "CREATE TEMP TRIGGER IF NOT EXISTS change_remove INSTEAD OF INSERT ON changes"
    " WHEN NEW.op = 1 BEGIN"
    " DELETE FROM messages WHERE queue = NEW.queue AND pos = NEW.pos; END",
)


@functools.lru_cache(maxsize=_MAX_ROWS)
def _change_rows(n: int) -> str:
    return "INSERT INTO changes VALUES " + ", ".join(["(?, ?, ?, ?, ?)"] * n)


def _one_statement(batch: Iterable[_Ticket]) -> Statement | None:
    """A round of puts and removals only, up to ``_MAX_ROWS``, as one statement into
    the ``changes`` view (None: the round has other statements, or more rows)."""
    params: list[Any] = []
    rows = 0
    for ticket in batch:
        for sql, values in ticket.statements:
            if sql == INSERT_MESSAGE:
                params.append(0)
                params.extend(values)
            elif sql == DELETE_MESSAGE:
                params.extend((1, values[0], values[1], None, None))
            else:
                return None
            rows += 1
    if not 0 < rows <= _MAX_ROWS:
        return None
    return _change_rows(rows), params


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
        self._leader: _Ticket | None = None  # the ticket whose owner leads rounds now
        self._running = False  # the leader is running a round
        self._closed = False
        self.rounds = 0  # commit rounds run (statistics: tickets per sync)
        self.tickets = 0
        # Changes on their way: the owners of the last round's tickets (a producer puts
        # again, a consumer takes again) and the takers its puts woke. A round that
        # would carry one change waits a little for them (``_wait_for_arrivals``).
        self._expected = 0
        self._arrival = threading.Condition(self._mutex)
        self._lingering = False
        # Of those, the takers: each will remove what it takes.
        self._takers_expected = 0
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
        for sql in _CHANGES:  # TEMP: this connection's, nothing written to the file
            c.execute(sql)

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
        self,
        statements: Sequence[Statement],
        callback: Callable[[], None] | None = None,
        urgent: bool = False,
    ) -> _Ticket:
        """Queue a change for the next commit round; ``wait(ticket)`` makes it durable.

        ``callback`` runs once the change is on disk, before any later round's
        callbacks, with no lock of this database held. ``urgent``: a taker's removal;
        everything it took waits for it, so it takes over the leadership of the next
        round when no round is running (see ``wait``)."""
        ticket = _Ticket(statements, callback, urgent)
        with self._mutex:
            if self._closed:
                raise StoreBrokenError(f"The queue database {self.path} is closed")
            self._pending.append(ticket)
            if self._expected:
                self._expected -= 1
                if self._lingering:
                    self._arrival.notify()
            if urgent:
                if self._takers_expected:
                    self._takers_expected -= 1
                leader = self._leader
                if leader is not None and not leader.urgent and not self._running:
                    # The leader has not started its round (it is waiting for changes,
                    # or has just been handed the round and is still waking up): the
                    # round is this taker's, the leader waits like any other owner.
                    # A leader still asleep has its ``wake`` released: take that back,
                    # so it sleeps on until its change is done. One already awake holds
                    # its ``wake`` and finds out that it no longer leads (``wait``).
                    if leader.signalled and leader.wake.acquire(blocking=False):
                        leader.signalled = False
                    self._leader = ticket
                    self._signal(ticket)
                    self._arrival.notify()
        return ticket

    def expect(self, count: int) -> None:
        """``count`` more changes are on their way (a callback woke that many takers,
        each of which will remove what it takes)."""
        with self._mutex:
            self._expected += count
            self._takers_expected += count

    def _wait_for_arrivals(self, ticket: _Ticket) -> None:
        """Mutex held, leading, before a round: wait a little for changes on their way,
        at most half the last commit (0.5 ms), so that they share the sync.

        - A taker's removal (``_takers_expected``): under many producers the taker is
          the bottleneck, removing at most a receiver's batch per synced change (R3).
          When it arrives it takes the round over (``enqueue``) and returns as soon as
          the round is done, instead of waiting a round more and being woken with 16
          producers to fight for the GIL.
        - One lone change while others are expected: one producer and one consumer
          otherwise alternate, each round carrying one change and costing a sync.

        Waiting never weakens durability; it only delays the round, and by less than
        the sync it saves. A taker that does not come in time is not expected again
        until woken."""
        if not self._worth_waiting(ticket):
            return
        deadline = time.monotonic() + min(self._commit_seconds / 2, _MAX_LINGER)
        self._lingering = True
        try:
            while self._leader is ticket and self._worth_waiting(ticket):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._takers_expected = 0
                    break
                self._arrival.wait(remaining)
        finally:
            self._lingering = False

    def _worth_waiting(self, ticket: _Ticket) -> bool:
        """Mutex held: whether the round of ``ticket``'s leader should wait (see
        ``_wait_for_arrivals``)."""
        if self._closed:
            return False
        if self._takers_expected and not ticket.urgent:
            return not any(t.urgent for t in self._pending)
        return len(self._pending) == 1 and self._expected > 0

    def wait(self, ticket: _Ticket) -> None:
        """Return once ``ticket`` is committed and synced; raise ``StoreBrokenError`` if
        it could not be. The calling thread may lead commit rounds meanwhile.

        Leadership passes from hand to hand without a thread of our own: a leader that
        finds changes pending after its round wakes the owner of one of them (a taker's
        if any, else the oldest), which leads the next round; every other waiter sleeps
        on its own ticket until done. A taker's removal that arrives before the next
        round has started takes the leadership over (``enqueue``)."""
        with self._mutex:
            lead = self._leader is None and not ticket.done
            if lead:
                self._leader = ticket
        while True:
            if not lead:
                if not ticket.done:
                    ticket.wake.acquire()
                with self._mutex:
                    ticket.signalled = False
                    done = ticket.done
                    lead = not done and self._leader is ticket  # handed the round
                if done:
                    if ticket.error is not None:
                        raise ticket.error
                    return
                if not lead:  # a taker took the round over: sleep on
                    continue
            # This thread leads: its own ticket is pending, so a round it runs takes it
            # (and releases its ``wake``, held since creation or since the hand-over).
            if self._lead(ticket):
                break
            lead = False
        if ticket.error is not None:
            raise ticket.error

    def _lead(self, ticket: _Ticket) -> bool:
        """Run rounds until ``ticket`` is done (True), or until a taker takes the round
        over (False: ``ticket`` is still pending; its owner waits for it)."""
        while True:
            with self._mutex:
                self._wait_for_arrivals(ticket)
                if self._leader is not ticket:
                    return False
                batch, self._pending = self._pending, []
                self._running = True
            try:
                self._run_round(batch)
            finally:
                with self._mutex:
                    self._running = False
                    if ticket.done:
                        self._hand_over()
            if ticket.done:
                return True

    def _hand_over(self) -> None:
        """Mutex held, a round done: the next round is the owner's of a pending change,
        a taker's if one is pending."""
        pending = self._pending
        if not pending:
            self._leader = None
            return
        nxt = next((t for t in pending if t.urgent), pending[0])
        self._leader = nxt
        self._signal(nxt)

    @staticmethod
    def _signal(ticket: _Ticket) -> None:
        """Mutex held: wake the owner of ``ticket`` (at most one pending wake-up)."""
        if not ticket.signalled:
            ticket.signalled = True
            ticket.wake.release()

    def execute(
        self,
        statements: Sequence[Statement],
        callback: Callable[[], None] | None = None,
        urgent: bool = False,
    ) -> None:
        """``enqueue`` + ``wait``."""
        self.wait(self.enqueue(statements, callback, urgent))

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
            # A taker still on its way stays expected.
            self._takers_expected = max(self._takers_expected, sum(1 for t in batch if t.urgent))
        for ticket, err in results:
            if err is None and ticket.callback is not None:
                try:
                    ticket.callback()
                except Exception:  # a bug in a callback must not leave waiters hanging
                    log.exception("Persistent queue callback failed")
            ticket.error = err
        with self._mutex:
            for ticket, _ in results:
                ticket.done = True
            # Takers first: woken together with the producers, a taker would wait its
            # turn for the GIL behind them.
            for ticket, _ in results:
                if ticket.urgent:
                    self._signal(ticket)
            for ticket, _ in results:
                if not ticket.urgent:
                    self._signal(ticket)

    def _commit(self, batch: list[_Ticket]) -> StoreBrokenError | None:
        """Apply ``batch`` in one synced transaction, with as few calls into SQLite as
        possible: each call gives up the GIL and must win it back from the producers,
        which in a taker-led round delays the taker (0.1-0.2 ms a call, 16 producers)."""
        c = self._conn
        steps = _plan(batch)
        try:
            if len(steps) == 1 and not steps[0][2]:
                # One statement is its own transaction (autocommit).
                c.execute(steps[0][0], steps[0][1])
                return None
            one = _one_statement(batch)
            if one is not None:
                c.execute(*one)
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

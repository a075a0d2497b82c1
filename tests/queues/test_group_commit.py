"""QueueDatabase's commit rounds: merged statements, single-statement and one-call rounds,
a lone change waiting for the one it expects, and a taker's removal taking the round
over."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mule_emulator.errors import StoreBrokenError
from mule_emulator.queues import database
from mule_emulator.queues.database import DELETE_MESSAGE, INSERT_MESSAGE, QueueDatabase
from mule_emulator.queues.persistent import PersistentQueueStore


@pytest.fixture
def db(tmp_path: Path) -> Iterator[QueueDatabase]:
    opened = QueueDatabase(tmp_path / "queues.db")
    yield opened
    opened.close()


def _rows(db: QueueDatabase) -> list[tuple[object, ...]]:
    return db.query("SELECT queue, pos, crc, body FROM messages ORDER BY queue, pos")


def _until(condition: object, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True


def test_puts_and_removals_of_many_tickets_and_queues_apply_in_order(
    db: QueueDatabase,
) -> None:
    tickets = [
        db.enqueue([(INSERT_MESSAGE, (q, pos, pos, b"x%d" % pos))])
        for pos in range(1, 7)
        for q in ("a", "b")
    ]
    tickets.append(
        db.enqueue(
            [(DELETE_MESSAGE, ("a", 2)), (DELETE_MESSAGE, ("b", 5)), (DELETE_MESSAGE, ("a", 4))]
        )
    )
    # A put after the removals, into a position just removed: order is kept.
    tickets.append(db.enqueue([(INSERT_MESSAGE, ("a", 2, 99, b"again"))]))
    before = db.rounds
    for t in tickets:
        db.wait(t)
    assert db.rounds - before == 1
    assert _rows(db) == [
        ("a", 1, 1, b"x1"),
        ("a", 2, 99, b"again"),
        ("a", 3, 3, b"x3"),
        ("a", 5, 5, b"x5"),
        ("a", 6, 6, b"x6"),
        ("b", 1, 1, b"x1"),
        ("b", 2, 2, b"x2"),
        ("b", 3, 3, b"x3"),
        ("b", 4, 4, b"x4"),
        ("b", 6, 6, b"x6"),
    ]


def test_a_round_larger_than_one_merged_statement_is_split(db: QueueDatabase) -> None:
    n = 2 * database._MAX_ROWS + 7
    tickets = [db.enqueue([(INSERT_MESSAGE, ("q", pos, 0, b"b"))]) for pos in range(n)]
    for t in tickets:
        db.wait(t)
    assert db.query("SELECT COUNT(*) FROM messages") == [(n,)]
    db.execute([(DELETE_MESSAGE, ("q", pos)) for pos in range(n - 1)])
    assert db.query("SELECT pos FROM messages") == [(n - 1,)]


def test_a_failing_merged_put_fails_only_its_own_ticket(db: QueueDatabase) -> None:
    db.execute([(INSERT_MESSAGE, ("q", 1, 0, b"first"))])
    good = db.enqueue([(INSERT_MESSAGE, ("q", 2, 0, b"good"))])
    clash = db.enqueue([(INSERT_MESSAGE, ("q", 1, 0, b"clash"))])  # (queue, pos) is unique
    other = db.enqueue([(INSERT_MESSAGE, ("q", 3, 0, b"other"))])
    db.wait(good)
    db.wait(other)
    with pytest.raises(StoreBrokenError, match="UNIQUE"):
        db.wait(clash)
    assert [r[3] for r in _rows(db)] == [b"first", b"good", b"other"]


def test_a_failing_single_statement_round_leaves_no_transaction_open(
    db: QueueDatabase,
) -> None:
    db.execute([(INSERT_MESSAGE, ("q", 1, 0, b"first"))])
    with pytest.raises(StoreBrokenError, match="UNIQUE"):
        db.execute([(INSERT_MESSAGE, ("q", 1, 0, b"clash"))])
    assert not db._conn.in_transaction
    db.execute([(INSERT_MESSAGE, ("q", 2, 0, b"next"))])
    assert [r[3] for r in _rows(db)] == [b"first", b"next"]


def test_a_lone_change_waits_for_an_expected_one_and_shares_its_sync(
    db: QueueDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "_MAX_LINGER", 10.0)
    db.execute([(INSERT_MESSAGE, ("q", 1, 0, b"warm-up"))])  # a commit time to go by
    db._commit_seconds = 20.0
    db.expect(1)
    first = db.enqueue([(INSERT_MESSAGE, ("q", 2, 0, b"lone"))])
    done = threading.Event()

    def lead() -> None:
        db.wait(first)
        done.set()

    before = db.rounds
    leader = threading.Thread(target=lead)
    leader.start()
    try:
        assert _until(lambda: db._lingering)
        assert not done.is_set()
        db.execute([(DELETE_MESSAGE, ("q", 1))], urgent=True)  # the taker's removal
        assert done.wait(5)
    finally:
        leader.join(5)
    assert db.rounds - before == 1
    assert [r[3] for r in _rows(db)] == [b"lone"]


def test_a_lone_change_waits_at_most_half_a_commit(
    db: QueueDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "_MAX_LINGER", 0.05)
    db.execute([(INSERT_MESSAGE, ("q", 1, 0, b"warm-up"))])
    db._commit_seconds = 20.0
    db.expect(5)  # nobody comes
    started = time.monotonic()
    db.execute([(INSERT_MESSAGE, ("q", 2, 0, b"alone"))])
    waited = time.monotonic() - started
    assert 0.04 <= waited < 5
    assert len(_rows(db)) == 2


def test_nothing_expected_means_no_wait(db: QueueDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database, "_MAX_LINGER", 10.0)
    db.execute([(INSERT_MESSAGE, ("q", 1, 0, b"a"))])
    db._commit_seconds = 20.0  # would allow a 10 s wait
    # The owner of the last round's only ticket is the one coming back: nothing else
    # is expected, so the round starts at once.
    started = time.monotonic()
    db.execute([(INSERT_MESSAGE, ("q", 2, 0, b"b"))])
    assert time.monotonic() - started < 2


def test_a_put_that_wakes_a_taker_tells_the_database_to_expect_its_removal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = PersistentQueueStore("q", 0, tmp_path / "queuestore")
    try:
        expected: list[int] = []
        monkeypatch.setattr(store._db, "expect", expected.append)
        store.put("nobody waits")
        assert expected == []
        assert store.take(0) == "nobody waits"
        got: list[object] = []
        taker = threading.Thread(target=lambda: got.append(store.take(5)))
        taker.start()
        assert _until(lambda: store._takers == 1)
        store.put("for the taker")
        taker.join(5)
        assert got == ["for the taker"]
        assert expected == [1]
    finally:
        store.close()


class _CountingConnection:
    """The database's connection, counting the calls made into SQLite."""

    def __init__(self, conn: object) -> None:
        self._conn = conn
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self._conn, name)

    def execute(self, sql: str, *args: object) -> object:
        self.calls.append(sql.split()[0])
        return self._conn.execute(sql, *args)  # type: ignore[attr-defined]

    def executemany(self, sql: str, *args: object) -> object:
        self.calls.append(sql.split()[0])
        return self._conn.executemany(sql, *args)  # type: ignore[attr-defined]


def test_a_round_of_puts_and_removals_is_one_call_into_sqlite(
    db: QueueDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    db.execute([(INSERT_MESSAGE, ("q", pos, 0, b"old")) for pos in (1, 2)])
    counting = _CountingConnection(db._conn)
    monkeypatch.setattr(db, "_conn", counting)
    tickets = [db.enqueue([(INSERT_MESSAGE, ("q", pos, pos, b"new"))]) for pos in (3, 4)]
    tickets.append(db.enqueue([(DELETE_MESSAGE, ("q", 1)), (DELETE_MESSAGE, ("q", 2))]))
    tickets.append(db.enqueue([(INSERT_MESSAGE, ("r", 1, 7, b"other queue"))]))
    before = db.rounds
    for t in tickets:
        db.wait(t)
    assert db.rounds - before == 1
    assert counting.calls == ["INSERT"]  # into the ``changes`` view, in autocommit
    assert _rows(db) == [("q", 3, 3, b"new"), ("q", 4, 4, b"new"), ("r", 1, 7, b"other queue")]


def test_a_round_with_other_statements_runs_as_a_transaction(
    db: QueueDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    db.execute([(INSERT_MESSAGE, ("q", 1, 0, b"reserved"))])
    counting = _CountingConnection(db._conn)
    monkeypatch.setattr(db, "_conn", counting)
    reserve = "UPDATE messages SET tx = ? WHERE queue = ? AND pos = ?"
    tickets = [
        db.enqueue([(reserve, ("tx1", "q", 1))]),
        db.enqueue([(INSERT_MESSAGE, ("q", 2, 0, b"put"))]),
    ]
    for t in tickets:
        db.wait(t)
    assert counting.calls[0] == "BEGIN" and counting.calls[-1] == "COMMIT"
    assert db.query("SELECT pos, tx FROM messages ORDER BY pos") == [(1, "tx1"), (2, None)]


def test_a_failing_row_of_a_one_call_round_fails_only_its_own_ticket(
    db: QueueDatabase,
) -> None:
    db.execute([(INSERT_MESSAGE, ("q", 1, 0, b"first"))])
    removal = db.enqueue([(DELETE_MESSAGE, ("q", 1))])
    clash = db.enqueue([(INSERT_MESSAGE, ("q", 5, 0, b"a")), (INSERT_MESSAGE, ("q", 5, 0, b"b"))])
    put = db.enqueue([(INSERT_MESSAGE, ("q", 6, 0, b"kept"))])
    db.wait(removal)
    db.wait(put)
    with pytest.raises(StoreBrokenError, match="UNIQUE"):
        db.wait(clash)
    assert [r[3] for r in _rows(db)] == [b"kept"]
    assert not db._conn.in_transaction


def test_a_taker_arriving_while_the_leader_waits_for_it_takes_the_round_over(
    db: QueueDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "_MAX_LINGER", 10.0)
    db.execute([(INSERT_MESSAGE, ("q", 1, 0, b"queued"))])
    db._commit_seconds = 20.0
    db.expect(1)  # a taker was woken: its removal is on its way
    leaders: list[str] = []
    run_round = db._run_round

    def recording(batch: list[database._Ticket]) -> None:
        leaders.append(threading.current_thread().name)
        run_round(batch)

    monkeypatch.setattr(db, "_run_round", recording)
    put = db.enqueue([(INSERT_MESSAGE, ("q", 2, 0, b"put"))])
    done = threading.Event()

    def produce() -> None:
        db.wait(put)
        done.set()

    producer = threading.Thread(target=produce, name="producer")
    producer.start()
    try:
        assert _until(lambda: db._lingering)  # the producer leads and waits for the taker
        assert not done.is_set()
        db.execute([(DELETE_MESSAGE, ("q", 1))], urgent=True)
        assert done.wait(5)
    finally:
        producer.join(5)
    assert leaders == [threading.current_thread().name]  # one round, run by the taker
    assert [r[3] for r in _rows(db)] == [b"put"]


def test_a_taker_that_does_not_come_is_waited_for_at_most_half_a_commit(
    db: QueueDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "_MAX_LINGER", 0.05)
    db.execute([(INSERT_MESSAGE, ("q", 1, 0, b"warm-up"))])
    db._commit_seconds = 20.0
    db.expect(1)
    started = time.monotonic()
    db.execute([(INSERT_MESSAGE, ("q", 2, 0, b"a"))])
    assert 0.04 <= time.monotonic() - started < 5
    assert db._takers_expected == 0  # not expected again until woken
    monkeypatch.setattr(database, "_MAX_LINGER", 10.0)
    db._commit_seconds = 20.0
    started = time.monotonic()
    db.execute([(INSERT_MESSAGE, ("q", 3, 0, b"b"))])
    assert time.monotonic() - started < 5


def test_a_leader_still_asleep_hands_its_round_to_an_arriving_taker(
    db: QueueDatabase,
) -> None:
    put = db.enqueue([(INSERT_MESSAGE, ("q", 1, 0, b"put"))])
    with db._mutex:  # a finished round handed the next one to the put's owner
        db._leader = put
        db._hand_over()
        assert db._leader is put and put.signalled
    removal = db.enqueue([(DELETE_MESSAGE, ("q", 9))], urgent=True)
    assert db._leader is removal
    assert not put.signalled and put.wake.locked()  # its wake-up was taken back
    done = threading.Event()

    def produce() -> None:
        db.wait(put)
        done.set()

    producer = threading.Thread(target=produce)
    producer.start()
    try:
        db.wait(removal)  # the taker leads: both in its round
        assert done.wait(5)
    finally:
        producer.join(5)
    assert db._leader is None
    assert [r[3] for r in _rows(db)] == [b"put"]


def test_the_next_round_goes_to_a_pending_taker_first(db: QueueDatabase) -> None:
    first = db.enqueue([(INSERT_MESSAGE, ("q", 1, 0, b"a"))])
    removal = db.enqueue([(DELETE_MESSAGE, ("q", 1))], urgent=True)
    with db._mutex:
        db._leader = first
        db._hand_over()
        assert db._leader is removal and removal.signalled and not first.signalled
    done = threading.Event()
    thread = threading.Thread(target=lambda: (db.wait(first), done.set()))
    thread.start()
    try:
        db.wait(removal)
        assert done.wait(5)
    finally:
        thread.join(5)
    assert _rows(db) == []


@pytest.mark.parametrize("run", range(3))
def test_many_producers_and_a_batch_taker_deliver_each_put_once_in_order(
    tmp_path: Path, run: int
) -> None:
    store = PersistentQueueStore("q", 0, tmp_path / "queuestore")
    producers, each = 8, 150
    taken: list[tuple[int, int]] = []
    errors: list[BaseException] = []

    def produce(k: int) -> None:
        try:
            for i in range(each):
                store.put((k, i))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def consume() -> None:
        try:
            while len(taken) < producers * each:
                got = store.take_batch(8, 5.0)
                if not got:
                    return
                taken.extend(got)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=produce, args=(k,)) for k in range(producers)]
    threads.append(threading.Thread(target=consume))
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not any(t.is_alive() for t in threads)
        assert errors == []
        assert sorted(taken) == [(k, i) for k in range(producers) for i in range(each)]
        for k in range(producers):  # each producer's puts come out in its order
            assert [i for p, i in taken if p == k] == list(range(each))
        assert store.size() == 0
        assert store._db.query("SELECT COUNT(*) FROM messages") == [(0,)]
    finally:
        store.close()

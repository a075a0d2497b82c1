"""QueueDatabase's commit rounds: merged statements, single-statement rounds, and a lone
change waiting for the one it expects."""

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
        db.execute([(DELETE_MESSAGE, ("q", 1))])  # the expected change
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

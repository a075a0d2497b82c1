"""PersistentQueueStore beyond the shared contract: durability, recovery order,
transactions, the codec, corrupt records, broken disks."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mule_emulator.errors import SerializationError, StoreBrokenError
from mule_emulator.queues import codec, persistent
from mule_emulator.queues.database import QueueDatabase
from mule_emulator.queues.persistent import PersistentQueueStore
from mule_emulator.runtime.message import (
    NULL_PAYLOAD,
    ExceptionPayload,
    MuleEvent,
    MuleMessage,
    MuleSession,
)

Open = Callable[..., PersistentQueueStore]


@pytest.fixture
def open_store(tmp_path: Path) -> Iterator[Open]:
    """``open_store(name="q", capacity=0)`` on one queuestore folder; closed at the end."""
    made: list[PersistentQueueStore] = []

    def make(name: str = "q", capacity: int = 0) -> PersistentQueueStore:
        store = PersistentQueueStore(name, capacity, tmp_path / "queuestore")
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()
    assert persistent.open_folders() == []


def drain(store: PersistentQueueStore) -> list[object]:
    out = []
    while (item := store.take(0)) is not None:
        out.append(item)
    return out


class Custom:
    """A stand-in's own payload type: pickled, as Java would serialise it."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Custom) and other.value == self.value


# ----------------------------------------------------------------------------- restart


def test_messages_come_back_in_order_after_a_restart(open_store: Open) -> None:
    q = open_store()
    for i in range(5):
        q.put(f"m{i}")
    q.untake("first")
    assert q.take(0) == "first"
    q.untake("head")
    q.close()
    again = open_store()
    assert again.size() == 6
    assert drain(again) == ["head", "m0", "m1", "m2", "m3", "m4"]


def test_a_take_is_durable_before_it_returns(open_store: Open) -> None:
    q = open_store()
    for i in range(3):
        q.put(i)
    assert q.take(0) == 0
    assert q.take_batch(1) == [1]
    q.close()
    assert drain(open_store()) == [2]


def test_purge_is_durable(open_store: Open) -> None:
    q = open_store()
    q.put("a")
    q.put("b")
    assert q.purge() == 2
    q.close()
    assert open_store().size() == 0


def test_queues_of_one_folder_are_independent(open_store: Open) -> None:
    a, b = open_store("a"), open_store("b")
    a.put("for a")
    b.put("for b")
    a.close()
    b.close()
    assert drain(open_store("b")) == ["for b"]
    assert drain(open_store("a")) == ["for a"]


def test_a_queue_opens_once_per_folder(open_store: Open) -> None:
    open_store("x")
    with pytest.raises(StoreBrokenError, match="already open"):
        open_store("x")


# ----------------------------------------------------------------------------- transactions


def test_rollback_puts_a_reserved_item_back_at_the_tail(open_store: Open) -> None:
    q = open_store()
    for item in ("a", "b", "c"):
        q.put(item)
    r = q.reserve(timeout=0)
    assert r is not None and r.item == "a"
    assert q.statistics().in_flight == 1
    assert q.quiescence()[0] is False
    persistent.rollback([r])
    assert q.statistics().in_flight == 0
    assert drain(q) == ["b", "c", "a"]


def test_commit_deletes_takes_and_publishes_puts_atomically(open_store: Open) -> None:
    src, dst = open_store("src"), open_store("dst")
    src.put("order-1")
    r = src.reserve(timeout=0)
    assert r is not None
    assert dst.size() == 0
    persistent.commit([r], [(dst, "shipped-1"), (dst, "shipped-2")])
    assert (src.size(), dst.size()) == (0, 2)
    src.close()
    dst.close()
    assert drain(open_store("src")) == []
    assert drain(open_store("dst")) == ["shipped-1", "shipped-2"]


def test_an_unfinished_transaction_comes_back_at_the_tail_after_a_restart(
    open_store: Open,
) -> None:
    q = open_store()
    for item in ("a", "b", "c"):
        q.put(item)
    r = q.reserve(timeout=0)
    assert r is not None and r.item == "a"
    q.close()  # as a crash would: no commit, no rollback
    assert drain(open_store()) == ["b", "c", "a"]


def test_staged_puts_never_reach_the_disk_without_commit(open_store: Open) -> None:
    q = open_store()
    r = None
    q.put("x")
    r = q.reserve(timeout=0)
    assert r is not None
    q.close()
    again = open_store()
    assert drain(again) == ["x"]


# ----------------------------------------------------------------------------- codec


def test_a_mule_message_round_trips_with_every_field(open_store: Open) -> None:
    m = MuleMessage(
        {"k": [1, 2.5, None, True], 3: (b"\x00\xff", NULL_PAYLOAD)},
        outbound={"MyProp": "v", "MULE_SESSION": MuleSession.of({"s": 1})},
        inbound={"In": b"raw"},
        mime_type="text/plain",
        encoding="UTF-16",
    )
    m.root_id = "root-1"
    m.inbound_attachments = {"a": (b"data", "application/octet-stream")}
    m.outbound_attachments = {"b": ("text", "text/plain")}
    m.exception_payload = ExceptionPayload(ValueError("boom"), "boom")
    q = open_store()
    q.put(m)
    got = q.take(0)
    assert isinstance(got, MuleMessage) and got is not m
    assert got.payload == m.payload
    assert (got.id, got.root_id, got.mime_type, got.encoding) == (
        m.id,
        "root-1",
        "text/plain",
        "UTF-16",
    )
    assert list(got.outbound) == ["MyProp", "MULE_SESSION"]
    assert got.outbound["myprop"] == "v"
    assert got.outbound["MULE_SESSION"].vars == {"s": 1}
    assert dict(got.inbound) == {"In": b"raw"}
    assert got.inbound_attachments == m.inbound_attachments
    assert got.outbound_attachments == m.outbound_attachments
    assert got.exception_payload is not None
    assert isinstance(got.exception_payload.exception, ValueError)
    assert got.exception_payload.message == "boom"


def test_an_event_round_trips_with_its_flow_name(open_store: Open) -> None:
    class FlowLike:
        name = "main"

    event = MuleEvent.of(
        MuleMessage("p"),
        flow=FlowLike(),
        session=MuleSession.of({"sv": [1]}),
        flow_vars={"fv": ("t",)},
        exchange_pattern="one-way",
    )
    q = open_store()
    q.put(event)
    got = q.take(0)
    assert isinstance(got, MuleEvent)
    assert got.flow_name == "main"
    assert got.message.payload == "p" and got.message.id == event.message.id
    assert got.session.vars == {"sv": [1]} and got.flow_vars == {"fv": ("t",)}


def test_the_consumer_gets_a_copy(open_store: Open) -> None:
    payload = {"n": 1}
    q = open_store()
    q.put(payload)
    payload["n"] = 2
    assert q.take(0) == {"n": 1}


def test_objects_are_pickled_and_inspection_never_unpickles(open_store: Open) -> None:
    q = open_store()
    q.put(Custom(7))
    body = codec.encode(Custom(7))
    opaque = codec.decode(body, allow_pickle=False)
    assert isinstance(opaque, codec.OpaqueValue)
    assert opaque.type_name.endswith("Custom")
    assert q.take(0) == Custom(7)


def test_an_unserializable_payload_fails_the_put_and_leaves_the_queue_alone(
    open_store: Open,
) -> None:
    q = open_store()
    q.put("before")
    with pytest.raises(SerializationError, match=r"Queue 'q'.*lock"):
        q.put(MuleMessage(threading.Lock()))
    assert q.statistics().offered == 1
    assert drain(q) == ["before"]


@pytest.mark.parametrize(
    "value",
    ["", "ünïcode \U0001f600", 2**80, -0.0, float("inf"), [], {}, (), b"", [[{"a": (1,)}]]],
)
def test_plain_values_round_trip_exactly(value: object) -> None:
    got = codec.decode(codec.encode(value))
    assert got == value and type(got) is type(value)


def test_garbage_is_a_corrupt_record_not_a_crash() -> None:
    for data in (b"", b"M1{", b"M1[1]", b'M1{"zz":1}', b"xx"):
        with pytest.raises(codec.CorruptRecordError):
            codec.decode(data)


# ----------------------------------------------------------------------------- corruption


def _corrupt_body(folder: Path, queue: str, index: int, body: bytes | None = None) -> None:
    conn = sqlite3.connect(folder / "queues.db")
    rows = conn.execute(
        "SELECT pos, body FROM messages WHERE queue = ? ORDER BY pos", (queue,)
    ).fetchall()
    pos, old = rows[index]
    new = body if body is not None else bytes(old[:-2]) + b"#" + bytes(old[-1:])
    conn.execute("UPDATE messages SET body = ? WHERE queue = ? AND pos = ?", (new, queue, pos))
    conn.commit()
    conn.close()


def test_a_record_failing_its_checksum_is_set_aside_and_the_rest_served(
    open_store: Open, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    q = open_store("orders")
    for i in range(4):
        q.put(f"m{i}")
    q.close()
    _corrupt_body(tmp_path / "queuestore", "orders", 1)
    with caplog.at_level(logging.WARNING, logger="mule.queue.persistent"):
        again = open_store("orders")
    assert drain(again) == ["m0", "m2", "m3"]
    assert len(again.set_aside) == 1
    aside = again.set_aside[0]
    assert aside.parent == tmp_path / "queuestore" / "corrupt"
    assert aside.stat().st_mode & 0o777 == 0o600
    assert aside.read_bytes() == b'M1"m#"'  # the bytes as found
    assert str(aside) in caplog.text and "checksum" in caplog.text
    again.close()
    assert drain(open_store("orders")) == []  # set aside once, not again


def test_a_record_that_cannot_be_decoded_is_set_aside_at_take(
    open_store: Open, tmp_path: Path
) -> None:
    import zlib

    q = open_store()
    q.put("a")
    q.put("b")
    q.close()
    bad = b'M1{"nope":'
    conn = sqlite3.connect(tmp_path / "queuestore" / "queues.db")
    conn.execute(
        "UPDATE messages SET body = ?, crc = ? WHERE pos = (SELECT MIN(pos) FROM messages)",
        (bad, zlib.crc32(bad)),
    )
    conn.commit()
    conn.close()
    again = open_store()
    assert again.take(0) == "b"
    assert len(again.set_aside) == 1 and again.set_aside[0].read_bytes() == bad


def test_an_unreadable_database_is_set_aside_whole(
    open_store: Open, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "queuestore"
    q = open_store()
    q.put("lost")
    q.close()
    (folder / "queues.db").write_bytes(b"this is not a database" * 300)
    with caplog.at_level(logging.WARNING, logger="mule.queue.persistent"):
        again = open_store()
    assert again.size() == 0
    aside = list((folder / "corrupt").iterdir())
    assert len(aside) == 1 and (aside[0] / "queues.db").exists()
    assert str(aside[0]) in caplog.text
    again.put("new")
    assert drain(again) == ["new"]


# ----------------------------------------------------------------------------- broken disk


def _limit_pages(store: PersistentQueueStore) -> None:
    """SQLite's page limit: exactly what a full disk gives (SQLITE_FULL)."""
    conn = store._db._conn
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")


def test_a_full_disk_fails_the_put_and_keeps_what_is_queued(open_store: Open) -> None:
    q = open_store()
    q.put("kept-1")
    q.put("kept-2")
    _limit_pages(q)
    with pytest.raises(StoreBrokenError, match=r"Queue 'q'.*disk is full"):
        for _ in range(200):
            q.put("x" * 4000)
    depth = q.size()
    assert q.statistics().depth == depth and q.quiescence()[0] is False
    q.close()
    items = drain(open_store())
    assert items[:2] == ["kept-1", "kept-2"] and len(items) == depth


def test_a_read_only_database_fails_puts_and_takes_clearly(open_store: Open) -> None:
    q = open_store()
    q.put("kept")
    q._db._conn.execute("PRAGMA query_only = 1")
    with pytest.raises(StoreBrokenError, match="read-only"):
        q.put("new")
    with pytest.raises(StoreBrokenError, match="read-only"):
        q.take(0)
    assert q.size() == 1  # the failed take put it back
    q._db._conn.execute("PRAGMA query_only = 0")
    assert q.take(0) == "kept"


# ----------------------------------------------------------------------------- group commit


def test_a_batch_take_removes_its_items_with_one_synced_change(
    open_store: Open, tmp_path: Path
) -> None:
    store = open_store()
    for i in range(8):
        store.put(i)
    db = store._db
    before = db.rounds
    assert store.claim_batch(8, 0) == list(range(8))
    assert db.rounds - before == 1
    for _ in range(8):
        store.release_claim()
    store.close()
    again = open_store()
    assert again.size() == 0  # the removal was durable before the items were handed out


def test_consecutive_statements_share_one_executemany(tmp_path: Path) -> None:
    db = QueueDatabase(tmp_path / "m.db")
    db.execute([("CREATE TABLE t (v INTEGER)", ())])
    db.execute(
        [("INSERT INTO t VALUES (?)", (i,)) for i in range(3)]
        + [("DELETE FROM t WHERE v = ?", (1,))]
        + [("INSERT INTO t VALUES (?)", (i,)) for i in range(3, 5)]
    )
    assert db.query("SELECT v FROM t ORDER BY v") == [(0,), (2,), (3,), (4,)]  # in order
    db.close()


def test_waiting_writers_share_one_commit(tmp_path: Path) -> None:
    db = QueueDatabase(tmp_path / "g.db")
    db.execute([("CREATE TABLE t (v INTEGER)", ())])
    done: list[int] = []
    tickets = [
        db.enqueue([("INSERT INTO t VALUES (?)", (i,))], lambda i=i: done.append(i))
        for i in range(10)
    ]
    before = db.rounds
    db.wait(tickets[-1])
    for t in tickets:
        db.wait(t)
    assert db.rounds - before == 1
    assert done == list(range(10))  # callbacks in ticket order
    assert db.query("SELECT COUNT(*) FROM t") == [(10,)]
    db.close()


def test_one_failing_change_does_not_fail_its_round(tmp_path: Path) -> None:
    db = QueueDatabase(tmp_path / "g.db")
    db.execute([("CREATE TABLE t (v INTEGER UNIQUE)", ())])
    good = db.enqueue([("INSERT INTO t VALUES (1)", ())])
    bad = db.enqueue([("INSERT INTO t VALUES (1)", ())])
    other = db.enqueue([("INSERT INTO t VALUES (2)", ())])
    db.wait(good)
    db.wait(other)
    with pytest.raises(StoreBrokenError, match="UNIQUE"):
        db.wait(bad)
    assert db.query("SELECT v FROM t ORDER BY v") == [(1,), (2,)]
    db.close()


def test_concurrent_producers_are_all_durable(open_store: Open, tmp_path: Path) -> None:
    q = open_store()
    n, producers = 40, 8
    barrier = threading.Barrier(producers)

    def produce(k: int) -> None:
        barrier.wait()
        for i in range(n):
            q.put(f"{k}-{i}")

    threads = [threading.Thread(target=produce, args=(k,)) for k in range(producers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    q.close()
    items = drain(open_store())
    assert sorted(map(str, items)) == sorted(f"{k}-{i}" for k in range(producers) for i in range(n))
    for k in range(producers):  # each producer's own order is kept
        mine = [x for x in items if str(x).startswith(f"{k}-")]
        assert mine == [f"{k}-{i}" for i in range(n)]

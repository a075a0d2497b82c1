"""Durable dispatch-then-consume throughput of persistent VM queues.

``persistent.put_take``: P producer threads put N messages in all into one persistent
queue while one consumer takes them as a VM receiver polls (R3: one take, then up to 7
more already queued); the figure is messages per second from the first
put to the last take. Every put returns only once the message is synced; every take
removes it durably before returning (a VM receiver's non-transacted take). Measured for
P = 1 and P = 16, in the same run, against:

- **persist-queue** ``SQLiteAckQueue`` (the ``bench`` extra) on the same messages:
  ``put``, then ``get`` + ``ack`` (its durable consume). Imported lazily; reported as
  missing when it is not installed.
- **the disk's limit**: a loop of one ``write`` + ``fsync`` per record on a plain file,
  i.e. what durability costs when every message pays for its own sync.

Goals: at least 10 times persist-queue, and with 16 producers above the
one-fsync-per-record limit (group commit). ``messages_per_sync`` says how many puts
and takes shared one commit on average.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PAYLOAD_BYTES = 256
# A VM receiver takes at most maxThreadsActive/2 - 1 more after its first (R3); 16 threads.
RECEIVER_BATCH = 7


def _messages(n: int) -> list[Any]:
    from mule_emulator.runtime.message import MuleMessage

    return [
        MuleMessage(f"{i:08d}".ljust(PAYLOAD_BYTES, "x"), outbound={"seq": i, "source": "bench"})
        for i in range(n)
    ]


def _drive(
    producers: int,
    messages: list[Any],
    put: Callable[[Any], None],
    take: Callable[[], list[Any]],
) -> float:
    """Seconds from the first put to the last take (producers and one consumer)."""
    share = [messages[k::producers] for k in range(producers)]
    start_gate = threading.Barrier(producers + 2)
    taken: list[int] = []
    errors: list[BaseException] = []

    def produce(items: list[Any]) -> None:
        try:
            start_gate.wait()
            for item in items:
                put(item)
        except BaseException as exc:
            errors.append(exc)

    def consume() -> None:
        try:
            start_gate.wait()
            count = 0
            while count < len(messages):
                count += len(take())
            taken.append(count)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=produce, args=(s,)) for s in share]
    threads.append(threading.Thread(target=consume))
    for t in threads:
        t.start()
    start_gate.wait()
    start = time.perf_counter()
    for t in threads:
        t.join(600)
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    if taken != [len(messages)]:
        raise RuntimeError(f"consumer got {taken}, expected {len(messages)}")
    return elapsed


def _ours(folder: Path, producers: int, messages: list[Any]) -> dict[str, Any]:
    from mule_emulator.queues.persistent import PersistentQueueStore

    store = PersistentQueueStore("bench", 0, folder / "ours")
    try:
        db = store._db
        rounds, tickets = db.rounds, db.tickets

        def take() -> list[Any]:
            # As a VM receiver polls a persistent queue (R3): the first message (waiting
            # for it) and up to 7 more already queued, removed with one synced change.
            batch = min(RECEIVER_BATCH, store.size())
            return store.take_batch(1 + batch, 1.0)

        elapsed = _drive(producers, messages, store.put, take)
        syncs = db.rounds - rounds
        return {
            "per_s": len(messages) / elapsed,
            "messages_per_sync": round((db.tickets - tickets) / max(1, syncs), 2),
        }
    finally:
        store.close()


def _persist_queue(folder: Path, producers: int, messages: list[Any]) -> dict[str, Any] | None:
    try:
        persistqueue = importlib.import_module("persistqueue")
    except ImportError:
        return None
    queue = persistqueue.SQLiteAckQueue(
        str(folder / "persist-queue"), multithreading=True, auto_commit=True
    )
    empty = persistqueue.Empty

    def take() -> list[Any]:
        try:
            item = queue.get(block=True, timeout=1.0)
        except empty:
            return []
        queue.ack(item)
        return [item]

    elapsed = _drive(producers, messages, queue.put, take)
    synchronous = queue._getter.execute("PRAGMA synchronous").fetchone()[0]
    return {"per_s": len(messages) / elapsed, "synchronous": synchronous}


def _fsync_per_record(folder: Path, messages: list[Any]) -> float:
    """Records per second when each one is written and fsync'd alone (one thread)."""
    from mule_emulator.queues import codec

    records = [codec.encode(m) for m in messages]
    fd = os.open(folder / "fsync.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        start = time.perf_counter()
        for record in records:
            os.write(fd, record)
            os.fsync(fd)
        return len(records) / (time.perf_counter() - start)
    finally:
        os.close(fd)


def run(quick: bool) -> list[dict[str, Any]]:
    n = 600 if quick else 3000
    rows: list[dict[str, Any]] = []
    top = Path(tempfile.mkdtemp(prefix="bench-persistent-", dir=os.environ.get("BENCH_DIR")))
    try:
        messages = _messages(n)
        limit = _fsync_per_record(top, messages[: max(200, n // 5)])
        for producers in (1, 16):
            folder = top / f"p{producers}"
            folder.mkdir()
            ours = _ours(folder, producers, messages)
            theirs = _persist_queue(folder, producers, messages)
            row: dict[str, Any] = {
                "name": "persistent.put_take",
                "producers": producers,
                "messages": n,
                "payload_bytes": PAYLOAD_BYTES,
                "ours_per_s": round(ours["per_s"], 1),
                "messages_per_sync": ours["messages_per_sync"],
                "fsync_per_record_per_s": round(limit, 1),
                "vs_fsync_limit": round(ours["per_s"] / limit, 2),
            }
            if theirs is None:
                row["persist_queue_per_s"] = None
                row["baseline"] = "missing: pip install persist-queue (the bench extra)"
            else:
                row["persist_queue_per_s"] = round(theirs["per_s"], 1)
                row["persist_queue_synchronous"] = theirs["synchronous"]
                row["vs_persist_queue"] = round(ours["per_s"] / theirs["per_s"], 2)
            rows.append(row)
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(top)
    return rows


if __name__ == "__main__":
    import json

    for r in run(quick=False):
        print(json.dumps(r))

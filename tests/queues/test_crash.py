"""Crash safety: a process writing to a persistent queue is killed with SIGKILL at random
moments, again and again, on the same folder.

The child runs producers (one-way puts, as fast as they can) and one transacted
consumer (reserve, then commit). It notes every step in a log with one ``write`` each,
*before* (``B``) and *after* (``A``) a put, after a reservation (``R``) and after a
commit (``C``). After each kill the queue is reopened and must hold:

- every message whose put returned and that no transaction took: exactly once;
- nothing that was never put, and nothing twice;
- nothing whose commit returned (consumed for good);
- no half-written record (nothing set aside).

A reservation whose commit reached the disk just before the kill, but whose ``C`` note
did not, is the only message that may be missing besides those: at most one per kill.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

from mule_emulator.queues.persistent import PersistentQueueStore
from mule_emulator.runtime.message import MuleMessage

REPO = Path(__file__).resolve().parents[2]
KILLS = 6

_CHILD = textwrap.dedent(
    """
    import os, random, sys, threading
    from mule_emulator.queues.persistent import PersistentQueueStore, commit
    from mule_emulator.runtime.message import MuleMessage

    folder, log_path, run = sys.argv[1], sys.argv[2], sys.argv[3]
    q = PersistentQueueStore("crash", 0, folder)
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def note(tag, mid):
        os.write(fd, f"{tag} {mid}\\n".encode())

    def produce(k):
        rnd = random.Random(k)
        i = 0
        while True:
            mid = f"{run}-{k}-{i}"
            i += 1
            note("B", mid)
            q.put(MuleMessage(b"x" * rnd.randrange(10, 9000), id=mid))
            note("A", mid)

    def consume():
        while True:
            r = q.reserve(timeout=0.05)
            if r is None:
                continue
            note("R", r.item.id)
            commit([r])
            note("C", r.item.id)

    threads = [threading.Thread(target=produce, args=(k,), daemon=True) for k in range(4)]
    threads.append(threading.Thread(target=consume, daemon=True))
    for t in threads:
        t.start()
    print("ready", flush=True)
    threading.Event().wait()
    """
)


def _notes(log: Path) -> dict[str, set[str]]:
    notes: dict[str, set[str]] = {tag: set() for tag in "BARC"}
    for line in log.read_text().splitlines():
        tag, _, mid = line.partition(" ")
        notes[tag].add(mid)
    return notes


def _run_and_kill(folder: Path, log: Path, run: int, rnd: random.Random) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(folder), str(log), str(run)],
        stdout=subprocess.PIPE,
        cwd=REPO,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        # The moment of the kill is the thing under test: a random point in the run.
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=rnd.uniform(0.05, 0.35))
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL


def test_sigkill_at_random_moments_loses_nothing_acknowledged(tmp_path: Path) -> None:
    folder = tmp_path / "queuestore"
    log = tmp_path / "notes.log"
    rnd = random.Random(os.getpid())
    for run in range(KILLS):
        _run_and_kill(folder, log, run, rnd)
        store = PersistentQueueStore("crash", 0, folder)
        try:
            items = store.items()
            assert all(isinstance(m, MuleMessage) for m in items)
            present = Counter(m.id for m in items)
            assert store.set_aside == [], "a half-written record was found"
        finally:
            store.close()
        notes = _notes(log)
        duplicates = {mid for mid, n in present.items() if n > 1}
        assert not duplicates, f"run {run}: present twice: {sorted(duplicates)[:5]}"
        assert set(present) <= notes["B"], "a message nobody put"
        assert not set(present) & notes["C"], "a committed take came back"
        missing = notes["A"] - notes["R"] - set(present)
        assert not missing, f"run {run}: lost {len(missing)} acknowledged: {sorted(missing)[:5]}"
        vanished = notes["R"] - notes["C"] - set(present)
        assert len(vanished) <= run + 1, f"run {run}: in-flight takes lost: {sorted(vanished)}"
    notes = _notes(log)
    assert len(notes["A"]) > 50 and notes["C"], "the child made too little progress to judge"

"""Persistent plus transacted (issue 7, P4): a flow consuming a persistent VM queue under
``ALWAYS_BEGIN`` is at-least-once across crashes.

A child process starts the application, puts ``N`` messages on the persistent queue
``work`` and lets the transacted receivers consume them: the component notes each
payload in a side-effect log (one ``write`` each, outside any transaction) and the flow
dispatches it to the persistent queue ``done`` inside the same transaction. The child is
killed with SIGKILL while it works. The application is then started again on the same
working folder, in this process, and must finish the work:

- no message is lost: every payload reaches ``done``;
- ``done`` holds each payload exactly once: the take from ``work`` and the put on ``done``
  commit in one change;
- the side effect ran twice for at most the messages in flight at the kill (one per
  transacted receiver), and for no other.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest
from _tx_helpers import HEADER, running, wait_for

from mule_emulator.runtime.app import load_app

REPO = Path(__file__).resolve().parents[2]
MESSAGES = 300
RECEIVERS = 4  # numberOfConcurrentTransactedReceivers (the default)

CONFIG = (
    HEADER
    + f"""
    <vm:connector name="durable" numberOfConcurrentTransactedReceivers="{RECEIVERS}">
        <vm:queue-profile><default-persistent-queue-store/></vm:queue-profile>
    </vm:connector>
    <flow name="consume">
        <vm:inbound-endpoint path="work" connector-ref="durable">
            <vm:transaction action="ALWAYS_BEGIN"/>
        </vm:inbound-endpoint>
        <component class="test.Record"/>
        <vm:outbound-endpoint path="done" connector-ref="durable"/>
    </flow>
</mule>
"""
)

# The stand-in for test.Record: one write per payload to the side-effect log, then a
# short pause so that a kill finds transactions in flight.
RECORDER = textwrap.dedent(
    """
    import os, time

    _fd = None

    def record(message):
        global _fd
        if _fd is None:
            _fd = os.open(os.environ["CRASH_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        os.write(_fd, (str(message.payload) + "\\n").encode())
        time.sleep(0.002)
        return message.payload
    """
)

CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from mule_emulator.runtime.app import load_app
    from mule_emulator.runtime.message import MuleMessage

    config, work, count = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    app = load_app([config], properties={"mule.vm.receiverStartDelayMs": "0"},
                   classes={"test.Record": "crash_recorder:record"}, work_dir=work)
    app.start()
    queue = app.queue_manager.get("work")
    for i in range(count):
        queue.put(MuleMessage.create(f"m-{i:04d}"))  # durable once put returns
    print("READY", flush=True)
    time.sleep(60)  # killed long before
    """
)


def _log_lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [line for line in path.read_text().splitlines() if line]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_transacted_consumption_of_a_persistent_queue_survives_sigkill(tmp_path: Path) -> None:
    config = tmp_path / "crash.xml"
    config.write_text(CONFIG, encoding="utf-8")
    (tmp_path / "crash_recorder.py").write_text(RECORDER, encoding="utf-8")
    work = tmp_path / "work"
    log = tmp_path / "side-effects.log"
    env = dict(os.environ)
    env["CRASH_LOG"] = str(log)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(REPO), env.get("PYTHONPATH", "")])

    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(config), str(work), str(MESSAGES)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "READY"
        # Kill it mid-way: some messages consumed, most still queued.
        assert wait_for(lambda: len(_log_lines(log)) >= MESSAGES // 5, 30)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    before = Counter(_log_lines(log))
    assert 0 < sum(before.values()) < MESSAGES, "the kill should land mid-way"

    # Restart on the same folder, in this process.
    sys.path.insert(0, str(tmp_path))
    os.environ["CRASH_LOG"] = str(log)
    try:
        app = load_app(
            [config],
            properties={"mule.vm.receiverStartDelayMs": "0"},
            classes={"test.Record": "crash_recorder:record"},
            work_dir=work,
        )
        done: list[str] = []
        with running(app):
            deadline = time.monotonic() + 60
            while len(done) < MESSAGES and time.monotonic() < deadline:
                message = app.client.request("vm://done", 0.5)
                if message is not None:
                    done.append(str(message.payload))
            assert app.client.request("vm://done", 0.2) is None
            assert app.client.request("vm://work", 0.05) is None
    finally:
        sys.path.remove(str(tmp_path))
        os.environ.pop("CRASH_LOG", None)
        sys.modules.pop("crash_recorder", None)

    expected = {f"m-{i:04d}" for i in range(MESSAGES)}
    assert Counter(done) == Counter(expected), "done must hold every payload exactly once"
    effects = Counter(_log_lines(log))
    assert set(effects) == expected, "no message lost"
    twice = sorted(p for p, n in effects.items() if n > 1)
    assert all(effects[p] == 2 for p in twice)
    # Only messages in flight at the kill ran twice: at most one per transacted receiver,
    # and each was one the child had already started.
    assert len(twice) <= RECEIVERS, twice
    assert all(p in before for p in twice)

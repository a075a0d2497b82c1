"""`mule-emu queues` and `mule-emu run --data-dir`: persistent queues across runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from mule_emulator.cli import cli
from mule_emulator.queues.persistent import PersistentQueueStore
from mule_emulator.runtime.message import MuleMessage

# Our own app: a persistent connector; vm://orders -> flow accept -> vm://shipping, which
# nothing consumes, so what reaches it stays on disk between runs.
ORDERS = """<?xml version="1.0" encoding="UTF-8"?>
<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:vm="http://www.mulesoft.org/schema/mule/vm">
    <vm:connector name="durable">
        <vm:queue-profile maxOutstandingMessages="100">
            <default-persistent-queue-store/>
        </vm:queue-profile>
    </vm:connector>
    <flow name="accept">
        <vm:inbound-endpoint path="orders" exchange-pattern="one-way"/>
        <set-property propertyName="stage" value="accepted"/>
        <vm:outbound-endpoint path="shipping" exchange-pattern="one-way"/>
    </flow>
</mule>
"""

# The same queues, now with a consumer of vm://shipping that forwards to vm://done.
SHIPPER = ORDERS.replace(
    "</mule>",
    """    <flow name="ship">
        <vm:inbound-endpoint path="shipping" exchange-pattern="one-way"/>
        <vm:outbound-endpoint path="done" exchange-pattern="one-way"/>
    </flow>
</mule>
""",
)


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    (tmp_path / "orders.xml").write_text(ORDERS)
    (tmp_path / "shipper.xml").write_text(SHIPPER)
    return tmp_path


def invoke(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=input)
    return result.exit_code, result.stdout, result.stderr


def run_app(config: Path, data: Path, *dispatches: str) -> tuple[int, str, str]:
    args = ["run", str(config), "--data-dir", str(data), "--until-idle", "--log-level", "ERROR"]
    for d in dispatches:
        args += ["--dispatch", d]
    return invoke(*args)


def test_messages_survive_a_run_and_are_served_by_the_next(app_dir: Path) -> None:
    data = app_dir / "data"
    code, out, err = run_app(app_dir / "orders.xml", data, "vm://orders=A", "vm://orders=B")
    assert code == 0, err
    assert "left on queue 'shipping' (nothing consumes it): 2 messages" in out

    code, out, _ = invoke("queues", str(data))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["QUEUE", "DEPTH", "SIZE", "IN", "FLIGHT"]
    table = {line.split()[0]: line.split() for line in lines[1:]}
    assert table["shipping"][1] == "2" and table["orders"][1] == "0"

    # The next run on the same folder consumes them, in order, into vm://done.
    code, out, err = run_app(app_dir / "shipper.xml", data)
    assert code == 0, err
    shown = json.loads(invoke("queues", str(data), "--show", "done", "--format", "json")[1])
    assert [m["payload_preview"] for m in shown["messages"]] == ["A", "B"]
    assert json.loads(invoke("queues", str(data), "--format", "json")[1]) == [
        {"name": "done", "depth": 2, "size_bytes": pytest.approx(0, abs=10**6), "in_flight": 0},
        {"name": "orders", "depth": 0, "size_bytes": 0, "in_flight": 0},
        {"name": "shipping", "depth": 0, "size_bytes": 0, "in_flight": 0},
    ]


def test_run_defaults_to_dot_mule_beside_the_config(app_dir: Path) -> None:
    code, _, err = invoke(
        "run",
        str(app_dir / "orders.xml"),
        "--dispatch",
        "vm://orders=x",
        "--until-idle",
        "--log-level",
        "ERROR",
    )
    assert code == 0, err
    data = app_dir / ".mule" / "orders"
    assert (data / "queuestore" / "queues.db").is_file()
    code, out, _ = invoke("queues", str(data / "queuestore"))  # either folder is accepted
    assert code == 0 and "shipping" in out


def _stored(folder: Path) -> None:
    q = PersistentQueueStore("vm://../../x", 0, folder / "queuestore")
    m = MuleMessage("é" * 100, outbound={"Priority": 7, "Note": "\x1b[2Jcleared"})
    m.id = "msg-1"
    q.put(m)
    q.put(b"\x00\x01raw")
    q.close()


def test_show_prints_ids_properties_and_a_payload_preview(tmp_path: Path) -> None:
    _stored(tmp_path)
    code, out, _ = invoke("queues", str(tmp_path), "--show", "vm://../../x")
    assert code == 0
    assert "id=msg-1" in out
    assert "outbound Priority = 7" in out
    assert "outbound Note = \\x1b[2Jcleared" in out and "\x1b" not in out
    assert "payload (str): " + "é" * 60 + "..." in out
    assert "payload (bytes): \\x00\\x01raw (5 bytes)" in out  # control characters escaped
    code, out, _ = invoke("queues", str(tmp_path), "--show", "vm://../../x", "--limit", "1")
    assert out.count("payload (") == 1


def test_purge_asks_first_and_yes_skips_the_question(tmp_path: Path) -> None:
    _stored(tmp_path)
    code, out, err = invoke("queues", str(tmp_path), "--purge", "vm://../../x", input="n\n")
    assert code == 1 and "Aborted" in err
    assert json.loads(invoke("queues", str(tmp_path), "--format", "json")[1])[0]["depth"] == 2
    code, out, _ = invoke("queues", str(tmp_path), "--purge", "vm://../../x", input="y\n")
    assert code == 0 and "purged 2 messages" in out
    _stored(tmp_path)
    code, out, _ = invoke(
        "queues", str(tmp_path), "--purge", "vm://../../x", "--yes", "--format", "json"
    )
    assert (code, json.loads(out)) == (0, {"queue": "vm://../../x", "purged": 2})


def test_purge_is_refused_while_an_application_holds_the_folder(tmp_path: Path) -> None:
    _stored(tmp_path)
    held = PersistentQueueStore("other", 0, tmp_path / "queuestore")
    try:
        code, out, err = invoke("queues", str(tmp_path), "--purge", "vm://../../x", "--yes")
        assert code == 1 and "in use by process" in err
        code, out, _ = invoke("queues", str(tmp_path))  # reading still works
        assert code == 0 and "vm://../../x" in out
    finally:
        held.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--show", "nope"], "no persistent queue named 'nope'"),
        (["--purge", "nope", "--yes"], "no persistent queue named 'nope'"),
    ],
)
def test_unknown_queue_is_a_usage_error(tmp_path: Path, args: list[str], message: str) -> None:
    _stored(tmp_path)
    code, _, err = invoke("queues", str(tmp_path), *args)
    assert code == 2 and message in err


def test_a_folder_without_queues_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = invoke("queues", str(tmp_path / "missing"))
    assert code == 2 and "no such folder" in err
    code, _, err = invoke("queues", str(tmp_path))
    assert code == 2 and "no persistent queues here" in err
    code, _, err = invoke("queues", str(tmp_path), "--show", "a", "--purge", "a")
    assert code == 2 and "cannot be used together" in err

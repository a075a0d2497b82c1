"""A tiny stand-in for MuleApp, so the suite runner is tested without the runtime.

Behaviour (enough to exercise every step and expectation):

- ``dispatch vm://in``: flow ``inFlow`` appends " flowed" and puts it on ``vm://out``;
  any other address just queues the message there.
- ``send vm://echo``: flow ``echoFlow`` replies with the payload, its properties as
  inbound ones and a session variable ``seen``; ``vm://fail`` replies with an exception
  payload; ``vm://raise`` raises; ``vm://nothing`` returns None.
- ``request``: takes from the address's queue; ``vm://hang`` blocks until stopped.
- ``run_flow``: ``upper`` upper-cases; any other name raises.
- a graceful stop writes the queues to the working folder and a new app reads them back;
  a crash loses them.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mule_emulator.errors import ConfigError, MessagingError
from mule_emulator.runtime.message import ExceptionPayload, MuleMessage, MuleSession
from mule_emulator.suites.harness import AppSpec


class FakeClient:
    def __init__(self, app: FakeApp) -> None:
        self.app = app

    def dispatch(
        self, address: str, payload: Any, properties: Mapping[str, Any] | None = None
    ) -> None:
        self.app.check_started()
        msg = MuleMessage(payload, inbound=properties)
        if address == "vm://in":
            self.app.count("inFlow")
            msg = MuleMessage(f"{payload} flowed", inbound=properties)
            address = "vm://out"
        with self.app.cond:
            self.app.queues[address].append(msg)
            self.app.cond.notify_all()

    def send(
        self,
        address: str,
        payload: Any,
        properties: Mapping[str, Any] | None = None,
        timeout_s: float | None = None,
    ) -> Any:
        self.app.check_started()
        if address == "vm://echo":
            self.app.count("echoFlow")
            # The session travels as the inbound MULE_SESSION property, as the runtime's does.
            inbound = {**(properties or {}), "MULE_SESSION": MuleSession.of({"seen": "yes"})}
            reply = MuleMessage(payload, inbound=inbound)
            return reply
        if address == "vm://fail":
            reply = MuleMessage(payload)
            reply.exception_payload = ExceptionPayload.of(ValueError("component blew up"))
            return reply
        if address == "vm://raise":
            raise MessagingError("no receiver registered for vm://raise")
        return None

    def request(self, address: str, timeout_s: float) -> Any:
        app = self.app
        with app.cond:
            if address == "vm://hang":
                app.cond.wait_for(lambda: not app.started)
                return None
            app.cond.wait_for(lambda: bool(app.queues[address]) or not app.started, timeout_s)
            if app.queues[address]:
                return app.queues[address].pop(0)
            return None


class FakeApp:
    def __init__(self, spec: AppSpec) -> None:
        text = spec.configs[0].read_text()
        if "<broken" in text:
            raise ConfigError("the config is broken on purpose")
        self.spec = spec
        self.name = spec.name
        self.cond = threading.Condition()
        self.queues: dict[str, list[MuleMessage]] = defaultdict(list)
        self.runs: dict[str, int] = defaultdict(int)
        self.started = False
        self.stop_modes: list[str] = []
        self.client = FakeClient(self)
        store = spec.work_dir / "queues.json"
        if store.exists():
            for address, payloads in json.loads(store.read_text()).items():
                self.queues[address] = [MuleMessage(p) for p in payloads]

    def check_started(self) -> None:
        if not self.started:
            raise ConfigError("not started")

    def count(self, flow: str) -> None:
        self.runs[flow] += 1

    def start(self) -> None:
        self.started = True

    def stop(self, mode: str = "graceful") -> None:
        self.stop_modes.append(mode)
        with self.cond:
            self.started = False
            self.cond.notify_all()
        if mode == "graceful":
            data = {a: [m.payload for m in q] for a, q in self.queues.items() if q}
            (Path(self.spec.work_dir) / "queues.json").write_text(json.dumps(data))

    def run_flow(self, name: str, payload: Any, properties: Mapping[str, Any] | None = None) -> Any:
        self.count(name)
        if name == "upper":
            return MuleMessage(str(payload).upper())
        raise MessagingError(f"flow {name} failed")

    def flow_runs(self, name: str) -> int:
        return self.runs[name]

    def purge(self, address: str) -> int:
        with self.cond:
            n = len(self.queues[address])
            self.queues[address].clear()
            return n


class FakeFactory:
    """Builds FakeApps and remembers them (tests look at stop modes and folders)."""

    def __init__(self) -> None:
        self.apps: list[FakeApp] = []

    def __call__(self, spec: AppSpec) -> FakeApp:
        app = FakeApp(spec)
        self.apps.append(app)
        return app

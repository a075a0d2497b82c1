"""What the suite runner needs from an application, and how it makes one.

The runner drives an application only through ``SuiteApp`` (the public ``MuleApp`` API
of ``runtime/app.py``): start, stop, a client, run_flow, flow_runs, purge. An
``AppFactory`` builds one from an ``AppSpec``; the default one calls ``load_app``.
Tests pass a fake factory, so the runner is tested without the runtime.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from mule_emulator.runtime.classes import ClassMap


class SuiteClient(Protocol):
    """The part of ``MuleClient`` a suite uses (MC-1)."""

    def dispatch(
        self, address: str, payload: Any, properties: Mapping[str, Any] | None = None
    ) -> None: ...

    def send(
        self,
        address: str,
        payload: Any,
        properties: Mapping[str, Any] | None = None,
        timeout_s: float | None = None,
    ) -> Any: ...

    def request(self, address: str, timeout_s: float) -> Any: ...


class SuiteApp(Protocol):
    """The part of ``MuleApp`` a suite uses."""

    @property
    def client(self) -> SuiteClient: ...

    def start(self) -> None: ...

    def stop(self, mode: str = "graceful") -> None: ...

    def run_flow(
        self, name: str, payload: Any, properties: Mapping[str, Any] | None = None
    ) -> Any: ...

    def flow_runs(self, name: str) -> int: ...

    def purge(self, address: str) -> int: ...


@dataclass(frozen=True)
class AppSpec:
    """Everything needed to build (and, after a restart, rebuild) one case's application."""

    configs: tuple[Path, ...]
    work_dir: Path
    name: str
    properties: Mapping[str, str] = field(default_factory=dict)
    classes: ClassMap = field(default_factory=ClassMap)


AppFactory = Callable[[AppSpec], SuiteApp]


def default_app_factory(spec: AppSpec) -> SuiteApp:
    """Build the real application with ``runtime.app.load_app`` (imported on first use,
    so loading a suite stays cheap)."""
    from mule_emulator.runtime.app import load_app

    app: SuiteApp = load_app(
        [str(p) for p in spec.configs],
        properties=dict(spec.properties),
        class_map=spec.classes,
        work_dir=spec.work_dir,
        name=spec.name,
    )
    return app


__all__ = ["AppFactory", "AppSpec", "SuiteApp", "SuiteClient", "default_app_factory"]

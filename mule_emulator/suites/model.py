"""A test suite as frozen values: suite → cases → steps → expectations.

The TOML format is ../shared/conformance/FORMAT.md (format 1); ``loader.py`` reads it
into these values, ``runner.py`` runs them. Keeping them free of behaviour lets the
loader refuse a bad suite completely before any application starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mule_emulator.model.config import frozen_map

#: Step actions, each named by its TOML key.
ACTIONS = ("dispatch", "send", "request", "run_flow", "purge", "restart", "wait_ms")
RESTART_MODES = ("graceful", "crash")

DEFAULT_CASE_TIMEOUT_MS = 60_000
DEFAULT_REQUEST_TIMEOUT_MS = 5_000


def _empty() -> Mapping[str, Any]:
    return frozen_map()


@dataclass(frozen=True)
class Expectation:
    """What must hold after a step (``[case.step.expect]``); ``None`` means "not checked"."""

    payload: str | None = None
    payload_matches: str | None = None
    null: bool | None = None
    error: str | None = None
    exception_payload: bool | None = None
    inbound: Mapping[str, Any] = field(default_factory=_empty)
    absent_inbound: tuple[str, ...] = ()
    absent_outbound: tuple[str, ...] = ()
    absent_invocation: tuple[str, ...] = ()
    session: Mapping[str, Any] = field(default_factory=_empty)
    payloads: tuple[str, ...] | None = None
    ordered: bool = False
    flow_runs: Mapping[str, int] = field(default_factory=_empty)

    @property
    def needs_message(self) -> bool:
        """Whether a check reads the message (so a missing message is a failure)."""
        return bool(
            self.payload is not None
            or self.payload_matches is not None
            or self.exception_payload is not None
            or self.inbound
            or self.absent_inbound
            or self.absent_outbound
            or self.absent_invocation
            or self.session
        )


@dataclass(frozen=True)
class Step:
    """One ``[[case.step]]``: exactly one action and its target.

    ``target`` is the address (dispatch, send, request, purge), the flow name
    (run_flow), the restart mode, or the pause in milliseconds (wait_ms).
    ``payload`` is a str, bytes (``payload_b64``) or None when the step gives none.
    """

    number: int  # 1-based, as reported
    action: str
    target: str | int
    payload: str | bytes | None = None
    properties: Mapping[str, Any] = field(default_factory=_empty)
    timeout_ms: int | None = None
    repeat: int = 1
    expect: Expectation | None = None

    def describe(self) -> str:
        return f"step {self.number} ({self.action} {self.target})"


@dataclass(frozen=True)
class Case:
    """One ``[[case]]``: a fresh application from ``configs`` driven by ``steps``."""

    name: str
    configs: tuple[Path, ...]
    steps: tuple[Step, ...] = ()
    properties: Mapping[str, str] = field(default_factory=_empty)
    classes: Mapping[str, str] = field(default_factory=_empty)
    skip: str | None = None
    timeout_ms: int = DEFAULT_CASE_TIMEOUT_MS

    @property
    def flow_names_counted(self) -> tuple[str, ...]:
        """Every flow a ``flow_runs`` expectation of this case names (kept across restarts)."""
        names: dict[str, None] = {}
        for step in self.steps:
            if step.expect is not None:
                names.update(dict.fromkeys(step.expect.flow_runs))
        return tuple(names)


@dataclass(frozen=True)
class Suite:
    """A suite file: its path, the folder its relative paths start from, its cases."""

    path: Path
    root: Path
    cases: tuple[Case, ...] = ()


__all__ = [
    "ACTIONS",
    "DEFAULT_CASE_TIMEOUT_MS",
    "DEFAULT_REQUEST_TIMEOUT_MS",
    "RESTART_MODES",
    "Case",
    "Expectation",
    "Step",
    "Suite",
]

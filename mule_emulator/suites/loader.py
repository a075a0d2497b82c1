"""Read a suite file (TOML, format 1 of FORMAT.md) into ``Suite`` values, strictly.

A suite is refused as a whole, before anything runs, when it is not TOML, names an
unknown key, gives a value of the wrong type, or points at a config file that does not
exist; the ``InputError`` says which case, which step and which key.
"""

from __future__ import annotations

import base64
import binascii
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mule_emulator.errors import InputError, SourceLocation
from mule_emulator.model.config import frozen_map
from mule_emulator.suites.model import (
    ACTIONS,
    DEFAULT_CASE_TIMEOUT_MS,
    RESTART_MODES,
    Case,
    Expectation,
    Step,
    Suite,
)

_SUITE_KEYS = {"case"}
_CASE_KEYS = {"name", "config", "properties", "classes", "skip", "timeout_ms", "step"}
_STEP_KEYS = {*ACTIONS, "payload", "payload_b64", "properties", "timeout_ms", "repeat", "expect"}
_EXPECT_KEYS = {
    "payload",
    "payload_matches",
    "null",
    "error",
    "exception_payload",
    "inbound",
    "absent_inbound",
    "absent_outbound",
    "absent_invocation",
    "session",
    "payloads",
    "ordered",
    "flow_runs",
}


class _Where:
    """Builds the error messages: the suite file and the place inside it."""

    def __init__(self, file: Path) -> None:
        self.file = file

    def fail(self, place: str, text: str) -> InputError:
        return InputError(f"{place}: {text}" if place else text, SourceLocation(str(self.file)))


def load_suite(path: str | Path, root: str | Path | None = None) -> Suite:
    """Read and check a suite file; config paths are resolved against ``root`` (default:
    the suite file's folder) and must exist."""
    file = Path(path)
    where = _Where(file)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise where.fail("", f"cannot read suite: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise where.fail("", "suite is not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise where.fail("", f"suite is not valid TOML: {exc}") from None
    base = Path(root) if root is not None else file.resolve().parent
    if root is not None and not base.is_dir():
        raise where.fail("", f"--root {root} is not a folder")
    _no_unknown(where, "suite", data, _SUITE_KEYS)
    raw_cases = data.get("case", [])
    if not isinstance(raw_cases, list) or not all(isinstance(c, dict) for c in raw_cases):
        raise where.fail("suite", "'case' must be an array of tables ([[case]])")
    cases: list[Case] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_cases, start=1):
        case = _case(where, index, raw, base)
        if case.name in seen:
            raise where.fail(f"case {index}", f"duplicate case name {case.name!r}")
        seen.add(case.name)
        cases.append(case)
    return Suite(path=file, root=base, cases=tuple(cases))


# ------------------------------------------------------------------------- helpers


def _no_unknown(where: _Where, place: str, table: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        names = ", ".join(repr(k) for k in unknown)
        raise where.fail(place, f"unknown key {names} (allowed: {', '.join(sorted(allowed))})")


def _str(where: _Where, place: str, key: str, value: Any) -> str:
    if not isinstance(value, str):
        raise where.fail(place, f"{key!r} must be a string, got {_kind(value)}")
    return value


def _bool(where: _Where, place: str, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise where.fail(place, f"{key!r} must be true or false, got {_kind(value)}")
    return value


def _int(where: _Where, place: str, key: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise where.fail(place, f"{key!r} must be an integer >= {minimum}, got {value!r}")
    return value


def _str_list(where: _Where, place: str, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise where.fail(place, f"{key!r} must be a list of strings")
    return tuple(value)


def _table(where: _Where, place: str, key: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise where.fail(place, f"{key!r} must be a table, got {_kind(value)}")
    return value


def _scalar_table(where: _Where, place: str, key: str, value: Any) -> dict[str, Any]:
    table = _table(where, place, key, value)
    for k, v in table.items():
        if isinstance(v, dict | list):
            raise where.fail(place, f"{key}.{k} must be a string, number or boolean")
    return table


def _text(value: Any) -> str:
    """A TOML scalar as Mule would read a property value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _kind(value: Any) -> str:
    return {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "a boolean",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)


# ------------------------------------------------------------------------- parts


def _case(where: _Where, index: int, raw: dict[str, Any], base: Path) -> Case:
    label = f"case {index}"
    if "name" in raw and isinstance(raw["name"], str):
        label = f"case {raw['name']!r}"
    _no_unknown(where, label, raw, _CASE_KEYS)
    if "name" not in raw:
        raise where.fail(label, "missing required key 'name'")
    name = _str(where, label, "name", raw["name"])
    if not name.strip():
        raise where.fail(label, "'name' must not be empty")
    if "config" not in raw:
        raise where.fail(label, "missing required key 'config'")
    config = raw["config"]
    files = (config,) if isinstance(config, str) else config
    if (
        not isinstance(files, list | tuple)
        or not files
        or not all(isinstance(f, str) for f in files)
    ):
        raise where.fail(label, "'config' must be a file name or a non-empty list of them")
    configs: list[Path] = []
    for f in files:
        p = (base / f).resolve() if not Path(f).is_absolute() else Path(f)
        if not p.is_file():
            raise where.fail(label, f"config file not found: {f} (looked for {p})")
        configs.append(p)
    properties = {
        k: _text(v)
        for k, v in _scalar_table(where, label, "properties", raw.get("properties", {})).items()
    }
    classes = _table(where, label, "classes", raw.get("classes", {}))
    for k, v in classes.items():
        if not isinstance(v, str) or not re.match(r"^[\w.]+:[\w.]+$", v):
            raise where.fail(label, f"classes.{k!r} must read 'module:attribute', got {v!r}")
    skip = raw.get("skip")
    if skip is not None:
        skip = _str(where, label, "skip", skip)
    timeout_ms = _int(where, label, "timeout_ms", raw.get("timeout_ms", DEFAULT_CASE_TIMEOUT_MS), 1)
    raw_steps = raw.get("step", [])
    if not isinstance(raw_steps, list) or not all(isinstance(s, dict) for s in raw_steps):
        raise where.fail(label, "'step' must be an array of tables ([[case.step]])")
    steps = tuple(_step(where, f"{label} step {n}", n, s) for n, s in enumerate(raw_steps, start=1))
    return Case(
        name=name,
        configs=tuple(configs),
        steps=steps,
        properties=frozen_map(properties),
        classes=frozen_map(classes),
        skip=skip,
        timeout_ms=timeout_ms,
    )


def _step(where: _Where, place: str, number: int, raw: dict[str, Any]) -> Step:
    _no_unknown(where, place, raw, _STEP_KEYS)
    actions = [a for a in ACTIONS if a in raw]
    if len(actions) != 1:
        found = ", ".join(actions) if actions else "none"
        raise where.fail(
            place, f"a step needs exactly one action key of {', '.join(ACTIONS)} (found {found})"
        )
    action = actions[0]
    target: str | int
    if action == "wait_ms":
        target = _int(where, place, "wait_ms", raw["wait_ms"], 0)
    else:
        target = _str(where, place, action, raw[action])
        if not target:
            raise where.fail(place, f"{action!r} must not be empty")
        if action == "restart" and target not in RESTART_MODES:
            raise where.fail(place, f"restart must be 'graceful' or 'crash', got {target!r}")
    if "payload" in raw and "payload_b64" in raw:
        raise where.fail(place, "give 'payload' or 'payload_b64', not both")
    payload: str | bytes | None = None
    if "payload" in raw:
        payload = _str(where, place, "payload", raw["payload"])
    elif "payload_b64" in raw:
        encoded = _str(where, place, "payload_b64", raw["payload_b64"])
        try:
            payload = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise where.fail(place, "'payload_b64' is not valid base64") from None
    properties = _scalar_table(where, place, "properties", raw.get("properties", {}))
    timeout_ms = None
    if "timeout_ms" in raw:
        timeout_ms = _int(where, place, "timeout_ms", raw["timeout_ms"], 0)
    repeat = _int(where, place, "repeat", raw.get("repeat", 1), 1)
    expect = None
    if "expect" in raw:
        expect = _expect(where, place, _table(where, place, "expect", raw["expect"]))
        if expect.payloads is not None and action != "request":
            raise where.fail(place, "expect.payloads works only with a 'request' step")
    return Step(
        number=number,
        action=action,
        target=target,
        payload=payload,
        properties=frozen_map(properties),
        timeout_ms=timeout_ms,
        repeat=repeat,
        expect=expect,
    )


def _expect(where: _Where, place: str, raw: dict[str, Any]) -> Expectation:
    place = f"{place} expect"
    _no_unknown(where, place, raw, _EXPECT_KEYS)
    values: dict[str, Any] = {}
    for key in ("payload", "payload_matches", "error"):
        if key in raw:
            values[key] = _str(where, place, key, raw[key])
    if "payload_matches" in values:
        try:
            re.compile(values["payload_matches"])
        except re.error as exc:
            raise where.fail(place, f"payload_matches is not a valid regex: {exc}") from None
    for key in ("null", "exception_payload", "ordered"):
        if key in raw:
            values[key] = _bool(where, place, key, raw[key])
    for key in ("inbound", "session"):
        if key in raw:
            values[key] = frozen_map(_scalar_table(where, place, key, raw[key]))
    for key in ("absent_inbound", "absent_outbound", "absent_invocation"):
        if key in raw:
            values[key] = _str_list(where, place, key, raw[key])
    if "payloads" in raw:
        values["payloads"] = _str_list(where, place, "payloads", raw["payloads"])
    if "flow_runs" in raw:
        runs = _table(where, place, "flow_runs", raw["flow_runs"])
        values["flow_runs"] = frozen_map(
            {k: _int(where, place, f"flow_runs.{k}", v, 0) for k, v in runs.items()}
        )
    if values.get("null") is True and any(
        k in values
        for k in (
            "payload",
            "payload_matches",
            "inbound",
            "session",
            "payloads",
            "exception_payload",
        )
    ):
        raise where.fail(place, "null = true cannot be combined with checks on the message")
    return Expectation(**values)


__all__ = ["load_suite"]

"""``mule-emu explain``: the effective settings of an application, as text, JSON or
Markdown.

The values come from ``effective_constructs.effective_app`` (defaults resolved there);
this module only lays them out. Each setting shows its value, whether it is explicit,
a Mule default or derived, and where it came from.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from mule_emulator.model.config import AppConfig
from mule_emulator.views.effective import EffectiveApp, Part, Setting
from mule_emulator.views.effective_constructs import effective_app

FORMATS = ("text", "json", "markdown")

_SECTIONS = (
    ("connectors", "Connectors"),
    ("flows", "Flows"),
    ("services", "Services"),
    ("queues", "VM queues"),
)


def explain(app: AppConfig, fmt: str = "text", only: tuple[str, ...] = ()) -> str:
    """The report for ``app`` in ``fmt`` (text, json or markdown); ``only`` keeps the
    connectors, flows, services and queues with these names."""
    eff = effective_app(app)
    if only:
        eff = select(eff, only)
    if fmt == "json":
        return json.dumps(to_json(eff), indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return to_markdown(eff)
    if fmt == "text":
        return to_text(eff)
    raise ValueError(f"unknown explain format {fmt!r}")


def select(eff: EffectiveApp, names: tuple[str, ...]) -> EffectiveApp:
    """Only the top-level parts named in ``names`` (application warnings dropped)."""
    keep = set(names)
    return replace(
        eff,
        connectors=tuple(p for p in eff.connectors if p.name in keep),
        flows=tuple(p for p in eff.flows if p.name in keep),
        services=tuple(p for p in eff.services if p.name in keep),
        queues=tuple(p for p in eff.queues if p.name in keep),
        warnings=(),
    )


def part_names(eff: EffectiveApp) -> list[str]:
    return [p.name for key, _t in _SECTIONS for p in getattr(eff, key)]


# ----------------------------------------------------------------------- json


def _setting_json(s: Setting) -> dict[str, Any]:
    out: dict[str, Any] = {"name": s.name, "value": s.value}
    if s.unit:
        out["unit"] = s.unit
    out["origin"] = s.origin
    out["source"] = s.source
    if s.why:
        out["why"] = s.why
    return out


def _part_json(p: Part) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": p.kind, "name": p.name}
    if p.summary:
        out["summary"] = p.summary
    if p.location:
        out["location"] = p.location
    out["settings"] = [_setting_json(s) for s in p.settings]
    if p.parts:
        out["parts"] = [_part_json(c) for c in p.parts]
    if p.warnings:
        out["warnings"] = list(p.warnings)
    return out


def to_json(eff: EffectiveApp) -> dict[str, Any]:
    out: dict[str, Any] = {"application": eff.name, "files": list(eff.files)}
    for key, _title in _SECTIONS:
        out[key] = [_part_json(p) for p in getattr(eff, key)]
    out["warnings"] = list(eff.warnings)
    return out


# ----------------------------------------------------------------------- text


def _origin_text(s: Setting) -> str:
    """``[explicit: file:line]``, ``[Mule default: rule]`` or ``[derived: rule]``."""
    if s.origin == "default" and s.source.startswith("Mule default (") and s.source.endswith(")"):
        return f"[Mule default: {s.source[len('Mule default (') : -1]}]"
    return f"[{s.origin}: {s.source}]" if s.source else f"[{s.origin}]"


def _setting_line(s: Setting, indent: str, width: int) -> list[str]:
    lines = [f"{indent}{s.name.ljust(width)}  {s.shown}  {_origin_text(s)}"]
    if s.why:
        lines.append(f"{indent}{' ' * width}    {s.why}")
    return lines


def _all_one_default(p: Part) -> bool:
    """Every setting is a Mule default of the same rule (a pool left as Mule made it)."""
    return (
        len(p.settings) > 1
        and all(s.origin == "default" and not s.why for s in p.settings)
        and len({s.source for s in p.settings}) == 1
    )


def _part_text(p: Part, indent: str = "") -> list[str]:
    head = f"{indent}{p.kind.capitalize()} {p.name}"
    extra = [x for x in (p.summary, p.location) if x]
    if extra:
        head += f"  ({'; '.join(extra)})"
    lines = [head]
    if _all_one_default(p):
        values = ", ".join(f"{s.name} {s.shown}" for s in p.settings)
        lines.append(f"{indent}  {values}  {_origin_text(p.settings[0])}")
    else:
        width = max((len(s.name) for s in p.settings), default=0)
        for s in p.settings:
            lines.extend(_setting_line(s, indent + "  ", width))
    for w in p.warnings:
        lines.append(f"{indent}  WARNING: {w}")
    for child in p.parts:
        lines.extend(_part_text(child, indent + "  "))
    return lines


def to_text(eff: EffectiveApp) -> str:
    lines = [f"Application {eff.name} ({', '.join(eff.files)})"]
    for key, title in _SECTIONS:
        parts = getattr(eff, key)
        if not parts:
            continue
        lines.append("")
        lines.append(f"== {title}")
        for p in parts:
            lines.append("")
            lines.extend(_part_text(p))
    if eff.warnings:
        lines.append("")
        lines.extend(f"WARNING: {w}" for w in eff.warnings)
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------- markdown


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _part_markdown(p: Part, level: int) -> list[str]:
    title = f"{'#' * level} {p.kind.capitalize()} `{p.name}`"
    lines = [title, ""]
    extra = [x for x in (p.summary, p.location) if x]
    if extra:
        lines.extend([_cell("; ".join(extra)), ""])
    if p.settings:
        lines.append("| Setting | Value | Origin | Source | Why |")
        lines.append("|---|---|---|---|---|")
        for s in p.settings:
            lines.append(
                f"| {s.name} | {_cell(s.shown)} | {s.origin} | {_cell(s.source)} | {_cell(s.why)} |"
            )
        lines.append("")
    for w in p.warnings:
        lines.extend([f"> **Warning:** {_cell(w)}", ""])
    for child in p.parts:
        lines.extend(_part_markdown(child, min(level + 1, 6)))
    return lines


def to_markdown(eff: EffectiveApp) -> str:
    lines = [
        f"# Application `{eff.name}`",
        "",
        "Files: " + ", ".join(f"`{f}`" for f in eff.files),
        "",
    ]
    for key, title in _SECTIONS:
        parts = getattr(eff, key)
        if not parts:
            continue
        lines.extend([f"## {title}", ""])
        for p in parts:
            lines.extend(_part_markdown(p, 3))
    for w in eff.warnings:
        lines.extend([f"> **Warning:** {_cell(w)}", ""])
    return "\n".join(lines).rstrip("\n") + "\n"


__all__ = ["FORMATS", "explain", "part_names", "select", "to_json", "to_markdown", "to_text"]

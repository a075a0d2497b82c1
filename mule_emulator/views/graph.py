"""``mule-emu graph``: the application as a diagram (Mermaid, DOT, or SVG/PNG via
Graphviz).

Flows and services are boxes (sub-flows double-bordered, services hexagons), VM queues
are queue shapes (cylinders; persistent ones say so and are drawn with a double
border), request-response addresses are rounded endpoints (no queue behind them, E5),
a ``<poll>`` source is a flag with its period (P-24).
Edges:

- one-way dispatch and polling: plain arrows through the queue;
- request-response send: thick arrows, with a dashed ``reply`` arrow back;
- flow-ref: a plain arrow labelled ``flow-ref`` (same event, same thread), and
  ``unaccepted`` for the flow a message filter's ``onUnaccepted`` names (P-20);
- exception-strategy endpoints: dotted arrows labelled ``on error``; those of an
  ``<on-redelivery-attempts-exceeded>`` block ``redelivery exhausted``, and the
  ``<dead-letter-queue>`` of a redelivery policy ``dead letter`` (they run only once a
  message has failed too often, E-5, P-29).

Output is deterministic: ids come from names, nodes and edges are sorted.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

from mule_emulator.errors import MuleEmulatorError
from mule_emulator.model.config import (
    AppConfig,
    EndpointConfig,
    ExceptionStrategyConfig,
    ProcessorConfig,
)
from mule_emulator.model.references import endpoints_in
from mule_emulator.views.effective import (
    dead_letter_endpoints,
    queue_capacity,
    queue_persistent,
    resolved_connector,
)
from mule_emulator.views.effective_constructs import (
    effective_kind,
    event_handling,
    flow_refs,
    poll_period,
    source_endpoints,
)

FORMATS = ("mermaid", "dot", "svg", "png")

ONE_WAY = "one-way"
SEND = "send"
REPLY = "reply"
FLOW_REF = "flow-ref"
ON_ERROR = "on error"
DEAD_LETTER = "dead letter"
EXHAUSTED = "redelivery exhausted"


@dataclass(frozen=True, order=True)
class Node:
    id: str
    kind: str  # flow | sub-flow | service | queue | endpoint | poll
    label: str
    detail: str = ""
    persistent: bool = False


@dataclass(frozen=True, order=True)
class Edge:
    source: str
    target: str
    style: str  # one of ONE_WAY, SEND, REPLY, FLOW_REF, ON_ERROR, EXHAUSTED, DEAD_LETTER
    label: str = ""


@dataclass(frozen=True)
class Graph:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]


def _ident(prefix: str, name: str) -> str:
    return f"{prefix}_{re.sub(r'[^A-Za-z0-9]', '_', name)}"


class _Builder:
    def __init__(self, app: AppConfig) -> None:
        self.app = app
        self.nodes: dict[str, Node] = {}
        self.edges: set[Edge] = set()
        self.one_way_paths = {e.path for _o, e in _endpoints(app) if e.one_way}

    def node(self, node: Node) -> str:
        self.nodes.setdefault(node.id, node)
        return node.id

    def address(self, endpoint: EndpointConfig) -> str:
        """The queue node (one-way somewhere) or the request-response endpoint node."""
        path = endpoint.path
        uri = f"{endpoint.scheme}://{path}"
        if path in self.one_way_paths:
            connector = resolved_connector(self.app, endpoint)
            persistent = bool(queue_persistent(self.app, connector))
            cap = queue_capacity(connector)
            detail = ("persistent" if persistent else "transient") + (
                f", capacity {cap}" if cap else ", unbounded"
            )
            return self.node(Node(_ident("q", path), "queue", uri, detail, persistent))
        return self.node(Node(_ident("ep", path), "endpoint", uri, "request-response"))

    def inbound(self, owner: str, endpoint: EndpointConfig) -> None:
        target = self.address(endpoint)
        if endpoint.one_way:
            self.edges.add(Edge(target, owner, ONE_WAY))
        else:
            self.edges.add(Edge(target, owner, SEND))
            self.edges.add(Edge(owner, target, REPLY, "reply"))

    def outbound(self, owner: str, endpoint: EndpointConfig, style: str = "") -> None:
        target = self.address(endpoint)
        if style:
            self.edges.add(Edge(owner, target, style, style))
        elif endpoint.one_way:
            self.edges.add(Edge(owner, target, ONE_WAY, "dispatch"))
        else:
            self.edges.add(Edge(owner, target, SEND, "send"))
            self.edges.add(Edge(target, owner, REPLY, "reply"))

    def processors(self, owner: str, processors: tuple[ProcessorConfig, ...]) -> None:
        for endpoint in endpoints_in(processors):
            if endpoint.role == "outbound":
                self.outbound(owner, endpoint)
        refs = [(name, "flow-ref") for name in flow_refs(processors)]
        refs.extend((name, "unaccepted") for name in _unaccepted_targets(processors))
        for name, label in refs:
            if "#[" in name:
                continue
            if name in self.app.flows:
                self.edges.add(Edge(owner, _ident("flow", name), FLOW_REF, label))
            elif name in self.app.sub_flows:
                self.edges.add(Edge(owner, _ident("sub", name), FLOW_REF, label))

    def dead_letters(self, owner: str, endpoint: EndpointConfig) -> None:
        for e in dead_letter_endpoints(endpoint):
            if e.role == "outbound":
                self.outbound(owner, e, DEAD_LETTER)

    def strategy(self, owner: str, strategy: ExceptionStrategyConfig | None) -> None:
        if strategy is None:
            return
        for e, style in _strategy_endpoints(self.app, strategy):
            self.outbound(owner, e, style)

    def build(self) -> Graph:
        app = self.app
        for flow in app.flows.values():
            fid = _ident("flow", flow.name)
            _choice, kind, _note = effective_kind(app, flow)
            events, _why = event_handling(kind, flow)
            if events.startswith("asynchronous via"):
                events = "asynchronous (SEDA stage)"
            elif events.startswith("per endpoint"):
                events = "per source endpoint"
            if flow.initial_state.strip().lower() == "stopped":
                events = f"stopped; {events}"
            self.node(Node(fid, "flow", flow.name, events))
            for source in source_endpoints(flow):  # one, or a <composite-source>'s
                self.inbound(fid, source)
                self.dead_letters(fid, source)
            poll = poll_period(flow)
            if poll is not None:
                pid = _ident("poll", flow.name)
                self.node(Node(pid, "poll", "poll", f"every {poll[0]} ms"))
                self.edges.add(Edge(pid, fid, ONE_WAY))
            self.processors(fid, flow.processors)
            self.strategy(fid, flow.exception_strategy)
        for sub in app.sub_flows.values():
            sid = _ident("sub", sub.name)
            self.node(Node(sid, "sub-flow", sub.name, "sub-flow"))
            self.processors(sid, sub.processors)
        for service in app.services:
            sid = _ident("svc", service.name)
            self.node(Node(sid, "service", service.name, "service"))
            for e in service.inbound:
                self.inbound(sid, e)
                self.dead_letters(sid, e)
            self.processors(sid, service.outbound)
            for extra in (service.outbound_catch_all, service.async_reply):
                if extra is not None:
                    self.processors(sid, (extra,))
            model = app.models.get(service.model)
            self.strategy(
                sid, service.exception_strategy or (model.exception_strategy if model else None)
            )
        return Graph(tuple(sorted(self.nodes.values())), tuple(sorted(self.edges)))


def _unaccepted_targets(processors: tuple[ProcessorConfig, ...]) -> list[str]:
    """Names in ``onUnaccepted`` attributes (message filters), at any depth."""
    out: list[str] = []
    for p in processors:
        if isinstance(p, EndpointConfig):
            continue
        name = p.attr("onUnaccepted")
        if name:
            out.append(name.strip())
        out.extend(_unaccepted_targets(p.children))
    return out


def _endpoints(app: AppConfig) -> list[tuple[str, EndpointConfig]]:
    from mule_emulator.views.effective import all_endpoints

    return list(all_endpoints(app))


def _strategy_endpoints(
    app: AppConfig, strategy: ExceptionStrategyConfig
) -> list[tuple[EndpointConfig, str]]:
    """(endpoint, edge style) of a strategy: ON_ERROR for its processors, EXHAUSTED for
    its ``<on-redelivery-attempts-exceeded>`` block; choice children included."""
    from mule_emulator.errors import ConfigError
    from mule_emulator.model.references import resolve_exception_strategy

    try:
        resolved = resolve_exception_strategy(app, strategy)
    except ConfigError:
        return []
    out = [(e, ON_ERROR) for e in endpoints_in(resolved.processors)]
    out.extend((e, EXHAUSTED) for e in endpoints_in(resolved.on_redelivery_attempts_exceeded or ()))
    for child in resolved.strategies:
        out.extend(_strategy_endpoints(app, child))
    return [(e, style) for e, style in out if e.role == "outbound"]


def build_graph(app: AppConfig) -> Graph:
    """The diagram's nodes and edges for ``app``."""
    return _Builder(app).build()


# ----------------------------------------------------------------------- mermaid


def _mm_text(text: str) -> str:
    return text.replace('"', "#quot;")


def _mm_node(n: Node) -> str:
    label = _mm_text(n.label) + (f"<br/><i>{_mm_text(n.detail)}</i>" if n.detail else "")
    shapes = {
        "flow": ('["', '"]'),
        "sub-flow": ('[["', '"]]'),
        "service": ('{{"', '"}}'),
        "queue": ('[("', '")]'),
        "endpoint": ('(["', '"])'),
        "poll": ('>"', '"]'),
    }
    left, right = shapes[n.kind]
    suffix = ":::persistent" if n.persistent else ""
    return f"    {n.id}{left}{label}{right}{suffix}"


_MM_ARROWS = {
    ONE_WAY: "-->",
    SEND: "==>",
    REPLY: "-.->",
    FLOW_REF: "-->",
    ON_ERROR: "-.->",
    EXHAUSTED: "-.->",
    DEAD_LETTER: "-.->",
}


def to_mermaid(graph: Graph) -> str:
    lines = ["flowchart LR"]
    lines.extend(_mm_node(n) for n in graph.nodes)
    for e in graph.edges:
        arrow = _MM_ARROWS[e.style]
        label = f"|{_mm_text(e.label)}|" if e.label else ""
        lines.append(f"    {e.source} {arrow}{label} {e.target}")
    if any(n.persistent for n in graph.nodes):
        lines.append("    classDef persistent stroke-width:4px")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------- dot


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


_DOT_SHAPES = {
    "flow": 'shape=box, style="rounded,filled", fillcolor="#e8f0fe"',
    "sub-flow": 'shape=box, peripheries=2, style="rounded"',
    "service": 'shape=hexagon, style=filled, fillcolor="#fef3e8"',
    "queue": "shape=cylinder",
    "endpoint": "shape=ellipse",
    "poll": "shape=cds",
}

_DOT_EDGES = {
    ONE_WAY: "style=solid",
    SEND: "style=bold, penwidth=2",
    REPLY: "style=dashed",
    FLOW_REF: 'style=solid, color="gray40", arrowhead=vee',
    ON_ERROR: 'style=dotted, color="red3"',
    EXHAUSTED: 'style=dotted, color="red3"',
    DEAD_LETTER: 'style=dotted, color="red3"',
}


def to_dot(graph: Graph, name: str = "app") -> str:
    lines = [
        f'digraph "{_dot_text(name)}" {{',
        "    rankdir=LR;",
        '    node [fontname="Helvetica"];',
    ]
    for n in graph.nodes:
        label = _dot_text(n.label) + (f"\\n{_dot_text(n.detail)}" if n.detail else "")
        attrs = _DOT_SHAPES[n.kind]
        if n.persistent:
            attrs += ", peripheries=2"
        lines.append(f'    {n.id} [label="{label}", {attrs}];')
    for e in graph.edges:
        attrs = _DOT_EDGES[e.style]
        if e.label:
            attrs = f'label="{_dot_text(e.label)}", ' + attrs
        lines.append(f"    {e.source} -> {e.target} [{attrs}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------- images


def find_dot() -> str | None:
    """The Graphviz ``dot`` program on PATH, if installed."""
    return shutil.which("dot")


def render_image(dot_source: str, fmt: str, dot_program: str) -> bytes:
    """Run Graphviz to turn DOT into ``svg`` or ``png`` bytes."""
    try:
        done = subprocess.run(
            [dot_program, f"-T{fmt}"],
            input=dot_source.encode("utf-8"),
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise MuleEmulatorError(f"running Graphviz '{dot_program}' failed: {exc}") from exc
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip()
        raise MuleEmulatorError(f"Graphviz '{dot_program}' failed: {detail}")
    return done.stdout


def graph_text(app: AppConfig, fmt: str) -> str:
    """The diagram as Mermaid or DOT text."""
    graph = build_graph(app)
    if fmt == "mermaid":
        return to_mermaid(graph)
    if fmt == "dot":
        return to_dot(graph, app.name)
    raise ValueError(f"unknown text graph format {fmt!r}")


__all__ = [
    "FORMATS",
    "Edge",
    "Graph",
    "Node",
    "build_graph",
    "find_dot",
    "graph_text",
    "render_image",
    "to_dot",
    "to_mermaid",
]

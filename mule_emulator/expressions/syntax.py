"""The syntax tree of a parsed MEL expression (no behaviour; ``compiler`` gives it one)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Node:
    pos: int


@dataclass(frozen=True, slots=True)
class Literal(Node):
    value: Any


@dataclass(frozen=True, slots=True)
class Name(Node):
    name: str


@dataclass(frozen=True, slots=True)
class ClassRef(Node):
    name: str


@dataclass(frozen=True, slots=True)
class Member(Node):
    target: Node
    name: str
    null_safe: bool = False


@dataclass(frozen=True, slots=True)
class Index(Node):
    target: Node
    index: Node


@dataclass(frozen=True, slots=True)
class Call(Node):
    """A method call ``target.name(args)``, or a function call when ``target`` is None."""

    target: Node | None
    name: str
    args: tuple[Node, ...]
    null_safe: bool = False


@dataclass(frozen=True, slots=True)
class StaticCall(Node):
    class_name: str
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class New(Node):
    class_name: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Unary(Node):
    op: str
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Ternary(Node):
    condition: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True, slots=True)
class IsType(Node):
    value: Node
    class_name: str


@dataclass(frozen=True, slots=True)
class ListLiteral(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class MapLiteral(Node):
    entries: tuple[tuple[Node, Node], ...]


@dataclass(frozen=True, slots=True)
class Assign(Node):
    target: Node
    op: str  # "=", "+=", "-=", "*=", "/="
    value: Node


@dataclass(frozen=True, slots=True)
class Block(Node):
    statements: tuple[Node, ...]

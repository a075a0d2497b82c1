"""Tokens of the MEL subset: numbers, strings, names, operators; comments skipped.

Each token keeps its 0-based offset so errors can name the column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mule_emulator.expressions.errors import ExpressionSyntaxError


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "num" | "str" | "name" | "op" | "end"
    value: Any
    pos: int


_OPERATORS = (
    "==", "!=", "<=", ">=", "&&", "||", "+=", "-=", "*=", "/=", ".?", "~=",
    "<", ">", "=", "+", "-", "*", "/", "%", "!", "?", ":", ".", ",", "(", ")", "[", "]", ";",
    "{", "}",
)  # fmt: skip

_NUMBER = re.compile(
    r"0[xX](?P<hex>[0-9a-fA-F]+)(?P<hexlong>[lL])?"
    r"|(?P<digits>\d+(?P<fraction>\.\d+)?(?P<exp>[eE][+-]?\d+)?)(?P<suffix>[lLdDfFbBiI])?"
)
_NAME = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_SPACE = re.compile(r"(?:\s+|//[^\n]*|/\*.*?\*/)+", re.DOTALL)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "0": "\0"}


def _number(match: re.Match[str]) -> Any:
    if match.group("hex") is not None:
        return int(match.group("hex"), 16)
    text, suffix = match.group("digits"), (match.group("suffix") or "").lower()
    is_decimal = match.group("fraction") is not None or match.group("exp") is not None
    if suffix == "b":
        return Decimal(text)
    if suffix in ("d", "f") or is_decimal:
        return float(text)
    return int(text)


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; raises ``ExpressionSyntaxError`` on a bad character."""
    tokens: list[Token] = []
    pos, size = 0, len(text)
    while True:
        space = _SPACE.match(text, pos)
        if space:
            pos = space.end()
        if pos >= size:
            tokens.append(Token("end", None, pos))
            return tokens
        char = text[pos]
        if char.isdigit():
            match = _NUMBER.match(text, pos)
            assert match is not None
            tokens.append(Token("num", _number(match), pos))
            pos = match.end()
        elif char == "'" or char == '"':
            value, end = _string(text, pos)
            tokens.append(Token("str", value, pos))
            pos = end
        elif char.isalpha() or char in "_$":
            match = _NAME.match(text, pos)
            assert match is not None
            tokens.append(Token("name", match.group(0), pos))
            pos = match.end()
        else:
            for operator in _OPERATORS:
                if text.startswith(operator, pos):
                    tokens.append(Token("op", operator, pos))
                    pos += len(operator)
                    break
            else:
                raise ExpressionSyntaxError(f"unexpected character {char!r}", text, pos + 1)


def _string(text: str, start: int) -> tuple[str, int]:
    quote = text[start]
    out: list[str] = []
    pos = start + 1
    while pos < len(text):
        char = text[pos]
        if char == quote:
            return "".join(out), pos + 1
        if char == "\\" and pos + 1 < len(text):
            nxt = text[pos + 1]
            if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[pos + 2 : pos + 6]):
                out.append(chr(int(text[pos + 2 : pos + 6], 16)))
                pos += 6
                continue
            out.append(_ESCAPES.get(nxt, nxt))
            pos += 2
            continue
        out.append(char)
        pos += 1
    raise ExpressionSyntaxError("unterminated string literal", text, start + 1)

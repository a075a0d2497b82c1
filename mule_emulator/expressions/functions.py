"""MEL's global functions ``regex()``, ``wildcard()``, ``dateTime()`` and Java statics.

``regex(pattern[, text[, flags]])`` matches the whole text (payload as a string by
default): null when it does not match, the match (or its single group) when it does,
an array of the groups when there are several. ``wildcard(pattern[, text[,
caseSensitive]])`` is commons-io's ``wildcardMatch`` (``*`` and ``?``). A small table of
Java static methods and ``new`` constructors covers what Mule configs commonly call.
"""

from __future__ import annotations

import math
import os
import random
import re
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from mule_emulator.expressions.datetime_value import DateTime
from mule_emulator.expressions.errors import ExpressionRuntimeError
from mule_emulator.expressions.members import java_regex
from mule_emulator.expressions.values import java_str, type_label

# java.util.regex.Pattern flag bits -> Python flags
_FLAGS = {1: 0, 2: re.IGNORECASE, 4: re.VERBOSE, 8: re.MULTILINE, 32: re.DOTALL, 64: re.UNICODE}


def regex(payload_text: Callable[[], str], args: list[Any]) -> Any:
    """``regex(pattern[, text[, flags]])``."""
    if not 1 <= len(args) <= 3:
        raise ExpressionRuntimeError("regex(): invalid number of arguments")
    pattern = args[0]
    if not isinstance(pattern, str):
        raise ExpressionRuntimeError("regex(): the regular expression is not a string")
    if len(args) == 1:
        text = payload_text()
    else:
        text = args[1]
        if not isinstance(text, str):
            raise ExpressionRuntimeError("regex(): the text is null or not a string")
    flags = 0
    if len(args) == 3 and args[2] is not None:
        if not isinstance(args[2], int):
            raise ExpressionRuntimeError("regex(): flags is not an integer")
        for bit, py_flag in _FLAGS.items():
            if args[2] & bit:
                flags |= py_flag
    compiled = java_regex(pattern) if not flags else re.compile(pattern, flags)
    match = compiled.fullmatch(text)
    if match is None:
        return None
    if compiled.groups <= 1:
        return match.group(compiled.groups)
    return list(match.groups())


def wildcard_match(text: str, pattern: str, case_sensitive: bool = True) -> bool:
    """commons-io ``FilenameUtils.wildcardMatch``: ``*`` any run, ``?`` one character."""
    parts = re.split(r"([*?])", pattern)
    body = "".join(".*" if p == "*" else "." if p == "?" else re.escape(p) for p in parts)
    flags = re.DOTALL | (0 if case_sensitive else re.IGNORECASE)
    return re.fullmatch(body, text, flags) is not None


def wildcard(payload_text: Callable[[], str], args: list[Any]) -> bool:
    """``wildcard(pattern[, text[, caseSensitive]])``."""
    if not 1 <= len(args) <= 3:
        raise ExpressionRuntimeError(
            "wildcard(): expected wildcard(wildcardExpression, [text], [caseSensitive])"
        )
    pattern = args[0]
    if not isinstance(pattern, str) or not pattern.strip():
        raise ExpressionRuntimeError("wildcard(): the pattern is null, blank or not a string")
    text = payload_text() if len(args) == 1 else args[1]
    if not isinstance(text, str):
        raise ExpressionRuntimeError("wildcard(): the text is null or not a string")
    case_sensitive = True if len(args) < 3 else bool(args[2])
    return wildcard_match(text, pattern, case_sensitive)


def date_time(args: list[Any]) -> DateTime:
    """``dateTime(value)`` or ``dateTime(text, javaPattern)``."""
    if not 1 <= len(args) <= 3:
        raise ExpressionRuntimeError("dateTime(): invalid number of arguments")
    value = args[0]
    try:
        if len(args) == 1:
            if isinstance(value, DateTime):
                return DateTime(value.value)
            if isinstance(value, datetime):
                return DateTime(value)
            if isinstance(value, date):
                return DateTime(datetime(value.year, value.month, value.day))
            return DateTime.parse(java_str(value))
        return DateTime.parse(str(value), str(args[1]))
    except ValueError as exc:
        what = "as a ISO-8601 date" if len(args) == 1 else f"using format '{args[1]}'"
        raise ExpressionRuntimeError(f"Unable to parse string {what}") from exc


def _parse_int(value: Any, *_radix: Any) -> int:
    try:
        return int(str(value).strip(), int(_radix[0]) if _radix else 10)
    except ValueError as exc:
        raise ExpressionRuntimeError(f'NumberFormatException: For input string: "{value}"') from exc


def _parse_float(value: Any) -> float:
    try:
        return float(str(value).strip())
    except ValueError as exc:
        raise ExpressionRuntimeError(f'NumberFormatException: For input string: "{value}"') from exc


def _java_format(fmt: str, *args: Any) -> str:
    converted = re.sub(r"%n", "\n", fmt)
    values = tuple(java_str(a) if isinstance(a, bool) or a is None else a for a in args)
    try:
        return converted % values
    except (TypeError, ValueError) as exc:
        raise ExpressionRuntimeError(f"IllegalFormatException: {exc}") from exc


STATIC_METHODS: dict[tuple[str, str], Callable[..., Any]] = {
    ("java.util.UUID", "randomUUID"): lambda: str(uuid.uuid4()),
    ("java.lang.System", "currentTimeMillis"): lambda: int(time.time() * 1000),
    ("java.lang.System", "nanoTime"): time.perf_counter_ns,
    ("java.lang.System", "getProperty"): lambda k, d=None: {
        "line.separator": os.linesep,
        "file.separator": os.sep,
    }.get(k, d),
    ("java.lang.System", "getenv"): lambda k: os.environ.get(k),
    ("java.lang.Integer", "parseInt"): _parse_int,
    ("java.lang.Integer", "valueOf"): _parse_int,
    ("java.lang.Long", "parseLong"): _parse_int,
    ("java.lang.Long", "valueOf"): _parse_int,
    ("java.lang.Double", "parseDouble"): _parse_float,
    ("java.lang.Double", "valueOf"): _parse_float,
    ("java.lang.Boolean", "parseBoolean"): lambda v: str(v).lower() == "true",
    ("java.lang.Boolean", "valueOf"): lambda v: (
        v if isinstance(v, bool) else str(v).lower() == "true"
    ),
    ("java.lang.String", "valueOf"): java_str,
    ("java.lang.String", "format"): _java_format,
    ("java.lang.Math", "max"): max,
    ("java.lang.Math", "min"): min,
    ("java.lang.Math", "abs"): abs,
    ("java.lang.Math", "floor"): lambda v: float(math.floor(v)),
    ("java.lang.Math", "ceil"): lambda v: float(math.ceil(v)),
    ("java.lang.Math", "round"): lambda v: math.floor(v + 0.5),
    ("java.lang.Math", "random"): random.random,
    ("java.lang.Math", "pow"): lambda a, b: float(a) ** float(b),
    ("java.lang.Math", "sqrt"): lambda v: math.sqrt(v),
}


def _new_string(*args: Any) -> str:
    if not args:
        return ""
    value = args[0]
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode(str(args[1]) if len(args) > 1 else "utf-8")
    return java_str(value)


CONSTRUCTORS: dict[str, Callable[..., Any]] = {
    "java.util.HashMap": lambda *a: dict(a[0]) if a and isinstance(a[0], dict) else {},
    "java.util.LinkedHashMap": lambda *a: dict(a[0]) if a and isinstance(a[0], dict) else {},
    "java.util.TreeMap": lambda *a: dict(sorted(a[0].items())) if a else {},
    "java.util.ArrayList": lambda *a: list(a[0]) if a and not isinstance(a[0], int) else [],
    "java.util.LinkedList": lambda *a: list(a[0]) if a else [],
    "java.util.HashSet": lambda *a: set(a[0]) if a and not isinstance(a[0], int) else set(),
    "java.lang.String": _new_string,
    "java.lang.StringBuilder": _new_string,
    "java.lang.Integer": _parse_int,
    "java.lang.Long": _parse_int,
    "java.math.BigDecimal": lambda v: Decimal(java_str(v)),
    "java.util.Date": lambda *a: datetime.now().astimezone(),
    "java.lang.Object": object,
}

_SIMPLE_CONSTRUCTOR_NAMES = {name.rsplit(".", 1)[-1]: name for name in CONSTRUCTORS}


def constructor_for(class_name: str) -> tuple[str, Callable[..., Any]] | None:
    """The emulated constructor for ``new class_name(...)`` (simple names of java.lang/util)."""
    qualified = class_name if "." in class_name else _SIMPLE_CONSTRUCTOR_NAMES.get(class_name, "")
    factory = CONSTRUCTORS.get(qualified)
    return None if factory is None else (qualified, factory)


def describe_args(args: list[Any]) -> str:
    return ", ".join(type_label(a) for a in args)

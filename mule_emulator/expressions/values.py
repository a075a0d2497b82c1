"""Java/MVEL value semantics over Python values.

Payloads are Python values; MEL compares and prints them the way Java and MVEL do:
``==`` compares by value (strings by content, numbers across types, null-safe, a numeric
string against a number is converted), ``+`` concatenates when either side is a string,
integer ``/`` and ``%`` truncate toward zero (Java), ``x == empty`` is MVEL's blank check,
and ``java_str`` renders values as Java's ``toString`` does (``null``, ``true``,
``[a, b]``, ``{k=v}``, ``1.0E20``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Set
from decimal import Decimal, InvalidOperation
from typing import Any

from mule_emulator.expressions.errors import ExpressionRuntimeError


class _Empty:
    """MVEL's ``empty`` literal: equal to null, blank strings, zero, empty collections."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "empty"

    def __str__(self) -> str:
        return ""


EMPTY = _Empty()

Number = int | float | Decimal


def is_number(value: Any) -> bool:
    """A Java ``Number`` (bool is a Boolean, not a number)."""
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _float_str(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    if 1e-3 <= abs(value) < 1e7:
        text = repr(value)
        return text if ("." in text or "e" in text) else text + ".0"
    exact = Decimal(repr(value))
    shape = exact.as_tuple()
    digits = "".join(map(str, shape.digits)).rstrip("0") or "0"
    sign = "-" if shape.sign else ""
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{exact.adjusted()}"


def java_str(value: Any) -> str:
    """Java's ``String.valueOf(value)`` for the values payloads and MEL produce."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_str(value)
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{java_str(k)}={java_str(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple | Set):
        return "[" + ", ".join(java_str(v) for v in value) + "]"
    if isinstance(value, BaseException):
        from mule_emulator.expressions.java_types import java_class_name

        text = str(value)
        name = java_class_name(value)
        return f"{name}: {text}" if text else name
    return str(value)


def is_blank(value: Any) -> bool:
    """``value == empty`` (MVEL ``BlankLiteral``)."""
    if value is None or value is EMPTY:
        return True
    if isinstance(value, str):
        return not value.strip()
    if value is False:
        return True
    if value is True:
        return False
    if is_number(value):
        return bool(value == 0)
    if isinstance(value, Mapping | list | tuple | Set | bytes | bytearray):
        return len(value) == 0
    return not java_str(value).strip()


def _to_number(text: str) -> Number | None:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return None


def java_equals(left: Any, right: Any) -> bool:
    """MVEL ``==``: value equality, null-safe, numbers across types, coercing strings."""
    if left is right:
        return True
    if left is EMPTY:
        return is_blank(right)
    if right is EMPTY:
        return is_blank(left)
    if left is None or right is None:
        return False
    left_str, right_str = isinstance(left, str), isinstance(right, str)
    if left_str and right_str:
        return bool(left == right)
    if left_str or right_str:
        text, other = (left, right) if left_str else (right, left)
        if isinstance(other, bool):
            return bool(text.strip().lower() == ("true" if other else "false"))
        if is_number(other):
            number = _to_number(text.strip())
            return number is not None and bool(number == other)
        return text == java_str(other) if isinstance(other, Decimal) else False
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and bool(left == right)
    if isinstance(left, list | tuple) and isinstance(right, list | tuple):
        return len(left) == len(right) and all(
            java_equals(a, b) for a, b in zip(left, right, strict=True)
        )
    try:
        return bool(left == right)
    except Exception:  # a stand-in's __eq__ failing is a false comparison
        return False


def _ordering_pair(left: Any, right: Any, op: str) -> tuple[Any, Any]:
    if is_number(left) and is_number(right):
        if isinstance(left, Decimal) != isinstance(right, Decimal):
            return _decimal(left), _decimal(right)
        return left, right
    if isinstance(left, str) and isinstance(right, str):
        return left, right
    if isinstance(left, str) and is_number(right):
        number = _to_number(left.strip())
        if number is not None:
            return _ordering_pair(number, right, op)
    if isinstance(right, str) and is_number(left):
        number = _to_number(right.strip())
        if number is not None:
            return _ordering_pair(left, number, op)
    if type(left) is type(right) and hasattr(left, "__lt__"):
        return left, right
    raise ExpressionRuntimeError(f"cannot compare {type_label(left)} {op} {type_label(right)}")


def compare(left: Any, right: Any, op: str) -> bool:
    """``<``, ``>``, ``<=``, ``>=``; a null operand compares false (no exception)."""
    if left is None or right is None:
        return False
    if type(left) is type(right) and type(left) in (int, float, str):
        a, b = left, right
    else:
        a, b = _ordering_pair(left, right, op)
    if op == "<":
        return bool(a < b)
    if op == ">":
        return bool(a > b)
    if op == "<=":
        return bool(a <= b)
    return bool(a >= b)


def _decimal(value: Any) -> Decimal:
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation as exc:
        raise ExpressionRuntimeError(f"not a number: {java_str(value)}") from exc


def type_label(value: Any) -> str:
    """A short Java-ish type name for error messages."""
    from mule_emulator.expressions.java_types import java_class_name

    return "null" if value is None else java_class_name(value)


def _numeric_operands(left: Any, right: Any, op: str) -> tuple[Any, Any]:
    if not (is_number(left) and is_number(right)):
        raise ExpressionRuntimeError(
            f"operator {op} is not defined for {type_label(left)} and {type_label(right)}"
        )
    if isinstance(left, Decimal) or isinstance(right, Decimal):
        return _decimal(left), _decimal(right)
    return left, right


def add(left: Any, right: Any) -> Any:
    """``+``: string concatenation when either side is a string, else numeric addition."""
    kinds = (type(left), type(right))
    if kinds == (int, int) or kinds == (str, str):
        return left + right
    if isinstance(left, str) or isinstance(right, str):
        return java_str(left) + java_str(right)
    a, b = _numeric_operands(left, right, "+")
    return a + b


def subtract(left: Any, right: Any) -> Any:
    a, b = _numeric_operands(left, right, "-")
    return a - b


def multiply(left: Any, right: Any) -> Any:
    a, b = _numeric_operands(left, right, "*")
    return a * b


def divide(left: Any, right: Any) -> Any:
    """``/``: Java integer division (truncating) when both sides are integers."""
    a, b = _numeric_operands(left, right, "/")
    if isinstance(a, int) and isinstance(b, int):
        if b == 0:
            raise ExpressionRuntimeError("ArithmeticException: / by zero")
        quotient = abs(a) // abs(b)
        return quotient if (a >= 0) == (b >= 0) else -quotient
    if isinstance(a, Decimal):
        if b == 0:
            raise ExpressionRuntimeError("ArithmeticException: division by zero")
        return a / b
    if b == 0:
        if a == 0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def remainder(left: Any, right: Any) -> Any:
    """``%``: Java remainder (the sign follows the dividend)."""
    a, b = _numeric_operands(left, right, "%")
    if isinstance(a, int) and isinstance(b, int):
        if b == 0:
            raise ExpressionRuntimeError("ArithmeticException: / by zero")
        return int(math.copysign(abs(a) % abs(b), a)) if a else 0
    if isinstance(a, Decimal):
        return a % b
    if b == 0:
        return math.nan
    return math.fmod(a, b)


def negate(value: Any) -> Any:
    if not is_number(value):
        raise ExpressionRuntimeError(f"cannot negate {type_label(value)}")
    return -value


def as_condition(value: Any, what: str = "condition") -> bool:
    """A value used by ``!``, ``&&``, ``||`` or ``?:``: Boolean, "true"/"false", null=false."""
    if value is True or value is False:
        return value
    if value is None:
        return False
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
    raise ExpressionRuntimeError(
        f"{what} is not a boolean: {type_label(value)} {java_str(value)!r}"
    )


def resolve_boolean(value: Any, null_value: bool, non_boolean_value: bool) -> bool:
    """EL-7 (``resolveBoolean``): Boolean as is, "true"/"false" parsed, else the defaults."""
    if value is None:
        return null_value
    if value is True or value is False:
        return value
    if isinstance(value, str):
        lowered = value.lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
    return non_boolean_value


def contains(container: Any, item: Any) -> bool:
    """MVEL ``contains``: substring, collection membership (by value) or map key."""
    if container is None:
        return False
    if isinstance(container, str):
        return java_str(item) in container
    if isinstance(container, Mapping):
        return item in container
    if isinstance(container, list | tuple | Set):
        return any(java_equals(element, item) for element in container)
    raise ExpressionRuntimeError(f"'contains' is not defined for {type_label(container)}")

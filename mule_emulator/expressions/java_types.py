"""Java class names as MEL uses them: ``is``/``instanceof``, ``causedBy``, ``getClass()``.

Payloads are Python values, so a Java type is a predicate over Python values: ``String``
is ``str``, ``java.util.Map`` any mapping, ``Number`` int/float/Decimal (never bool).
Java exception classes map onto Python exception families (``java.io.IOException`` is
``OSError``). Any other class name (a user's ``com.acme.Order`` or ``OrderException``)
matches an object whose class, or a class in its MRO, has that simple name, or whose
``java_class`` attribute names it: that is how stand-ins declare their Java identity.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Set
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from mule_emulator.errors import MessagingError, MuleEmulatorError, RuntimeFault
from mule_emulator.expressions.datetime_value import DateTime

Predicate = Callable[[Any], bool]


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_range(bits: int) -> Predicate:
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1)
    return lambda v: _int(v) and low <= v < high


_VALUE_TYPES: dict[str, Predicate] = {
    "java.lang.Object": lambda v: v is not None,
    "java.lang.String": lambda v: isinstance(v, str),
    "java.lang.CharSequence": lambda v: isinstance(v, str),
    "java.lang.Number": lambda v: isinstance(v, int | float | Decimal) and not isinstance(v, bool),
    "java.lang.Integer": _int_range(32),
    "java.lang.Long": _int,
    "java.lang.Short": _int_range(16),
    "java.lang.Byte": _int_range(8),
    "java.math.BigInteger": _int,
    "java.lang.Double": lambda v: isinstance(v, float),
    "java.lang.Float": lambda v: isinstance(v, float),
    "java.math.BigDecimal": lambda v: isinstance(v, Decimal),
    "java.lang.Boolean": lambda v: isinstance(v, bool),
    "java.lang.Character": lambda v: isinstance(v, str) and len(v) == 1,
    "java.util.Map": lambda v: isinstance(v, Mapping),
    "java.util.HashMap": lambda v: isinstance(v, Mapping),
    "java.util.LinkedHashMap": lambda v: isinstance(v, Mapping),
    "java.util.Collection": lambda v: isinstance(v, list | tuple | Set),
    "java.lang.Iterable": lambda v: isinstance(v, list | tuple | Set),
    "java.util.List": lambda v: isinstance(v, list | tuple),
    "java.util.ArrayList": lambda v: isinstance(v, list),
    "java.util.LinkedList": lambda v: isinstance(v, list),
    "java.util.Set": lambda v: isinstance(v, Set),
    "java.util.HashSet": lambda v: isinstance(v, Set),
    "java.util.Date": lambda v: isinstance(v, datetime | date | DateTime),
    "java.util.Calendar": lambda v: isinstance(v, datetime | DateTime),
    "java.io.InputStream": lambda v: hasattr(v, "read"),
    "byte[]": lambda v: isinstance(v, bytes | bytearray),
}

# Java exception class -> Python exception families it stands for (hierarchy included).
_EXCEPTION_TYPES: dict[str, tuple[type[BaseException], ...]] = {
    "java.lang.Throwable": (BaseException,),
    "java.lang.Exception": (Exception,),
    "java.lang.Error": (MemoryError, RecursionError, SystemError),
    "java.lang.RuntimeException": (
        ArithmeticError,
        LookupError,
        ValueError,
        TypeError,
        AttributeError,
        RuntimeError,
        RuntimeFault,
    ),
    "java.io.IOException": (OSError,),
    "java.io.FileNotFoundException": (FileNotFoundError,),
    "java.net.ConnectException": (ConnectionError,),
    "java.net.SocketTimeoutException": (TimeoutError,),
    "java.util.concurrent.TimeoutException": (TimeoutError,),
    "java.lang.IllegalArgumentException": (ValueError,),
    "java.lang.NumberFormatException": (ValueError,),
    "java.lang.IllegalStateException": (RuntimeError,),
    "java.lang.UnsupportedOperationException": (NotImplementedError,),
    "java.lang.NullPointerException": (AttributeError,),
    "java.lang.ArithmeticException": (ArithmeticError,),
    "java.lang.IndexOutOfBoundsException": (IndexError,),
    "java.lang.ArrayIndexOutOfBoundsException": (IndexError,),
    "java.lang.ClassCastException": (TypeError,),
    "java.util.NoSuchElementException": (KeyError, StopIteration),
    "org.mule.api.MuleException": (MuleEmulatorError,),
    "org.mule.api.MessagingException": (MessagingError,),
    "org.mule.api.MuleRuntimeException": (RuntimeFault,),
}

# Python type -> the Java class name it shows (getClass().getName(), causeMatches, ...).
_PYTHON_NAMES: tuple[tuple[type, str], ...] = (
    (bool, "java.lang.Boolean"),
    (int, "java.lang.Integer"),
    (float, "java.lang.Double"),
    (Decimal, "java.math.BigDecimal"),
    (str, "java.lang.String"),
    (bytes, "[B"),
    (bytearray, "[B"),
    (dict, "java.util.HashMap"),
    (list, "java.util.ArrayList"),
    (tuple, "java.util.Arrays$ArrayList"),
    (set, "java.util.HashSet"),
    (frozenset, "java.util.HashSet"),
    (DateTime, "org.mule.el.datetime.DateTime"),
    (datetime, "java.util.Date"),
    (MessagingError, "org.mule.api.MessagingException"),
    (FileNotFoundError, "java.io.FileNotFoundException"),
    (ConnectionError, "java.net.ConnectException"),
    (TimeoutError, "java.util.concurrent.TimeoutException"),
    (OSError, "java.io.IOException"),
    (ZeroDivisionError, "java.lang.ArithmeticException"),
    (ArithmeticError, "java.lang.ArithmeticException"),
    (IndexError, "java.lang.IndexOutOfBoundsException"),
    (KeyError, "java.util.NoSuchElementException"),
    (ValueError, "java.lang.IllegalArgumentException"),
    (TypeError, "java.lang.ClassCastException"),
    (AttributeError, "java.lang.NullPointerException"),
    (NotImplementedError, "java.lang.UnsupportedOperationException"),
    (RuntimeError, "java.lang.IllegalStateException"),
    (RuntimeFault, "org.mule.api.MuleRuntimeException"),
    (MuleEmulatorError, "org.mule.api.MuleException"),
    (Exception, "java.lang.Exception"),
)

_JAVA_LANG = {
    "Object",
    "String",
    "CharSequence",
    "Number",
    "Integer",
    "Long",
    "Short",
    "Byte",
    "Double",
    "Float",
    "Boolean",
    "Character",
    "Iterable",
    "Throwable",
    "Exception",
    "Error",
    "RuntimeException",
    "IllegalArgumentException",
    "IllegalStateException",
    "NullPointerException",
    "ArithmeticException",
    "IndexOutOfBoundsException",
    "ClassCastException",
    "NumberFormatException",
    "UnsupportedOperationException",
    "ArrayIndexOutOfBoundsException",
    "System",
    "Math",
    "Thread",
}

PACKAGE_ROOTS = frozenset({"java", "javax", "org", "com", "net", "io"})


def qualify(name: str) -> str:
    """``String`` -> ``java.lang.String`` (MVEL imports java.lang); others unchanged."""
    return f"java.lang.{name}" if name in _JAVA_LANG else name


def is_java_lang(name: str) -> bool:
    """A simple name MVEL resolves as a java.lang class without an import."""
    return name in _JAVA_LANG


def simple_name(name: str) -> str:
    return name.rsplit(".", 1)[-1].rsplit("$", 1)[-1]


class JavaClass:
    """A class literal in an expression (``java.io.IOException``, ``String``)."""

    __slots__ = ("name", "simple")

    def __init__(self, name: str) -> None:
        self.name = qualify(name)
        self.simple = simple_name(self.name)

    def __repr__(self) -> str:
        return f"class {self.name}"

    def __str__(self) -> str:
        return f"class {self.name}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JavaClass) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def mel_property(self, name: str) -> Any:
        if name == "name":
            return self.name
        if name == "simpleName":
            return self.simple
        raise AttributeError(name)

    def mel_call(self, name: str, args: list[Any]) -> Any:
        if name == "getName" and not args:
            return self.name
        if name == "getSimpleName" and not args:
            return self.simple
        if name == "isInstance" and len(args) == 1:
            return is_instance(args[0], self.name)
        raise AttributeError(name)


def _declared_names(value: Any) -> Iterator[str]:
    declared = getattr(value, "java_class", None)
    if isinstance(declared, str):
        yield declared
    for klass in type(value).__mro__:
        declared = klass.__dict__.get("java_class")
        if isinstance(declared, str):
            yield declared


def java_class_name(value: Any) -> str:
    """The Java class name a value shows (``getClass().getName()``)."""
    for declared in _declared_names(value):
        return declared
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**31) <= value < 2**31:
        return "java.lang.Long"
    for klass, name in _PYTHON_NAMES:
        if isinstance(value, klass):
            if klass is Exception and type(value) is not Exception:
                break
            return name
    klass = type(value)
    module = klass.__module__
    return klass.__qualname__ if module == "builtins" else f"{module}.{klass.__qualname__}"


def is_instance(value: Any, class_name: str) -> bool:
    """``value is class_name`` / ``value instanceof class_name``."""
    if value is None:
        return False
    name = qualify(class_name)
    check = _VALUE_TYPES.get(name)
    if check is not None and check(value):
        return True
    families = _EXCEPTION_TYPES.get(name)
    if families is not None and isinstance(value, BaseException) and isinstance(value, families):
        return True
    wanted = simple_name(name)
    for declared in _declared_names(value):
        if declared == name or simple_name(declared) == wanted:
            return True
    return any(klass.__name__ == wanted for klass in type(value).__mro__)


def cause_chain(exc: BaseException | None) -> Iterator[BaseException]:
    """The exception and its causes (``cause`` attribute first, then ``__cause__``)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        nxt = getattr(exc, "cause", None)
        if not isinstance(nxt, BaseException):
            nxt = exc.__cause__ or exc.__context__
        exc = nxt


def caused_by(exc: BaseException | None, class_name: str) -> bool:
    """``exception.causedBy(Class)``: the exception or any cause is an instance of it."""
    return any(is_instance(item, class_name) for item in cause_chain(exc))


def caused_exactly_by(exc: BaseException | None, class_name: str) -> bool:
    """``exception.causedExactlyBy(Class)``: some exception in the chain is of that class."""
    name = qualify(class_name)
    wanted = simple_name(name)
    for item in cause_chain(exc):
        shown = java_class_name(item)
        if shown == name or type(item).__name__ == wanted:
            return True
    return False


def wildcard_to_regex(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$")


def cause_matches(exc: BaseException | None, pattern: str) -> bool:
    """``exception.causeMatches('java.io.*')``: a class name in the chain fits the wildcard."""
    regex = wildcard_to_regex(pattern)
    for item in cause_chain(exc):
        names = {java_class_name(item), type(item).__name__}
        klass = type(item)
        names.add(f"{klass.__module__}.{klass.__qualname__}")
        if any(regex.match(name) for name in names):
            return True
    return False

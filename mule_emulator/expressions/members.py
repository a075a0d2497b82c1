"""Property access and Java method calls on MEL values.

``a.b`` reads a map entry (MVEL's map-as-bean rule), a MEL context property
(``mel_property``), or a Python attribute (``b``, then ``snake_case(b)``, then a getter
``getB()``). Method calls map the common Java ``String``, ``List`` and ``Map`` methods
onto Python values; other objects (stand-ins) get their own Python methods, looked up
by the Java name and its snake_case form.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, MutableMapping, Set
from typing import Any

from mule_emulator.expressions.errors import ExpressionRuntimeError
from mule_emulator.expressions.java_types import (
    JavaClass,
    cause_chain,
    cause_matches,
    caused_by,
    caused_exactly_by,
    java_class_name,
)
from mule_emulator.expressions.values import java_equals, java_str, type_label

_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def snake_case(name: str) -> str:
    return _CAMEL.sub(r"_\1", name).lower()


def java_regex(pattern: str) -> re.Pattern[str]:
    """Compile a Java regex (named groups ``(?<n>`` become Python's ``(?P<n>``)."""
    try:
        return re.compile(re.sub(r"\(\?<([A-Za-z][A-Za-z0-9]*)>", r"(?P<\1>", pattern))
    except re.error as exc:
        raise ExpressionRuntimeError(f"PatternSyntaxException: {exc} in {pattern!r}") from exc


def java_replacement(replacement: str) -> Callable[[re.Match[str]], str]:
    """A Java ``replaceAll`` replacement (``$1``, ``${name}``, ``\\$``) as a callback."""
    parts = re.split(r"(\\.|\$\d+|\$\{[A-Za-z][A-Za-z0-9]*\})", replacement)

    def expand(match: re.Match[str]) -> str:
        out: list[str] = []
        for part in parts:
            if part.startswith("\\") and len(part) == 2:
                out.append(part[1])
            elif part.startswith("${"):
                out.append(match.group(part[2:-1]) or "")
            elif part.startswith("$") and part[1:].isdigit():
                out.append(match.group(int(part[1:])) or "")
            else:
                out.append(part)
        return "".join(out)

    return expand


def java_split(text: str, regex: str, limit: int = 0) -> list[str]:
    """Java ``String.split``: trailing empty strings dropped when ``limit`` is 0."""
    pattern = java_regex(regex)
    parts = pattern.split(text, maxsplit=limit - 1 if limit > 0 else 0)
    if pattern.groups:
        parts = parts[:: pattern.groups + 1]
    # Java 8: a zero-width match at the beginning never yields a leading empty string
    if parts and parts[0] == "" and text and (m := pattern.match(text)) and m.end() == 0:
        parts = parts[1:]
    if limit == 0:
        while parts and parts[-1] == "":
            parts.pop()
    return parts or ([text] if text == "" else [])


def java_hash(text: str) -> int:
    value = 0
    for unit in text:
        value = (31 * value + ord(unit)) & 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _substring(text: str, begin: int, end: int | None = None) -> str:
    stop = len(text) if end is None else end
    if begin < 0 or stop > len(text) or begin > stop:
        raise ExpressionRuntimeError(
            f"StringIndexOutOfBoundsException: begin {begin}, end {stop}, length {len(text)}"
        )
    return text[begin:stop]


def _char_at(text: str, index: int) -> str:
    if not 0 <= index < len(text):
        raise ExpressionRuntimeError(f"StringIndexOutOfBoundsException: index {index}")
    return text[index]


def _java_trim(text: str) -> str:
    return text.strip("".join(chr(c) for c in range(33)))


def _str_arg(value: Any) -> str:
    if value is None:
        raise ExpressionRuntimeError("NullPointerException: null argument to a String method")
    return value if isinstance(value, str) else java_str(value)


_STRING_METHODS: dict[str, Callable[..., Any]] = {
    "length": lambda s: len(s),
    "isEmpty": lambda s: not s,
    "toUpperCase": lambda s: s.upper(),
    "toLowerCase": lambda s: s.lower(),
    "trim": _java_trim,
    "substring": _substring,
    "indexOf": lambda s, x, start=0: s.find(_str_arg(x), start),
    "lastIndexOf": lambda s, x: s.rfind(_str_arg(x)),
    "startsWith": lambda s, x, offset=0: s.startswith(_str_arg(x), offset),
    "endsWith": lambda s, x: s.endswith(_str_arg(x)),
    "contains": lambda s, x: _str_arg(x) in s,
    "equals": lambda s, x: isinstance(x, str) and s == x,
    "equalsIgnoreCase": lambda s, x: isinstance(x, str) and s.lower() == x.lower(),
    "replace": lambda s, a, b: s.replace(_str_arg(a), _str_arg(b)),
    "replaceAll": lambda s, r, b: java_regex(_str_arg(r)).sub(java_replacement(_str_arg(b)), s),
    "replaceFirst": lambda s, r, b: java_regex(_str_arg(r)).sub(
        java_replacement(_str_arg(b)), s, count=1
    ),
    "split": lambda s, r, limit=0: java_split(s, _str_arg(r), int(limit)),
    "matches": lambda s, r: java_regex(_str_arg(r)).fullmatch(s) is not None,
    "charAt": _char_at,
    "concat": lambda s, x: s + _str_arg(x),
    "compareTo": lambda s, x: (s > _str_arg(x)) - (s < _str_arg(x)),
    "compareToIgnoreCase": lambda s, x: (
        (s.lower() > _str_arg(x).lower()) - (s.lower() < _str_arg(x).lower())
    ),
    "toString": lambda s: s,
    "hashCode": java_hash,
    "getBytes": lambda s, enc="UTF-8": s.encode(str(enc)),
    "toCharArray": lambda s: list(s),
    "intern": lambda s: s,
}


def _list_get(items: Any, index: Any) -> Any:
    if not isinstance(index, int) or not 0 <= index < len(items):
        raise ExpressionRuntimeError(
            f"IndexOutOfBoundsException: Index: {index}, Size: {len(items)}"
        )
    return items[index]


def _list_add(items: Any, *args: Any) -> Any:
    if not isinstance(items, list):
        raise ExpressionRuntimeError("UnsupportedOperationException: the list is read-only")
    if len(args) == 1:
        items.append(args[0])
        return True
    items.insert(int(args[0]), args[1])
    return None


def _list_set(items: Any, index: int, value: Any) -> Any:
    old = _list_get(items, index)
    items[index] = value
    return old


def _list_remove(items: Any, item: Any) -> Any:
    if isinstance(item, int) and not isinstance(item, bool):
        removed = _list_get(items, item)
        del items[item]
        return removed
    for position, element in enumerate(items):
        if java_equals(element, item):
            del items[position]
            return True
    return False


def _index_of(items: Any, item: Any) -> int:
    for position, element in enumerate(items):
        if java_equals(element, item):
            return position
    return -1


_LIST_METHODS: dict[str, Callable[..., Any]] = {
    "size": lambda c: len(c),
    "isEmpty": lambda c: len(c) == 0,
    "get": _list_get,
    "contains": lambda c, x: any(java_equals(e, x) for e in c),
    "add": _list_add,
    "addAll": lambda c, xs: c.extend(xs) or True,
    "set": _list_set,
    "remove": _list_remove,
    "indexOf": _index_of,
    "clear": lambda c: c.clear(),
    "subList": lambda c, a, b: list(c[a:b]),
    "toString": java_str,
    "equals": java_equals,
    "iterator": lambda c: iter(c),
}

_SET_METHODS: dict[str, Callable[..., Any]] = {
    "size": lambda c: len(c),
    "isEmpty": lambda c: len(c) == 0,
    "contains": lambda c, x: any(java_equals(e, x) for e in c),
    "add": lambda c, x: (x not in c, c.add(x))[0],
    "remove": lambda c, x: (x in c, c.discard(x))[0],
    "toString": java_str,
    "equals": java_equals,
}


def _map_put(mapping: Any, key: Any, value: Any) -> Any:
    if not isinstance(mapping, MutableMapping):
        from mule_emulator.expressions.maps import ReadOnlyMap

        if isinstance(mapping, ReadOnlyMap):
            raise mapping.refuse_write(key)
        raise ExpressionRuntimeError("UnsupportedOperationException: the map is read-only")
    previous = mapping.get(key)
    mapping[key] = value
    return previous


def _map_remove(mapping: Any, key: Any) -> Any:
    if not isinstance(mapping, MutableMapping):
        return _map_put(mapping, key, None)
    return mapping.pop(key, None)


_MAP_METHODS: dict[str, Callable[..., Any]] = {
    "get": lambda m, k: m.get(k),
    "containsKey": lambda m, k: k in m,
    "containsValue": lambda m, v: any(java_equals(x, v) for x in m.values()),
    "put": _map_put,
    "putAll": lambda m, other: [_map_put(m, k, v) for k, v in other.items()] and None,
    "remove": _map_remove,
    "size": lambda m: len(m),
    "isEmpty": lambda m: len(m) == 0,
    "keySet": lambda m: list(m.keys()),
    "values": lambda m: list(m.values()),
    "clear": lambda m: m.clear(),
    "toString": java_str,
    "equals": java_equals,
}


def _exception_message(exc: BaseException) -> str | None:
    message = getattr(exc, "message", None)
    if isinstance(message, str):
        return message
    return str(exc) if exc.args else None


def _root_cause(exc: BaseException) -> BaseException:
    last = exc
    for item in cause_chain(exc):
        last = item
    return last


def _class_arg(value: Any) -> str:
    if isinstance(value, JavaClass):
        return value.name
    if isinstance(value, str):
        return value
    raise ExpressionRuntimeError(f"expected a class, got {type_label(value)}")


_EXCEPTION_METHODS: dict[str, Callable[..., Any]] = {
    "causedBy": lambda e, c: caused_by(e, _class_arg(c)),
    "causedExactlyBy": lambda e, c: caused_exactly_by(e, _class_arg(c)),
    "causeMatches": lambda e, p: cause_matches(e, _str_arg(p)),
    "getMessage": _exception_message,
    "getCause": lambda e: next(iter(list(cause_chain(e))[1:]), None),
    "getCauseException": _root_cause,
    "getRootCause": _root_cause,
    "toString": java_str,
}

_EXCEPTION_PROPERTIES: dict[str, Callable[[BaseException], Any]] = {
    "message": _exception_message,
    "cause": lambda e: next(iter(list(cause_chain(e))[1:]), None),
    "causeException": _root_cause,
    "rootCause": _root_cause,
}


def get_property(target: Any, name: str) -> Any:
    """``target.name`` (``target`` is not None: the caller handles null safety)."""
    if isinstance(target, Mapping):
        return target.get(name)
    mel_property = getattr(target, "mel_property", None)
    if mel_property is not None:
        try:
            return mel_property(name)
        except AttributeError:
            pass
    elif isinstance(target, BaseException) and name in _EXCEPTION_PROPERTIES:
        return _EXCEPTION_PROPERTIES[name](target)
    if isinstance(target, list | tuple) and name in ("length", "size"):
        return len(target)
    if isinstance(target, str | int | float | bool | list | tuple | Set | bytes):
        raise ExpressionRuntimeError(f"unresolvable property {name!r} on {type_label(target)}")
    for attribute in (name, snake_case(name)):
        if not attribute.startswith("_") and hasattr(target, attribute):
            value = getattr(target, attribute)
            return value() if callable(value) and attribute != name else value
    for getter in ("get" + name[:1].upper() + name[1:], "is" + name[:1].upper() + name[1:]):
        method = getattr(target, getter, None) or getattr(target, snake_case(getter), None)
        if callable(method):
            return method()
    raise ExpressionRuntimeError(f"unresolvable property {name!r} on {type_label(target)}")


def set_property(target: Any, name: str, value: Any) -> None:
    """``target.name = value`` on a map (put) or a plain object (attribute)."""
    if isinstance(target, Mapping):
        _map_put(target, name, value)
        return
    if isinstance(target, str | int | float | bool | list | tuple | bytes) or target is None:
        raise ExpressionRuntimeError(f"cannot set property {name!r} on {type_label(target)}")
    try:
        setattr(target, name if hasattr(target, name) else snake_case(name), value)
    except AttributeError as exc:
        raise ExpressionRuntimeError(f"cannot set property {name!r}: {exc}") from exc


def _table_for(target: Any) -> dict[str, Callable[..., Any]] | None:
    if isinstance(target, str):
        return _STRING_METHODS
    if isinstance(target, Mapping):
        return _MAP_METHODS
    if isinstance(target, list | tuple):
        return _LIST_METHODS
    if isinstance(target, Set):
        return _SET_METHODS
    if isinstance(target, BaseException):
        return _EXCEPTION_METHODS
    return None


KNOWN_METHODS = frozenset(
    set(_STRING_METHODS) | set(_LIST_METHODS) | set(_MAP_METHODS) | set(_EXCEPTION_METHODS)
)


def call_method(target: Any, name: str, args: list[Any]) -> Any:
    """``target.name(args)`` with Java names (``target`` is not None)."""
    table = _table_for(target)
    if table is not None:
        method = table.get(name)
        if method is not None:
            try:
                return method(target, *args)
            except TypeError as exc:
                raise ExpressionRuntimeError(
                    f"no method {type_label(target)}.{name} taking {len(args)} argument(s)"
                ) from exc
    if name == "toString" and not args:
        return java_str(target)
    if name == "equals" and len(args) == 1:
        return java_equals(target, args[0])
    if name == "getClass" and not args:
        return JavaClass(java_class_name(target))
    if name == "hashCode" and not args:
        return java_hash(target) if isinstance(target, str) else hash(target)
    mel_call = getattr(target, "mel_call", None)
    if mel_call is not None:
        try:
            return mel_call(name, args)
        except AttributeError:
            pass
    elif table is None and not isinstance(target, int | float | bool | bytes):
        for attribute in (name, snake_case(name)):
            method = getattr(target, attribute, None)
            if not attribute.startswith("_") and callable(method):
                return method(*args)
    raise ExpressionRuntimeError(
        f"unknown method {name}({', '.join(type_label(a) for a in args)}) on {type_label(target)}"
    )


def get_index(target: Any, index: Any) -> Any:
    """``target[index]``: list element (bounds-checked), map entry, or string character."""
    if isinstance(target, Mapping):
        return target.get(index)
    if isinstance(target, list | tuple):
        return _list_get(target, index)
    if isinstance(target, str):
        return _char_at(target, index)
    raise ExpressionRuntimeError(f"cannot index {type_label(target)} with [{java_str(index)}]")


def set_index(target: Any, index: Any, value: Any) -> None:
    """``target[index] = value`` on a map (put) or a list (set)."""
    if isinstance(target, Mapping):
        _map_put(target, index, value)
        return
    if isinstance(target, list):
        _list_set(target, index, value)
        return
    raise ExpressionRuntimeError(f"cannot assign to {type_label(target)}[{java_str(index)}]")

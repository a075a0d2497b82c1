"""The class map: Java class names in a config → built-in emulations or Python stand-ins.

Mule configs name Java classes (``<component class=…>``, ``<custom-transformer
class=…>``, ``<custom-queue-store class=…>``, ``<spring:bean class=…>``). Without a JVM
each name must map to something Python can run:

- a **built-in**: Mule's own classes that the runtime emulates register a factory with
  ``register_builtin(java_name, factory)``; the factory receives the element's Spring
  properties and returns the object;
- a **stand-in**: ``"java.Name" = "package.module:attribute"`` from a class-map TOML
  file (``--class-map``), ``--class NAME=TARGET``, or a suite case's ``classes`` table.
  The module is imported with the mapping's folder (the class-map file's or the
  suite's) on ``sys.path``.

Per-message objects (components, transformers, filters, custom processors) are
callables called with the current message; their return value is the new payload (for
a filter, its truth decides acceptance). Objects that are not per-message (a queue
store, a service class, a Spring bean) are instantiated and given their Spring
properties as attributes. An unmapped name is never passed through silently:
``ClassMap.check`` lists every unmapped name with its line and how to map it.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import re
import sys
import threading
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from mule_emulator.errors import ConfigError, InputError, SourceLocation, UnsupportedError

#: A built-in emulation: called with the Spring properties, returns the object.
BuiltinFactory = Callable[[Mapping[str, Any]], Any]

_BUILTINS: dict[str, BuiltinFactory] = {}
_BUILTINS_LOCK = threading.Lock()
_IMPORT_LOCK = threading.Lock()

_JAVA_NAME = re.compile(r"^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$")
_TARGET = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def register_builtin(java_name: str, factory: BuiltinFactory) -> None:
    """Register the runtime's emulation of a Mule class (later registrations win)."""
    with _BUILTINS_LOCK:
        _BUILTINS[java_name] = factory


def builtin_names() -> frozenset[str]:
    """The Java class names that have a built-in emulation."""
    with _BUILTINS_LOCK:
        return frozenset(_BUILTINS)


def _builtin(java_name: str) -> BuiltinFactory | None:
    with _BUILTINS_LOCK:
        return _BUILTINS.get(java_name)


@dataclass(frozen=True)
class StandIn:
    """One user mapping: the target text, the folder its module is found in, and where the
    mapping was written (for messages)."""

    target: str
    search_path: str | None = None
    origin: str = ""


def parse_class_option(text: str) -> tuple[str, str]:
    """Split ``NAME=TARGET`` (the ``--class`` option) and check both halves."""
    name, sep, target = text.partition("=")
    name, target = name.strip(), target.strip()
    if not sep or not name or not target:
        raise InputError(f"--class expects JAVA.NAME=module:attribute, got {text!r}")
    _check_entry(name, target, "--class")
    return name, target


def _check_entry(java_name: str, target: str, origin: str) -> None:
    if not _JAVA_NAME.match(java_name):
        raise InputError(f"{origin}: {java_name!r} is not a Java class name")
    if not _TARGET.match(target):
        raise InputError(
            f"{origin}: stand-in for {java_name} must read 'package.module:attribute', "
            f"got {target!r}"
        )


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def set_properties(obj: Any, properties: Mapping[str, Any]) -> Any:
    """Give ``obj`` its Spring properties, as Spring's setter injection does.

    A property ``maxSize`` goes to ``set_max_size(v)`` / ``setMaxSize(v)`` when such a
    method exists, else to the attribute ``max_size`` if present, else to ``maxSize``.
    """
    for name, value in properties.items():
        snake = _snake(name)
        for setter in (f"set_{snake}", "set" + name[:1].upper() + name[1:]):
            method = getattr(obj, setter, None)
            if callable(method):
                method(value)
                break
        else:
            setattr(obj, snake if hasattr(obj, snake) else name, value)
    return obj


class ClassMap:
    """Java class names → the objects that stand for them, for one application.

    Layers are added in order; a later mapping of the same name wins. Built-ins are
    consulted only for names no user mapping covers, so a user can replace one.
    """

    def __init__(
        self,
        entries: Mapping[str, str] | None = None,
        *,
        search_path: str | None = None,
        origin: str = "",
    ) -> None:
        self._standins: dict[str, StandIn] = {}
        self._resolved: dict[str, Any] = {}
        self._lock = threading.Lock()
        if entries:
            self.update(entries, search_path=search_path, origin=origin)

    # ----------------------------------------------------------------- building

    @classmethod
    def from_file(cls, path: str | Path) -> ClassMap:
        """Read a class-map TOML file: a ``[classes]`` table of ``"java.Name" =
        "module:attribute"``; modules are found beside the file."""
        cmap = cls()
        cmap.load_file(path)
        return cmap

    def load_file(self, path: str | Path) -> None:
        """Add the mappings of a class-map file (see ``from_file``)."""
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(
                f"cannot read class map: {exc.strerror}", SourceLocation(str(p))
            ) from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError(
                f"class map is not valid TOML: {exc}", SourceLocation(str(p))
            ) from None
        unknown = sorted(set(data) - {"classes"})
        if unknown:
            raise InputError(
                f"unknown key(s) in class map: {', '.join(unknown)} (expected a [classes] table)",
                SourceLocation(str(p)),
            )
        table = data.get("classes", {})
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise InputError(
                'class map [classes] must map "java.Name" to "module:attribute" strings',
                SourceLocation(str(p)),
            )
        self.update(table, search_path=str(p.resolve().parent), origin=str(p))

    def update(
        self, entries: Mapping[str, str], *, search_path: str | None = None, origin: str = ""
    ) -> None:
        """Add stand-in mappings; a module is imported with ``search_path`` on sys.path."""
        for name, target in entries.items():
            _check_entry(name, target, origin or "class map")
        with self._lock:
            for name, target in entries.items():
                self._standins[name] = StandIn(target, search_path, origin)
                self._resolved.pop(name, None)

    def add(
        self, java_name: str, target: str, *, search_path: str | None = None, origin: str = ""
    ) -> None:
        """Add one stand-in mapping."""
        self.update({java_name: target}, search_path=search_path, origin=origin)

    def layered(
        self, entries: Mapping[str, str], *, search_path: str | None = None, origin: str = ""
    ) -> ClassMap:
        """A copy of this map with ``entries`` on top (a suite case's ``classes``)."""
        copy = ClassMap()
        with self._lock:
            copy._standins = dict(self._standins)
        copy.update(entries, search_path=search_path, origin=origin)
        return copy

    # ----------------------------------------------------------------- lookups

    def standins(self) -> Mapping[str, StandIn]:
        """The user mappings, by Java name."""
        with self._lock:
            return dict(self._standins)

    def is_mapped(self, java_name: str) -> bool:
        with self._lock:
            if java_name in self._standins:
                return True
        return _builtin(java_name) is not None

    def unmapped(
        self, classes: Iterable[tuple[str, SourceLocation]]
    ) -> list[tuple[str, SourceLocation]]:
        """The (name, location) pairs whose name maps to nothing, in the given order."""
        return [(name, loc) for name, loc in classes if not self.is_mapped(name)]

    def check(self, classes: Iterable[tuple[str, SourceLocation]]) -> None:
        """Raise one ``UnsupportedError`` listing EVERY unmapped class, with where it is
        named and how to map it; also import every stand-in so a bad target fails at
        build time rather than on the first message."""
        classes = list(classes)
        missing = self.unmapped(classes)
        if missing:
            names = sorted({name for name, _ in missing})
            problems = tuple(
                (loc, f"Java class {name} has no built-in emulation and no stand-in")
                for name, loc in missing
            )
            example = names[0]
            raise UnsupportedError(
                f"{len(names)} Java class(es) are not mapped: {', '.join(names)}. Map each to a "
                f"Python stand-in: --class {example}=package.module:attribute, or a class-map "
                f'file (--class-map FILE.toml) with [classes] "{example}" = '
                '"package.module:attribute" (see docs/class-map.md)',
                problems=problems,
            )
        mapped = self.standins()
        for name in dict.fromkeys(name for name, _loc in classes):
            if name in mapped:
                self.resolve(name)

    def resolve(self, java_name: str) -> Any:
        """The stand-in object (function, class, instance) a user mapped ``java_name`` to.

        Raises ``UnsupportedError`` for a name without a stand-in and ``ConfigError`` when
        the target cannot be imported.
        """
        with self._lock:
            if java_name in self._resolved:
                return self._resolved[java_name]
            standin = self._standins.get(java_name)
        if standin is None:
            raise UnsupportedError(f"Java class {java_name} has no stand-in in the class map")
        obj = _load_target(java_name, standin)
        with self._lock:
            self._resolved[java_name] = obj
        return obj

    def message_callable(
        self,
        java_name: str,
        properties: Mapping[str, Any] | None = None,
        location: SourceLocation | None = None,
    ) -> Callable[[Any], Any]:
        """A per-message callable for a component, transformer, filter or processor.

        A stand-in function is used as is; a stand-in class is instantiated (with its
        Spring properties set) and the instance must be callable. A built-in's factory
        returns the callable.
        """
        obj = self.instance(java_name, properties, location)
        if not callable(obj):
            raise ConfigError(
                f"the object for Java class {java_name} is not callable with a message "
                f"(got {type(obj).__name__}); a per-message stand-in must be a function or a "
                "class whose instances are callable",
                location,
            )
        return obj  # type: ignore[no-any-return]

    def instance(
        self,
        java_name: str,
        properties: Mapping[str, Any] | None = None,
        location: SourceLocation | None = None,
    ) -> Any:
        """The object for ``java_name``: a stand-in class is instantiated with no
        arguments and given its Spring properties; a stand-in function or instance is
        returned as is; a built-in comes from its factory."""
        props = dict(properties or {})
        with self._lock:
            user = java_name in self._standins
        if user:
            target = self.resolve(java_name)
            if inspect.isclass(target):
                try:
                    return set_properties(target(), props)
                except Exception as exc:  # a stand-in's own failure, as a Java constructor's
                    raise ConfigError(
                        f"cannot create {java_name} from its stand-in: {exc}", location
                    ) from exc
            return target
        factory = _builtin(java_name)
        if factory is None:
            raise UnsupportedError(
                f"Java class {java_name} has no built-in emulation and no stand-in; map it "
                f"with --class {java_name}=package.module:attribute or a class-map file",
                location,
            )
        return factory(props)


def _load_target(java_name: str, standin: StandIn) -> Any:
    module_name, _, attr_path = standin.target.partition(":")
    where = f" (mapped in {standin.origin})" if standin.origin else ""
    module = _import(module_name, standin.search_path, java_name, where)
    obj: Any = module
    for part in attr_path.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ConfigError(
                f"stand-in {standin.target} for {java_name}{where}: module {module_name} has "
                f"no attribute {attr_path}"
            ) from None
    return obj


def _import(module_name: str, search_path: str | None, java_name: str, where: str) -> ModuleType:
    # sys.path is process-wide: the lock keeps two concurrent imports from seeing each
    # other's temporary entries.
    with _IMPORT_LOCK:
        added = False
        if search_path and search_path not in sys.path:
            sys.path.insert(0, search_path)
            added = True
        try:
            return importlib.import_module(module_name)
        except ImportError as exc:
            raise ConfigError(
                f"cannot import {module_name} for Java class {java_name}{where}: {exc}"
            ) from None
        except Exception as exc:  # the module's own code failed while importing
            raise ConfigError(
                f"importing {module_name} for Java class {java_name}{where} failed: "
                f"{type(exc).__name__}: {exc}"
            ) from None
        finally:
            if added and search_path:
                with contextlib.suppress(ValueError):
                    sys.path.remove(search_path)


__all__ = [
    "BuiltinFactory",
    "ClassMap",
    "StandIn",
    "builtin_names",
    "parse_class_option",
    "register_builtin",
    "set_properties",
]

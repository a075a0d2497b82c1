"""Property placeholders: ``${key}`` in attributes and text, as Spring resolves them.

Mule 3 configs are Spring contexts, so ``${key}`` is replaced before any element is
built. Values come, in this order, from the properties given on the command line or by
a suite (Mule's system properties, ``-D``), then ``<global-property name value>``
elements, then the files named by ``<context:property-placeholder location=...>``.
``${key:default}`` supplies a default and placeholders nest (``${a.${env}}``), as in
Spring 3. Files use Java ``.properties`` syntax, read here by ``parse_properties``.
The parser never executes anything: this module only reads text.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from mule_emulator.errors import ConfigError, SourceLocation

PREFIX = "${"
SUFFIX = "}"
DEFAULT_SEPARATOR = ":"

_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def _logical_lines(text: str) -> list[str]:
    """Join natural lines ending in an odd number of backslashes (Java continuation)."""
    lines: list[str] = []
    pending: str | None = None
    for raw in text.splitlines():
        line = raw.lstrip(" \t\f") if pending is not None else raw
        if pending is None and line.lstrip(" \t\f")[:1] in ("#", "!"):
            continue
        trailing = len(line) - len(line.rstrip("\\"))
        if trailing % 2 == 1:
            pending = (pending or "") + line[:-1]
            continue
        lines.append((pending or "") + line)
        pending = None
    if pending is not None:
        lines.append(pending)
    return lines


def _unescape(text: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch != "\\" or i + 1 >= len(text):
            out.append(ch)
            i += 1
            continue
        nxt = text[i + 1]
        if nxt == "u" and i + 6 <= len(text):
            digits = text[i + 2 : i + 6]
            try:
                out.append(chr(int(digits, 16)))
            except ValueError:
                raise ValueError(f"malformed \\uxxxx escape: \\u{digits}") from None
            i += 6
            continue
        out.append(_ESCAPES.get(nxt, nxt))
        i += 2
    return "".join(out)


def _split_key(line: str) -> tuple[str, str]:
    """Split a logical line at the first unescaped ``=``, ``:`` or whitespace."""
    i = 0
    n = len(line)
    while i < n:
        ch = line[i]
        if ch == "\\":
            i += 2
            continue
        if ch in "=: \t\f":
            break
        i += 1
    key = line[:i]
    rest = line[i:].lstrip(" \t\f")
    if rest[:1] in ("=", ":"):
        rest = rest[1:].lstrip(" \t\f")
    return key, rest


def parse_properties(text: str) -> dict[str, str]:
    """Parse Java ``.properties`` text: ``key=value``, ``key: value``, ``key value``,
    ``#``/``!`` comments, backslash escapes and line continuations. Later keys win."""
    values: dict[str, str] = {}
    for line in _logical_lines(text):
        stripped = line.lstrip(" \t\f")
        if not stripped:
            continue
        key, value = _split_key(stripped)
        values[_unescape(key)] = _unescape(value)
    return values


class PlaceholderResolver:
    """Replaces ``${...}`` in strings from an ordered chain of property maps."""

    def __init__(
        self,
        maps: Sequence[Mapping[str, str]] = (),
        ignore_unresolvable: bool = False,
        builtins: Mapping[str, str] | Callable[[], Mapping[str, str]] | None = None,
        unresolved: list[tuple[str, SourceLocation]] | None = None,
    ) -> None:
        self._maps = tuple(maps)
        # When a list is given, an unresolvable placeholder is recorded there and left as
        # written instead of failing (``validate``: the value may come at deployment).
        self.unresolved = unresolved
        # The built-in fallbacks may be given as a function: most configs never fall back
        # to them, and working them out costs file-system calls (the app's home folder).
        self._builtin_source = builtins
        self._builtins: dict[str, str] | None = None
        self.ignore_unresolvable = ignore_unresolvable

    def lookup(self, key: str) -> str | None:
        for values in self._maps:
            if key in values:
                return values[key]
        return self.builtins().get(key)

    def builtins(self) -> dict[str, str]:
        """The built-in JVM/Mule fallback properties (worked out on first use)."""
        if self._builtins is None:
            source = self._builtin_source
            self._builtins = dict((source() if callable(source) else source) or {})
        return self._builtins

    def effective(self) -> dict[str, str]:
        """Every configured property with the value a placeholder would see (the
        built-in JVM/Mule fallbacks are left out: they are not configuration)."""
        merged: dict[str, str] = {}
        for values in reversed(self._maps):
            merged.update(values)
        return merged

    def resolve(self, text: str, location: SourceLocation | None = None) -> str:
        """``text`` with every placeholder replaced; ConfigError if one is unresolvable."""
        if PREFIX not in text:
            return text
        return self._parse(text, location or SourceLocation(), ())

    def _parse(self, text: str, location: SourceLocation, visiting: tuple[str, ...]) -> str:
        out: list[str] = []
        i = 0
        while True:
            start = text.find(PREFIX, i)
            if start < 0:
                out.append(text[i:])
                break
            end = _find_end(text, start + len(PREFIX))
            if end < 0:
                out.append(text[i:])
                break
            out.append(text[i:start])
            key = self._parse(text[start + len(PREFIX) : end], location, visiting)
            if key in visiting:
                raise ConfigError(
                    f"circular placeholder reference '{key}' in property definitions", location
                )
            value = self.lookup(key)
            if value is None and DEFAULT_SEPARATOR in key:
                bare, default = key.split(DEFAULT_SEPARATOR, 1)
                value = self.lookup(bare)
                if value is None:
                    value = default
            if value is not None:
                out.append(self._parse(value, location, (*visiting, key)))
            elif self.ignore_unresolvable or self.unresolved is not None:
                if self.unresolved is not None and not self.ignore_unresolvable:
                    self.unresolved.append((key, location))
                out.append(text[start : end + len(SUFFIX)])
            else:
                raise ConfigError(
                    f"Could not resolve placeholder '{key}' in value \"{text}\"", location
                )
            i = end + len(SUFFIX)
        return "".join(out)


def builtin_properties(app_name: str, app_home: Path) -> dict[str, str]:
    """System properties a Mule 3 application always has, as a last fallback:
    ``app.name``/``app.home`` (set by Mule for a deployed app; here the application's
    name and its first config's folder) and the JVM's usual ones."""
    return {
        "app.name": app_name,
        "app.home": str(app_home),
        "mule.home": str(app_home),
        "user.dir": os.getcwd(),
        "user.home": str(Path.home()),
        "java.io.tmpdir": tempfile.gettempdir(),
        "file.separator": os.sep,
        "path.separator": os.pathsep,
        "line.separator": "\n",
        "file.encoding": "UTF-8",
    }


def _find_end(text: str, index: int) -> int:
    """Index of the ``}`` that closes the placeholder opened just before ``index``."""
    depth = 0
    while index < len(text):
        if text.startswith(PREFIX, index):
            depth += 1
            index += len(PREFIX)
        elif text.startswith(SUFFIX, index):
            if depth == 0:
                return index
            depth -= 1
            index += len(SUFFIX)
        else:
            index += 1
    return -1


def read_properties_file(
    location_text: str,
    base_dir: Path,
    encoding: str,
    ignore_not_found: bool,
    where: SourceLocation,
) -> dict[str, str]:
    """Read one entry of a ``location`` list (``classpath:`` / ``file:`` / plain path).

    Paths resolve relative to the folder of the config that names them, which stands
    in for Mule's classpath root.
    """
    entry = location_text.strip()
    for prefix in ("classpath*:", "classpath:", "file:"):
        if entry.startswith(prefix):
            entry = entry[len(prefix) :]
            break
    path = Path(entry)
    if not path.is_absolute():
        path = base_dir / entry.lstrip("/")
    try:
        data = path.read_bytes()
    except OSError as exc:
        if ignore_not_found:
            return {}
        raise ConfigError(
            f"property-placeholder location '{location_text.strip()}' cannot be read "
            f'({exc.strerror or exc}: {path}); set ignore-resource-not-found="true" to skip it',
            where,
        ) from None
    try:
        return parse_properties(data.decode(encoding))
    except (UnicodeDecodeError, LookupError, ValueError) as exc:
        raise ConfigError(f"properties file {path} is not readable: {exc}", where) from None


__all__ = [
    "PlaceholderResolver",
    "builtin_properties",
    "parse_properties",
    "read_properties_file",
]

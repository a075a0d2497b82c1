"""Map helpers with Mule's property-map rules.

- ``ReadOnlyMap``: the inbound scope as MEL sees it (writes fail, as in Mule);
- ``CaseInsensitiveDict``: property scopes compare names case-insensitively (M-2); used by
  ``SimpleContext`` (the runtime brings its own);
- ``put_property``: writing null into a scope map removes the entry, as
  ``MuleMessage.setProperty`` does.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any

from mule_emulator.expressions.errors import ExpressionRuntimeError


class ReadOnlyMap(Mapping[str, Any]):
    """A read-only view over a mapping; writing through MEL raises (inbound scope)."""

    __slots__ = ("_data", "_what")

    def __init__(self, data: Mapping[str, Any], what: str = "inbound properties") -> None:
        self._data = data
        self._what = what

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def refuse_write(self, key: object) -> ExpressionRuntimeError:
        """The error Mule raises for a write (``inboundMessagePropertiesImmutable``)."""
        return ExpressionRuntimeError(
            f"{self._what} are read-only: cannot set {key!r} (use outboundProperties)"
        )

    def __repr__(self) -> str:
        return f"ReadOnlyMap({dict(self._data)!r})"


class CaseInsensitiveDict(MutableMapping[str, Any]):
    """A dict whose string keys match case-insensitively and keep their first spelling."""

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        self._items: dict[str, tuple[str, Any]] = {}
        if data:
            for key, value in data.items():
                self[key] = value

    @staticmethod
    def _fold(key: object) -> object:
        return key.lower() if isinstance(key, str) else key

    def __getitem__(self, key: str) -> Any:
        return self._items[self._fold(key)][1]  # type: ignore[index]

    def __setitem__(self, key: str, value: Any) -> None:
        folded = self._fold(key)
        old = self._items.get(folded)  # type: ignore[call-overload]
        self._items[folded] = (old[0] if old else key, value)  # type: ignore[index]

    def __delitem__(self, key: str) -> None:
        del self._items[self._fold(key)]  # type: ignore[arg-type]

    def __contains__(self, key: object) -> bool:
        return self._fold(key) in self._items

    def __iter__(self) -> Iterator[str]:
        return (original for original, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return repr(dict(self.items()))


def put_property(target: Any, key: Any, value: Any) -> Any:
    """``map.put(key, value)`` with Mule's rule that a null value removes the key.

    Returns the previous value. Raises ``ExpressionRuntimeError`` on read-only maps.
    """
    if isinstance(target, ReadOnlyMap):
        raise target.refuse_write(key)
    if not isinstance(target, MutableMapping):
        raise ExpressionRuntimeError(f"cannot put {key!r} into a {type(target).__name__}")
    previous = target.get(key)
    if value is None:
        target.pop(key, None)
    else:
        target[key] = value
    return previous

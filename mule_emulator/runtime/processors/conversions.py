"""Payload conversions behind the string/byte/serialisation transformers (P-8) and the
built-in transformer classes: Java's ``toString``/``getBytes`` and serialisation (pickle
of plain data standing for Java serialisation), Base64.

Deserialisation never runs code: only plain data types are rebuilt, because payload
bytes can come from anywhere.
"""

from __future__ import annotations

import base64
import binascii
import io
import pickle
from typing import Any

from mule_emulator.expressions.values import java_str
from mule_emulator.runtime.message import is_null

#: The first byte of a pickle (protocol 2+), as ByteArrayToObject looks for Java's magic.
_PICKLE_PREFIXES = (b"\x80",)


def read_stream(payload: Any) -> Any:
    if isinstance(payload, io.IOBase) or hasattr(payload, "read"):
        return payload.read()
    return payload


def object_to_string(payload: Any, encoding: str) -> str:
    """ObjectToString: bytes/streams decoded, anything else via Java's toString."""
    payload = read_stream(payload)
    if isinstance(payload, bytes | bytearray):
        return bytes(payload).decode(encoding, errors="replace")
    if is_null(payload):
        return java_str(None)
    return java_str(payload)


def object_to_byte_array(payload: Any, encoding: str) -> bytes:
    """ObjectToByteArray: strings encoded, bytes kept, streams read, other values
    serialised (pickle standing for Java serialisation)."""
    payload = read_stream(payload)
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    if isinstance(payload, str):
        return payload.encode(encoding)
    return serialize(payload)


def serialize(payload: Any) -> bytes:
    try:
        return pickle.dumps(payload)
    except Exception as exc:
        raise TypeError(f"payload of type {type(payload).__name__} is not serializable") from exc


def byte_array_to_object(payload: Any, encoding: str) -> Any:
    """ByteArrayToObject: a serialised object is rebuilt, other bytes become a String."""
    payload = read_stream(payload)
    if isinstance(payload, str):
        return payload
    data = bytes(payload)
    if data.startswith(_PICKLE_PREFIXES):
        try:
            return safe_loads(data)
        except Exception:
            pass
    return data.decode(encoding, errors="replace")


class _SafeUnpickler(pickle.Unpickler):
    """Rebuilds plain data only (no arbitrary classes): payload bytes can come from
    anywhere, and unpickling them must never run code."""

    _ALLOWED = frozenset(
        {
            ("builtins", name)
            for name in (
                "str",
                "bytes",
                "bytearray",
                "int",
                "float",
                "complex",
                "bool",
                "list",
                "dict",
                "tuple",
                "set",
                "frozenset",
                "NoneType",
            )
        }
        | {("collections", "OrderedDict")}
    )

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to rebuild {module}.{name}")

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("persistent ids are not supported")


def safe_loads(data: bytes) -> Any:
    """Deserialise bytes made by ``serialize`` (plain data only)."""
    from mule_emulator.runtime.message import NULL_PAYLOAD as null

    if data == pickle.dumps(null):
        return null
    return _SafeUnpickler(io.BytesIO(data)).load()


def deserialize(payload: Any) -> Any:
    data = bytes(read_stream(payload))
    try:
        return safe_loads(data)
    except Exception as exc:
        raise TypeError("payload is not a serialized object") from exc


# Source types (Java names) each conversion accepts; None = anything.
def base64_encode(payload: Any, encoding: str) -> str:
    """Base64Encoder: the payload's bytes as Base64 text."""
    return base64.b64encode(object_to_byte_array(payload, encoding)).decode("ascii")


def base64_decode(payload: Any, encoding: str) -> bytes:
    """Base64Decoder: Base64 text (or its bytes) back to bytes."""
    data = read_stream(payload)
    text = data if isinstance(data, str) else bytes(data).decode("ascii")
    try:
        return base64.b64decode(text.encode("ascii"), validate=False)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"payload is not Base64: {exc}") from exc


__all__ = [
    "base64_decode",
    "base64_encode",
    "byte_array_to_object",
    "deserialize",
    "object_to_byte_array",
    "object_to_string",
    "read_stream",
    "safe_loads",
    "serialize",
]

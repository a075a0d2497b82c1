"""mule-emu: validate, run and test Mule 3 XML configurations without a JVM.

The public API is small: load an application, drive it with a client, catch the
package's errors. Everything else is reached through the sub-packages.

The runtime names are imported on first use (a module ``__getattr__``), so that
``mule-emu validate`` does not pay for importing the runtime at start-up.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mule_emulator.errors import (
    ConfigError,
    InputError,
    LifecycleError,
    MessagingError,
    MuleEmulatorError,
    NoReceiverError,
    QueueClosedError,
    QueueFullError,
    RuntimeFault,
    SourceLocation,
    StoreBrokenError,
    TransactionError,
    UnresolvedReferenceError,
    UnsupportedError,
)

if TYPE_CHECKING:
    from mule_emulator.runtime.app import MuleApp, load_app
    from mule_emulator.runtime.client import MuleClient
    from mule_emulator.runtime.message import NULL_PAYLOAD, MuleMessage

# Public name → the module that defines it, imported when the name is first read.
_LAZY = {
    "MuleApp": "mule_emulator.runtime.app",
    "load_app": "mule_emulator.runtime.app",
    "MuleClient": "mule_emulator.runtime.client",
    "NULL_PAYLOAD": "mule_emulator.runtime.message",
    "MuleMessage": "mule_emulator.runtime.message",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mule_emulator' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__version__ = "0.1.0"

__all__ = [  # noqa: RUF022 - grouped by topic
    # loading and running
    "MuleApp",
    "MuleClient",
    "load_app",
    # messages
    "NULL_PAYLOAD",
    "MuleMessage",
    # errors
    "ConfigError",
    "InputError",
    "LifecycleError",
    "MessagingError",
    "MuleEmulatorError",
    "NoReceiverError",
    "QueueClosedError",
    "QueueFullError",
    "RuntimeFault",
    "SourceLocation",
    "StoreBrokenError",
    "TransactionError",
    "UnresolvedReferenceError",
    "UnsupportedError",
    "__version__",
]

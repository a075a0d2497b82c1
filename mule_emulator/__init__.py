"""mule-emu: validate, run and test Mule 3 XML configurations without a JVM.

The public API is small: load an application, drive it with a client, catch the
package's errors. Everything else is reached through the sub-packages.
"""

from __future__ import annotations

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
from mule_emulator.runtime.app import MuleApp, load_app
from mule_emulator.runtime.client import MuleClient
from mule_emulator.runtime.message import NULL_PAYLOAD, MuleMessage

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

"""The one error tree of mule-emu.

Every failure the package raises on purpose is a ``MuleEmulatorError``. Code below the
CLI raises these and never prints or exits; ``cli.py`` alone maps them to messages and
exit codes.

- ``ConfigError``: the configuration cannot be used (unreadable, not well-formed,
  invalid, unsupported content, unresolved reference). Carries file, line and the
  element's path so a user can find the spot.
- ``RuntimeFault``: something went wrong while the application runs (queue full, queue
  closed, store broken, no receiver, transaction state, a failure inside a flow).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class MuleEmulatorError(Exception):
    """Root of every error this package raises on purpose."""


@dataclass(frozen=True)
class SourceLocation:
    """Where a configuration element stands: file, line (1-based, 0 unknown), element path."""

    file: str = ""
    line: int = 0
    path: str = ""
    column: int = 0

    def __str__(self) -> str:
        where = self.file or "<config>"
        if self.line:
            where += f":{self.line}"
            if self.column:
                where += f":{self.column}"
        if self.path:
            where += f" ({self.path})"
        return where


class ConfigError(MuleEmulatorError):
    """The configuration cannot be loaded, validated, parsed or built.

    ``location`` says where; ``problems`` may hold several located messages when one
    start-up check finds many (for example every unmapped Java class at once).
    """

    def __init__(
        self,
        message: str,
        location: SourceLocation | None = None,
        problems: tuple[tuple[SourceLocation, str], ...] = (),
    ) -> None:
        self.message = message
        self.location = location or SourceLocation()
        self.problems = problems
        super().__init__(self.__str__())

    def __str__(self) -> str:
        head = self.message
        if self.location.file or self.location.line:
            head = f"{self.location}: {self.message}"
        if not self.problems:
            return head
        lines = [head] + [f"  {loc}: {text}" for loc, text in self.problems]
        return "\n".join(lines)


class InputError(ConfigError):
    """The input could not be read at all: missing, unreadable, too large, not XML."""


class UnsupportedError(ConfigError):
    """The configuration uses content the runtime cannot execute (named, never ignored)."""


class UnresolvedReferenceError(ConfigError):
    """A name in the configuration refers to nothing (connector-ref, ref=, flow-ref ...)."""


class RuntimeFault(MuleEmulatorError):
    """A failure while the application runs."""


class LifecycleError(RuntimeFault):
    """An operation on something that is not started, or already stopped."""


class QueueFullError(RuntimeFault):
    """An offer did not find room within its timeout."""


class QueueClosedError(RuntimeFault):
    """The queue was closed by us (the application is stopping); not a disk failure."""


class StoreBrokenError(RuntimeFault):
    """The store behind a queue failed (disk full, read-only folder, corrupt file)."""


class DataFolderInUseError(StoreBrokenError):
    """Another process holds the data folder of the persistent queues (its lock file)."""


class SerializationError(RuntimeFault):
    """An item cannot be written to a persistent queue (Java serialisation would fail)."""


class NoReceiverError(RuntimeFault):
    """A request-response send found no receiver registered for its address."""


class TransactionError(RuntimeFault):
    """A transaction action met a state it does not allow (Mule's IllegalTransactionState)."""


class PoolExhaustedError(RuntimeFault):
    """A thread pool rejected a task (Java's RejectedExecutionException under Mule's
    ``ABORT`` and ``WAIT`` exhausted actions, or a pool that is shut down)."""


class FailedToQueueEventError(RuntimeFault):
    """A SEDA stage's queue did not accept an event within ``threadWaitTimeout``
    (Mule's FailedToQueueEventException); ``event`` is the event that was refused."""

    def __init__(self, message: str, event: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.event = event


class MessagingError(RuntimeFault):
    """A failure while processing an event in a flow; carries the event when known.

    ``cause`` is the original exception (a Python exception from a stand-in, a
    ``RuntimeFault`` from the transport, ...). ``event`` is the event as it was when
    the failing processor was called, or the exception strategy's result.
    """

    def __init__(self, message: str, event: Any = None, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.event = event
        self.cause = cause
        self.handled = False


__all__ = [
    "ConfigError",
    "DataFolderInUseError",
    "FailedToQueueEventError",
    "InputError",
    "LifecycleError",
    "MessagingError",
    "MuleEmulatorError",
    "NoReceiverError",
    "PoolExhaustedError",
    "QueueClosedError",
    "QueueFullError",
    "RuntimeFault",
    "SerializationError",
    "SourceLocation",
    "StoreBrokenError",
    "TransactionError",
    "UnresolvedReferenceError",
    "UnsupportedError",
]

"""The message-processor protocol and Mule's chain semantics (P-1).

A ``Processor`` takes an event and returns an event, ``VOID_EVENT`` ("nothing to
return": the chain goes on with the copy it took before the call) or ``None``
("processing stopped": the rest of the chain is skipped and the chain returns None).

An ``InterceptingProcessor`` (filters, splitters, SEDA/async stages) receives "the rest
of the chain" as its ``next`` and decides whether, and how often, to call it.

Failures: a processor raises. The chain turns any non-``MessagingError`` into a
``MessagingError`` carrying the event as it was when the failing processor was called,
so the flow's exception strategy sees what Mule's MessagingException carries.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Protocol

from mule_emulator import tracing  # teaching views: run --trace hook
from mule_emulator.errors import MessagingError, SourceLocation
from mule_emulator.runtime.message import VOID_EVENT, MuleEvent, ProcessResult


class Processor:
    """A message processor. Subclasses override ``process``.

    ``may_return_void`` follows P-1: only components, transformers and message filters
    are known never to return VoidMuleEvent, so the chain takes no copy before them
    (an instance may say so too: a request-response outbound endpoint).
    """

    may_return_void: bool = True
    #: Mule's element name, for messages and views ("logger", "vm:outbound-endpoint").
    kind: ClassVar[str] = "processor"

    location: SourceLocation = SourceLocation()

    def process(self, event: MuleEvent) -> ProcessResult:
        raise NotImplementedError

    def start(self) -> None:
        """Lifecycle hook: called when the owning construct starts."""

    def stop(self) -> None:
        """Lifecycle hook: called when the owning construct stops."""

    def children(self) -> Sequence[Processor]:
        """Nested processors (for lifecycle propagation and views)."""
        return ()

    def describe(self) -> str:
        where = f" at line {self.location.line}" if self.location.line else ""
        return f"{self.kind}{where}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"


class InterceptingProcessor(Processor):
    """A processor that is handed the rest of its chain as ``next``."""

    def __init__(self) -> None:
        self.next: Processor | None = None

    def process_next(self, event: MuleEvent) -> ProcessResult:
        if self.next is None:
            return event
        return self.next.process(event)

    def children(self) -> Sequence[Processor]:
        return (self.next,) if self.next is not None else ()


class ExceptionHandler(Protocol):
    """An exception strategy, as the flow calls it (E-rules).

    ``handle`` returns the event to continue with (the strategy's result). A strategy that
    handles the failure (catch style) sets ``error.handled = True``; otherwise the
    caller rethrows ``error`` with ``error.event`` set to the returned event.
    """

    def handle(self, error: MessagingError, event: MuleEvent) -> MuleEvent: ...


def describe_cause(cause: BaseException) -> str:
    """The text Mule would show for an exception: its message, else its type."""
    text = getattr(cause, "message", None) or str(cause)
    return str(text) if text else type(cause).__name__


def as_messaging_error(
    cause: BaseException, event: MuleEvent, processor: Processor | None = None
) -> MessagingError:
    """Wrap ``cause`` as Mule wraps a processor failure in a MessagingException."""
    if isinstance(cause, MessagingError):
        if cause.event is None:
            cause.event = event
        return cause
    payload_type = type(event.message.payload).__name__
    text = f"{describe_cause(cause)}. Message payload is of type: {payload_type}"
    error = MessagingError(text, event=event, cause=cause)
    error.__cause__ = cause
    return error


def run_processor(processor: Processor, event: MuleEvent) -> ProcessResult:
    """Call one processor, wrapping a failure as a ``MessagingError``."""
    if tracing.current.active:  # trace hook
        tracing.current.emit("processor", flow=event.flow_name, processor=processor.describe(), message=event.message.id)  # noqa: E501
    try:
        return processor.process(event)
    except MessagingError:
        raise
    except Exception as exc:
        raise as_messaging_error(exc, event, processor) from exc


class Chain(Processor):
    """A processor chain with P-1 semantics.

    Intercepting processors get the rest of the chain as their ``next`` (built once
    here), so running the chain stops at the first intercepting processor.
    """

    kind = "processor-chain"

    def __init__(self, processors: Sequence[Processor], name: str = "") -> None:
        self.name = name
        self.processors: tuple[Processor, ...] = tuple(processors)
        self._head: tuple[Processor, ...] = self.processors
        for i, p in enumerate(self.processors):
            if isinstance(p, InterceptingProcessor):
                rest = self.processors[i + 1 :]
                p.next = Chain(rest, name) if rest else None
                self._head = self.processors[: i + 1]
                break

    def process(self, event: MuleEvent) -> ProcessResult:
        return run_chain(self._head, event)

    def children(self) -> Sequence[Processor]:
        return self.processors

    def start(self) -> None:
        for p in self.processors:
            start_tree(p)

    def stop(self) -> None:
        for p in reversed(self.processors):
            stop_tree(p)

    def __len__(self) -> int:
        return len(self.processors)


def run_chain(processors: Sequence[Processor], event: MuleEvent) -> ProcessResult:
    """Run processors in order (P-1): VOID continues with the copy taken before the
    processor, None stops and returns None."""
    current: MuleEvent = event
    for p in processors:
        before = current.copy() if p.may_return_void else None
        # run_processor, written out (one frame less per processor on the hot path)
        if tracing.current.active:  # trace hook
            tracing.current.emit("processor", flow=current.flow_name, processor=p.describe(), message=current.message.id)  # noqa: E501
        try:
            result = p.process(current)
        except MessagingError:
            raise
        except Exception as exc:
            raise as_messaging_error(exc, current, p) from exc
        if result is None:
            return None
        if result is VOID_EVENT:
            current = before if before is not None else current
            continue
        current = result  # type: ignore[assignment]  # neither None nor VOID: an event
    return current


def start_tree(p: Processor) -> None:
    """Start ``p`` (chains start their children themselves)."""
    p.start()


def stop_tree(p: Processor) -> None:
    p.stop()


class Passthrough(Processor):
    """Returns the event unchanged (an empty chain, a no-op element)."""

    kind = "passthrough"

    def process(self, event: MuleEvent) -> ProcessResult:
        return event


def not_void(result: ProcessResult) -> MuleEvent | None:
    """The event of a result, or None for VOID/None."""
    return result if isinstance(result, MuleEvent) else None


def attr_bool(value: Any, default: bool = False) -> bool:
    """Read an XML boolean attribute value."""
    if value is None:
        return default
    return str(value).strip().lower() == "true"


__all__ = [
    "Chain",
    "ExceptionHandler",
    "InterceptingProcessor",
    "Passthrough",
    "Processor",
    "as_messaging_error",
    "attr_bool",
    "describe_cause",
    "not_void",
    "run_chain",
    "run_processor",
]

"""Core processors: logger, set-payload, properties and variables, echo, append-string,
test:component, flow-ref, response blocks (P-2..P-12, T-2).

Each class takes already-compiled attribute functions (see ``runtime/evaluation.py``);
the builder maps elements to these classes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, MutableMapping, Sequence
from typing import Any

from mule_emulator.errors import ConfigError
from mule_emulator.runtime.message import (
    NULL_PAYLOAD,
    MuleEvent,
    MuleMessage,
    ProcessResult,
    is_null,
)
from mule_emulator.runtime.processors.base import (
    InterceptingProcessor,
    Processor,
    run_chain,
)
from mule_emulator.runtime.processors.standin import StandInMessage

# Results that replace the event or its message (S-7), not the payload.
_REPLACING = (MuleEvent, MuleMessage)

EventFn = Callable[[MuleEvent], Any]

LOGGER_CATEGORY = "org.mule.api.processor.LoggerMessageProcessor"
_LEVELS = {
    "ERROR": logging.ERROR,
    "WARN": logging.WARNING,
    "INFO": logging.INFO,
    "DEBUG": logging.DEBUG,
    "TRACE": logging.DEBUG - 5,
}


def mule_logger(category: str) -> logging.Logger:
    """The Python logger for a Mule category (everything sits under "mule")."""
    return logging.getLogger(f"mule.{category}")


class Transformer(Processor):
    """Base of message transformers: never returns VoidMuleEvent (P-1)."""

    may_return_void = False
    kind = "transformer"


class Component(Processor):
    """Base of components: never returns VoidMuleEvent (P-1); result handling per S-7."""

    may_return_void = False
    kind = "component"

    @staticmethod
    def apply_result(event: MuleEvent, result: Any) -> MuleEvent:
        """S-7: a value becomes the payload (properties kept); a message replaces the
        message; ``None`` gives a brand-new NullPayload message (properties lost)."""
        if isinstance(result, MuleEvent):
            return result
        if isinstance(result, MuleMessage):
            return event.with_message(result)
        if result is None:
            return event.with_message(MuleMessage(NULL_PAYLOAD))
        event.message.payload = result
        return event


# ----------------------------------------------------------------------------- logger


class LoggerProcessor(Processor):
    """``<logger message? level? category?>`` (P-2)."""

    kind = "logger"

    def __init__(
        self, message: EventFn | None, level: str | None = None, category: str | None = None
    ) -> None:
        self.message = message
        self.level = _LEVELS.get((level or "DEBUG").upper(), logging.DEBUG)
        self.logger = mule_logger(category or LOGGER_CATEGORY)

    def process(self, event: MuleEvent) -> ProcessResult:
        if self.logger.isEnabledFor(self.level):
            text = str(self.message(event)) if self.message else repr(event.message)
            self.logger.log(self.level, text)
        return event


# ----------------------------------------------------------------------------- payload


class SetPayload(Transformer):
    """``<set-payload value mimeType? encoding?>`` (P-3)."""

    kind = "set-payload"

    def __init__(
        self, value: EventFn, mime_type: str | None = None, encoding: str | None = None
    ) -> None:
        self.value = value
        self.mime_type = mime_type
        self.encoding = encoding

    def process(self, event: MuleEvent) -> ProcessResult:
        value = self.value(event)
        event.message.payload = NULL_PAYLOAD if value is None else value
        if self.mime_type:
            event.message.mime_type = self.mime_type
        if self.encoding:
            event.message.encoding = self.encoding
        return event


class AppendString(Transformer):
    """``<append-string-transformer message>`` (P-7): payload as text + message."""

    kind = "append-string-transformer"

    def __init__(self, message: str) -> None:
        self.message = message

    def process(self, event: MuleEvent) -> ProcessResult:
        event.message.payload = event.message.payload_as_text() + self.message
        return event


# ----------------------------------------------------------------------------- scopes

SCOPES = ("outbound", "invocation", "session")


def scope_map(event: MuleEvent, scope: str) -> MutableMapping[str, Any]:
    """The writable map behind a property scope."""
    if scope == "outbound":
        return event.message.outbound
    if scope == "invocation":
        return event.flow_vars
    if scope == "session":
        return event.session.vars
    if scope == "inbound":
        return event.message.inbound
    raise ConfigError(f"unknown property scope {scope!r}")


def wildcard_keys(keys: Sequence[str], pattern: str, case_insensitive: bool) -> list[str]:
    """The names a remove-/copy-property name selects (P-4): ``*`` all, ``x*`` prefix,
    ``*x`` suffix, else the exact name."""

    def norm(s: str) -> str:
        return s.lower() if case_insensitive else s

    if pattern == "*":
        return list(keys)
    if pattern.endswith("*"):
        prefix = norm(pattern[:-1])
        return [k for k in keys if norm(k).startswith(prefix)]
    if pattern.startswith("*"):
        suffix = norm(pattern[1:])
        return [k for k in keys if norm(k).endswith(suffix)]
    return [k for k in keys if norm(k) == norm(pattern)]


class SetScoped(Transformer):
    """``set-property`` / ``set-variable`` / ``set-session-variable`` (P-4, P-5):
    a null value removes the entry."""

    def __init__(self, scope: str, name: EventFn, value: EventFn, kind: str) -> None:
        self.scope = scope
        self.name = name
        self.value = value
        self.kind = kind  # type: ignore[misc]

    def process(self, event: MuleEvent) -> ProcessResult:
        name = str(self.name(event))
        value = self.value(event)
        target = scope_map(event, self.scope)
        if is_null(value):
            target.pop(name, None)
        else:
            target[name] = value
        return event


class RemoveScoped(Transformer):
    """``remove-property`` / ``remove-variable`` / ``remove-session-variable``."""

    def __init__(self, scope: str, name: EventFn, kind: str) -> None:
        self.scope = scope
        self.name = name
        self.kind = kind  # type: ignore[misc]

    def process(self, event: MuleEvent) -> ProcessResult:
        target = scope_map(event, self.scope)
        pattern = str(self.name(event))
        for key in wildcard_keys(list(target), pattern, self.scope == "outbound"):
            target.pop(key, None)
        return event


class CopyProperties(Transformer):
    """``<copy-properties propertyName>``: inbound → outbound, with wildcards."""

    kind = "copy-properties"

    def __init__(self, name: EventFn) -> None:
        self.name = name

    def process(self, event: MuleEvent) -> ProcessResult:
        pattern = str(self.name(event))
        inbound = event.message.inbound
        for key in wildcard_keys(list(inbound), pattern, True):
            event.message.outbound[key] = inbound[key]
        return event


# ----------------------------------------------------------------------------- components


class EchoComponent(Component):
    """``<echo-component>``: logs and returns the message unchanged."""

    kind = "echo-component"
    _log = mule_logger("org.mule.component.simple.EchoComponent")

    def process(self, event: MuleEvent) -> ProcessResult:
        self._log.info("%s", event.message.payload_as_text()[:100])
        return event


class FunctionalTestException(Exception):
    """Mule's FunctionalTestException (tck)."""

    DEFAULT_MESSAGE = "Functional Test Service Exception"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.DEFAULT_MESSAGE
        super().__init__(self.message)


class JavaException(Exception):
    """An exception standing for a Java exception class named in a config."""

    def __init__(self, java_class: str, message: str | None = None) -> None:
        self.java_class = java_class
        self.message = message or ""
        super().__init__(self.message or java_class)


class TestComponent(Component):
    """``<test:component>``, Mule's FunctionalTestComponent (T-1, T-2)."""

    kind = "test:component"
    _log = mule_logger("org.mule.tck.functional.FunctionalTestComponent")

    def __init__(
        self,
        *,
        throw_exception: bool = False,
        exception_to_throw: str | None = None,
        exception_text: str | None = None,
        append_string: EventFn | None = None,
        return_data: EventFn | None = None,
        wait_time_ms: int = 0,
        log_message_details: bool = False,
    ) -> None:
        self.throw_exception = throw_exception
        self.exception_to_throw = exception_to_throw
        self.exception_text = exception_text
        self.append_string = append_string
        self.return_data = return_data
        self.wait_time_ms = wait_time_ms
        self.log_message_details = log_message_details
        self.received = 0
        self._lock = threading.Lock()

    def process(self, event: MuleEvent) -> ProcessResult:
        if self.throw_exception:
            if self.exception_to_throw:
                raise JavaException(self.exception_to_throw, self.exception_text)
            raise FunctionalTestException(self.exception_text)
        data: Any = event.message.payload
        if self.append_string is not None and not isinstance(data, str):
            data = event.message.payload_as_text()
        with self._lock:
            self.received += 1
        self._log.info(
            "Message Received in service: %s. Content is: %s",
            event.flow_name,
            str(data)[:100],
        )
        if self.return_data is not None:
            result: Any = self.return_data(event)
        elif self.append_string is not None:
            result = str(data) + str(self.append_string(event))
        else:
            result = data
        if self.wait_time_ms > 0:
            time.sleep(self.wait_time_ms / 1000.0)
        return self.apply_result(event, result)


class CallableComponent(Component):
    """A component (or custom processor) backed by a Python callable from the class map,
    called with a ``StandInMessage`` view; its return value is handled per S-7."""

    def __init__(self, fn: Callable[[Any], Any], java_class: str, kind: str = "component") -> None:
        self.fn = fn
        self.java_class = java_class
        self.kind = kind  # type: ignore[misc]

    def process(self, event: MuleEvent) -> ProcessResult:
        view = StandInMessage()  # StandInMessage.of(event), written out
        view._event = event
        result = self.fn(view)
        if result is view:
            return event
        # apply_result, written out for the usual case: a plain value is the new payload
        if result is None or isinstance(result, _REPLACING):
            return self.apply_result(event, result)
        event.message.payload = result
        return event

    def describe(self) -> str:
        return f"{self.kind} {self.java_class}"


# ----------------------------------------------------------------------------- flow-ref


class FlowRef(Processor):
    """``<flow-ref name>`` (P-9, P-10). ``resolve(name)`` returns the processor to call:
    a flow's flow-ref entry, or this reference's own copy of a sub-flow's chain."""

    kind = "flow-ref"

    def __init__(
        self,
        name: EventFn,
        resolve: Callable[[str], Processor],
        static_name: str | None = None,
    ) -> None:
        self.name = name
        self.static_name = static_name
        self._resolve = resolve
        self._targets: dict[str, Processor] = {}
        self._lock = threading.Lock()

    def target(self, event: MuleEvent) -> Processor:
        name = self.static_name if self.static_name is not None else str(self.name(event))
        with self._lock:
            target = self._targets.get(name)
        if target is None:
            target = self._resolve(name)
            with self._lock:
                target = self._targets.setdefault(name, target)
        return target

    def process(self, event: MuleEvent) -> ProcessResult:
        return self.target(event).process(event)

    def describe(self) -> str:
        return f"flow-ref {self.static_name or '<dynamic>'}"


class ResponseBlock(InterceptingProcessor):
    """``<response>`` (P-12): runs its processors on the event that the rest of the flow
    returned, on the way back; skipped when that result is null or void."""

    kind = "response"

    def __init__(self, processors: Sequence[Processor]) -> None:
        super().__init__()
        self.processors = tuple(processors)

    def process(self, event: MuleEvent) -> ProcessResult:
        result = self.process_next(event)
        if not isinstance(result, MuleEvent):
            return result
        return run_chain(self.processors, result)

    def children(self) -> Sequence[Processor]:
        return self.processors

    def start(self) -> None:
        for p in self.processors:
            p.start()

    def stop(self) -> None:
        for p in self.processors:
            p.stop()


__all__ = [
    "AppendString",
    "CallableComponent",
    "Component",
    "CopyProperties",
    "EchoComponent",
    "FlowRef",
    "FunctionalTestException",
    "JavaException",
    "LoggerProcessor",
    "RemoveScoped",
    "ResponseBlock",
    "SetPayload",
    "SetScoped",
    "TestComponent",
    "Transformer",
    "mule_logger",
    "scope_map",
    "wildcard_keys",
]

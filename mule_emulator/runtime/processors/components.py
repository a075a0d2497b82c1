"""The simple component elements beyond echo: ``<log-component>``, ``<null-component>``
and ``<static-component>`` with ``<return-data>`` (P-23), backed by the same built-in
emulations the class map hands out for their Java classes."""

from __future__ import annotations

from mule_emulator.errors import ConfigError
from mule_emulator.model.config import CORE_NS, ElementConfig
from mule_emulator.runtime.builder import BuildContext, element
from mule_emulator.runtime.processors import builtins
from mule_emulator.runtime.processors.base import Processor
from mule_emulator.runtime.processors.core import CallableComponent

_SIMPLE = "org.mule.component.simple."


@element(CORE_NS, "log-component")
def _log_component(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    return CallableComponent(builtins.log_component({}), _SIMPLE + "LogComponent", cfg.name)


@element(CORE_NS, "null-component")
def _null_component(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    return CallableComponent(builtins.null_component({}), _SIMPLE + "NullComponent", cfg.name)


@element(CORE_NS, "static-component")
def _static_component(ctx: BuildContext, cfg: ElementConfig) -> Processor:
    data = cfg.child("return-data")
    if data is not None and data.attr("file"):
        raise ConfigError(
            "<static-component><return-data file=...> is not supported; put the text inside",
            data.location,
        )
    text = (data.text or "") if data is not None else ""
    return CallableComponent(
        builtins.static_component({"data": text}), _SIMPLE + "StaticComponent", cfg.name
    )


#: Children that are parts of these elements, not processors.
PARTS: set[tuple[str, str]] = {(CORE_NS, "return-data")}

__all__ = ["PARTS"]

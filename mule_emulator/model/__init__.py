"""model: XML trees → the frozen AppConfig, and name resolution over it.

``load_app_config(paths)`` reads files (following ``<spring:import>``) and parses them;
``parse_app(documents)`` parses already-loaded documents. ``references`` resolves
connectors, global names and strategy references.
"""

from __future__ import annotations

from mule_emulator.model.loader import collect_documents, load_app_config
from mule_emulator.model.parser import parse_app
from mule_emulator.model.placeholders import parse_properties
from mule_emulator.model.references import (
    find_global,
    iter_endpoints,
    resolve_connector,
    resolve_exception_strategy,
    resolve_processing_strategy,
)

__all__ = [
    "collect_documents",
    "find_global",
    "iter_endpoints",
    "load_app_config",
    "parse_app",
    "parse_properties",
    "resolve_connector",
    "resolve_exception_strategy",
    "resolve_processing_strategy",
]

"""The processor families beyond the core set, loaded together.

Importing this module registers the element builders of routers (choice,
first-successful, round-robin, wire-tap), scopes (async, enricher, foreach,
until-successful), splitters and aggregators, request-reply, idempotent filters and
transformers, the built-in emulations of Mule's Java classes in the class map, and the
element names that are parts of those elements (``<enrich>``, ``<add-message-property>``
...) so the start-up support check does not report them as unknown processors.
"""

from __future__ import annotations

from mule_emulator.runtime import builder
from mule_emulator.runtime.processors import (  # noqa: F401  (imported to register)
    builtins,
    components,
    idempotent,
    poll,
    requestreply,
    routers,
    scopes,
    splitters,
    transformers,
    until_successful,
)

#: Child elements that belong to their parent element rather than being processors.
PARTS: frozenset[tuple[str, str]] = frozenset(
    transformers.PARTS | scopes.PARTS | idempotent.PARTS | poll.PARTS | components.PARTS
)

builder.register_parts(PARTS)

__all__ = ["PARTS"]

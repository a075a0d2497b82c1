"""ParseContext: what every element parser needs while one document is read.

It knows the file, resolves placeholders in attributes and text, builds element paths
for ``SourceLocation``, converts typed attribute values with located errors, and
collects what the whole application reports (Java class names, unsupported content).
The global endpoints of the whole application are shared so that ``ref=`` resolves
across files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from lxml import etree

from mule_emulator.errors import ConfigError, SourceLocation
from mule_emulator.model.config import (
    CORE_NS,
    DOC_NS,
    SPRING_BEANS_NS,
    SPRING_CONTEXT_NS,
    TEST_NS,
    VM_NS,
    EndpointConfig,
    ProcessorConfig,
    UnsupportedElement,
)
from mule_emulator.model.placeholders import PlaceholderResolver

BUNDLED_NAMESPACES = frozenset(
    {CORE_NS, VM_NS, TEST_NS, SPRING_BEANS_NS, SPRING_CONTEXT_NS, DOC_NS}
)
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_DROPPED_ATTRIBUTE_NAMESPACES = frozenset({DOC_NS, XSI_NS})

_TRUE = {"true"}
_FALSE = {"false"}


def qname_of(el: etree._Element) -> tuple[str, str]:
    """(namespace URI, local name) of an element; the namespace is "" when absent."""
    tag = el.tag
    if isinstance(tag, str):
        return split_tag(tag)
    q = etree.QName(el)  # not an element: lxml says why
    return q.namespace or "", q.localname


@lru_cache(maxsize=4096)
def split_tag(tag: str) -> tuple[str, str]:
    """``{ns}local`` → (ns, local); cached, as a config repeats a few dozen tags."""
    if tag[:1] == "{":
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def child_elements(el: etree._Element) -> list[etree._Element]:
    """Element children only: comments and processing instructions are skipped."""
    return [c for c in el if isinstance(c.tag, str)]


@dataclass(frozen=True)
class EndpointChains:
    """An endpoint's processor lists kept apart, because Mule inherits each one from a
    global endpoint separately: nested elements (``messageProcessors``) and
    ``transformer-refs`` (``transformers``), and the same for the response side."""

    nested: tuple[ProcessorConfig, ...] = ()
    refs: tuple[ProcessorConfig, ...] = ()
    response_nested: tuple[ProcessorConfig, ...] = ()
    response_refs: tuple[ProcessorConfig, ...] = ()


@dataclass
class AppCollector:
    """Application-wide findings gathered while parsing every document."""

    classes: list[tuple[str, SourceLocation]] = field(default_factory=list)
    unsupported: list[UnsupportedElement] = field(default_factory=list)
    global_endpoints: dict[str, EndpointConfig] = field(default_factory=dict)
    endpoint_chains: dict[str, EndpointChains] = field(default_factory=dict)


class ParseContext:
    """Per-document parse state; see the module docstring."""

    def __init__(self, file: str, resolver: PlaceholderResolver, collector: AppCollector) -> None:
        self.file = file
        self.resolver = resolver
        self.collector = collector
        # Element paths of this document, filled a parent's children at a time, so that
        # locating every element costs one step each instead of a walk to the root.
        self._paths: dict[etree._Element, str] = {}

    # ----------------------------------------------------------------- locations

    def location(self, el: etree._Element) -> SourceLocation:
        return SourceLocation(file=self.file, line=line_of(el), path=self.path(el))

    def path(self, el: etree._Element) -> str:
        """The same text as ``element_path(el)``, remembered for the document."""
        found = self._paths.get(el)
        if found is not None:
            return found
        parent = el.getparent()
        if parent is None:
            found = "/" + _step(el)
            self._paths[el] = found
            return found
        base = self.path(parent)
        children = [c for c in parent if isinstance(c.tag, str)]
        counts: dict[str, int] = {}
        for c in children:
            counts[c.tag] = counts.get(c.tag, 0) + 1
        seen: dict[str, int] = {}
        for c in children:
            label = _label(c)
            name = c.get("name")
            index = seen[c.tag] = seen.get(c.tag, 0) + 1
            if name is not None:
                step = f"{label}[@name='{name}']"
            elif counts[c.tag] > 1:
                step = f"{label}[{index}]"
            else:
                step = label
            self._paths[c] = f"{base}/{step}"
        return self._paths.get(el) or element_path(el)

    # ----------------------------------------------------------------- raw values

    def attrs(self, el: etree._Element) -> dict[str, str]:
        """Unqualified attributes, placeholders resolved; ``doc:`` and ``xsi:`` dropped."""
        values: dict[str, str] = {}
        for key, raw in el.attrib.items():
            name = str(key)
            if name.startswith("{"):
                ns, _, local = name[1:].partition("}")
                if ns in _DROPPED_ATTRIBUTE_NAMESPACES:
                    continue
                name = name if ns not in BUNDLED_NAMESPACES else local
            values[name] = self.resolve(str(raw), el)
        return values

    def attr(self, el: etree._Element, name: str) -> str | None:
        raw = el.get(name)
        return None if raw is None else self.resolve(raw, el)

    def text(self, el: etree._Element) -> str | None:
        """The element's own text (not its children's), stripped; None when empty."""
        raw = (el.text or "").strip()
        return self.resolve(raw, el) if raw else None

    def resolve(self, raw: str, el: etree._Element) -> str:
        if "${" not in raw:
            return raw
        return self.resolver.resolve(raw, self.location(el))

    # ----------------------------------------------------------------- typed values

    def int_attr(self, el: etree._Element, name: str) -> int | None:
        value = self.attr(el, name)
        if value is None:
            return None
        try:
            return int(value.strip())
        except ValueError:
            raise ConfigError(
                f"attribute '{name}' must be an integer, not '{value}'", self.location(el)
            ) from None

    def bool_attr(self, el: etree._Element, name: str) -> bool | None:
        value = self.attr(el, name)
        if value is None:
            return None
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ConfigError(
            f"attribute '{name}' must be true or false, not '{value}'", self.location(el)
        )

    # ----------------------------------------------------------------- findings

    def note_class(self, class_name: str | None, el: etree._Element) -> None:
        if class_name:
            self.collector.classes.append((class_name.strip(), self.location(el)))

    def note_unsupported(self, qname: str, reason: str, el: etree._Element) -> None:
        self.collector.unsupported.append(UnsupportedElement(qname, reason, self.location(el)))

    @property
    def global_endpoints(self) -> Mapping[str, EndpointConfig]:
        return self.collector.global_endpoints


def line_of(el: etree._Element) -> int:
    """The element's 1-based line, 0 when lxml does not know it."""
    line = el.sourceline
    return line if isinstance(line, int) else 0


def element_path(el: etree._Element) -> str:
    """``/mule/flow[@name='x']/logger[2]``: named steps use the name, repeated ones an index."""
    steps: list[str] = []
    node: etree._Element | None = el
    while node is not None:
        steps.append(_step(node))
        node = node.getparent()
    return "/" + "/".join(reversed(steps))


def _label(el: etree._Element) -> str:
    local = qname_of(el)[1]
    return f"{el.prefix}:{local}" if el.prefix else local


def _step(el: etree._Element) -> str:
    label = _label(el)
    name = el.get("name")
    if name is not None:
        return f"{label}[@name='{name}']"
    parent = el.getparent()
    if parent is None:
        return label
    same = [c for c in parent if c.tag == el.tag]
    if len(same) > 1:
        return f"{label}[{same.index(el) + 1}]"
    return label


__all__ = [
    "BUNDLED_NAMESPACES",
    "AppCollector",
    "EndpointChains",
    "ParseContext",
    "child_elements",
    "element_path",
    "line_of",
    "qname_of",
]

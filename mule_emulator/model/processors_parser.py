"""Message processors: any element inside a flow, router or endpoint becomes an
``ElementConfig`` (namespace, local name, attributes, children, text), except VM and
generic endpoints, which become ``EndpointConfig`` so addresses are parsed once."""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from mule_emulator.model import endpoints_parser
from mule_emulator.model.config import CORE_NS, VM_NS, ElementConfig, ProcessorConfig, frozen_map
from mule_emulator.model.context import ParseContext, child_elements, qname_of

ENDPOINT_ROLES = {
    "inbound-endpoint": "inbound",
    "outbound-endpoint": "outbound",
    "endpoint": "global",
}


def endpoint_role(el: etree._Element) -> str | None:
    """``inbound``/``outbound``/``global`` for a VM or generic endpoint element, else None."""
    ns, local = qname_of(el)
    if ns in (CORE_NS, VM_NS):
        return ENDPOINT_ROLES.get(local)
    return None


def parse_element(ctx: ParseContext, el: etree._Element) -> ElementConfig:
    """The generic form: attributes, text and children (endpoint-aware), in order."""
    ns, local = qname_of(el)
    return ElementConfig(
        namespace=ns,
        name=local,
        attributes=frozen_map(ctx.attrs(el)),
        children=parse_processors(ctx, child_elements(el)),
        text=ctx.text(el),
        location=ctx.location(el),
    )


def parse_processor(ctx: ParseContext, el: etree._Element) -> ProcessorConfig:
    role = endpoint_role(el)
    if role is not None:
        return endpoints_parser.parse_endpoint(ctx, el, role)
    return parse_element(ctx, el)


def parse_processors(
    ctx: ParseContext, elements: Iterable[etree._Element]
) -> tuple[ProcessorConfig, ...]:
    return tuple(parse_processor(ctx, el) for el in elements)


__all__ = ["endpoint_role", "parse_element", "parse_processor", "parse_processors"]

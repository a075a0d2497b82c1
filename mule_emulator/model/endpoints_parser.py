"""Endpoints: ``path=``, ``address=``, ``ref=`` forms, nested transaction, processors,
``<response>``, properties and redelivery policy, merged with a referenced global
endpoint (spec E1, E2, E8, E10)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from urllib.parse import unquote

from lxml import etree

from mule_emulator.errors import ConfigError, SourceLocation, UnresolvedReferenceError
from mule_emulator.model import processors_parser
from mule_emulator.model.config import (
    CORE_NS,
    EXCHANGE_PATTERNS,
    SPRING_BEANS_NS,
    VM_NS,
    ElementConfig,
    EndpointConfig,
    ProcessorConfig,
    TransactionConfig,
    frozen_map,
)
from mule_emulator.model.context import EndpointChains, ParseContext, child_elements, qname_of
from mule_emulator.model.profiles_parser import is_transaction, parse_transaction


def split_address(address: str, location: SourceLocation) -> tuple[str, str, dict[str, str]]:
    """``vm://localhost/x?connector=c`` → ("vm", "x", {"connector": "c"}) (E2)."""
    scheme, sep, rest = address.strip().partition("://")
    if not sep or not scheme:
        raise ConfigError(f"endpoint address '{address}' is not a URI such as vm://queue", location)
    rest, _, query = rest.partition("?")
    if rest.startswith("localhost/"):
        rest = rest[len("localhost/") :]
    params: dict[str, str] = {}
    for pair in query.split("&") if query else ():
        if not pair:
            continue
        key, _, value = pair.partition("=")
        params[unquote(key)] = unquote(value)
    return scheme.lower(), rest, params


def _ref_placeholders(names: str | None, location: SourceLocation) -> tuple[ElementConfig, ...]:
    """``transformer-refs="a b"`` → ``<transformer ref="a"/>``, ``<transformer ref="b"/>``."""
    return tuple(
        ElementConfig(CORE_NS, "transformer", frozen_map({"ref": n}), location=location)
        for n in (names or "").split()
    )


def parse_endpoint(ctx: ParseContext, el: etree._Element, role: str) -> EndpointConfig:
    """One endpoint element; ``ref=`` merges the global endpoint of that name."""
    ns, local = qname_of(el)
    label = f"{el.prefix}:{local}" if el.prefix else local
    loc = ctx.location(el)
    a = ctx.attrs(el)
    ref = a.pop("ref", None)
    name = a.pop("name", None)
    path = a.pop("path", None)
    address = a.pop("address", None)
    connector_ref = a.pop("connector-ref", None)
    exchange = a.pop("exchange-pattern", None)
    mime_type = a.pop("mimeType", None)
    encoding = a.pop("encoding", None)
    a.pop("responseTimeout", None)
    response_timeout = ctx.int_attr(el, "responseTimeout")
    refs = _ref_placeholders(a.pop("transformer-refs", None), loc)
    response_refs = _ref_placeholders(a.pop("responseTransformer-refs", None), loc)
    if exchange is not None and exchange not in EXCHANGE_PATTERNS:
        raise ConfigError(
            f"exchange-pattern must be one of {', '.join(EXCHANGE_PATTERNS)}, not '{exchange}'",
            loc,
        )

    transaction: TransactionConfig | None = None
    nested: list[ProcessorConfig] = []
    response: list[ProcessorConfig] = []
    properties: dict[str, str] = dict(a)  # leftover attributes are endpoint properties
    redelivery: ElementConfig | None = None
    for child in child_elements(el):
        cns, clocal = qname_of(child)
        if is_transaction(child):
            if transaction is not None:
                raise ConfigError("an endpoint takes at most one transaction", ctx.location(child))
            transaction = parse_transaction(ctx, child)
        elif cns == CORE_NS and clocal == "response":
            response.extend(processors_parser.parse_processors(ctx, child_elements(child)))
        elif cns == CORE_NS and clocal == "property":
            key = ctx.attr(child, "key")
            if key is not None:
                properties[key] = ctx.attr(child, "value") or ""
        elif cns == CORE_NS and clocal == "properties":
            properties.update(_entries(ctx, child))
        elif cns == CORE_NS and clocal == "idempotent-redelivery-policy":
            redelivery = processors_parser.parse_element(ctx, child)
        else:
            nested.append(processors_parser.parse_processor(ctx, child))
    chains = EndpointChains(tuple(nested), refs, tuple(response), response_refs)

    scheme, queue, params = "vm", "", dict[str, str]()
    if address is not None:
        scheme, queue, params = split_address(address, loc)
    elif path is not None:
        # E2: a query written into path= (path="out?responseTransformers=x") belongs to the
        # URI, not to the queue name; split it as an address would be.
        address = f"vm://{path}"
        scheme, queue, params = split_address(address, loc)
    elif ref is None:
        raise ConfigError(f"<{label}> needs one of path, address or ref", loc)

    params_map = frozen_map(params)
    # Without ref= the processor lists are known now: built once, not built and replaced.
    processors, response_processors = (
        _processor_lists(chains, params_map, loc) if ref is None else ((), ())
    )
    own = EndpointConfig(
        role=role,
        address=address or "",
        path=queue,
        scheme=scheme,
        name=name,
        ref=ref,
        connector_ref=connector_ref,
        exchange_pattern=exchange,
        transaction=transaction,
        properties=frozen_map(properties),
        params=params_map,
        mime_type=mime_type,
        encoding=encoding,
        response_timeout_ms=response_timeout,
        redelivery_policy=redelivery,
        processors=processors,
        response_processors=response_processors,
        location=loc,
    )
    if ref is not None:
        glob = _global(ctx, ref, loc)
        own = merge_with_global(own, glob, explicit_address=address is not None)
        chains = _inherit_chains(chains, ctx.collector.endpoint_chains.get(ref, EndpointChains()))
        processors, response_processors = _processor_lists(chains, own.params, loc)
        own = replace(own, processors=processors, response_processors=response_processors)
    if role == "global" and name:
        ctx.collector.endpoint_chains[name] = chains
    if ns == VM_NS and own.scheme != "vm":
        raise ConfigError(
            f"a vm: endpoint cannot use the address scheme '{own.scheme}' ({own.address})", loc
        )
    if own.scheme != "vm":
        ctx.note_unsupported(label, f"transport scheme '{own.scheme}' is not bundled (only vm)", el)
    return own


def _processor_lists(
    chains: EndpointChains, params: Mapping[str, str], loc: SourceLocation
) -> tuple[tuple[ProcessorConfig, ...], tuple[ProcessorConfig, ...]]:
    """The endpoint's processors and response processors, in the order Mule runs them."""
    return (
        (
            *chains.nested,
            *_uri_transformers(params.get("transformers"), chains.nested, loc),
            *chains.refs,
        ),
        (
            *chains.response_nested,
            *_uri_transformers(params.get("responseTransformers"), chains.response_nested, loc),
            *chains.response_refs,
        ),
    )


def _inherit_chains(own: EndpointChains, glob: EndpointChains) -> EndpointChains:
    """Each list the referencing endpoint sets replaces the global's; the rest inherit."""
    return EndpointChains(
        nested=own.nested or glob.nested,
        refs=own.refs or glob.refs,
        response_nested=own.response_nested or glob.response_nested,
        response_refs=own.response_refs or glob.response_refs,
    )


def _uri_transformers(
    names: str | None, nested: tuple[ProcessorConfig, ...], loc: SourceLocation
) -> tuple[ElementConfig, ...]:
    """``?transformers=a,b`` in the address: used only when no nested transformer exists."""
    if not names:
        return ()
    if any(isinstance(p, ElementConfig) and p.name.endswith("transformer") for p in nested):
        return ()
    return _ref_placeholders(names.replace(",", " "), loc)


def _global(ctx: ParseContext, ref: str, loc: SourceLocation) -> EndpointConfig:
    try:
        return ctx.global_endpoints[ref]
    except KeyError:
        known = ", ".join(sorted(ctx.global_endpoints)) or "none"
        raise UnresolvedReferenceError(
            f"endpoint ref '{ref}' names no global endpoint (known: {known})", loc
        ) from None


def merge_with_global(
    own: EndpointConfig, glob: EndpointConfig, explicit_address: bool
) -> EndpointConfig:
    """The global endpoint's settings under the referencing endpoint's own (own wins).

    As in Mule, the name is inherited too; processor lists are merged by the caller.
    """
    address_from = own if explicit_address or own.path else glob
    return replace(
        own,
        name=own.name or glob.name,
        address=address_from.address,
        path=address_from.path,
        scheme=address_from.scheme,
        params=frozen_map({**glob.params, **own.params}),
        connector_ref=own.connector_ref or glob.connector_ref,
        exchange_pattern=own.exchange_pattern or glob.exchange_pattern,
        transaction=own.transaction or glob.transaction,
        properties=frozen_map({**glob.properties, **own.properties}),
        mime_type=own.mime_type or glob.mime_type,
        encoding=own.encoding or glob.encoding,
        response_timeout_ms=(
            own.response_timeout_ms
            if own.response_timeout_ms is not None
            else glob.response_timeout_ms
        ),
        redelivery_policy=own.redelivery_policy or glob.redelivery_policy,
    )


def _entries(ctx: ParseContext, el: etree._Element) -> dict[str, str]:
    """``<properties><spring:entry key=".." value=".."/></properties>``."""
    values: dict[str, str] = {}
    for child in el.iter():
        if not isinstance(child.tag, str):
            continue
        cns, clocal = qname_of(child)
        if cns == SPRING_BEANS_NS and clocal == "entry":
            key = ctx.attr(child, "key")
            if key is not None:
                values[key] = ctx.attr(child, "value") or ctx.text(child) or ""
    return values


__all__ = ["merge_with_global", "parse_endpoint", "split_address"]

"""Spring beans: ``<spring:bean>`` with properties, constructor arguments, nested beans,
lists, sets, maps, props, refs and values, as frozen ``BeanConfig`` values. Nothing is
instantiated; the class map decides at build time what a class name stands for."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from mule_emulator.model.config import SPRING_BEANS_NS, BeanConfig, BeanRef, frozen_map
from mule_emulator.model.context import ParseContext, child_elements, qname_of

_NAME_SPLIT = re.compile(r"[,;\s]+")


def is_spring(el: etree._Element, local: str | None = None) -> bool:
    ns, name = qname_of(el)
    return ns == SPRING_BEANS_NS and (local is None or name == local)


def bean_name(ctx: ParseContext, el: etree._Element) -> str | None:
    """``id``, else the first of ``name``'s aliases, as Spring names a bean."""
    bean_id = ctx.attr(el, "id")
    if bean_id:
        return bean_id
    names = [n for n in _NAME_SPLIT.split(ctx.attr(el, "name") or "") if n]
    return names[0] if names else None


def parse_bean(ctx: ParseContext, el: etree._Element) -> BeanConfig:
    properties: dict[str, Any] = {}
    args: list[Any] = []
    for child in child_elements(el):
        if is_spring(child, "property"):
            key = ctx.attr(child, "name")
            if key is not None:
                properties[key] = parse_property_value(ctx, child)
        elif is_spring(child, "constructor-arg"):
            args.append(parse_property_value(ctx, child))
    return BeanConfig(
        name=bean_name(ctx, el),
        class_name=ctx.attr(el, "class"),
        properties=frozen_map(properties),
        constructor_args=tuple(args),
        scope=ctx.attr(el, "scope"),
        location=ctx.location(el),
    )


def parse_property_value(ctx: ParseContext, el: etree._Element) -> Any:
    """The value of a ``property``/``constructor-arg``/``entry``: ``value=``, ``ref=``
    or the one value child element."""
    value = ctx.attr(el, "value")
    if value is not None:
        return value
    ref = ctx.attr(el, "ref") or ctx.attr(el, "value-ref")
    if ref is not None:
        return BeanRef(ref)
    for child in child_elements(el):
        if is_spring(child, "description") or is_spring(child, "key"):
            continue
        return parse_value(ctx, child)
    return ctx.text(el)


def parse_value(ctx: ParseContext, el: etree._Element) -> Any:
    """A Spring value element: bean, ref, idref, value, null, list/set/array, map, props."""
    ns, local = qname_of(el)
    if ns != SPRING_BEANS_NS:
        return None
    if local == "bean":
        return parse_bean(ctx, el)
    if local == "ref":
        target = ctx.attr(el, "bean") or ctx.attr(el, "local") or ctx.attr(el, "parent")
        return BeanRef(target or "")
    if local == "idref":
        return ctx.attr(el, "bean") or ctx.attr(el, "local")
    if local == "value":
        return ctx.text(el) or ""
    if local == "null":
        return None
    if local in ("list", "set", "array"):
        return tuple(parse_value(ctx, c) for c in child_elements(el))
    if local == "map":
        entries = child_elements(el)
        return frozen_map({_entry_key(ctx, c): parse_property_value(ctx, c) for c in entries})
    if local == "props":
        return frozen_map({ctx.attr(c, "key") or "": ctx.text(c) or "" for c in child_elements(el)})
    return None


def _entry_key(ctx: ParseContext, el: etree._Element) -> str:
    key = ctx.attr(el, "key") or ctx.attr(el, "key-ref")
    if key is not None:
        return key
    for child in child_elements(el):
        if is_spring(child, "key"):
            inner = child_elements(child)
            return str(parse_value(ctx, inner[0])) if inner else (ctx.text(child) or "")
    return ""


__all__ = ["bean_name", "is_spring", "parse_bean", "parse_property_value", "parse_value"]

"""The bundled XSDs keep the shape that makes them cheap for libxml2 to compile.

A repeated reference to a group whose choice names a substitution-group head
(``<xs:group ref="messageProcessorOrOutboundEndpoint" maxOccurs="unbounded"/>``) is
accepted by libxml2, but compiling it costs about eight times more than the equivalent
``<xs:choice maxOccurs="unbounded"><xs:group ref="..."/></xs:choice>`` (see the comment
above that group in schemas/mule.xsd). Timing the compile in a test would be flaky, so this
test checks the shape; test_schemas.py checks that the schemas still accept and reject
the same documents.
"""

from __future__ import annotations

from pathlib import Path

from lxml import etree

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
XS = "{http://www.w3.org/2001/XMLSchema}"


def _local(name: str) -> str:
    return name.rsplit(":", 1)[-1]


def _trees() -> dict[str, etree._Element]:
    return {p.name: etree.parse(str(p)).getroot() for p in sorted(SCHEMAS.glob("*.xsd"))}


def _heavy_groups(trees: dict[str, etree._Element]) -> set[str]:
    """Groups whose choice offers an abstract element (a substitution-group head)."""
    abstract = {
        el.get("name", "")
        for root in trees.values()
        for el in root.iter(f"{XS}element")
        if el.get("abstract") == "true"
    }
    heavy = set()
    for root in trees.values():
        for group in root.iter(f"{XS}group"):
            name = group.get("name")
            if name is None:
                continue
            refs = {_local(el.get("ref", "")) for el in group.iter(f"{XS}element")}
            if refs & abstract:
                heavy.add(name)
    return heavy


def test_the_processor_groups_count_as_heavy() -> None:
    heavy = _heavy_groups(_trees())
    assert {"messageProcessorOrOutboundEndpoint", "endpointMessageProcessorElements"} <= heavy


def test_no_repeated_reference_to_a_group_over_substitution_heads() -> None:
    trees = _trees()
    heavy = _heavy_groups(trees)
    offending = [
        f"{name}:{ref.sourceline} {ref.get('ref')}"
        for name, root in trees.items()
        for ref in root.iter(f"{XS}group")
        if ref.get("ref") is not None
        and _local(ref.get("ref", "")) in heavy
        and ref.get("maxOccurs", "1") != "1"
    ]
    assert offending == [], (
        "write these as <xs:choice maxOccurs=...><xs:group ref=.../></xs:choice>: "
        + ", ".join(offending)
    )

"""Hardened XML loading: a file (or bytes) to an lxml tree that keeps line numbers.

No DTD is loaded, no entity is expanded, nothing is fetched from the network, and the
input size is bounded, so a hostile file (XXE, billion laughs) can do no harm. A file
that is not well-formed raises ``InputError`` with its line and column.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from mule_emulator.errors import InputError, SourceLocation

# Mule configs are small; anything above this is refused before parsing.
MAX_INPUT_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Document:
    """A parsed configuration file: its tree and the name it is reported under."""

    file: str
    tree: etree._ElementTree

    @property
    def root(self) -> etree._Element:
        return self.tree.getroot()


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
        collect_ids=False,
    )


def parse_bytes(data: bytes, file: str = "<string>", max_bytes: int = MAX_INPUT_BYTES) -> Document:
    """Parse ``data`` as a configuration file reported under the name ``file``."""
    if len(data) > max_bytes:
        raise InputError(
            f"file is {len(data)} bytes, larger than the {max_bytes}-byte limit for a config",
            SourceLocation(file=file),
        )
    if not data.strip():
        raise InputError("file is empty; expected a <mule> document", SourceLocation(file=file))
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (0, 0)
        raise InputError(
            f"not well-formed XML: {exc.msg}", SourceLocation(file=file, line=line, column=column)
        ) from None
    if tree.docinfo.doctype:
        raise InputError(
            "a DOCTYPE declaration is not allowed in a Mule config (DTDs and entities are "
            "refused for safety)",
            SourceLocation(file=file, line=1),
        )
    return Document(file=file, tree=tree)


def parse_file(path: str | Path, max_bytes: int = MAX_INPUT_BYTES) -> Document:
    """Read and parse one file; every failure is an ``InputError`` naming the file."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise InputError(
                f"file is {size} bytes, larger than the {max_bytes}-byte limit for a config",
                SourceLocation(file=str(path)),
            )
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(
            f"cannot read file: {exc.strerror or exc}", SourceLocation(file=str(path))
        ) from None
    return parse_bytes(data, str(path), max_bytes)


__all__ = ["MAX_INPUT_BYTES", "Document", "parse_bytes", "parse_file"]

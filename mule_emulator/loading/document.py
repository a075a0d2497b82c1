"""Hardened XML loading: a file (or bytes) to an lxml tree that keeps line numbers.

A Mule config never needs a DTD, so none is accepted: the prolog is scanned *before*
libxml2 sees the bytes and a ``<!DOCTYPE`` is refused there, which rules out XXE
(file and http entities), parameter entities and billion laughs without relying on
parser flags alone. The parser itself is still configured defensively (no DTD
loading, no entity expansion, no network, a resolver that answers every external
lookup with nothing) and the input size is bounded. Every failure is a
``DocumentRejected`` (an ``InputError``) carrying a stable ``rule`` id and, for
not-well-formed input, the line and column.
"""

from __future__ import annotations

import codecs
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from mule_emulator.errors import InputError, SourceLocation

# Mule configs are small; anything above this is refused before parsing.
MAX_INPUT_BYTES = 16 * 1024 * 1024

# Rule ids of the ways an input can be refused (documented in docs/validation-rules.md).
RULE_UNREADABLE = "input-unreadable"
RULE_TOO_LARGE = "input-too-large"
RULE_EMPTY = "input-empty"
RULE_NOT_WELL_FORMED = "xml-not-well-formed"
RULE_DOCTYPE = "xml-doctype"
RULE_ENCODING = "xml-encoding"


class DocumentRejected(InputError):
    """An input that cannot be used as a config; ``rule`` says which check refused it."""

    def __init__(self, rule: str, message: str, location: SourceLocation) -> None:
        super().__init__(message, location)
        self.rule = rule


@dataclass(frozen=True)
class Document:
    """A parsed configuration file: its tree and the name it is reported under."""

    file: str
    tree: etree._ElementTree

    @property
    def root(self) -> etree._Element:
        return self.tree.getroot()


class _RefuseExternal(etree.Resolver):  # type: ignore[misc]
    """Answers every external DTD/entity lookup with an empty document: nothing is read."""

    def resolve(self, system_url: str, public_id: str, context: Any) -> Any:  # type: ignore[override]
        return self.resolve_string("", context)  # type: ignore[call-arg]


def _parser() -> etree.XMLParser:
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
        collect_ids=False,
    )
    parser.resolvers.add(_RefuseExternal())
    return parser


# The prolog: XML declaration, whitespace, comments and processing instructions.
_PROLOG_ITEM = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->", re.DOTALL)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_PROLOG_SCAN_BYTES = 64 * 1024


def _prolog_text(data: bytes) -> str:
    """The start of ``data`` as text, good enough to find markup in the prolog."""
    head = data[:_PROLOG_SCAN_BYTES]
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return head[len(bom) :].decode(encoding, errors="replace")
    if head.startswith(b"\x00<"):
        return head.decode("utf-16-be", errors="replace")
    if head.startswith(b"<\x00"):
        return head.decode("utf-16-le", errors="replace")
    # Every other encoding libxml2 accepts is ASCII-compatible for markup.
    return head.decode("latin-1")


def _has_doctype(data: bytes) -> bool:
    """True when a ``<!DOCTYPE`` stands in the prolog, before the root element."""
    text = _prolog_text(data)
    pos = 0
    while True:
        item = _PROLOG_ITEM.match(text, pos)
        if item is None or item.end() == pos:
            break
        pos = item.end()
    return text.startswith("<!DOCTYPE", pos) or text.startswith("<!doctype", pos)


def _line_of(data: bytes, marker: bytes) -> int:
    index = data.find(marker)
    return data.count(b"\n", 0, index) + 1 if index >= 0 else 1


def parse_bytes(data: bytes, file: str = "<string>", max_bytes: int = MAX_INPUT_BYTES) -> Document:
    """Parse ``data`` as a configuration file reported under the name ``file``."""
    if len(data) > max_bytes:
        raise DocumentRejected(
            RULE_TOO_LARGE,
            f"file is {len(data)} bytes, larger than the {max_bytes}-byte limit for a config",
            SourceLocation(file=file),
        )
    if not data.strip():
        raise DocumentRejected(
            RULE_EMPTY, "file is empty; expected a <mule> document", SourceLocation(file=file)
        )
    if _has_doctype(data):
        raise DocumentRejected(
            RULE_DOCTYPE,
            "a DOCTYPE declaration is not allowed in a Mule config (DTDs and entities are "
            "refused for safety; nothing was loaded or expanded)",
            SourceLocation(file=file, line=_line_of(data, b"<!DOCTYPE")),
        )
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (0, 0)
        text = str(exc.msg or "").split(", line ")[0]
        rule = RULE_ENCODING if "encoding" in text.lower() else RULE_NOT_WELL_FORMED
        if rule == RULE_ENCODING:
            text += " (the bytes do not match the declared or detected encoding)"
        raise DocumentRejected(
            rule,
            f"not well-formed XML: {text}",
            SourceLocation(file=file, line=line, column=column),
        ) from None
    except (ValueError, LookupError) as exc:  # e.g. an unknown encoding name
        raise DocumentRejected(
            RULE_ENCODING, f"cannot decode the file: {exc}", SourceLocation(file=file)
        ) from None
    if tree.docinfo.doctype:  # type: ignore[attr-defined]  # belt and braces: the prolog scan should have caught it
        raise DocumentRejected(
            RULE_DOCTYPE,
            "a DOCTYPE declaration is not allowed in a Mule config (DTDs and entities are "
            "refused for safety)",
            SourceLocation(file=file, line=1),
        )
    return Document(file=file, tree=tree)


def parse_file(path: str | Path, max_bytes: int = MAX_INPUT_BYTES) -> Document:
    """Read and parse one file; every failure is a ``DocumentRejected`` naming the file."""
    name = str(path)
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > max_bytes:
                raise DocumentRejected(
                    RULE_TOO_LARGE,
                    f"file is {size} bytes, larger than the {max_bytes}-byte limit for a config",
                    SourceLocation(file=name),
                )
            # Read what the size says plus one byte: a file growing under us (or one whose
            # size the system does not report) is read on, to one byte past the limit, so
            # that it is still refused. (Asking for the limit at once would allocate it.)
            data = handle.read(size + 1)
            if len(data) > size:
                data += handle.read(max_bytes + 1 - len(data))
    except OSError as exc:
        if Path(path).is_dir():
            raise DocumentRejected(
                RULE_UNREADABLE, "is a directory, not a config file", SourceLocation(file=name)
            ) from None
        reason = exc.strerror or str(exc)
        raise DocumentRejected(
            RULE_UNREADABLE, f"cannot read file: {reason}", SourceLocation(file=name)
        ) from None
    return parse_bytes(data, name, max_bytes)


__all__ = [
    "MAX_INPUT_BYTES",
    "RULE_DOCTYPE",
    "RULE_EMPTY",
    "RULE_ENCODING",
    "RULE_NOT_WELL_FORMED",
    "RULE_TOO_LARGE",
    "RULE_UNREADABLE",
    "Document",
    "DocumentRejected",
    "parse_bytes",
    "parse_file",
]

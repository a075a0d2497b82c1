"""``load_app_config``: config files on disk → AppConfig, following ``<spring:import>``.

An import's ``resource`` (``classpath:``, ``file:`` or a plain path) resolves relative
to the importing file's folder, which stands in for Mule's classpath root. Each file is
read once, so import cycles end quietly; the importing file comes before the files it
imports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from mule_emulator.errors import InputError, SourceLocation
from mule_emulator.loading.document import Document, parse_file
from mule_emulator.model.config import AppConfig
from mule_emulator.model.context import element_path, line_of
from mule_emulator.model.parser import parse_app, top_level
from mule_emulator.model.placeholders import PlaceholderResolver
from mule_emulator.model.spring_parser import is_spring

_RESOURCE_PREFIXES = ("classpath*:", "classpath:", "file:")


def _resource_path(resource: str, importer: Path) -> Path:
    entry = resource.strip()
    for prefix in _RESOURCE_PREFIXES:
        if entry.startswith(prefix):
            entry = entry[len(prefix) :]
            break
    path = Path(entry)
    return path if path.is_absolute() else importer.parent / entry.lstrip("/")


def collect_documents(
    paths: Sequence[str | Path], properties: Mapping[str, str] | None = None
) -> list[Document]:
    """Parse each path and every file it imports, depth first, each file once."""
    resolver = PlaceholderResolver([dict(properties or {})])
    seen: set[Path] = set()
    documents: list[Document] = []

    def visit(path: Path, imported_at: SourceLocation | None) -> None:
        key = path.resolve()
        if key in seen:
            return
        seen.add(key)
        try:
            doc = parse_file(path)
        except InputError as exc:
            if imported_at is None:
                raise
            raise InputError(f"imported config {path}: {exc.message}", imported_at) from None
        documents.append(doc)
        for el in top_level(doc.root):
            if not is_spring(el, "import"):
                continue
            where = SourceLocation(doc.file, line_of(el), element_path(el))
            resource = resolver.resolve(el.get("resource") or "", where)
            if not resource.strip():
                raise InputError("<spring:import> needs a resource attribute", where)
            visit(_resource_path(resource, path), where)

    for p in paths:
        visit(Path(p), None)
    return documents


def load_app_config(
    paths: Sequence[str | Path],
    properties: Mapping[str, str] | None = None,
    name: str | None = None,
) -> AppConfig:
    """Read, follow imports and parse: the one call most callers need."""
    if not paths:
        raise InputError("no configuration file given")
    return parse_app(collect_documents(paths, properties), properties, name)


__all__ = ["collect_documents", "load_app_config"]

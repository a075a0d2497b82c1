"""Catalog: schemaLocation URL or namespace -> bundled XSD, never the network.

Mule 3.9 resolves every ``xsi:schemaLocation`` through the ``spring.schemas`` files in its
jars; mule-emu does the same from ``schemas/catalog.toml``. A URL resolves to one of three
answers: a bundled namespace (core, vm, test, Spring beans, Spring context), a Mule
namespace mule-emu knows by URL form but does not bundle (http, jms, ...), or unknown.
Nothing here ever opens a URL.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable

SCHEMA_PACKAGE = "mule_emulator.schemas"
CATALOG_FILE = "catalog.toml"
SCHEMES = ("http", "https")


@dataclass(frozen=True)
class BundledNamespace:
    """A namespace whose schema mule-emu ships: its URI, XSD file name and usual prefix."""

    uri: str
    file: str
    prefix: str


@dataclass(frozen=True)
class Resolution:
    """What a schemaLocation URL stands for.

    ``namespace`` is the namespace the URL belongs to (None when unknown); ``bundled`` is
    the bundled namespace entry when mule-emu ships that schema.
    """

    url: str
    namespace: str | None
    bundled: BundledNamespace | None

    @property
    def known(self) -> bool:
        return self.namespace is not None


class Catalog:
    """The offline catalog read from ``catalog.toml`` (see that file for its format)."""

    def __init__(self, data: dict[str, object]) -> None:
        self._by_url: dict[str, BundledNamespace] = {}
        self._by_uri: dict[str, BundledNamespace] = {}
        self._uris: frozenset[str] = frozenset()
        entries = data.get("namespace", [])
        if not isinstance(entries, list):
            raise ValueError("catalog: [[namespace]] must be an array of tables")
        for entry in entries:
            ns = BundledNamespace(uri=entry["uri"], file=entry["file"], prefix=entry["prefix"])
            self._by_uri[ns.uri] = ns
            for template in entry["urls"]:
                for scheme in SCHEMES:
                    for version in entry.get("versions", []):
                        url = template.format(scheme=scheme, version=version)
                        self._by_url[url] = ns
        self._uris = frozenset(self._by_uri)
        unbundled = data.get("unbundled", {})
        pattern = unbundled.get("mule_url_pattern", "") if isinstance(unbundled, dict) else ""
        self._unbundled = re.compile(pattern) if pattern else None

    @property
    def bundled(self) -> tuple[BundledNamespace, ...]:
        """Every bundled namespace, in catalog order."""
        return tuple(self._by_uri.values())

    def bundled_uris(self) -> frozenset[str]:
        return self._uris

    def for_namespace(self, uri: str) -> BundledNamespace | None:
        """The bundled entry for a namespace URI, or None when mule-emu does not ship it."""
        return self._by_uri.get(uri)

    def resolve(self, url: str) -> Resolution:
        """Map a schemaLocation URL to a namespace; unknown URLs resolve to nothing."""
        url = url.strip()
        ns = self._by_url.get(url)
        if ns is not None:
            return Resolution(url=url, namespace=ns.uri, bundled=ns)
        if self._unbundled is not None:
            match = self._unbundled.match(url)
            uri = f"http://www.mulesoft.org/schema/mule/{match.group(1)}" if match else ""
            # bundled namespaces list every URL they answer to; others are known by form
            if match and uri not in self._by_uri:
                return Resolution(url=url, namespace=uri, bundled=None)
        return Resolution(url=url, namespace=None, bundled=None)

    def known_urls(self, uri: str) -> list[str]:
        """Every URL that resolves to the bundled namespace ``uri`` (for messages and docs)."""
        return sorted(u for u, ns in self._by_url.items() if ns.uri == uri)


def schema_files() -> Traversable:
    """The folder of bundled XSDs (the ``mule_emulator.schemas`` package)."""
    return files(SCHEMA_PACKAGE)


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The catalog shipped with mule-emu, read once per process."""
    text = schema_files().joinpath(CATALOG_FILE).read_text(encoding="utf-8")
    return Catalog(tomllib.loads(text))


__all__ = [
    "BundledNamespace",
    "Catalog",
    "Resolution",
    "default_catalog",
    "schema_files",
]

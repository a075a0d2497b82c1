"""Validation: a parsed config checked against the bundled XSDs, as located problems.

``validate_document(doc)`` returns every finding as a ``Problem`` (file, line, element
path, rule id, severity, plain reason). The combined schema (core, vm, test, Spring beans
and context, and mule-emu's private placeholders) is compiled once per process.

Elements from namespaces mule-emu does not bundle (http, jms, scripting, ...) are not
errors: in a copy of the tree each outermost such element is swapped for a placeholder
from ``urn:mule-emu:unchecked`` that stands in the substitution group its name and place
suggest (endpoint, processor, transformer, global element ...), so everything around it is
still checked, and it is reported once as an ``unchecked-namespace`` warning. Attributes
of the ``doc:`` namespace (Anypoint Studio's names and descriptions) are allowed on every
element. The caller's tree is never modified; the copy is made only when needed.
"""

from __future__ import annotations

import copy
import difflib
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lxml import etree

from mule_emulator.errors import ConfigError
from mule_emulator.loading.catalog import Catalog, default_catalog, schema_files
from mule_emulator.loading.document import Document
from mule_emulator.loading.problems import ERROR, NOTE, WARNING, Problem

CORE_NS = "http://www.mulesoft.org/schema/mule/core"
DOC_NS = "http://www.mulesoft.org/schema/mule/documentation"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XS_NS = "http://www.w3.org/2001/XMLSchema"
UNCHECKED_NS = "urn:mule-emu:unchecked"
PLACEHOLDER_FILE = "mule-emu-unchecked.xsd"
SPRING_NAMESPACES = frozenset(
    {"http://www.springframework.org/schema/beans", "http://www.springframework.org/schema/context"}
)
_XSI_LOCATION = f"{{{XSI_NS}}}schemaLocation"
# libxml2 lists at most this many names after "Expected is one of".
_LIBXML_EXPECTED_CAP = 10


# --------------------------------------------------------------------------- the schema


@dataclass(frozen=True)
class _CompiledSchema:
    schema: etree.XMLSchema


def _schema_dir() -> Path:
    folder = Path(str(schema_files()))
    if not (folder / "mule.xsd").is_file():
        raise ConfigError(f"bundled schemas are missing from {folder} (broken installation)")
    return folder


def _xsd_parser() -> etree.XMLParser:
    return etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)


# libxml2 compiles a schema with process-wide state, and an XMLSchema object keeps the
# error log of its last validation: both are guarded so parallel loads (``mule-emu test
# -j``) neither break the compile nor read another thread's errors.
_SCHEMA_LOCK = threading.RLock()


def _compiled() -> _CompiledSchema:
    with _SCHEMA_LOCK:
        return _compile_once()


@lru_cache(maxsize=1)
def _compile_once() -> _CompiledSchema:
    catalog = default_catalog()
    folder = _schema_dir()
    imports = [(ns.uri, ns.file) for ns in catalog.bundled]
    imports.append((UNCHECKED_NS, PLACEHOLDER_FILE))
    driver = "".join(
        f'<xs:import namespace="{uri}" schemaLocation="{name}"/>' for uri, name in imports
    )
    text = (
        f'<xs:schema xmlns:xs="{XS_NS}" targetNamespace="urn:mule-emu:combined">'
        f"{driver}</xs:schema>"
    )
    root = etree.fromstring(
        text.encode(), _xsd_parser(), base_url=(folder / "combined.xsd").as_uri()
    )
    try:
        schema = etree.XMLSchema(root)
    except etree.XMLSchemaParseError as exc:  # a broken bundled schema is our bug
        raise ConfigError(f"bundled schemas do not compile: {exc}") from None
    return _CompiledSchema(schema=schema)


@lru_cache(maxsize=1)
def _declared_names() -> dict[str, frozenset[str]]:
    """Every element name declared (globally or locally) per bundled namespace.

    Read only when an error needs it (to tell an unknown element from a misplaced one).
    """
    folder = _schema_dir()
    declared: dict[str, set[str]] = {}
    for ns in default_catalog().bundled:
        xsd = etree.parse(str(folder / ns.file), _xsd_parser()).getroot()
        names = declared.setdefault(xsd.get("targetNamespace", ""), set())
        for el in xsd.iter(f"{{{XS_NS}}}element"):
            if el.get("name"):
                names.add(el.get("name", ""))
    return {k: frozenset(v) for k, v in declared.items()}


def combined_schema() -> etree.XMLSchema:
    """The compiled schema of every bundled namespace (compiled once, then cached).

    Exposed so benchmarks can compare ``validate_document`` with bare lxml validation.
    """
    return _compiled().schema


# --------------------------------------------------------------------------- helpers


def _line(el: etree._Element | None) -> int:
    """The element's source line, 0 when unknown."""
    line = el.sourceline if el is not None else None
    return line if isinstance(line, int) else 0


def _qname(el: etree._Element) -> tuple[str, str]:
    q = etree.QName(el)
    return q.namespace or "", q.localname


def _display_name(el: etree._Element) -> str:
    _, local = _qname(el)
    return f"{el.prefix}:{local}" if el.prefix else local


def element_path(el: etree._Element) -> str:
    """A readable path such as ``/mule/flow[2]/vm:outbound-endpoint``.

    Prefixes are the document's own; an index appears only where siblings share the name.
    """
    steps: list[str] = []
    node: etree._Element | None = el
    while node is not None:
        parent = node.getparent()
        step = _display_name(node)
        if parent is not None:
            same = [c for c in parent if c.tag == node.tag]
            if len(same) > 1:
                step += f"[{same.index(node) + 1}]"
        steps.append(step)
        node = parent
    return "/" + "/".join(reversed(steps))


def _position(el: etree._Element) -> list[int]:
    """Child indices from the root down to ``el`` (comments count, as in both trees)."""
    out: list[int] = []
    node = el
    parent = node.getparent()
    while parent is not None:
        out.append(parent.index(node))
        node, parent = parent, parent.getparent()
    out.reverse()
    return out


def _follow(root: etree._Element, position: Iterable[int]) -> etree._Element:
    node = root
    for i in position:
        node = node[i]
    return node


# --------------------------------------------------------------------------- placeholders


def _is_first_processor(el: etree._Element) -> bool:
    for sib in el.itersiblings(preceding=True):
        if not isinstance(sib.tag, str):
            continue
        if _qname(sib) not in ((CORE_NS, "description"), (CORE_NS, "annotations")):
            return False
    return True


def _looks_like_source(local: str) -> bool:
    return "inbound" in local or "listener" in local or local.endswith("source") or local == "poll"


def placeholder_kind(el: etree._Element) -> str:
    """The placeholder (local name in ``urn:mule-emu:unchecked``) for an unbundled element.

    Guessed from where the element stands and how Mule names its elements: a global
    element at the top, an endpoint, a router, a transaction, a filter, a transformer,
    a component, a message source at the start of a flow, else a message processor.
    """
    parent = el.getparent()
    _, local = _qname(el)
    if parent is None:
        return "global"
    pns, plocal = _qname(parent)
    if parent.getparent() is None and (pns, plocal) == (CORE_NS, "mule"):
        return "global-element"
    if pns in SPRING_NAMESPACES:
        return "global"
    if plocal == "configuration":
        return "configuration-extension"
    if local.endswith("inbound-endpoint"):
        return "inbound-endpoint"
    if local.endswith("outbound-endpoint"):
        return "outbound-endpoint"
    if plocal in ("inbound", "async-reply"):
        if "endpoint" in local:
            return "inbound-endpoint"
        return "transformer" if local.endswith("transformer") else "inbound-router"
    if plocal == "outbound":
        return "outbound-router"
    if plocal in ("component", "pooled-component") and not local.endswith("interceptor"):
        return "object-factory"
    for suffix in (
        "queue-store",
        "object-store",
        "transaction",
        "exception-strategy",
        "security-filter",
        "filter",
        "transformer",
        "component",
        "scheduler",
    ):
        if local.endswith(suffix):
            return suffix
    if local == "endpoint":
        return "outbound-endpoint"
    if plocal == "flow" and _is_first_processor(el) and _looks_like_source(local):
        return "message-source"
    if plocal == "composite-source":
        return "message-source"
    if plocal in ("service", "simple-service"):
        return "component"
    return "processor"


# attributes a transaction placeholder keeps: every Mule transaction shares them
_TRANSACTION_ATTRIBUTES = ("action", "timeout")


def _replace_with_placeholder(el: etree._Element, kind: str) -> None:
    kept = {}
    if kind == "transaction":
        kept = {k: v for k, v in el.attrib.items() if k in _TRANSACTION_ATTRIBUTES}
    el.attrib.clear()
    for k, v in kept.items():
        el.set(k, v)
    el.tag = f"{{{UNCHECKED_NS}}}{kind}"
    el.text = None
    for child in el:
        child.tail = None


@dataclass(frozen=True)
class _Prepared:
    tree: etree._ElementTree
    copied: bool
    problems: list[Problem]


class _Selectors:
    """XPath selectors compiled once for the bundled namespace set."""

    def __init__(self, catalog: Catalog) -> None:
        uris = sorted(catalog.bundled_uris() | {""})
        inside = " or ".join(f"namespace-uri()='{u}'" for u in uris)
        # foreign elements whose parent is ours: each becomes a placeholder (deeper foreign
        # elements sit inside a placeholder's unchecked content)
        self.foreign = etree.XPath(f"//*[not({inside})][parent::*[{inside}]]")
        self.doc_attributes = etree.XPath(f"//@*[namespace-uri()='{DOC_NS}']")


def _attributes(result: object) -> list[etree._ElementUnicodeResult]:
    """The attribute results of an XPath that selects attributes."""
    if not isinstance(result, list):
        return []
    return [r for r in result if isinstance(r, etree._ElementUnicodeResult)]


@lru_cache(maxsize=1)
def _selectors() -> _Selectors:
    return _Selectors(default_catalog())


def _prepare(doc: Document) -> _Prepared:
    sel = _selectors()
    foreign = sel.foreign(doc.tree)
    doc_attrs = sel.doc_attributes(doc.tree)
    assert isinstance(foreign, list) and isinstance(doc_attrs, list)
    if not foreign and not doc_attrs:
        return _Prepared(doc.tree, False, [])
    problems: list[Problem] = []
    work = copy.deepcopy(doc.tree)
    root = work.getroot()
    for attr in _attributes(sel.doc_attributes(work)):
        owner = attr.getparent()
        if owner is not None and attr.attrname is not None:
            del owner.attrib[attr.attrname]
    for original in foreign:
        assert isinstance(original, etree._Element)
        ns, _local = _qname(original)
        problems.append(
            Problem(
                file=doc.file,
                line=_line(original),
                column=0,
                path=element_path(original),
                rule="unchecked-namespace",
                severity=WARNING,
                message=(
                    f"<{_display_name(original)}> is from namespace {ns}, which mule-emu does "
                    "not bundle: its content is not checked (the rest of the file is)"
                ),
            )
        )
        twin = _follow(root, _position(original))
        _replace_with_placeholder(twin, placeholder_kind(original))
    return _Prepared(work, True, problems)


# --------------------------------------------------------------------------- schemaLocation


@dataclass(frozen=True)
class _LocationFindings:
    """What a root's schemaLocation and namespace declarations say, before tree lookups."""

    findings: tuple[tuple[str, str, str], ...]  # (rule, severity, message)
    unlocated: tuple[str, ...]  # bundled namespaces declared on the root without a location


@lru_cache(maxsize=256)
def _location_findings(location: str, declared: tuple[str, ...]) -> _LocationFindings:
    # Cached: configs of one application repeat the same header over and over.
    catalog = default_catalog()
    findings: list[tuple[str, str, str]] = []
    tokens = location.split()
    if len(tokens) % 2:
        findings.append(
            (
                "schema-location-malformed",
                WARNING,
                "xsi:schemaLocation must hold pairs of namespace and URL; "
                f"'{tokens[-1]}' has no partner",
            )
        )
    located: set[str] = set()
    for ns, url in zip(tokens[::2], tokens[1::2], strict=False):
        located.add(ns)
        res = catalog.resolve(url)
        if not res.known:
            what = (
                "its elements are checked against the bundled schema"
                if catalog.for_namespace(ns)
                else "its elements are not checked"
            )
            findings.append(
                (
                    "schema-location-unknown",
                    NOTE,
                    f"schema location {url} (for {ns}) is not one Mule 3.9 resolves "
                    f"offline; mule-emu never downloads schemas, {what}",
                )
            )
        elif res.namespace != ns and res.bundled is not None:
            findings.append(
                (
                    "schema-location-mismatch",
                    ERROR,
                    f"schema location {url} is the schema of {res.namespace}, "
                    f"but it is given for namespace {ns}",
                )
            )
    unlocated = tuple(
        sorted(uri for uri in declared if catalog.for_namespace(uri) and uri not in located)
    )
    return _LocationFindings(tuple(findings), unlocated)


def _location_problems(doc: Document) -> list[Problem]:
    """Findings about ``xsi:schemaLocation`` on the root element (where Mule configs keep it).

    Cheap on purpose: it reads one attribute and the root's namespace declarations.
    """
    root = doc.root
    found = _location_findings(
        root.get(_XSI_LOCATION) or "", tuple(sorted(set(root.nsmap.values())))
    )
    if not found.findings and not found.unlocated:
        return []
    line, path = _line(root), "/" + _display_name(root)
    problems = [Problem(doc.file, line, 0, path, r, sev, msg) for r, sev, msg in found.findings]
    catalog = default_catalog()
    for uri in found.unlocated:
        if next(root.iter(f"{{{uri}}}*"), None) is None:
            continue  # declared but unused: Mule does not need its schema
        entry = catalog.for_namespace(uri)
        example = next(
            (u for u in catalog.known_urls(uri) if "current" in u and u.startswith("http:")), ""
        )
        problems.append(
            Problem(
                doc.file,
                line,
                0,
                path,
                "schema-location-missing",
                WARNING,
                f"namespace {uri} is used but xsi:schemaLocation gives no location for it; "
                f"Mule needs one to load the {entry.prefix if entry else ''} schema "
                f"(e.g. {example})",
            )
        )
    return problems


# --------------------------------------------------------------------------- error mapping

_ELEMENT_RE = re.compile(
    r"^Element '(?P<el>[^']+)'(?:, attribute '(?P<attr>[^']+)')?: (?P<rest>.*)$", re.S
)
_EXPECTED_RE = re.compile(r"Expected is (?:one of )?\( (?P<names>[^)]*) \)")
_ENUM_RE = re.compile(
    r"\[facet 'enumeration'\] The value '(?P<value>[^']*)' is not an element of "
    r"the set \{(?P<set>.*)\}"
)
_TYPE_RE = re.compile(
    r"^'(?P<value>.*)' is not a valid value of the (?:local )?(?:atomic|union|list) "
    r"type '(?P<type>[^']+)'"
)
_FACET_RE = re.compile(r"\[facet '(?P<facet>[^']+)'\] The value '(?P<value>[^']*)'")

_TYPE_WORDS = {
    "xs:positiveInteger": "a positive whole number (1 or more)",
    "xs:int": "a whole number",
    "xs:long": "a whole number",
    "xs:boolean": "true or false",
    "xs:NMTOKEN": "a single name without spaces",
    "xs:NMTOKENS": "names separated by spaces",
    "substitutableInt": "a whole number or a ${property} placeholder",
    "substitutableLong": "a whole number or a ${property} placeholder",
    "substitutableBoolean": "true, false or a ${property} placeholder",
    "substitutableName": "a name without spaces or a ${property} placeholder",
    "substitutableClass": "a Java class name or a ${property} placeholder",
    "substitutablePortNumber": "a port number (0-65536) or a ${property} placeholder",
    "nonBlankString": "a value that is not blank",
    "nonEmptyAttributeType": "a value that is not empty",
    "expression": "an expression that is not blank",
    "expressionBoolean": "an expression that is not blank",
}


def _type_words(type_name: str) -> str:
    local = type_name.rsplit("}", 1)[-1]
    return _TYPE_WORDS.get(type_name) or _TYPE_WORDS.get(local) or f"a value of type {local}"


def _clark_to_display(name: str, nsmap: dict[str | None, str]) -> str:
    if not name.startswith("{"):
        return name
    uri, local = name[1:].split("}", 1)
    for prefix, ns in nsmap.items():
        if ns == uri:
            return f"{prefix}:{local}" if prefix else local
    entry = default_catalog().for_namespace(uri)
    return f"{entry.prefix}:{local}" if entry else local


def _expected(rest: str, el: etree._Element | None) -> str:
    match = _EXPECTED_RE.search(rest)
    if not match:
        return ""
    raw = [n.strip() for n in match.group("names").split(",") if n.strip()]
    nsmap: dict[str | None, str] = dict(el.nsmap) if el is not None else {}
    names: list[str] = []
    for n in raw:
        local = n.rsplit("}", 1)[-1]
        if local.startswith("abstract-") or local.startswith("legacy-") or UNCHECKED_NS in n:
            continue
        shown = f"<{_clark_to_display(n, nsmap)}>"
        if shown not in names:
            names.append(shown)
    if not names:
        return ""
    more = ", ..." if len(raw) >= _LIBXML_EXPECTED_CAP else ""
    return "expected " + ("one of " if len(names) > 1 or more else "") + ", ".join(names) + more


@dataclass
class _Mapper:
    doc: Document
    work: etree._ElementTree
    copied: bool
    compiled: _CompiledSchema
    _index: dict[tuple[int, str], list[etree._Element]] | None = None

    def find(self, line: int, clark: str) -> etree._Element | None:
        """The element of the checked tree named in an error, mapped back to the user's tree."""
        if self._index is None:
            self._index = {}
            for el in self.work.iter():
                if isinstance(el.tag, str):
                    self._index.setdefault((_line(el), el.tag), []).append(el)
        hits = self._index.get((line, clark)) or []
        if not hits:
            return None
        found = hits[0]
        if self.copied:
            return _follow(self.doc.root, _position(found))
        return found

    def problem(self, entry: etree._LogEntry) -> tuple[tuple[object, ...], Problem] | None:
        text = entry.message or ""
        match = _ELEMENT_RE.match(text)
        line = entry.line or 0
        if not match:
            return (line, text), Problem(
                self.doc.file, line, entry.column or 0, "", "xsd-invalid", ERROR, text
            )
        clark, attr, rest = match.group("el"), match.group("attr"), match.group("rest")
        el = self.find(line, clark)
        path = element_path(el) if el is not None else ""
        shown = f"<{_display_name(el)}>" if el is not None else f"<{clark.rsplit('}', 1)[-1]}>"
        rule, message = self._classify(el, shown, attr, rest)
        key: tuple[object, ...] = (id(el) if el is not None else line, attr or "", rule)
        return key, Problem(self.doc.file, line, entry.column or 0, path, rule, ERROR, message)

    def _classify(
        self, el: etree._Element | None, shown: str, attr: str | None, rest: str
    ) -> tuple[str, str]:
        if attr is not None:
            if "is not allowed" in rest:
                allowed = self._allowed_attribute_hint(el, attr)
                return "xsd-unknown-attribute", f"{shown} has no attribute '{attr}'{allowed}"
            enum = _ENUM_RE.search(rest)
            if enum:
                choices = ", ".join(v.strip().strip("'") for v in enum.group("set").split(","))
                return (
                    "xsd-bad-attribute-value",
                    f"{shown} {attr}='{enum.group('value')}' is not allowed: expected one of "
                    f"{choices}",
                )
            typed = _TYPE_RE.search(rest)
            if typed:
                return (
                    "xsd-bad-attribute-value",
                    f"{shown} {attr}='{typed.group('value')}' is not valid: expected "
                    f"{_type_words(typed.group('type'))}",
                )
            facet = _FACET_RE.search(rest)
            value = facet.group("value") if facet else ""
            if facet and facet.group("facet") == "minLength":
                return "xsd-bad-attribute-value", f"{shown} {attr} must not be empty"
            return "xsd-bad-attribute-value", f"{shown} {attr}='{value}' is not valid: {rest}"
        missing_attr = re.search(r"The attribute '([^']+)' is required but missing", rest)
        if missing_attr:
            return (
                "xsd-missing-attribute",
                f"{shown} needs the attribute '{missing_attr.group(1)}'",
            )
        if "This element is not expected" in rest:
            return self._unexpected(el, shown, rest)
        if "Missing child element" in rest:
            expected = _expected(rest, el)
            if el is not None and _qname(el) in ((CORE_NS, "flow"), (CORE_NS, "sub-flow")):
                return (
                    "xsd-missing-element",
                    f"{shown} needs at least one message processor (a flow cannot be empty)",
                )
            return (
                "xsd-missing-element",
                f"{shown} is incomplete: {expected or 'a child is missing'}",
            )
        if "Character content" in rest:
            return "xsd-unexpected-text", f"{shown} cannot contain text, only elements"
        return "xsd-invalid", f"{shown}: {rest}"

    def _unexpected(self, el: etree._Element | None, shown: str, rest: str) -> tuple[str, str]:
        expected = _expected(rest, el)
        parent = el.getparent() if el is not None else None
        where = f" inside <{_display_name(parent)}>" if parent is not None else ""
        if el is not None:
            ns, local = _qname(el)
            names = _declared_names().get(ns)
            if names is not None and local not in names:
                close = difflib.get_close_matches(local, sorted(names), n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                return (
                    "xsd-unknown-element",
                    f"{shown} is not an element of namespace {ns or '(none)'}{hint}",
                )
            if not ns:
                return (
                    "xsd-unexpected-element",
                    f"{shown} has no namespace; Mule elements need one (is xmlns missing?)",
                )
        tail = f"; {expected}" if expected else ""
        return "xsd-unexpected-element", f"{shown} is not allowed here{where}{tail}"

    def _allowed_attribute_hint(self, el: etree._Element | None, attr: str) -> str:
        if (
            attr == "persistent"
            and el is not None
            and _qname(el)[1] in ("queue-profile", "queueProfile")
        ):
            return (
                " (removed in Mule 3.2: choose persistence with a store child such as "
                "<default-persistent-queue-store/>)"
            )
        return ""


# --------------------------------------------------------------------------- entry point

_IGNORED_DECLARATIONS = frozenset({XSI_NS, DOC_NS, "http://www.w3.org/XML/1998/namespace"})


def _uses_foreign(root: etree._Element, catalog: Catalog) -> bool:
    """True when an element of a namespace the root declares, and mule-emu neither bundles
    nor ignores, is used (configs often declare namespaces they never use)."""
    bundled = catalog.bundled_uris()
    return any(
        next(root.iter(f"{{{uri}}}*"), None) is not None
        for uri in set(root.nsmap.values())
        if uri not in bundled and uri not in _IGNORED_DECLARATIONS
    )


def validate_document(doc: Document) -> list[Problem]:
    """Check ``doc`` against the bundled schemas; every finding, in document order.

    Errors are ``ERROR`` problems with rule ids ``xsd-*``; elements of unbundled
    namespaces give one ``unchecked-namespace`` WARNING each; schemaLocation findings are
    NOTEs or WARNINGs. The document's own tree is left untouched.
    """
    catalog = default_catalog()
    compiled = _compiled()
    problems = _location_problems(doc)
    root = doc.root
    if _qname(root) != (CORE_NS, "mule"):
        ns, local = _qname(root)
        problems.append(
            Problem(
                doc.file,
                _line(root),
                0,
                element_path(root),
                "xsd-unexpected-element",
                ERROR,
                f"the root element must be <mule> in namespace {CORE_NS}; found <{local}>"
                + (f" in namespace {ns}" if ns else " without a namespace"),
            )
        )
        return problems
    schema = compiled.schema
    # Fast path: a document that uses no foreign namespace declared on its root is
    # validated as it stands; only when that fails (or foreign elements are used) is the
    # slower copy-and-placeholder preparation done.
    if not _uses_foreign(root, catalog):
        with _SCHEMA_LOCK:
            valid = schema.validate(doc.tree)
        if valid:
            problems.sort(key=lambda p: (p.line, p.severity != ERROR))
            return problems
    prepared = _prepare(doc)
    problems.extend(prepared.problems)
    with _SCHEMA_LOCK:
        valid = schema.validate(prepared.tree)
        entries = list(schema.error_log)  # type: ignore[call-overload]
    if not valid:
        mapper = _Mapper(doc, prepared.tree, prepared.copied, compiled)
        seen: set[tuple[object, ...]] = set()
        for entry in entries:
            mapped = mapper.problem(entry)
            if mapped is None:
                continue
            key, problem = mapped
            if key in seen:
                continue
            seen.add(key)
            problems.append(problem)
    problems.sort(key=lambda p: (p.line, p.severity != ERROR))
    return problems


__all__ = ["combined_schema", "element_path", "placeholder_kind", "validate_document"]

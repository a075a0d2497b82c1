"""The validate pipeline: config files to ``FileFindings``, one per file.

For each application (each file on its own, or all files together as one app):
hardened parse → XSD validation (``loading/validation.py``) → only when no file has
an XSD error: tree checks (``check_documents``), ``parse_app`` and ``check_app``.
A file that cannot be read or is not well-formed XML is *rejected*: it gets one
problem and no further checks, and the CLI exits 2 for it. Nothing here prints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from mule_emulator.errors import (
    ConfigError,
    SourceLocation,
    UnresolvedReferenceError,
    UnsupportedError,
)
from mule_emulator.loading.document import Document, DocumentRejected, parse_file
from mule_emulator.loading.problems import ERROR, WARNING, Problem
from mule_emulator.model.checks import RULES, check_app, check_documents

# The schema check's rule for elements of namespaces mule-emu does not bundle.
UNCHECKED = "unchecked-namespace"


@dataclass(frozen=True)
class FileFindings:
    """One checked file and what was found in it, in line order.

    ``rejected`` means the file could not be used at all (unreadable, too large, not
    well-formed, a DOCTYPE): the input was unusable, not merely invalid.
    """

    file: str
    problems: tuple[Problem, ...] = ()
    rejected: bool = False

    @property
    def valid(self) -> bool:
        """A file is valid when none of its problems has error severity."""
        return not any(p.severity == ERROR for p in self.problems)

    def count(self, severity: str) -> int:
        return sum(1 for p in self.problems if p.severity == severity)


def _rejected(exc: DocumentRejected) -> FileFindings:
    loc = exc.location
    problem = Problem(
        file=loc.file,
        line=loc.line,
        column=loc.column,
        path=loc.path,
        rule=exc.rule,
        severity=ERROR,
        message=exc.message,
    )
    return FileFindings(file=loc.file, problems=(problem,), rejected=True)


def _parse_failure(exc: ConfigError, fallback_file: str) -> list[Problem]:
    """A ``ConfigError`` from the parser as problems (it may carry several locations)."""
    if isinstance(exc, UnresolvedReferenceError):
        rule = "MULE100"
    elif isinstance(exc, UnsupportedError):
        rule = "MULE900"
    else:
        rule = "MULE000"
    located = [(exc.location, exc.message), *exc.problems]
    return [
        Problem(
            file=loc.file or fallback_file,
            line=loc.line,
            column=loc.column,
            path=loc.path,
            rule=rule,
            severity=RULES[rule].severity,
            message=text,
        )
        for loc, text in located
    ]


def _semantic(
    documents: Sequence[Document], properties: Mapping[str, str] | None, name: str
) -> list[Problem]:
    # Imported here: the parser is only needed once the schema check has passed.
    from mule_emulator.model.parser import parse_app

    problems = check_documents(documents)
    if any(p.severity == ERROR for p in problems):
        # Duplicate or unresolved names: the parser would stop at the first of them.
        return problems
    unresolved: list[tuple[str, SourceLocation]] = []
    try:
        config = parse_app(documents, properties=properties, name=name, unresolved=unresolved)
    except ConfigError as exc:
        return problems + _parse_failure(exc, documents[0].file)
    return problems + placeholder_warnings(unresolved, documents[0].file) + check_app(config)


def placeholder_warnings(
    unresolved: Sequence[tuple[str, SourceLocation]], fallback_file: str
) -> list[Problem]:
    """MULE801: a ``${key}`` with no value here. Mule refuses to start without it, but in
    CI the value often comes at deployment, so ``validate`` warns and checks the rest."""
    return [
        Problem(
            file=loc.file or fallback_file,
            line=loc.line,
            column=loc.column,
            path=loc.path,
            rule="MULE801",
            severity=RULES["MULE801"].severity,
            message=(
                f"placeholder ${{{key}}} has no value here; Mule refuses to start unless it "
                f"is given at deployment (validate with -D {key}=VALUE to check with one)"
            ),
        )
        for key, loc in dict.fromkeys(unresolved)
    ]


def _validate_app(
    files: Sequence[str], properties: Mapping[str, str] | None, name: str
) -> list[FileFindings]:
    # Imported on first use: it compiles the bundled XSDs, the slowest part of start-up.
    from mule_emulator.loading.validation import validate_document

    rejected: dict[str, FileFindings] = {}
    documents: list[Document] = []
    for file in files:
        try:
            documents.append(parse_file(file))
        except DocumentRejected as exc:
            rejected[file] = _rejected(exc)
    by_file: dict[str, list[Problem]] = {d.file: [] for d in documents}
    for doc in documents:
        by_file[doc.file] += validate_document(doc)
    schema_errors = any(p.severity == ERROR for ps in by_file.values() for p in ps)
    if documents and not schema_errors and not rejected:
        unchecked = {(p.file, p.line) for ps in by_file.values() for p in ps if p.rule == UNCHECKED}
        for problem in _semantic(documents, properties, name):
            if problem.rule == "MULE900" and (problem.file, problem.line) in unchecked:
                continue  # the schema check already said this namespace is not bundled
            target = problem.file if problem.file in by_file else documents[0].file
            by_file[target].append(problem)
    results = []
    for file in files:
        if file in rejected:
            results.append(rejected[file])
            continue
        unique = list(dict.fromkeys(by_file[file]))
        unique.sort(key=lambda p: (p.line, p.column))
        results.append(FileFindings(file=file, problems=tuple(unique)))
    return results


def strict(findings: Sequence[FileFindings]) -> list[FileFindings]:
    """The same findings with every warning raised to an error (``--strict``)."""
    return [
        replace(
            f,
            problems=tuple(
                replace(p, severity=ERROR) if p.severity == WARNING else p for p in f.problems
            ),
        )
        for f in findings
    ]


def validate_files(
    files: Sequence[str],
    properties: Mapping[str, str] | None = None,
    one_app: bool = False,
) -> list[FileFindings]:
    """Validate ``files``: each as its own application, or all as one (``one_app``),
    so that references between the files resolve."""
    if one_app:
        return _validate_app(files, properties, Path(files[0]).stem if files else "app")
    results: list[FileFindings] = []
    for file in files:
        results += _validate_app([file], properties, Path(file).stem)
    return results


__all__ = ["FileFindings", "strict", "validate_files"]

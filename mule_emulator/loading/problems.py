"""Problem: one finding about a configuration file, from the schema or a semantic rule.

Both the XSD validation (``loading/validation.py``) and the start-up checks
(``model/checks.py``) report ``Problem`` values; the CLI renders them in every format.
"""

from __future__ import annotations

from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"
NOTE = "note"
SEVERITIES = (ERROR, WARNING, NOTE)


@dataclass(frozen=True)
class Problem:
    """A finding: where (file, line, column, element path), which rule, how bad, why.

    ``rule`` is a stable id (``xsd-...`` for schema findings, ``MULE...``-style ids for
    semantic checks) that users can search for in the rules page. ``message`` says
    what was expected in plain words.
    """

    file: str
    line: int
    column: int
    path: str
    rule: str
    severity: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
        }


__all__ = ["ERROR", "NOTE", "SEVERITIES", "WARNING", "Problem"]

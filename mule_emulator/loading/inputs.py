"""Input discovery: command-line arguments (files, folders, globs) to config files.

A folder is searched recursively for ``*.xml`` (hidden folders such as ``.git`` are
skipped); a glob (``*``, ``?``, ``[``; ``**`` crosses folders) is expanded; a plain
path is taken as it is, even when it does not exist, so that the loader reports it as
unreadable with its name. The result keeps argument order and has no duplicates.
"""

from __future__ import annotations

import glob
from collections.abc import Sequence
from pathlib import Path

from mule_emulator.errors import InputError, SourceLocation

_GLOB_CHARS = frozenset("*?[")


def _is_hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts[:-1])


def _folder(root: Path) -> list[str]:
    found = [p for p in root.rglob("*.xml") if p.is_file() and not _is_hidden(p, root)]
    return [str(p) for p in sorted(found)]


def expand_inputs(args: Sequence[str]) -> list[str]:
    """The config files named by ``args``; ``InputError`` when a folder or glob finds none."""
    files: list[str] = []
    for arg in args:
        path = Path(arg)
        if path.is_dir():
            found = _folder(path)
            if not found:
                raise InputError(f"no *.xml files found under folder '{arg}'", SourceLocation(arg))
        elif not path.exists() and _GLOB_CHARS & set(arg):
            found = sorted(m for m in glob.glob(arg, recursive=True) if Path(m).is_file())
            if not found:
                raise InputError(f"no files match the pattern '{arg}'", SourceLocation(arg))
        else:
            found = [arg]
        files += [f for f in found if f not in files]
    return files


__all__ = ["expand_inputs"]

"""docs/tutorial.md cannot drift: every ```console block is run and its output compared.

A block is a ``$ mule-emu ...`` command line followed by the output the tutorial shows
(standard output only). The commands run in a fresh folder where ``sample-configs``
points at the repository's samples, in order (a later block may read what an earlier
one left in a data folder). Normalised on both sides, as the tutorial says: the time
column of trace lines and the two-digit numbers of pool threads (``.01``); in JSON
lines also the times, message ids and transaction ids. Threads run at the same time,
so the lines of a ``--trace`` command are compared in sorted order: the same steps,
queue depths and messages, whatever the interleaving of threads.

After a deliberate change, rewrite the outputs in the tutorial with::

    MULE_EMU_REGENERATE=1 pytest tests/docs/test_tutorial.py

and read the diff before committing.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL = ROOT / "docs" / "tutorial.md"
REGENERATE = os.environ.get("MULE_EMU_REGENERATE") == "1"
BLOCK = re.compile(r"```console\n\$ (?P<command>[^\n]+)\n(?P<output>.*?)```", re.DOTALL)
TIME = re.compile(r"^ *\d+\.\d ms  ", re.MULTILINE)
THREAD_NUMBER = re.compile(r"(?<=\S)\.\d\d(?=[ \"])")
JSON_VARYING = re.compile(r'"(t_ms|message|tx)": ("[^"]*"|[\d.]+)')


def normalise(text: str) -> str:
    text = TIME.sub("<time> ms  ", text)
    text = JSON_VARYING.sub(r'"\1": <\1>', text)
    return THREAD_NUMBER.sub(".NN", text)


def comparable(command: str, text: str) -> str:
    """What the test compares: normalised, and sorted by line for a trace."""
    text = normalise(text)
    if "--trace" in command:
        return "\n".join(sorted(text.splitlines()))
    return text


def run(command: str, cwd: Path) -> str:
    args = shlex.split(command)
    assert args[0] == "mule-emu", command
    done = subprocess.run(
        [sys.executable, "-m", "mule_emulator", *args[1:]],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


def test_tutorial_commands_print_what_the_tutorial_shows(tmp_path: Path) -> None:
    (tmp_path / "sample-configs").symlink_to(ROOT / "sample-configs")
    text = TUTORIAL.read_text(encoding="utf-8")
    blocks = list(BLOCK.finditer(text))
    assert len(blocks) >= 8, "the tutorial lost its command blocks"
    pieces: list[str] = []
    last = 0
    failures: list[str] = []
    for block in blocks:
        command, shown = block.group("command"), block.group("output")
        actual = run(command, tmp_path)
        pieces.append(text[last : block.start("output")])
        pieces.append(actual if actual.endswith("\n") or not actual else actual + "\n")
        last = block.end("output")
        if comparable(command, actual) != comparable(command, shown):
            failures.append(f"$ {command}\n--- shown\n{shown}--- actual\n{actual}")
    pieces.append(text[last:])
    if REGENERATE:
        TUTORIAL.write_text("".join(pieces), encoding="utf-8")
        return
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("   1012.4 ms  boundedVm.receiver.03   x", "<time> ms  boundedVm.receiver.NN   x"),
        ("flow.stage1.12 y", "flow.stage1.NN y"),
        ("capacity 64 ms", "capacity 64 ms"),
        (
            '{"t_ms": 994.25, "thread": "vm.receiver.03", "tx": 12, "message": "ab-1"}',
            '{"t_ms": <t_ms>, "thread": "vm.receiver.NN", "tx": <tx>, "message": <message>}',
        ),
    ],
)
def test_normalise(raw: str, normal: str) -> None:
    assert normalise(raw) == normal

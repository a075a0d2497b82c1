"""Package test: the wheel carries the schemas, and its `mule-emu validate` works in a
fresh virtual environment outside the checkout, with no network."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

VALID = """<?xml version="1.0" encoding="UTF-8"?>
<mule xmlns="http://www.mulesoft.org/schema/mule/core"
      xmlns:vm="http://www.mulesoft.org/schema/mule/vm"
      xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
      xsi:schemaLocation="
        http://www.mulesoft.org/schema/mule/core http://www.mulesoft.org/schema/mule/core/current/mule.xsd
        http://www.mulesoft.org/schema/mule/vm http://www.mulesoft.org/schema/mule/vm/current/mule-vm.xsd">
    <flow name="main">
        <vm:inbound-endpoint path="in" exchange-pattern="request-response"/>
        <logger message="#[payload]"/>
    </flow>
</mule>
"""
# An attribute the core schema does not allow on <logger>: only the XSD can tell.
SCHEMA_INVALID = VALID.replace('<logger message="#[payload]"/>', '<logger colour="red"/>')


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=240, env=env, check=False
    )
    assert done.returncode == 0, f"{command}: {done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.slow
def test_wheel_installs_and_validates_outside_the_checkout(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        cwd=tmp_path,
    )
    (wheel,) = wheels.glob("mule_emu-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "mule_emulator/schemas/mule.xsd" in names
    assert "mule_emulator/schemas/mule-vm.xsd" in names

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / "python"
    site = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            cwd=tmp_path,
        ).strip()
    )
    # Dependencies (lxml, xmlschema, click) come from this test's environment: a plain
    # path entry, so its .pth files (the editable install of the checkout) stay inactive.
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "-q",
            str(wheel),
        ],
        cwd=tmp_path,
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GITHUB_ACTIONS")}
    where = _run(
        [str(python), "-c", "import mule_emulator; print(mule_emulator.__file__)"],
        cwd=tmp_path,
        env=env,
    )
    assert Path(where.strip()).is_relative_to(venv)

    good = tmp_path / "good.xml"
    good.write_text(VALID)
    bad = tmp_path / "bad.xml"
    bad.write_text(SCHEMA_INVALID)
    command = [str(bin_dir / "mule-emu"), "validate", "--format", "json"]
    ok = subprocess.run(
        [*command, str(good)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    failed = subprocess.run(
        [*command, str(bad)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert failed.returncode == 1, failed.stdout + failed.stderr
    (entry,) = json.loads(failed.stdout)["files"]
    assert entry["problems"][0]["line"] == 10
    assert entry["problems"][0]["rule"].startswith("xsd")

"""The package imports and the command line answers."""

from __future__ import annotations

from click.testing import CliRunner

import mule_emulator
from mule_emulator.cli import cli


def test_version_option_prints_package_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert mule_emulator.__version__ in result.output

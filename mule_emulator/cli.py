"""The ``mule-emu`` command line: the only place that prints results and sets exit codes.

Exit codes (documented in the README):

- 0: success (valid configs, tests passed, run finished normally)
- 1: the check failed (a config has error-severity problems, a test case failed, a
  run stopped on a runtime fault)
- 2: usage error or unusable input (bad option, unreadable file, not XML, bad suite)
- 3: the application could not start (configuration or unsupported content)
- 130: interrupted (Ctrl-C)

Each sub-command lives in its own section below; the work itself is done by the
packages under ``mule_emulator``, which raise ``MuleEmulatorError`` subclasses.
"""

from __future__ import annotations

import sys

import click

from mule_emulator import __version__

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_START = 3
EXIT_INTERRUPTED = 130


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mule-emu")
def cli() -> None:
    """Validate, run and test Mule 3 XML configurations without a JVM."""


# ==================================================================== validate
# (section owned by the validate command)

# ==================================================================== run
# (section owned by the run command)

# ==================================================================== test
# (section owned by the test command)

# ==================================================================== queues
# (section owned by the queues command)

# ==================================================================== explain / graph
# (section owned by the teaching views)


def main() -> None:
    """Console-script entry point."""
    try:
        cli.main(prog_name="mule-emu", standalone_mode=True)
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        sys.exit(EXIT_INTERRUPTED)

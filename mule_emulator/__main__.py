"""``python -m mule_emulator``: the same command line as ``mule-emu``."""

from __future__ import annotations

from mule_emulator.cli import main

if __name__ == "__main__":
    main()

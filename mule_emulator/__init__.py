"""mule-emu: validate, run and test Mule 3 XML configurations without a JVM.

The public API is small: load an application, drive it with a client, catch the
package's errors. Everything else is reached through the sub-packages.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = [
    "__version__",
]

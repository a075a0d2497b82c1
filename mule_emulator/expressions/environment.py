"""What MEL's ``app``, ``server``, ``mule`` and ``flow`` names show.

Mule builds these from the MuleContext (``AppContext``, ``ServerContext``,
``MuleInstanceContext``) and the flow construct. Here they are small objects with the
Java property names MEL uses; ``server`` reads the live machine on each access, as Mule
does (``server.dateTime`` is "now" every time).
"""

from __future__ import annotations

import getpass
import os
import platform
import socket
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mule_emulator.expressions.datetime_value import DateTime

MULE_VERSION = "3.9.0"


@dataclass(frozen=True)
class AppInfo:
    """``app``: the application's name, default encoding, work directory, registry."""

    name: str = "mule-app"
    encoding: str = "UTF-8"
    work_dir: str = ""
    standalone: bool = True
    registry: Mapping[str, Any] = field(default_factory=dict)

    def mel_property(self, name: str) -> Any:
        table = {
            "name": self.name,
            "encoding": self.encoding,
            "workDir": self.work_dir,
            "standalone": self.standalone,
            "registry": self.registry,
        }
        if name in table:
            return table[name]
        raise AttributeError(name)


@dataclass(frozen=True)
class MuleInfo:
    """``mule``: version, home, cluster id and node id of the (emulated) Mule instance."""

    version: str = MULE_VERSION
    home: str = ""
    cluster_id: str = ""
    node_id: int = 0

    def mel_property(self, name: str) -> Any:
        table = {
            "version": self.version,
            "home": self.home,
            "clusterId": self.cluster_id,
            "nodeId": self.node_id,
        }
        if name in table:
            return table[name]
        raise AttributeError(name)


@dataclass(frozen=True)
class FlowInfo:
    """``flow``: the name of the flow construct that owns the event."""

    name: str | None = None

    def mel_property(self, name: str) -> Any:
        if name == "name":
            return self.name
        raise AttributeError(name)


def _host() -> str:
    try:
        return socket.getfqdn()
    except OSError:  # pragma: no cover - depends on the machine
        return "localhost"


def _ip() -> str:
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:  # pragma: no cover - depends on the machine
        return "127.0.0.1"


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - depends on the machine
        return ""


class ServerInfo:
    """``server``: the machine the emulator runs on, read live (Mule's ``ServerContext``)."""

    def mel_property(self, name: str) -> Any:
        getter = _SERVER_PROPERTIES.get(name)
        if getter is None:
            raise AttributeError(name)
        return getter()

    def mel_call(self, name: str, args: list[Any]) -> Any:
        if name == "nanoTime" and not args:
            return time.perf_counter_ns()
        if name.startswith("get") and len(name) > 3 and not args:
            return self.mel_property(name[3].lower() + name[4:])
        raise AttributeError(name)

    def __str__(self) -> str:
        return "server"


def _system_properties() -> dict[str, str]:
    return {
        "java.version": "1.8.0",
        "os.name": platform.system(),
        "os.arch": platform.machine(),
        "os.version": platform.release(),
        "user.name": _user(),
        "user.home": os.path.expanduser("~"),
        "user.dir": os.getcwd(),
        "java.io.tmpdir": tempfile.gettempdir(),
        "file.separator": os.sep,
        "line.separator": os.linesep,
        "mule.home": "",
    }


_SERVER_PROPERTIES: dict[str, Any] = {
    "host": _host,
    "ip": _ip,
    "dateTime": DateTime,
    "timeZone": lambda: time.strftime("%Z"),
    "locale": lambda: "en_US",
    "tmpDir": tempfile.gettempdir,
    "fileSeparator": lambda: os.sep,
    "env": lambda: dict(os.environ),
    "systemProperties": _system_properties,
    "osName": platform.system,
    "osArch": platform.machine,
    "osVersion": platform.release,
    "javaVersion": lambda: "1.8.0",
    "javaVendor": lambda: f"Python {sys.version.split()[0]} (mule-emu)",
    "userName": _user,
    "userHome": lambda: os.path.expanduser("~"),
    "userDir": os.getcwd,
}

SERVER = ServerInfo()
DEFAULT_APP = AppInfo()
DEFAULT_MULE = MuleInfo()

"""DataFolder: the private, exclusive folder that holds an application's persistent queues.

Mule keeps persistent VM queues under ``<working dir>/<app>/queuestore`` (P2). Ours is
the same folder, with three safety rules a shared machine needs:

- **Private.** Folders are created 0700 and files 0600, whatever the umask: queued
  messages are application data.
- **Exclusive.** A lock file held with ``fcntl.flock`` for as long as the folder is open;
  a second process that opens the same folder is refused with the holder's pid instead
  of interleaving writes with the first. (Within one process, stores of the same folder
  share one ``DataFolder``; see ``persistent.py``.)
- **Names stay names.** Queue names come from configurations and addresses
  (``vm://../../x``). They are stored as data inside the database and never become
  paths; where a file must be named after one (a record set aside), ``safe_file_name``
  escapes it to a single harmless path component.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
from pathlib import Path

from mule_emulator.errors import DataFolderInUseError, StoreBrokenError

QUEUESTORE = "queuestore"
LOCK_FILE = "lock"
DATABASE_FILE = "queues.db"
CORRUPT_FOLDER = "corrupt"

FOLDER_MODE = 0o700
FILE_MODE = 0o600

_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
_MAX_NAME = 120


def safe_file_name(name: str) -> str:
    """One path component for ``name``: letters, digits, ``-_.`` kept, every other
    character as ``%XX`` of its UTF-8 bytes, a leading dot escaped (no ``.``/``..``,
    no hidden files); long names are cut and completed with a hash so they stay unique."""
    out: list[str] = []
    for i, ch in enumerate(name):
        if ch in _SAFE and not (i == 0 and ch == "."):
            out.append(ch)
        else:
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8", errors="surrogatepass"))
    text = "".join(out) or "%00"
    if len(text) > _MAX_NAME:
        digest = hashlib.sha256(name.encode("utf-8", errors="surrogatepass")).hexdigest()[:16]
        text = f"{text[: _MAX_NAME - 17]}~{digest}"
    return text


def default_data_dir(config_file: Path, app_name: str) -> Path:
    """Mule's layout: ``.mule/<app name>/`` beside the (first) configuration file."""
    return config_file.resolve().parent / ".mule" / safe_file_name(app_name)


def queuestore_of(data_dir: Path) -> Path:
    """The folder of the persistent queues inside an application's data folder."""
    return data_dir / QUEUESTORE


def make_private_dirs(path: Path) -> None:
    """Create ``path`` and missing parents; the folders we create are 0700."""
    missing: list[Path] = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            continue
        except OSError as exc:
            raise StoreBrokenError(
                f"Cannot create the data folder {folder}: {exc.strerror}"
            ) from exc
        os.chmod(folder, FOLDER_MODE)  # mkdir's mode is filtered by the umask
    if not path.is_dir():
        raise StoreBrokenError(f"The data folder {path} is not a folder")


def create_private_file(path: Path, data: bytes = b"", *, exclusive: bool = False) -> None:
    """Write ``data`` to a new 0600 file (never through a symlink), synced."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def touch_private_file(path: Path) -> None:
    """Make sure ``path`` exists as a regular 0600 file (an existing one keeps its data)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)


class DataFolder:
    """An opened queuestore folder: created private, locked against other processes."""

    def __init__(self, path: Path) -> None:
        self.path = Path(os.path.abspath(path))
        self._lock_fd: int | None = None
        make_private_dirs(self.path)
        self._acquire()

    @property
    def database(self) -> Path:
        return self.path / DATABASE_FILE

    @property
    def corrupt(self) -> Path:
        """Where records and files that failed their checks are set aside."""
        return self.path / CORRUPT_FOLDER

    def _acquire(self) -> None:
        lock_path = self.path / LOCK_FILE
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, FILE_MODE)
        except OSError as exc:
            raise StoreBrokenError(
                f"Cannot open the lock file {lock_path}: {exc.strerror}"
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = _read_pid(fd)
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                who = f"process {holder}" if holder else "another process"
                raise DataFolderInUseError(
                    f"The data folder {self.path} is in use by {who}; two applications "
                    "cannot share persistent queues (stop the other one or use another "
                    "--data-dir)"
                ) from exc
            raise StoreBrokenError(f"Cannot lock {lock_path}: {exc.strerror}") from exc
        with contextlib.suppress(OSError):
            os.fchmod(fd, FILE_MODE)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._lock_fd = fd

    def set_aside_path(self, stem: str, suffix: str) -> Path:
        """A fresh path under ``corrupt/`` for something that failed its checks."""
        make_private_dirs(self.corrupt)
        base = safe_file_name(stem)
        candidate = self.corrupt / f"{base}{suffix}"
        n = 1
        while candidate.exists():
            candidate = self.corrupt / f"{base}.{n}{suffix}"
            n += 1
        return candidate

    def release(self) -> None:
        """Give the folder up (the lock file stays; only the lock goes). Idempotent."""
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)  # closing the descriptor drops the flock


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", errors="replace").strip()
        return int(text) if text.isdigit() else None
    except OSError:
        return None


def holder_pid(folder: Path) -> int | None:
    """The pid of the process holding ``folder``'s lock, or None when it is free."""
    lock_path = folder / LOCK_FILE
    try:
        fd = os.open(lock_path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return _read_pid(fd) or -1
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


__all__ = [
    "CORRUPT_FOLDER",
    "DATABASE_FILE",
    "FILE_MODE",
    "FOLDER_MODE",
    "LOCK_FILE",
    "QUEUESTORE",
    "DataFolder",
    "create_private_file",
    "default_data_dir",
    "holder_pid",
    "make_private_dirs",
    "queuestore_of",
    "safe_file_name",
    "touch_private_file",
]

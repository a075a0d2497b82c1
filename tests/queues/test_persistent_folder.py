"""The data folder of persistent queues: private, exclusive, and names never paths."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from mule_emulator.errors import DataFolderInUseError, StoreBrokenError
from mule_emulator.queues import persistent
from mule_emulator.queues.data_dir import (
    DataFolder,
    default_data_dir,
    holder_pid,
    safe_file_name,
)
from mule_emulator.queues.persistent import PersistentQueueStore

REPO = Path(__file__).resolve().parents[2]


def all_paths(root: Path) -> list[Path]:
    return [root, *root.rglob("*")]


def test_folders_are_0700_and_files_0600_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        folder = tmp_path / "app" / "queuestore"
        q = PersistentQueueStore("q", 0, folder)
        q.put("x")
        q.reserve(timeout=0)  # leaves a set-aside-free, open WAL behind
        aside = q._opened.folder.set_aside_path("probe", ".rec")
        from mule_emulator.queues.data_dir import create_private_file

        create_private_file(aside, b"x")
        found = all_paths(tmp_path / "app")
        assert {p.name for p in found} >= {"queues.db", "queues.db-wal", "lock", "corrupt"}
        for path in found:
            mode = path.stat().st_mode & 0o777
            assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
        q.close()
    finally:
        os.umask(old)


@pytest.mark.parametrize(
    "name",
    [
        "../../x",
        "/etc/passwd",
        "a/b",
        "..",
        ".",
        ".hidden",
        "x\x00y",
        "vm://q?connector=c",
        "é/" * 200,
    ],
)
def test_queue_names_never_leave_the_folder(tmp_path: Path, name: str) -> None:
    folder = tmp_path / "data" / "queuestore"
    q = PersistentQueueStore(name, 0, folder)
    q.put("payload")
    target = q._opened.folder.set_aside_path(f"{name}.1", ".rec")
    assert target.parent == folder / "corrupt"
    assert "/" not in target.name and not target.name.startswith(".")
    assert len(target.name) < 200
    q.close()
    outside = [p for p in all_paths(tmp_path) if not p.is_relative_to(tmp_path / "data")]
    assert outside == [tmp_path]
    again = PersistentQueueStore(name, 0, folder)
    assert again.take(0) == "payload"
    again.close()


def test_safe_file_name_is_injective_on_tricky_names() -> None:
    names = ["a/b", "a%2Fb", "a_b", "a.b", ".a", "%2Ea", "", "é", "%C3%A9", "x" * 500, "x" * 501]
    escaped = [safe_file_name(n) for n in names]
    assert len(set(escaped)) == len(names)
    assert all("/" not in e and e not in (".", "..") and not e.startswith(".") for e in escaped)


def test_default_data_dir_is_beside_the_config(tmp_path: Path) -> None:
    config = tmp_path / "apps" / "orders.xml"
    assert default_data_dir(config, "orders") == tmp_path / "apps" / ".mule" / "orders"
    assert default_data_dir(config, "../evil") == tmp_path / "apps" / ".mule" / "%2E.%2Fevil"


_HOLDER = textwrap.dedent(
    """
    import sys
    from mule_emulator.queues.persistent import PersistentQueueStore
    q = PersistentQueueStore("held", 0, sys.argv[1])
    print("ready", flush=True)
    sys.stdin.read()
    q.close()
    """
)


def test_a_second_process_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    folder = tmp_path / "queuestore"
    child = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=REPO,
        text=True,
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        assert holder_pid(folder) == child.pid
        with pytest.raises(DataFolderInUseError, match=rf"in use by process {child.pid}"):
            PersistentQueueStore("other", 0, folder)
        assert persistent.open_folders() == []
    finally:
        child.communicate("", timeout=30)
    assert child.returncode == 0
    assert holder_pid(folder) is None
    q = PersistentQueueStore("other", 0, folder)  # free again once the holder is gone
    q.close()


def test_the_lock_follows_the_last_store_of_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "queuestore"
    a = PersistentQueueStore("a", 0, folder)
    b = PersistentQueueStore("b", 0, folder)
    assert holder_pid(folder) == os.getpid()
    a.close()
    assert holder_pid(folder) == os.getpid()
    b.close()
    assert holder_pid(folder) is None
    DataFolder(folder).release()


def test_a_folder_that_cannot_be_created_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreBrokenError, match="Cannot create the data folder"):
        PersistentQueueStore("q", 0, blocker / "queuestore")
    assert persistent.open_folders() == []


_READ_ONLY = textwrap.dedent(
    """
    import os, sys
    from mule_emulator.errors import StoreBrokenError
    from mule_emulator.queues.persistent import PersistentQueueStore
    if os.geteuid() == 0:
        os.setgid(65534)
        os.setuid(65534)
    try:
        PersistentQueueStore("q", 0, sys.argv[1])
    except StoreBrokenError as exc:
        print("refused:", exc)
    """
)


def test_a_read_only_folder_is_refused_clearly() -> None:
    # Not under tmp_path: its parents are private to us, and the child may run as nobody.
    with tempfile.TemporaryDirectory() as top:
        _refused_in_read_only(Path(top))


def _refused_in_read_only(top: Path) -> None:
    os.chmod(top, 0o755)
    folder = top / "ro"
    folder.mkdir()
    os.chmod(folder, 0o555)
    try:
        # A child process, so that root (which ignores permissions) can drop to nobody
        # after the interpreter has started.
        result = subprocess.run(
            [sys.executable, "-c", _READ_ONLY, str(folder / "queuestore")],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        os.chmod(folder, 0o755)
    assert "refused: Cannot create the data folder" in result.stdout, result.stderr
    assert "Permission denied" in result.stdout

"""Hostile and broken inputs through the command line: each gets a clear message, exit
status 2, no traceback, no network access, and nothing but the named file is read."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from mule_emulator.cli import cli

SECRET = "top-secret-2f9a61"


def run(*args: str) -> Result:
    result = CliRunner().invoke(cli, ["validate", *args], env={"GITHUB_ACTIONS": ""})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.setblocking(False)
    yield server
    server.close()


def rejected(path: Path, rule: str) -> dict[str, object]:
    """Validate ``path`` as JSON and text; both exit 2 naming ``rule``."""
    text = run(str(path))
    assert text.exit_code == 2
    assert f"[{rule}]" in text.output
    assert SECRET not in text.output
    result = run("--format", "json", str(path))
    assert result.exit_code == 2
    assert SECRET not in result.output
    (entry,) = json.loads(result.output)["files"]
    assert entry["valid"] is False
    (problem,) = entry["problems"]
    assert problem["rule"] == rule
    assert problem["severity"] == "error"
    return dict(problem)


def test_xxe_file_entity_does_not_leak(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    config = tmp_path / "xxe.xml"
    config.write_text(
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE mule [<!ENTITY s SYSTEM "{secret.as_uri()}">]>\n'
        '<mule xmlns="http://www.mulesoft.org/schema/mule/core"><flow name="&s;"/></mule>\n'
    )
    problem = rejected(config, "xml-doctype")
    assert problem["line"] == 2


def test_xxe_http_entity_opens_no_connection(tmp_path: Path, listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    config = tmp_path / "xxe-http.xml"
    config.write_text(
        f'<!DOCTYPE m [<!ENTITY % p SYSTEM "http://127.0.0.1:{port}/evil.dtd"> %p;]><mule/>'
    )
    rejected(config, "xml-doctype")
    with pytest.raises(BlockingIOError):
        listener.accept()


def test_billion_laughs(tmp_path: Path) -> None:
    entities = '<!ENTITY a "lol">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
    )
    config = tmp_path / "laughs.xml"
    config.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE lolz [{entities}]>\n<mule>&j;</mule>')
    rejected(config, "xml-doctype")


def test_external_dtd(tmp_path: Path) -> None:
    config = tmp_path / "dtd.xml"
    config.write_text('<!DOCTYPE mule SYSTEM "mule.dtd">\n<mule/>')
    rejected(config, "xml-doctype")


def test_empty_file(tmp_path: Path) -> None:
    config = tmp_path / "empty.xml"
    config.write_text("")
    problem = rejected(config, "input-empty")
    assert "empty" in str(problem["message"])


def test_binary_data(tmp_path: Path) -> None:
    config = tmp_path / "image.xml"
    config.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    problem = rejected(config, "xml-not-well-formed")
    assert str(problem["message"]).startswith("not well-formed XML")


def test_50_mb_file_is_refused_unread(tmp_path: Path) -> None:
    config = tmp_path / "huge.xml"
    with config.open("wb") as handle:  # sparse file: fast to make, 50 MB in size
        handle.write(b"<mule>")
        handle.truncate(50 * 1024 * 1024)
    problem = rejected(config, "input-too-large")
    assert "52428800 bytes" in str(problem["message"])


def test_declared_encoding_mismatch(tmp_path: Path) -> None:
    config = tmp_path / "latin1.xml"
    config.write_bytes(
        '<?xml version="1.0" encoding="UTF-8"?>\n<mule>\n<flow name="caf\u00e9"/></mule>'.encode(
            "latin-1"
        )
    )
    problem = rejected(config, "xml-encoding")
    assert problem["line"] == 3


def test_not_well_formed_has_line_and_column(tmp_path: Path) -> None:
    config = tmp_path / "broken.xml"
    config.write_text("<mule>\n  <flow name='a'>\n  </mule>\n")
    problem = rejected(config, "xml-not-well-formed")
    assert problem["line"] == 3
    assert int(str(problem["column"])) > 0


def test_missing_file(tmp_path: Path) -> None:
    problem = rejected(tmp_path / "nope.xml", "input-unreadable")
    assert "No such file" in str(problem["message"])


def test_a_directory_named_like_a_config_is_searched(tmp_path: Path) -> None:
    folder = tmp_path / "looks-like.xml"
    folder.mkdir()
    result = run(str(folder))
    assert result.exit_code == 2
    assert "no *.xml files found" in result.output

"""Hardened loading: hostile inputs are refused with a rule id and a location, and
nothing outside the given bytes is ever read or fetched."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mule_emulator.errors import InputError
from mule_emulator.loading.document import (
    RULE_DOCTYPE,
    RULE_EMPTY,
    RULE_ENCODING,
    RULE_NOT_WELL_FORMED,
    RULE_TOO_LARGE,
    RULE_UNREADABLE,
    DocumentRejected,
    parse_bytes,
    parse_file,
)

SECRET = "s3cr3t-do-not-leak-7f1c"


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A local TCP port that records whether anybody connected to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.setblocking(False)
    yield server
    server.close()


def _assert_nobody_connected(server: socket.socket) -> None:
    with pytest.raises(BlockingIOError):
        server.accept()


def _rejected(data: bytes) -> DocumentRejected:
    with pytest.raises(DocumentRejected) as info:
        parse_bytes(data, "hostile.xml")
    return info.value


def test_a_plain_config_parses_with_line_numbers() -> None:
    doc = parse_bytes(b'<?xml version="1.0"?>\n<mule>\n  <flow name="a"/>\n</mule>\n', "ok.xml")
    assert doc.file == "ok.xml"
    assert doc.root[0].sourceline == 3


def test_xxe_file_entity_is_refused_and_does_not_leak(secret_file: Path) -> None:
    data = (
        f'<?xml version="1.0"?>\n<!DOCTYPE mule [<!ENTITY x SYSTEM "{secret_file.as_uri()}">]>\n'
        "<mule>&x;</mule>"
    ).encode()
    exc = _rejected(data)
    assert exc.rule == RULE_DOCTYPE
    assert exc.location.line == 2
    assert SECRET not in str(exc)


def test_xxe_parameter_entity_pointing_at_a_file_reads_nothing(
    tmp_path: Path, secret_file: Path
) -> None:
    # A parameter entity would make libxml2 open the file while reading the DTD; the
    # prolog scan refuses the document before the parser sees it.
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(f'<!ENTITY leak "{SECRET}">')
    long_ago = time.time() - 400 * 86400
    os.utime(dtd, (long_ago, dtd.stat().st_mtime))
    data = f'<!DOCTYPE m [<!ENTITY % p SYSTEM "{dtd.as_uri()}"> %p;]><mule>&leak;</mule>'
    exc = _rejected(data.encode())
    assert exc.rule == RULE_DOCTYPE
    assert SECRET not in str(exc)
    # A read would move the access time (relatime updates a day-old atime).
    assert dtd.stat().st_atime == pytest.approx(long_ago)


def test_xxe_http_entity_makes_no_connection(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    for data in (
        f'<!DOCTYPE m [<!ENTITY x SYSTEM "http://127.0.0.1:{port}/x">]><mule>&x;</mule>',
        f'<!DOCTYPE m SYSTEM "http://127.0.0.1:{port}/m.dtd"><mule/>',
        f'<!DOCTYPE m [<!ENTITY % p SYSTEM "http://127.0.0.1:{port}/p"> %p;]><mule/>',
    ):
        assert _rejected(data.encode()).rule == RULE_DOCTYPE
    _assert_nobody_connected(listener)


def test_schema_location_is_not_fetched(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    data = (
        '<mule xmlns="http://www.mulesoft.org/schema/mule/core" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:schemaLocation="http://www.mulesoft.org/schema/mule/core '
        f'http://127.0.0.1:{port}/mule.xsd"/>'
    ).encode()
    parse_bytes(data)
    _assert_nobody_connected(listener)


def test_billion_laughs_is_refused_without_expansion() -> None:
    entities = '<!ENTITY a "ha">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
    )
    data = f'<?xml version="1.0"?><!DOCTYPE lolz [{entities}]><mule>&j;</mule>'.encode()
    exc = _rejected(data)
    assert exc.rule == RULE_DOCTYPE


def test_a_doctype_after_comments_and_whitespace_is_still_found() -> None:
    data = b'<?xml version="1.0"?>\n<!-- header -->\n<?pi x?>\n  <!DOCTYPE mule><mule/>'
    exc = _rejected(data)
    assert exc.rule == RULE_DOCTYPE
    assert exc.location.line == 4


def test_a_utf16_doctype_is_found() -> None:
    data = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE m><m/>'.encode("utf-16")
    assert _rejected(data).rule == RULE_DOCTYPE


def test_doctype_text_inside_a_comment_is_harmless() -> None:
    doc = parse_bytes(b"<mule><!-- <!DOCTYPE x> --></mule>")
    assert doc.root.tag == "mule"


@pytest.mark.parametrize("data", [b"", b"   \n\t  "])
def test_empty_input(data: bytes) -> None:
    exc = _rejected(data)
    assert exc.rule == RULE_EMPTY
    assert "empty" in exc.message


def test_binary_data_is_not_well_formed() -> None:
    exc = _rejected(bytes(range(1, 256)) * 4)
    assert exc.rule in (RULE_NOT_WELL_FORMED, RULE_ENCODING)
    assert exc.message.startswith("not well-formed XML")


def test_not_well_formed_reports_line_and_column() -> None:
    exc = _rejected(b"<mule>\n  <flow name='a'>\n  </flw>\n</mule>\n")
    assert exc.rule == RULE_NOT_WELL_FORMED
    assert exc.location.line == 3
    assert exc.location.column > 0
    assert "flw" in exc.message


def test_declared_encoding_mismatch_is_an_encoding_problem() -> None:
    data = '<?xml version="1.0" encoding="UTF-8"?>\n<mule name="caf\u00e9"/>'.encode("latin-1")
    exc = _rejected(data)
    assert exc.rule == RULE_ENCODING
    assert exc.location.line == 2


def test_a_correctly_declared_latin1_file_parses() -> None:
    data = '<?xml version="1.0" encoding="ISO-8859-1"?><mule name="caf\u00e9"/>'.encode("latin-1")
    assert parse_bytes(data).root.get("name") == "caf\u00e9"


def test_oversized_bytes_are_refused_before_parsing() -> None:
    with pytest.raises(DocumentRejected) as info:
        parse_bytes(b"<mule>" + b" " * 2048 + b"</mule>", "big.xml", max_bytes=1024)
    assert info.value.rule == RULE_TOO_LARGE


def test_a_50_mb_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "big.xml"
    with big.open("wb") as handle:  # sparse: 50 MB of size, no 50 MB of writing
        handle.write(b"<mule>")
        handle.truncate(50 * 1024 * 1024)
    with pytest.raises(DocumentRejected) as info:
        parse_file(big)
    assert info.value.rule == RULE_TOO_LARGE
    assert "52428800 bytes" in info.value.message


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs Linux /proc")
def test_a_file_longer_than_its_reported_size_is_read_on_to_the_limit() -> None:
    # /proc files report size 0: the reader must go on past the size it was told and
    # still stop one byte past the limit.
    with pytest.raises(DocumentRejected) as info:
        parse_file("/proc/self/status", max_bytes=16)
    assert info.value.rule == RULE_TOO_LARGE
    assert "17 bytes" in info.value.message


def test_a_file_is_parsed_whole(tmp_path: Path) -> None:
    config = tmp_path / "app.xml"
    config.write_bytes(
        b'<mule xmlns="http://www.mulesoft.org/schema/mule/core">'
        + b" " * 5000
        + b"<flow name='f'/></mule>"
    )
    assert parse_file(config).root[0].get("name") == "f"


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DocumentRejected) as info:
        parse_file(tmp_path / "nope.xml")
    assert info.value.rule == RULE_UNREADABLE
    assert isinstance(info.value, InputError)
    assert "nope.xml" in str(info.value)


def test_a_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(DocumentRejected) as info:
        parse_file(tmp_path)
    assert info.value.rule == RULE_UNREADABLE
    assert "directory" in info.value.message

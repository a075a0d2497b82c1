"""Loading suites: the format's keys, strict refusal of bad suites with a precise reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from mule_emulator.errors import InputError
from mule_emulator.suites.loader import load_suite

H = '[[case]]\nname = "n"\nconfig = "app.xml"\n'
S = H + "[[case.step]]\n"
CONFORMANCE = Path(__file__).resolve().parents[2].parent / "shared" / "conformance"


def _write(tmp_path: Path, body: str) -> Path:
    (tmp_path / "app.xml").write_text("<mule/>")
    (tmp_path / "sub").mkdir(exist_ok=True)
    (tmp_path / "sub" / "b.xml").write_text("<mule/>")
    path = tmp_path / "s.toml"
    path.write_text(body)
    return path


def test_full_case_reads_into_values(tmp_path: Path) -> None:
    suite = load_suite(
        _write(
            tmp_path,
            """
[[case]]
name = "n"
config = ["app.xml", "sub/b.xml"]
properties = { "a.b" = "x", n = 3, t = true }
classes = { "a.B$C" = "mod:attr" }
timeout_ms = 1234
[[case.step]]
send = "vm://x"
payload_b64 = "AAE="
properties = { p = "q" }
timeout_ms = 7
repeat = 2
expect = { payload = "p", null = false, flow_runs = { f = 0 }, absent_invocation = ["v"] }
[[case.step]]
restart = "crash"
[[case.step]]
wait_ms = 5
""",
        )
    )
    (case,) = suite.cases
    assert case.configs == ((tmp_path / "app.xml").resolve(), (tmp_path / "sub/b.xml").resolve())
    assert dict(case.properties) == {"a.b": "x", "n": "3", "t": "true"}
    assert dict(case.classes) == {"a.B$C": "mod:attr"}
    assert case.timeout_ms == 1234
    s1, s2, s3 = case.steps
    assert (s1.action, s1.target, s1.payload) == ("send", "vm://x", b"\0\1")
    assert (s1.repeat, s1.timeout_ms) == (2, 7)
    assert s1.expect is not None and s1.expect.payload == "p" and s1.expect.null is False
    assert dict(s1.expect.flow_runs) == {"f": 0}
    assert (s2.action, s2.target) == ("restart", "crash")
    assert (s3.action, s3.target, s3.number) == ("wait_ms", 5, 3)
    assert case.flow_names_counted == ("f",)


def test_root_option_resolves_config_paths(tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    other.mkdir()
    suite_path = other / "s.toml"
    suite_path.write_text('[[case]]\nname = "n"\nconfig = "sub/b.xml"\n')
    _write(tmp_path, "")
    suite = load_suite(suite_path, root=tmp_path)
    assert suite.cases[0].configs == ((tmp_path / "sub/b.xml").resolve(),)
    with pytest.raises(InputError, match=r"config file not found: sub/b\.xml"):
        load_suite(suite_path)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[[case]\n", "not valid TOML"),
        ("title = 'x'\n", "unknown key 'title'"),
        (H + "colour = 1\n", "case 'n': unknown key 'colour'"),
        ('[[case]]\nconfig = "app.xml"\n', "missing required key 'name'"),
        ('[[case]]\nname = "n"\n', "missing required key 'config'"),
        ('[[case]]\nname = "n"\nconfig = "nope.xml"\n', "config file not found: nope.xml"),
        (H + H, "duplicate case name 'n'"),
        (S + 'payload = "x"\n', "step 1: a step needs exactly one action key"),
        (S + 'send = "a"\ndispatch = "b"\n', "found dispatch, send"),
        (S + 'send = "a"\nretries = 2\n', "step 1: unknown key 'retries'"),
        (S + 'send = "a"\nexpect.paylod = "x"\n', "step 1 expect: unknown key 'paylod'"),
        (S + 'restart = "soft"\n', "restart must be 'graceful' or 'crash'"),
        (S + 'send = "a"\nrepeat = 0\n', "'repeat' must be an integer >= 1"),
        (S + 'send = "a"\npayload_b64 = "!!"\n', "not valid base64"),
        (S + 'send = "a"\nexpect.payloads = ["x"]\n', "payloads works only with a 'request'"),
        (S + 'request = "a"\nexpect.null = "yes"\n', "'null' must be true or false"),
        (S + 'request = "a"\nexpect.payload_matches = "("\n', "not a valid regex"),
        (H + 'timeout_ms = "5"\n', "'timeout_ms' must be an integer"),
        (H + 'classes = { "a.B" = "nocolon" }\n', "must read 'module:attribute'"),
    ],
)
def test_bad_suites_are_refused_saying_which(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        load_suite(_write(tmp_path, body))
    assert message in str(info.value)
    assert "s.toml" in str(info.value)


def test_missing_suite_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read suite"):
        load_suite(tmp_path / "absent.toml")


@pytest.mark.skipif(not CONFORMANCE.is_dir(), reason="../shared/conformance is not present")
def test_the_conformance_suite_loads() -> None:
    suite = load_suite(CONFORMANCE / "mule-3.9-vm.toml")
    assert len(suite.cases) > 100
    assert any(s.action == "restart" for c in suite.cases for s in c.steps)

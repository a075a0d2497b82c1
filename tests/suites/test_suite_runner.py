"""The suite runner against a fake application: steps, expectations, restarts, watchdog."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from fake_app import FakeFactory

from mule_emulator.runtime.classes import ClassMap
from mule_emulator.suites.loader import load_suite
from mule_emulator.suites.report import CaseResult
from mule_emulator.suites.runner import SuiteRunner


def _suite(tmp_path: Path, body: str, config: str = "<mule/>") -> Path:
    (tmp_path / "app.xml").write_text(config)
    path = tmp_path / "s.suite.toml"
    path.write_text(body)
    return path


def _run(tmp_path: Path, body: str, **kw: object) -> tuple[list[CaseResult], FakeFactory]:
    factory = FakeFactory()
    suite = load_suite(_suite(tmp_path, body))
    result = SuiteRunner(factory=factory, **kw).run(suite)  # type: ignore[arg-type]
    return list(result.results), factory


ONE_WAY = """
[[case]]
name = "one way"
config = "app.xml"
[[case.step]]
dispatch = "vm://in"
payload = "Marco"
properties = { k = "v" }
expect.flow_runs = { inFlow = 1 }
[[case.step]]
request = "vm://out"
timeout_ms = 1000
expect.payload = "Marco flowed"
expect.inbound = { k = "v" }
[[case.step]]
request = "vm://out"
timeout_ms = 10
expect.null = true
"""


def test_one_way_case_passes_and_stops_its_app_gracefully(tmp_path: Path) -> None:
    results, factory = _run(tmp_path, ONE_WAY)
    assert [(r.name, r.status) for r in results] == [("one way", "pass")]
    assert factory.apps[0].stop_modes == ["graceful"]


@pytest.mark.parametrize(
    ("step", "reason"),
    [
        (
            'request = "vm://out"\nexpect.payload = "Polo"',
            "expected payload 'Polo', got 'Marco flowed'",
        ),
        ('request = "vm://out"\nexpect.payload_matches = "^Polo"', "matching /^Polo/"),
        (
            'request = "vm://none"\ntimeout_ms = 10\nexpect.payload = "x"',
            "expected a message, got none",
        ),
        ('request = "vm://out"\nexpect.null = true', "expected no message"),
        ('request = "vm://out"\nexpect.inbound = { k = "w" }', "inbound property k='w', got 'v'"),
        ('request = "vm://out"\nexpect.absent_inbound = ["K"]', "expected no inbound property K"),
        ('send = "vm://raise"', "raised MessagingError: no receiver"),
        (
            'send = "vm://echo"\nexpect.error = "boom"',
            "expected an error containing 'boom', but nothing",
        ),
        ('send = "vm://fail"\nexpect.exception_payload = false', "expected no exception payload"),
        ('send = "vm://echo"\nexpect.exception_payload = true', "expected an exception payload"),
        (
            'send = "vm://echo"\nexpect.session = { seen = "no" }',
            "session variable seen='no', got 'yes'",
        ),
        ('run_flow = "other"\npayload = "x"', "raised MessagingError: flow other failed"),
        (
            "wait_ms = 0\nexpect.flow_runs = { inFlow = 2 }\ntimeout_ms = 50",
            "inFlow entered 2 time(s), it was entered 1",
        ),
        (
            'request = "vm://out"\ntimeout_ms = 10\nexpect.payloads = ["a"]',
            "expected payloads ['a'], got ['Marco flowed']",
        ),
    ],
)
def test_failing_expectations_name_step_expected_and_got(
    tmp_path: Path, step: str, reason: str
) -> None:
    body = f"""
[[case]]
name = "c"
config = "app.xml"
[[case.step]]
dispatch = "vm://in"
payload = "Marco"
properties = {{ k = "v" }}
[[case.step]]
{step}
"""
    results, _ = _run(tmp_path, body)
    assert results[0].status == "fail"
    assert results[0].reason.startswith("step 2 (")
    assert reason in results[0].reason


def test_passing_expectations_of_every_kind(tmp_path: Path) -> None:
    body = """
[[case]]
name = "all"
config = "app.xml"
[[case.step]]
send = "vm://echo"
payload_b64 = "aGk="
properties = { p = 1 }
expect.payload = "hi"
expect.inbound = { p = "1" }
expect.session = { seen = "yes" }
expect.exception_payload = false
expect.absent_outbound = ["p"]
[[case.step]]
send = "vm://fail"
expect.error = "blew up"
expect.exception_payload = true
[[case.step]]
send = "vm://raise"
expect.error = "no receiver"
[[case.step]]
send = "vm://nothing"
expect.null = true
[[case.step]]
run_flow = "upper"
payload = "abc"
expect.payload = "ABC"
expect.flow_runs = { upper = 1, echoFlow = 1 }
[[case.step]]
dispatch = "vm://q"
payload = "x"
repeat = 3
[[case.step]]
dispatch = "vm://in"
payload = "y"
[[case.step]]
purge = "vm://out"
[[case.step]]
request = "vm://q"
timeout_ms = 10
expect.payloads = ["x", "x", "x"]
expect.ordered = true
"""
    results, _ = _run(tmp_path, body)
    assert results[0].status == "pass", results[0].reason


def test_repeat_reports_the_failing_repetition(tmp_path: Path) -> None:
    body = """
[[case]]
name = "r"
config = "app.xml"
[[case.step]]
dispatch = "vm://q"
payload = "x"
repeat = 2
[[case.step]]
request = "vm://q"
timeout_ms = 10
repeat = 3
expect.payload = "x"
"""
    results, _ = _run(tmp_path, body)
    assert results[0].status == "fail"
    assert "(repetition 3 of 3)" in results[0].reason


def test_restart_graceful_keeps_queues_crash_loses_them_same_folder(tmp_path: Path) -> None:
    body = """
[[case]]
name = "graceful"
config = "app.xml"
[[case.step]]
dispatch = "vm://in"
payload = "a"
[[case.step]]
restart = "graceful"
[[case.step]]
request = "vm://out"
timeout_ms = 10
expect.payload = "a flowed"
[[case.step]]
dispatch = "vm://in"
payload = "b"
expect.flow_runs = { inFlow = 2 }

[[case]]
name = "crash"
config = "app.xml"
[[case.step]]
dispatch = "vm://in"
payload = "a"
[[case.step]]
restart = "crash"
[[case.step]]
request = "vm://out"
timeout_ms = 10
expect.null = true
"""
    results, factory = _run(tmp_path, body)
    assert [r.status for r in results] == ["pass", "pass"], results
    graceful_first, graceful_second, crash_first, _ = factory.apps
    assert graceful_first.spec.work_dir == graceful_second.spec.work_dir
    assert graceful_first.spec.work_dir != crash_first.spec.work_dir  # fresh folder per case
    assert crash_first.stop_modes == ["crash"]
    assert not graceful_first.spec.work_dir.exists()  # removed after the case


def test_watchdog_fails_a_hanging_case_and_stops_its_app(tmp_path: Path) -> None:
    body = """
[[case]]
name = "hangs"
config = "app.xml"
timeout_ms = 200
[[case.step]]
request = "vm://hang"
timeout_ms = 100000

[[case]]
name = "next"
config = "app.xml"
"""
    before = threading.active_count()
    results, factory = _run(tmp_path, body)
    assert results[0].status == "fail"
    assert results[0].reason == "timed out after 200 ms in step 1 (request vm://hang)"
    assert factory.apps[0].stop_modes == ["crash"]
    assert results[1].status == "pass"
    assert threading.active_count() <= before


def test_start_failure_and_skip(tmp_path: Path) -> None:
    (tmp_path / "broken.xml").write_text("<broken/>")
    body = """
[[case]]
name = "broken"
config = "broken.xml"

[[case]]
name = "skipped"
config = "app.xml"
skip = "waits for XA"
"""
    results, _ = _run(tmp_path, body)
    assert results[0].status == "fail"
    assert "could not start the application" in results[0].reason
    assert "broken on purpose" in results[0].reason
    assert (results[1].status, results[1].reason) == ("skip", "waits for XA")
    assert results[1].line() == "SKIP skipped: waits for XA"


def test_keyword_and_parallel_jobs_keep_suite_order(tmp_path: Path) -> None:
    cases = "".join(
        f'\n[[case]]\nname = "case {i}"\nconfig = "app.xml"\n'
        f"[[case.step]]\nwait_ms = {30 - i * 5}\n"
        for i in range(5)
    )
    results, _ = _run(tmp_path, cases, jobs=3)
    assert [r.name for r in results] == [f"case {i}" for i in range(5)]
    factory = FakeFactory()
    suite = load_suite(_suite(tmp_path, cases))
    seen: list[str] = []
    runner = SuiteRunner(factory=factory)
    runner.run(suite, keyword="case 3", on_result=lambda r: seen.append(r.name))
    assert seen == ["case 3"]


def test_case_classes_are_layered_on_the_runner_map_with_the_suite_folder(tmp_path: Path) -> None:
    (tmp_path / "my_case_standins.py").write_text("def f(m):\n    return 'ok'\n")
    body = """
[[case]]
name = "c"
config = "app.xml"
classes = { "com.acme.F" = "my_case_standins:f" }
"""
    suite = load_suite(_suite(tmp_path, body))
    runner = SuiteRunner(factory=FakeFactory(), class_map=ClassMap())
    cmap = runner.case_class_map(suite, suite.cases[0])
    assert cmap.message_callable("com.acme.F")(None) == "ok"
    assert not runner.class_map.is_mapped("com.acme.F")

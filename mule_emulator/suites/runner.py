"""Run a suite: each case in a fresh application with its own empty working folder,
driven step by step, under a watchdog that never lets a case hang.

A case's steps run on a worker thread; the runner waits for it at most the case's
``timeout_ms``. Past that bound the case fails, its application is stopped the way a
killed process stops (``crash``) so that blocked client calls return, and the runner
moves on. ``restart`` steps stop the application and build a new one on the same
working folder, so persistent queues survive a graceful stop as in Mule.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from mule_emulator.errors import MuleEmulatorError
from mule_emulator.runtime.classes import ClassMap
from mule_emulator.suites.checks import Outcome, check_outcome, compare_payloads, payload_text
from mule_emulator.suites.harness import AppFactory, AppSpec, SuiteApp, default_app_factory
from mule_emulator.suites.model import DEFAULT_REQUEST_TIMEOUT_MS, Case, Step, Suite
from mule_emulator.suites.report import FAIL, PASS, SKIP, CaseResult, SuiteResult

# How long the runner waits for an application to stop, or for an abandoned case's
# thread to finish, before giving up on it (a stuck stop must not hang the suite).
STOP_BOUND_S = 10.0
# A request with expect.payloads stops after this many messages beyond the expected ones.
_PAYLOADS_SLACK = 100
_POLL_S = 0.01


def _null_payload() -> Any:
    from mule_emulator.runtime.message import NULL_PAYLOAD

    return NULL_PAYLOAD


def _brief(exc: MuleEmulatorError, shown: int = 3) -> str:
    """A start-up error for a one-line reason: its message and its first few located
    problems (a config error may list dozens)."""
    problems = getattr(exc, "problems", ())
    if not problems:
        return str(exc)
    head = str(getattr(exc, "message", "")) or type(exc).__name__
    parts = [f"{loc}: {text}" for loc, text in problems[:shown]]
    more = f" (+{len(problems) - shown} more)" if len(problems) > shown else ""
    return f"{head} [{'; '.join(parts)}]{more}"


class _StepFailed(Exception):
    """A step's expectation did not hold (internal to the runner)."""


class CaseRun:
    """One execution of one case: owns its application(s), working folder and watchdog."""

    def __init__(self, suite: Suite, case: Case, factory: AppFactory, class_map: ClassMap) -> None:
        self.suite = suite
        self.case = case
        self.factory = factory
        self.class_map = class_map
        self.abandoned = threading.Event()
        self._lock = threading.Lock()
        self._app: SuiteApp | None = None
        self._step: Step | None = None
        self._offsets: dict[str, int] = {}
        self._failure: str | None = None

    # ------------------------------------------------------------------ driver

    def run(self) -> CaseResult:
        """Run the case under its watchdog and return its result."""
        case = self.case
        started = time.monotonic()
        if case.skip is not None:
            return CaseResult(case.name, SKIP, case.skip)
        work_dir = Path(tempfile.mkdtemp(prefix="mule-emu-case-"))
        try:
            worker = threading.Thread(
                target=self._body, args=(work_dir,), name="suite-case", daemon=True
            )
            worker.start()
            worker.join(case.timeout_ms / 1000)
            if worker.is_alive():
                where = f" in {self._step.describe()}" if self._step else " while starting"
                self._failure = f"timed out after {case.timeout_ms} ms{where}"
                self.abandoned.set()
                self._stop_bounded("crash")
                worker.join(STOP_BOUND_S)
        finally:
            shutil.rmtree(work_dir, ignore_errors=True)
        elapsed = time.monotonic() - started
        if self._failure is not None:
            return CaseResult(case.name, FAIL, self._failure, elapsed)
        return CaseResult(case.name, PASS, "", elapsed)

    def _fail(self, reason: str) -> None:
        if self._failure is None and not self.abandoned.is_set():
            self._failure = reason

    def _body(self, work_dir: Path) -> None:
        spec = AppSpec(
            configs=self.case.configs,
            work_dir=work_dir,
            name=self.case.name,
            properties=dict(self.case.properties),
            classes=self.class_map,
        )
        self._spec: AppSpec = spec
        try:
            try:
                self._start_new()
            except MuleEmulatorError as exc:
                self._fail(f"could not start the application: {_brief(exc)}")
                return
            for step in self.case.steps:
                if self.abandoned.is_set():
                    return
                self._step = step
                try:
                    self._run_step(step)
                except _StepFailed as failed:
                    self._fail(f"{step.describe()}: {failed}")
                    return
        except Exception as exc:  # a bug in a stand-in or the runtime: report, never crash
            self._fail(f"internal error: {type(exc).__name__}: {exc}")
        finally:
            if not self.abandoned.is_set() and (error := self._stop_current("graceful")):
                self._fail(error)

    def _start_new(self) -> None:
        app = self.factory(self._spec)
        with self._lock:
            self._app = app
        try:
            app.start()
        except BaseException:
            self._stop_current("crash")
            raise

    def _stop_current(self, mode: str) -> str | None:
        """Stop the running application, if any; a failure to stop is returned."""
        with self._lock:
            app, self._app = self._app, None
        if app is None:
            return None
        try:
            app.stop(mode)
        except Exception as exc:
            return f"stopping the application ({mode}) failed: {type(exc).__name__}: {exc}"
        return None

    def _stop_bounded(self, mode: str) -> None:
        stopper = threading.Thread(
            target=self._stop_current, args=(mode,), name="suite-case-stop", daemon=True
        )
        stopper.start()
        stopper.join(STOP_BOUND_S)

    @property
    def app(self) -> SuiteApp:
        with self._lock:
            app = self._app
        if app is None:
            raise _StepFailed("the application is not running")
        return app

    # ------------------------------------------------------------------ steps

    def _run_step(self, step: Step) -> None:
        for n in range(1, step.repeat + 1):
            if self.abandoned.is_set():
                return
            suffix = f" (repetition {n} of {step.repeat})" if step.repeat > 1 else ""
            if step.expect is not None and step.expect.payloads is not None:
                reason = self._request_all(step)
            else:
                outcome = self._act(step)
                reason = check_outcome(step.expect, outcome)
            if reason is None and step.expect is not None and step.expect.flow_runs:
                reason = self._check_flow_runs(step, step.expect.flow_runs)
            if reason is not None:
                raise _StepFailed(reason + suffix)

    def _payload(self, step: Step) -> Any:
        return _null_payload() if step.payload is None else step.payload

    def _properties(self, step: Step) -> dict[str, Any] | None:
        return dict(step.properties) if step.properties else None

    def _request_timeout_s(self, step: Step) -> float:
        ms = step.timeout_ms if step.timeout_ms is not None else DEFAULT_REQUEST_TIMEOUT_MS
        return ms / 1000

    def _act(self, step: Step) -> Outcome:
        """Do the step's action once; an exception becomes part of the outcome."""
        action, target = step.action, step.target
        try:
            if action == "wait_ms":
                self.abandoned.wait(int(target) / 1000)
                return Outcome()
            if action == "restart":
                self._restart(str(target))
                return Outcome()
            app = self.app
            if action == "dispatch":
                app.client.dispatch(str(target), self._payload(step), self._properties(step))
                return Outcome()
            if action == "send":
                timeout_s = None if step.timeout_ms is None else step.timeout_ms / 1000
                reply = app.client.send(
                    str(target), self._payload(step), self._properties(step), timeout_s=timeout_s
                )
                return Outcome(message=reply)
            if action == "request":
                return Outcome(
                    message=app.client.request(str(target), self._request_timeout_s(step))
                )
            if action == "run_flow":
                result = app.run_flow(str(target), self._payload(step), self._properties(step))
                return Outcome(message=result)
            if action == "purge":
                app.purge(str(target))
                return Outcome()
        except _StepFailed:
            raise
        except Exception as exc:
            return Outcome(error=exc)
        raise AssertionError(f"unknown action {action}")  # the loader allows no other

    def _restart(self, mode: str) -> None:
        self._bank_flow_runs()
        error = self._stop_current(mode)
        if error is not None:
            raise _StepFailed(error)
        try:
            self._start_new()
        except MuleEmulatorError as exc:
            raise _StepFailed(f"could not start the application again: {_brief(exc)}") from None

    def _request_all(self, step: Step) -> str | None:
        """``expect.payloads``: request until nothing comes, then compare what came."""
        assert step.expect is not None and step.expect.payloads is not None
        expected = step.expect.payloads
        got: list[str] = []
        timeout_s = self._request_timeout_s(step)
        while len(got) <= len(expected) + _PAYLOADS_SLACK and not self.abandoned.is_set():
            try:
                message = self.app.client.request(str(step.target), timeout_s)
            except _StepFailed:
                raise
            except Exception as exc:
                return check_outcome(step.expect, Outcome(error=exc))
            if message is None:
                break
            got.append(payload_text(message))
        return compare_payloads(expected, got, step.expect.ordered)

    # ------------------------------------------------------------------ flow runs

    def _runs(self, name: str) -> int:
        return self._offsets.get(name, 0) + int(self.app.flow_runs(name))

    def _bank_flow_runs(self) -> None:
        """Keep the counts of the application about to stop: flow_runs counts since the
        case started, across restarts."""
        for name in self.case.flow_names_counted:
            try:
                self._offsets[name] = self._runs(name)
            except Exception:  # reported when an expectation reads it
                continue

    def _check_flow_runs(self, step: Step, expected: Mapping[str, int]) -> str | None:
        # A flow entered on another thread may lag the step that caused it: wait (bounded)
        # for a count to reach its expected value, then require it exactly.
        deadline = time.monotonic() + self._request_timeout_s(step)
        for name, want in expected.items():
            try:
                got = self._runs(name)
                while got < want and time.monotonic() < deadline and not self.abandoned.is_set():
                    self.abandoned.wait(_POLL_S)
                    got = self._runs(name)
            except _StepFailed:
                raise
            except Exception as exc:
                return f"cannot count runs of flow {name!r}: {exc}"
            if got != want:
                return f"expected flow {name} entered {want} time(s), it was entered {got}"
        return None


class SuiteRunner:
    """Runs the cases of a suite, optionally several at a time (``jobs``)."""

    def __init__(
        self,
        *,
        factory: AppFactory | None = None,
        class_map: ClassMap | None = None,
        jobs: int = 1,
    ) -> None:
        self.factory = factory or default_app_factory
        self.class_map = class_map or ClassMap()
        self.jobs = max(1, jobs)

    def case_class_map(self, suite: Suite, case: Case) -> ClassMap:
        """The runner's class map with the case's ``classes`` on top; their modules are
        found in the suite file's folder."""
        if not case.classes:
            return self.class_map
        return self.class_map.layered(
            case.classes,
            search_path=str(suite.path.resolve().parent),
            origin=f"{suite.path} case {case.name!r}",
        )

    def run_case(self, suite: Suite, case: Case) -> CaseResult:
        try:
            cmap = self.case_class_map(suite, case)
        except MuleEmulatorError as exc:
            return CaseResult(case.name, FAIL, f"bad classes table: {exc}")
        return CaseRun(suite, case, self.factory, cmap).run()

    def run(
        self,
        suite: Suite,
        *,
        keyword: str | None = None,
        on_result: Callable[[CaseResult], None] | None = None,
    ) -> SuiteResult:
        """Run the cases whose name contains ``keyword`` (all when None); ``on_result``
        sees each result as soon as it and every case before it are done."""
        started = time.monotonic()
        cases = [c for c in suite.cases if keyword is None or keyword in c.name]
        results: list[CaseResult] = []
        if self.jobs == 1 or len(cases) <= 1:
            for case in cases:
                result = self.run_case(suite, case)
                results.append(result)
                if on_result:
                    on_result(result)
        else:
            # The first case runs alone: it warms the process-wide caches (compiled
            # schemas, imported stand-ins) that concurrent first uses could race on.
            first = self.run_case(suite, cases[0])
            results.append(first)
            if on_result:
                on_result(first)
            with ThreadPoolExecutor(self.jobs, thread_name_prefix="suite-job") as pool:
                futures = [pool.submit(self.run_case, suite, c) for c in cases[1:]]
                for future in futures:  # suite order, as soon as each is ready
                    result = future.result()
                    results.append(result)
                    if on_result:
                        on_result(result)
        return SuiteResult(str(suite.path), tuple(results), time.monotonic() - started)


__all__ = ["STOP_BOUND_S", "CaseRun", "SuiteRunner"]

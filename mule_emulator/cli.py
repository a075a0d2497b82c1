"""The ``mule-emu`` command line: the only place that prints results and sets exit codes.

Exit codes (documented in the README):

- 0: success (valid configs, tests passed, run finished normally)
- 1: the check failed (a config has error-severity problems, a test case failed, a
  run stopped on a runtime fault)
- 2: usage error or unusable input (bad option, unreadable file, not XML, bad suite)
- 3: the application could not start (configuration or unsupported content)
- 130: interrupted (Ctrl-C)

Each sub-command lives in its own section below; the work itself is done by the
packages under ``mule_emulator``, which raise ``MuleEmulatorError`` subclasses.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from mule_emulator import __version__

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_START = 3
EXIT_INTERRUPTED = 130


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="mule-emu")
def cli() -> None:
    """Validate, run and test Mule 3 XML configurations without a JVM."""


# ==================================================================== validate
# (section owned by the validate command)
# Heavy modules (lxml, xmlschema, the parser) are imported inside the command so that
# `mule-emu --help` and every other command start fast.

_VALIDATE_FORMATS = ("text", "json", "junit", "github", "sarif")
_INPUT_RULE_TITLES = {
    "input-unreadable": "the file cannot be read (missing, a folder, no permission)",
    "input-too-large": "the file is larger than the size limit for a config",
    "input-empty": "the file is empty",
    "xml-not-well-formed": "the file is not well-formed XML",
    "xml-encoding": "the bytes do not match the declared encoding",
    "xml-doctype": "a DOCTYPE (DTD, entities) is refused for safety",
}


def _parse_properties(values: tuple[str, ...]) -> dict[str, str]:
    properties: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"expected NAME=VALUE, got '{item}'", param_hint="-D")
        properties[name] = value
    return properties


@cli.command("validate")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(_VALIDATE_FORMATS),
    default=None,
    help="Report format [default: github when GITHUB_ACTIONS is set, else text].",
)
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option(
    "--app",
    "one_app",
    is_flag=True,
    help="Check all files together as one application (references across files resolve).",
)
@click.option(
    "-D",
    "--property",
    "properties",
    multiple=True,
    metavar="NAME=VALUE",
    help="A property for ${...} placeholders (repeatable).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Write the report to this file instead of standard output.",
)
def validate_command(
    paths: tuple[str, ...],
    fmt: str | None,
    strict: bool,
    one_app: bool,
    properties: tuple[str, ...],
    output: str | None,
) -> None:
    """Check Mule config files offline: XSD, then the checks Mule makes at start-up.

    PATH is a file, a folder (searched recursively for *.xml) or a glob. Exit status:
    0 when every file is valid, 1 when an error-severity problem was found, 2 for a
    usage error or unusable input (unreadable, not XML).
    """
    import os

    from mule_emulator.errors import InputError
    from mule_emulator.loading.inputs import expand_inputs
    from mule_emulator.model import validator
    from mule_emulator.model.checks import RULES
    from mule_emulator.views.report_formats import render

    props = _parse_properties(properties)
    if fmt is None:
        fmt = "github" if os.environ.get("GITHUB_ACTIONS") else "text"
    try:
        files = expand_inputs(paths)
    except InputError as exc:
        raise click.UsageError(str(exc)) from None
    findings = validator.validate_files(files, properties=props, one_app=one_app)
    if strict:
        findings = validator.strict(findings)
    titles = {**_INPUT_RULE_TITLES, **{rule.id: rule.title for rule in RULES.values()}}
    report = render(findings, fmt, titles)
    if output:
        try:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(report)
        except OSError as exc:
            click.echo(f"mule-emu: cannot write {output}: {exc.strerror or exc}", err=True)
            sys.exit(EXIT_USAGE)
    else:
        click.echo(report, nl=False)
    if any(f.rejected for f in findings):
        sys.exit(EXIT_USAGE)
    sys.exit(EXIT_OK if all(f.valid for f in findings) else EXIT_FAILED)


# ==================================================================== run
# (section owned by the run command)
# The command imports the runtime only when it runs, so `mule-emu --help` stays fast.

_RUN_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_RUN_LOG_FORMAT = "%(levelname)-5s %(asctime)s [%(threadName)s] %(name)s: %(message)s"
_RUN_SEQUENCED = ("--dispatch", "--send")


def _run_pairs(values: tuple[str, ...], option: str) -> list[tuple[str, str]]:
    pairs = []
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"expected NAME=VALUE, got '{item}'", param_hint=option)
        pairs.append((name, value))
    return pairs


def _run_message_order(args: list[str]) -> list[str]:
    """Which of --dispatch / --send came in which order on the command line (click
    collects each repeatable option separately and loses their interleaving)."""
    order: list[str] = []
    for arg in args:
        if arg == "--":
            break
        for option in _RUN_SEQUENCED:
            if arg == option or arg.startswith(option + "="):
                order.append(option)
    return order


class _RunCommand(click.Command):
    """Remembers the order of --dispatch/--send before click parses the arguments."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["mule_emu.run.order"] = _run_message_order(list(args))
        return super().parse_args(ctx, args)


def _build_class_map(class_maps: tuple[str, ...], class_options: tuple[str, ...]) -> Any:
    """The class map of --class-map files then --class options (later ones win)."""
    import os

    from mule_emulator.runtime.classes import ClassMap, parse_class_option

    cmap = ClassMap()
    for path in class_maps:
        cmap.load_file(path)
    for text in class_options:
        name, target = parse_class_option(text)
        cmap.add(name, target, search_path=os.getcwd(), origin="--class")
    return cmap


def _echo_error(text: str) -> None:
    click.echo(f"mule-emu: {text}", err=True)


def _configure_logging(level: str) -> None:
    """Log in Mule's manner to stderr for the current command; the handler is removed
    when the command ends, so repeated in-process invocations (tests) do not pile up."""
    import logging

    root = logging.getLogger()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(_RUN_LOG_FORMAT))
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(getattr(logging, level))

    def restore() -> None:
        root.removeHandler(handler)
        root.setLevel(previous_level)

    click.get_current_context().call_on_close(restore)


def _describe_app(app: Any, log: Any) -> None:
    """Mule's start-up banner (the runtime itself logs each flow, queue and thread pool)."""
    name = getattr(app, "name", "app")
    line = "*" * 70
    title = f"* Started app '{name}'".ljust(69) + "*"
    log.info("\n%s\n%s\n%s", line, title, line)


def _reply_text(reply: Any) -> str:
    from mule_emulator.suites.checks import exception_payload_text, payload_text

    if reply is None:
        return "null (no reply)"
    failed = exception_payload_text(reply)
    text = payload_text(reply)
    return f"{text} (exception payload: {failed})" if failed is not None else text


@cli.command("run", cls=_RunCommand)
@click.argument("configs", nargs=-1, required=True, metavar="CONFIG...")
@click.option("-D", "defines", multiple=True, metavar="KEY=VALUE", help="A system property.")
@click.option(
    "--class-map",
    "class_maps",
    multiple=True,
    metavar="FILE",
    help="A class-map TOML file: Java class names to Python stand-ins.",
)
@click.option(
    "--class",
    "class_options",
    multiple=True,
    metavar="NAME=TARGET",
    help="Map one Java class to a stand-in, package.module:attribute.",
)
@click.option(
    "--dispatch",
    "dispatches",
    multiple=True,
    metavar="ADDRESS=PAYLOAD",
    help="Dispatch (one-way) a message after start; repeatable, in order.",
)
@click.option(
    "--send",
    "sends",
    multiple=True,
    metavar="ADDRESS=PAYLOAD",
    help="Send (request-response) a message and print the reply; repeatable, in order.",
)
@click.option(
    "--dispatch-lines",
    metavar="ADDRESS",
    help="Dispatch one message per line read from stdin.",
)
@click.option(
    "--duration",
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    help="Stop after this many seconds.",
)
@click.option(
    "--until-idle", is_flag=True, help="Stop once all queues are empty and all threads idle."
)
@click.option(
    "--idle-timeout",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="Bound on --until-idle; past it the run fails.",
)
@click.option(
    "--data-dir",
    "--work-dir",
    "work_dir",
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="Data folder: persistent queues live in DIR/queuestore and survive restarts "
    "[default: .mule/<app name>/ beside the first config, created only when needed].",
)
@click.option(
    "--log-level",
    type=click.Choice(_RUN_LOG_LEVELS, case_sensitive=False),
    default="INFO",
    show_default=True,
)
@click.option(
    "--stats",
    "stats_interval",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Print every queue's and thread pool's statistics every SECONDS, and at the end.",
)
@click.option("--trace", is_flag=True, help="Print an event timeline (teaching views).")
@click.option("--trace-format", type=click.Choice(("text", "jsonl")), help="Implies --trace.")
@click.option("--trace-file", type=click.Path(dir_okay=False), help="Implies --trace.")
@click.pass_context
def run_command(
    ctx: click.Context,
    configs: tuple[str, ...],
    defines: tuple[str, ...],
    class_maps: tuple[str, ...],
    class_options: tuple[str, ...],
    dispatches: tuple[str, ...],
    sends: tuple[str, ...],
    dispatch_lines: str | None,
    duration: float | None,
    until_idle: bool,
    idle_timeout: float,
    work_dir: str | None,
    log_level: str,
    stats_interval: float | None,
    trace: bool,
    trace_format: str | None,
    trace_file: str | None,
) -> None:
    """Start the application in CONFIG... and run it until Ctrl-C, --duration or --until-idle.

    Messages given with --dispatch/--send are sent in command-line order once the
    application has started; replies of sends are printed. On exit, what is left on
    queues is printed: on queues that nothing consumes, and on queues whose consumer
    had not taken it before the stop.
    """
    import logging
    import signal
    import threading

    from mule_emulator.errors import ConfigError, InputError, MuleEmulatorError

    properties = dict(_run_pairs(defines, "-D"))
    pending = {
        "--dispatch": _run_pairs(dispatches, "--dispatch"),
        "--send": _run_pairs(sends, "--send"),
    }
    actions: list[tuple[str, str, str]] = []
    for option in ctx.meta.get("mule_emu.run.order", []):
        if pending[option]:
            address, payload = pending[option].pop(0)
            actions.append((option, address, payload))
    for option, rest in pending.items():  # anything the pre-scan missed keeps click's order
        actions.extend((option, a, p) for a, p in rest)

    _configure_logging(log_level.upper())
    _run_trace(ctx, trace, trace_format, trace_file)  # teaching views: --trace
    log = logging.getLogger("mule_emulator.cli.run")
    try:
        classes = _build_class_map(class_maps, class_options)
    except MuleEmulatorError as exc:
        _echo_error(str(exc))
        ctx.exit(EXIT_USAGE)

    if work_dir is None:
        work_dir = str(_queues_default_data_dir(configs))
    stop = threading.Event()
    signalled: list[int] = []

    def on_signal(signum: int, frame: Any) -> None:
        signalled.append(signum)
        stop.set()

    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, on_signal)
    code = EXIT_OK
    app: Any = None
    try:
        from pathlib import Path

        from mule_emulator.runtime.app import load_app

        try:
            app = load_app(
                list(configs), properties=properties, class_map=classes, work_dir=Path(work_dir)
            )
        except InputError as exc:
            _echo_error(str(exc))
            ctx.exit(EXIT_USAGE)
        except ConfigError as exc:
            _echo_error(f"the application could not start: {exc}")
            ctx.exit(EXIT_START)
        try:
            app.start()
        except MuleEmulatorError as exc:
            _echo_error(f"the application could not start: {exc}")
            app.stop("graceful")
            app = None
            ctx.exit(EXIT_START)
        _describe_app(app, log)
        stats = _RunStats(app, stats_interval)
        code = _run_actions(app, actions, dispatch_lines, stop, log)
        if code == EXIT_OK and not stop.is_set():
            if until_idle:
                bound = duration if duration is not None else idle_timeout
                if not _wait_idle(app, bound, stop, stats) and not stop.is_set():
                    _echo_error(f"still busy after {bound:g} s (--until-idle)")
                    code = EXIT_FAILED
            elif duration is not None:
                stats.wait(stop, duration)
            else:
                log.info("Running; press Ctrl-C to stop")
                stats.wait(stop, None)
    finally:
        if app is not None:
            log.info("Stopping app '%s'", getattr(app, "name", "app"))
            try:
                app.stop("graceful")
            except MuleEmulatorError as exc:
                _echo_error(f"stopping the application failed: {exc}")
                code = EXIT_FAILED
            if stats_interval is not None:
                _RunStats(app, stats_interval).report("statistics at the end")
            _report_leftover(app)
        for sig, old_handler in previous.items():
            signal.signal(sig, old_handler)
    if signalled:
        ctx.exit(EXIT_INTERRUPTED)
    ctx.exit(code)


def _run_actions(
    app: Any, actions: list[tuple[str, str, str]], dispatch_lines: str | None, stop: Any, log: Any
) -> int:
    """Dispatch/send in order, then the stdin lines; a failure ends the run with 1."""
    from mule_emulator.errors import MuleEmulatorError
    from mule_emulator.suites.checks import error_text

    try:
        for option, address, payload in actions:
            if stop.is_set():
                return EXIT_OK
            if option == "--dispatch":
                log.info("Dispatching to %s: %r", address, payload)
                app.client.dispatch(address, payload)
            else:
                log.info("Sending to %s: %r", address, payload)
                reply = app.client.send(address, payload)
                click.echo(f"reply from {address}: {_reply_text(reply)}")
        if dispatch_lines is not None:
            for line in sys.stdin:
                if stop.is_set():
                    break
                app.client.dispatch(dispatch_lines, line.rstrip("\r\n"))
    except MuleEmulatorError as exc:
        _echo_error(error_text(exc))
        return EXIT_FAILED
    return EXIT_OK


class _RunStats:
    """``--stats``: prints the engine's statistics whenever ``interval`` seconds have
    passed, checked between the run's short waits (no thread of its own)."""

    def __init__(self, app: Any, interval: float | None) -> None:
        import time

        self.app = app
        self.interval = interval
        self.started = time.monotonic()
        self.due = self.started + interval if interval is not None else None

    def tick(self) -> None:
        import time

        if self.due is None or time.monotonic() < self.due:
            return
        self.report(f"statistics at {time.monotonic() - self.started:.1f} s")
        assert self.interval is not None
        while self.due <= time.monotonic():
            self.due += self.interval

    def slice(self, limit: float) -> float:
        """How long the next wait may be: up to ``limit``, never past the next report."""
        import time

        if self.due is None:
            return limit
        return max(0.0, min(limit, self.due - time.monotonic()))

    def wait(self, stop: Any, duration: float | None) -> None:
        """Wait for ``stop`` (or ``duration`` seconds), reporting when due."""
        import time

        deadline = None if duration is None else time.monotonic() + duration
        while True:
            remaining = 0.2 if deadline is None else deadline - time.monotonic()
            if remaining <= 0 or stop.wait(self.slice(min(0.2, remaining))):
                return
            self.tick()

    def report(self, title: str) -> None:
        from mule_emulator.views.stats import format_statistics

        try:
            click.echo(format_statistics(self.app.statistics(), title))
        except Exception as exc:  # reporting must not end the run
            _echo_error(f"cannot read the statistics: {exc}")


def _wait_idle(app: Any, bound: float, stop: Any, stats: _RunStats | None = None) -> bool:
    """Wait in short slices so a signal can end the wait; True once idle."""
    import time

    deadline = time.monotonic() + bound
    while not stop.is_set():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        step = min(0.2, remaining) if stats is None else stats.slice(min(0.2, remaining))
        if app.wait_until_idle(step):
            return True
        if stats is not None:
            stats.tick()
    return False


def _report_leftover(app: Any) -> None:
    """Messages still on queues after the stop: on queues nothing consumes, and on
    queues whose receiver or stage had not taken them yet (a transient queue loses
    them, a persistent one keeps them for the next start)."""
    try:
        leftover = app.leftover()
        consumed = app.consumed_queues()
        waiting = {s.name: s.depth for s in app.queue_statistics() if s.name in consumed}
    except Exception as exc:  # reporting must not hide the run's own outcome
        _echo_error(f"cannot list what is left on queues: {exc}")
        return
    for queue, count in sorted(leftover.items()):
        if count:
            noun = "message" if count == 1 else "messages"
            click.echo(f"left on queue '{queue}' (nothing consumes it): {count} {noun}")
    for queue, count in sorted(waiting.items()):
        if count and queue not in leftover:
            noun = "message" if count == 1 else "messages"
            click.echo(f"left on queue '{queue}' (not taken before the stop): {count} {noun}")


# ==================================================================== test
# (section owned by the test command)


@cli.command("test")
@click.argument("suites", nargs=-1, required=True, metavar="SUITE.toml...")
@click.option("-k", "keyword", metavar="TEXT", help="Run only cases whose name contains TEXT.")
@click.option(
    "--junit",
    "junit_path",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Also write a JUnit XML report.",
)
@click.option(
    "--root",
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="Resolve config paths against DIR instead of the suite's folder.",
)
@click.option(
    "--class-map",
    "class_maps",
    multiple=True,
    metavar="FILE",
    help="A class-map TOML file, under every case's own classes.",
)
@click.option(
    "--class",
    "class_options",
    multiple=True,
    metavar="NAME=TARGET",
    help="Map one Java class to a stand-in, package.module:attribute.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Cases run at the same time.",
)
@click.option(
    "--log-level",
    type=click.Choice(_RUN_LOG_LEVELS, case_sensitive=False),
    default="ERROR",
    show_default=True,
)
@click.pass_context
def test_command(
    ctx: click.Context,
    suites: tuple[str, ...],
    keyword: str | None,
    junit_path: str | None,
    root: str | None,
    class_maps: tuple[str, ...],
    class_options: tuple[str, ...],
    jobs: int,
    log_level: str,
) -> None:
    """Run the declarative test suites SUITE.toml... (format: docs/FORMAT of the suites).

    Prints PASS/FAIL/SKIP per case and closes with `N passed, N failed, N skipped`.
    Exit 0 when nothing failed, 1 when a case failed, 2 when a suite is unreadable.
    """
    from mule_emulator.errors import MuleEmulatorError
    from mule_emulator.suites.loader import load_suite
    from mule_emulator.suites.report import write_junit
    from mule_emulator.suites.runner import SuiteRunner

    _configure_logging(log_level.upper())
    try:
        classes = _build_class_map(class_maps, class_options)
        loaded = [load_suite(path, root=root) for path in suites]
    except MuleEmulatorError as exc:
        _echo_error(str(exc))
        ctx.exit(EXIT_USAGE)
    runner = SuiteRunner(class_map=classes, jobs=jobs)
    results = []
    for suite in loaded:
        if len(loaded) > 1:
            click.echo(f"== {suite.path}")
        results.append(runner.run(suite, keyword=keyword, on_result=lambda r: click.echo(r.line())))
    passed = sum(r.passed for r in results)
    failed = sum(r.failed for r in results)
    skipped = sum(r.skipped for r in results)
    if junit_path:
        try:
            write_junit(results, junit_path)
        except OSError as exc:
            _echo_error(f"cannot write JUnit report {junit_path}: {exc.strerror or exc}")
            click.echo(f"{passed} passed, {failed} failed, {skipped} skipped")
            ctx.exit(EXIT_USAGE)
    click.echo(f"{passed} passed, {failed} failed, {skipped} skipped")
    ctx.exit(EXIT_FAILED if failed else EXIT_OK)


# ==================================================================== queues
# (section owned by the queues command)
# The work is in mule_emulator.queues.inspection; this section only formats and maps
# errors to exit codes: 2 for a folder or queue that is not there, 1 for a purge that
# was declined or refused (the folder is in use, the disk failed).


def _queues_default_data_dir(configs: tuple[str, ...]) -> Any:
    """``run``'s data folder when --data-dir is not given: Mule's .mule/<app>/ beside the
    first config (the app is named after that file, as load_app names it)."""
    from pathlib import Path

    from mule_emulator.queues.data_dir import default_data_dir

    first = Path(configs[0])
    return default_data_dir(first, first.stem)



def _queues_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def _queues_table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


@cli.command("queues")
@click.argument("folder", type=click.Path(file_okay=False), metavar="DIR")
@click.option("--show", "show", metavar="NAME", help="Print the messages of queue NAME.")
@click.option("--purge", "purge", metavar="NAME", help="Delete every message of queue NAME.")
@click.option("--yes", is_flag=True, help="Do not ask before --purge (for scripts).")
@click.option(
    "--limit", type=click.IntRange(min=1), default=None, metavar="N", help="--show: first N."
)
@click.option(
    "--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True
)
def queues_command(
    folder: str, show: str | None, purge: str | None, yes: bool, limit: int | None, fmt: str
) -> None:
    """List the persistent queues in DIR (an app's data folder, e.g. .mule/<app>, or its
    queuestore folder) with their depth and size; --show or --purge one of them.

    Reading works while the application runs; --purge needs it stopped.
    """
    import dataclasses
    import json
    from pathlib import Path

    from mule_emulator.errors import InputError, MuleEmulatorError
    from mule_emulator.queues import inspection

    if show and purge:
        raise click.UsageError("--show and --purge cannot be used together")
    path = Path(folder)
    try:
        if purge:
            if not yes:
                click.confirm(f"Delete every message of queue '{purge}' in {path}?", abort=True)
            count = inspection.purge_queue(path, purge)
            if fmt == "json":
                click.echo(json.dumps({"queue": purge, "purged": count}))
            else:
                click.echo(f"purged {count} message{'' if count == 1 else 's'} from '{purge}'")
        elif show:
            messages = inspection.show_queue(path, show, limit)
            if fmt == "json":
                data = [dataclasses.asdict(m) for m in messages]
                click.echo(json.dumps({"queue": show, "messages": data}, indent=2))
            else:
                _queues_print_messages(show, messages)
        else:
            queues = inspection.list_queues(path)
            if fmt == "json":
                click.echo(json.dumps([dataclasses.asdict(q) for q in queues], indent=2))
            elif not queues:
                click.echo(f"no persistent queues in {path}")
            else:
                rows = [["QUEUE", "DEPTH", "SIZE", "IN FLIGHT"]] + [
                    [q.name, str(q.depth), _queues_size(q.size_bytes), str(q.in_flight)]
                    for q in queues
                ]
                click.echo(_queues_table(rows))
    except InputError as exc:
        _echo_error(str(exc))
        sys.exit(EXIT_USAGE)
    except MuleEmulatorError as exc:
        _echo_error(str(exc))
        sys.exit(EXIT_FAILED)


def _queues_print_messages(name: str, messages: list[Any]) -> None:
    if not messages:
        click.echo(f"queue '{name}' is empty")
        return
    for m in messages:
        state = "" if m.state == "queued" else f" [{m.state}]"
        click.echo(f"#{m.position}{state} id={m.id or '-'} ({_queues_size(m.size_bytes)})")
        if m.problem:
            click.echo(f"  unreadable: {m.problem}")
            continue
        for scope, values in m.properties.items():
            for key, value in values.items():
                click.echo(f"  {scope} {key} = {value}")
        click.echo(f"  payload ({m.payload_type}): {m.payload_preview}")


# ==================================================================== explain / graph
# (section owned by the teaching views)
# Each command loads the configuration as the parser sees it (no runtime, no threads)
# and prints one document; bad input exits 2 with a message, never a traceback.


def _views_load(configs: tuple[str, ...], defines: tuple[str, ...]) -> Any:
    """Parse CONFIG... into an AppConfig; unusable input exits 2 with a message."""
    from mule_emulator.errors import ConfigError
    from mule_emulator.model import load_app_config

    try:
        return load_app_config(list(configs), _parse_properties(defines))
    except ConfigError as exc:
        _echo_error(str(exc))
        sys.exit(EXIT_USAGE)


def _views_write(text: str, output: str | None) -> None:
    if not output:
        click.echo(text, nl=False)
        return
    try:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        _echo_error(f"cannot write {output}: {exc.strerror or exc}")
        sys.exit(EXIT_USAGE)


@cli.command("explain")
@click.argument("configs", nargs=-1, required=True, metavar="CONFIG...")
@click.option("-D", "defines", multiple=True, metavar="KEY=VALUE", help="A property for ${...}.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("text", "json", "markdown")),
    default="text",
    show_default=True,
)
@click.option(
    "--only",
    multiple=True,
    metavar="NAME",
    help="Show only this connector, flow, service or queue (repeatable).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, metavar="FILE")
def explain_command(
    configs: tuple[str, ...],
    defines: tuple[str, ...],
    fmt: str,
    only: tuple[str, ...],
    output: str | None,
) -> None:
    """Show what CONFIG... really does: every connector, endpoint, flow and service with
    its effective settings, each marked explicit (file:line), Mule default (with the
    rule) or derived, and why."""
    from mule_emulator.views.effective_constructs import effective_app
    from mule_emulator.views.explain import explain, part_names

    app = _views_load(configs, defines)
    if only:
        known = part_names(effective_app(app))
        unknown = [name for name in only if name not in known]
        if unknown:
            _echo_error(
                f"--only: no connector, flow, service or queue named {', '.join(unknown)} "
                f"(known: {', '.join(known)})"
            )
            sys.exit(EXIT_USAGE)
    _views_write(explain(app, fmt, only), output)


def _run_trace(
    ctx: click.Context, trace: bool, trace_format: str | None, trace_file: str | None
) -> None:
    """``run --trace``: record the event timeline until the command ends (the tracer is
    removed when the click context closes, after the application has stopped)."""
    if not (trace or trace_format or trace_file):
        return
    from mule_emulator.views.trace import tracing_to

    sink: Any = sys.stdout
    if trace_file:
        try:
            sink = ctx.with_resource(open(trace_file, "w", encoding="utf-8"))  # noqa: SIM115
        except OSError as exc:
            _echo_error(f"cannot write {trace_file}: {exc.strerror or exc}")
            ctx.exit(EXIT_USAGE)
    ctx.with_resource(tracing_to(sink, trace_format or "text"))


@cli.command("graph")
@click.argument("configs", nargs=-1, required=True, metavar="CONFIG...")
@click.option("-D", "defines", multiple=True, metavar="KEY=VALUE", help="A property for ${...}.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("mermaid", "dot", "svg", "png")),
    default="mermaid",
    show_default=True,
    help="svg and png need Graphviz's `dot` program.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, metavar="FILE")
def graph_command(
    configs: tuple[str, ...], defines: tuple[str, ...], fmt: str, output: str | None
) -> None:
    """Draw CONFIG... as a diagram: flows and services as boxes, VM queues as queues
    (persistent ones marked), one-way arrows plain, request-response arrows thick with
    a dashed reply, flow-refs, and dotted on-error / dead-letter paths."""
    from mule_emulator.errors import MuleEmulatorError
    from mule_emulator.views import graph

    app = _views_load(configs, defines)
    if fmt in ("mermaid", "dot"):
        _views_write(graph.graph_text(app, fmt), output)
        return
    program = graph.find_dot()
    if program is None:
        _echo_error(
            f"--format {fmt} needs Graphviz's `dot` program, which is not installed (not on "
            "PATH); install Graphviz, or use --format dot or --format mermaid"
        )
        sys.exit(EXIT_USAGE)
    try:
        image = graph.render_image(graph.graph_text(app, "dot"), fmt, program)
    except MuleEmulatorError as exc:
        _echo_error(str(exc))
        sys.exit(EXIT_FAILED)
    if not output:
        sys.stdout.buffer.write(image)
        sys.stdout.flush()
        return
    try:
        with open(output, "wb") as handle:
            handle.write(image)
    except OSError as exc:
        _echo_error(f"cannot write {output}: {exc.strerror or exc}")
        sys.exit(EXIT_USAGE)




def main() -> None:
    """Console-script entry point."""
    try:
        cli.main(prog_name="mule-emu", standalone_mode=True)
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        sys.exit(EXIT_INTERRUPTED)

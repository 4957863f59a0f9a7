"""roleprobe's main: signals first, then settings, probe, verdict, log, exec.

Only the standard library's core is imported at module level: the signal
handlers must be in place before anything heavy is imported.
"""

from __future__ import annotations

import os
import sys
import time

from roleprobe._exec import (
    Signals,
    exec_isolated,
    execute,
    flush_python_streams,
    hold_standard_fds,
    original_environment,
    release,
)

TYPE_CHECKING = False  # typing costs start-up time before the handlers exist
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from roleprobe._detect import Sdk
    from roleprobe._log import Logger, Redactor
    from roleprobe._settings import Settings
    from roleprobe._verdict import Resolution, Verdict


def main(argv: Sequence[str] | None = None) -> int:
    """Run roleprobe; return an exit status, or never return after exec."""
    signals = Signals()
    signals.install()
    started = time.monotonic()
    args = sys.argv[1:] if argv is None else argv
    if argv is None and not sys.flags.isolated and not getattr(sys, "frozen", False):
        _seal(args)  # before holding fds: the new process must find them closed
    held = hold_standard_fds()
    from roleprobe._errors import EX_SOFTWARE  # noqa: PLC0415 - after the handlers
    from roleprobe._log import Redactor, configure  # noqa: PLC0415
    from roleprobe._settings import log_format  # noqa: PLC0415

    environ = os.environ
    redactor = Redactor()
    log = configure(log_format(environ), redactor)
    try:
        status = _main(
            args, environ, log, redactor, signals=signals, held=held, started=started
        )
    except Exception as e:
        log.error("internal_error", reason=type(e).__name__)
        status = EX_SOFTWARE
    _stop_children()
    if argv is None:
        # As a command, exit now: tearing down the interpreter (botocore's
        # modules, an abandoned attempt's thread) would only add time.
        flush_python_streams()
        os._exit(status)
    return status


def _seal(args: Sequence[str]) -> None:
    """Start again isolated from the application's Python (-I), if not already.

    PYTHONPATH, PYTHONHOME, user site-packages and the working directory
    belong to the application; the exact environment goes on to the command.
    """
    package_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    exec_isolated(sys.executable, package_dir, args)


def _main(
    args: Sequence[str],
    environ: Mapping[str, str],
    log: Logger,
    redactor: Redactor,
    *,
    signals: Signals,
    held: Sequence[int],
    started: float,
) -> int:
    """Do the work of main; any exception is a bug reported by main."""
    from roleprobe._args import USAGE, parse  # noqa: PLC0415
    from roleprobe._detect import detect  # noqa: PLC0415
    from roleprobe._errors import EX_CONFIG, EX_USAGE, ConfigError, UsageError  # noqa: PLC0415
    from roleprobe._log import write_line, write_out  # noqa: PLC0415
    from roleprobe._settings import load, unknown  # noqa: PLC0415
    from roleprobe._verdict import decide  # noqa: PLC0415
    from roleprobe._version import VERSION  # noqa: PLC0415

    try:
        invocation = parse(args)
    except UsageError as e:
        log.error("usage_error", reason=str(e))
        write_line(USAGE)
        return EX_USAGE
    if invocation.action == "help":
        write_out(USAGE)
        return 0
    if invocation.action == "version":
        write_out(f"roleprobe {VERSION}\n")
        return 0
    for name in unknown(environ):
        log.warning("setting_unknown", setting=name)
    try:
        settings = load(environ)
    except ConfigError as e:
        log.error("config_invalid", setting=e.setting, reason=e.reason)
        return EX_CONFIG
    # The deadline counts from roleprobe's start, imports included.
    spent = time.monotonic() - started
    settings = settings._replace(deadline=max(0.001, settings.deadline - spent))
    sdk, detected_from = detect(invocation.command, settings.sdk, environ)
    found = _probe(environ, settings, log, redactor, sdk)
    found = _with_sdk(found, sdk, detected_from)
    verdict = decide(found, settings, check=invocation.action == "check")
    _write(log, verdict)
    if invocation.action == "check" and settings.log_format == "console":
        from roleprobe._table import render  # noqa: PLC0415 - for people only

        write_line(
            "\n" + redactor.clean_text(render(found, verdict, settings.expected_text))
        )
    if settings.emf:
        from roleprobe._emf import line  # noqa: PLC0415 - opt-in

        write_line(line(verdict.outcome, found.source, found.elapsed_ms))
    if verdict.exit_status is not None:
        return verdict.exit_status
    return _run(invocation.command, signals, held, log)


def _run(
    command: Sequence[str], signals: Signals, held: Sequence[int], log: Logger
) -> int:
    """Become the command; log and return a status only when that fails."""
    _stop_children()
    flush_python_streams()
    block = original_environment()
    signals.restore()
    release(held)
    status, reason = execute(command, block)
    signals.quiet()
    log.error("exec_failed", command=command[0], reason=reason)
    return status


def _stop_children() -> None:
    """Stop the processes the SDK started, if it started any (botocore's path)."""
    children = sys.modules.get("roleprobe._children")
    if children is not None:
        children.stop_all()


def _with_sdk(found: Resolution, sdk: Sdk, detected_from: str) -> Resolution:
    """Return *found* saying whose chain was followed."""
    return found._replace(sdk=sdk, sdk_detected_from=detected_from)


def _probe(
    environ: Mapping[str, str],
    settings: Settings,
    log: Logger,
    redactor: Redactor,
    sdk: Sdk,
) -> Resolution:
    """Find the credentials and identity, turning any bug into a reason."""
    from roleprobe._probe import probe  # noqa: PLC0415
    from roleprobe._verdict import Resolution  # noqa: PLC0415

    try:
        return probe(environ, settings, log, redactor, sdk)
    except Exception as e:
        return Resolution(source="none", failure=f"internal error: {type(e).__name__}")


def _write(log: Logger, verdict: Verdict) -> None:
    """Write the verdict's events."""
    for event in verdict.events:
        getattr(log, event.level)(event.name, **event.fields)

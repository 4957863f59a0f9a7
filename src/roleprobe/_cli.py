"""roleprobe's main: settings, probe, verdict, log, exec."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

from roleprobe._args import USAGE, parse
from roleprobe._errors import EX_CONFIG, EX_SOFTWARE, EX_USAGE, ConfigError, UsageError
from roleprobe._exec import Signals, execute
from roleprobe._log import Logger, Redactor, configure, write_line
from roleprobe._settings import Settings, load, log_format
from roleprobe._verdict import Resolution, Verdict, decide
from roleprobe._version import VERSION


def main(argv: Sequence[str] | None = None) -> int:
    """Run roleprobe; return an exit status, or never return after exec."""
    args = sys.argv[1:] if argv is None else argv
    environ = os.environ
    signals = Signals()
    signals.install()
    redactor = Redactor()
    log = configure(log_format(environ), redactor)
    try:
        return _main(args, environ, signals, log, redactor)
    except Exception as e:
        log.error("internal_error", reason=type(e).__name__)
        return EX_SOFTWARE


def _main(
    args: Sequence[str],
    environ: Mapping[str, str],
    signals: Signals,
    log: Logger,
    redactor: Redactor,
) -> int:
    """Do the work of main; any exception is a bug reported by main."""
    try:
        invocation = parse(args)
    except UsageError as e:
        log.error("usage_error", reason=str(e))
        write_line(USAGE)
        return EX_USAGE
    if invocation.action == "help":
        sys.stdout.write(USAGE)
        return 0
    if invocation.action == "version":
        sys.stdout.write(f"roleprobe {VERSION}\n")
        return 0
    try:
        settings = load(environ)
    except ConfigError as e:
        log.error("config_invalid", setting=e.setting, reason=e.reason)
        return EX_CONFIG
    found = _probe(environ, settings, log, redactor)
    verdict = decide(found, settings, check=invocation.action == "check")
    _write(log, verdict)
    if invocation.action == "check" and settings.log_format == "console":
        from roleprobe._table import render  # noqa: PLC0415 - for people only

        write_line("\n" + render(found, verdict, settings.expected_text))
    if settings.emf:
        from roleprobe._emf import line  # noqa: PLC0415 - opt-in

        write_line(line(verdict.outcome, found.source, found.elapsed_ms))
    if verdict.exit_status is not None:
        return verdict.exit_status
    command = invocation.command
    signals.restore()
    status, reason = execute(command)
    log.error("exec_failed", command=command[0], reason=reason)
    return status


def _probe(
    environ: Mapping[str, str], settings: Settings, log: Logger, redactor: Redactor
) -> Resolution:
    """Find the credentials and identity, turning any bug into a reason."""
    from roleprobe._probe import probe  # noqa: PLC0415

    try:
        return probe(environ, settings, log, redactor)
    except Exception as e:
        return Resolution(source="none", failure=f"internal error: {type(e).__name__}")


def _write(log: Logger, verdict: Verdict) -> None:
    """Write the verdict's events."""
    for event in verdict.events:
        getattr(log, event.level)(event.name, **event.fields)

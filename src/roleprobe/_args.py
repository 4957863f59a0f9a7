"""The command line: roleprobe [--check] [--] COMMAND [ARG...]."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from roleprobe._errors import UsageError

USAGE = """\
usage: roleprobe [--check] [--] COMMAND [ARG...]
       roleprobe --check
       roleprobe --version | --help

Probe the AWS credentials the application's SDK will use, log the source and
role as one JSON line on stderr, check EXPECTED_ROLE_ARN, then exec COMMAND.

options:
  --check     probe and check, log, and exit without running a command
  --version   print the version and exit
  --help      print this help and exit

Settings are environment variables; see the README.
"""

Action = Literal["run", "check", "help", "version"]


@dataclass(frozen=True, slots=True)
class Invocation:
    """What the command line asks for."""

    action: Action
    command: tuple[str, ...] = ()


def parse(argv: Sequence[str]) -> Invocation:
    """Parse the arguments after the program name."""
    check = False
    for i, arg in enumerate(argv):
        if arg == "--":
            return _finish(check, tuple(argv[i + 1 :]))
        if arg in ("--help", "-h"):
            return Invocation("help")
        if arg == "--version":
            return Invocation("version")
        if arg == "--check":
            check = True
        elif arg.startswith("-") and arg != "-":
            # the name only: a value after '=' could be anything, a secret too
            raise UsageError(f"unknown option {arg.split('=', 1)[0][:64]!r}")
        else:
            return _finish(check, tuple(argv[i:]))
    return _finish(check, ())


def _finish(check: bool, command: tuple[str, ...]) -> Invocation:
    """Return the invocation once the options have ended."""
    if check:
        return Invocation("check", command)
    if not command:
        raise UsageError("no command given")
    return Invocation("run", command)

"""The command line: roleprobe [--check] [--] COMMAND [ARG...]."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

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

settings (environment variables; the README says more):
  EXPECTED_ROLE_ARN      role patterns the application must run as (unset)
  ROLEPROBE_ON_MISMATCH  fail or warn when the role is not the expected one (fail)
  ROLEPROBE_TIMEOUT      seconds one attempt may take (5)
  ROLEPROBE_ATTEMPTS     attempts per endpoint, the first included (6)
  ROLEPROBE_DEADLINE     seconds all probing together may take (30)
  ROLEPROBE_VERIFY       auto, always or never ask STS who the credentials are (auto)
  ROLEPROBE_LOG_FORMAT   json, or console for people (json)
  ROLEPROBE_EMF          true: also print a CloudWatch metric line (false)
  ROLEPROBE_SDK          auto, python, js, go or java: whose chain to follow (auto)

exit status: the command's own; 0 check ok; 2 usage; 69 no credentials or
identity; 77 role mismatch; 78 bad setting; 126/127 command not runnable/found.
"""

Action = Literal["run", "check", "help", "version"]
_FLAGS = ("--check", "--help", "--version")


class Invocation(NamedTuple):
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
        elif arg.split("=", 1)[0] in _FLAGS and "=" in arg:
            raise UsageError(f"option {arg.split('=', 1)[0]!r} takes no value")
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

"""The command line, parsed without running anything."""

import pytest

from roleprobe._args import Invocation, parse
from roleprobe._errors import UsageError


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["app"], Invocation("run", ("app",))),
        (["--", "app", "-x"], Invocation("run", ("app", "-x"))),
        (["app", "--check", "--"], Invocation("run", ("app", "--check", "--"))),
        (["--", "--check"], Invocation("run", ("--check",))),
        (["--", "-"], Invocation("run", ("-",))),
        (["-", "x"], Invocation("run", ("-", "x"))),
        (["--", "", " a b ", "é"], Invocation("run", ("", " a b ", "é"))),
        (["--check"], Invocation("check")),
        (["--check", "--"], Invocation("check")),
        (["--check", "--", "app"], Invocation("check", ("app",))),
        (["--help"], Invocation("help")),
        (["-h"], Invocation("help")),
        (["--version"], Invocation("version")),
        (["--check", "--version"], Invocation("version")),
    ],
)
def test_parse(argv: list[str], expected: Invocation) -> None:
    assert parse(argv) == expected


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        ([], "no command given"),
        (["--"], "no command given"),
        (["--bogus", "app"], "unknown option '--bogus'"),
        (["-x"], "unknown option '-x'"),
        (["--check", "--nope"], "unknown option '--nope'"),
        (["--token=s3cr3t", "app"], "unknown option '--token'$"),
    ],
)
def test_usage_errors(argv: list[str], reason: str) -> None:
    with pytest.raises(UsageError, match=reason):
        parse(argv)

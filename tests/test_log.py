"""The one writer and the redactor, in process."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest

from roleprobe import _log
from roleprobe._log import REDACTED, Redactor, write_line


@contextlib.contextmanager
def pipe_on_fd2() -> Iterator[int]:
    """Put a pipe's write end on fd 2 inside the test body; yield the read end.

    (Not a fixture: pytest puts its own capture back on fd 2 between setup
    and the test.)  The real fd 2 is restored after, whatever the test closed.
    """
    saved = os.dup(2)
    r, w = os.pipe()
    os.dup2(w, 2)
    os.close(w)
    try:
        yield r
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(r)


def test_a_line_goes_to_fd_2() -> None:
    with pipe_on_fd2() as r:
        write_line('{"event": "x"}')
        assert os.read(r, 100) == b'{"event": "x"}\n'


def test_a_full_pipe_costs_at_most_the_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_log, "WRITE_BUDGET_S", 0.1)
    with pipe_on_fd2() as r:
        os.set_blocking(2, False)
        with contextlib.suppress(BlockingIOError):
            while True:
                os.write(2, b"x" * 65536)
        os.set_blocking(2, True)
        write_line("dropped")  # returns instead of blocking forever
        assert b"dropped" not in os.read(r, 1 << 20)


def test_a_broken_pipe_is_ignored() -> None:
    with pipe_on_fd2() as r:
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, r)  # the pipe's only reader is gone
        os.close(devnull)
        write_line("nobody reads this")


def test_a_closed_fd_2_is_ignored() -> None:
    with pipe_on_fd2():
        os.close(2)
        write_line("nowhere to go")


def test_redactor_replaces_known_secrets_and_key_ids() -> None:
    redactor = Redactor()
    redactor.add(["SECRET-value-123"])
    cleaned = redactor._clean("got SECRET-value-123 and AKIAABCDEFGHIJKLMNOP")
    assert cleaned == f"got {REDACTED} and {REDACTED}"


def test_a_short_secret_never_garbles_what_is_not_a_secret() -> None:
    redactor = Redactor()
    redactor.add(["test", "/creds"])  # LocalStack's keys; a full URI's short path
    arn = "arn:aws:iam::000000000000:role/test-creds/creds"
    event = {"event": "role_verified", "level": "info", "role_arn": arn}
    assert redactor(None, "info", event) == event
    assert redactor._clean("test") == REDACTED  # where it is the whole value


def test_a_long_secret_is_taken_out_of_arns_too() -> None:
    redactor = Redactor()
    token = "SECRET-token-0123456789"
    redactor.add([token])
    out = redactor(
        None, "info", {"event": "x", "role_arn": f"arn:aws:iam::1:role/{token}"}
    )
    assert token not in str(out)


def test_people_s_text_is_escaped_and_redacted() -> None:
    redactor = Redactor()
    redactor.add(["SECRET-token-0123456789"])
    text = "role\x1b[31m forged\nline SECRET-token-0123456789"
    cleaned = redactor.clean_text(text)
    assert "\x1b" not in cleaned
    assert "SECRET" not in cleaned
    assert cleaned.count("\n") == 1  # the text's own line break stays

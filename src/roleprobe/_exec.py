"""Signals while probing, and replacing roleprobe with the command."""

from __future__ import annotations

import errno
import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType

_HANDLED = (signal.SIGTERM, signal.SIGINT)
# CPython ignores these at start-up; os.execvp would pass that on.
_RESET_BY_PYTHON = (signal.SIGPIPE, signal.SIGXFSZ)

Disposition = signal.Handlers | int | None | object


class Signals:
    """Exit 128+N on SIGTERM or SIGINT while probing; undo it all before exec."""

    def __init__(self) -> None:
        self._mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
        self._original: dict[int, Disposition] = {}
        for signum in _HANDLED:
            current = signal.getsignal(signum)
            if current is signal.default_int_handler:
                current = signal.SIG_DFL  # what CPython replaced at start-up
            self._original[signum] = current

    def install(self) -> None:
        """Handle SIGTERM and SIGINT unless they were ignored at start."""
        for signum, original in self._original.items():
            if original is not signal.SIG_IGN:
                signal.signal(signum, _exit_on_signal)

    def restore(self) -> None:
        """Give the command the dispositions and mask roleprobe started with."""
        for signum, original in self._original.items():
            signal.signal(signum, original)  # type: ignore[arg-type]
        for signum in _RESET_BY_PYTHON:
            signal.signal(signum, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, self._mask)


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    """Stop at once: the command must not start."""
    os._exit(128 + signum)


def execute(command: Sequence[str]) -> tuple[int, str]:
    """Replace this process with *command*; return (status, reason) on failure."""
    for stream in (sys.stdout, sys.stderr):  # None when the fd was closed
        if stream is not None:
            stream.flush()
    try:
        env = _environment()
        if env is None:
            os.execvp(command[0], list(command))  # noqa: S606 - the point
        else:
            os.execvpe(command[0], list(command), env)  # noqa: S606
    except FileNotFoundError:
        return 127, "command not found"
    except NotADirectoryError:
        return 127, "command not found"
    except PermissionError:
        return 126, "permission denied"
    except OSError as e:
        if e.errno == errno.ENOEXEC:
            return 126, "exec format error"
        return 126, e.strerror or type(e).__name__
    raise AssertionError("unreachable")  # pragma: no cover


def _environment() -> dict[str, str] | None:
    """Return the environment without CPython's own LC_CTYPE, or None if unchanged.

    Started with LANG unset or C, CPython coerces the locale (PEP 538) and
    sets LC_CTYPE in its own environment, which exec would pass on.  The
    process's initial environment tells whether LC_CTYPE was really given.
    """
    if "LC_CTYPE" not in os.environ:
        return None
    try:
        with open("/proc/self/environ", "rb") as f:
            initial = f.read().split(b"\0")
    except OSError:
        return None
    if any(entry.startswith(b"LC_CTYPE=") for entry in initial):
        return None
    env = dict(os.environ)
    del env["LC_CTYPE"]
    return env

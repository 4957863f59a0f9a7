"""structlog set up for one JSON object per line on stderr, secrets redacted."""

from __future__ import annotations

import logging
import os
import re
import select
import time
import warnings
from collections.abc import Iterable, MutableMapping
from typing import Any, Protocol

import structlog

from roleprobe._settings import LogFormat
from roleprobe._table import escape

REDACTED = "[REDACTED]"
_ACCESS_KEY_ID = re.compile(
    r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA)[A-Z0-9]{12,}"
)


class Logger(Protocol):
    """What roleprobe calls on its logger."""

    def info(self, event: str, **kw: Any) -> Any: ...
    def warning(self, event: str, **kw: Any) -> Any: ...
    def error(self, event: str, **kw: Any) -> Any: ...


#: Fields whose values roleprobe itself writes: never redacted.
_OWN = frozenset({"event", "level", "timestamp"})
#: Fields that hold ARNs, names and numbers: only a known secret is taken
#: out of them, never a mere look-alike of an access key id.
_STRUCTURED = frozenset(
    {
        "role_arn",
        "identity_arn",
        "expected",
        "account_id",
        "source",
        "shadowed",
        "sdk",
        "sdk_detected_from",
        "verified_by",
        "expiration",
        "setting",
        "command",
    }
)
#: A secret this short (LocalStack's ``test``) is redacted only where it is
#: the whole value: inside other text it would garble what is not a secret.
MIN_EMBEDDED = 8


class Redactor:
    """Take known secrets out of every value, and key-id look-alikes out of text."""

    def __init__(self) -> None:
        self._short: set[str] = set()
        self._long: set[str] = set()

    def add(self, values: Iterable[str]) -> None:
        """Remember more values that must never be written."""
        for value in values:
            if value:
                (self._long if len(value) >= MIN_EMBEDDED else self._short).add(value)

    def __call__(
        self, _logger: object, _name: str, event: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        """Redact every value in the event, however deep; never names or levels."""
        ordered = {"event": event.get("event")} | dict(event)
        return {
            k: v if k in _OWN else self._clean(v, text=k not in _STRUCTURED)
            for k, v in ordered.items()
        }

    def clean_text(self, text: str) -> str:
        """Return text for people, escaped and redacted like the log lines."""
        return "\n".join(escape(self._clean(line)) for line in text.split("\n"))

    def _clean(self, value: Any, *, text: bool = True) -> Any:
        if isinstance(value, str):
            if value in self._short or value in self._long:
                return REDACTED
            for secret in self._long:
                if secret in value:
                    value = value.replace(secret, REDACTED)
            return _ACCESS_KEY_ID.sub(REDACTED, value) if text else value
        if isinstance(value, dict):
            return {k: self._clean(v, text=text) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._clean(v, text=text) for v in value]
        return value


def _escape_values(
    _logger: object, _name: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Escape control characters in string values, for the console renderer."""
    return {k: escape(v) if isinstance(v, str) else v for k, v in event.items()}


#: How long all writing may wait for a full stderr: after that, it is taken as
#: stuck and every later line is dropped at once.
WRITE_BUDGET_S = 1.0
_stuck: set[int] = set()
_CHUNK = 4096  # PIPE_BUF: a pipe that polls writable takes this much at once


def write_out(text: str) -> None:
    """Write text for the user (--help, --version) to fd 1, the same safe way."""
    _write(1, text)


def write_line(text: str) -> None:
    """Write one line to fd 2; every line roleprobe logs goes through here."""
    _write(2, text)


def _write(fd: int, text: str) -> None:
    """Write one line to *fd*; never fail, never block for long.

    A closed, full or broken stderr must not stop the command from starting:
    errors drop the line, and a reader that does not read costs at most
    WRITE_BUDGET_S.  Every line roleprobe writes goes through here.
    """
    if fd in _stuck:
        return
    data = (text.rstrip("\n") + "\n").encode("utf-8", "backslashreplace")
    end = time.monotonic() + WRITE_BUDGET_S
    try:
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        while data:
            left_ms = (end - time.monotonic()) * 1000
            ready = poller.poll(left_ms) if left_ms > 0 else []
            if not ready:
                _stuck.add(fd)
                return
            if ready[0][1] & (select.POLLERR | select.POLLHUP | select.POLLNVAL):
                return
            data = data[os.write(fd, data[:_CHUNK]) :]
    except (OSError, ValueError):
        return


class _Stderr:
    """structlog's output: each rendered event through write_line."""

    def msg(self, message: str) -> None:
        """Write one line."""
        write_line(message)

    info = warning = error = msg


def configure(fmt: LogFormat, redactor: Redactor) -> Logger:
    """Return a logger writing *fmt* lines to stderr; silence other loggers."""
    logging.getLogger().addHandler(logging.NullHandler())
    logging.getLogger().setLevel(logging.CRITICAL + 1)
    logging.lastResort = None
    warnings.simplefilter("ignore")
    renderer: list[structlog.typing.Processor]
    if fmt == "console":
        colors = os.isatty(2)
        renderer = [
            _escape_values,
            structlog.dev.ConsoleRenderer(colors=colors, sort_keys=False),
        ]
    else:
        renderer = [structlog.processors.JSONRenderer()]
    logger: Logger = structlog.wrap_logger(
        _Stderr(),
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redactor,
            *renderer,
        ],
        cache_logger_on_first_use=True,
    )
    return logger

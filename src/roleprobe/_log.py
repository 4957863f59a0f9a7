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

REDACTED = "[REDACTED]"
_ACCESS_KEY_ID = re.compile(
    r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA)[A-Z0-9]{12,}"
)


class Logger(Protocol):
    """What roleprobe calls on its logger."""

    def info(self, event: str, **kw: Any) -> Any: ...
    def warning(self, event: str, **kw: Any) -> Any: ...
    def error(self, event: str, **kw: Any) -> Any: ...


class Redactor:
    """Replace known secrets and anything shaped like an access key id."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()

    def add(self, values: Iterable[str]) -> None:
        """Remember more values that must never be written."""
        self._secrets.update(v for v in values if len(v) >= 4)

    def __call__(
        self, _logger: object, _name: str, event: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        """Redact every string in the event, however deep; the event name first."""
        ordered = {"event": event.get("event")} | dict(event)
        return {k: self._clean(v) for k, v in ordered.items()}

    def _clean(self, value: Any) -> Any:
        if isinstance(value, str):
            for secret in self._secrets:
                if secret in value:
                    value = value.replace(secret, REDACTED)
            return _ACCESS_KEY_ID.sub(REDACTED, value)
        if isinstance(value, dict):
            return {k: self._clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._clean(v) for v in value]
        return value


#: How long one line may wait for a full stderr before it is dropped.
WRITE_BUDGET_S = 1.0
_CHUNK = 4096  # PIPE_BUF: a pipe that polls writable takes this much at once


def write_line(text: str) -> None:
    """Write one line to fd 2 and nowhere else; never fail, never block for long.

    A closed, full or broken stderr must not stop the command from starting:
    errors drop the line, and a reader that does not read costs at most
    WRITE_BUDGET_S.  Every line roleprobe writes goes through here.
    """
    data = (text.rstrip("\n") + "\n").encode("utf-8", "backslashreplace")
    end = time.monotonic() + WRITE_BUDGET_S
    try:
        poller = select.poll()
        poller.register(2, select.POLLOUT)
        while data:
            left_ms = (end - time.monotonic()) * 1000
            if left_ms <= 0:
                return
            ready = poller.poll(left_ms)
            if not ready or ready[0][1] & (
                select.POLLERR | select.POLLHUP | select.POLLNVAL
            ):
                return
            data = data[os.write(2, data[:_CHUNK]) :]
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
    renderer: structlog.typing.Processor
    if fmt == "console":
        renderer = structlog.dev.ConsoleRenderer(colors=os.isatty(2), sort_keys=False)
    else:
        renderer = structlog.processors.JSONRenderer()
    logger: Logger = structlog.wrap_logger(
        _Stderr(),
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redactor,
            renderer,
        ],
        cache_logger_on_first_use=True,
    )
    return logger

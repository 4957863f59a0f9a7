"""structlog set up for one JSON object per line on stderr, secrets redacted."""

from __future__ import annotations

import logging
import os
import re
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


class _Stderr:
    """Write each line to fd 2 at once: flushed before exec, never fatal."""

    def msg(self, message: str) -> None:
        """Write one line; a closed or broken stderr must not stop the start."""
        data = (message + "\n").encode("utf-8", "backslashreplace")
        try:
            while data:
                data = data[os.write(2, data) :]
        except OSError:
            pass

    info = warning = error = msg


def write_stderr(text: str) -> None:
    """Write text for people to stderr the same safe way as the log lines."""
    _Stderr().msg(text.rstrip("\n"))


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

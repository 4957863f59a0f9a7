"""roleprobe's own settings: read once from the environment and validated."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal, NamedTuple, TypeVar

from roleprobe._errors import ConfigError
from roleprobe._match import Pattern, PatternError, parse_expected

OnMismatch = Literal["fail", "warn"]
Verify = Literal["auto", "always", "never"]
LogFormat = Literal["json", "console"]
SdkSetting = Literal["auto", "python", "js", "go", "java"]

#: Every ROLEPROBE_* variable roleprobe reads; any other is a likely typo.
KNOWN = (
    "ROLEPROBE_ON_MISMATCH",
    "ROLEPROBE_TIMEOUT",
    "ROLEPROBE_ATTEMPTS",
    "ROLEPROBE_DEADLINE",
    "ROLEPROBE_VERIFY",
    "ROLEPROBE_LOG_FORMAT",
    "ROLEPROBE_EMF",
    "ROLEPROBE_SDK",
)
MAX_TIMEOUT = 3600.0
MAX_DEADLINE = 86400.0
MAX_ATTEMPTS = 100
DEFAULT_ATTEMPTS = 6
_W = TypeVar("_W", bound=str)


class Settings(NamedTuple):
    """Everything roleprobe reads from ``ROLEPROBE_*`` and ``EXPECTED_ROLE_ARN``."""

    expected: tuple[Pattern, ...] | None = None
    expected_text: str | None = None
    on_mismatch: OnMismatch = "fail"
    timeout: float = 5.0
    attempts: int = DEFAULT_ATTEMPTS
    deadline: float = 30.0
    verify: Verify = "auto"
    log_format: LogFormat = "json"
    emf: bool = False
    sdk: SdkSetting = "auto"


def log_format(environ: Mapping[str, str]) -> LogFormat:
    """Return the log format, falling back to JSON when the value is invalid."""
    try:
        return _word(environ, "ROLEPROBE_LOG_FORMAT", ("json", "console"), "json")
    except ConfigError:
        return "json"


def load(environ: Mapping[str, str]) -> Settings:
    """Read and validate the settings; raise ConfigError naming the variable."""
    expected_text = environ.get("EXPECTED_ROLE_ARN")
    expected = None
    if expected_text is not None:
        try:
            expected = parse_expected(expected_text)
        except PatternError as e:
            raise ConfigError("EXPECTED_ROLE_ARN", str(e)) from None
    return Settings(
        expected=expected,
        expected_text=expected_text,
        on_mismatch=_word(environ, "ROLEPROBE_ON_MISMATCH", ("fail", "warn"), "fail"),
        timeout=_seconds(environ, "ROLEPROBE_TIMEOUT", 5.0, MAX_TIMEOUT),
        attempts=_count(environ, "ROLEPROBE_ATTEMPTS", DEFAULT_ATTEMPTS, MAX_ATTEMPTS),
        deadline=_seconds(environ, "ROLEPROBE_DEADLINE", 30.0, MAX_DEADLINE),
        verify=_word(environ, "ROLEPROBE_VERIFY", ("auto", "always", "never"), "auto"),
        log_format=_word(environ, "ROLEPROBE_LOG_FORMAT", ("json", "console"), "json"),
        emf=_word(environ, "ROLEPROBE_EMF", ("true", "false"), "false") == "true",
        sdk=_word(
            environ, "ROLEPROBE_SDK", ("auto", "python", "js", "go", "java"), "auto"
        ),
    )


def unknown(environ: Mapping[str, str]) -> list[str]:
    """Return the names of ROLEPROBE_* variables that are none of the settings."""
    return sorted(
        name for name in environ if name.startswith("ROLEPROBE_") and name not in KNOWN
    )


def _word(
    environ: Mapping[str, str], name: str, allowed: tuple[_W, ...], default: _W
) -> _W:
    """Return one of *allowed* words (any case, spaces trimmed)."""
    raw = environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    for candidate in allowed:
        if word == candidate:
            return candidate
    raise ConfigError(name, f"must be one of {', '.join(allowed)}, not {_show(raw)}")


def _seconds(
    environ: Mapping[str, str], name: str, default: float, most: float
) -> float:
    """Return a positive number of seconds, at most *most*."""
    raw = environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(
            name, f"must be a number of seconds, not {_show(raw)}"
        ) from None
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(
            name, f"must be a positive number of seconds, not {_show(raw)}"
        )
    if value > most:
        raise ConfigError(name, f"must be at most {most:g} seconds, not {_show(raw)}")
    return value


def _count(environ: Mapping[str, str], name: str, default: int, most: int) -> int:
    """Return a whole number from 1 to *most*."""
    raw = environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip(), 10)
    except ValueError:
        raise ConfigError(name, f"must be a whole number, not {_show(raw)}") from None
    if value <= 0:
        raise ConfigError(name, f"must be at least 1, not {_show(raw)}")
    if value > most:
        raise ConfigError(name, f"must be at most {most}, not {_show(raw)}")
    return value


def _show(raw: str) -> str:
    """Quote a value for an error message, cut to a readable length."""
    return repr(raw if len(raw) <= 64 else raw[:64] + "...")

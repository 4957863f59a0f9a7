"""From what the probe found and what the user expects, to events and an exit.

Pure: plain data in, plain data out.  This is where the contract's events,
levels and exit statuses are decided, and nowhere else.
"""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

from roleprobe._errors import EX_NOPERM, EX_UNAVAILABLE
from roleprobe._match import account_of, matches
from roleprobe._settings import Settings

Level = Literal["info", "warning", "error"]


LinkState = Literal["winner", "winner, failed", "shadowed", "present", "not configured"]


class LinkView(NamedTuple):
    """One link of the chain as people see it in the --check table."""

    source: str
    state: LinkState
    detail: str


class Resolution(NamedTuple):
    """What probing found out; no secrets in here."""

    source: str
    #: why no credentials could be had; None when they were found
    failure: str | None = None
    role_arn: str | None = None
    identity_arn: str | None = None
    account_id: str | None = None
    expiration: str | None = None
    verified_by: str | None = None
    #: credentials were found, but not whose they are: why
    identity_unknown: str | None = None
    attempts: int = 0
    elapsed_ms: int = 0
    shadowed: tuple[str, ...] = ()
    links: tuple[LinkView, ...] = ()
    #: whose chain was followed, and how that was decided
    sdk: str = "python"
    sdk_detected_from: str = "default"

    @property
    def found(self) -> bool:
        """Tell whether credentials were found."""
        return self.failure is None


class Event(NamedTuple):
    """One log event to write."""

    level: Level
    name: str
    fields: dict[str, Any]


class Verdict(NamedTuple):
    """The events to log, and the exit status (None: run the command)."""

    events: tuple[Event, ...]
    exit_status: int | None
    outcome: str


def decide(found: Resolution, settings: Settings, *, check: bool) -> Verdict:
    """Decide what to log and whether the command may start."""
    events: list[Event] = []
    if found.shadowed:
        events.append(
            Event(
                "warning",
                "credentials_shadowed",
                {"source": found.source, "shadowed": list(found.shadowed)},
            )
        )
    expected = settings.expected
    blocking = expected is not None and settings.on_mismatch == "fail"

    # An event that stops the start, or fails the check, is an error.
    failing = blocking or check

    def stop(status: int, outcome: str) -> Verdict:
        return Verdict(tuple(events), status if failing else None, outcome)

    if not found.found:
        events.append(_unavailable(found, found.failure, failing))
        return stop(EX_UNAVAILABLE, "unavailable")
    events.append(Event("info", "credentials_resolved", _resolved_fields(found)))
    if expected is None:
        return Verdict(tuple(events), 0 if check else None, "resolved")
    assert settings.expected_text is not None
    if found.identity_arn is None:
        reason = f"identity not established: {found.identity_unknown or 'unknown'}"
        events.append(_unavailable(found, reason, failing))
        return stop(EX_UNAVAILABLE, "unavailable")
    # role_arn means what it means in credentials_resolved; identity_arn says
    # which ARN was compared when that is another (STS's assumed-role ARN).
    shown: dict[str, Any] = {"role_arn": found.role_arn}
    if found.identity_arn != found.role_arn:
        shown["identity_arn"] = found.identity_arn
    shown["expected"] = settings.expected_text
    if matches(expected, found.identity_arn):
        events.append(Event("info", "role_verified", shown))
        return Verdict(tuple(events), 0 if check else None, "verified")
    events.append(Event("error" if failing else "warning", "role_mismatch", shown))
    return stop(EX_NOPERM, "mismatch")


def _unavailable(found: Resolution, reason: str | None, failing: bool) -> Event:
    """Return a credentials_unavailable event."""
    return Event(
        "error" if failing else "warning",
        "credentials_unavailable",
        {
            "source": found.source,
            "reason": reason or "unknown",
            "sdk": found.sdk,
            "sdk_detected_from": found.sdk_detected_from,
            "attempts": found.attempts,
            "elapsed_ms": found.elapsed_ms,
        },
    )


def _resolved_fields(found: Resolution) -> dict[str, Any]:
    """Return credentials_resolved's fields, optional ones only when known."""
    fields: dict[str, Any] = {
        "source": found.source,
        "role_arn": found.role_arn,
        "sdk": found.sdk,
        "sdk_detected_from": found.sdk_detected_from,
    }
    account = found.account_id or account_of(found.identity_arn or found.role_arn or "")
    optional = {
        "account_id": account,
        "expiration": found.expiration,
        "verified_by": found.verified_by,
        "identity_arn": found.identity_arn
        if found.identity_arn != found.role_arn
        else None,
    }
    fields.update({k: v for k, v in optional.items() if v is not None})
    fields["attempts"] = found.attempts
    fields["elapsed_ms"] = found.elapsed_ms
    if found.identity_arn is None and found.identity_unknown:
        fields["identity_reason"] = found.identity_unknown
    return fields

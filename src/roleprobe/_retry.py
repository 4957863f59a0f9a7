"""Attempts bounded in time, retried with back-off and full jitter."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import tenacity

T = TypeVar("T")

#: Back-off before retry n is uniform in [0, min(MAX_WAIT, BASE_WAIT * 2**n)].
BASE_WAIT = 0.5
MAX_WAIT = 8.0


class Retryable(Exception):
    """An attempt failed in a way that asking again may fix."""


class TimedOut(Retryable):
    """An attempt ran out of time."""


class GaveUp(Exception):
    """Attempts or time ran out; carries the last reason and the count."""

    def __init__(self, reason: str, tries: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.tries = tries


@dataclass(slots=True)
class Deadline:
    """A point in time that all probing together must not pass."""

    seconds: float
    start: float = field(default_factory=time.monotonic)

    def remaining(self) -> float:
        """Return the seconds left, never negative."""
        return max(0.0, self.start + self.seconds - time.monotonic())

    def elapsed_ms(self) -> int:
        """Return the milliseconds since the start."""
        return round((time.monotonic() - self.start) * 1000)


@dataclass(frozen=True, slots=True)
class Policy:
    """How often and how long to try."""

    attempts: int
    timeout: float
    deadline: Deadline


def call_within(fn: Callable[[], T], seconds: float) -> T:
    """Return fn(), or raise Retryable when it takes more than *seconds*.

    The call runs on a daemon thread, so a stalled DNS lookup, connect or
    trickling answer cannot hold the caller past its limit; a late thread is
    abandoned and dies with the process (exec or exit).
    """
    box: list[tuple[bool, object]] = []

    def run() -> None:
        try:
            box.append((True, fn()))
        except BaseException as e:
            box.append((False, e))

    worker = threading.Thread(target=run, name="roleprobe-attempt", daemon=True)
    worker.start()
    worker.join(seconds)
    if not box:
        raise TimedOut(f"timed out after {seconds:g} s")
    ok, value = box[0]
    if ok:
        return value  # type: ignore[return-value]
    raise value  # type: ignore[misc]


def retry(
    attempt: Callable[[float], T],
    policy: Policy,
    on_retry: Callable[[int, float, str], None],
) -> tuple[T, int]:
    """Return attempt(timeout)'s result and the attempts it took.

    Only Retryable is retried; when attempts or the deadline run out, the
    last reason is raised as GaveUp.  *on_retry* gets (attempt, wait_s,
    reason).  Any other exception ends the retries as it is.
    """

    tries = 0

    def once() -> T:
        nonlocal tries
        tries += 1
        limit = min(policy.timeout, policy.deadline.remaining())
        if limit <= 0:
            raise Retryable("deadline reached")
        return call_within(lambda: attempt(limit), limit)

    def before_sleep(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        on_retry(state.attempt_number, round(state.upcoming_sleep, 3), str(exc))

    retrying = tenacity.Retrying(
        stop=tenacity.stop_any(
            tenacity.stop_after_attempt(policy.attempts), _OutOfTime(policy.deadline)
        ),
        wait=tenacity.wait_random_exponential(multiplier=BASE_WAIT, max=MAX_WAIT),
        retry=tenacity.retry_if_exception_type(Retryable),
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        return retrying(once), tries
    except Retryable as e:
        raise GaveUp(str(e), tries) from None


class _OutOfTime(tenacity.stop.stop_base):
    """Stop when the next wait would reach the deadline."""

    def __init__(self, deadline: Deadline) -> None:
        self._deadline = deadline

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        """Tell whether sleeping again would leave no time to try."""
        return retry_state.upcoming_sleep >= self._deadline.remaining()

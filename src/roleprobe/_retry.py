"""Attempts bounded in time, retried with back-off and full jitter."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import NamedTuple, TypeVar

import tenacity

from roleprobe._errors import GaveUp, Retryable, TimedOut

T = TypeVar("T")

#: Back-off before retry n is uniform in [0, min(MAX_WAIT, BASE_WAIT * 2**n)].
BASE_WAIT = 0.5
MAX_WAIT = 8.0
#: With more than one attempt, the last one starts no sooner than this after
#: the first: an agent can hand out a task's credentials a few seconds late.
PATIENCE = 5.0
#: How long past an attempt's own limit the backstop thread waits for it.
BACKSTOP_GRACE = 0.1

_testing = False


def set_testing(on: bool) -> None:
    """Turn waiting between attempts off (or on again), for tests in process."""
    global _testing  # noqa: PLW0603 - one switch, as stamina.set_testing
    _testing = on


class Deadline:
    """A point in time that all probing together must not pass."""

    __slots__ = ("clock", "seconds", "start")

    def __init__(
        self, seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self.clock = clock
        self.start = clock()

    def remaining(self) -> float:
        """Return the seconds left, never negative."""
        return max(0.0, self.start + self.seconds - self.clock())

    def elapsed_ms(self) -> int:
        """Return the milliseconds since the start."""
        return round((self.clock() - self.start) * 1000)


class Policy(NamedTuple):
    """How often and how long to try, and how to wait in between."""

    attempts: int
    timeout: float
    deadline: Deadline
    sleep: Callable[[float], None] = time.sleep


class RetryDetails(NamedTuple):
    """What a retry hook is told: the attempt that failed, the wait, the reason."""

    attempt: int
    wait_s: float
    reason: str


def call_within(fn: Callable[[], T], seconds: float) -> T:
    """Return fn(), or raise TimedOut when it takes more than *seconds*.

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
    on_retry: Callable[[RetryDetails], None],
) -> tuple[T, int]:
    """Return attempt(timeout)'s result and the attempts it took.

    Only Retryable is retried; when attempts or the deadline run out, the
    last reason is raised as GaveUp.  Any other exception ends the retries
    as it is.
    """
    tries = 0

    def once() -> T:
        nonlocal tries
        tries += 1
        limit = min(policy.timeout, policy.deadline.remaining())
        if limit <= 0:
            raise Retryable("deadline reached")
        # The attempt keeps its own time (and says what timed out); the thread
        # is the backstop for what ignores timeouts (a trickle, a DNS stall).
        return call_within(lambda: attempt(limit), limit + BACKSTOP_GRACE)

    def before_sleep(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        on_retry(RetryDetails(state.attempt_number, state.upcoming_sleep, str(exc)))

    retrying = tenacity.Retrying(
        stop=tenacity.stop_any(
            tenacity.stop_after_attempt(policy.attempts), _OutOfTime(policy.deadline)
        ),
        wait=_Patient(policy),
        retry=tenacity.retry_if_exception_type(Retryable),
        before_sleep=before_sleep,
        sleep=_no_wait if _testing else policy.sleep,
        reraise=True,
    )
    try:
        return retrying(once), tries
    except Retryable as e:
        raise GaveUp(str(e), tries) from None


def _no_wait(_seconds: float) -> None:
    """Do not wait: the testing switch is on."""


class _Patient(tenacity.wait.wait_base):
    """Full jitter, except that the wait before the last attempt reaches PATIENCE."""

    def __init__(self, policy: Policy) -> None:
        self._jitter = tenacity.wait_random_exponential(
            multiplier=BASE_WAIT, max=MAX_WAIT
        )
        self._policy = policy

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        """Return the wait before the next attempt."""
        wait = self._jitter(retry_state)
        if retry_state.attempt_number == self._policy.attempts - 1:
            waited = self._policy.deadline.clock() - self._policy.deadline.start
            wait = max(wait, PATIENCE - waited)
        return wait


class _OutOfTime(tenacity.stop.stop_base):
    """Stop when the next wait would reach the deadline."""

    def __init__(self, deadline: Deadline) -> None:
        self._deadline = deadline

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        """Tell whether sleeping again would leave no time to try."""
        return retry_state.upcoming_sleep >= self._deadline.remaining()

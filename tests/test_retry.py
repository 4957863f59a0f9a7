"""Retries, the deadline and attempts on a thread, in process and without sleeping."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from roleprobe._errors import GaveUp, Refused, Retryable, TimedOut
from roleprobe._retry import (
    MAX_WAIT,
    Deadline,
    Policy,
    RetryDetails,
    call_within,
    retry,
    set_testing,
)


class Clock:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def failing(times: int, then: object = "ok") -> Callable[[float], object]:
    """Return an attempt that fails *times* times, then returns *then*."""
    calls = {"n": 0}

    def attempt(_timeout: float) -> object:
        calls["n"] += 1
        if calls["n"] <= times:
            raise Retryable(f"failure {calls['n']}")
        return then

    return attempt


def policy(clock: Clock, attempts: int = 6, deadline: float = 30.0) -> Policy:
    return Policy(attempts, 5.0, Deadline(deadline, clock=clock), sleep=clock.sleep)


def test_success_after_retries_counts_every_attempt() -> None:
    clock = Clock()
    seen: list[RetryDetails] = []
    result, tries = retry(failing(2), policy(clock), seen.append)
    assert (result, tries) == ("ok", 3)
    assert [d.attempt for d in seen] == [1, 2]
    assert [d.reason for d in seen] == ["failure 1", "failure 2"]
    assert [d.wait_s for d in seen] == clock.slept


def test_attempts_run_out_with_the_last_reason() -> None:
    with pytest.raises(GaveUp) as e:
        retry(failing(99), policy(Clock(), attempts=3), lambda _d: None)
    assert (e.value.reason, e.value.tries) == ("failure 3", 3)


def test_waits_are_full_jitter_capped() -> None:
    clock = Clock()
    with pytest.raises(GaveUp):
        retry(failing(99), policy(clock, attempts=12, deadline=1e6), lambda _d: None)
    assert len(clock.slept) == 11
    assert all(0 <= s <= MAX_WAIT for s in clock.slept)


def test_the_deadline_stops_waiting_before_it_is_passed() -> None:
    clock = Clock()
    with pytest.raises(GaveUp) as e:
        retry(failing(99), policy(clock, attempts=100, deadline=10), lambda _d: None)
    assert clock.now - 1000.0 <= 10
    assert e.value.tries < 100


def test_no_time_left_is_a_reason_not_a_hang() -> None:
    clock = Clock()
    pol = policy(clock, deadline=1)
    clock.now += 5
    with pytest.raises(GaveUp) as e:
        retry(failing(0), pol, lambda _d: None)
    assert e.value.reason == "deadline reached"


def test_refused_is_not_retried() -> None:
    def refuse(_timeout: float) -> object:
        raise Refused("never")

    with pytest.raises(Refused):
        retry(refuse, policy(Clock()), lambda _d: None)


def test_the_attempt_gets_the_smaller_of_timeout_and_time_left() -> None:
    clock = Clock()
    got: list[float] = []

    def attempt(timeout: float) -> object:
        got.append(timeout)
        return "ok"

    retry(attempt, Policy(3, 5.0, Deadline(2.0, clock=clock)), lambda _d: None)
    assert got == [2.0]


def test_testing_switch_turns_waiting_off() -> None:
    clock = Clock()
    set_testing(True)
    try:
        retry(failing(3), policy(clock), lambda _d: None)
    finally:
        set_testing(False)
    assert clock.slept == []


def test_call_within_abandons_a_stalled_call() -> None:
    release = threading.Event()
    with pytest.raises(TimedOut, match=r"timed out after 0\.05 s"):
        call_within(lambda: release.wait(10), 0.05)
    release.set()


def test_call_within_passes_results_and_errors_through() -> None:
    assert call_within(lambda: 42, 1) == 42
    with pytest.raises(KeyError):
        call_within(lambda: {}["x"], 1)

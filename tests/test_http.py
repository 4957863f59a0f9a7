"""The transport in process, against real servers on loopback."""

from __future__ import annotations

import pytest

from fakes import EcsAgent, Huge, Redirect, Secrets, Stall, Status
from roleprobe._errors import InvalidAnswer, Retryable, TimedOut
from roleprobe._http import request

NOWHERE = "http://127.0.0.1:9/"


def test_one_request_returns_status_and_body() -> None:
    with EcsAgent(secrets=Secrets.generate()) as agent:
        status, body = request("GET", agent.credentials_url, {}, 5)
    assert status == 200
    assert b"AccessKeyId" in body


def test_error_status_is_returned_not_raised() -> None:
    with EcsAgent(faults=[Status(503)]) as agent:
        status, _ = request("GET", agent.credentials_url, {}, 5)
    assert status == 503


@pytest.mark.parametrize("chunked", [False, True])
def test_bodies_over_1_mib_are_invalid(chunked: bool) -> None:
    with (
        EcsAgent(faults=[Huge(chunked=chunked)]) as agent,
        pytest.raises(InvalidAnswer, match="larger than 1 MiB"),
    ):
        request("GET", agent.credentials_url, {}, 5)


def test_redirects_are_not_followed() -> None:
    with EcsAgent(faults=[Redirect("http://127.0.0.1:9/x")]) as agent:
        status, _ = request("GET", agent.credentials_url, {}, 5)
    assert status == 302


def test_a_slow_answer_times_out() -> None:
    with (
        EcsAgent(faults=[Stall(5)]) as agent,
        pytest.raises(TimedOut, match=r"timed out after 0\.2 s"),
    ):
        request("GET", agent.credentials_url, {}, 0.2)


def test_refused_connection_names_the_os_reason() -> None:
    with pytest.raises(Retryable, match="cannot connect: Connection refused"):
        request("GET", NOWHERE, {}, 1)


def test_proxy_variables_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", NOWHERE)
    monkeypatch.setenv("ALL_PROXY", NOWHERE)
    with EcsAgent() as agent:
        status, _ = request("GET", agent.credentials_url, {}, 5)
    assert status == 200

"""The transport in process, against real servers on loopback."""

from __future__ import annotations

import pytest

from fakes import Bomb, EcsAgent, Encoded, Huge, Redirect, Secrets, Stall, Status
from roleprobe._errors import InvalidAnswer, Retryable, TimedOut
from roleprobe._http import request

NOWHERE = "http://127.0.0.1:9/"


def test_one_request_returns_status_and_body() -> None:
    with EcsAgent(secrets=Secrets.generate()) as agent:
        answer = request("GET", agent.credentials_url, {}, 5)
    assert answer.status == 200
    assert b"AccessKeyId" in answer.body


def test_error_status_is_returned_not_raised() -> None:
    with EcsAgent(faults=[Status(503)]) as agent:
        answer = request("GET", agent.credentials_url, {}, 5)
    assert answer.status == 503


@pytest.mark.parametrize("chunked", [False, True])
def test_bodies_over_1_mib_are_invalid(chunked: bool) -> None:
    with (
        EcsAgent(faults=[Huge(chunked=chunked)]) as agent,
        pytest.raises(InvalidAnswer, match="larger than 1 MiB"),
    ):
        request("GET", agent.credentials_url, {}, 5)


def test_redirects_are_not_followed() -> None:
    with EcsAgent(faults=[Redirect("http://127.0.0.1:9/x")]) as agent:
        answer = request("GET", agent.credentials_url, {}, 5)
    assert answer.status == 302


def test_a_slow_answer_times_out() -> None:
    with (
        EcsAgent(faults=[Stall(5)]) as agent,
        pytest.raises(
            TimedOut, match=r"http://127\.0\.0\.1:\d+: timed out after 0\.2 s"
        ),
    ):
        request("GET", agent.credentials_url, {}, 0.2)


def test_refused_connection_names_the_os_reason() -> None:
    with pytest.raises(
        Retryable, match=r"cannot connect to http://127\.0\.0\.1:9: Connection refused"
    ):
        request("GET", NOWHERE, {}, 1)


def test_proxy_variables_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", NOWHERE)
    monkeypatch.setenv("ALL_PROXY", NOWHERE)
    with EcsAgent() as agent:
        answer = request("GET", agent.credentials_url, {}, 5)
    assert answer.status == 200


@pytest.mark.parametrize("encodings", [("gzip",), ("deflate",), ("gzip", "gzip")])
def test_compressed_answers_are_decoded(encodings: tuple[str, ...]) -> None:
    with EcsAgent(faults=[Encoded(encodings)]) as agent:
        answer = request("GET", agent.credentials_url, {}, 5)
    assert b"AccessKeyId" in answer.body
    assert "content-encoding" not in {k.lower() for k in answer.headers}


@pytest.mark.parametrize("encodings", [("gzip",), ("gzip", "gzip"), ("deflate",)])
def test_a_bomb_is_refused_within_the_cap(encodings: tuple[str, ...]) -> None:
    with (
        EcsAgent(faults=[Bomb(encodings, gib=1)]) as agent,
        pytest.raises(InvalidAnswer, match="larger than 1 MiB"),
    ):
        request("GET", agent.credentials_url, {}, 5)

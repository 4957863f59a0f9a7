"""The probe in process: one fetcher per source, STS only when needed.

The servers are the suite's real fakes on loopback; waiting between attempts
is switched off, so retries cost no time.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fakes import CALLER_ARN, TASK_ROLE_ARN, EcsAgent, Imds, Ok, Secrets, Status, Sts
from roleprobe import _retry
from roleprobe._log import Redactor
from roleprobe._probe import probe
from roleprobe._settings import load


class Recorder:
    """A logger that keeps the events."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict[str, Any]]] = []

    def _add(self, level: str, event: str, **kw: Any) -> None:
        self.events.append((level, event, kw))

    def info(self, event: str, **kw: Any) -> None:
        self._add("info", event, **kw)

    def warning(self, event: str, **kw: Any) -> None:
        self._add("warning", event, **kw)

    def error(self, event: str, **kw: Any) -> None:
        self._add("error", event, **kw)


@pytest.fixture(autouse=True)
def no_waiting() -> Iterator[None]:
    _retry.set_testing(True)
    yield
    _retry.set_testing(False)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path


def base_env(home: Path, **extra: str) -> dict[str, str]:
    return {"HOME": str(home), "AWS_EC2_METADATA_DISABLED": "true", **extra}


def test_container_answer_tells_the_role_in_one_request(home: Path) -> None:
    secrets = Secrets.generate()
    with EcsAgent(secrets=secrets) as agent:
        env = base_env(home, AWS_CONTAINER_CREDENTIALS_FULL_URI=agent.credentials_url)
        redactor = Redactor()
        found = probe(env, load(env), Recorder(), redactor)
        assert len(agent.requests) == 1
    assert found.found
    assert (found.source, found.role_arn, found.verified_by) == (
        "container-role",
        TASK_ROLE_ARN,
        "endpoint",
    )
    assert found.attempts == 1
    # the secrets the source handed out are now redacted
    assert redactor._clean(secrets.secret_access_key) == "[REDACTED]"


def test_retries_are_logged_and_counted(home: Path) -> None:
    with EcsAgent(faults=[Status(503), Status(400), Ok()]) as agent:
        env = base_env(home, AWS_CONTAINER_CREDENTIALS_FULL_URI=agent.credentials_url)
        log = Recorder()
        found = probe(env, load(env), log, Redactor())
    assert found.found
    assert found.attempts == 3
    retries = [kw for _, name, kw in log.events if name == "probe_retry"]
    assert [r["attempt"] for r in retries] == [1, 2]
    assert "HTTP 503" in retries[0]["reason"]


def test_a_failing_endpoint_is_a_failure_with_the_last_reason(home: Path) -> None:
    with EcsAgent(faults=[Status(503)]) as agent:
        env = base_env(
            home,
            AWS_CONTAINER_CREDENTIALS_FULL_URI=agent.credentials_url,
            ROLEPROBE_ATTEMPTS="3",
        )
        found = probe(env, load(env), Recorder(), Redactor())
    assert not found.found
    assert found.failure is not None
    assert "HTTP 503" in found.failure
    assert found.attempts == 3
    winner = [link for link in found.links if link.source == "container-role"]
    assert winner[0].state == "winner, failed"


def test_a_refused_uri_is_not_asked(home: Path) -> None:
    env = base_env(home, AWS_CONTAINER_CREDENTIALS_FULL_URI="http://example.com/x")
    found = probe(env, load(env), Recorder(), Redactor())
    assert found.failure is not None
    assert "not allowed" in found.failure
    assert found.attempts == 0


def test_no_source_is_a_failure(home: Path) -> None:
    env = base_env(home)
    found = probe(env, load(env), Recorder(), Redactor())
    assert (found.source, found.failure) == (
        "none",
        "no credentials source is configured",
    )


def test_env_keys_are_verified_by_sts(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = Secrets.generate()
    with Sts(secrets=secrets) as sts:
        env = base_env(
            home,
            AWS_ACCESS_KEY_ID=secrets.access_key_id,
            AWS_SECRET_ACCESS_KEY=secrets.secret_access_key,
            AWS_ENDPOINT_URL_STS=sts.url,
        )
        for name, value in env.items():  # botocore reads os.environ
            monkeypatch.setenv(name, value)
        found = probe(env, load(env), Recorder(), Redactor())
        assert sts.actions == ["GetCallerIdentity"]
    assert (found.source, found.identity_arn, found.verified_by) == (
        "env",
        CALLER_ARN,
        "sts",
    )
    assert found.role_arn == CALLER_ARN


def test_verify_never_leaves_the_identity_unknown(home: Path) -> None:
    env = base_env(home, AWS_ACCESS_KEY_ID="AKIDX", AWS_SECRET_ACCESS_KEY="s3cr3tvalue")
    env["ROLEPROBE_VERIFY"] = "never"
    found = probe(env, load(env), Recorder(), Redactor())
    assert found.found
    assert found.identity_arn is None
    assert (
        found.identity_unknown
        == "env does not tell its role and ROLEPROBE_VERIFY=never"
    )


def test_instance_metadata_is_asked_with_a_token(home: Path) -> None:
    with Imds() as imds:
        env = {
            "HOME": str(home),
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url,
            "ROLEPROBE_VERIFY": "never",
        }
        found = probe(env, load(env), Recorder(), Redactor())
        methods = [r.method for r in imds.requests]
    assert found.source == "iam-role"
    assert found.found
    assert methods[0] == "PUT"

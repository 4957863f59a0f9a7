"""End to end: what a newcomer trips on (issue 9), each the way a user meets it."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import pytest

from conftest import Runner, ecs_env
from fakes import CALLER_ARN, TASK_ROLE_ARN, EcsAgent, Secrets, Status, Sts

ACCOUNT = TASK_ROLE_ARN.split(":")[4]


@pytest.fixture
def pathed(secrets: Secrets) -> Iterator[EcsAgent]:
    """An ECS agent whose task role has a path."""
    arn = f"arn:aws:iam::{ACCOUNT}:role/team/pathed"
    with EcsAgent(secrets=secrets, role_arn=arn) as agent:
        yield agent


def test_a_misspelt_setting_is_named_never_its_value(
    run: Runner, ecs: EcsAgent
) -> None:
    value = "SECRET-value-of-a-typo"
    run.plant(value)
    r = run("--", "true", env=ecs_env(ecs, ROLEPROBE_TIMOUT=value))
    assert r.status == 0
    warning = r.event("setting_unknown")
    assert warning == {**warning, "level": "warning", "setting": "ROLEPROBE_TIMOUT"}
    assert "credentials_resolved" in r.names  # and roleprobe goes on


def test_a_value_given_to_a_flag_is_a_usage_error(run: Runner) -> None:
    r = run("--check=yes", json_lines=False)
    assert r.status == 2
    event = json.loads(r.stderr.splitlines()[0])
    assert event["event"] == "usage_error"
    assert "takes no value" in event["reason"]
    assert "'--check'" in event["reason"]


@pytest.mark.parametrize(
    ("extra", "status", "event"),
    [
        ({"EXPECTED_ROLE_ARN": "someone-else"}, 77, "role_mismatch"),
        ({"ROLEPROBE_ON_MISMATCH": "warn", "EXPECTED_ROLE_ARN": "x"}, 77, "role_mismatch"),
        ({"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/"}, 69, "credentials_unavailable"),
    ],
    ids=["mismatch", "mismatch-warn-mode", "unavailable"],
)  # fmt: skip
def test_a_failing_check_logs_an_error(
    run: Runner, ecs: EcsAgent, extra: dict[str, str], status: int, event: str
) -> None:
    env = ecs_env(ecs, ROLEPROBE_ATTEMPTS="1", **extra)
    r = run("--check", env=env)
    assert r.status == status
    assert r.event(event)["level"] == "error"


def test_role_arn_means_the_same_in_every_event(
    run: Runner, ecs: EcsAgent, sts: Sts
) -> None:
    env = ecs_env(ecs, ROLEPROBE_VERIFY="always", EXPECTED_ROLE_ARN="*")
    r = run("--", "true", env=env)
    assert r.status == 0
    resolved, verified = r.event("credentials_resolved"), r.event("role_verified")
    assert resolved["role_arn"] == verified["role_arn"] == TASK_ROLE_ARN
    assert resolved["identity_arn"] == verified["identity_arn"] == CALLER_ARN


def test_reasons_name_where_and_round_numbers(run: Runner) -> None:
    env = {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/SECRET-path?q=1",
        "ROLEPROBE_ATTEMPTS": "2",
        "ROLEPROBE_DEADLINE": "1",
    }
    run.plant("SECRET-path", "q=1")
    r = run("--", "true", env=env)
    reason = r.event("credentials_unavailable")["reason"]
    assert reason == "cannot connect to http://127.0.0.1:9: Connection refused"
    for event in r.events:
        for key, value in event.items():
            if key.endswith("_s"):
                assert value == round(value, 3), event
            if key.endswith("_ms"):
                assert isinstance(value, int), event


def test_a_timeout_is_shown_for_people(run: Runner, ecs: EcsAgent) -> None:
    from fakes import Stall  # noqa: PLC0415

    ecs.set_faults(Stall(5))
    env = ecs_env(ecs, ROLEPROBE_TIMEOUT="0.3", ROLEPROBE_ATTEMPTS="1")
    r = run("--", "true", env=env)
    reason = r.event("credentials_unavailable")["reason"]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+: timed out after 0\.3 s", reason)


def test_a_late_agent_is_given_at_least_5_seconds_by_default(
    run: Runner, ecs: EcsAgent
) -> None:
    ecs.set_faults(Status(503))
    start = time.monotonic()
    r = run("--", "true", env=ecs_env(ecs))
    took = time.monotonic() - start
    assert r.event("credentials_unavailable")["attempts"] == 6
    assert took >= 5.0  # the contract's lower bound on patience, not a speed test


def test_an_answer_whose_role_arn_is_no_arn_is_invalid(
    run: Runner, secrets: Secrets
) -> None:
    with EcsAgent(secrets=secrets, role_arn="not-an-arn") as agent:
        env = ecs_env(agent, ROLEPROBE_ATTEMPTS="2", EXPECTED_ROLE_ARN="x")
        r = run("--", "true", env=env)
    assert r.status == 69
    assert "RoleArn is not an ARN" in r.event("credentials_unavailable")["reason"]
    assert "role_mismatch" not in r.names


@pytest.mark.parametrize(
    ("expiration", "reason"),
    [("tomorrow", "not a time"), ("2001-01-01T00:00:00Z", "in the past")],
)
def test_an_expiration_the_sdk_cannot_use_is_invalid(
    run: Runner, secrets: Secrets, expiration: str, reason: str
) -> None:
    with EcsAgent(secrets=secrets, expiration=expiration) as agent:
        r = run("--", "true", env=ecs_env(agent, ROLEPROBE_ATTEMPTS="1"))
    assert reason in r.event("credentials_unavailable")["reason"]
    assert "credentials_resolved" not in r.names


@pytest.mark.parametrize("verify", ["auto", "always"])
def test_a_pattern_without_a_path_gives_one_verdict(
    run: Runner, pathed: EcsAgent, sts: Sts, verify: str
) -> None:
    expected = f"arn:aws:iam::{ACCOUNT}:role/pathed"
    sts.default_identity = None
    secrets = pathed.secrets
    from fakes import Identity  # noqa: PLC0415

    sts.identities[secrets.access_key_id] = Identity.from_arn(
        f"arn:aws:sts::{ACCOUNT}:assumed-role/pathed/session"
    )
    env = ecs_env(pathed, ROLEPROBE_VERIFY=verify, EXPECTED_ROLE_ARN=expected)
    r = run("--", "true", env=env)
    assert r.status == 0, r.stderr
    assert "role_verified" in r.names

"""End to end: the EKS Pod Identity agent (no RoleArn) and STS on loopback."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from conftest import Runner
from fakes import (
    CALLER_ARN,
    TASK_ROLE_ARN,
    Drop,
    EcsAgent,
    Garbage,
    Ok,
    PodIdentityAgent,
    Secrets,
    Stall,
    Status,
    Sts,
)

# The fake STS's default identity: arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION
ACCOUNT = CALLER_ARN.split(":")[4]
ROLE_NAME = CALLER_ARN.split("/")[1]
ROLE_WITH_PATH = f"arn:aws:iam::{ACCOUNT}:role/some/path/{ROLE_NAME}"


def pod_env(agent: PodIdentityAgent, token_file: Path, **extra: str) -> dict[str, str]:
    """Return what EKS puts in a pod's environment."""
    token_file.write_text(agent.token)
    return {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": agent.credentials_url,
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(token_file),
        **extra,
    }


def test_identity_comes_from_sts_signed_with_the_pod_credentials(
    run: Runner, pod: PodIdentityAgent, sts: Sts, tmp_path: Path
) -> None:
    env = pod_env(pod, tmp_path / "token", EXPECTED_ROLE_ARN=ROLE_WITH_PATH)
    r = run("--", "true", env=env)
    assert r.status == 0, r.stderr
    resolved = r.event("credentials_resolved")
    assert resolved["source"] == "container-role"
    assert resolved["role_arn"] == CALLER_ARN
    assert resolved["verified_by"] == "sts"
    assert resolved["account_id"] == ACCOUNT
    assert r.event("role_verified")["role_arn"] == CALLER_ARN
    assert len(pod.requests) == 1
    assert pod.requests[0].header("Authorization") == pod.token
    assert sts.actions == ["GetCallerIdentity"]
    assert sts.access_key_ids == [pod.secrets.access_key_id]


@pytest.mark.parametrize(
    ("region", "scope"),
    [
        ({}, "us-east-1"),
        ({"AWS_REGION": "eu-west-1"}, "eu-west-1"),
        ({"AWS_DEFAULT_REGION": "ap-south-1"}, "ap-south-1"),
        ({"AWS_DEFAULT_REGION": "ap-south-1", "AWS_REGION": "eu-west-1"}, "ap-south-1"),
    ],
)
def test_sts_region(
    run: Runner,
    pod: PodIdentityAgent,
    sts: Sts,
    tmp_path: Path,
    region: dict[str, str],
    scope: str,
) -> None:
    """A missing region does not break STS; the signature names the region used."""
    env = pod_env(pod, tmp_path / "token", EXPECTED_ROLE_ARN=ROLE_NAME)
    r = run("--check", env=env | region)
    assert r.status == 0, r.stderr
    (authorization,) = sts.authorizations
    assert f"/{scope}/sts/aws4_request" in (authorization or "")


def test_token_file_wins_and_is_used_verbatim(
    run: Runner, pod: PodIdentityAgent, sts: Sts, tmp_path: Path
) -> None:
    env = pod_env(pod, tmp_path / "token")
    env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "not-the-token"
    run.plant("not-the-token")
    assert run("--check", env=env).status == 0
    assert pod.requests[-1].header("Authorization") == pod.token


def test_token_from_the_variable(run: Runner, pod: PodIdentityAgent, sts: Sts) -> None:
    env = {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": pod.credentials_url,
        "AWS_CONTAINER_AUTHORIZATION_TOKEN": pod.token,
    }
    assert run("--check", env=env).status == 0
    assert pod.requests[-1].header("Authorization") == pod.token


def test_token_file_is_reread_at_every_attempt(
    run: Runner, secrets: Secrets, sts: Sts, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"

    def rotate(_request: object) -> None:
        token_file.write_text(agent.token)  # the kubelet rotates the file

    with PodIdentityAgent(secrets=secrets, on_request=rotate) as agent:
        token_file.write_text("stale-token")
        run.plant("stale-token")
        agent.set_faults(Status(401), Ok())
        env = {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": agent.credentials_url,
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(token_file),
        }
        r = run("--check", env=env)
        assert r.status == 0, r.stderr
        assert [q.header("Authorization") for q in agent.requests] == [
            "stale-token",
            agent.token,
        ]


def test_a_missing_token_file_is_retried_then_reported(
    run: Runner, pod: PodIdentityAgent, tmp_path: Path
) -> None:
    env = {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": pod.credentials_url,
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(tmp_path / "absent"),
        "ROLEPROBE_ATTEMPTS": "2",
        "EXPECTED_ROLE_ARN": ROLE_NAME,
    }
    r = run("--", "true", env=env)
    assert r.status == 69
    assert (
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"
        in r.event("credentials_unavailable")["reason"]
    )
    assert pod.requests == []


def test_a_token_with_a_newline_is_refused_as_botocore_refuses_it(
    run: Runner, pod: PodIdentityAgent, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(pod.token + "\n")
    env = {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": pod.credentials_url,
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(token_file),
        "EXPECTED_ROLE_ARN": ROLE_NAME,
    }
    r = run("--", "true", env=env)
    assert r.status == 69
    reason = r.event("credentials_unavailable")["reason"]
    assert "ends in a newline" in reason
    assert "echo" in reason  # the usual way it got there, and what to do
    assert "probe_retry" not in r.names
    assert pod.requests == []


def test_wrong_token_is_an_error_not_a_secret_leak(
    run: Runner, pod: PodIdentityAgent, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("wrong-" + pod.secrets.body_marker)
    env = {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": pod.credentials_url,
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(token_file),
        "ROLEPROBE_ATTEMPTS": "2",
        "EXPECTED_ROLE_ARN": ROLE_NAME,
    }
    r = run("--", "true", env=env)
    assert r.status == 69
    reason = r.event("credentials_unavailable")["reason"]
    assert "HTTP 401" in reason
    assert "authorization token" in reason  # what to look at


def test_verify_never_leaves_the_identity_unknown(
    run: Runner, pod: PodIdentityAgent, sts: Sts, tmp_path: Path
) -> None:
    env = pod_env(pod, tmp_path / "token", ROLEPROBE_VERIFY="never")
    r = run("--", "true", env=env)
    assert r.status == 0
    assert r.event("credentials_resolved")["role_arn"] is None
    r = run("--", "true", env=env | {"EXPECTED_ROLE_ARN": ROLE_NAME})
    assert r.status == 69
    assert "ROLEPROBE_VERIFY=never" in r.event("credentials_unavailable")["reason"]
    assert sts.requests == []


def test_sts_failures_are_retried_then_69(
    run: Runner, pod: PodIdentityAgent, sts: Sts, tmp_path: Path
) -> None:
    sts.set_faults(Status(500), Drop(), Status(503))
    env = pod_env(
        pod, tmp_path / "token", EXPECTED_ROLE_ARN=ROLE_NAME, ROLEPROBE_ATTEMPTS="3"
    )
    r = run("--", "true", env=env)
    assert r.status == 69
    assert r.names.count("probe_retry") == 2
    assert len(sts.requests) == 3
    failed = r.event("credentials_unavailable")
    assert failed["level"] == "error"
    assert "STS" in failed["reason"]


THROTTLED = (
    '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
    "<Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message>"
    "</Error><RequestId>r</RequestId></ErrorResponse>"
)


def test_sts_recovers_after_a_throttle_and_garbage(
    run: Runner, pod: PodIdentityAgent, sts: Sts, tmp_path: Path
) -> None:
    sts.set_faults(Status(400, THROTTLED, "text/xml"), Garbage(), Ok())
    r = run(
        "--check", env=pod_env(pod, tmp_path / "token", EXPECTED_ROLE_ARN=ROLE_NAME)
    )
    assert r.status == 0, r.stderr
    assert r.names == ["probe_retry"] * 2 + ["credentials_resolved", "role_verified"]
    reasons = [e["reason"] for e in r.events if e["event"] == "probe_retry"]
    assert "Throttling" in reasons[0]
    assert "not STS XML" in reasons[1]


def test_a_stalled_sts_cannot_pass_the_deadline(
    run: Runner, pod: PodIdentityAgent, sts: Sts, tmp_path: Path
) -> None:
    sts.set_faults(Stall(30))
    env = pod_env(
        pod,
        tmp_path / "token",
        EXPECTED_ROLE_ARN=ROLE_NAME,
        ROLEPROBE_TIMEOUT="10",
        ROLEPROBE_DEADLINE="2",
    )
    start = time.monotonic()
    r = run("--", "true", env=env)
    assert r.status == 69
    assert time.monotonic() - start < 2 + 1.5


def test_verify_always_asks_sts_even_on_ecs(
    run: Runner, secrets: Secrets, sts: Sts
) -> None:
    with EcsAgent(secrets=secrets) as ecs:
        env = {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": ecs.credentials_url,
            "ROLEPROBE_VERIFY": "always",
            "EXPECTED_ROLE_ARN": ROLE_NAME,
        }
        r = run("--check", env=env)
    assert r.status == 0, r.stderr
    resolved = r.event("credentials_resolved")
    assert resolved["role_arn"] == TASK_ROLE_ARN
    assert resolved["identity_arn"] == CALLER_ARN
    assert resolved["verified_by"] == "sts"
    assert sts.access_key_ids == [secrets.access_key_id]


def test_sts_endpoint_from_aws_endpoint_url(
    run: Runner, pod: PodIdentityAgent, sts: Sts, tmp_path: Path
) -> None:
    """The generic AWS_ENDPOINT_URL serves STS when there is no STS-specific one."""
    env = pod_env(pod, tmp_path / "token", EXPECTED_ROLE_ARN=ROLE_NAME)
    env["AWS_ENDPOINT_URL"] = sts.url
    r = run("--check", env=env, unset=["AWS_ENDPOINT_URL_STS"])
    assert r.status == 0, r.stderr
    assert sts.actions == ["GetCallerIdentity"]

"""End to end: instance metadata, asked as botocore asks it, in namespaces.

IMDS lives at link-local addresses that must never be reached from this
machine's own network, so every test here runs roleprobe (and botocore, to
compare) inside a network and PID namespace of its own that holds only
loopback, with 169.254.169.254 and fd00:ec2::254 added to it and the fakes
(`python tests/fakes.py ...`) listening there.  roleprobe is the namespace's
PID 1, as in a container: when it ends, the kernel ends the fakes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import Run, Runner, needs_namespaces
from fakes import (
    ACCOUNT_ID,
    INSTANCE_ROLE_NAME,
    RecordedRequest,
    Secrets,
    signing_access_key_id,
)
from netns import (
    CREDENTIALS_PATH,
    IMDS_ENV,
    INSTANCE_ARN,
    IPV4,
    IPV6,
    ROLE_PATH,
    TOKEN_PATH,
    Namespace,
)

pytestmark = needs_namespaces


def shape(requests: list[RecordedRequest]) -> list[tuple[str, str, str | None]]:
    """Return (method, path, token) of IMDS requests, the token as a word."""

    def token(request: RecordedRequest) -> str | None:
        value = request.header("X-aws-ec2-metadata-token")
        return None if value is None else "token" if value else "empty"

    return [(q.method, q.path, token(q)) for q in requests]


V2 = [
    ("PUT", TOKEN_PATH, None),
    ("GET", ROLE_PATH, "token"),
    ("GET", CREDENTIALS_PATH, "token"),
]
V1 = [("GET", ROLE_PATH, None), ("GET", CREDENTIALS_PATH, None)]


def resolved_instance_role(r: Run) -> dict[str, Any]:
    """Check that *r* found the instance role through STS and return the event."""
    assert r.status == 0, r.stderr
    resolved = r.event("credentials_resolved")
    assert resolved["source"] == "iam-role"
    assert resolved["role_arn"] == INSTANCE_ARN
    assert resolved["verified_by"] == "sts"
    assert resolved["expiration"] == "2030-01-01T00:00:00Z"
    return resolved


def test_imdsv2_token_flow(run: Runner, secrets: Secrets, tmp_path: Path) -> None:
    ns = Namespace(tmp_path, secrets)
    env = {**IMDS_ENV, "EXPECTED_ROLE_ARN": INSTANCE_ROLE_NAME}
    r = run("--", "true", env=env, prefix=ns.prefix())
    resolved_instance_role(r)
    assert r.names == ["credentials_resolved", "role_verified"]
    imds = ns.requests("imds")
    assert shape(imds) == V2
    assert imds[0].header("X-aws-ec2-metadata-token-ttl-seconds") == "21600"
    for get in imds[1:]:
        assert get.header("X-aws-ec2-metadata-token") == secrets.imds_token
    sts = ns.requests("sts")
    assert [q.action for q in sts] == ["GetCallerIdentity"]
    assert [signing_access_key_id(q) for q in sts] == [secrets.access_key_id]

    assert ns.botocore(run, env) == {"method": "iam-role"}
    assert shape(ns.requests("imds")) == V2, "botocore asks the same way"


def test_instance_role_mismatch_exits_77(
    run: Runner, secrets: Secrets, tmp_path: Path
) -> None:
    ns = Namespace(tmp_path, secrets)
    env = {**IMDS_ENV, "EXPECTED_ROLE_ARN": "some-other-role"}
    r = run("--", "true", env=env, prefix=ns.prefix())
    assert r.status == 77
    assert r.event("role_mismatch")["role_arn"] == INSTANCE_ARN


@pytest.mark.parametrize(
    "imds_args",
    [
        ["--fault", "status:403", "--faults-on", TOKEN_PATH],
        ["--fault", "status:404", "--faults-on", TOKEN_PATH],
        ["--fault", "status:405", "--faults-on", TOKEN_PATH],
        ["--token-put-stalls"],
    ],
    ids=["403", "404", "405", "timeout"],
)
def test_imdsv1_fallback(
    run: Runner, secrets: Secrets, tmp_path: Path, imds_args: list[str]
) -> None:
    ns = Namespace(tmp_path, secrets, imds_args=imds_args)
    r = run("--check", env=IMDS_ENV, prefix=ns.prefix())
    resolved_instance_role(r)
    assert "probe_retry" not in r.names
    assert shape(ns.requests("imds")) == [("PUT", TOKEN_PATH, None), *V1]
    assert ns.botocore(run, IMDS_ENV) == {"method": "iam-role"}
    assert shape(ns.requests("imds")) == [("PUT", TOKEN_PATH, None), *V1]


@pytest.mark.parametrize("status", [500, 503])
def test_imdsv1_fallback_on_other_token_errors(
    run: Runner, secrets: Secrets, tmp_path: Path, status: int
) -> None:
    """botocore falls back to IMDSv1 on any token answer but 200 and 400."""
    args = ["--fault", f"status:{status}", "--faults-on", TOKEN_PATH]
    ns = Namespace(tmp_path, secrets, imds_args=args)
    assert ns.botocore(run, IMDS_ENV) == {"method": "iam-role"}
    assert shape(ns.requests("imds")) == [("PUT", TOKEN_PATH, None), *V1]
    r = run("--check", env=IMDS_ENV, prefix=ns.prefix())
    resolved_instance_role(r)
    assert shape(ns.requests("imds")) == [("PUT", TOKEN_PATH, None), *V1]


def test_imdsv1_fallback_within_one_attempt(
    run: Runner, secrets: Secrets, tmp_path: Path
) -> None:
    """The token PUT may not use up the attempt its fallback needs."""
    ns = Namespace(tmp_path, secrets, imds_args=["--token-put-stalls"])
    env = {**IMDS_ENV, "ROLEPROBE_TIMEOUT": "1", "ROLEPROBE_ATTEMPTS": "1"}
    del env["AWS_METADATA_SERVICE_TIMEOUT"]  # botocore's default: 1 s
    assert ns.botocore(run, env) == {"method": "iam-role"}
    r = run("--check", env=env, prefix=ns.prefix())
    resolved_instance_role(r)


@pytest.mark.parametrize("status", [403, 404, 405])
def test_no_imdsv1_when_disabled(
    run: Runner, secrets: Secrets, tmp_path: Path, status: int
) -> None:
    args = ["--fault", f"status:{status}", "--faults-on", TOKEN_PATH]
    ns = Namespace(tmp_path, secrets, imds_args=args)
    env = {**IMDS_ENV, "AWS_EC2_METADATA_V1_DISABLED": "true"}
    r = run("--check", env=env, prefix=ns.prefix())
    assert r.status == 69
    failed = r.event("credentials_unavailable")
    assert failed["source"] == "iam-role"
    assert "IMDSv1 is disabled" in failed["reason"]
    assert {q.method for q in ns.requests("imds")} == {"PUT"}
    assert ns.requests("sts") == []
    # botocore raises from get_credentials: the application gets nothing.
    assert ns.botocore(run, env) == {"error": "MetadataRetrievalError"}
    assert {q.method for q in ns.requests("imds")} == {"PUT"}


@pytest.mark.parametrize("sdk_v1", [True, False], ids=["sdk-v1", "sdk-no-v1"])
def test_hop_limit_has_its_own_reason(
    run: Runner, secrets: Secrets, tmp_path: Path, sdk_v1: bool
) -> None:
    """Token PUT unanswered while GETs answer: the hop limit, named as such."""
    ns = Namespace(tmp_path, secrets, imds_args=["--token-put-stalls", "--no-v1"])
    env = {**IMDS_ENV, "ROLEPROBE_TIMEOUT": "1", "EXPECTED_ROLE_ARN": "x"}
    if not sdk_v1:
        env["AWS_EC2_METADATA_V1_DISABLED"] = "true"
    r = run("--", "true", env=env, prefix=ns.prefix())
    assert r.status == 69
    failed = r.event("credentials_unavailable")
    assert failed["source"] == "iam-role"
    assert "HttpPutResponseHopLimit" in failed["reason"]
    for retry in (e for e in r.events if e["event"] == "probe_retry"):
        assert "HttpPutResponseHopLimit" in retry["reason"]
    assert ns.requests("sts") == []
    imds = ns.requests("imds")
    assert imds[0].method == "PUT"
    assert not any(q.method == "GET" and q.path == CREDENTIALS_PATH for q in imds), (
        "no credentials were handed out"
    )
    # Nor does botocore get any: the application would start without.
    no_credentials = (
        {"method": "none"} if sdk_v1 else {"error": "MetadataRetrievalError"}
    )
    assert ns.botocore(run, env) == no_credentials


def test_hop_limit_with_imdsv1_allowed_still_works(
    run: Runner, secrets: Secrets, tmp_path: Path
) -> None:
    """With IMDSv1 allowed on both sides, the fallback gets the credentials."""
    ns = Namespace(tmp_path, secrets, imds_args=["--token-put-stalls"])
    env = {**IMDS_ENV, "ROLEPROBE_TIMEOUT": "1"}
    resolved_instance_role(run("--check", env=env, prefix=ns.prefix()))


def test_disabled_means_no_request_at_all(
    run: Runner, secrets: Secrets, tmp_path: Path
) -> None:
    ns = Namespace(tmp_path, secrets)
    env = {**IMDS_ENV, "AWS_EC2_METADATA_DISABLED": "true"}
    r = run("--check", env=env, prefix=ns.prefix())
    assert r.status == 69
    assert r.event("credentials_unavailable")["source"] == "none"
    assert ns.requests("imds") == []
    assert ns.requests("sts") == []
    assert ns.botocore(run, env) == {"method": "none"}
    assert ns.requests("imds") == []


def test_ipv6_endpoint_mode(run: Runner, secrets: Secrets, tmp_path: Path) -> None:
    fakes = [
        ("imds", ["imds", "--host", IPV6, "--port", "80"]),
        ("imds4", ["imds", "--host", IPV4, "--port", "80"]),
    ]
    ns = Namespace(tmp_path, secrets, fakes=fakes)
    env = {**IMDS_ENV, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv6"}
    resolved_instance_role(run("--check", env=env, prefix=ns.prefix()))
    assert shape(ns.requests("imds")) == V2
    assert ns.requests("imds4") == []
    assert ns.botocore(run, env) == {"method": "iam-role"}
    assert shape(ns.requests("imds")) == V2
    assert ns.requests("imds4") == []


def test_endpoint_variable_wins_over_mode(
    run: Runner, secrets: Secrets, tmp_path: Path
) -> None:
    fakes = [
        ("imds", ["imds", "--host", "127.0.0.1", "--port", "8080"]),
        ("imds4", ["imds", "--host", IPV4, "--port", "80"]),
    ]
    ns = Namespace(tmp_path, secrets, fakes=fakes)
    env = {
        **IMDS_ENV,
        "AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:8080",
        "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "ipv6",
    }
    resolved_instance_role(run("--check", env=env, prefix=ns.prefix()))
    assert shape(ns.requests("imds")) == V2
    assert ns.requests("imds4") == []
    assert ns.botocore(run, env) == {"method": "iam-role"}
    assert shape(ns.requests("imds")) == V2


@pytest.mark.parametrize(
    ("imds_args", "reason"),
    [
        (["--fault", "status:404", "--faults-on", ROLE_PATH], "HTTP 404"),
        (["--fault", "status:400", "--faults-on", TOKEN_PATH], "HTTP 400"),
        (["--fault", "garbage", "--faults-on", CREDENTIALS_PATH], "not JSON"),
    ],
    ids=["no-role-attached", "token-400", "garbage"],
)
def test_no_instance_credentials(
    run: Runner, secrets: Secrets, tmp_path: Path, imds_args: list[str], reason: str
) -> None:
    ns = Namespace(tmp_path, secrets, imds_args=imds_args)
    r = run("--check", env=IMDS_ENV, prefix=ns.prefix())
    assert r.status == 69
    failed = r.event("credentials_unavailable")
    assert failed["source"] == "iam-role"
    assert reason in failed["reason"]
    assert failed["attempts"] == 2
    assert ns.requests("sts") == []
    assert ns.botocore(run, IMDS_ENV) == {"method": "none"}


def test_metadata_timeout_must_be_whole_seconds(
    run: Runner, secrets: Secrets, tmp_path: Path
) -> None:
    """botocore fails on AWS_METADATA_SERVICE_TIMEOUT=0.5: so does the app."""
    ns = Namespace(tmp_path, secrets)
    env = {**IMDS_ENV, "AWS_METADATA_SERVICE_TIMEOUT": "0.5"}
    assert ns.botocore(run, env) == {"error": "ValueError"}
    r = run("--check", env=env, prefix=ns.prefix())
    assert r.status == 69
    failed = r.event("credentials_unavailable")
    assert failed["source"] == "iam-role"
    assert "AWS_METADATA_SERVICE_TIMEOUT" in failed["reason"]
    assert "probe_retry" not in r.names
    assert ns.requests("imds") == []


def test_identity_is_the_instance_roles(
    run: Runner, secrets: Secrets, tmp_path: Path
) -> None:
    """STS is asked with the instance's keys; botocore's own call agrees."""
    ns = Namespace(tmp_path, secrets)
    env = {**IMDS_ENV, "ROLEPROBE_VERIFY": "always"}
    resolved = resolved_instance_role(run("--check", env=env, prefix=ns.prefix()))
    assert resolved["account_id"] == ACCOUNT_ID
    assert [signing_access_key_id(q) for q in ns.requests("sts")] == [
        secrets.access_key_id
    ]
    boto = ns.botocore(run, env, "identity")
    assert boto == {"method": "iam-role", "arn": INSTANCE_ARN}
    assert [signing_access_key_id(q) for q in ns.requests("sts")] == [
        secrets.access_key_id
    ]

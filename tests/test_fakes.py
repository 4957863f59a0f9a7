"""The fakes behave like the services they stand for, faults included."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from fakes import (
    TASK_ROLE_ARN,
    Bomb,
    Dribble,
    Drop,
    EcsAgent,
    Encoded,
    Endless,
    Fault,
    Garbage,
    Huge,
    Identity,
    Imds,
    Malformed,
    MissingField,
    NotAnObject,
    Ok,
    PodIdentityAgent,
    Redirect,
    Secrets,
    ShortLength,
    SlowHeaders,
    Stall,
    Status,
    Sts,
    Trickle,
    bomb,
    parse_fault,
    read_records,
    start_fake,
)

FAKES = Path(__file__).with_name("fakes.py")
Check = Callable[[int, http.client.HTTPMessage, bytes], bool]
NS = {"sts": "https://sts.amazonaws.com/doc/2011-06-15/"}


def call(
    url: str,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    body: str | None = None,
    timeout: float = 5,
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """Make one direct request (no proxy, no redirect); return status, headers, body."""
    parts = urlsplit(url)
    assert parts.hostname == "127.0.0.1"
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, path or "/", body, dict(headers or {}))
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def sts_call(sts: Sts, form: str, akid: str | None = None) -> tuple[int, ET.Element]:
    """POST a query-API form to the fake STS, signed as *akid* if given."""
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    if akid is not None:
        headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={akid}/20240101/us-east-1/sts/aws4_request, "
            "SignedHeaders=host;x-amz-date, Signature=00"
        )
    status, head, body = call(sts.url + "/", "POST", headers, form)
    assert head["Content-Type"] == "text/xml"
    return status, ET.fromstring(body)


def test_secrets_are_unique_marked_and_survive_json() -> None:
    a, b = Secrets.generate(), Secrets.generate()
    values = a.all_values()
    assert len(set(values)) == len(values) == 8
    assert all("SECRET" in v for v in values)
    assert not set(values) & set(b.all_values())
    assert Secrets.from_json(a.to_json()) == a
    derived = a.derive("X1")
    assert all(
        old in new for old, new in zip(values, derived.all_values(), strict=True)
    )


def test_ecs_answers_the_task_credentials_with_role() -> None:
    with EcsAgent() as ecs:
        assert ecs.credentials_url == f"{ecs.url}/v2/credentials/{ecs.secrets.task_id}"
        status, head, body = call(ecs.credentials_url)
    assert (status, head["Content-Type"]) == (200, "application/json")
    assert json.loads(body) == {
        "RoleArn": TASK_ROLE_ARN,
        "AccessKeyId": ecs.secrets.access_key_id,
        "SecretAccessKey": ecs.secrets.secret_access_key,
        "Token": ecs.secrets.session_token,
        "Expiration": "2030-01-01T00:00:00Z",
    }
    [request] = ecs.requests
    assert (request.method, request.path) == ("GET", ecs.path)


def test_ecs_other_paths_are_json_errors() -> None:
    with EcsAgent() as ecs:
        wrong = call(ecs.url + "/v2/credentials/someone-else")
        empty = call(ecs.url + "/v2/credentials/")
    assert wrong[0] == 400
    assert json.loads(wrong[2])["code"] == "InvalidIdInRequest"
    assert empty[0] == 400
    assert json.loads(empty[2])["code"] == "NoIdInRequest"


def test_script_is_consumed_one_per_request_and_the_last_repeats() -> None:
    with EcsAgent(faults=[Status(400), Status(503), Ok()]) as ecs:
        answers = [call(ecs.credentials_url) for _ in range(4)]
    assert [a[0] for a in answers] == [400, 503, 200, 200]
    first, second = (json.loads(a[2]) for a in answers[:2])
    assert first["code"] == "InvalidIdInRequest"
    assert first["message"].startswith("CredentialsV2Request: Credentials not found")
    assert second["code"] == "CredentialsUninitialized"
    assert ecs.secrets.body_marker in first["message"]


def test_set_faults_restarts_the_script() -> None:
    with EcsAgent(faults=[Status(503)]) as ecs:
        assert call(ecs.credentials_url)[0] == 503
        ecs.set_faults()
        assert call(ecs.credentials_url)[0] == 200


def test_pod_identity_requires_its_token_and_tells_no_role() -> None:
    with PodIdentityAgent() as pod:
        missing = call(pod.credentials_url)
        wrong = call(pod.credentials_url, headers={"Authorization": "nope"})
        right = call(pod.credentials_url, headers={"Authorization": pod.token})
    assert pod.token == pod.secrets.auth_token
    for status, head, body in (missing, wrong):
        assert status in (400, 401)
        assert head["Content-Type"] == "text/plain; charset=utf-8"
        assert pod.secrets.body_marker in body.decode()
    assert (missing[0], wrong[0]) == (400, 401)
    assert right[0] == 200
    assert json.loads(right[2]) == {
        "AccessKeyId": pod.secrets.access_key_id,
        "SecretAccessKey": pod.secrets.secret_access_key,
        "Token": pod.secrets.session_token,
        "AccountId": "111122223333",
        "Expiration": "2030-01-01T00:00:00Z",
    }


def test_pod_identity_can_check_the_host_like_the_agent() -> None:
    with PodIdentityAgent(token="t", check_host=True) as pod:
        direct = call(pod.credentials_url, headers={"Authorization": "t"})
        agent_host = call(
            pod.credentials_url,
            headers={"Authorization": "t", "Host": "169.254.170.23"},
        )
    assert (direct[0], agent_host[0]) == (403, 200)


def test_sts_get_caller_identity_by_signing_key() -> None:
    other = Identity.from_arn("arn:aws:iam::444455556666:user/alice")
    with Sts(identities={"AKIAALICE": other}) as sts:
        status, default = sts_call(
            sts, "Action=GetCallerIdentity&Version=2011-06-15", "AKIAANY"
        )
        assert status == 200
        status, alice = sts_call(
            sts, "Action=GetCallerIdentity&Version=2011-06-15", "AKIAALICE"
        )
        assert status == 200
    arn = "sts:GetCallerIdentityResult/sts:Arn"
    assert default.findtext(arn, namespaces=NS) == sts.default_identity.arn  # type: ignore[union-attr]
    assert alice.findtext(arn, namespaces=NS) == other.arn
    assert alice.findtext("sts:GetCallerIdentityResult/sts:Account", namespaces=NS) == (
        "444455556666"
    )
    assert sts.access_key_ids == ["AKIAANY", "AKIAALICE"]
    assert sts.actions == ["GetCallerIdentity", "GetCallerIdentity"]
    assert all(a and a.startswith("AWS4-HMAC-SHA256") for a in sts.authorizations)


def test_sts_errors_are_xml() -> None:
    with Sts(default_identity=None) as sts:
        unsigned = sts_call(sts, "Action=GetCallerIdentity&Version=2011-06-15")
        unknown = sts_call(sts, "Action=GetCallerIdentity&Version=2011-06-15", "AK")
    code = "sts:Error/sts:Code"
    assert unsigned[0] == unknown[0] == 403
    assert unsigned[1].findtext(code, namespaces=NS) == "MissingAuthenticationToken"
    assert unknown[1].findtext(code, namespaces=NS) == "InvalidClientTokenId"
    assert unknown[1].findtext("sts:Error/sts:Type", namespaces=NS) == "Sender"
    message = unknown[1].findtext("sts:Error/sts:Message", namespaces=NS) or ""
    assert sts.secrets.body_marker in message


def test_sts_assume_role_issues_credentials_it_then_knows() -> None:
    role = "arn:aws:iam::123456789012:role/path/AppRole"
    with Sts(web_identity_token="jwt") as sts:
        status, assumed = sts_call(
            sts,
            f"Action=AssumeRole&Version=2011-06-15&RoleArn={role}&RoleSessionName=s1",
            "AKIASOURCE",
        )
        assert status == 200
        key = assumed.findtext(
            "sts:AssumeRoleResult/sts:Credentials/sts:AccessKeyId", namespaces=NS
        )
        assert key == sts.issued[0].access_key_id
        _, who = sts_call(sts, "Action=GetCallerIdentity&Version=2011-06-15", key)
        bad_jwt = sts_call(
            sts,
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15"
            f"&RoleArn={role}&RoleSessionName=s2&WebIdentityToken=other",
        )
        good_jwt = sts_call(
            sts,
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15"
            f"&RoleArn={role}&RoleSessionName=s2&WebIdentityToken=jwt",
        )
    expected = "arn:aws:sts::123456789012:assumed-role/AppRole/s1"
    assert who.findtext("sts:GetCallerIdentityResult/sts:Arn", namespaces=NS) == (
        expected
    )
    assert sts.secrets.access_key_id in key
    assert bad_jwt[0] == 400
    assert good_jwt[0] == 200
    assert [i.identity.arn for i in sts.issued] == [
        expected,
        "arn:aws:sts::123456789012:assumed-role/AppRole/s2",
    ]


def test_imds_v2_flow() -> None:
    ttl = {"X-aws-ec2-metadata-token-ttl-seconds": "21600"}
    base = "/latest/meta-data/iam/security-credentials/"
    with Imds(v1=False) as imds:
        status, _, token = call(imds.url + "/latest/api/token", "PUT", ttl)
        assert (status, token.decode()) == (200, imds.token)
        header = {"X-aws-ec2-metadata-token": imds.token}
        assert call(imds.url + base)[0] == 401
        status, _, role = call(imds.url + base, headers=header)
        assert (status, role) == (200, b"roleprobe-fake-instance-role")
        status, _, body = call(imds.url + base + role.decode(), headers=header)
        assert status == 200
        assert call(imds.url + "/latest/api/token", "PUT")[0] == 400
    creds = json.loads(body)
    assert creds["Code"] == "Success"
    assert creds["Type"] == "AWS-HMAC"
    assert creds["AccessKeyId"] == imds.secrets.access_key_id
    assert {"SecretAccessKey", "Token", "Expiration", "LastUpdated"} <= creds.keys()


def test_imds_hop_limit_symptom_stalls_the_token_put_only() -> None:
    base = "/latest/meta-data/iam/security-credentials/"
    with Imds(token_put_stalls=True) as imds:
        with pytest.raises(TimeoutError):
            call(
                imds.url + "/latest/api/token",
                "PUT",
                {"X-aws-ec2-metadata-token-ttl-seconds": "21600"},
                timeout=0.3,
            )
        assert call(imds.url + base)[0] == 200


def test_faults_on_limits_the_script_to_a_path() -> None:
    base = "/latest/meta-data/iam/security-credentials/"
    with Imds(faults=[Status(500)], faults_on=base + "roleprobe") as imds:
        assert call(imds.url + base)[0] == 200
        assert call(imds.url + base + "roleprobe-fake-instance-role")[0] == 500


@pytest.mark.parametrize(
    ("fault", "check"),
    [
        (Garbage(), lambda s, h, b: s == 200 and not b.startswith(b"{")),
        (NotAnObject(), lambda s, h, b: s == 200 and isinstance(json.loads(b), list)),
        (MissingField("Token"), lambda s, h, b: "Token" not in json.loads(b)),
        (
            Huge(2 * 1024 * 1024),
            lambda s, h, b: len(b) == 2 * 1024 * 1024 and "Token" in json.loads(b),
        ),
        (
            Huge(2000, chunked=True),
            lambda s, h, b: h["Transfer-Encoding"] == "chunked" and len(b) == 2000,
        ),
        (
            Redirect("http://127.0.0.1:9/elsewhere"),
            lambda s, h, b: (
                s == 302 and h["Location"] == "http://127.0.0.1:9/elsewhere"
            ),
        ),
        (Trickle(0.2), lambda s, h, b: s == 200 and "Token" in json.loads(b)),
        (Stall(0.1), lambda s, h, b: s == 200 and "Token" in json.loads(b)),
        (
            Status(418, "teapot", "text/plain"),
            lambda s, h, b: (s, h["Content-Type"], b) == (418, "text/plain", b"teapot"),
        ),
    ],
    ids=lambda v: type(v).__name__ if not callable(v) else "",
)
def test_faults_change_the_answer(fault: Fault, check: Check) -> None:
    with EcsAgent(faults=[fault]) as ecs:
        status, head, body = call(ecs.credentials_url)
    assert check(status, head, body)


def test_drop_hangs_up_without_an_answer() -> None:
    with EcsAgent(faults=[Drop(), Ok()]) as ecs:
        with pytest.raises(http.client.RemoteDisconnected):
            call(ecs.credentials_url)
        assert call(ecs.credentials_url)[0] == 200


def test_stop_cuts_a_stalled_answer_short_and_leaves_no_thread() -> None:
    before = set(threading.enumerate())
    ecs = EcsAgent(faults=[Stall(600)]).start()
    errors: list[BaseException] = []

    def ask() -> None:
        try:
            call(ecs.credentials_url, timeout=600)
        except (OSError, http.client.HTTPException) as e:
            errors.append(e)

    client = threading.Thread(target=ask, daemon=True)
    client.start()
    while not ecs.requests:
        threading.Event().wait(0.01)
    stopper = threading.Thread(target=ecs.stop, daemon=True)
    stopper.start()
    stopper.join(10)  # a hang guard, not a measurement
    client.join(10)
    assert not stopper.is_alive()
    assert not client.is_alive()
    assert len(errors) == 1
    assert set(threading.enumerate()) <= before


@pytest.mark.parametrize(
    ("spec", "fault"),
    [
        ("ok", Ok()),
        ("status:503", Status(503)),
        ("stall:2.5", Stall(2.5)),
        ("huge:2097152", Huge(2097152)),
        ("redirect:http://127.0.0.1:1/x", Redirect("http://127.0.0.1:1/x")),
        ("missing-field:RoleArn", MissingField("RoleArn")),
        ("encoded:gzip,deflate", Encoded(("gzip", "deflate"))),
        ("bomb:gzip,gzip", Bomb(("gzip", "gzip"))),
        ("endless:lying", Endless("lying")),
        ("short-length", ShortLength()),
        ("slow-headers:0.3", SlowHeaders(0.3)),
        ("dribble:0.3", Dribble(0.3)),
        ("malformed:deep", Malformed("deep")),
    ],
)
def test_parse_fault(spec: str, fault: Fault) -> None:
    assert parse_fault(spec) == fault


@pytest.mark.parametrize("encodings", [("gzip",), ("deflate",), ("gzip", "gzip")])
def test_a_bomb_is_small_and_decodes_to_gibibytes(encodings: tuple[str, ...]) -> None:
    body = bomb(encodings, 4)
    assert len(body) < 5 << 20
    for name in reversed(encodings[1:]):
        body = zlib.decompress(body, 31 if name == "gzip" else 15)
    head = zlib.decompressobj(31 if encodings[0] == "gzip" else 15)
    zeros = head.decompress(body[:65536], 64 << 20)  # 64 KiB of the stream
    assert len(zeros) >= 32 << 20
    assert not zeros.strip(b"\0")


def test_command_line_mode(tmp_path: Path) -> None:
    secrets = Secrets.generate()
    fake = start_fake(
        *("ecs", "--host", "127.0.0.1", "--port", "0"),
        *("--fault", "status:503", "--fault", "ok"),
        secrets=secrets,
        record=tmp_path / "requests.jsonl",
    )
    try:
        url = f"http://127.0.0.1:{fake.port}/v2/credentials/{secrets.task_id}"
        assert call(url)[0] == 503
        status, _, body = call(url)
        assert status == 200
        assert json.loads(body)["AccessKeyId"] == secrets.access_key_id
    finally:
        returncode = fake.stop()
    assert returncode == 0
    assert [q.path for q in fake.requests] == [urlsplit(url).path] * 2


def test_detach_returns_once_listening_and_leaves_the_fake_running(
    tmp_path: Path,
) -> None:
    record = tmp_path / "requests.jsonl"
    with (tmp_path / "stderr").open("wb") as stderr:  # the fake keeps it open
        done = subprocess.run(
            [sys.executable, str(FAKES), "--detach", "sts", "--record", str(record)],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            timeout=30,
            check=True,
        )
    ready, port, pid = done.stdout.split()
    try:
        assert ready == "READY"
        status, _, _ = call(f"http://127.0.0.1:{port}/?Action=GetCallerIdentity")
        assert status == 403  # unsigned
    finally:
        os.kill(int(pid), signal.SIGTERM)
    assert [q.action for q in read_records(record)] == ["GetCallerIdentity"]

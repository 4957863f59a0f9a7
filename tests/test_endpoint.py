"""The container endpoint's rules, exactly as botocore applies them."""

import json

import pytest

from roleprobe._container import Endpoint, check_token, error_code
from roleprobe._container import endpoint as container_endpoint
from roleprobe._credentials import parse_answer as parse_credentials
from roleprobe._errors import InvalidAnswer, Refused

REL = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
FULL = "AWS_CONTAINER_CREDENTIALS_FULL_URI"


def test_unset() -> None:
    assert container_endpoint({}) is None


def test_relative_uri_goes_to_the_ecs_agent() -> None:
    ep = container_endpoint({REL: "/v2/credentials/abc"})
    assert ep == Endpoint(
        url="http://169.254.170.2/v2/credentials/abc", host="169.254.170.2"
    )


def test_relative_wins_over_full_even_when_empty() -> None:
    with pytest.raises(Refused, match="must start with"):
        container_endpoint({REL: "", FULL: "http://127.0.0.1/x"})
    ep = container_endpoint({REL: "/x", FULL: "http://127.0.0.1:9/y"})
    assert ep is not None
    assert ep.url == "http://169.254.170.2/x"


def test_secret_path_is_not_in_repr() -> None:
    ep = container_endpoint({REL: "/v2/credentials/SECRET-task"})
    assert "SECRET-task" not in repr(ep)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/creds",
        "http://127.9.9.9/creds",
        "http://[::1]:80/creds",
        "http://localhost/creds",
        "http://169.254.170.2/v1/credentials",
        "http://169.254.170.23/v1/credentials",
        "http://[fd00:ec2::23]/v1/credentials",
        "https://example.com/creds",
        "https://10.0.0.1/creds",
    ],
)
def test_allowed_full_uris(url: str) -> None:
    ep = container_endpoint({FULL: url})
    assert ep is not None
    assert ep.url == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://example.com/creds", "not allowed over http"),
        ("http://10.0.0.1/creds", "not allowed over http"),
        ("http://169.254.169.254/creds", "not allowed over http"),
        ("http://localhost.evil.com/creds", "not allowed over http"),
        ("ftp://127.0.0.1/creds", "http or https"),
        ("127.0.0.1:80/creds", "http or https"),
        ("", "http or https"),
        ("http://127.0.0.1:99999/x", "not a valid URL"),
        ("http://[::1/x", "not a valid URL"),
    ],
)
def test_refused_full_uris(url: str, reason: str) -> None:
    with pytest.raises(Refused, match=reason):
        container_endpoint({FULL: url})


def test_tokens_are_carried() -> None:
    ep = container_endpoint(
        {
            FULL: "http://127.0.0.1/x",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "t0k",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "/f",
        }
    )
    assert ep is not None
    assert (ep.token, ep.token_file) == ("t0k", "/f")
    assert "t0k" not in repr(ep)


@pytest.mark.parametrize(
    ("token", "reason"),
    [("a\nb", "CR or LF"), ("a\rb", "CR or LF"), ("tok\n", "ends in a newline")],
)
def test_tokens_with_cr_or_lf_are_refused(token: str, reason: str) -> None:
    with pytest.raises(Refused, match=reason):
        check_token(token)


def test_token_used_verbatim() -> None:
    assert check_token(" Bearer x ") == " Bearer x "


GOOD = {
    "AccessKeyId": "AKIAEXAMPLE",
    "SecretAccessKey": "s",
    "Token": "t",
    "Expiration": "2030-01-01T00:00:00Z",
}


def test_parse_credentials() -> None:
    body = dict(
        GOOD, RoleArn="arn:aws:iam::123456789012:role/app", AccountId="123456789012"
    )
    c = parse_credentials(json.dumps(body).encode())
    assert c.role_arn == "arn:aws:iam::123456789012:role/app"
    assert c.account_id == "123456789012"
    assert c.expiration == "2030-01-01T00:00:00Z"
    assert c.secrets() == ("AKIAEXAMPLE", "s", "t")
    assert "AKIAEXAMPLE" not in repr(c)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'"text"', "not a JSON object"),
        (
            json.dumps({k: v for k, v in GOOD.items() if k != "Token"}).encode(),
            "lacks Token",
        ),
        (json.dumps(dict(GOOD, SecretAccessKey=5)).encode(), "lacks SecretAccessKey"),
        (json.dumps(dict(GOOD, AccessKeyId="")).encode(), "lacks AccessKeyId"),
        (b"[" * 100_000, "not JSON"),
        (b" " * (1 << 20) + b"{}", "larger than 1 MiB"),
        (b"\xff\xfe", "not JSON"),
    ],
)
def test_invalid_answers(body: bytes, reason: str) -> None:
    with pytest.raises(InvalidAnswer, match=reason):
        parse_credentials(body)


def test_error_codes_are_known_words_only() -> None:
    assert error_code(b'{"code":"CredentialsUninitialized","message":"m"}') == (
        "CredentialsUninitialized"
    )
    assert error_code(b'{"code":"SECRET-abc","message":"m"}') is None
    assert error_code(b"plain text") is None
    assert error_code(b"[]") is None

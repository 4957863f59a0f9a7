"""Where the container credentials endpoint is, and what a valid answer is.

Pure: the environment and answer bodies in, plain data out.  The rules are
botocore's ``ContainerProvider`` and ``ContainerMetadataFetcher``.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

ECS_HOST = "169.254.170.2"
ALLOWED_HOSTS = ("169.254.170.2", "169.254.170.23", "fd00:ec2::23", "localhost")
MAX_ANSWER = 1 << 20

RELATIVE_URI = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
FULL_URI = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
TOKEN = "AWS_CONTAINER_AUTHORIZATION_TOKEN"  # noqa: S105 - a name
TOKEN_FILE = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"  # noqa: S105


class Refused(Exception):
    """The configuration can never work: asking again will not help."""


class InvalidAnswer(Exception):
    """The endpoint answered, but not with credentials."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A credentials endpoint to ask; ``url`` may carry a secret task id."""

    url: str = field(repr=False)
    host: str
    token: str | None = field(default=None, repr=False)
    token_file: str | None = None


@dataclass(frozen=True, slots=True)
class Credentials:
    """Credentials as an endpoint hands them out; only non-secrets in repr."""

    access_key_id: str = field(repr=False)
    secret_access_key: str = field(repr=False)
    token: str | None = field(repr=False)
    expiration: str | None = None
    role_arn: str | None = None
    account_id: str | None = None

    def secrets(self) -> tuple[str, ...]:
        """Return the values that must never be logged."""
        return tuple(
            v for v in (self.access_key_id, self.secret_access_key, self.token) if v
        )


def container_endpoint(environ: Mapping[str, str]) -> Endpoint | None:
    """Return the container endpoint botocore would ask, or None if unset."""
    if RELATIVE_URI in environ:
        relative = environ[RELATIVE_URI]
        if not relative.startswith("/"):
            raise Refused(f"{RELATIVE_URI} must start with '/'")
        url, host = f"http://{ECS_HOST}{relative}", ECS_HOST
    elif FULL_URI in environ:
        url = environ[FULL_URI]
        host = _check_full_uri(url)
    else:
        return None
    return Endpoint(
        url=url,
        host=host,
        token=environ.get(TOKEN),
        token_file=environ.get(TOKEN_FILE),
    )


def _check_full_uri(url: str) -> str:
    """Return the full URI's host if botocore would connect to it."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise Refused(f"{FULL_URI} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not host:
        raise Refused(f"{FULL_URI} must be an http or https URL with a host")
    if parts.scheme == "https" or _is_loopback(host) or host in ALLOWED_HOSTS:
        return host
    raise Refused(
        f"{FULL_URI} host {host!r} is not allowed over http: only loopback "
        f"addresses and {', '.join(ALLOWED_HOSTS)} (or any host over https)"
    )


def _is_loopback(host: str) -> bool:
    """Tell whether *host* is a literal loopback address, as botocore does."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_token(token: str) -> str:
    """Return *token* if it can be a header value, as botocore checks it."""
    if "\r" in token or "\n" in token:
        raise Refused(
            "the authorization token contains a CR or LF character, "
            "which botocore refuses as a header value"
        )
    return token


def parse_credentials(body: bytes) -> Credentials:
    """Validate an endpoint's answer and return the credentials in it."""
    if len(body) > MAX_ANSWER:
        raise InvalidAnswer("answer larger than 1 MiB")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise InvalidAnswer("answer is not JSON") from None
    if not isinstance(data, dict):
        raise InvalidAnswer("answer is not a JSON object")
    missing = [
        k
        for k in ("AccessKeyId", "SecretAccessKey", "Token", "Expiration")
        if not isinstance(data.get(k), str) or not data[k]
    ]
    if missing:
        raise InvalidAnswer(f"answer lacks {', '.join(missing)}")
    return Credentials(
        access_key_id=data["AccessKeyId"],
        secret_access_key=data["SecretAccessKey"],
        token=data["Token"],
        expiration=data["Expiration"],
        role_arn=_text(data.get("RoleArn")),
        account_id=_text(data.get("AccountId")),
    )


def _text(value: object) -> str | None:
    """Return a non-empty string value, else None."""
    return value if isinstance(value, str) and value else None


_ECS_ERROR_CODES = frozenset(
    {
        "InvalidIdInRequest",
        "NoIdInRequest",
        "NoCredentialsAssociated",
        "CredentialsUninitialized",
        "InternalServerError",
        "AccessDenied",
        "InvalidRequest",
        "ThrottlingException",
    }
)


def error_code(body: bytes) -> str | None:
    """Return a known agent error code from an error body, never other text."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if isinstance(data, dict):
        code = data.get("code", data.get("Code"))
        if code in _ECS_ERROR_CODES:
            return str(code)
    return None

"""Credentials as the sources hand them out, and the names of the sources."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Literal, NamedTuple, get_args

from roleprobe._errors import InvalidAnswer

#: botocore's names (``Credentials.method``), in botocore's order.
Source = Literal[
    "env",
    "assume-role",
    "assume-role-with-web-identity",
    "sso",
    "shared-credentials-file",
    "login",
    "custom-process",
    "config-file",
    "ec2-credentials-file",
    "boto-config",
    "container-role",
    "iam-role",
]
SOURCES: tuple[Source, ...] = get_args(Source)

#: The most roleprobe reads of any answer or file, as received and as decoded.
MAX_ANSWER = 1 << 20


class Credentials(NamedTuple):
    """Credentials as a source hands them out; only non-secrets in repr."""

    access_key_id: str
    secret_access_key: str
    token: str | None
    expiration: str | None = None
    role_arn: str | None = None
    account_id: str | None = None

    def __repr__(self) -> str:
        """Show only what is not secret."""
        return (
            f"Credentials(expiration={self.expiration!r}, "
            f"role_arn={self.role_arn!r}, account_id={self.account_id!r})"
        )

    def secrets(self) -> tuple[str, ...]:
        """Return the values that must never be logged."""
        return tuple(
            v for v in (self.access_key_id, self.secret_access_key, self.token) if v
        )


def parse_answer(body: bytes) -> Credentials:
    """Validate the JSON answer of a container agent or IMDS; return its credentials."""
    if len(body) > MAX_ANSWER:
        raise InvalidAnswer("larger than 1 MiB")
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
    check_expiration(data["Expiration"])
    role_arn = _text(data.get("RoleArn"))
    if "RoleArn" in data and (role_arn is None or not is_arn(role_arn)):
        raise InvalidAnswer("RoleArn is not an ARN")
    return Credentials(
        access_key_id=data["AccessKeyId"],
        secret_access_key=data["SecretAccessKey"],
        token=data["Token"],
        expiration=data["Expiration"],
        role_arn=role_arn,
        account_id=_text(data.get("AccountId")),
    )


def _text(value: object) -> str | None:
    """Return a non-empty string value, else None."""
    return value if isinstance(value, str) and value else None


_ARN = re.compile(r"arn:[a-z][a-z0-9-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:[\x21-\x7e]+")


def is_arn(text: str) -> bool:
    """Tell whether *text* has the shape of an ARN."""
    return _ARN.fullmatch(text) is not None


def check_expiration(text: str, now: datetime | None = None) -> datetime:
    """Return the expiration time if the SDK can parse it and it lies ahead."""
    try:
        when = parse_time(text)
    except ValueError:
        raise InvalidAnswer("Expiration is not a time") from None
    if when <= (now or datetime.now(UTC)):
        raise InvalidAnswer("Expiration lies in the past")
    return when


def parse_time(text: str) -> datetime:
    """Return an ISO 8601 time, UTC when it names no zone; ValueError if none."""
    when = datetime.fromisoformat(text)
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)

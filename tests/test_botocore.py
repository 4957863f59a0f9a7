"""botocore's part in process: STS GetCallerIdentity and its failures."""

from __future__ import annotations

import pytest

from fakes import CALLER_ARN, Garbage, Secrets, Status, Sts
from roleprobe._botocore import caller_identity
from roleprobe._credentials import Credentials
from roleprobe._errors import Retryable


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> Credentials:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    secrets = Secrets.generate()
    return Credentials(secrets.access_key_id, secrets.secret_access_key, None)


def test_caller_identity(keys: Credentials, monkeypatch: pytest.MonkeyPatch) -> None:
    with Sts() as sts:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sts.url)
        identity = caller_identity(keys, 5)
    assert identity.arn == CALLER_ARN
    assert identity.account == CALLER_ARN.split(":")[4]


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (Status(403), "AccessDenied"),
        (Status(400, b"<Error><Code>SECRET-looking-code</Code></Error>"), "HTTP 400"),
        (Garbage(), "not STS XML"),
    ],
)
def test_failures_are_retryable_with_a_safe_reason(
    keys: Credentials, monkeypatch: pytest.MonkeyPatch, fault: object, reason: str
) -> None:
    with Sts(faults=[fault]) as sts:  # type: ignore[list-item]
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sts.url)
        with pytest.raises(Retryable) as e:
            caller_identity(keys, 5)
    assert reason in str(e.value)
    assert "SECRET" not in str(e.value)

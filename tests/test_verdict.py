"""The verdict: which events at which level, and which exit, for each case."""

import pytest

from roleprobe._settings import load
from roleprobe._verdict import Resolution, Verdict, decide

ROLE = "arn:aws:iam::123456789012:role/app"
OTHER = "arn:aws:iam::123456789012:role/other"
FOUND = Resolution(
    source="container-role",
    role_arn=ROLE,
    identity_arn=ROLE,
    verified_by="endpoint",
    attempts=1,
)
MISSING = Resolution(source="container-role", failure="timed out", attempts=4)
UNKNOWN = Resolution(source="container-role", identity_unknown="STS timed out")


def names(v: Verdict) -> list[tuple[str, str]]:
    return [(e.level, e.name) for e in v.events]


def test_no_expectation_runs_the_command() -> None:
    v = decide(FOUND, load({}), check=False)
    assert v.exit_status is None
    assert names(v) == [("info", "credentials_resolved")]
    fields = v.events[0].fields
    assert fields["source"] == "container-role"
    assert fields["role_arn"] == ROLE
    assert fields["account_id"] == "123456789012"


def test_match_runs_the_command() -> None:
    v = decide(FOUND, load({"EXPECTED_ROLE_ARN": "app"}), check=False)
    assert v.exit_status is None
    assert names(v) == [("info", "credentials_resolved"), ("info", "role_verified")]
    assert v.events[1].fields == {"role_arn": ROLE, "expected": "app"}


def test_mismatch_fails() -> None:
    v = decide(FOUND, load({"EXPECTED_ROLE_ARN": OTHER}), check=False)
    assert v.exit_status == 77
    assert names(v)[-1] == ("error", "role_mismatch")
    assert v.events[-1].fields == {"role_arn": ROLE, "expected": OTHER}


def test_mismatch_warns() -> None:
    settings = load({"EXPECTED_ROLE_ARN": OTHER, "ROLEPROBE_ON_MISMATCH": "warn"})
    v = decide(FOUND, settings, check=False)
    assert v.exit_status is None
    assert names(v)[-1] == ("warning", "role_mismatch")


def test_unavailable_without_expectation_runs_the_command() -> None:
    v = decide(MISSING, load({}), check=False)
    assert v.exit_status is None
    assert names(v) == [("warning", "credentials_unavailable")]
    assert v.events[0].fields["reason"] == "timed out"


def test_unavailable_with_expectation_fails() -> None:
    v = decide(MISSING, load({"EXPECTED_ROLE_ARN": "app"}), check=False)
    assert v.exit_status == 69
    assert names(v) == [("error", "credentials_unavailable")]


def test_unavailable_in_warn_mode_runs() -> None:
    settings = load({"EXPECTED_ROLE_ARN": "app", "ROLEPROBE_ON_MISMATCH": "warn"})
    v = decide(MISSING, settings, check=False)
    assert v.exit_status is None
    assert names(v) == [("warning", "credentials_unavailable")]


def test_unknown_identity_with_expectation_is_69() -> None:
    v = decide(UNKNOWN, load({"EXPECTED_ROLE_ARN": "app"}), check=False)
    assert v.exit_status == 69
    assert names(v) == [
        ("info", "credentials_resolved"),
        ("error", "credentials_unavailable"),
    ]
    assert v.events[0].fields["role_arn"] is None
    assert "STS timed out" in v.events[1].fields["reason"]


def test_unknown_identity_without_expectation_runs() -> None:
    v = decide(UNKNOWN, load({}), check=False)
    assert v.exit_status is None
    assert names(v) == [("info", "credentials_resolved")]


@pytest.mark.parametrize(
    ("found", "env", "status"),
    [
        (FOUND, {}, 0),
        (FOUND, {"EXPECTED_ROLE_ARN": "app"}, 0),
        (FOUND, {"EXPECTED_ROLE_ARN": "other"}, 77),
        (FOUND, {"EXPECTED_ROLE_ARN": "other", "ROLEPROBE_ON_MISMATCH": "warn"}, 77),
        (MISSING, {}, 69),
        (MISSING, {"EXPECTED_ROLE_ARN": "app"}, 69),
        (UNKNOWN, {}, 0),
        (UNKNOWN, {"EXPECTED_ROLE_ARN": "app"}, 69),
    ],
)
def test_check_exits(found: Resolution, env: dict[str, str], status: int) -> None:
    assert decide(found, load(env), check=True).exit_status == status


def test_shadowing_is_a_warning_first() -> None:
    found = Resolution(source="env", shadowed=("container-role",))
    v = decide(found, load({}), check=False)
    assert names(v)[0] == ("warning", "credentials_shadowed")
    assert v.events[0].fields == {"source": "env", "shadowed": ["container-role"]}


def test_identity_other_than_role_is_reported_apart() -> None:
    user = "arn:aws:iam::123456789012:user/bob"
    found = Resolution(source="env", identity_arn=user, verified_by="sts")
    v = decide(found, load({"EXPECTED_ROLE_ARN": "bob"}), check=False)
    resolved = v.events[0].fields
    assert resolved["role_arn"] is None
    assert resolved["identity_arn"] == user
    assert v.exit_status == 77

"""Tests for roleprobe._match: parsing and matching EXPECTED_ROLE_ARN."""

import re
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from roleprobe._match import (
    Pattern,
    PatternError,
    account_of,
    matches,
    parse_expected,
)

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/App"
ROLE_IN_PATH = f"arn:aws:iam::{ACCOUNT}:role/team/App"
ASSUMED = f"arn:aws:sts::{ACCOUNT}:assumed-role/App/i-0123456789abcdef0"
USER = f"arn:aws:iam::{ACCOUNT}:user/alice"
USER_IN_PATH = f"arn:aws:iam::{ACCOUNT}:user/division/alice"
FEDERATED = f"arn:aws:sts::{ACCOUNT}:federated-user/bob"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
ECS_SERVICE_ROLE = (
    f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/ecs.amazonaws.com/"
    "AWSServiceRoleForECS"
)
SSO = (
    f"arn:aws:sts::{ACCOUNT}:assumed-role/"
    "AWSReservedSSO_Admin_0123456789abcdef/jane.doe@example.com"
)
LONG = "a" * 100_000


# --- parse_expected: values that parse -------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (ROLE, [(ROLE, "role")]),
        (f"  {ROLE}  ", [(ROLE, "role")]),
        (f"\t{ROLE}\n", [(ROLE, "role")]),
        ("App", [("App", "name")]),
        (" App ", [("App", "name")]),
        ("App,Other", [("App", "name"), ("Other", "name")]),
        ("App , Other", [("App", "name"), ("Other", "name")]),
        (" App,\n Other\t", [("App", "name"), ("Other", "name")]),
        (f"{ROLE}, App", [(ROLE, "role"), ("App", "name")]),
        (ROLE_IN_PATH, [(ROLE_IN_PATH, "role")]),
        (ECS_SERVICE_ROLE, [(ECS_SERVICE_ROLE, "role")]),
        (f"arn:aws:iam::{ACCOUNT}:role/a/b/c/d/App", None),
        (f"arn:aws:iam::{ACCOUNT}:role/a.b~c!d/App", None),
        (f"arn:aws:iam::{ACCOUNT}:role/a:b/App", None),
        (f"arn:aws-cn:iam::{ACCOUNT}:role/App", None),
        (f"arn:aws-us-gov:iam::{ACCOUNT}:role/App", None),
        (f"arn:aws-iso-b:iam::{ACCOUNT}:role/App", None),
        (ASSUMED, [(ASSUMED, "assumed-role")]),
        (SSO, [(SSO, "assumed-role")]),
        (f"arn:aws:sts::{ACCOUNT}:assumed-role/App/*", None),
        (USER, [(USER, "user")]),
        (USER_IN_PATH, [(USER_IN_PATH, "user")]),
        (FEDERATED, [(FEDERATED, "federated-user")]),
        (ROOT, [(ROOT, "root")]),
        # Wildcards in partition, account, path and name.
        (f"arn:*:iam::{ACCOUNT}:role/App", None),
        (f"arn:aws-*:iam::{ACCOUNT}:role/App", None),
        ("arn:aws:iam::*:role/App", None),
        ("arn:aws:iam::1234567890??:role/App", None),
        ("arn:aws:iam::123*:role/App", None),
        ("arn:*:iam::*:role/*", None),
        (f"arn:aws:iam::{ACCOUNT}:role/*", None),
        (f"arn:aws:iam::{ACCOUNT}:role/team/*", None),
        (f"arn:aws:iam::{ACCOUNT}:role/*/App", None),
        (f"arn:aws:iam::{ACCOUNT}:role/t?am/App-*", None),
        (f"arn:aws:iam::{ACCOUNT}:user/*", None),
        ("arn:aws:iam::*:root", None),
        ("*", [("*", "name")]),
        ("?", [("?", "name")]),
        ("App-*", [("App-*", "name")]),
        ("?pp", [("?pp", "name")]),
        # Every character IAM allows in a role name, except the separator ','.
        ("aZ09+=.@_-", [("aZ09+=.@_-", "name")]),
        ("a" * 64, [("a" * 64, "name")]),
        (f"arn:aws:iam::{ACCOUNT}:role/" + "a" * 64, None),
        ("A\u00a0", [("A", "name")]),  # str.strip() takes non-ASCII spaces too
    ],
)
def test_parse_valid(value: str, expected: list[tuple[str, str]] | None) -> None:
    patterns = parse_expected(value)
    assert all(isinstance(p, Pattern) for p in patterns)
    got = [(p.text, p.kind) for p in patterns]
    if expected is None:
        assert [text for text, _ in got] == [value]
    else:
        assert got == expected


def test_pattern_is_frozen_and_keeps_its_text() -> None:
    (pattern,) = parse_expected(f" {ROLE_IN_PATH} ")
    assert pattern.text == ROLE_IN_PATH
    assert pattern.name == "App"
    assert pattern.partition == "aws"
    assert pattern.account == ACCOUNT
    with pytest.raises(AttributeError):
        pattern.text = "x"  # type: ignore[misc]
    assert parse_expected(ROLE) == parse_expected(ROLE)


# --- parse_expected: values that do not parse -------------------------------


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        # Empty items.
        ("", "empty"),
        ("   ", "empty"),
        ("\n", "empty"),
        (",", "item 1 of 2"),
        ("App,", "item 2 of 2"),
        ("App, ", "item 2 of 2"),
        (",App", "item 1 of 2"),
        ("App,,Other", "item 2 of 3"),
        ("App, ,Other", "item 2 of 3"),
        # Missing or empty role name.
        (f"arn:aws:iam::{ACCOUNT}:role/", "role name is empty"),
        (f"arn:aws:iam::{ACCOUNT}:role/app/", "role name is empty"),
        (f"arn:aws:iam::{ACCOUNT}:role", "role name is empty"),
        (f"arn:aws:iam::{ACCOUNT}:role//App", "empty segment"),
        (f"arn:aws:iam::{ACCOUNT}:role/team//App", "empty segment"),
        (f"arn:aws:sts::{ACCOUNT}:assumed-role//s", "role name is empty"),
        (f"arn:aws:sts::{ACCOUNT}:assumed-role/App/", "session name is empty"),
        (f"arn:aws:iam::{ACCOUNT}:user/", "user name is empty"),
        (f"arn:aws:sts::{ACCOUNT}:federated-user/", "federated user name is empty"),
        # Upper case where AWS has lower case.
        ("ARN:aws:iam::123456789012:role/App", "case-sensitive"),
        ("Arn:aws:iam::123456789012:role/App", "case-sensitive"),
        ("arN:aws:iam::123456789012:role/App", "case-sensitive"),
        (f"arn:AWS:iam::{ACCOUNT}:role/App", "partition 'AWS'"),
        (f"arn:aws:IAM::{ACCOUNT}:role/App", "service 'IAM'"),
        (f"arn:aws:iam::{ACCOUNT}:Role/App", "resource 'Role/App'"),
        (f"arn:aws:iam::{ACCOUNT}:ROOT", "resource 'ROOT'"),
        # Wrong shape.
        ("arn:", "expected arn:PARTITION"),
        ("arn:aws", "expected arn:PARTITION"),
        (f"arn:aws:iam::{ACCOUNT}", "expected arn:PARTITION"),
        (f"arn::iam::{ACCOUNT}:role/App", "partition ''"),
        (f"arn:aws_cn:iam::{ACCOUNT}:role/App", "partition 'aws_cn'"),
        (f"arn:aws:s3:::{ACCOUNT}", "service 's3'"),
        ("arn:aws:s3:::bucket", "service 's3'"),
        (f"arn:aws:*::{ACCOUNT}:role/App", "service '*'"),
        (f"arn:aws:iam:us-east-1:{ACCOUNT}:role/App", "region 'us-east-1'"),
        (f"arn:aws:sts:*:{ACCOUNT}:assumed-role/App/s", "region '*'"),
        ("arn:aws:iam:::role/App", "account ''"),
        ("arn:aws:iam::12345678901:role/App", "not 12 digits"),
        ("arn:aws:iam::1234567890123:role/App", "not 12 digits"),
        ("arn:aws:iam::12345678901a:role/App", "not 12 digits"),
        ("arn:aws:iam::1234-5678-9012:role/App", "not 12 digits"),
        ("arn:aws:iam::123*-456:role/App", "not 12 digits"),
        (
            "arn:aws:iam::\uff11\uff12\uff13\uff14\uff15\uff16"
            "\uff17\uff18\uff19\uff10\uff11\uff12:role/App",
            "not 12 digits",
        ),
        ("arn:aws:iam::١٢٣٤٥٦٧٨٩٠١٢:role/App", "not 12 digits"),
        (f"arn:aws:sts::{ACCOUNT}:role/App", "role ARNs have service 'iam'"),
        (f"arn:aws:iam::{ACCOUNT}:assumed-role/App/s", "have service 'sts'"),
        (f"arn:aws:sts::{ACCOUNT}:user/alice", "have service 'iam'"),
        (f"arn:aws:iam::{ACCOUNT}:federated-user/bob", "have service 'sts'"),
        (f"arn:aws:sts::{ACCOUNT}:root", "have service 'iam'"),
        (f"arn:aws:sts::{ACCOUNT}:assumed-role/App", "assumed-role/NAME/SESSION"),
        (f"arn:aws:sts::{ACCOUNT}:assumed-role/a/App/s", "assumed-role/NAME/SESSION"),
        (f"arn:aws:sts::{ACCOUNT}:federated-user/a/b", "federated-user/NAME"),
        (f"arn:aws:iam::{ACCOUNT}:root/x", "resource 'root/x'"),
        (f"arn:aws:iam::{ACCOUNT}:*", "resource '*'"),
        (f"arn:aws:iam::{ACCOUNT}:ro*/App", "resource 'ro*/App'"),
        (f"arn:aws:iam::{ACCOUNT}:group/admins", "resource 'group/admins'"),
        (f"arn:aws:iam::{ACCOUNT}:policy/p", "resource 'policy/p'"),
        (f"arn:aws:iam::{ACCOUNT}:", "resource ''"),
        (f"arn:aws:iam::{ACCOUNT}:role:App", "resource 'role:App'"),
        # Not a role name.
        ("aws:iam::123456789012:role/App", "starts with 'arn:'"),
        ("App:1", "starts with 'arn:'"),
        ("team/App", "has no '/'"),
        ("role/App", "has no '/'"),
        ("/App", "has no '/'"),
        ("My App", "holds ' '"),
        ("App\tName", "holds '\\t'"),
        ("App\nName", "holds '\\n'"),
        ("App[1]", "holds '['"),
        ("App{a,b}", "holds '{'"),
        ("App!", "holds '!'"),
        ("App~", "holds '~'"),
        ("App#", "holds '#'"),
        ("App\\*", "holds '\\\\'"),
        ('"App"', "holds '\"'"),
        ("'App'", 'holds "\'"'),
        ("Äpp", "holds 'Ä'"),
        ("Приложение", "holds 'П'"),
        ("アプリ", "holds 'ア'"),
        ("App\u200b", "holds '\\u200b'"),
        ("App\x00", "holds '\\x00'"),
        (f"arn:aws:iam::{ACCOUNT}:role/My App", "holds ' '"),
        (f"arn:aws:iam::{ACCOUNT}:role/Äpp", "holds 'Ä'"),
        (f"arn:aws:iam::{ACCOUNT}:role/tëam/App", "not printable ASCII"),
        (f"arn:aws:iam::{ACCOUNT}:role/t am/App", "not printable ASCII"),
        (f"arn:aws:sts::{ACCOUNT}:assumed-role/App/s s", "session name holds ' '"),
        # Too long.
        ("a" * 65, "longer than 64"),
        ("*" * 65, "longer than 64"),
        (f"arn:aws:iam::{ACCOUNT}:role/" + "a" * 65, "longer than 64"),
        (LONG, "longer than 64"),
        (f"arn:aws:iam::{ACCOUNT}:role/{LONG}", "longer than 64"),
        (f"App,{LONG}", "longer than 64"),
        # The bad item is found wherever it is.
        (f"{ROLE},arn:aws:iam::{ACCOUNT}:role/", "role name is empty"),
        (f"App, Other, {ROLE}/", "role name is empty"),
    ],
)
def test_parse_invalid(value: str, reason: str) -> None:
    with pytest.raises(PatternError) as info:
        parse_expected(value)
    message = str(info.value)
    assert reason in message
    assert "\n" not in message
    assert "\r" not in message
    assert len(message) < 300


@pytest.mark.parametrize(
    ("value", "item"),
    [
        (f"App, {ROLE}/", f"'{ROLE}/'"),
        ("App, My App", "'My App'"),
        ("ARN:aws:iam::123456789012:role/App", "'ARN:aws:iam::123456789012:role/App'"),
        ("App\nName", "'App\\nName'"),
        ("App\u2028Name", "'App\\u2028Name'"),
        (LONG, "'" + "a" * 80 + "'..."),
    ],
)
def test_parse_error_names_the_item(value: str, item: str) -> None:
    with pytest.raises(PatternError) as info:
        parse_expected(value)
    assert str(info.value).startswith(f"pattern {item}: ")
    assert str(info.value).isprintable()


def test_pattern_error_is_a_value_error() -> None:
    assert issubclass(PatternError, ValueError)


# --- matches: tables ---------------------------------------------------------

MATCH_CASES = [
    # Role pattern against a role identity: the whole ARN, path included;
    # a pattern without a path matches the name whatever the path.
    (ROLE, ROLE, True),
    (ROLE, ROLE_IN_PATH, True),
    (ROLE_IN_PATH, ROLE_IN_PATH, True),
    (ROLE_IN_PATH, ROLE, False),
    (f"arn:aws:iam::{ACCOUNT}:role/other/App", ROLE_IN_PATH, False),
    (f"arn:aws:iam::{ACCOUNT}:role/*/App", ROLE_IN_PATH, True),
    (f"arn:aws:iam::{ACCOUNT}:role/*/App", ROLE, False),
    (f"arn:aws:iam::{ACCOUNT}:role/*App", ROLE, True),
    (f"arn:aws:iam::{ACCOUNT}:role/*App", ROLE_IN_PATH, True),
    (f"arn:aws:iam::{ACCOUNT}:role/*", ROLE_IN_PATH, True),
    (f"arn:aws:iam::{ACCOUNT}:role/*", ECS_SERVICE_ROLE, True),
    (f"arn:aws:iam::{ACCOUNT}:role/t*", ROLE_IN_PATH, True),  # * spans '/'
    (f"arn:aws:iam::{ACCOUNT}:role/team/*", ROLE_IN_PATH, True),
    (f"arn:aws:iam::{ACCOUNT}:role/team/*", ROLE, False),
    (f"arn:aws:iam::{ACCOUNT}:role/t?am/App", ROLE_IN_PATH, True),
    (f"arn:aws:iam::{ACCOUNT}:role/t?am/App", ROLE, False),
    (f"arn:aws:iam::{ACCOUNT}:role/?eam/?pp", ROLE_IN_PATH, True),
    (f"arn:aws:iam::{ACCOUNT}:role/App*", ROLE, True),
    (f"arn:aws:iam::{ACCOUNT}:role/App*", f"arn:aws:iam::{ACCOUNT}:role/App-2", True),
    (f"arn:aws:iam::{ACCOUNT}:role/App", f"arn:aws:iam::{ACCOUNT}:role/App-2", False),
    (f"arn:aws:iam::{ACCOUNT}:role/App-?", f"arn:aws:iam::{ACCOUNT}:role/App-2", True),
    (f"arn:aws:iam::{ACCOUNT}:role/App-?", f"arn:aws:iam::{ACCOUNT}:role/App-", False),
    (f"arn:aws:iam::{ACCOUNT}:role/Ap", ROLE, False),
    (f"arn:aws:iam::{ACCOUNT}:role/pp", ROLE, False),
    (ECS_SERVICE_ROLE, ECS_SERVICE_ROLE, True),
    (
        f"arn:aws:iam::{ACCOUNT}:role/a:b/App",
        f"arn:aws:iam::{ACCOUNT}:role/a:b/App",
        True,
    ),
    # A wildcard never reaches from the account into the resource: here the
    # role App (path x:role/) matches by its name, as a pattern without a path.
    ("arn:aws:iam::*:role/App", f"arn:aws:iam::{ACCOUNT}:role/x:role/App", True),
    ("arn:aws:iam::*:role/*:role/App", f"arn:aws:iam::{ACCOUNT}:role/App", False),
    # Case-sensitive everywhere.
    (f"arn:aws:iam::{ACCOUNT}:role/app", ROLE, False),
    (f"arn:aws:iam::{ACCOUNT}:role/APP", ROLE, False),
    (f"arn:aws:iam::{ACCOUNT}:role/Team/App", ROLE_IN_PATH, False),
    # Account and partition must match too.
    (ROLE, f"arn:aws:iam::{OTHER_ACCOUNT}:role/App", False),
    (ROLE, f"arn:aws-cn:iam::{ACCOUNT}:role/App", False),
    (ROLE, f"arn:aws-us-gov:iam::{ACCOUNT}:role/App", False),
    (
        f"arn:aws-cn:iam::{ACCOUNT}:role/App",
        f"arn:aws-cn:iam::{ACCOUNT}:role/App",
        True,
    ),
    (
        f"arn:aws-us-gov:iam::{ACCOUNT}:role/App",
        f"arn:aws-us-gov:iam::{ACCOUNT}:role/App",
        True,
    ),
    (f"arn:aws-us-gov:iam::{ACCOUNT}:role/App", ROLE, False),
    # Wildcards in the account.
    ("arn:aws:iam::*:role/App", ROLE, True),
    ("arn:aws:iam::*:role/App", f"arn:aws:iam::{OTHER_ACCOUNT}:role/App", True),
    ("arn:aws:iam::*:role/App", ROLE_IN_PATH, True),
    ("arn:aws:iam::123*:role/App", ROLE, True),
    ("arn:aws:iam::*012:role/App", ROLE, True),
    ("arn:aws:iam::9*:role/App", ROLE, False),
    ("arn:aws:iam::1234567890??:role/App", ROLE, True),
    ("arn:aws:iam::1234567890?:role/App", ROLE, False),
    ("arn:aws:iam::????????????:role/App", ROLE, True),
    ("arn:aws:iam::?????????????:role/App", ROLE, False),
    # Wildcards in the partition.
    (f"arn:*:iam::{ACCOUNT}:role/App", ROLE, True),
    (f"arn:*:iam::{ACCOUNT}:role/App", f"arn:aws-cn:iam::{ACCOUNT}:role/App", True),
    (
        f"arn:aws*:iam::{ACCOUNT}:role/App",
        f"arn:aws-us-gov:iam::{ACCOUNT}:role/App",
        True,
    ),
    (f"arn:aws-*:iam::{ACCOUNT}:role/App", ROLE, False),
    (f"arn:aws-*:iam::{ACCOUNT}:role/App", f"arn:aws-cn:iam::{ACCOUNT}:role/App", True),
    (
        f"arn:aws-??:iam::{ACCOUNT}:role/App",
        f"arn:aws-cn:iam::{ACCOUNT}:role/App",
        True,
    ),
    ("arn:*:iam::*:role/*", ROLE_IN_PATH, True),
    ("arn:*:iam::*:role/*", ASSUMED, True),
    ("arn:*:iam::*:role/*", USER, False),
    # Role pattern against an assumed-role identity: partition, account, name.
    (ROLE, ASSUMED, True),
    (ROLE_IN_PATH, ASSUMED, True),  # the pattern's path is not compared
    (f"arn:aws:iam::{ACCOUNT}:role/other/App", ASSUMED, True),
    (f"arn:aws:iam::{ACCOUNT}:role/*/App", ASSUMED, True),
    (f"arn:aws:iam::{ACCOUNT}:role/team/*", ASSUMED, True),  # name '*'
    (f"arn:aws:iam::{ACCOUNT}:role/*", ASSUMED, True),
    (f"arn:aws:iam::{ACCOUNT}:role/Ap?", ASSUMED, True),
    (f"arn:aws:iam::{ACCOUNT}:role/Ap", ASSUMED, False),
    (f"arn:aws:iam::{ACCOUNT}:role/app", ASSUMED, False),
    (f"arn:aws:iam::{ACCOUNT}:role/i-0123456789abcdef0", ASSUMED, False),
    (ROLE, f"arn:aws:sts::{OTHER_ACCOUNT}:assumed-role/App/s", False),
    (ROLE, f"arn:aws-us-gov:sts::{ACCOUNT}:assumed-role/App/s", False),
    (
        "arn:aws:iam::*:role/App",
        f"arn:aws:sts::{OTHER_ACCOUNT}:assumed-role/App/s",
        True,
    ),
    (
        f"arn:aws-cn:iam::{ACCOUNT}:role/App",
        f"arn:aws-cn:sts::{ACCOUNT}:assumed-role/App/s",
        True,
    ),
    (f"arn:aws:iam::{ACCOUNT}:role/AWSReservedSSO_Admin_*", SSO, True),
    # Assumed-role pattern: partition, account, name; never the session.
    (ASSUMED, ASSUMED, True),
    (f"arn:aws:sts::{ACCOUNT}:assumed-role/App/other", ASSUMED, True),
    (f"arn:aws:sts::{ACCOUNT}:assumed-role/App/*", ASSUMED, True),
    (f"arn:aws:sts::{ACCOUNT}:assumed-role/Other/i-0123456789abcdef0", ASSUMED, False),
    (f"arn:aws:sts::{OTHER_ACCOUNT}:assumed-role/App/s", ASSUMED, False),
    (f"arn:aws-cn:sts::{ACCOUNT}:assumed-role/App/s", ASSUMED, False),
    (f"arn:aws:sts::{ACCOUNT}:assumed-role/App/s", ROLE, True),
    (f"arn:aws:sts::{ACCOUNT}:assumed-role/App/s", ROLE_IN_PATH, True),
    (f"arn:aws:sts::{ACCOUNT}:assumed-role/A*/s", ROLE_IN_PATH, True),
    (
        f"arn:aws:sts::{ACCOUNT}:assumed-role/App/s",
        f"arn:aws:iam::{OTHER_ACCOUNT}:role/App",
        False,
    ),
    ("arn:aws:sts::*:assumed-role/AWSReservedSSO_*/*", SSO, True),
    (f"arn:aws:sts::{ACCOUNT}:assumed-role/App/s", USER, False),
    (f"arn:aws:sts::{ACCOUNT}:assumed-role/bob/s", FEDERATED, False),
    # Bare names: the role name (last path segment) in any account.
    ("App", ROLE, True),
    ("App", ROLE_IN_PATH, True),
    ("App", ASSUMED, True),
    ("App", f"arn:aws:iam::{OTHER_ACCOUNT}:role/App", True),
    ("App", f"arn:aws-cn:iam::{ACCOUNT}:role/x/y/App", True),
    ("App", f"arn:aws-us-gov:sts::{OTHER_ACCOUNT}:assumed-role/App/s", True),
    ("team", ROLE_IN_PATH, False),
    ("App", f"arn:aws:iam::{ACCOUNT}:role/App/x", False),
    ("app", ROLE, False),
    ("App", f"arn:aws:iam::{ACCOUNT}:role/App-2", False),
    ("App", f"arn:aws:iam::{ACCOUNT}:role/MyApp", False),
    ("App*", f"arn:aws:iam::{ACCOUNT}:role/App-2", True),
    ("*App", f"arn:aws:iam::{ACCOUNT}:role/MyApp", True),
    ("*pp*", ROLE, True),
    ("?pp", ROLE, True),
    ("??pp", ROLE, False),
    ("A?p", ROLE, True),
    ("*", ROLE, True),
    ("*", ASSUMED, True),
    ("i-0123456789abcdef0", ASSUMED, False),  # the session is no name
    ("AWSServiceRoleForECS", ECS_SERVICE_ROLE, True),
    ("alice", USER, False),
    ("bob", FEDERATED, False),
    ("*", USER, False),
    ("*", FEDERATED, False),
    ("*", ROOT, False),
    # Non-role identities: only their own full ARN.
    (USER, USER, True),
    (USER, USER_IN_PATH, False),
    (USER_IN_PATH, USER_IN_PATH, True),
    (f"arn:aws:iam::{ACCOUNT}:user/*", USER_IN_PATH, True),
    (f"arn:aws:iam::{ACCOUNT}:user/*alice", USER_IN_PATH, True),
    (f"arn:aws:iam::{ACCOUNT}:user/alic?", USER, True),
    (f"arn:aws:iam::{ACCOUNT}:user/Alice", USER, False),
    (f"arn:aws:iam::{OTHER_ACCOUNT}:user/alice", USER, False),
    ("arn:aws:iam::*:user/alice", USER, True),
    (f"arn:aws:iam::{ACCOUNT}:user/alice", f"arn:aws:iam::{ACCOUNT}:role/alice", False),
    (f"arn:aws:iam::{ACCOUNT}:role/alice", USER, False),
    (f"arn:aws:iam::{ACCOUNT}:role/*", USER, False),
    (f"arn:aws:iam::{ACCOUNT}:role/*", ROOT, False),
    (f"arn:aws:iam::{ACCOUNT}:role/bob", FEDERATED, False),
    (FEDERATED, FEDERATED, True),
    (f"arn:aws:sts::{ACCOUNT}:federated-user/b*", FEDERATED, True),
    (f"arn:aws:sts::{ACCOUNT}:federated-user/alice", FEDERATED, False),
    (FEDERATED, f"arn:aws:sts::{ACCOUNT}:assumed-role/bob/s", False),
    (ROOT, ROOT, True),
    (ROOT, f"arn:aws:iam::{OTHER_ACCOUNT}:root", False),
    (ROOT, f"arn:aws-cn:iam::{ACCOUNT}:root", False),
    ("arn:aws:iam::*:root", ROOT, True),
    ("arn:*:iam::*:root", f"arn:aws-cn:iam::{OTHER_ACCOUNT}:root", True),
    (ROOT, ROLE, False),
    (ROOT, USER, False),
    (USER, ROOT, False),
    # Several patterns: any one will do.
    ("Other, App", ROLE, True),
    ("Other,Another", ROLE, False),
    (f"{USER}, {ROOT}, App", ASSUMED, True),
    (f"{USER}, {ROOT}", ROOT, True),
    (f"{ROLE_IN_PATH}, arn:aws:iam::*:role/Other", ROLE, False),
    # Identities that cannot be parsed match nothing, not even '*'.
    ("*", "", False),
    ("*", "App", False),
    ("*", " " + ROLE, False),
    ("*", ROLE + " ", False),
    ("*", ROLE + "\n", False),
    ("*", "ARN:aws:iam::123456789012:role/App", False),
    ("*", f"arn:AWS:iam::{ACCOUNT}:role/App", False),
    ("*", f"arn:aws:iam::{ACCOUNT}:role/", False),
    ("*", f"arn:aws:iam::{ACCOUNT}:role/App/", False),
    ("*", f"arn:aws:iam::{ACCOUNT}:role//App", False),
    ("*", "arn:aws:iam::12345:role/App", False),
    ("*", "arn:aws:iam::*:role/App", False),
    ("*", f"arn:aws:iam::{ACCOUNT}:role/Ap*", False),  # no wildcards in names
    ("*", f"arn:aws:iam::{ACCOUNT}:role/Ap?", False),
    ("*", f"arn:*:iam::{ACCOUNT}:role/App", False),
    ("*", f"arn:aws:sts::{ACCOUNT}:assumed-role/App", False),
    ("*", f"arn:aws:iam::{ACCOUNT}:role/Äpp", False),
    ("*", f"arn:aws:iam::{ACCOUNT}:role/{LONG}", False),
    ("*", f"arn:aws:iam:us-east-1:{ACCOUNT}:role/App", False),
    ("*", f"arn:aws:iam::{ACCOUNT}:group/App", False),
    ("arn:aws:iam::*:role/*", f"arn:aws:iam::{ACCOUNT}:role/App Name", False),
    # Very long identities that are well-formed.
    ("App", f"arn:aws:iam::{ACCOUNT}:role/" + "p/" * 50_000 + "App", True),
    (
        f"arn:aws:iam::{ACCOUNT}:role/*/App",
        f"arn:aws:iam::{ACCOUNT}:role/" + "p/" * 50_000 + "App",
        True,
    ),
    (
        f"arn:aws:iam::{ACCOUNT}:role/*x*y*z*/App",
        f"arn:aws:iam::{ACCOUNT}:role/" + "a" * 10_000 + "/App",
        False,
    ),
]


@pytest.mark.parametrize(("value", "identity", "expected"), MATCH_CASES)
def test_matches(value: str, identity: str, expected: bool) -> None:
    assert matches(parse_expected(value), identity) is expected


@pytest.mark.parametrize("identity", [ROLE, ASSUMED, USER, ROOT, "", "junk"])
def test_no_patterns_match_nothing(identity: str) -> None:
    assert matches((), identity) is False
    assert matches([], identity) is False


def test_matches_takes_any_sequence() -> None:
    patterns = list(parse_expected("Other, App"))
    assert matches(patterns, ROLE) is True


# --- account_of --------------------------------------------------------------


@pytest.mark.parametrize(
    ("arn", "account"),
    [
        (ROLE, ACCOUNT),
        (ROLE_IN_PATH, ACCOUNT),
        (ASSUMED, ACCOUNT),
        (USER, ACCOUNT),
        (FEDERATED, ACCOUNT),
        (ROOT, ACCOUNT),
        (f"arn:aws-cn:iam::{OTHER_ACCOUNT}:role/App", OTHER_ACCOUNT),
        (f"arn:aws-us-gov:sts::{ACCOUNT}:assumed-role/App/s", ACCOUNT),
        (f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f", ACCOUNT),
        (f"arn:aws:iam::{ACCOUNT}:", ACCOUNT),
        ("arn:aws:s3:::bucket", None),
        ("arn:aws:s3:::bucket:with:colons", None),
        ("", None),
        ("App", None),
        (ACCOUNT, None),
        (f"arn:aws:iam::{ACCOUNT}", None),
        (f"ARN:aws:iam::{ACCOUNT}:role/App", None),
        ("arn:aws:iam::12345678901:role/App", None),
        ("arn:aws:iam::1234567890123:role/App", None),
        ("arn:aws:iam::*:role/App", None),
        ("arn:aws:iam::1234567890??:role/App", None),
        ("arn:aws:iam::١٢٣٤٥٦٧٨٩٠١٢:role/App", None),
        (f"arn:aws:iam:: {ACCOUNT}:role/App", None),
        (f"arn:aws:iam::{ACCOUNT}:role/{LONG}", ACCOUNT),
    ],
)
def test_account_of(arn: str, account: str | None) -> None:
    assert account_of(arn) == account


# --- property tests -----------------------------------------------------------

# Text that is likely to look like an ARN or a pattern, with the odd stranger.
ARNISH = st.text(alphabet="arnwsimt:/*?,. 0123-_Aé\n", max_size=60)
ARNISH_ARN = st.builds(lambda rest: "arn:" + rest, ARNISH)
ANY_TEXT = st.one_of(st.text(), ARNISH, ARNISH_ARN)


@given(ANY_TEXT)
@example("")
@example("arn:" + ":" * 10)
@example("arn:aws:iam::123456789012:role/" + "/" * 5)
def test_parse_expected_raises_only_pattern_error(value: str) -> None:
    try:
        patterns = parse_expected(value)
    except PatternError as err:
        message = str(err)
    else:
        message = ""
        assert [p.text for p in patterns] == [item.strip() for item in value.split(",")]
    assert message.isprintable()  # hence one line


@given(
    identity=ANY_TEXT,
    value=st.sampled_from(
        [
            "*",
            "App",
            ROLE,
            ROLE_IN_PATH,
            ASSUMED,
            USER,
            FEDERATED,
            ROOT,
            "arn:*:iam::*:role/*",
            "arn:*:sts::*:assumed-role/*/*",
            "arn:*:iam::*:user/*",
            "arn:*:sts::*:federated-user/*",
            "arn:*:iam::*:root",
        ]
    ),
)
@example(identity="arn:aws:iam::123456789012:role/*", value="*")
def test_matches_never_raises(identity: str, value: str) -> None:
    assert isinstance(matches(parse_expected(value), identity), bool)


@given(ANY_TEXT)
def test_account_of_never_raises(arn: str) -> None:
    account = account_of(arn)
    assert account is None or re.fullmatch(r"[0-9]{12}", account, re.ASCII)


# A straightforward reference: the contract's rules with regexes.


def _ref_glob(pattern: str, text: str) -> bool:
    regex = "".join(
        ".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern
    )
    return re.fullmatch(regex, text, re.DOTALL) is not None


_REF_ROLE = re.compile(r"arn:([^:]+):iam::([^:]+):role/(?:.*/)?([^/]+)")
_REF_ASSUMED = re.compile(r"arn:([^:]+):sts::([^:]+):assumed-role/([^/]+)/[^/]+")


def _ref_role_parts(arn: str) -> tuple[str, str, str] | None:
    """Partition, account and role name of a role or assumed-role ARN."""
    found = _REF_ROLE.fullmatch(arn) or _REF_ASSUMED.fullmatch(arn)
    return (found[1], found[2], found[3]) if found else None


def _ref_matches(pattern: str, identity: str) -> bool:
    """What the contract says, written as plainly as possible."""
    identity_role = _ref_role_parts(identity)
    if not pattern.startswith("arn:"):  # a bare name: the role name only
        return identity_role is not None and _ref_glob(pattern, identity_role[2])
    pattern_role = _ref_role_parts(pattern)
    if ":role/" in pattern and ":role/" in identity:
        if _ref_glob(pattern, identity):  # the whole ARN, path included
            return True
        # a pattern without a path: the role of that name, whatever its path
        unpathed = "/" not in pattern.split(":role/", 1)[1]
        return unpathed and all(map(_ref_glob, pattern_role, identity_role))
    if pattern_role is not None and identity_role is not None:
        return all(map(_ref_glob, pattern_role, identity_role))
    if pattern_role is not None or identity_role is not None:
        return False  # a role pattern never matches a non-role, nor the reverse
    return _ref_glob(pattern, identity)  # non-roles: their own full ARN


# Small alphabets so that generated patterns and identities often meet.
PARTITIONS = st.sampled_from(["aws", "aws-cn", "aws-us-gov", "aws-iso"])
ACCOUNTS = st.sampled_from([ACCOUNT, OTHER_ACCOUNT, "123456789013", "000000000000"])
NAMES = st.text(alphabet="Aa1.-", min_size=1, max_size=6)
SEGMENTS = st.lists(st.text(alphabet="Aa", min_size=1, max_size=3), max_size=3)
SESSIONS = st.sampled_from(["s", "i-0abc", "jane@example.com"])
WILDCARDING = ["keep"] * 6 + ["?", "*", "*+", "+*"]


@st.composite
def wildcarded(draw: st.DrawFn, text: str) -> str:
    """Text with some characters replaced by, or joined with, wildcards."""
    out = []
    for char in text:
        how = draw(st.sampled_from(WILDCARDING))
        out.append({"keep": char, "*+": "*" + char, "+*": char + "*"}.get(how, how))
    return "".join(out)


PARTS = st.fixed_dictionaries(
    {
        "partition": PARTITIONS,
        "account": ACCOUNTS,
        "name": NAMES,
        "segments": SEGMENTS,
        "session": SESSIONS,
    }
)


@st.composite
def arns(draw: st.DrawFn, like: dict[str, Any], *, wild: bool) -> str:
    """An identity ARN of any kind (a pattern when wild), mostly with like's parts."""
    fresh = draw(PARTS)

    def part(key: str) -> Any:
        return like[key] if draw(st.integers(0, 3)) else fresh[key]

    def maybe(text: str) -> str:
        return draw(wildcarded(text)) if wild else text

    partition, account = maybe(part("partition")), maybe(part("account"))
    name, session = maybe(part("name")), maybe(part("session"))
    path = "".join(maybe(segment) + "/" for segment in part("segments"))
    kinds = ["role", "assumed", "user", "federated", "root"]
    resource = {
        "role": f"iam::{account}:role/{path}{name}",
        "assumed": f"sts::{account}:assumed-role/{name}/{session}",
        "user": f"iam::{account}:user/{path}{name}",
        "federated": f"sts::{account}:federated-user/{name}",
        "root": f"iam::{account}:root",
        "name": "",
    }[draw(st.sampled_from([*kinds, "name"] if wild else kinds))]
    return f"arn:{partition}:{resource}" if resource else name


@st.composite
def cases(draw: st.DrawFn, max_patterns: int) -> tuple[list[str], str]:
    """Patterns and an identity made of mostly the same parts."""
    like = draw(PARTS)
    count = draw(st.integers(1, max_patterns))
    patterns = [draw(arns(like, wild=True)) for _ in range(count)]
    return patterns, draw(arns(like, wild=False))


@settings(max_examples=1000)
@given(cases(max_patterns=1))
@example(([f"arn:aws:iam::{ACCOUNT}:role/*/App"], ROLE))
@example(([f"arn:aws:iam::{ACCOUNT}:role/A/*"], ASSUMED))
@example((["A*"], FEDERATED))
def test_matches_agrees_with_reference(case: tuple[list[str], str]) -> None:
    (value,), identity = case
    assert matches(parse_expected(value), identity) is _ref_matches(value, identity)


@settings(max_examples=300)
@given(cases(max_patterns=4))
def test_any_pattern_will_do(case: tuple[list[str], str]) -> None:
    values, identity = case
    expected = any(_ref_matches(value, identity) for value in values)
    assert matches(parse_expected(" , ".join(values)), identity) is expected


@given(PARTS.flatmap(lambda like: arns(like, wild=False)))
def test_own_arn_matches(identity: str) -> None:
    assert matches(parse_expected(identity), identity) is True


@settings(max_examples=500)
@given(
    st.text(alphabet="ab*?", min_size=1, max_size=12),
    st.text(alphabet="ab", min_size=1, max_size=12),
)
def test_bare_name_wildcards_agree_with_regex(pattern: str, name: str) -> None:
    identity = f"arn:aws:iam::{ACCOUNT}:role/{name}"
    assert matches(parse_expected(pattern), identity) is _ref_glob(pattern, name)

"""The credential chain, checked against botocore itself, in process and offline."""

from __future__ import annotations

import os
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore.configloader
import botocore.credentials
import botocore.exceptions
import botocore.session
import botocore.utils
import pytest

from roleprobe._chain import SOURCES, Chain, Link, shadowed
from roleprobe._chain import walk as resolve
from roleprobe._files import Files
from roleprobe._files import load as load_files

# Planted secrets: none may appear in any detail or error.
AKID = "AKIDPLANTED0000000001"
SECRET = "planted/secret/value"
KEYS = f"aws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n"
ENV_KEYS = {"AWS_ACCESS_KEY_ID": AKID, "AWS_SECRET_ACCESS_KEY": SECRET}
ROLE = "arn:aws:iam::123456789012:role/app/Deploy"
OTHER_ROLE = "arn:aws:iam::210987654321:role/Other"
FUTURE = "2999-01-01T00:00:00Z"
RELATIVE = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
FULL = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
PROCESS_SCRIPT = f"""import json
print(json.dumps({{"Version": 1, "AccessKeyId": "{AKID}",
                  "SecretAccessKey": "{SECRET}", "SessionToken": "t"}}))
"""


@dataclass(frozen=True)
class Case:
    """One environment: variables and files; what botocore does with it."""

    id: str
    winner: str
    env: dict[str, str] = field(default_factory=dict)
    config: str | None = None
    credentials: str | None = None
    files: dict[str, str] = field(default_factory=dict)
    raises: str | None = None  # botocore's exception, when it fails offline
    role_arn: str | None = None
    imds: bool = False  # leave AWS_EC2_METADATA_DISABLED alone
    boto_defaults: bool = False  # leave BOTO_CONFIG unset


CASES = [
    # environment keys
    Case("env-keys", "env", ENV_KEYS),
    Case(
        "env-partial",
        "env",
        {"AWS_ACCESS_KEY_ID": AKID},
        raises="PartialCredentialsError",
    ),
    Case(
        "env-empty-secret",
        "env",
        {"AWS_ACCESS_KEY_ID": AKID, "AWS_SECRET_ACCESS_KEY": ""},
        raises="PartialCredentialsError",
    ),
    Case("env-secret-only-ignored", "none", {"AWS_SECRET_ACCESS_KEY": SECRET}),
    Case(
        "env-keys-beat-aws-profile",
        "env",
        {**ENV_KEYS, "AWS_PROFILE": "dev"},
        credentials=f"[dev]\n{KEYS}",
    ),
    # static keys in the shared files
    Case("creds-default", "shared-credentials-file", credentials=f"[default]\n{KEYS}"),
    Case(
        "creds-named",
        "shared-credentials-file",
        {"AWS_PROFILE": "dev"},
        credentials=f"[dev]\n{KEYS}",
    ),
    Case("creds-named-not-selected", "none", credentials=f"[dev]\n{KEYS}"),
    Case("config-default", "config-file", config=f"[default]\n{KEYS}"),
    Case(
        "config-named",
        "config-file",
        {"AWS_PROFILE": "dev"},
        config=f"[profile dev]\n{KEYS}",
    ),
    Case(
        "creds-before-config",
        "shared-credentials-file",
        config=f"[default]\n{KEYS}",
        credentials=f"[default]\n{KEYS}",
    ),
    Case(
        "creds-partial",
        "shared-credentials-file",
        credentials=f"[default]\naws_access_key_id = {AKID}\n",
        raises="PartialCredentialsError",
    ),
    Case(
        "config-partial",
        "config-file",
        config=f"[default]\naws_access_key_id = {AKID}\n",
        raises="PartialCredentialsError",
    ),
    Case(
        "creds-DEFAULT-section-applies-to-all",
        "shared-credentials-file",
        {"AWS_PROFILE": "dev"},
        credentials=f"[DEFAULT]\n{KEYS}[dev]\nregion = eu-west-1\n",
    ),
    Case(
        "config-profile-default-section",
        "config-file",
        config=f"[profile default]\n{KEYS}",
    ),
    # which profile
    Case(
        "aws-default-profile-wins-over-aws-profile",
        "config-file",
        {"AWS_DEFAULT_PROFILE": "b", "AWS_PROFILE": "a"},
        config=f"[profile b]\n{KEYS}",
        credentials=f"[a]\n{KEYS}",
    ),
    Case(
        "missing-named-profile",
        "none",
        {"AWS_PROFILE": "nope"},
        credentials=f"[default]\n{KEYS}",
        raises="ProfileNotFound",
    ),
    Case(
        "missing-profile-beats-env-keys",
        "none",
        {**ENV_KEYS, "AWS_PROFILE": "nope"},
        raises="ProfileNotFound",
    ),
    Case(
        "explicit-default-missing",
        "none",
        {"AWS_PROFILE": "default"},
        raises="ProfileNotFound",
    ),
    Case(
        "empty-aws-profile",
        "none",
        {"AWS_PROFILE": ""},
        credentials=f"[default]\n{KEYS}",
        raises="ProfileNotFound",
    ),
    Case(
        "creds-file-profile-prefix-is-not-a-profile",
        "none",
        {"AWS_PROFILE": "dev"},
        credentials=f"[profile dev]\n{KEYS}",
        raises="ProfileNotFound",
    ),
    Case(
        "config-file-without-prefix-is-not-a-profile",
        "none",
        {"AWS_PROFILE": "dev"},
        config=f"[dev]\n{KEYS}",
        raises="ProfileNotFound",
    ),
    Case(
        "config-parse-error",
        "none",
        config=f"{KEYS}[default]\n",
        raises="ConfigParseError",
    ),
    Case(
        "file-variables-expanded",
        "shared-credentials-file",
        {
            "AWS_PROFILE": "dev",
            "AWS_CONFIG_FILE": "${HOME}/alt/$ALTNAME",
            "AWS_SHARED_CREDENTIALS_FILE": "~/alt/creds",
            "ALTNAME": "config",
        },
        files={
            "alt/config": "[profile dev]\nregion = eu-west-1\n",
            "alt/creds": f"[dev]\n{KEYS}",
        },
    ),
    # assume role
    Case(
        "assume-role-source-profile",
        "assume-role",
        {"AWS_PROFILE": "dev"},
        config=f"[profile dev]\nrole_arn = {ROLE}\nsource_profile = base\n",
        credentials=f"[base]\n{KEYS}",
        role_arn=ROLE,
    ),
    Case(
        "assume-role-from-credentials-file",
        "assume-role",
        {"AWS_PROFILE": "dev"},
        credentials=f"[dev]\nrole_arn = {ROLE}\nsource_profile = base\n[base]\n{KEYS}",
        role_arn=ROLE,
    ),
    Case(
        "assume-role-chained",
        "assume-role",
        {"AWS_PROFILE": "dev"},
        config=(
            f"[profile dev]\nrole_arn = {ROLE}\nsource_profile = mid\n"
            f"[profile mid]\nrole_arn = {OTHER_ROLE}\nsource_profile = base\n"
            f"[profile base]\n{KEYS}"
        ),
        role_arn=ROLE,
    ),
    Case(
        "assume-role-self-source-with-keys",
        "assume-role",
        {"AWS_PROFILE": "dev"},
        config=f"[profile dev]\nrole_arn = {ROLE}\nsource_profile = dev\n{KEYS}",
        role_arn=ROLE,
    ),
    Case(
        "assume-role-source-process",
        "assume-role",
        {"AWS_PROFILE": "dev"},
        config=(
            f"[profile dev]\nrole_arn = {ROLE}\nsource_profile = base\n"
            "[profile base]\ncredential_process = {python} {tmp}/process.py\n"
        ),
        files={"process.py": PROCESS_SCRIPT},
        role_arn=ROLE,
    ),
    Case(
        "assume-role-ecs-container",
        "assume-role",
        {"AWS_PROFILE": "dev", RELATIVE: "/v2/credentials/x"},
        config=f"[profile dev]\nrole_arn = {ROLE}\ncredential_source = EcsContainer\n",
        role_arn=ROLE,
    ),
    Case(
        "assume-role-ecs-without-container",
        "assume-role",
        {"AWS_PROFILE": "dev"},
        config=f"[profile dev]\nrole_arn = {ROLE}\ncredential_source = EcsContainer\n",
        raises="CredentialRetrievalError",
    ),
    Case(
        "assume-role-imds-disabled",
        "assume-role",
        {"AWS_PROFILE": "dev"},
        config=(
            f"[profile dev]\nrole_arn = {ROLE}\n"
            "credential_source = Ec2InstanceMetadata\n"
        ),
        raises="CredentialRetrievalError",
    ),
    Case(
        "assume-role-environment-source-but-env-wins",
        "env",
        {**ENV_KEYS, "AWS_PROFILE": "dev"},
        config=f"[profile dev]\nrole_arn = {ROLE}\ncredential_source = Environment\n",
    ),
    Case(
        "assume-role-environment-source-empty",
        "assume-role",
        {"AWS_PROFILE": "dev"},
        config=f"[profile dev]\nrole_arn = {ROLE}\ncredential_source = Environment\n",
        raises="CredentialRetrievalError",
    ),
    Case(
        "assume-role-source-name-is-case-sensitive",
        "assume-role",
        {"AWS_PROFILE": "dev", RELATIVE: "/v2/credentials/x"},
        config=f"[profile dev]\nrole_arn = {ROLE}\ncredential_source = ecscontainer\n",
        raises="InvalidConfigError",
    ),
    Case(
        "assume-role-no-source",
        "assume-role",
        {"AWS_PROFILE": "dev"},
        config=f"[profile dev]\nrole_arn = {ROLE}\n",
        raises="PartialCredentialsError",
    ),
    Case(
        "assume-role-both-sources",
        "assume-role",
        {"AWS_PROFILE": "dev"},
        config=(
            f"[profile dev]\nrole_arn = {ROLE}\nsource_profile = base\n"
            f"credential_source = Environment\n[profile base]\n{KEYS}"
        ),
        raises="InvalidConfigError",
    ),
    Case(
        "assume-role-missing-source-profile",
        "assume-role",
        {"AWS_PROFILE": "dev"},
        config=f"[profile dev]\nrole_arn = {ROLE}\nsource_profile = base\n",
        raises="InvalidConfigError",
    ),
    Case(
        "assume-role-source-without-credentials",
        "assume-role",
        {"AWS_PROFILE": "dev"},
        config=(
            f"[profile dev]\nrole_arn = {ROLE}\nsource_profile = base\n"
            "[profile base]\nregion = eu-west-1\n"
        ),
        raises="InvalidConfigError",
    ),
    Case(
        "assume-role-loop",
        "assume-role",
        {"AWS_PROFILE": "a"},
        config=(
            f"[profile a]\nrole_arn = {ROLE}\nsource_profile = b\n"
            f"[profile b]\nrole_arn = {ROLE}\nsource_profile = a\n"
        ),
        raises="InfiniteLoopConfigError",
    ),
    # web identity
    Case(
        "web-identity-env",
        "assume-role-with-web-identity",
        {"AWS_ROLE_ARN": ROLE, "AWS_WEB_IDENTITY_TOKEN_FILE": "{tmp}/token"},
        files={"token": "jwt"},
        role_arn=ROLE,
    ),
    Case(
        "web-identity-profile",
        "assume-role-with-web-identity",
        {"AWS_PROFILE": "dev"},
        config=(
            f"[profile dev]\nrole_arn = {ROLE}\n"
            "web_identity_token_file = {tmp}/token\n"
        ),
        files={"token": "jwt"},
        role_arn=ROLE,
    ),
    Case(
        "web-identity-env-role-over-profile-role",
        "assume-role-with-web-identity",
        {"AWS_PROFILE": "dev", "AWS_ROLE_ARN": OTHER_ROLE},
        config=(
            f"[profile dev]\nrole_arn = {ROLE}\n"
            "web_identity_token_file = {tmp}/token\n"
        ),
        role_arn=OTHER_ROLE,
    ),
    Case(
        "web-identity-without-role",
        "assume-role-with-web-identity",
        {"AWS_WEB_IDENTITY_TOKEN_FILE": "{tmp}/token"},
        raises="InvalidConfigError",
    ),
    Case(
        "web-identity-empty-variable-masks-profile",
        "none",
        {"AWS_PROFILE": "dev", "AWS_WEB_IDENTITY_TOKEN_FILE": ""},
        config=(
            f"[profile dev]\nrole_arn = {ROLE}\n"
            "web_identity_token_file = {tmp}/token\n"
        ),
    ),
    # sso, login, process
    Case(
        "sso-legacy",
        "sso",
        {"AWS_PROFILE": "dev"},
        config=(
            "[profile dev]\nsso_start_url = https://example.awsapps.com/start\n"
            "sso_region = eu-west-1\nsso_account_id = 123456789012\n"
            "sso_role_name = Admin\n"
        ),
    ),
    Case(
        "sso-session",
        "sso",
        {"AWS_PROFILE": "dev"},
        config=(
            "[profile dev]\nsso_session = corp\nsso_account_id = 123456789012\n"
            "sso_role_name = Admin\n[sso-session corp]\n"
            "sso_start_url = https://example.awsapps.com/start\n"
            "sso_region = eu-west-1\n"
        ),
    ),
    Case(
        "sso-incomplete",
        "sso",
        {"AWS_PROFILE": "dev"},
        config="[profile dev]\nsso_account_id = 123456789012\nsso_role_name = A\n",
        raises="InvalidConfigError",
    ),
    Case(
        "sso-start-url-alone-is-not-sso",
        "none",
        {"AWS_PROFILE": "dev"},
        config=(
            "[profile dev]\nsso_start_url = https://example.awsapps.com/start\n"
            "sso_region = eu-west-1\n"
        ),
    ),
    Case(
        "login",
        "login",
        {"AWS_PROFILE": "dev"},
        config="[profile dev]\nlogin_session = arn:aws:iam::123456789012:user/me\n",
    ),
    Case(
        "credential-process",
        "custom-process",
        {"AWS_PROFILE": "build"},
        config="[profile build]\ncredential_process = {python} {tmp}/process.py\n",
        files={"process.py": PROCESS_SCRIPT},
    ),
    Case(
        "process-before-config-keys",
        "custom-process",
        config=f"[default]\ncredential_process = {{python}} {{tmp}}/process.py\n{KEYS}",
        files={"process.py": PROCESS_SCRIPT},
    ),
    # legacy files
    Case(
        "ec2-credentials-file",
        "ec2-credentials-file",
        {"AWS_CREDENTIAL_FILE": "~/ec2creds"},
        files={"ec2creds": f"AWSAccessKeyId={AKID}\nAWSSecretKey={SECRET}\n"},
    ),
    Case(
        "ec2-credentials-file-missing",
        "ec2-credentials-file",
        {"AWS_CREDENTIAL_FILE": "{tmp}/absent"},
        raises="ConfigNotFound",
    ),
    Case(
        "boto-config-variable",
        "boto-config",
        {"BOTO_CONFIG": "{tmp}/boto.cfg"},
        files={"boto.cfg": f"[Credentials]\n{KEYS}"},
    ),
    Case(
        "boto-home",
        "boto-config",
        files={".boto": f"[Credentials]\n{KEYS}"},
        boto_defaults=True,
    ),
    # container and instance
    Case("container-relative", "container-role", {RELATIVE: "/v2/credentials/x"}),
    Case("container-full", "container-role", {FULL: "http://127.0.0.1:9/creds"}),
    Case("container-empty-variable", "container-role", {RELATIVE: ""}),
    Case(
        "container-hidden-by-keys",
        "shared-credentials-file",
        {RELATIVE: "/v2/credentials/x"},
        credentials=f"[default]\n{KEYS}",
    ),
    Case("imds", "iam-role", imds=True),
    Case("imds-disabled-any-case", "none", {"AWS_EC2_METADATA_DISABLED": "TRUE"}),
    Case(
        "imds-disabled-is-not-stripped",
        "iam-role",
        {"AWS_EC2_METADATA_DISABLED": " true"},
    ),
    Case("nothing", "none"),
]


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that would open a connection or look up a name."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network use in test_chain")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def _fill(text: str, tmp: Path) -> str:
    """Replace the {tmp} and {python} placeholders."""
    return text.replace("{tmp}", str(tmp)).replace("{python}", sys.executable)


def _environment(
    case: Case, tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """Write the case's files, patch os.environ for it, and return it."""
    for name in list(os.environ):
        if name.startswith("AWS_") or name == "BOTO_CONFIG":
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp))
    if not case.imds:
        monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    if not case.boto_defaults:
        monkeypatch.setenv("BOTO_CONFIG", str(tmp / "no-boto.cfg"))
    texts = {".aws/config": case.config, ".aws/credentials": case.credentials}
    for name, text in {**texts, **case.files}.items():
        if text is not None:
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_text(_fill(text, tmp))
    for name, value in case.env.items():
        monkeypatch.setenv(name, _fill(value, tmp))
    return dict(os.environ)


def _fake_container(
    self: object, full_url: str, headers: object = None
) -> dict[str, str]:
    """Answer for the container endpoint without asking it."""
    return {
        "AccessKeyId": AKID,
        "SecretAccessKey": SECRET,
        "Token": "t",
        "Expiration": FUTURE,
    }


def _fake_imds(self: Any) -> dict[str, str]:
    """Answer for IMDS as the real fetcher would, without asking it."""
    if self._disabled:
        return {}
    return {
        "role_name": "r",
        "access_key": AKID,
        "secret_key": SECRET,
        "token": "t",
        "expiry_time": FUTURE,
    }


def _fake_login_cache(self: object) -> dict[str, str | None]:
    """Stand in for a cached `aws login` session."""
    return {
        "access_key": AKID,
        "secret_key": SECRET,
        "token": "t",
        "expiry_time": FUTURE,
        "account_id": None,
    }


def _botocore(monkeypatch: pytest.MonkeyPatch) -> str:
    """Return botocore's Credentials.method here, 'none', or its exception's name."""
    utils, creds = botocore.utils, botocore.credentials
    monkeypatch.setattr(
        utils.ContainerMetadataFetcher, "retrieve_full_uri", _fake_container
    )
    monkeypatch.setattr(
        utils.InstanceMetadataFetcher, "retrieve_iam_role_credentials", _fake_imds
    )
    monkeypatch.setattr(creds, "EC", object())
    monkeypatch.setattr(
        creds.LoginCredentialFetcher, "load_cached_credentials", _fake_login_cache
    )
    try:
        # Assume-role, web identity and SSO give deferred credentials: no STS
        # or SSO call happens until a key is read, and only .method is.
        found = botocore.session.Session().get_credentials()
    except (botocore.exceptions.BotoCoreError, KeyError, ValueError) as e:
        return type(e).__name__
    return "none" if found is None else str(found.method)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_matches_botocore(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environ = _environment(case, tmp_path, monkeypatch)
    chain = resolve(environ, load_files(environ))
    outcome = _botocore(monkeypatch)

    assert outcome == (case.raises or case.winner)
    assert chain.winner == case.winner
    if case.raises is None:
        assert chain.error is None
        assert chain.winner == outcome
    else:
        assert chain.error
    assert chain.role_arn == case.role_arn
    assert [link.source for link in chain.links] == list(SOURCES)
    assert all(link.configured for link in chain.links if link.source == chain.winner)
    words = [chain.error or "", *(link.detail for link in chain.links)]
    assert not [w for w in words if AKID in w or SECRET in w or "process.py" in w]


def test_sources_are_botocores_chain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _environment(Case("order", "none"), tmp_path, monkeypatch)
    session = botocore.session.Session()
    resolver = botocore.credentials.create_credential_resolver(session)
    assert tuple(p.METHOD for p in resolver.providers) == SOURCES


# --- resolve is pure: Files built by hand -----------------------------------


def test_profile_settings_merge_credentials_over_config() -> None:
    files = Files(
        config={"dev": {"role_arn": ROLE, "source_profile": "nowhere"}},
        credentials={
            "dev": {"source_profile": "base"},
            "base": {"credential_process": "x"},
        },
    )
    chain = resolve({"AWS_PROFILE": "dev"}, files)
    assert (chain.winner, chain.role_arn, chain.error) == ("assume-role", ROLE, None)
    assert chain.links[1].detail == "source_profile base (profile dev)"


def test_profile_is_default_when_unset() -> None:
    assert resolve({}, Files()).profile == "default"
    assert resolve({"AWS_PROFILE": "x"}, Files(config={"x": {}})).profile == "x"


def test_links_say_what_configures_them() -> None:
    environ = {
        **ENV_KEYS,
        "AWS_PROFILE": "b",
        RELATIVE: "/v2/credentials/secret-path",
    }
    files = Files(config={"b": {"credential_process": "/bin/tool --token abc"}})
    details = {link.source: link.detail for link in resolve(environ, files).links}
    assert details["env"] == "AWS_ACCESS_KEY_ID"
    assert details["custom-process"] == "credential_process (profile b)"
    assert details["container-role"] == RELATIVE
    assert details["iam-role"] == "instance metadata"
    assert details["sso"] == ""


def test_relative_uri_named_over_full_uri() -> None:
    chain = resolve({RELATIVE: "/a", FULL: "http://127.0.0.1/b"}, Files())
    assert chain.links[SOURCES.index("container-role")].detail == RELATIVE


# --- error ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "error"),
    [
        ({"AWS_PROFILE": "x"}, "profile 'x' not found (AWS_PROFILE)"),
        ({"AWS_DEFAULT_PROFILE": "y"}, "profile 'y' not found (AWS_DEFAULT_PROFILE)"),
        ({"AWS_PROFILE": ""}, "profile '' not found (AWS_PROFILE)"),
        (
            {"AWS_ACCESS_KEY_ID": AKID},
            "partial credentials in env: AWS_ACCESS_KEY_ID without "
            "AWS_SECRET_ACCESS_KEY",
        ),
        ({}, None),
        ({"AWS_SECRET_ACCESS_KEY": SECRET}, None),
    ],
)
def test_error(environ: dict[str, str], error: str | None) -> None:
    assert resolve(environ, Files()).error == error


def test_error_clears_role_arn() -> None:
    environ = {"AWS_WEB_IDENTITY_TOKEN_FILE": "/t", "AWS_ROLE_ARN": ""}
    chain = resolve(environ, Files())
    assert chain.winner == "assume-role-with-web-identity"
    assert chain.error is not None
    assert chain.role_arn is None


def test_parse_error_names_the_file_not_its_contents(tmp_path: Path) -> None:
    (tmp_path / "config").write_text(f"aws_secret_access_key = {SECRET}\n")
    environ = {"HOME": str(tmp_path), "AWS_CONFIG_FILE": str(tmp_path / "config")}
    chain = resolve(environ, load_files(environ))
    assert chain.winner == "none"
    assert chain.error is not None
    assert str(tmp_path / "config") in chain.error
    assert SECRET not in chain.error


def test_bad_nested_value_is_a_parse_error(tmp_path: Path) -> None:
    (tmp_path / "config").write_text("[default]\ns3 =\n  no-equals-sign\n")
    files = load_files({"AWS_CONFIG_FILE": str(tmp_path / "config")})
    with pytest.raises(botocore.exceptions.ConfigParseError):
        botocore.configloader.load_config(str(tmp_path / "config"))
    assert files.config_error is not None


# --- shadowed ---------------------------------------------------------------


def _chain(winner: str, *configured: str) -> Chain:
    """Return a chain where the winner and the named sources are configured."""
    on = {winner, *configured}
    links = tuple(Link(source, source in on, "") for source in SOURCES)
    return Chain("default", links, winner, None, None)


@pytest.mark.parametrize(
    ("chain", "hidden"),
    [
        (_chain("env", "container-role", "iam-role"), ("container-role", "iam-role")),
        (_chain("env", "container-role"), ("container-role",)),
        (_chain("shared-credentials-file", "iam-role"), ("iam-role",)),
        (_chain("env", "config-file"), ()),
        (_chain("container-role", "iam-role"), ()),
        (_chain("iam-role"), ()),
        (_chain("none", "container-role", "iam-role"), ()),
        # sources that replace the instance role by design hide no iam-role
        (_chain("assume-role-with-web-identity", "iam-role"), ()),
        (_chain("assume-role", "iam-role"), ()),
        (_chain("sso", "iam-role"), ()),
        (_chain("custom-process", "iam-role"), ()),
        (_chain("config-file", "iam-role"), ("iam-role",)),
        # but a container role they hide is still reported
        (
            _chain("assume-role-with-web-identity", "container-role"),
            ("container-role",),
        ),
    ],
)
def test_shadowed(chain: Chain, hidden: tuple[str, ...]) -> None:
    assert shadowed(chain) == hidden


def test_a_role_source_is_used_not_shadowed(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text(
        "[profile ecs]\nrole_arn = arn:aws:iam::123456789012:role/r\n"
        "credential_source = EcsContainer\n"
        "[profile chained]\nrole_arn = arn:aws:iam::123456789012:role/s\n"
        "source_profile = ecs\n"
    )
    for profile in ("ecs", "chained"):
        environ = {
            "AWS_CONFIG_FILE": str(config),
            "AWS_PROFILE": profile,
            FULL: "http://127.0.0.1/c",
            "HOME": str(tmp_path),
        }
        chain = resolve(environ, load_files(environ))
        assert chain.winner == "assume-role"
        assert chain.uses == ("container-role",)
        assert shadowed(chain) == ()


def test_shadowed_from_resolve() -> None:
    environ = {**ENV_KEYS, FULL: "http://127.0.0.1/c"}
    assert shadowed(resolve(environ, Files())) == ("container-role", "iam-role")
    environ["AWS_EC2_METADATA_DISABLED"] = "true"
    assert shadowed(resolve(environ, Files())) == ("container-role",)
    assert shadowed(resolve({RELATIVE: "/x"}, Files())) == ()


# --- load_files -------------------------------------------------------------


def test_load_files_missing_is_empty(tmp_path: Path) -> None:
    environ = {"HOME": str(tmp_path), "BOTO_CONFIG": str(tmp_path / "absent")}
    files = load_files(environ)
    assert files == Files()


def test_load_files_maps_profiles_as_botocore(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text(
        "[default]\nregion = a\n"
        "[profile default]\nregion = b\n"
        '[profile "with space"]\nregion = c\n'
        "[profilex]\nregion = d\n"
        "[profile a b]\nregion = e\n"
        "[plain]\nregion = f\n"
        "[sso-session corp]\nsso_region = g\n"
        "[profile Dev]\nREGION = h\n"
    )
    files = load_files({"HOME": str(tmp_path), "AWS_CONFIG_FILE": str(config)})
    expected = botocore.configloader.load_config(str(config))
    assert files.config == expected["profiles"]
    assert files.sso_sessions == expected["sso_sessions"]
    assert set(files.config) == {"default", "with space", "Dev"}


def test_load_files_uses_environ_not_os_environ(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", "/nonexistent")
    monkeypatch.delenv("AWS_SHARED_CREDENTIALS_FILE", raising=False)
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "credentials").write_text(f"[default]\n{KEYS}")
    files = load_files({"HOME": str(tmp_path)})
    assert files.credentials == {
        "default": {"aws_access_key_id": AKID, "aws_secret_access_key": SECRET}
    }


def test_load_files_empty_variable_means_no_file(tmp_path: Path) -> None:
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "config").write_text(f"[default]\n{KEYS}")
    files = load_files({"HOME": str(tmp_path), "AWS_CONFIG_FILE": ""})
    assert files.config == {}

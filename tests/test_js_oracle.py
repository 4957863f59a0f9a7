"""The AWS SDK for JavaScript v3 as an oracle, run for real in namespaces.

`CASES` is a table of environments: variables, ``~/.aws`` files, and which
fakes answer where (IMDS at 169.254.169.254, the ECS agent at 169.254.170.2,
the Pod Identity agent at 169.254.170.23, STS on loopback), with faults.
Each case runs in a network and PID namespace of its own that holds only
loopback plus those addresses, so nothing here can reach the machine's
network.  Every place credentials can come from gets a unique access key id,
and ``tests/js/chain.mjs`` maps the key id the SDK's default chain returned
back to a botocore source name (see its header).

- `test_js_chain_matches_table`: the pinned SDK (``tests/js/package-lock.json``)
  picks the source the table says, so the table is the SDK's own behaviour.
- `test_botocore_matches_table`: botocore picks the table's ``botocore``
  source, so the cases where the two differ are proven too.
- `test_roleprobe_follows_js`: ``roleprobe --check`` with ``ROLEPROBE_SDK=js``
  reports the source the SDK picked, or fails where it fails.

The environments run concurrently (one namespace each) and each answer is
computed once per session, then checked by its own test.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from conftest import NETGUARD, ROLEPROBE, TESTS, Runner, needs_namespaces
from fakes import Secrets

pytestmark = needs_namespaces

PYTHON = sys.executable
JS = TESTS / "js"
CHAIN = JS / "chain.mjs"
WORKERS = 8
KEYMAP = "<keymap>"  # in a tool's command: the key map's path
TOOL_TIMEOUT = 45  # seconds one tool may take in one case

IMDS4 = "169.254.169.254"
IMDS6 = "fd00:ec2::254"
ECS_HOST = "169.254.170.2"
POD4 = "169.254.170.23"
POD6 = "fd00:ec2::23"
STS_PORT = 4566
ECS_PATH = "/v2/credentials/task"
ROLE = "arn:aws:iam::111122223333:role/app"
WEB_ROLE = "arn:aws:iam::111122223333:role/web"
TOKEN_PATH = "/latest/api/token"
IMDS_CREDENTIALS = "/latest/meta-data/iam/security-credentials/"

# What every environment gets besides its own variables.
BASE_ENV = {
    "LANG": "C.UTF-8",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ENDPOINT_URL_STS": f"http://127.0.0.1:{STS_PORT}",
}
# roleprobe's own settings, kept short; the SDKs never read them.
ROLEPROBE_ENV = {
    "ROLEPROBE_SDK": "js",
    "ROLEPROBE_TIMEOUT": "2",
    "ROLEPROBE_ATTEMPTS": "2",
    "ROLEPROBE_DEADLINE": "15",
    "NETGUARD_ALLOW": f"{IMDS4},{IMDS6},{ECS_HOST},{POD4},{POD6}",
    "PYTHONPATH": NETGUARD,
}

# -- The table ---------------------------------------------------------------


@dataclass(frozen=True)
class Fake:
    """One fake service in a case's namespace (``fakes.py`` KIND and args)."""

    name: str
    kind: str
    host: str
    port: int
    args: tuple[str, ...] = ()
    source: str = ""  # what its access key id means

    def faulty(self, *args: str) -> Fake:
        """Return this fake with more ``fakes.py`` arguments (faults)."""
        return replace(self, args=(*self.args, *args))


IMDS = Fake("imds", "imds", IMDS4, 80, source="iam-role")
IMDS_V6 = Fake("imds6", "imds", IMDS6, 80, source="iam-role")
IMDS_LO = Fake("imdslo", "imds", "127.0.0.1", 8081, source="iam-role")
ECS = Fake("ecs", "ecs", ECS_HOST, 80, ("--path", ECS_PATH), "container-role")
ECS_LO = Fake("ecslo", "ecs", "127.0.0.1", 8080, ("--path", "/creds"), "container-role")
POD = Fake(
    "pod", "pod-identity", POD4, 80, ("--token", "{auth_token}"), "container-role"
)
STS = Fake(
    "sts", "sts", "127.0.0.1", STS_PORT, ("--web-identity-token", "{jwt}"), "sts"
)

ENV_KEYS = {
    "AWS_ACCESS_KEY_ID": "{env_key}",
    "AWS_SECRET_ACCESS_KEY": "{env_secret}",
    "AWS_SESSION_TOKEN": "{env_token}",
}
WEB_IDENTITY = {"AWS_ROLE_ARN": WEB_ROLE, "AWS_WEB_IDENTITY_TOKEN_FILE": "{jwt_file}"}
RELATIVE = {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": ECS_PATH}
POD_FULL = {
    "AWS_CONTAINER_CREDENTIALS_FULL_URI": f"http://{POD4}/v1/credentials",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN": "{auth_token}",
}


@dataclass(frozen=True)
class Case:
    """One environment and the source each SDK picks in it.

    In ``config`` and ``credentials`` a line ``@keys`` becomes a key id,
    secret and session token unique to that spot (its source: the file's),
    ``@key-id`` a key id alone.  ``{name}`` placeholders anywhere are
    filled in per run (see `World.values`).  ``js`` and ``botocore`` are
    botocore source names, ``none`` when the chain fails.
    """

    name: str
    js: str
    botocore: str
    env: Mapping[str, str] = field(default_factory=dict)
    config: str | None = None
    credentials: str | None = None
    fakes: tuple[Fake, ...] = ()
    note: str = ""


CASES = [
    # Environment keys and AWS_PROFILE.
    Case("env-keys", "env", "env", ENV_KEYS, fakes=(IMDS,)),
    Case(
        "env-keys-beat-container",
        "env",
        "env",
        {**ENV_KEYS, **RELATIVE},
        fakes=(ECS, IMDS),
    ),
    Case(
        "env-key-without-secret",
        "iam-role",
        "none",
        {"AWS_ACCESS_KEY_ID": "{env_key}"},
        fakes=(IMDS,),
        note="JS: fromEnv falls through; botocore: PartialCredentialsError",
    ),
    Case(
        "env-keys-and-aws-profile",
        "shared-credentials-file",
        "env",
        {**ENV_KEYS, "AWS_PROFILE": "dev"},
        credentials="[dev]\n@keys\n",
        note="JS skips fromEnv whenever AWS_PROFILE is set",
    ),
    Case(
        "env-keys-and-missing-profile",
        "iam-role",
        "none",
        {**ENV_KEYS, "AWS_PROFILE": "nosuch"},
        fakes=(IMDS,),
        note="botocore: ProfileNotFound before any provider, env keys or not",
    ),
    Case(
        "env-keys-and-empty-aws-profile",
        "env",
        "none",
        {**ENV_KEYS, "AWS_PROFILE": ""},
        credentials="[default]\n@keys\n",
        note="botocore: profile '' not found, env keys or not",
    ),
    Case(
        "empty-aws-profile",
        "shared-credentials-file",
        "none",
        {"AWS_PROFILE": ""},
        credentials="[default]\n@keys\n",
        note="JS: empty counts as unset; botocore: profile '' not found",
    ),
    Case(
        "aws-default-profile-ignored",
        "iam-role",
        "shared-credentials-file",
        {"AWS_DEFAULT_PROFILE": "dev"},
        credentials="[dev]\n@keys\n",
        fakes=(IMDS,),
        note="JS reads only AWS_PROFILE",
    ),
    # The two files.
    Case(
        "credentials-file",
        "shared-credentials-file",
        "shared-credentials-file",
        credentials="[default]\n@keys\n",
        fakes=(IMDS,),
    ),
    Case(
        "config-file",
        "config-file",
        "config-file",
        config="[default]\n@keys\n",
        fakes=(IMDS,),
    ),
    Case(
        "both-files-credentials-win",
        "shared-credentials-file",
        "shared-credentials-file",
        config="[default]\n@keys\n",
        credentials="[default]\n@keys\n",
    ),
    Case(
        "files-merge-per-key",
        "shared-credentials-file",
        "none",
        config="[default]\n@keys\n",
        credentials="[default]\n@key-id\n",
        note="JS merges per key (key id from credentials, secret from config); "
        "botocore: PartialCredentialsError",
    ),
    Case(
        "named-profile-credentials",
        "shared-credentials-file",
        "shared-credentials-file",
        {"AWS_PROFILE": "dev"},
        credentials="[default]\n@keys\n[dev]\n@keys\n",
    ),
    Case(
        "named-profile-config",
        "config-file",
        "config-file",
        {"AWS_PROFILE": "dev"},
        config="[default]\n@keys\n[profile dev]\n@keys\n",
    ),
    Case(
        "config-section-without-profile-prefix",
        "iam-role",
        "none",
        {"AWS_PROFILE": "dev"},
        config="[dev]\n@keys\n",
        fakes=(IMDS,),
    ),
    Case(
        "credentials-key-without-secret",
        "iam-role",
        "none",
        credentials="[default]\n@key-id\n",
        fakes=(IMDS,),
    ),
    Case(
        "credentials-file-beats-container",
        "shared-credentials-file",
        "shared-credentials-file",
        RELATIVE,
        credentials="[default]\n@keys\n",
        fakes=(ECS,),
    ),
    # Missing profiles.
    Case(
        "missing-profile-container",
        "container-role",
        "none",
        {"AWS_PROFILE": "nosuch", **RELATIVE},
        fakes=(ECS,),
    ),
    Case(
        "missing-profile-imds",
        "iam-role",
        "none",
        {"AWS_PROFILE": "nosuch"},
        fakes=(IMDS,),
    ),
    Case("missing-profile-alone", "none", "none", {"AWS_PROFILE": "nosuch"}),
    # credential_process.
    Case(
        "process",
        "custom-process",
        "custom-process",
        config="[default]\ncredential_process = {process}\n",
        fakes=(IMDS,),
    ),
    Case(
        "failing-process-imds",
        "iam-role",
        "none",
        config="[default]\ncredential_process = {failing_process}\n",
        fakes=(IMDS,),
        note="JS: a failing process is a CredentialsProviderError: next link",
    ),
    Case(
        "failing-process-container",
        "container-role",
        "none",
        RELATIVE,
        config="[default]\ncredential_process = {failing_process}\n",
        fakes=(ECS,),
    ),
    Case(
        "failing-process-alone",
        "none",
        "none",
        config="[default]\ncredential_process = {failing_process}\n",
    ),
    Case(
        "config-keys-and-process",
        "config-file",
        "custom-process",
        config="[default]\n@keys\ncredential_process = {process}\n",
        note="JS: static keys come first inside a profile",
    ),
    Case(
        "credentials-keys-and-config-process",
        "shared-credentials-file",
        "shared-credentials-file",
        config="[default]\ncredential_process = {process}\n",
        credentials="[default]\n@keys\n",
    ),
    # Assume role.
    Case(
        "source-profile",
        "assume-role",
        "assume-role",
        {"AWS_PROFILE": "app"},
        config=f"[profile app]\nrole_arn = {ROLE}\nsource_profile = base\n",
        credentials="[base]\n@keys\n",
        fakes=(STS,),
    ),
    Case(
        "source-profile-missing",
        "iam-role",
        "none",
        {"AWS_PROFILE": "app"},
        config=f"[profile app]\nrole_arn = {ROLE}\nsource_profile = base\n",
        fakes=(STS, IMDS),
    ),
    Case(
        "credential-source-environment-and-env-keys",
        "assume-role",
        "env",
        {**ENV_KEYS, "AWS_PROFILE": "app"},
        config=f"[profile app]\nrole_arn = {ROLE}\ncredential_source = Environment\n",
        fakes=(STS,),
    ),
    Case(
        "credential-source-environment-without-keys",
        "iam-role",
        "none",
        {"AWS_PROFILE": "app"},
        config=f"[profile app]\nrole_arn = {ROLE}\ncredential_source = Environment\n",
        fakes=(STS, IMDS),
    ),
    Case(
        "credential-source-ecs",
        "assume-role",
        "assume-role",
        RELATIVE,
        config=f"[default]\nrole_arn = {ROLE}\ncredential_source = EcsContainer\n",
        fakes=(STS, ECS),
    ),
    Case(
        "credential-source-imds",
        "assume-role",
        "assume-role",
        config=f"[default]\nrole_arn = {ROLE}\n"
        "credential_source = Ec2InstanceMetadata\n",
        fakes=(STS, IMDS),
    ),
    Case(
        "role-arn-without-source",
        "iam-role",
        "none",
        config=f"[default]\nrole_arn = {ROLE}\n",
        fakes=(STS, IMDS),
        note="JS: the profile resolves to nothing: next link",
    ),
    Case(
        "role-arn-with-keys-without-source",
        "config-file",
        "none",
        config=f"[default]\nrole_arn = {ROLE}\n@keys\n",
        fakes=(STS,),
        note="JS: no source, so not an assume-role profile: its keys; "
        "botocore: an invalid assume-role profile",
    ),
    # Web identity.
    Case(
        "web-identity",
        "assume-role-with-web-identity",
        "assume-role-with-web-identity",
        WEB_IDENTITY,
        fakes=(STS, IMDS),
    ),
    Case(
        "web-identity-and-credentials-keys",
        "shared-credentials-file",
        "assume-role-with-web-identity",
        WEB_IDENTITY,
        credentials="[default]\n@keys\n",
        fakes=(STS,),
        note="JS: fromIni before fromTokenFile",
    ),
    Case(
        "web-identity-and-config-keys",
        "config-file",
        "assume-role-with-web-identity",
        WEB_IDENTITY,
        config="[default]\n@keys\n",
        fakes=(STS,),
    ),
    Case(
        "web-identity-and-env-keys",
        "env",
        "env",
        {**WEB_IDENTITY, **ENV_KEYS},
        fakes=(STS,),
    ),
    Case(
        "web-identity-token-file-missing",
        "none",
        "none",
        {**WEB_IDENTITY, "AWS_WEB_IDENTITY_TOKEN_FILE": "{dir}/no-such-token"},
        fakes=(STS, IMDS),
        note="JS: readFileSync's ENOENT stops the chain",
    ),
    Case(
        "web-identity-token-file-empty",
        "none",
        "none",
        {**WEB_IDENTITY, "AWS_WEB_IDENTITY_TOKEN_FILE": "{empty_file}"},
        fakes=(STS, IMDS),
        note="JS sends the empty token; STS refuses it; the chain stops",
    ),
    Case(
        "web-identity-expired-jwt",
        "none",
        "none",
        {**WEB_IDENTITY, "AWS_WEB_IDENTITY_TOKEN_FILE": "{expired_jwt_file}"},
        fakes=(STS, IMDS),
        note="no SDK checks exp; STS refuses it; the chain stops",
    ),
    Case(
        "role-arn-without-token-file",
        "iam-role",
        "iam-role",
        {"AWS_ROLE_ARN": WEB_ROLE},
        fakes=(STS, IMDS),
    ),
    Case(
        "web-identity-profile",
        "assume-role-with-web-identity",
        "assume-role-with-web-identity",
        config=f"[default]\nrole_arn = {WEB_ROLE}\n"
        "web_identity_token_file = {jwt_file}\n",
        fakes=(STS,),
    ),
    Case(
        "web-identity-profile-and-credentials-keys",
        "shared-credentials-file",
        "assume-role-with-web-identity",
        config=f"[default]\nrole_arn = {WEB_ROLE}\n"
        "web_identity_token_file = {jwt_file}\n",
        credentials="[default]\n@keys\n",
        fakes=(STS,),
        note="JS: static keys before web identity inside the merged profile",
    ),
    # SSO without a cached token.
    Case(
        "sso-without-token",
        "none",
        "none",
        config="[default]\nsso_start_url = https://example.awsapps.com/start\n"
        "sso_region = us-east-1\nsso_account_id = 111122223333\n"
        "sso_role_name = app\n",
        fakes=(IMDS,),
        note="JS: SSO errors stop the chain",
    ),
    # The container endpoint.
    Case(
        "container-relative",
        "container-role",
        "container-role",
        RELATIVE,
        fakes=(ECS, IMDS),
    ),
    Case(
        "container-full-loopback",
        "container-role",
        "container-role",
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:8080/creds"},
        fakes=(ECS_LO,),
    ),
    Case(
        "relative-wins-over-full",
        "container-role",
        "container-role",
        {**RELATIVE, "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/x"},
        fakes=(ECS,),
    ),
    Case(
        "pod-identity-token-variable",
        "container-role",
        "container-role",
        POD_FULL,
        fakes=(POD,),
    ),
    Case(
        "pod-identity-token-file",
        "container-role",
        "container-role",
        {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": f"http://{POD4}/v1/credentials",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "{auth_token_file}",
        },
        fakes=(POD,),
    ),
    Case(
        "token-file-wins-over-variable",
        "container-role",
        "container-role",
        {
            **POD_FULL,
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "wrong-token",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "{auth_token_file}",
        },
        fakes=(POD,),
    ),
    Case(
        "token-file-ends-in-newline",
        "none",
        "none",
        {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": f"http://{POD4}/v1/credentials",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "{auth_token_file_lf}",
        },
        fakes=(POD, IMDS),
    ),
    Case(
        "full-uri-host-not-allowed",
        "none",
        "none",
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.3/creds"},
        fakes=(IMDS,),
        note="refused before connecting; no instance role after it",
    ),
    Case(
        "container-failing-no-imds-fallback",
        "none",
        "none",
        RELATIVE,
        fakes=(ECS.faulty("--fault", "status:500"), IMDS),
        note="JS: fromHttp, then fromContainerMetadata, never IMDS",
    ),
    Case(
        "empty-full-uri",
        "iam-role",
        "none",
        {"AWS_CONTAINER_CREDENTIALS_FULL_URI": ""},
        fakes=(IMDS,),
        note="JS: an empty variable counts as unset",
    ),
    # Instance metadata.
    Case("imds", "iam-role", "iam-role", fakes=(IMDS,)),
    Case("no-credentials-anywhere", "none", "none"),
    Case(
        "imds-disabled-true",
        "none",
        "none",
        {"AWS_EC2_METADATA_DISABLED": "true"},
        fakes=(IMDS,),
    ),
    Case(
        "imds-disabled-1",
        "none",
        "iam-role",
        {"AWS_EC2_METADATA_DISABLED": "1"},
        fakes=(IMDS,),
        note="JS: anything but 'false' disables IMDS; botocore: only 'true'",
    ),
    Case(
        "imds-disabled-FALSE",
        "none",
        "iam-role",
        {"AWS_EC2_METADATA_DISABLED": "FALSE"},
        fakes=(IMDS,),
    ),
    Case(
        "imds-disabled-false",
        "iam-role",
        "iam-role",
        {"AWS_EC2_METADATA_DISABLED": "false"},
        fakes=(IMDS,),
    ),
    Case(
        "imds-disabled-empty",
        "iam-role",
        "iam-role",
        {"AWS_EC2_METADATA_DISABLED": ""},
        fakes=(IMDS,),
    ),
    Case(
        "imds-token-403-v1-fallback",
        "iam-role",
        "iam-role",
        fakes=(IMDS.faulty("--fault", "status:403", "--faults-on", TOKEN_PATH),),
    ),
    Case(
        "imds-token-500-v1-fallback",
        "iam-role",
        "iam-role",
        fakes=(IMDS.faulty("--fault", "status:500", "--faults-on", TOKEN_PATH),),
    ),
    Case(
        "imds-token-timeout-v1-fallback",
        "iam-role",
        "iam-role",
        fakes=(IMDS.faulty("--token-put-stalls"),),
    ),
    Case(
        "imds-v1-disabled",
        "none",
        "none",
        {"AWS_EC2_METADATA_V1_DISABLED": "true"},
        fakes=(IMDS.faulty("--fault", "status:403", "--faults-on", TOKEN_PATH),),
    ),
    Case(
        "imds-credentials-500",
        "none",
        "none",
        fakes=(IMDS.faulty("--fault", "status:500", "--faults-on", IMDS_CREDENTIALS),),
    ),
    Case(
        "imds-endpoint-mode-ipv6",
        "iam-role",
        "iam-role",
        {"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv6"},
        fakes=(IMDS_V6,),
    ),
    Case(
        "imds-use-ipv6",
        "none",
        "iam-role",
        {"AWS_IMDS_USE_IPV6": "true"},
        fakes=(IMDS_V6,),
        note="JS ignores AWS_IMDS_USE_IPV6",
    ),
    Case(
        "imds-endpoint",
        "iam-role",
        "iam-role",
        {"AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:8081"},
        fakes=(IMDS_LO,),
    ),
]
BY_NAME = {case.name: case for case in CASES}
assert len(BY_NAME) == len(CASES), "case names must be unique"

# -- Running a case ----------------------------------------------------------


def b64url(doc: object) -> str:
    """Return *doc* as base64url JSON without padding (a JWT segment)."""
    raw = json.dumps(doc, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt(expires_in: int, marker: str) -> str:
    """Return a JWT-shaped token expiring *expires_in* seconds from now."""
    header = {"alg": "RS256", "typ": "JWT", "kid": marker}
    claims = {
        "sub": "system:serviceaccount:app:app",
        "aud": "sts.amazonaws.com",
        "exp": int(time.time()) + expires_in,
    }
    return f"{b64url(header)}.{b64url(claims)}.c2lnbmF0dXJl"


@dataclass
class World:
    """One run of one case: its directory, HOME, secrets and key map."""

    case: Case
    dir: Path
    keys: dict[str, str] = field(default_factory=dict)  # key id -> source
    planted: list[str] = field(default_factory=list)
    secrets: dict[str, Secrets] = field(default_factory=dict)  # per fake
    values: dict[str, str] = field(default_factory=dict)
    _count: int = 0

    @property
    def home(self) -> Path:
        """The HOME of every process of the run."""
        return self.dir / "home"

    def fresh(self, source: str) -> Secrets:
        """Return new planted values whose key id means *source*."""
        self._count += 1
        secrets = Secrets.generate()
        secrets = replace(
            secrets, access_key_id=f"SECRETAKIA{self._count:02d}{secrets.task_id[-8:]}"
        )
        self.keys[secrets.access_key_id] = source
        self.planted.extend(secrets.all_values())
        return secrets

    def prepare(self) -> dict[str, str]:
        """Write the case's files; return its variables, filled in."""
        self.home.mkdir(parents=True)
        env_keys = self.fresh("env")
        token = jwt(3600, "valid")
        expired = jwt(-3600, "expired")
        auth = self.fresh("unused").auth_token
        self.planted.extend([token, expired])
        self.values = {
            "home": str(self.home),
            "dir": str(self.dir),
            "env_key": env_keys.access_key_id,
            "env_secret": env_keys.secret_access_key,
            "env_token": env_keys.session_token,
            "jwt": token,
            "jwt_file": self.file("jwt", token),
            "expired_jwt_file": self.file("expired-jwt", expired),
            "empty_file": self.file("empty", ""),
            "auth_token": auth,
            "auth_token_file": self.file("auth-token", auth),
            "auth_token_file_lf": self.file("auth-token-lf", auth + "\n"),
            "process": self.process(),
            "failing_process": self.script(
                "failing-process", "echo 'no credentials here' >&2\nexit 1\n"
            ),
        }
        aws = self.home / ".aws"
        aws.mkdir()
        if self.case.config is not None:
            (aws / "config").write_text(self.ini(self.case.config, "config-file"))
        if self.case.credentials is not None:
            text = self.ini(self.case.credentials, "shared-credentials-file")
            (aws / "credentials").write_text(text)
        return {name: self.fill(value) for name, value in self.case.env.items()}

    def fill(self, text: str) -> str:
        """Return *text* with its ``{name}`` placeholders filled in."""
        return re.sub(r"\{(\w+)\}", lambda m: self.values[m.group(1)], text)

    def ini(self, text: str, source: str) -> str:
        """Return an ini file's text with ``@keys`` lines made real."""
        lines = []
        for line in self.fill(text).splitlines():
            if line in ("@keys", "@key-id"):
                keys = self.fresh(source)
                lines.append(f"aws_access_key_id = {keys.access_key_id}")
                if line == "@keys":
                    lines.append(f"aws_secret_access_key = {keys.secret_access_key}")
                    lines.append(f"aws_session_token = {keys.session_token}")
            else:
                lines.append(line)
        return "\n".join(lines) + "\n"

    def file(self, name: str, text: str) -> str:
        """Write a file in the run's directory; return its path."""
        path = self.dir / name
        path.write_text(text)
        return str(path)

    def script(self, name: str, body: str) -> str:
        """Write an executable shell script; return its path."""
        path = Path(self.file(name, "#!/bin/sh\n" + body))
        path.chmod(0o755)
        return str(path)

    def process(self) -> str:
        """Write a credential_process that prints unique keys."""
        keys = self.fresh("custom-process")
        answer = {
            "Version": 1,
            "AccessKeyId": keys.access_key_id,
            "SecretAccessKey": keys.secret_access_key,
            "SessionToken": keys.session_token,
            "Expiration": "2030-01-01T00:00:00Z",
        }
        return self.script("process", f"echo {shlex.quote(json.dumps(answer))}\n")

    def keymap(self) -> str:
        """Write the key map chain.mjs reads; return its path."""
        return self.file("keys.json", json.dumps({"keys": self.keys}))

    def command(self, tools: Mapping[str, Sequence[str]], *, sts: bool) -> list[str]:
        """Return the command that runs *tools* in a namespace with the fakes.

        Each tool runs in turn, its output and status left in the run's
        directory as ``TOOL.stdout``, ``TOOL.stderr``, ``TOOL.status``.
        With *sts*, STS runs even when the case has no use for it (roleprobe
        asks it who the credentials belong to).
        """
        q = shlex.quote
        lines = [
            "set -e",
            f"PY={q(PYTHON)} FAKES={q(str(TESTS / 'fakes.py'))} DIR={q(str(self.dir))}",
            "ip link set lo up",
            *(f"ip addr add {a}/32 dev lo" for a in (IMDS4, ECS_HOST, POD4)),
            *(f"ip -6 addr add {a}/128 dev lo nodad" for a in (IMDS6, POD6)),
            START,
        ]
        fakes = list(self.case.fakes)
        if sts and STS not in fakes:
            fakes.append(STS)
        for fake in fakes:
            secrets = self.secrets[fake.name] = self.fresh(fake.source)
            args = [
                fake.kind,
                "--host",
                fake.host,
                "--port",
                str(fake.port),
                "--secrets",
                secrets.to_json(),
                *(self.fill(a) for a in fake.args),
            ]
            lines.append(f"start {fake.name} {shlex.join(args)}")
        lines.extend(f"ready {fake.name}" for fake in fakes)
        keymap = self.keymap()
        for tool, template in tools.items():
            argv = [keymap if a == KEYMAP else a for a in template]
            out = f'"$DIR/{tool}'
            lines.append(
                f"timeout -s KILL {TOOL_TIMEOUT} {shlex.join(argv)} "
                f'>{out}.stdout" 2>{out}.stderr" </dev/null '
                f'&& echo 0 >{out}.status" || echo $? >{out}.status"'
            )
        unshare = ["unshare", "--net", "--pid", "--fork", "--mount-proc"]
        return [*unshare, "sh", "-c", "\n".join(lines), "namespace"]

    def output(self, tool: str) -> tuple[int, bytes, bytes]:
        """Return a tool's exit status, stdout and stderr after `command`."""
        status = (self.dir / f"{tool}.status").read_text().strip()
        stdout = (self.dir / f"{tool}.stdout").read_bytes()
        stderr = (self.dir / f"{tool}.stderr").read_bytes()
        self.check_output(stdout, stderr)
        return int(status), stdout, stderr

    def environ(self, extra: Mapping[str, str]) -> dict[str, str]:
        """Return a clean environment for the run, plus *extra*."""
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            **BASE_ENV,
            **extra,
        }

    def check_output(self, stdout: bytes, stderr: bytes) -> None:
        """Assert that no planted secret was printed."""
        for secret in self.planted:
            assert secret.encode() not in stdout, f"secret in stdout of {self.case}"
            assert secret.encode() not in stderr, f"secret in stderr of {self.case}"


# Starts one fake in the background and waits until it listens.
START = """\
start() {
  name=$1; shift
  "$PY" "$FAKES" "$@" --record "$DIR/$name.jsonl" \\
    >"$DIR/$name.out" 2>"$DIR/$name.err" </dev/null &
}
ready() {
  n=0
  until grep -qs '^READY' "$DIR/$1.out"; do
    n=$((n + 1))
    if [ "$n" -ge 2000 ]; then
      echo "fake $1 did not start" >&2; cat "$DIR/$1.err" >&2; exit 98
    fi
    sleep 0.01
  done
}
"""


@dataclass(frozen=True)
class Answer:
    """Which source one chain picked ("none": it failed), and how it said so."""

    source: str
    detail: str


# botocore as the application runs it: the source's name once the credentials
# are really fetched (assume-role, web identity and SSO are lazy), "none" when
# there are none or fetching them fails.
BOTOCORE = """\
import json
import boto3
out = {}
try:
    creds = boto3.Session().get_credentials()
    if creds is None:
        out["method"] = "none"
    else:
        creds.get_frozen_credentials()
        out["method"] = creds.method
except Exception as e:  # whatever stops the application
    out["method"] = "none"
    out["error"] = type(e).__name__
print(json.dumps(out))
"""
TOOLS: dict[str, Sequence[str]] = {
    "js": ["node", str(CHAIN), KEYMAP],
    "botocore": [PYTHON, "-c", BOTOCORE],
    "roleprobe": [ROLEPROBE, "--check"],
}


def js_answer(world: World) -> Answer:
    """Return the source chain.mjs reported."""
    status, stdout, stderr = world.output("js")
    detail = f"status {status}\n{stdout!r}\n{stderr[-2000:]!r}"
    assert status == 0, detail
    return Answer(json.loads(stdout)["source"], detail)


def botocore_answer(world: World) -> Answer:
    """Return the source botocore reported."""
    status, stdout, stderr = world.output("botocore")
    detail = f"status {status}\n{stdout!r}\n{stderr[-2000:]!r}"
    assert status == 0, detail
    assert b"NETGUARD VIOLATION" not in stderr, detail
    return Answer(json.loads(stdout)["method"], detail)


def roleprobe_answer(world: World) -> Answer:
    """Return the source ``roleprobe --check`` reported ("none": unavailable)."""
    status, stdout, stderr = world.output("roleprobe")
    runner = Runner(world.home, world.fresh("unused"))
    runner.plant(*world.planted)
    run = runner.checked(status, stdout, stderr)
    events = {e["event"]: e for e in run.events}
    if "credentials_resolved" in events:
        return Answer(events["credentials_resolved"]["source"], run.stderr)
    if "credentials_unavailable" in events:
        return Answer("none", run.stderr)
    return Answer(f"no verdict (exit {run.status})", run.stderr)


@dataclass(frozen=True)
class Skip:
    """A tool that could not run here, and why."""

    reason: str


READERS = {"js": js_answer, "botocore": botocore_answer, "roleprobe": roleprobe_answer}
Answers = dict[str, dict[str, Answer | BaseException | Skip]]  # case -> tool -> answer


def run_case(case: Case, tmp: Path, tools: Sequence[str]) -> dict[str, Any]:
    """Run *tools* in one namespace with *case*'s files and fakes."""
    world = World(case, tmp / case.name)
    env = world.prepare()
    command = world.command({t: TOOLS[t] for t in tools}, sts="roleprobe" in tools)
    extra = {**ROLEPROBE_ENV, **env} if "roleprobe" in tools else env
    if "botocore" in tools:
        extra = {**ROLEPROBE_ENV, **extra}  # the netguard, with its exceptions
    done = subprocess.run(
        command,
        env=world.environ(extra),
        capture_output=True,
        timeout=TOOL_TIMEOUT * len(tools) + 30,
        check=False,
    )
    world.check_output(done.stdout, done.stderr)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    answers: dict[str, Answer | BaseException] = {}
    for tool in tools:
        try:
            answers[tool] = READERS[tool](world)
        except Exception as e:  # reported by that tool's test
            answers[tool] = e
    return answers


def selected(request: pytest.FixtureRequest) -> dict[str, set[str]]:
    """Return the tools each case needs in this session's tests."""
    needs = {
        "test_js_chain_matches_table": {"js"},
        "test_botocore_matches_table": {"botocore"},
        "test_roleprobe_follows_js": {"js", "roleprobe"},
    }
    tools: dict[str, set[str]] = {}
    for item in request.session.items:
        test = getattr(item, "originalname", "")
        if test in needs and hasattr(item, "callspec"):
            tools.setdefault(item.callspec.params["case"], set()).update(needs[test])
    return tools


def lock_packages(path: Path) -> dict[str, Any]:
    """Return the installed packages an npm lock file lists."""
    if not path.exists():
        return {}
    packages: dict[str, Any] = json.loads(path.read_text())["packages"]
    return {name: value for name, value in packages.items() if name}


def install_js_sdk() -> str | None:
    """Install the pinned SDK into tests/js/node_modules unless it is there.

    Return why it cannot be (node or npm missing), or None.  In CI a
    missing tool is a failure, not a reason.
    """
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        reason = f"{' and '.join(missing)} not installed (.ci/run installs them)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        return reason
    wanted = lock_packages(JS / "package-lock.json")
    with (JS / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another session may be installing
        if lock_packages(JS / "node_modules" / ".package-lock.json") == wanted:
            return None
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=JS,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"
    return None


@pytest.fixture(scope="session")
def answers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Answers:
    """Every selected case run once, concurrently, by the tools its tests need."""
    wanted = selected(request)
    skipped = None
    if any("js" in tools for tools in wanted.values()):
        skipped = install_js_sdk()
    tmp = tmp_path_factory.mktemp("oracle")

    def one(name: str) -> dict[str, Any]:
        tools = [t for t in TOOLS if t in wanted[name]]
        if skipped is not None:
            tools = [t for t in tools if t not in ("js", "roleprobe")]
        try:
            answers = run_case(BY_NAME[name], tmp, tools) if tools else {}
        except Exception as e:  # the namespace itself failed
            answers = dict.fromkeys(tools, e)
        if skipped is not None:
            answers.update(js=Skip(skipped), roleprobe=Skip(skipped))
        return answers

    with ThreadPoolExecutor(WORKERS) as pool:
        return dict(zip(wanted, pool.map(one, wanted), strict=True))


def answer(answers: Answers, case: str, tool: str) -> Answer:
    """Return *tool*'s answer in *case*, raising the error its run raised."""
    found = answers[case][tool]
    if isinstance(found, Skip):
        pytest.skip(found.reason)
    if isinstance(found, BaseException):
        raise found
    return found


@pytest.mark.parametrize("case", list(BY_NAME))
def test_js_chain_matches_table(answers: Answers, case: str) -> None:
    got = answer(answers, case, "js")
    assert got.source == BY_NAME[case].js, got.detail


@pytest.mark.parametrize("case", list(BY_NAME))
def test_botocore_matches_table(answers: Answers, case: str) -> None:
    got = answer(answers, case, "botocore")
    assert got.source == BY_NAME[case].botocore, got.detail


@pytest.mark.parametrize("case", list(BY_NAME))
def test_roleprobe_follows_js(answers: Answers, case: str) -> None:
    js = answer(answers, case, "js")
    got = answer(answers, case, "roleprobe")
    assert got.source == js.source, f"JS: {js.detail}\nroleprobe:\n{got.detail}"


def test_table_has_the_known_differences() -> None:
    """At least 40 environments, and the ones known to differ from botocore."""
    assert len(CASES) >= 40
    differ = {c.name for c in CASES if c.js != c.botocore}
    assert {
        "env-keys-and-aws-profile",
        "web-identity-and-credentials-keys",
        "missing-profile-container",
        "missing-profile-imds",
        "failing-process-imds",
        "config-keys-and-process",
        "web-identity-profile-and-credentials-keys",
        "role-arn-without-source",
        "imds-disabled-1",
        "imds-disabled-FALSE",
        "empty-aws-profile",
        "empty-full-uri",
    } <= differ

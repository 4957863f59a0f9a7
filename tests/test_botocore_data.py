"""The container images keep only the botocore data that roleprobe loads.

docker/botocore-data.txt lists what the images keep of botocore/data.  Each
scenario below drives roleprobe down one path that makes botocore load data
files (creating a client, refreshing an SSO token), against the suite's fake
STS and closed loopback ports, and records every file opened under
botocore/data with an audit hook.  A file the list drops fails the test: it
would be missing in the images.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import NETGUARD, NOWHERE, ROOT, Runner
from fakes import Identity, Secrets, Sts

sys.path.insert(0, str(ROOT / "docker"))
from botocore_data import allowed, wanted

LISTING = ROOT / "docker" / "botocore-data.txt"
ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/roleprobe-data-role"
MARK = "/botocore/data/"

# roleprobe started as the console script starts it, with an audit hook first.
# -I (isolated) as in the images; so the netguard is loaded by hand.
PROLOGUE = """\
import os, runpy, sys
runpy.run_path({netguard!r})
_fd = os.open({record!r}, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC)
def _hook(event, args):
    if event == "open" and args and isinstance(args[0], (str, bytes)):
        path = os.fsdecode(args[0])
        if {mark!r} in path:
            os.write(_fd, (path + "\\n").encode())
sys.addaudithook(_hook)
from roleprobe._cli import main
sys.exit(main())
"""

Scenario = Callable[[Path, Secrets], dict[str, str]]


def _write(home: Path, name: str, text: str) -> Path:
    path = home / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _keys(keys: Secrets) -> str:
    return (
        f"aws_access_key_id = {keys.access_key_id}\n"
        f"aws_secret_access_key = {keys.secret_access_key}\n"
    )


def sts_get_caller_identity(home: Path, secrets: Secrets) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": secrets.access_key_id,
        "AWS_SECRET_ACCESS_KEY": secrets.secret_access_key,
    }


def sts_legacy_retries(home: Path, secrets: Secrets) -> dict[str, str]:
    return {**sts_get_caller_identity(home, secrets), "AWS_RETRY_MODE": "legacy"}


def assume_role_profile(home: Path, secrets: Secrets) -> dict[str, str]:
    _write(home, ".aws/credentials", "[base]\n" + _keys(secrets))
    _write(
        home,
        ".aws/config",
        f"[profile app]\nrole_arn = {ROLE}\nsource_profile = base\n",
    )
    return {"AWS_PROFILE": "app", "ROLEPROBE_VERIFY": "always"}


def web_identity(home: Path, secrets: Secrets) -> dict[str, str]:
    token = _write(home, "token.jwt", secrets.web_identity_token)
    return {
        "AWS_ROLE_ARN": ROLE,
        "AWS_WEB_IDENTITY_TOKEN_FILE": str(token),
        "ROLEPROBE_VERIFY": "always",
    }


def credential_process(home: Path, secrets: Secrets) -> dict[str, str]:
    answer = {
        "Version": 1,
        "AccessKeyId": secrets.access_key_id,
        "SecretAccessKey": secrets.secret_access_key,
        "Expiration": "2030-01-01T00:00:00Z",
    }
    script = _write(home, "process.py", f"print({json.dumps(answer)!r})\n")
    _write(
        home,
        ".aws/config",
        f"[default]\ncredential_process = {sys.executable} {script}\n",
    )
    return {}


def sso_cached_token(home: Path, secrets: Secrets) -> dict[str, str]:
    """An SSO session whose cached token is due for a refresh (SSO OIDC)."""
    soon = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=5)
    token = {
        "startUrl": "https://roleprobe-test.awsapps.com/start",
        "region": "eu-west-1",
        "accessToken": secrets.auth_token,
        "expiresAt": soon.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "refreshToken": secrets.imds_token,
        "clientId": "roleprobe-test-client",
        "clientSecret": secrets.body_marker,
        "registrationExpiresAt": "2030-01-01T00:00:00Z",
    }
    cache = hashlib.sha1(b"corp").hexdigest()
    _write(home, f".aws/sso/cache/{cache}.json", json.dumps(token))
    _write(
        home,
        ".aws/config",
        f"[profile sso]\nsso_session = corp\nsso_account_id = {ACCOUNT}\n"
        "sso_role_name = app\n[sso-session corp]\n"
        "sso_start_url = https://roleprobe-test.awsapps.com/start\n"
        "sso_region = eu-west-1\n",
    )
    # Nothing answers SSO: the models are loaded before the first request.
    return {"AWS_PROFILE": "sso", "ROLEPROBE_ATTEMPTS": "1"}


# Each scenario and a service folder it must load (proof that it ran the path).
SCENARIOS: dict[str, tuple[Scenario, str]] = {
    "sts-get-caller-identity": (sts_get_caller_identity, "sts"),
    "sts-legacy-retries": (sts_legacy_retries, "sts"),
    "assume-role-profile": (assume_role_profile, "sts"),
    "web-identity-verified": (web_identity, "sts"),
    "credential-process": (credential_process, "sts"),
    "sso-cached-token": (sso_cached_token, "sso-oidc"),
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_loaded_botocore_data_is_kept(
    name: str, run: Runner, sts: Sts, secrets: Secrets, tmp_path: Path
) -> None:
    """Every file roleprobe opens under botocore/data is on the list."""
    scenario, service = SCENARIOS[name]
    sts.web_identity_token = secrets.web_identity_token
    sts.identities[secrets.access_key_id] = Identity.from_arn(
        f"arn:aws:sts::{ACCOUNT}:assumed-role/roleprobe-data-role/s"
    )
    record = tmp_path / "opened"
    code = PROLOGUE.format(
        netguard=str(Path(NETGUARD) / "sitecustomize.py"), record=str(record), mark=MARK
    )
    env = run.environ(
        {
            "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_ENDPOINT_URL": NOWHERE,
            "ROLEPROBE_DEADLINE": "20",
            **scenario(run.home, secrets),
        }
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", code, "--check"],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    run.checked(done.returncode, done.stdout, done.stderr)
    opened = (
        {
            path.split(MARK, 1)[1]
            for path in record.read_text().splitlines()
            if record.exists()
        }
        if record.exists()
        else set()
    )
    assert any(p.startswith(service + "/") for p in opened), (name, opened, done.stderr)
    keep = allowed(LISTING)
    dropped = sorted(p for p in opened if not wanted(p, keep))
    assert not dropped, f"{LISTING.name} drops files roleprobe loads: {dropped}"

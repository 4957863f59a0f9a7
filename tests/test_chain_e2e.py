"""End to end: roleprobe picks the source botocore picks, and asks who it is.

Every scenario runs the installed roleprobe and botocore itself (a Python
subprocess, as the application would) in the same environment, with the same
files under HOME and the same fakes on loopback, and checks that both name
the same source.  The fake STS knows only the keys a scenario gives an
identity, so a GetCallerIdentity signed with any other key fails: the
identity roleprobe reports is the identity of the application's keys.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import NOWHERE, Runner, needs_namespaces
from fakes import (
    ACCOUNT_ID,
    INSTANCE_ROLE_NAME,
    TASK_ROLE_ARN,
    EcsAgent,
    Identity,
    PodIdentityAgent,
    Secrets,
    Stall,
    Status,
    Sts,
    signing_access_key_id,
)
from netns import BOTOCORE, IMDS_ENV, Namespace

PYTHON = sys.executable
FAST = {"ROLEPROBE_TIMEOUT": "3", "ROLEPROBE_ATTEMPTS": "2", "ROLEPROBE_DEADLINE": "10"}
ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/app/roleprobe-app-role"
ASSUMED_ROLE = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/roleprobe-app-role/session"
OTHER_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/roleprobe-other-role"
WEB_ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/roleprobe-web-role"
# botocore's AssumeRole needs a region (NoRegionError without one).
REGION = {"AWS_DEFAULT_REGION": "eu-west-1"}
# What GetCallerIdentity says the static keys of each scenario belong to.
USER_ARN = f"arn:aws:iam::{ACCOUNT_ID}:user/roleprobe-user"
POD_ARN = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/roleprobe-pod-role/eks-pod"
PROCESS_ARN = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/roleprobe-process-role/p"


@dataclass
class World:
    """One test's HOME, secrets and fakes, and the ways to use them."""

    run: Runner
    secrets: Secrets
    sts: Sts
    ecs: EcsAgent
    pod: PodIdentityAgent

    @property
    def home(self) -> Path:
        """The HOME every run gets."""
        return self.run.home

    def keys(self, tag: str, arn: str | None = None) -> Secrets:
        """Return fresh planted keys; with *arn*, STS knows them as that."""
        keys = self.secrets.derive(tag)
        if arn is not None:
            self.sts.identities[keys.access_key_id] = Identity.from_arn(arn)
        return keys

    def write(self, name: str, text: str) -> Path:
        """Write a file under HOME (``.aws/config``, say) and return its path."""
        path = self.home / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def botocore(self, env: dict[str, str], *args: str) -> dict[str, str]:
        """Return what botocore itself makes of *env* (see BOTOCORE)."""
        full = self.run.environ(env)
        done = subprocess.run(
            [PYTHON, "-c", BOTOCORE, *args],
            env=full,
            capture_output=True,
            timeout=60,
            check=False,
        )
        checked = self.run.checked(
            done.returncode, done.stdout, done.stderr, json_lines=False
        )
        assert checked.status == 0, checked.stderr
        answer: dict[str, str] = json.loads(done.stdout)
        return answer


def ini_keys(keys: Secrets) -> str:
    """Return the key lines of a credentials or config file section."""
    return (
        f"aws_access_key_id = {keys.access_key_id}\n"
        f"aws_secret_access_key = {keys.secret_access_key}\n"
        f"aws_session_token = {keys.session_token}\n"
    )


def env_keys(keys: Secrets) -> dict[str, str]:
    """Return the variables that hand *keys* to the SDK."""
    return {
        "AWS_ACCESS_KEY_ID": keys.access_key_id,
        "AWS_SECRET_ACCESS_KEY": keys.secret_access_key,
        "AWS_SESSION_TOKEN": keys.session_token,
    }


@dataclass(frozen=True)
class Expect:
    """What roleprobe must report for one scenario, besides botocore's source."""

    source: str
    role_arn: str | None = None  # credentials_resolved.role_arn
    verified_by: str | None = None
    # Every STS request roleprobe makes: (Action, access key id it is signed with).
    sts: tuple[tuple[str, str | None], ...] = ()
    shadowed: tuple[str, ...] | None = ()  # None: see its own test
    reason: str | None = None  # in credentials_unavailable; None when found
    botocore_error: str | None = None  # botocore raises this instead


Scenario = Callable[[World], tuple[dict[str, str], Expect]]
SCENARIOS: dict[str, Scenario] = {}


def scenario(fn: Scenario) -> Scenario:
    """Add *fn* to the matrix under its name."""
    SCENARIOS[fn.__name__.replace("_", "-")] = fn
    return fn


@scenario
def env(w: World) -> tuple[dict[str, str], Expect]:
    keys = w.keys("ENV", USER_ARN)
    gci = ("GetCallerIdentity", keys.access_key_id)
    return env_keys(keys), Expect("env", None, "sts", (gci,))


@scenario
def env_beats_aws_profile(w: World) -> tuple[dict[str, str], Expect]:
    keys, profile = w.keys("ENV", USER_ARN), w.keys("PROFILE", OTHER_ROLE)
    w.write(".aws/credentials", "[dev]\n" + ini_keys(profile))
    gci = ("GetCallerIdentity", keys.access_key_id)
    return {**env_keys(keys), "AWS_PROFILE": "dev"}, Expect("env", None, "sts", (gci,))


@scenario
def env_beats_credential_source_environment(
    w: World,
) -> tuple[dict[str, str], Expect]:
    keys = w.keys("ENV", USER_ARN)
    w.write(
        ".aws/config",
        f"[profile app]\nrole_arn = {ROLE}\ncredential_source = Environment\n",
    )
    gci = ("GetCallerIdentity", keys.access_key_id)
    return {**env_keys(keys), "AWS_PROFILE": "app"}, Expect("env", None, "sts", (gci,))


@scenario
def default_profile_credentials_file(w: World) -> tuple[dict[str, str], Expect]:
    keys = w.keys("DEFAULT", USER_ARN)
    w.write(".aws/credentials", "[default]\n" + ini_keys(keys))
    gci = ("GetCallerIdentity", keys.access_key_id)
    return {}, Expect("shared-credentials-file", None, "sts", (gci,))


@scenario
def named_profile_credentials_file(w: World) -> tuple[dict[str, str], Expect]:
    default, dev = w.keys("DEFAULT", OTHER_ROLE), w.keys("DEV", USER_ARN)
    w.write(
        ".aws/credentials",
        "[default]\n" + ini_keys(default) + "[dev]\n" + ini_keys(dev),
    )
    gci = ("GetCallerIdentity", dev.access_key_id)
    return {"AWS_PROFILE": "dev"}, Expect(
        "shared-credentials-file", None, "sts", (gci,)
    )


@scenario
def aws_default_profile_beats_aws_profile(
    w: World,
) -> tuple[dict[str, str], Expect]:
    first, second = w.keys("FIRST", USER_ARN), w.keys("SECOND", OTHER_ROLE)
    w.write(
        ".aws/credentials",
        "[first]\n" + ini_keys(first) + "[second]\n" + ini_keys(second),
    )
    gci = ("GetCallerIdentity", first.access_key_id)
    environ = {"AWS_DEFAULT_PROFILE": "first", "AWS_PROFILE": "second"}
    return environ, Expect("shared-credentials-file", None, "sts", (gci,))


@scenario
def keys_in_config_file(w: World) -> tuple[dict[str, str], Expect]:
    keys = w.keys("CONFIG", USER_ARN)
    w.write(".aws/config", "[profile dev]\n" + ini_keys(keys))
    gci = ("GetCallerIdentity", keys.access_key_id)
    return {"AWS_PROFILE": "dev"}, Expect("config-file", None, "sts", (gci,))


@scenario
def files_named_by_variables(w: World) -> tuple[dict[str, str], Expect]:
    keys = w.keys("ELSEWHERE", USER_ARN)
    decoy = w.keys("DECOY", OTHER_ROLE)
    w.write(".aws/credentials", "[default]\n" + ini_keys(decoy))
    path = w.write("elsewhere/creds.ini", "[default]\n" + ini_keys(keys))
    gci = ("GetCallerIdentity", keys.access_key_id)
    environ = {"AWS_SHARED_CREDENTIALS_FILE": str(path)}
    return environ, Expect("shared-credentials-file", None, "sts", (gci,))


@scenario
def assume_role_source_profile(w: World) -> tuple[dict[str, str], Expect]:
    base = w.keys("BASE")  # STS knows them only through AssumeRole
    w.write(".aws/credentials", "[base]\n" + ini_keys(base))
    w.write(".aws/config", f"[profile app]\nrole_arn = {ROLE}\nsource_profile = base\n")
    calls = (("AssumeRole", base.access_key_id),)
    environ = {**REGION, "AWS_PROFILE": "app"}
    return environ, Expect("assume-role", ROLE, "configuration", calls)


@scenario
def assume_role_source_profile_verified(
    w: World,
) -> tuple[dict[str, str], Expect]:
    environ, expect = assume_role_source_profile(w)
    calls = (*expect.sts, ("GetCallerIdentity", "ISSUED 1"))
    return {**environ, "ROLEPROBE_VERIFY": "always"}, Expect(
        "assume-role", ROLE, "sts", calls
    )


@scenario
def assume_role_credential_source_ecs(w: World) -> tuple[dict[str, str], Expect]:
    w.write(
        ".aws/config",
        f"[profile app]\nrole_arn = {ROLE}\ncredential_source = EcsContainer\n",
    )
    environ = {
        **REGION,
        "AWS_PROFILE": "app",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": w.ecs.credentials_url,
        "ROLEPROBE_VERIFY": "always",
    }
    calls = (
        ("AssumeRole", w.secrets.access_key_id),
        ("GetCallerIdentity", "ISSUED 1"),
    )
    return environ, Expect("assume-role", ROLE, "sts", calls, shadowed=None)


@scenario
def web_identity_by_environment(w: World) -> tuple[dict[str, str], Expect]:
    token = w.write("token.jwt", w.secrets.web_identity_token)
    environ = {"AWS_ROLE_ARN": WEB_ROLE, "AWS_WEB_IDENTITY_TOKEN_FILE": str(token)}
    return environ, Expect("assume-role-with-web-identity", WEB_ROLE, "configuration")


@scenario
def web_identity_by_profile(w: World) -> tuple[dict[str, str], Expect]:
    token = w.write("token.jwt", w.secrets.web_identity_token)
    w.write(
        ".aws/config",
        f"[profile web]\nrole_arn = {WEB_ROLE}\nweb_identity_token_file = {token}\n",
    )
    environ = {"AWS_PROFILE": "web"}
    return environ, Expect("assume-role-with-web-identity", WEB_ROLE, "configuration")


@scenario
def web_identity_verified(w: World) -> tuple[dict[str, str], Expect]:
    environ, _ = web_identity_by_environment(w)
    calls = (("AssumeRoleWithWebIdentity", None), ("GetCallerIdentity", "ISSUED 1"))
    return {**environ, "ROLEPROBE_VERIFY": "always"}, Expect(
        "assume-role-with-web-identity", WEB_ROLE, "sts", calls
    )


@scenario
def credential_process(w: World) -> tuple[dict[str, str], Expect]:
    keys = w.keys("PROCESS", PROCESS_ARN)
    answer = {
        "Version": 1,
        "AccessKeyId": keys.access_key_id,
        "SecretAccessKey": keys.secret_access_key,
        "SessionToken": keys.session_token,
        "Expiration": "2030-01-01T00:00:00Z",
    }
    script = w.write("process.py", f"print({json.dumps(answer)!r})\n")
    w.write(
        ".aws/config",
        f"[default]\ncredential_process = {PYTHON} {script}\n",
    )
    gci = ("GetCallerIdentity", keys.access_key_id)
    return {}, Expect("custom-process", PROCESS_ARN, "sts", (gci,))


@scenario
def container_full_uri(w: World) -> tuple[dict[str, str], Expect]:
    environ = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": w.ecs.credentials_url}
    return environ, Expect("container-role", TASK_ROLE_ARN, "endpoint")


@scenario
def pod_identity(w: World) -> tuple[dict[str, str], Expect]:
    w.sts.identities[w.secrets.access_key_id] = Identity.from_arn(POD_ARN)
    environ = {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": w.pod.credentials_url,
        "AWS_CONTAINER_AUTHORIZATION_TOKEN": w.secrets.auth_token,
    }
    gci = ("GetCallerIdentity", w.secrets.access_key_id)
    return environ, Expect("container-role", POD_ARN, "sts", (gci,))


@scenario
def env_keys_shadow_container(w: World) -> tuple[dict[str, str], Expect]:
    environ, expect = env(w)
    environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = w.ecs.credentials_url
    return environ, Expect("env", None, "sts", expect.sts, shadowed=("container-role",))


@scenario
def credentials_file_shadows_container(
    w: World,
) -> tuple[dict[str, str], Expect]:
    environ, expect = default_profile_credentials_file(w)
    environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = w.ecs.credentials_url
    return environ, Expect(
        "shared-credentials-file", None, "sts", expect.sts, ("container-role",)
    )


@scenario
def nothing(w: World) -> tuple[dict[str, str], Expect]:
    reason = "no credentials source is configured"
    return {}, Expect("none", reason=reason)


@scenario
def missing_profile(w: World) -> tuple[dict[str, str], Expect]:
    keys = w.keys("DEFAULT", USER_ARN)
    w.write(".aws/credentials", "[default]\n" + ini_keys(keys))
    reason = "profile 'nosuch' not found (AWS_PROFILE)"
    return {"AWS_PROFILE": "nosuch"}, Expect(
        "none", reason=reason, botocore_error="ProfileNotFound"
    )


@pytest.fixture
def world(
    run: Runner, secrets: Secrets, ecs: EcsAgent, pod: PodIdentityAgent
) -> Iterator[World]:
    """Fakes whose STS knows no key until a scenario names one."""
    with Sts(
        secrets=secrets,
        default_identity=None,
        web_identity_token=secrets.web_identity_token,
    ) as sts:
        run.sts_url = sts.url
        yield World(run, secrets, sts, ecs, pod)


def sts_calls(w: World) -> list[tuple[str | None, str | None]]:
    """Return STS's requests as (Action, signing key), issued keys by number."""
    issued = {c.access_key_id: f"ISSUED {n}" for n, c in enumerate(w.sts.issued, 1)}
    return [
        (action, issued.get(key or "", key))
        for action, key in zip(w.sts.actions, w.sts.access_key_ids, strict=True)
    ]


@pytest.mark.parametrize("name", SCENARIOS)
def test_source_and_identity_match_botocore(world: World, name: str) -> None:
    environ, expect = SCENARIOS[name](world)
    environ = {**FAST, **environ}
    r = world.run("--check", env=environ)
    rp_calls = sts_calls(world)
    boto = world.botocore(environ)

    if expect.botocore_error is not None:
        assert boto == {"error": expect.botocore_error}
    else:
        assert boto == {"method": expect.source}
    if expect.reason is not None:
        assert r.status == 69
        failed = r.event("credentials_unavailable")
        assert failed["source"] == expect.source
        assert expect.reason in failed["reason"]
        assert "credentials_resolved" not in r.names
    else:
        assert r.status == 0, r.stderr
        resolved = r.event("credentials_resolved")
        assert resolved["source"] == boto["method"] == expect.source
        assert resolved["role_arn"] == expect.role_arn
        assert resolved.get("verified_by") == expect.verified_by
        assert "credentials_unavailable" not in r.names
    assert rp_calls == list(expect.sts)
    if expect.shadowed is None:
        pass
    elif expect.shadowed:
        shadow = r.event("credentials_shadowed")
        assert shadow["level"] == "warning"
        assert shadow["source"] == expect.source
        assert shadow["shadowed"] == list(expect.shadowed)
    else:
        assert "credentials_shadowed" not in r.names


IDENTIFIED = [
    name
    for name in SCENARIOS
    if name not in ("nothing", "missing-profile", "container-full-uri")
]


@pytest.mark.parametrize("name", IDENTIFIED)
def test_identity_is_the_applications(world: World, name: str) -> None:
    """roleprobe's identity is the one botocore's own GetCallerIdentity gets."""
    environ, expect = SCENARIOS[name](world)
    environ = {**FAST, **environ, "ROLEPROBE_VERIFY": "always"}
    r = world.run("--check", env=environ)
    assert r.status == 0, r.stderr
    resolved = r.event("credentials_resolved")
    identity = resolved.get("identity_arn") or resolved["role_arn"]
    rp_key = world.sts.access_key_ids[-1]
    world.sts.clear_requests()
    boto = world.botocore(environ, "identity")
    assert boto["method"] == resolved["source"] == expect.source
    assert without_session(boto["arn"]) == without_session(identity)
    assert world.sts.actions[-1] == "GetCallerIdentity"
    if not expect.source.startswith("assume-role"):  # a new AssumeRole, new keys
        assert world.sts.access_key_ids[-1] == rp_key


def without_session(arn: str) -> str:
    """Return an assumed-role ARN without its session name (each AssumeRole's own)."""
    return arn.rsplit("/", 1)[0] if ":assumed-role/" in arn else arn


# -- identity, ROLEPROBE_VERIFY and the verdict -------------------------------


def test_env_keys_sign_the_identity_request(world: World) -> None:
    keys = world.keys("ENV", ASSUMED_ROLE)
    environ = {**FAST, **env_keys(keys), "EXPECTED_ROLE_ARN": "roleprobe-app-role"}
    r = world.run("--", "true", env=environ)
    assert r.status == 0, r.stderr
    assert world.sts.access_key_ids == [keys.access_key_id]
    assert world.sts.actions == ["GetCallerIdentity"]
    assert r.names == ["credentials_resolved", "role_verified"]


def test_verify_never_asks_no_one(world: World) -> None:
    keys = world.keys("ENV", USER_ARN)
    environ = {**FAST, **env_keys(keys), "ROLEPROBE_VERIFY": "never"}
    r = world.run("--check", env=environ)
    assert r.status == 0
    assert world.sts.requests == []
    resolved = r.event("credentials_resolved")
    assert resolved["source"] == "env"
    assert resolved["role_arn"] is None
    assert "ROLEPROBE_VERIFY=never" in resolved["identity_reason"]
    r = world.run("--check", env={**environ, "EXPECTED_ROLE_ARN": "x"})
    assert r.status == 69
    assert world.sts.requests == []


def test_verify_never_assumes_no_role(world: World) -> None:
    """VERIFY=never: no STS call of any kind, AssumeRole included (issue 7)."""
    environ, _ = assume_role_source_profile(world)
    r = world.run("--check", env={**FAST, **environ, "ROLEPROBE_VERIFY": "never"})
    assert r.status == 0, r.stderr
    assert world.sts.requests == []
    resolved = r.event("credentials_resolved")
    assert (resolved["source"], resolved["role_arn"]) == ("assume-role", ROLE)
    assert resolved["verified_by"] == "configuration"


def test_account_id_from_the_profile_without_sts(world: World) -> None:
    keys = world.keys("DEFAULT")
    text = "[default]\n" + ini_keys(keys) + "aws_account_id = 444455556666\n"
    world.write(".aws/credentials", text)
    r = world.run("--check", env={**FAST, "ROLEPROBE_VERIFY": "never"})
    assert r.status == 0
    resolved = r.event("credentials_resolved")
    assert resolved["source"] == "shared-credentials-file"
    assert resolved["account_id"] == "444455556666"
    assert world.sts.requests == []


def test_web_identity_in_auto_needs_no_network(world: World) -> None:
    environ, _ = web_identity_by_environment(world)
    environ = {
        **environ,
        "EXPECTED_ROLE_ARN": WEB_ROLE,
        "AWS_ENDPOINT_URL_STS": NOWHERE,
    }
    r = world.run("--", "true", env=environ)
    assert r.status == 0, r.stderr
    assert r.names == ["credentials_resolved", "role_verified"]
    resolved = r.event("credentials_resolved")
    assert resolved["role_arn"] == WEB_ROLE
    assert resolved["verified_by"] == "configuration"
    assert world.sts.requests == []


def test_env_keys_hiding_a_container_uri_is_a_warning(
    world: World, tmp_path: Path
) -> None:
    environ, _ = env(world)
    environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = world.ecs.credentials_url
    marker = tmp_path / "ran"
    r = world.run("--", "touch", str(marker), env={**FAST, **environ})
    assert r.status == 0
    assert marker.exists()
    assert r.names == ["credentials_shadowed", "credentials_resolved"]
    shadow = r.event("credentials_shadowed")
    assert (shadow["source"], shadow["shadowed"]) == ("env", ["container-role"])
    assert world.ecs.requests == [], "the hidden endpoint is not asked"


def test_credential_source_is_not_shadowed(world: World) -> None:
    """The container role a profile assumes from is used, not hidden."""
    environ, _ = assume_role_credential_source_ecs(world)
    r = world.run("--check", env={**FAST, **environ})
    assert r.status == 0, r.stderr
    assert world.ecs.requests, "the container role was asked"
    assert "credentials_shadowed" not in r.names


def test_assume_role_without_region_fails_as_the_sdk_does(world: World) -> None:
    """botocore's AssumeRole needs a region: the application gets no credentials."""
    base = world.keys("BASE")
    world.write(".aws/credentials", "[base]\n" + ini_keys(base))
    world.write(
        ".aws/config", f"[profile app]\nrole_arn = {ROLE}\nsource_profile = base\n"
    )
    environ = {**FAST, "AWS_PROFILE": "app", "EXPECTED_ROLE_ARN": ROLE}
    r = world.run("--check", env=environ)
    assert r.status == 69
    failed = r.event("credentials_unavailable")
    assert failed["source"] == "assume-role"
    assert "NoRegionError" in failed["reason"]
    assert world.sts.requests == []
    boto = world.botocore(environ, "identity")
    assert boto == {"method": "assume-role", "error": "NoRegionError"}


def test_missing_profile_is_a_clear_reason(world: World, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    environ = {"AWS_PROFILE": "nosuch", "EXPECTED_ROLE_ARN": ROLE}
    r = world.run("--", "touch", str(marker), env={**FAST, **environ})
    assert r.status == 69
    assert not marker.exists()
    failed = r.event("credentials_unavailable")
    assert failed["level"] == "error"
    assert failed["source"] == "none"
    assert "nosuch" in failed["reason"]
    assert "AWS_PROFILE" in failed["reason"]
    assert world.sts.requests == []


@pytest.mark.parametrize("sts_url", ["fake", NOWHERE], ids=["denied", "unreachable"])
def test_no_identity_with_an_expectation_exits_69(
    world: World, tmp_path: Path, sts_url: str
) -> None:
    keys = world.keys("UNKNOWN")  # the fake STS answers InvalidClientTokenId
    environ = {**FAST, **env_keys(keys), "EXPECTED_ROLE_ARN": ROLE}
    if sts_url != "fake":
        environ["AWS_ENDPOINT_URL_STS"] = sts_url
    marker = tmp_path / "ran"
    r = world.run("--", "touch", str(marker), env=environ)
    assert r.status == 69
    assert not marker.exists()
    assert r.names[-2:] == ["credentials_resolved", "credentials_unavailable"]
    failed = r.event("credentials_unavailable")
    assert failed["level"] == "error"
    assert failed["source"] == "env"
    assert "identity not established" in failed["reason"]
    expected = "InvalidClientTokenId" if sts_url == "fake" else "cannot connect"
    assert expected in failed["reason"]
    if sts_url == "fake":
        assert world.sts.access_key_ids == [keys.access_key_id] * 2


def test_no_identity_in_warn_mode_runs(world: World, tmp_path: Path) -> None:
    keys = world.keys("UNKNOWN")
    environ = {
        **FAST,
        **env_keys(keys),
        "EXPECTED_ROLE_ARN": ROLE,
        "ROLEPROBE_ON_MISMATCH": "warn",
    }
    marker = tmp_path / "ran"
    r = world.run("--", "touch", str(marker), env=environ)
    assert r.status == 0
    assert marker.exists()
    assert r.event("credentials_unavailable")["level"] == "warning"


def test_assume_role_denied_is_unavailable(world: World) -> None:
    base = world.keys("BASE")
    world.write(".aws/credentials", "[base]\n" + ini_keys(base))
    world.write(
        ".aws/config", f"[profile app]\nrole_arn = {ROLE}\nsource_profile = base\n"
    )
    world.sts.set_faults(Status(403))
    environ = {**FAST, **REGION, "AWS_PROFILE": "app", "EXPECTED_ROLE_ARN": ROLE}
    r = world.run("--check", env=environ)
    assert r.status == 69
    failed = r.event("credentials_unavailable")
    assert failed["source"] == "assume-role"
    assert "AccessDenied" in failed["reason"]
    assert world.sts.actions == ["AssumeRole"] * 2


def test_failing_credential_process_is_unavailable(world: World) -> None:
    script = world.write(
        "process.py",
        "import sys\n"
        f"sys.stderr.write({world.secrets.secret_access_key!r})\n"
        f"print({world.secrets.session_token!r})\n"
        "sys.exit(1)\n",
    )
    world.write(".aws/config", f"[default]\ncredential_process = {PYTHON} {script}\n")
    environ = {**FAST, "EXPECTED_ROLE_ARN": ROLE}
    r = world.run("--check", env=environ)
    assert r.status == 69
    failed = r.event("credentials_unavailable")
    assert failed["source"] == "custom-process"
    assert "CredentialRetrievalError" in failed["reason"]
    assert world.sts.requests == []
    assert world.botocore(environ) == {"error": "CredentialRetrievalError"}


@pytest.mark.parametrize("where", ["sts-unreachable", "sts-stalls"])
def test_assume_role_without_sts_is_unavailable(world: World, where: str) -> None:
    environ, _ = assume_role_source_profile(world)
    environ = {**FAST, **environ, "EXPECTED_ROLE_ARN": ROLE, "ROLEPROBE_TIMEOUT": "1"}
    if where == "sts-unreachable":
        environ["AWS_ENDPOINT_URL_STS"] = NOWHERE
    else:
        world.sts.set_faults(Stall(30))
    r = world.run("--check", env=environ)
    assert r.status == 69
    failed = r.event("credentials_unavailable")
    assert failed["source"] == "assume-role"
    reason = "cannot connect" if where == "sts-unreachable" else "timed out"
    assert reason in failed["reason"]
    assert failed["attempts"] == 2


def test_sts_error_text_never_reaches_the_log(world: World) -> None:
    """An error code is part of the answer's body: only a plain one is shown."""
    environ, _ = assume_role_source_profile(world)
    marker = world.secrets.body_marker
    body = (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        f"<Error><Type>Sender</Type><Code>{marker} x</Code>"
        f"<Message>{marker}</Message></Error></ErrorResponse>"
    )
    world.sts.set_faults(Status(403, body=body, content_type="text/xml"))
    r = world.run("--check", env={**FAST, **environ, "EXPECTED_ROLE_ARN": ROLE})
    assert r.status == 69
    failed = r.event("credentials_unavailable")
    assert failed["source"] == "assume-role"
    assert "HTTP 403" in failed["reason"]


def test_unusable_sdk_setting_keeps_the_source(world: World) -> None:
    """botocore fails on a setting it cannot parse; roleprobe says where."""
    environ, expect = default_profile_credentials_file(world)
    environ = {**FAST, **environ, "AWS_METADATA_SERVICE_TIMEOUT": "0.5"}
    r = world.run("--check", env=environ)
    assert r.status == 69
    failed = r.event("credentials_unavailable")
    assert failed["source"] == expect.source
    assert "ValueError" in failed["reason"]
    assert world.botocore(environ) == {"error": "ValueError"}


# -- instance metadata, in a namespace of its own ------------------------------


@needs_namespaces
def test_instance_role_matches_botocore(
    run: Runner, secrets: Secrets, tmp_path: Path
) -> None:
    arn = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{INSTANCE_ROLE_NAME}/i-0123456789"
    ns = Namespace(tmp_path, secrets, sts_args=("--identity-arn", arn))
    environ = {**FAST, **IMDS_ENV, "EXPECTED_ROLE_ARN": INSTANCE_ROLE_NAME}
    r = run("--check", env=environ, prefix=ns.prefix())
    assert r.status == 0, r.stderr
    resolved = r.event("credentials_resolved")
    assert resolved["source"] == "iam-role"
    assert resolved["role_arn"] == arn
    assert [signing_access_key_id(q) for q in ns.requests("sts")] == [
        secrets.access_key_id
    ]
    boto = ns.botocore(run, environ)
    assert boto == {"method": "iam-role"}

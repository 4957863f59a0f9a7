"""The standalone build leaves out only modules that no code path imports.

docker/standalone/roleprobe.spec lists, in EXCLUDES, the modules the
PyInstaller build leaves out to stay small.  Each scenario below drives the
installed roleprobe down one path against the suite's fakes and records every
module it imports with an audit hook; a path that imports an excluded module
(or a submodule of one) fails here, before the standalone build would fail
with ModuleNotFoundError where it runs.

The interpreter's own start (site, the test netguard) counts as imported too:
the recording is deliberately wider than roleprobe alone.
"""

from __future__ import annotations

import ast
import datetime
import hashlib
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pytest

from conftest import ROOT, Runner
from fakes import (
    TASK_ROLE_ARN,
    EcsAgent,
    Encoded,
    FakeServer,
    Identity,
    PodIdentityAgent,
    Secrets,
    SsoPortal,
    Sts,
)

SPEC = ROOT / "docker" / "standalone" / "roleprobe.spec"
ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/roleprobe-imports-role"
F = TypeVar("F", bound=FakeServer)
ASSUMED = f"arn:aws:sts::{ACCOUNT}:assumed-role/roleprobe-imports-role/s"

# roleprobe as the console script starts it (-I), an audit hook first, then
# the excluded modules blocked as they are missing in the standalone build.
# Every module in sys.modules when the hook is installed, every "import" event
# (raised before the finders run: blocked attempts too), and every module that
# appeared in sys.modules since the last audit event (a submodule imported
# through importlib raises no "import" event, but the next open or exec raises
# one) is written to the record at once: roleprobe ends in execve or os._exit
# as often as in a normal exit.  So is every file opened that DROPPED_DATA
# names.
PROLOGUE = """\
import os, sys
_fd = os.open({record!r}, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC)
_seen = set()
def _note(names):
    new = [n for n in names if n not in _seen]
    if new:
        _seen.update(new)
        os.write(_fd, ("\\n".join(new) + "\\n").encode())
_note(list(sys.modules))
_dropped = {dropped!r}
def _hook(event, args, _len=[len(sys.modules)]):
    if event == "import" and args and isinstance(args[0], str):
        _note([args[0]])
    elif event == "open" and args and isinstance(args[0], (str, bytes)):
        path = os.fsdecode(args[0])
        if any(path.endswith("/" + d) for d in _dropped):
            _note(["open:" + path])
    if len(sys.modules) != _len[0]:
        _len[0] = len(sys.modules)
        _note(list(sys.modules))
sys.addaudithook(_hook)
_excluded = {excluded!r}
class _Missing:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if any(name == e or name.startswith(e + ".") for e in _excluded):
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None
sys.meta_path.insert(0, _Missing)
from roleprobe._cli import main
sys.exit(main())
"""


def spec_list(name: str) -> list[str]:
    """Return the spec's literal *name* (a list or set), read without running it."""
    tree = ast.parse(SPEC.read_text(), str(SPEC))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return sorted(ast.literal_eval(node.value))
    raise AssertionError(f"no {name} = [...] in {SPEC}")


def excludes() -> list[str]:
    """Return the modules the standalone build leaves out."""
    return spec_list("EXCLUDES")


def violations(imported: set[str], excluded: list[str]) -> list[str]:
    """Return the imported modules that an exclusion leaves out of the build."""
    return sorted(
        name
        for name in imported
        if any(name == e or name.startswith(e + ".") for e in excluded)
    )


@dataclass
class World:
    """What a scenario sets up: fakes, files, and what the run must show."""

    run: Runner
    secrets: Secrets
    tmp: Path
    fakes: ExitStack
    args: list[str] = field(default_factory=lambda: ["--", "true"])
    env: dict[str, str] = field(default_factory=dict)
    status: int = 0
    event: str | None = "credentials_resolved"
    json_lines: bool = True

    def start(self, fake: F) -> F:
        """Start *fake* for the length of the run."""
        return self.fakes.enter_context(fake)

    def sts(self, *faults: Encoded) -> Sts:
        """Start the fake STS, which the runner's environment points at."""
        sts = self.start(Sts(secrets=self.secrets, faults=faults))
        sts.default_identity = Identity.from_arn(ASSUMED)
        sts.web_identity_token = self.secrets.web_identity_token
        self.run.sts_url = sts.url
        return sts

    def ecs(self, *faults: Encoded) -> None:
        """Start a fake ECS agent and point the environment at it."""
        agent = self.start(EcsAgent(secrets=self.secrets, faults=faults))
        self.env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = agent.credentials_url

    def write(self, name: str, text: str) -> Path:
        """Write a file under HOME."""
        path = self.run.home / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def keys_file(self) -> None:
        """A credentials file with the planted keys in profile base."""
        self.write(
            ".aws/credentials",
            f"[base]\naws_access_key_id = {self.secrets.access_key_id}\n"
            f"aws_secret_access_key = {self.secrets.secret_access_key}\n",
        )


def container_happy_path(w: World) -> None:
    w.ecs()
    w.env["EXPECTED_ROLE_ARN"] = TASK_ROLE_ARN


def container_gzip(w: World) -> None:
    w.ecs(Encoded(("gzip",)))


def container_deflate_gzip(w: World) -> None:
    w.ecs(Encoded(("deflate", "gzip")))


def pod_identity_sts(w: World) -> None:
    pod = w.start(PodIdentityAgent(secrets=w.secrets))
    w.sts()
    w.env.update(
        AWS_CONTAINER_CREDENTIALS_FULL_URI=pod.credentials_url,
        AWS_CONTAINER_AUTHORIZATION_TOKEN=w.secrets.auth_token,
        EXPECTED_ROLE_ARN=ROLE,
    )


def env_keys_sts(w: World) -> None:
    w.sts()
    w.env.update(
        AWS_ACCESS_KEY_ID=w.secrets.access_key_id,
        AWS_SECRET_ACCESS_KEY=w.secrets.secret_access_key,
        EXPECTED_ROLE_ARN=ROLE,
    )


def env_keys_sts_gzip(w: World) -> None:
    env_keys_sts(w)
    w.run.sts_url = w.sts(Encoded(("gzip",))).url


def assume_role_profile(w: World) -> None:
    w.sts()
    w.keys_file()
    w.write(".aws/config", f"[profile app]\nrole_arn = {ROLE}\nsource_profile = base\n")
    w.env.update(
        AWS_PROFILE="app", AWS_DEFAULT_REGION="us-east-1", ROLEPROBE_VERIFY="always"
    )


def web_identity_verified(w: World) -> None:
    w.sts()
    token = w.write("token.jwt", w.secrets.web_identity_token)
    w.env.update(
        AWS_ROLE_ARN=ROLE,
        AWS_WEB_IDENTITY_TOKEN_FILE=str(token),
        ROLEPROBE_VERIFY="always",
    )


def sso_cached_token(w: World) -> None:
    w.sts()
    sso = w.start(SsoPortal(secrets=w.secrets))
    soon = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=8)
    token = {
        "startUrl": "https://roleprobe-test.awsapps.com/start",
        "region": "us-east-1",
        "accessToken": w.secrets.auth_token,
        "expiresAt": soon.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    cache = hashlib.sha1(b"corp").hexdigest()
    w.write(f".aws/sso/cache/{cache}.json", json.dumps(token))
    w.write(
        ".aws/config",
        f"[profile sso]\nsso_session = corp\nsso_account_id = {ACCOUNT}\n"
        "sso_role_name = roleprobe-imports-role\n[sso-session corp]\n"
        "sso_start_url = https://roleprobe-test.awsapps.com/start\n"
        "sso_region = us-east-1\n",
    )
    w.env.update(
        AWS_PROFILE="sso", AWS_ENDPOINT_URL_SSO=sso.url, EXPECTED_ROLE_ARN=ROLE
    )


def credential_process(w: World) -> None:
    w.sts()
    answer = {
        "Version": 1,
        "AccessKeyId": w.secrets.access_key_id,
        "SecretAccessKey": w.secrets.secret_access_key,
        "Expiration": "2030-01-01T00:00:00Z",
    }
    script = w.write("process.sh", f"printf '%s\\n' '{json.dumps(answer)}'\n")
    w.write(".aws/config", f"[default]\ncredential_process = /bin/sh {script}\n")
    w.env["EXPECTED_ROLE_ARN"] = ROLE


def check_console(w: World) -> None:
    w.ecs()
    w.args = ["--check"]
    w.env.update(EXPECTED_ROLE_ARN=TASK_ROLE_ARN, ROLEPROBE_LOG_FORMAT="console")
    w.json_lines = False
    w.event = None


def emf(w: World) -> None:
    w.ecs()
    w.env["ROLEPROBE_EMF"] = "true"
    w.event = "probe_metrics"


def config_error(w: World) -> None:
    w.ecs()
    w.env["ROLEPROBE_TIMEOUT"] = "soon"
    w.status, w.event = 78, "config_invalid"


def usage_error(w: World) -> None:
    w.args = ["--bogus", "true"]
    w.status, w.event, w.json_lines = 2, None, False


def help_text(w: World) -> None:
    w.args = ["--help"]
    w.event, w.json_lines = None, False


def exec_failure(w: World) -> None:
    w.ecs()
    w.args = ["--", "no-such-command-roleprobe-imports"]
    w.status, w.event = 127, "exec_failed"


def nothing_to_find(w: World) -> None:
    w.env.update(EXPECTED_ROLE_ARN=ROLE, ROLEPROBE_ATTEMPTS="1")
    w.status, w.event = 69, "credentials_unavailable"


SCENARIOS: dict[str, Callable[[World], None]] = {
    f.__name__.replace("_", "-"): f
    for f in (
        container_happy_path,
        container_gzip,
        container_deflate_gzip,
        pod_identity_sts,
        env_keys_sts,
        env_keys_sts_gzip,
        assume_role_profile,
        web_identity_verified,
        sso_cached_token,
        credential_process,
        check_console,
        emf,
        config_error,
        usage_error,
        help_text,
        exec_failure,
        nothing_to_find,
    )
}


@pytest.fixture
def world(run: Runner, secrets: Secrets, tmp_path: Path) -> Iterator[World]:
    """A scenario's world; its fakes stop when the test ends."""
    with ExitStack() as fakes:
        yield World(run, secrets, tmp_path, fakes)


def record_imports(w: World) -> set[str]:
    """Run roleprobe in *w*; return every module it imported."""
    record = w.tmp / "imported"
    env = w.run.environ({"ROLEPROBE_DEADLINE": "20", **w.env})
    code = PROLOGUE.format(
        record=str(record), excluded=excludes(), dropped=spec_list("DROPPED_DATA")
    )
    done = subprocess.run(
        [sys.executable, "-I", "-c", code, *w.args],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    r = w.run.checked(done.returncode, done.stdout, done.stderr, w.json_lines)
    assert r.status == w.status, r.stderr
    if w.event is not None:
        assert w.event in r.names, r.stderr
    return set(record.read_text().split())


def test_the_spec_lists_its_exclusions() -> None:
    """EXCLUDES is a literal list of module names, each once; TRIED a part of it."""
    names = excludes()
    assert names, SPEC
    assert len(set(names)) == len(names)
    assert all(n.isidentifier() for name in names for n in name.split("."))
    assert not violations({"roleprobe", "encodings", "botocore", "httpx"}, names)
    assert set(spec_list("TRIED")) <= set(names)


@pytest.mark.parametrize("name", SCENARIOS)
def test_no_path_needs_what_the_build_leaves_out(world: World, name: str) -> None:
    """Each path, with the excluded modules missing, imports none but TRIED ones.

    And it ends as it should (status, event, no traceback), so what it tried
    to import and did without is proven optional on that path; and it opens
    none of the data files the build drops.
    """
    SCENARIOS[name](world)
    imported = record_imports(world)
    assert "roleprobe._cli" in imported, sorted(imported)
    opened = sorted(n for n in imported if n.startswith("open:"))
    assert not opened, f"{name} opens data files {SPEC.name} drops"
    needed = [
        n for n in violations(imported, excludes()) if n not in spec_list("TRIED")
    ]
    assert not needed, f"{name} imports modules {SPEC.name} excludes"

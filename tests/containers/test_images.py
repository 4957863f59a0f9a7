"""What the contract promises, in real containers built from docker/."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conftest import NOWHERE
from fakes import (
    TASK_ROLE_ARN,
    EcsAgent,
    Identity,
    PodIdentityAgent,
    Secrets,
    SsoPortal,
    Stall,
    Status,
    Sts,
)

from .conftest import ENTRYPOINT, IMAGES, Box, podman

OTHER_ROLE = "arn:aws:iam::111122223333:role/not-the-app"
ACCOUNT = "111122223333"
ROLE_NAME = "roleprobe-app"
ASSUMED = f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE_NAME}/session"
# The application: its PID, its parent and how many processes the container
# holds (a shell glob: no extra process).
APP = ("sh", "-c", 'set -- /proc/[0-9]*; echo "pid=$$ ppid=$PPID procs=$#"')
AS_PID_1 = b"pid=1 ppid=0 procs=1\n"
HOME = "/home/app"


def ecs_env(agent: EcsAgent, expected: str = TASK_ROLE_ARN) -> dict[str, str]:
    """The variables of an ECS task whose agent is *agent*."""
    return {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": agent.credentials_url,
        "EXPECTED_ROLE_ARN": expected,
    }


def test_version_offline(image: Box) -> None:
    """--version works in the image without any network."""
    run = image.run("--version", network="none", opts=["--entrypoint", ENTRYPOINT])
    assert run.status == 0, run.stderr
    assert run.stdout.startswith(b"roleprobe ")


def test_matching_role_replaces_roleprobe(box: Box, ecs: EcsAgent) -> None:
    """Exit 0, one JSON line, and the command takes roleprobe's place."""
    run = box.run(*APP, env=ecs_env(ecs))
    assert run.status == 0, run.stderr
    if box.init == "none":
        assert run.stdout == AS_PID_1
    else:  # the init is PID 1 and the command its only child
        assert run.stdout.endswith(b" ppid=1 procs=2\n"), run.stdout
    assert run.event("credentials_resolved")["role_arn"] == TASK_ROLE_ARN
    assert len(ecs.requests) == 1


def test_command_status_is_the_containers(box: Box, ecs: EcsAgent) -> None:
    """The command's exit status is the container's."""
    run = box.run("sh", "-c", "exit 42", env=ecs_env(ecs))
    assert run.status == 42, run.stderr


def test_wrong_role_never_starts_the_command(box: Box, ecs: EcsAgent) -> None:
    """Exit 77 and the command never runs."""
    run = box.run("sh", "-c", "echo APP-RAN", env=ecs_env(ecs, OTHER_ROLE))
    assert (run.status, run.stdout) == (77, b"")
    assert "role_mismatch" in run.names


def test_stop_while_probing(box: Box, secrets: Secrets) -> None:
    """`podman stop` (SIGTERM) during a stalled probe: 143, no command."""
    env = {"ROLEPROBE_TIMEOUT": "300", "ROLEPROBE_DEADLINE": "600"}
    name = f"roleprobe-test-stop-{os.getpid()}-{time.monotonic_ns()}"
    with EcsAgent(secrets=secrets, faults=[Stall(3600)]) as agent:
        opts = [
            o for o in box.options({**ecs_env(agent), **env}, "host") if o != "--rm"
        ]
        started = podman(
            "run", "-d", "--name", name, *opts, box.tag, "sh", "-c", "echo APP-RAN"
        )
        try:
            assert started.returncode == 0, started.stderr
            for _ in range(600):  # until the probe's request reached the agent
                if agent.requests:
                    break
                time.sleep(0.1)
            assert agent.requests, podman("logs", name).stderr
            podman("stop", "-t", "20", name)
            state = podman("inspect", "--format", "{{.State.ExitCode}}", name)
            logs = podman("logs", name)
        finally:
            podman("rm", "-f", "-t", "0", name)
    run = box.runner.checked(int(state.stdout), logs.stdout, logs.stderr)
    assert (run.status, run.stdout) == (143, b"")


@pytest.fixture
def busy(secrets: Secrets) -> Iterator[EcsAgent]:
    """An ECS agent that is always busy (503)."""
    with EcsAgent(secrets=secrets, faults=[Status(503)]) as agent:
        yield agent


ONE_SHORT_TRY = {
    "ROLEPROBE_TIMEOUT": "2",
    "ROLEPROBE_ATTEMPTS": "1",
    "ROLEPROBE_DEADLINE": "3",
}
CHECKS = {  # name: (agent, expected role, network, exit status)
    "matching role": ("ecs", TASK_ROLE_ARN, "host", 0),
    "no expectation": ("ecs", "", "host", 0),
    "wrong role": ("ecs", OTHER_ROLE, "host", 77),
    "endpoint unreachable": ("ecs", TASK_ROLE_ARN, "none", 69),
    "endpoint busy": ("busy", TASK_ROLE_ARN, "host", 69),
}


@pytest.mark.parametrize("case", CHECKS)
def test_check(image: Box, case: str, ecs: EcsAgent, busy: EcsAgent) -> None:
    """roleprobe --check, as `docker exec` and health checks run it."""
    which, expected, network, status = CHECKS[case]
    env = ecs_env(ecs if which == "ecs" else busy, expected)
    if not expected:
        del env["EXPECTED_ROLE_ARN"]
    run = image.check(env={**env, **ONE_SHORT_TRY}, network=network)
    assert (run.status, run.stdout) == (status, b""), run.stderr


@pytest.mark.parametrize(
    ("case", "want"),
    [("matching", "healthy"), ("wrong", "unhealthy"), ("busy", "unhealthy")],
)
def test_healthcheck(
    images: dict[str, str], case: str, want: str, ecs: EcsAgent, busy: EcsAgent
) -> None:
    """The Python image's HEALTHCHECK, run by podman; one request per check."""
    tag = images["python"]
    config = podman("image", "inspect", "--format", "{{json .HealthCheck}}", tag)
    assert b'"--check"' in config.stdout
    assert b"ROLEPROBE_ATTEMPTS=1" in config.stdout
    agent = busy if case == "busy" else ecs
    env = ecs_env(agent, OTHER_ROLE if case == "wrong" else TASK_ROLE_ARN)
    flags = [f"-e{k}={v}" for k, v in env.items()]
    flags += ["-eAWS_EC2_METADATA_DISABLED=true", f"-eAWS_ENDPOINT_URL_STS={NOWHERE}"]
    name = f"roleprobe-test-health-{os.getpid()}-{time.monotonic_ns()}"
    started = podman(
        "run",
        "-d",
        "--name",
        name,
        "--network=host",
        "--health-interval=disable",
        *flags,
        "--entrypoint",
        "sleep",
        tag,
        "120",
    )
    try:
        assert started.returncode == 0, started.stderr
        health = podman("healthcheck", "run", name)
    finally:
        podman("rm", "-f", "-t", "0", name)
    assert health.returncode == (0 if want == "healthy" else 1), health.stdout
    assert len(agent.requests) == 1


def test_standalone_has_no_python(images: dict[str, str]) -> None:
    """The standalone image holds no Python besides the bundle's own."""
    done = podman(
        "run",
        "--rm",
        "--network=none",
        "--user",
        "0:0",
        "--entrypoint",
        "/bin/sh",
        images["standalone"],
        "-c",
        "if command -v python3 || command -v python; then exit 3; fi; find / -xdev"
        ' \\( -name "python3*" -o -name "libpython*" \\) ! -path "/opt/roleprobe/*" -print',
    )
    assert (done.returncode, done.stdout) == (0, b""), done.stderr


def test_read_only_root(any_base: Box, ecs: EcsAgent) -> None:
    """A read-only root without any tmpfs: roleprobe writes and unpacks nothing."""
    opts = ["--read-only", "--read-only-tmpfs=false"]
    run = any_base.run(*APP, env=ecs_env(ecs), opts=opts)
    assert (run.status, run.stdout) == (0, AS_PID_1), run.stderr


# The command's view: signal dispositions, environment, arguments.
PROBE = (
    "-c",
    'grep -E "^Sig(Blk|Ign)" /proc/self/status; env | LC_ALL=C sort; printf "<%s>\\n" "$@"',
    "sh",
    "",
    " a  b",
    "-x",
    "é€",
)


def test_command_gets_what_it_would_get_directly(image: Box, secrets: Secrets) -> None:
    """Arguments, environment and signals reach the command as if started directly.

    Including what PyInstaller's bootloader and Python would change:
    LD_LIBRARY_PATH, VIRTUAL_ENV, PYTHON* variables.  (The exact block, odd
    entries and LC_CTYPE included, is the end-to-end suite's to prove.)
    """
    with EcsAgent(secrets=secrets, path="/v2/credentials/not-a-secret") as agent:
        _same_as_direct(image, agent)


def _same_as_direct(image: Box, ecs: EcsAgent) -> None:
    env = {
        **ecs_env(ecs),
        "LD_LIBRARY_PATH": "/opt/app/lib",
        "VIRTUAL_ENV": "/opt/app/venv",
        "PYTHONPATH": "/opt/app/lib/python",
        "PYTHONHOME": "/opt/app",
        "PYTHONSTARTUP": "/opt/app/startup.py",
    }
    opts = ["--hostname", "roleprobe-test"]
    direct = image.run(*PROBE, env=env, opts=[*opts, "--entrypoint", "/bin/sh"])
    wrapped = image.run("/bin/sh", *PROBE, env=env, opts=opts)
    assert (direct.status, wrapped.status) == (0, 0), wrapped.stderr
    assert wrapped.stdout == direct.stdout


def test_sts_path(
    any_base: Box, pod: PodIdentityAgent, sts: Sts, secrets: Secrets
) -> None:
    """EKS Pod Identity, then STS GetCallerIdentity signed with its keys."""
    sts.default_identity = Identity.from_arn(ASSUMED)
    any_base.sts_url = sts.url
    env = {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": pod.credentials_url,
        "AWS_CONTAINER_AUTHORIZATION_TOKEN": secrets.auth_token,
        "EXPECTED_ROLE_ARN": ROLE_NAME,
    }
    run = any_base.run(*APP, env=env)
    assert (run.status, run.stdout) == (0, AS_PID_1), run.stderr
    assert run.event("role_verified")["role_arn"] == ASSUMED
    assert (len(pod.requests), sts.actions) == (1, ["GetCallerIdentity"])
    assert sts.access_key_ids == [secrets.access_key_id]


Source = Callable[[Path, Secrets, Sts, SsoPortal], dict[str, str]]


def _write(home: Path, name: str, text: str) -> None:
    path = home / name
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
    path.write_text(text)
    path.chmod(0o644)


def assume_role(
    home: Path, secrets: Secrets, sts: Sts, sso: SsoPortal
) -> dict[str, str]:
    """An assume-role profile over a credentials file's keys."""
    _write(
        home,
        ".aws/credentials",
        f"[base]\naws_access_key_id = {secrets.access_key_id}\n"
        f"aws_secret_access_key = {secrets.secret_access_key}\n",
    )
    role = f"arn:aws:iam::{ACCOUNT}:role/{ROLE_NAME}"
    _write(
        home,
        ".aws/config",
        f"[profile app]\nrole_arn = {role}\nsource_profile = base\n",
    )
    return {
        "AWS_PROFILE": "app",
        "AWS_DEFAULT_REGION": "us-east-1",
        "ROLEPROBE_VERIFY": "always",
    }


def web_identity(
    home: Path, secrets: Secrets, sts: Sts, sso: SsoPortal
) -> dict[str, str]:
    """Web identity (EKS IRSA), verified with STS."""
    _write(home, "token.jwt", secrets.web_identity_token)
    sts.web_identity_token = secrets.web_identity_token
    return {
        "AWS_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/{ROLE_NAME}",
        "AWS_WEB_IDENTITY_TOKEN_FILE": f"{HOME}/token.jwt",
        "ROLEPROBE_VERIFY": "always",
    }


def sso_cached_token(
    home: Path, secrets: Secrets, sts: Sts, sso: SsoPortal
) -> dict[str, str]:
    """An SSO session with a valid cached token, as `aws sso login` leaves it."""
    token = {
        "startUrl": "https://roleprobe-test.awsapps.com/start",
        "region": "us-east-1",
        "accessToken": secrets.auth_token,
        "expiresAt": "2030-01-01T00:00:00Z",
    }
    _write(home, ".aws/sso/cache/" + _sha1("corp") + ".json", json.dumps(token))
    _write(
        home,
        ".aws/config",
        f"[profile sso]\nsso_session = corp\nsso_account_id = {ACCOUNT}\n"
        f"sso_role_name = {ROLE_NAME}\n[sso-session corp]\n"
        "sso_start_url = https://roleprobe-test.awsapps.com/start\nsso_region = us-east-1\n",
    )
    sts.default_identity = Identity.from_arn(ASSUMED)
    return {"AWS_PROFILE": "sso", "AWS_ENDPOINT_URL_SSO": sso.url}


def credential_process(
    home: Path, secrets: Secrets, sts: Sts, sso: SsoPortal
) -> dict[str, str]:
    """A credential_process (a shell script: the standalone image has no Python)."""
    answer = json.dumps(
        {
            "Version": 1,
            "AccessKeyId": secrets.access_key_id,
            "SecretAccessKey": secrets.secret_access_key,
            "Expiration": "2030-01-01T00:00:00Z",
        }
    )
    _write(home, "process.sh", f"printf '%s\\n' '{answer}'\n")
    _write(
        home,
        ".aws/config",
        f"[default]\ncredential_process = /bin/sh {HOME}/process.sh\n",
    )
    sts.default_identity = Identity.from_arn(ASSUMED)
    return {}


def _sha1(text: str) -> str:
    import hashlib  # noqa: PLC0415

    return hashlib.sha1(text.encode()).hexdigest()


SOURCES: dict[str, Source] = {
    "assume-role": assume_role,
    "web-identity": web_identity,
    "sso": sso_cached_token,
    "credential-process": credential_process,
}


@pytest.mark.parametrize("source", SOURCES)
def test_sources_that_load_botocore_models(
    any_base: Box, source: str, sts: Sts, secrets: Secrets, tmp_path: Path
) -> None:
    """Every source that makes botocore load a model works in the trimmed images."""
    home = tmp_path / "mounted-home"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    with SsoPortal(secrets=secrets) as sso:
        env = SOURCES[source](home, secrets, sts, sso)
        any_base.sts_url = sts.url
        env = {"HOME": HOME, "EXPECTED_ROLE_ARN": ROLE_NAME, **env}
        run = any_base.run(*APP, env=env, opts=["-v", f"{home}:{HOME}:ro"])
    assert (run.status, run.stdout) == (0, AS_PID_1), run.stderr
    assert ROLE_NAME in run.event("role_verified")["role_arn"]
    assert "GetCallerIdentity" in sts.actions


def test_a_missing_model_is_one_clear_reason(
    image: Box, sts: Sts, secrets: Secrets
) -> None:
    """Without botocore's STS model: JSON lines and a reason, never a traceback."""
    image.sts_url = sts.url
    data = (
        "/opt/roleprobe/lib/python3*/site-packages/botocore/data"
        if IMAGES[image.image.name].has_python
        else "/opt/roleprobe/bin/_internal/botocore/data"
    )
    env = {
        "AWS_ACCESS_KEY_ID": secrets.access_key_id,
        "AWS_SECRET_ACCESS_KEY": secrets.secret_access_key,
        "EXPECTED_ROLE_ARN": ROLE_NAME,
        "ROLEPROBE_ATTEMPTS": "1",
    }
    opts = ["--user", "0:0", "--entrypoint", "/bin/sh"]
    script = f"rm -rf {data}/sts && exec {ENTRYPOINT} -- true"
    run = image.run("-c", script, env=env, opts=opts)
    assert run.status == 69, run.stderr
    assert "internal_error" not in run.names
    reason = run.event("credentials_unavailable")["reason"]
    assert "botocore has no STS model" in reason


@pytest.mark.parametrize(
    "recipe", ["docker/Dockerfile", "docker/Dockerfile.standalone"]
)
def test_hadolint(recipe: str) -> None:
    """The recipes pass hadolint (installed by docker/setup.sh)."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    from conftest import ROOT  # noqa: PLC0415

    hadolint = Path(sys.executable).parent / "hadolint"
    done = subprocess.run(
        [hadolint, recipe], cwd=ROOT, capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()

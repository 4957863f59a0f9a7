"""End to end in namespaces the tests make: the real ECS address, a real PID 1.

The network namespace holds only loopback, with 169.254.170.2 added to it,
so the relative URI goes where it goes on ECS and nothing can leave.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from conftest import ROLEPROBE, Run, Runner, ecs_env, needs_namespaces
from fakes import TASK_ROLE_ARN, EcsAgent, Secrets, Stall
from netns import start_fake_line

pytestmark = needs_namespaces


def _in_ecs_namespace(script: str) -> list[str]:
    """Return argv that runs *script* in a fresh loopback-only network.

    A PID namespace too, so the fakes started there die with the script.
    """
    setup = "ip link set lo up && ip addr add 169.254.170.2/32 dev lo && "
    unshare = ["unshare", "--net", "--pid", "--fork", "--mount-proc"]
    return [*unshare, "sh", "-c", setup + script]


def _run_in_ecs_namespace(
    run: Runner, script: str, env: dict[str, str], *command: str
) -> Run:
    """Run *script* (which ends in roleprobe "$@") there, with *command*."""
    argv = [*_in_ecs_namespace(script), "sh", "--", *command]
    done = subprocess.run(
        argv,
        env=run.environ(env),
        capture_output=True,
        timeout=60,
        check=False,
        cwd=run.home,
    )
    return run.checked(done.returncode, done.stdout, done.stderr)


def test_relative_uri_is_asked_at_169_254_170_2(run: Runner, secrets: Secrets) -> None:
    relative = f"/v2/credentials/{secrets.task_id}"
    script = (
        start_fake_line(
            *("ecs", "--host", "169.254.170.2", "--port", "80"),
            *("--secrets", secrets.to_json(), "--path", relative),
        )
        + "; "
        f'exec {ROLEPROBE} "$@"'
    )
    env = {
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": relative,
        # the full URI loses against the relative one, as in botocore
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/never",
        "EXPECTED_ROLE_ARN": TASK_ROLE_ARN,
        "NETGUARD_ALLOW": "169.254.170.2",
    }
    r = _run_in_ecs_namespace(run, script, env, "sh", "-c", "echo app ran")
    assert r.status == 0, r.stderr
    assert r.stdout == b"app ran\n"
    assert r.names == ["credentials_resolved", "role_verified"]


def test_a_failing_container_endpoint_never_falls_back_to_imds(run: Runner) -> None:
    # IMDS enabled, and an IMDS that would answer: roleprobe must not ask it.
    script = (
        "ip addr add 169.254.169.254/32 dev lo && "
        + start_fake_line(
            *("imds", "--host", "169.254.169.254", "--port", "80"),
            *("--record", "imds.log"),
        )
        + "; "
        f'{ROLEPROBE} "$@"; status=$?; '
        "test ! -s imds.log || { echo IMDS-WAS-ASKED >&2; exit 99; }; exit $status"
    )
    env = {
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/credentials/x",
        "AWS_EC2_METADATA_DISABLED": "false",
        "ROLEPROBE_ATTEMPTS": "2",
        "ROLEPROBE_TIMEOUT": "0.5",
        "EXPECTED_ROLE_ARN": TASK_ROLE_ARN,
        "NETGUARD_ALLOW": "169.254.170.2,169.254.169.254",
    }
    r = _run_in_ecs_namespace(run, script, env, "true")
    assert r.status == 69, r.stderr
    assert r.event("credentials_unavailable")["source"] == "container-role"


PID_NS = ["unshare", "--pid", "--fork", "--mount-proc"]


def test_the_command_is_pid_1(run: Runner, ecs: EcsAgent) -> None:
    env = run.environ(ecs_env(ecs, EXPECTED_ROLE_ARN=TASK_ROLE_ARN))
    done = subprocess.run(
        [*PID_NS, ROLEPROBE, "--", "sh", "-c", "echo $$; exit 3"],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    r = run.checked(done.returncode, done.stdout, done.stderr)
    assert r.stdout == b"1\n"
    assert r.status == 3


def test_sigterm_to_pid_1_while_probing_ends_it_with_143(
    run: Runner, ecs: EcsAgent, tmp_path: Path
) -> None:
    ecs.set_faults(Stall(60))
    marker = tmp_path / "ran"
    env = run.environ(ecs_env(ecs, ROLEPROBE_TIMEOUT="30"))
    proc = subprocess.Popen(
        [*PID_NS, ROLEPROBE, "--", "touch", str(marker)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while not ecs.requests:
        assert time.monotonic() < deadline, "roleprobe never asked the endpoint"
        time.sleep(0.02)
    pid1 = _child_of(proc.pid)
    sent = time.monotonic()
    subprocess.run(["kill", "-TERM", str(pid1)], check=True)
    out, err = proc.communicate(timeout=10)
    assert time.monotonic() - sent < 1.0
    assert proc.returncode == 128 + signal.SIGTERM
    assert not marker.exists()
    run.checked(proc.returncode, out, err)


def _child_of(pid: int) -> int:
    """Return the one child of *pid* (unshare's child is the namespace's PID 1)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    assert len(children) == 1, children
    return int(children[0])

"""Hostile input: compressed, huge, slow, endless and malformed answers, odd files.

roleprobe runs as PID 1 in front of someone else's program, so nothing it
meets may hang it or exhaust it ("Limits and hostile input" in the
contract).  Every run here is under a memory cap (RLIMIT_AS) and measured
from outside against a wall-clock bound of ROLEPROBE_DEADLINE + 0.5 s, and
must end as the contract says: 69 with credentials_unavailable when a role
is expected, the command started when none is; never 70, never a traceback.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import (
    ROLEPROBE,
    Run,
    Runner,
    alive,
    check_network_rule,
    needs_namespaces,
    report,
)
from fakes import (
    CALLER_ARN,
    TASK_ROLE_ARN,
    Bomb,
    Dribble,
    EcsAgent,
    Encoded,
    Endless,
    FakeServer,
    Fault,
    Huge,
    Malformed,
    PodIdentityAgent,
    Secrets,
    ShortLength,
    SlowHeaders,
    Sts,
)
from netns import CREDENTIALS_PATH, IMDS_ENV, INSTANCE_ROLE_NAME, Namespace

PYTHON = sys.executable
CAP = 256 << 20  # a normal run needs 64 MiB of address space, 80 with STS
DEADLINE = 1.5
BOUND = DEADLINE + 0.5
BOUNDED = {
    "ROLEPROBE_DEADLINE": str(DEADLINE),
    "ROLEPROBE_TIMEOUT": "0.5",
    "ROLEPROBE_ATTEMPTS": "3",
}
# Starts argv[3:] with RLIMIT_AS argv[2], waits, and writes its wall time,
# status and peak RSS to argv[1]; exits with its status.  It is the process
# tests start (in a namespace, its PID 1), so the time is measured outside.
MEASURE = """\
import json, os, resource, sys, time
out, cap, *argv = sys.argv[1:]
start = time.monotonic()
pid = os.fork()
if pid == 0:
    resource.setrlimit(resource.RLIMIT_AS, (int(cap), int(cap)))
    os.execv(argv[0], argv)
_, status, usage = os.wait4(pid, 0)
elapsed = time.monotonic() - start
code = os.waitstatus_to_exitcode(status)
code = code if code >= 0 else 128 - code
with open(out, "w") as f:
    json.dump({"elapsed": elapsed, "status": code, "maxrss_kib": usage.ru_maxrss}, f)
sys.exit(code)
"""


MEASURED: list[tuple[str, float, int]] = []  # (test, seconds, peak RSS in KiB)


@pytest.fixture(scope="module", autouse=True)
def measured(request: pytest.FixtureRequest) -> Iterator[None]:
    """Print the worst peak RSS and wall time of the module's runs."""
    yield
    if not MEASURED:
        return
    rss = max(MEASURED, key=lambda m: m[2])
    slow = max(MEASURED, key=lambda m: m[1])
    report(
        request.config,
        f"hostile: peak RSS {rss[2] / 1024:.0f} MiB ({rss[0]}); "
        f"longest {slow[1]:.2f} s of a {BOUND} s bound ({slow[0]})",
    )


@dataclass(frozen=True)
class Bounded:
    """A run measured from outside."""

    run: Run
    elapsed: float
    maxrss_kib: int


def bounded(
    run: Runner,
    tmp: Path,
    env: Mapping[str, str],
    command: Sequence[str] = ("true",),
    *,
    prefix: Sequence[str] = (),
    unset: Sequence[str] = (),
) -> Bounded:
    """Run roleprobe capped and timed; apply the suite's output checks."""
    full = run.environ({**BOUNDED, **env})
    for name in unset:
        full.pop(name, None)
    check_network_rule(full, in_namespace=bool(prefix))
    out = tmp / "measured.json"
    out.unlink(missing_ok=True)
    measure = [PYTHON, "-I", "-c", MEASURE, str(out), str(CAP)]
    done = subprocess.run(
        [*prefix, *measure, ROLEPROBE, "--", *command],
        env=full,
        capture_output=True,
        timeout=60,
        check=False,
        cwd=tmp,
    )
    text = out.read_text() if out.exists() else ""
    assert text, f"not measured: {done.returncode} {done.stderr[-2000:]!r}"
    measured = json.loads(text)
    test = os.environ.get("PYTEST_CURRENT_TEST", "?").split("::")[-1].split(" ")[0]
    MEASURED.append((test, measured["elapsed"], measured["maxrss_kib"]))
    checked = run.checked(measured["status"], done.stdout, done.stderr)
    return Bounded(checked, measured["elapsed"], measured["maxrss_kib"])


def assert_contained(b: Bounded, *, allowed: Sequence[int] = (69,)) -> None:
    """The run stayed in its bounds and ended as the contract says."""
    r = b.run
    assert r.status != 70, r.stderr
    assert b.elapsed <= BOUND, f"{b.elapsed:.2f} s > {BOUND} s: {r.stderr}"
    assert r.status in allowed, r.stderr
    if r.status == 69:
        failed = r.event("credentials_unavailable")
        assert failed["level"] == "error"
        assert "internal error" not in failed["reason"], "a bug, not a condition"


def assert_started(b: Bounded, marker: Path) -> None:
    """With no expectation, the command started within the bounds."""
    assert b.elapsed <= BOUND, f"{b.elapsed:.2f} s > {BOUND} s: {b.run.stderr}"
    assert b.run.status == 0, b.run.stderr
    assert marker.exists(), b.run.stderr


# -- Answers ---------------------------------------------------------------

# Each hostile answer, and the statuses it may end in with a role expected:
# a valid answer merely compressed may be accepted (urllib3 decodes it).
HOSTILE: dict[str, tuple[Fault, tuple[int, ...]]] = {
    "gzip": (Encoded(("gzip",)), (0, 69)),
    "deflate": (Encoded(("deflate",)), (0, 69)),
    "gzip-gzip": (Encoded(("gzip", "gzip")), (0, 69)),
    "bomb-gzip": (Bomb(("gzip",)), (69,)),
    "bomb-deflate": (Bomb(("deflate",)), (69,)),
    "bomb-gzip-gzip": (Bomb(("gzip", "gzip")), (69,)),
    "short-length": (ShortLength(), (69,)),
    "endless-chunked": (Endless("chunked"), (69,)),
    "endless-no-length": (Endless("close"), (69,)),
    "endless-lying-length": (Endless("lying"), (69,)),
    "slow-headers": (SlowHeaders(0.2), (69,)),
    "dribble": (Dribble(0.2), (69,)),
    "deep-json": (Malformed("deep"), (69,)),
    "huge-numbers": (Malformed("bignum"), (69,)),
    "invalid-utf8": (Malformed("utf8"), (69,)),
}
# The few that stand for each class where every one would cost too much.
CLASSES = ["bomb-gzip-gzip", "endless-chunked", "dribble", "deep-json"]


def cases(names: Sequence[str]) -> list[object]:
    """Return *names* as parameters."""
    return [pytest.param(n, id=n) for n in names]


def _spec(fault: Fault) -> list[str]:
    """Return the fakes.py --fault spec of *fault*."""
    match fault:
        case Bomb(encodings):
            return ["--fault", "bomb:" + ",".join(encodings)]
        case Endless(framing):
            return ["--fault", f"endless:{framing}"]
        case SlowHeaders(interval):
            return ["--fault", f"slow-headers:{interval}"]
        case Malformed(kind):
            return ["--fault", f"malformed:{kind}"]
    raise AssertionError(fault)


@pytest.fixture
def agent(secrets: Secrets) -> Iterator[EcsAgent]:
    """An ECS agent; each test sets its faults."""
    with EcsAgent(secrets=secrets) as fake:
        yield fake


@pytest.mark.parametrize("name", cases(list(HOSTILE)))
def test_ecs_endpoint(name: str, agent: EcsAgent, run: Runner, tmp_path: Path) -> None:
    fault, allowed = HOSTILE[name]
    agent.set_faults(fault)
    env = {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": agent.credentials_url,
        "EXPECTED_ROLE_ARN": TASK_ROLE_ARN,
    }
    assert_contained(bounded(run, tmp_path, env), allowed=allowed)


@pytest.mark.parametrize("name", cases(CLASSES))
def test_ecs_endpoint_without_expectation_starts_the_command(
    name: str, agent: EcsAgent, run: Runner, tmp_path: Path
) -> None:
    agent.set_faults(HOSTILE[name][0])
    marker = tmp_path / "started"
    env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": agent.credentials_url}
    b = bounded(run, tmp_path, env, ["touch", str(marker)])
    assert_started(b, marker)


@pytest.mark.parametrize("name", cases(CLASSES))
def test_pod_identity_endpoint(
    name: str, secrets: Secrets, run: Runner, tmp_path: Path
) -> None:
    with PodIdentityAgent(secrets=secrets, faults=[HOSTILE[name][0]]) as pod:
        env = {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": pod.credentials_url,
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": secrets.auth_token,
            "EXPECTED_ROLE_ARN": "roleprobe-fake-role",
            "ROLEPROBE_VERIFY": "never",
        }
        assert_contained(bounded(run, tmp_path, env))


@needs_namespaces
@pytest.mark.parametrize(
    "name", cases(["bomb-gzip-gzip", "endless-chunked", "slow-headers", "deep-json"])
)
def test_instance_metadata(
    name: str, secrets: Secrets, run: Runner, tmp_path: Path
) -> None:
    imds_args = [*_spec(HOSTILE[name][0]), "--faults-on", CREDENTIALS_PATH]
    ns = Namespace(tmp_path, secrets, imds_args=imds_args)
    env = {**IMDS_ENV, **BOUNDED, "EXPECTED_ROLE_ARN": INSTANCE_ROLE_NAME}
    assert_contained(bounded(run, tmp_path, env, prefix=ns.prefix()))


STS_HOSTILE: dict[str, Fault] = {
    "40mb": Huge(40_000_000),
    "bomb-gzip-gzip": Bomb(("gzip", "gzip")),
    "endless-chunked": Endless("chunked"),
    "dribble": Dribble(0.2),
    "deep-xml": Malformed("deep"),
}


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, id=n) for n in STS_HOSTILE],
)
def test_sts(name: str, secrets: Secrets, run: Runner, tmp_path: Path) -> None:
    with Sts(secrets=secrets, faults=[STS_HOSTILE[name]]) as sts:
        run.sts_url = sts.url
        env = {
            "AWS_ACCESS_KEY_ID": secrets.access_key_id,
            "AWS_SECRET_ACCESS_KEY": secrets.secret_access_key,
            "EXPECTED_ROLE_ARN": CALLER_ARN,
        }
        b = bounded(run, tmp_path, env)
    assert_contained(b)


# -- Files -----------------------------------------------------------------


def _fifo(tmp: Path) -> str:
    path = tmp / "fifo"
    os.mkfifo(path)
    return str(path)


def _huge_file(tmp: Path) -> str:
    """A 4 GiB credentials file, sparse: a section, then zeros."""
    path = tmp / "huge"
    with path.open("wb") as f:
        f.write(b"[default]\naws_access_key_id = x\n")
        f.truncate(4 << 30)
    return str(path)


def _token_env(agent: FakeServer) -> dict[str, str]:
    return {"AWS_CONTAINER_CREDENTIALS_FULL_URI": agent.credentials_url}  # type: ignore[attr-defined]


FILES = {
    "fifo-credentials": lambda tmp, _a: {"AWS_SHARED_CREDENTIALS_FILE": _fifo(tmp)},
    "fifo-config": lambda tmp, _a: {"AWS_CONFIG_FILE": _fifo(tmp)},
    "huge-credentials": lambda tmp, _a: {
        "AWS_SHARED_CREDENTIALS_FILE": _huge_file(tmp)
    },
    "dev-zero-web-identity-token": lambda _t, _a: {
        "AWS_ROLE_ARN": TASK_ROLE_ARN,
        "AWS_WEB_IDENTITY_TOKEN_FILE": "/dev/zero",
    },
    "dev-zero-authorization-token": lambda _t, agent: {
        **_token_env(agent),
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "/dev/zero",
    },
}


@pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in FILES])
def test_hostile_file_with_a_role_expected(
    name: str, agent: EcsAgent, run: Runner, tmp_path: Path
) -> None:
    env = {**FILES[name](tmp_path, agent), "ROLEPROBE_VERIFY": "never"}
    env["EXPECTED_ROLE_ARN"] = TASK_ROLE_ARN
    assert_contained(bounded(run, tmp_path, env))


@pytest.mark.parametrize(
    "name", ["fifo-credentials", "huge-credentials", "dev-zero-authorization-token"]
)
def test_hostile_file_without_expectation_starts_the_command(
    name: str, agent: EcsAgent, run: Runner, tmp_path: Path
) -> None:
    env = {**FILES[name](tmp_path, agent), "ROLEPROBE_VERIFY": "never"}
    marker = tmp_path / "started"
    assert_started(bounded(run, tmp_path, env, ["touch", str(marker)]), marker)


# -- Processes -------------------------------------------------------------

# Prints the command's own children, one pid a line.
CHILDREN = (
    "import os, sys; pid = os.getpid(); "
    "open(sys.argv[1], 'w').write(open(f'/proc/{pid}/task/{pid}/children').read())"
)


@pytest.mark.parametrize("expect", [True, False], ids=["expected", "unexpected"])
def test_credential_process_that_never_exits_is_stopped_with_its_children(
    expect: bool, run: Runner, tmp_path: Path
) -> None:
    script = tmp_path / "process.sh"
    script.write_text(
        "#!/bin/sh\n"
        f"sleep 600 & echo $! > {tmp_path}/grandchild\n"
        f"echo $$ > {tmp_path}/child\n"
        "wait\n"
    )
    script.chmod(0o755)
    config = tmp_path / "config"
    config.write_text(f"[default]\ncredential_process = {script}\n")
    children = tmp_path / "children"
    env = {"AWS_CONFIG_FILE": str(config), "ROLEPROBE_VERIFY": "never"}
    if expect:
        env["EXPECTED_ROLE_ARN"] = TASK_ROLE_ARN
    pids: list[int] = []
    try:
        b = bounded(run, tmp_path, env, [PYTHON, "-I", "-c", CHILDREN, str(children)])
        for name in ("child", "grandchild"):
            path = tmp_path / name
            if path.exists():
                pids.append(int(path.read_text()))
        survivors = [pid for pid in pids if alive(pid)]
        if expect:
            assert_contained(b)
        else:
            assert_started(b, children)
            assert children.read_text().split() == [], "the command got a child"
        assert pids, "the credential process never ran"
        assert survivors == [], "a process roleprobe started outlived it"
    finally:
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)

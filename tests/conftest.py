"""Running the installed roleprobe as users do, with the suite's rules built in.

Every run through `Runner`:
- starts the installed console script as a subprocess with a clean
  environment (a fresh HOME, no AWS variables of this machine);
- holds it to the network rule: AWS_EC2_METADATA_DISABLED=true and STS on
  loopback unless the test runs in its own namespace, and the netguard
  sitecustomize makes any other connect fatal (status 99);
- asserts that no planted secret appears in stdout or stderr, that stderr
  is one JSON object per line with timestamp, level and event, and that no
  traceback was printed.
"""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import subprocess
import sys
import sysconfig
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from fakes import EcsAgent, PodIdentityAgent, Secrets, Sts

TESTS = Path(__file__).parent
ROOT = TESTS.parent
BIN = Path(sys.executable).parent
ROLEPROBE = str(BIN / "roleprobe")
NETGUARD = str(TESTS / "netguard")
NETGUARD_FILE = str(TESTS / "netguard" / "sitecustomize.py")
# roleprobe runs python -I, which ignores PYTHONPATH: the guard comes in
# through a .pth file in the venv instead, active only where NETGUARD_FILE is
# set (the tests' subprocesses).
_GUARD_PTH = (
    "import os; f = os.environ.get('NETGUARD_FILE'); "
    "f and exec(compile(open(f).read(), f, 'exec'), {'__name__': 'netguard'})\n"
)
# The PATH children get: the suite's own, without directories that cannot be
# searched (execvp would turn "not found" into "permission denied").
SEARCHABLE_PATH = ":".join(
    d
    for d in os.environ.get("PATH", "/usr/bin:/bin").split(":")
    if d and os.path.isdir(d) and os.access(d, os.X_OK)
)
NOWHERE = "http://127.0.0.1:9/"  # the discard port: nothing listens there


@dataclass
class Run:
    """One finished roleprobe process."""

    status: int
    stdout: bytes
    stderr: str
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        """Return the event names in order."""
        return [e["event"] for e in self.events]

    def event(self, name: str) -> dict[str, Any]:
        """Return the one event called *name*."""
        found = [e for e in self.events if e["event"] == name]
        assert len(found) == 1, f"expected one {name} event in {self.stderr}"
        return found[0]


class Runner:
    """Start roleprobe as a user would, and check every run's output."""

    def __init__(self, home: Path, secrets: Secrets) -> None:
        self.home = home
        self.secrets = secrets
        self.planted: list[str] = list(secrets.all_values())
        self.sts_url = NOWHERE

    def plant(self, *values: str) -> None:
        """Add values that must never appear in any output."""
        self.planted.extend(values)

    def environ(self, extra: Mapping[str, str] = {}) -> dict[str, str]:
        """Return the environment a run gets: clean, safe, plus *extra*."""
        env = {
            "PATH": SEARCHABLE_PATH,
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "PYTHONPATH": NETGUARD,
            "NETGUARD_FILE": NETGUARD_FILE,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ENDPOINT_URL_STS": self.sts_url,
        }
        env.update(extra)
        return env

    def __call__(
        self,
        *args: str,
        env: Mapping[str, str] = {},
        timeout: float = 60,
        prefix: Sequence[str] = (),
        json_lines: bool = True,
        unset: Sequence[str] = (),
    ) -> Run:
        """Run roleprobe with *args*; return what it did."""
        full = self.environ(env)
        for name in unset:
            del full[name]
        check_network_rule(full, in_namespace=bool(prefix))
        done = subprocess.run(
            [*prefix, ROLEPROBE, *args],
            env=full,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        return self.checked(done.returncode, done.stdout, done.stderr, json_lines)

    def checked(
        self, status: int, stdout: bytes, stderr_bytes: bytes, json_lines: bool = True
    ) -> Run:
        """Apply the suite's output checks and return the run."""
        stderr = stderr_bytes.decode("utf-8", "replace")
        assert "NETGUARD VIOLATION" not in stderr, stderr
        assert "Traceback" not in stderr, stderr
        for secret in self.planted:
            assert secret.encode() not in stdout, f"secret {secret!r} in stdout"
            assert secret not in stderr, f"secret {secret!r} in stderr:\n{stderr}"
        run = Run(status, stdout, stderr)
        if json_lines:
            for line in stderr.splitlines():
                event = json.loads(line)
                assert isinstance(event, dict), line
                assert {"timestamp", "level", "event"} <= event.keys(), line
                assert event["level"] in ("info", "warning", "error"), line
                assert event["timestamp"].endswith("Z"), line
                run.events.append(event)
        return run


def pytest_configure(config: pytest.Config) -> None:
    """Give every child the same start, however the suite itself was started.

    Signal dispositions: a suite started from a script's background job
    inherits SIGINT ignored, which its children would inherit too.  And the
    network guard is installed for roleprobe's isolated interpreter.
    """
    del config
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    pth = Path(sysconfig.get_paths()["purelib"]) / "roleprobe_test_netguard.pth"
    if not pth.exists() or pth.read_text() != _GUARD_PTH:
        pth.write_text(_GUARD_PTH)


def report(config: pytest.Config, line: str) -> None:
    """Print *line* in the test session's own output, past any capture."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        reporter.write_line(line)


def alive(pid: int) -> bool:
    """Tell whether process *pid* runs (a zombie counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def check_network_rule(env: Mapping[str, str], *, in_namespace: bool) -> None:
    """Refuse an environment that could send traffic off this machine."""
    if in_namespace:
        return
    assert env.get("AWS_EC2_METADATA_DISABLED") == "true", "IMDS must be disabled"
    endpoint = env.get("AWS_ENDPOINT_URL_STS", env.get("AWS_ENDPOINT_URL", ""))
    sts = urlsplit(endpoint).hostname or ""
    assert ipaddress.ip_address(sts).is_loopback, "STS must be a loopback fake"
    for name in ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",):
        assert name not in env, f"{name} points at 169.254.170.2: use a namespace"


@pytest.fixture
def secrets() -> Secrets:
    """Planted secrets shared by all fakes of one test."""
    return Secrets.generate()


@pytest.fixture
def run(tmp_path: Path, secrets: Secrets) -> Runner:
    """A Runner with a fresh HOME."""
    home = tmp_path / "home"
    home.mkdir()
    return Runner(home, secrets)


@pytest.fixture
def ecs(secrets: Secrets) -> Iterator[EcsAgent]:
    """A fake ECS agent on loopback."""
    with EcsAgent(secrets=secrets) as agent:
        yield agent


@pytest.fixture
def pod(secrets: Secrets) -> Iterator[PodIdentityAgent]:
    """A fake EKS Pod Identity agent on loopback."""
    with PodIdentityAgent(secrets=secrets) as agent:
        yield agent


@pytest.fixture
def sts(secrets: Secrets, run: Runner) -> Iterator[Sts]:
    """A fake STS on loopback, which the runner's environment points at."""
    with Sts(secrets=secrets) as fake:
        run.sts_url = fake.url
        yield fake


def ecs_env(agent: EcsAgent, **extra: str) -> dict[str, str]:
    """Return the environment of a container whose agent is *agent*."""
    return {"AWS_CONTAINER_CREDENTIALS_FULL_URI": agent.credentials_url, **extra}


def have_namespaces() -> bool:
    """Tell whether this machine lets tests make their own namespaces."""
    try:
        done = subprocess.run(
            ["unshare", "--net", "--pid", "--fork", "--mount-proc", "true"],
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


needs_namespaces = pytest.mark.skipif(
    os.environ.get("CI") != "true" and not have_namespaces(),
    reason="needs root and unshare (CI always runs these)",
)

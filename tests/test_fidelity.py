"""The command gets the very environment block and descriptors roleprobe got.

Each case starts a dumper twice with the same raw environment block and
descriptors: once directly, once through roleprobe (which probes a fake
ECS agent first), and compares what the dumper saw byte for byte.  Python's
own `subprocess` cannot build odd blocks (duplicate names, entries without
``=``, an empty name), so a launcher calls libc's execve through ctypes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from conftest import ROLEPROBE, Runner, ecs_env
from fakes import TASK_ROLE_ARN, EcsAgent, full_pipe

PYTHON = sys.executable
# argv[1]: JSON {"env": [hex entries], "argv": [...], "close": [fds],
# "extra_fd": n or null}.  Closes and opens descriptors, restores SIGPIPE
# (Python ignores it), and execs argv with exactly that block.
LAUNCH = """\
import ctypes, json, os, signal, sys
spec = json.loads(sys.argv[1])
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
if spec["extra_fd"] is not None:
    fd = os.open("/dev/null", os.O_RDONLY)
    os.dup2(fd, spec["extra_fd"], inheritable=True)
    os.close(fd)
for fd in spec["close"]:
    os.close(fd)
def block(items):
    array = (ctypes.c_char_p * (len(items) + 1))()
    array[:-1] = items
    array[-1] = None
    return array
argv = [a.encode() for a in spec["argv"]]
env = [bytes.fromhex(e) for e in spec["env"]]
libc = ctypes.CDLL(None, use_errno=True)
libc.execve(argv[0], block(argv), block(env))
sys.exit(f"execve: {os.strerror(ctypes.get_errno())}")
"""
# argv[1]: where to write what this process got: its environment block as
# the kernel holds it, its descriptors and the status flags of 0, 1 and 2.
DUMP = """\
import fcntl, json, os, re, sys
fds = {}
for name in os.listdir("/proc/self/fd"):
    try:
        target = os.readlink(f"/proc/self/fd/{name}")
    except FileNotFoundError:
        continue  # the directory listing's own descriptor
    fds[name] = re.sub(r"(pipe|socket):\\[\\d+\\]", r"\\1", target)
flags = {}
for fd in (0, 1, 2):
    try:
        flags[fd] = fcntl.fcntl(fd, fcntl.F_GETFL)
    except OSError:
        flags[fd] = None
with open("/proc/self/environ", "rb") as f:
    environ = f.read().hex()
with open(sys.argv[1], "w") as f:
    json.dump({"environ": environ, "fds": fds, "flags": flags}, f)
"""


@pytest.fixture
def agent(secrets: Any) -> Iterator[EcsAgent]:
    """An ECS agent that answers normally."""
    with EcsAgent(secrets=secrets) as fake:
        yield fake


def base_block(run: Runner, agent: EcsAgent, *, lang: bool = True) -> list[bytes]:
    """Return the suite's safe environment as raw entries, with the agent."""
    env = run.environ(ecs_env(agent))
    if not lang:
        del env["LANG"]
    return [f"{k}={v}".encode() for k, v in env.items()]


def launch(
    tmp: Path,
    name: str,
    env: Sequence[bytes],
    argv: Sequence[str],
    *,
    close: Sequence[int] = (),
    extra_fd: int | None = None,
    stderr: int | None = subprocess.PIPE,
) -> subprocess.CompletedProcess[bytes]:
    """Start *argv* with exactly *env* and the descriptors asked for."""
    spec = {
        "env": [e.hex() for e in env],
        "argv": list(argv),
        "close": list(close),
        "extra_fd": extra_fd,
    }
    return subprocess.run(
        [PYTHON, "-I", "-c", LAUNCH, json.dumps(spec)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
        timeout=20,
        check=False,
        cwd=tmp,
        env={},
    )


def compare(
    tmp: Path,
    env: Sequence[bytes],
    *,
    close: Sequence[int] = (),
    extra_fd: int | None = None,
    stderr: int | None = subprocess.PIPE,
    run: Runner | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return what the dumper got directly and through roleprobe."""
    seen = []
    for name, prefix in (("direct", []), ("roleprobe", [ROLEPROBE, "--"])):
        out = tmp / f"{name}.json"
        done = launch(
            tmp,
            name,
            env,
            [*prefix, PYTHON, "-I", "-c", DUMP, str(out)],
            close=close,
            extra_fd=extra_fd,
            stderr=stderr,
        )
        err = done.stderr or b""
        if run is not None and name == "roleprobe" and 2 not in close:
            run.checked(done.returncode, done.stdout, err)
        assert done.returncode == 0, (name, done.returncode, err[-2000:])
        assert out.exists(), f"{name}: the command never started: {err[-2000:]!r}"
        seen.append(json.loads(out.read_text()))
    return seen[0], seen[1]


def entries(dump: dict[str, Any]) -> list[bytes]:
    """Return the dumped environment block as entries."""
    return bytes.fromhex(dump["environ"]).split(b"\0")[:-1]


# -- The environment block ---------------------------------------------------

ODD_BLOCKS: dict[str, tuple[bool, list[bytes]]] = {
    # name: (LANG kept, entries added to the base block)
    "duplicate-names": (True, [b"DUP=first", b"DUP=second", b"PATH=/nowhere"]),
    "entry-without-equals": (True, [b"JUSTANAME", b"ALSO"]),
    "empty-name": (True, [b"=value", b"=", b"AFTER=1"]),
    "non-utf8": (True, [b"BYTES=\xff\xfe\x80", b"\xffNAME=x", b"LATIN=caf\xe9"]),
    "lc-ctype-c": (False, [b"LC_CTYPE=C"]),
    "lc-ctype-posix": (False, [b"LC_CTYPE=POSIX"]),
    "lc-ctype-empty": (False, [b"LC_CTYPE="]),
    "no-lang": (False, []),
}


@pytest.mark.parametrize("name", list(ODD_BLOCKS))
def test_environment_block_is_passed_byte_for_byte(
    name: str, run: Runner, agent: EcsAgent, tmp_path: Path
) -> None:
    lang, extra = ODD_BLOCKS[name]
    block = [*base_block(run, agent, lang=lang), *extra]
    direct, through = compare(tmp_path, block, run=run)
    assert entries(direct) == block, "the launcher itself changed the block"
    assert entries(through) == entries(direct)
    assert agent.requests, "roleprobe never probed"


# -- Descriptors -----------------------------------------------------------


@pytest.mark.parametrize(
    "fd", [0, 1, 2], ids=["fd-0-closed", "fd-1-closed", "fd-2-closed"]
)
def test_a_closed_standard_descriptor_stays_closed(
    fd: int, run: Runner, agent: EcsAgent, tmp_path: Path
) -> None:
    block = [*base_block(run, agent), f"EXPECTED_ROLE_ARN={TASK_ROLE_ARN}".encode()]
    direct, through = compare(tmp_path, block, close=[fd], run=run)
    assert str(fd) not in direct["fds"]
    assert through["fds"] == direct["fds"]
    assert through["flags"] == direct["flags"]
    for request in agent.requests:
        # Log lines written into the endpoint's connection show up here.
        assert request.method == "GET", request
        assert request.path == agent.path, request
        assert request.body == b"", request
    assert agent.errors == [], "log lines went into the endpoint's connection"


def test_an_inherited_descriptor_is_kept(
    run: Runner, agent: EcsAgent, tmp_path: Path
) -> None:
    block = base_block(run, agent)
    direct, through = compare(tmp_path, block, extra_fd=5, run=run)
    assert direct["fds"]["5"] == "/dev/null"
    assert through["fds"] == direct["fds"]


@pytest.mark.parametrize("emf", [False, True], ids=["json", "emf"])
@pytest.mark.parametrize("kind", ["broken-pipe", "full-pipe", "dev-full"])
def test_a_bad_stderr_never_stops_the_command(
    kind: str, emf: bool, run: Runner, agent: EcsAgent, tmp_path: Path
) -> None:
    block = base_block(run, agent)
    if emf:
        block.append(b"ROLEPROBE_EMF=true")
    keep: list[int] = []
    if kind == "dev-full":
        stderr = os.open("/dev/full", os.O_WRONLY)
    else:
        r, stderr = full_pipe() if kind == "full-pipe" else os.pipe()
        if kind == "broken-pipe":
            os.close(r)
        else:
            keep.append(r)
    try:
        direct, through = compare(tmp_path, block, stderr=stderr)
    finally:
        for fd in (stderr, *keep):
            os.close(fd)
    assert through["fds"] == direct["fds"]
    assert through["flags"] == direct["flags"], "stderr's status flags changed"


# -- Exit 70 only for bugs -------------------------------------------------


def test_an_empty_command_is_not_found(run: Runner, agent: EcsAgent) -> None:
    r = run("--", "", env=ecs_env(agent))
    assert r.status == 127, r.stderr
    assert r.event("exec_failed")["command"] == ""


@pytest.mark.parametrize("option", ["--help", "--version"])
def test_help_with_stdout_closed_is_not_a_bug(option: str, run: Runner) -> None:
    done = subprocess.run(
        [ROLEPROBE, option],
        env=run.environ(),
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=30,
        check=False,
        preexec_fn=lambda: os.close(1),
    )
    r = run.checked(done.returncode, b"", done.stderr)
    assert r.status != 70, r.stderr
    assert "internal_error" not in r.names


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("ROLEPROBE_TIMEOUT", "1e10"),
        ("ROLEPROBE_TIMEOUT", "inf"),
        ("ROLEPROBE_TIMEOUT", "nan"),
        ("ROLEPROBE_TIMEOUT", "1e400"),
        ("ROLEPROBE_DEADLINE", "1e10"),
        ("ROLEPROBE_DEADLINE", "-inf"),
        ("ROLEPROBE_ATTEMPTS", "1e3"),
        ("ROLEPROBE_ATTEMPTS", "99999999999999999999999"),
    ],
)
def test_out_of_range_numbers_are_config_invalid(
    setting: str, value: str, run: Runner, agent: EcsAgent
) -> None:
    r = run("--", "true", env=ecs_env(agent, **{setting: value}))
    assert r.status == 78, r.stderr
    assert r.event("config_invalid")["setting"] == setting
    assert agent.requests == [], "probed despite an invalid setting"


@pytest.mark.parametrize(
    "odd",
    [[b"=value"], [b"="], [b"=", b"==x", b"JUSTANAME"], [b"\xff=\xfe"]],
    ids=["empty-name", "bare-equals", "several", "non-utf8-name"],
)
def test_odd_environment_entries_are_not_a_bug(
    odd: list[bytes], run: Runner, agent: EcsAgent, tmp_path: Path
) -> None:
    block = [*base_block(run, agent), b"EXPECTED_ROLE_ARN=" + TASK_ROLE_ARN.encode()]
    done = launch(tmp_path, "odd", [*odd, *block, *odd], [ROLEPROBE, "--", "true"])
    r = run.checked(done.returncode, done.stdout, done.stderr)
    assert r.status == 0, r.stderr
    assert r.names == ["credentials_resolved", "role_verified"]

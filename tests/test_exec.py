"""Becoming the command, in process: the parts that do not replace pytest."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import alive
from roleprobe import _children
from roleprobe._exec import (
    Signals,
    _as_mapping,
    _candidates,
    _failure,
    execute,
    original_environment,
    undo_bootloader,
)


def test_signals_are_handled_then_given_back() -> None:
    before = signal.getsignal(signal.SIGTERM)
    signals = Signals()
    signals.install()
    try:
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, before)
    finally:
        signals.restore()
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)  # pytest's own, as before
    assert signal.getsignal(signal.SIGTERM) == before


def test_an_ignored_signal_stays_ignored() -> None:
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        signals = Signals()
        signals.install()
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
        signals.restore()
    finally:
        signal.signal(signal.SIGINT, old)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)


@pytest.mark.parametrize(
    ("block", "mapping"),
    [
        ([b"A=1", b"B=2"], {b"A": b"1", b"B": b"2"}),
        ([b"A=1", b"A=2"], None),  # a duplicate: only execve keeps it
        ([b"NOEQUALS"], None),
        ([b"=value"], None),
        ([b"A=x=y", b"\xff=\xfe"], {b"A": b"x=y", b"\xff": b"\xfe"}),
    ],
)
def test_a_block_becomes_a_mapping_only_when_that_is_exact(
    block: list[bytes], mapping: dict[bytes, bytes] | None
) -> None:
    assert _as_mapping(block) == mapping


def test_path_lookup_is_execvp_s() -> None:
    block = [b"X=1", b"PATH=/a::/b", b"PATH=/ignored"]
    assert _candidates("ls", block) == [b"/a/ls", b"./ls", b"/b/ls"]
    assert _candidates("./ls", block) == [b"./ls"]


def test_failures_map_to_the_contract_s_statuses() -> None:
    assert _failure(errno.ENOENT)[0] == 127
    assert _failure(errno.EACCES) == (126, "permission denied")
    assert _failure(errno.ENOEXEC) == (126, "exec format error")


def test_an_empty_or_missing_command_is_not_found() -> None:
    assert execute([""], [b"PATH=/nonexistent"]) == (127, "command not found")
    assert execute(["no-such-command"], [b"PATH=/nonexistent"])[0] == 127


def test_the_original_environment_is_the_kernel_s_block() -> None:
    block = original_environment()
    assert block is not None
    with open(f"/proc/{os.getpid()}/environ", "rb") as f:
        assert block == f.read().split(b"\0")[:-1]


def test_stop_all_kills_a_process_group_and_reaps_it(tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild"
    script = f"sleep 60 & echo $! > {pidfile}; wait"
    process = _children.CappedPopen(["sh", "-c", script], stdout=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while not pidfile.exists() or not pidfile.read_text().strip():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    grandchild = int(pidfile.read_text())
    _children.stop_all()
    with pytest.raises(ChildProcessError):
        os.waitpid(process._process.pid, os.WNOHANG)  # reaped already
    # killed with its group: gone, or a zombie until its new parent reaps it
    for _ in range(100):
        if not alive(grandchild):
            break
        time.sleep(0.01)
    assert not alive(grandchild)


def test_a_process_s_output_is_capped() -> None:
    code = "import sys; sys.stdout.buffer.write(b'x' * (3 << 20))"
    process = _children.CappedPopen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = process.communicate()
    assert process.returncode != 0
    assert (out, err) == (b"", b"output larger than 1 MiB")
    _children.stop_all()


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (  # an original LD_LIBRARY_PATH, kept in place
            [
                b"A=1",
                b"LD_LIBRARY_PATH=/b:/orig",
                b"Z=2",
                b"LD_LIBRARY_PATH_ORIG=/orig",
            ],
            [b"A=1", b"LD_LIBRARY_PATH=/orig", b"Z=2"],
        ),
        ([b"A=1", b"LD_LIBRARY_PATH=/b", b"_PYI_X=1"], [b"A=1"]),  # none before
        (  # the user's own, untouched
            [b"LD_LIBRARY_PATH=/x", b"LD_LIBRARY_PATH_ORIG=/y"],
            [b"LD_LIBRARY_PATH=/x", b"LD_LIBRARY_PATH_ORIG=/y"],
        ),
    ],
    ids=["prepended", "added", "not-the-bootloader-s"],
)
def test_the_standalone_bootloader_s_changes_are_undone(
    block: list[bytes], expected: list[bytes]
) -> None:
    assert undo_bootloader(block, b"/b") == expected

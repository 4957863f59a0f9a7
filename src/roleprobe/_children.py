"""Processes the SDK starts (credential_process): bounded, and never left behind.

Each starts in a process group of its own, its output is read within the
cap, and `stop_all` kills every group and reaps what died, so that the
command never inherits a child it did not start.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import time
from typing import Any

from roleprobe._credentials import MAX_ANSWER

_groups: list[int] = []
_REAP_S = 1.0


class CappedPopen:
    """What botocore's ProcessProvider needs of subprocess.Popen, bounded."""

    def __init__(self, args: Any, **kwargs: Any) -> None:
        kwargs["start_new_session"] = True
        kwargs["stdin"] = subprocess.DEVNULL
        self._process = subprocess.Popen(args, **kwargs)
        _groups.append(self._process.pid)
        self.returncode: int | None = None

    def communicate(self) -> tuple[bytes, bytes]:
        """Read stdout and stderr up to the cap each, then wait for the exit."""
        streams = {self._process.stdout: bytearray(), self._process.stderr: bytearray()}
        with selectors.DefaultSelector() as selector:
            for stream in streams:
                if stream is not None:
                    selector.register(stream, selectors.EVENT_READ)
            while selector.get_map():
                for key, _ in selector.select():
                    chunk = os.read(key.fd, 65536)
                    buffer = streams[key.fileobj]  # type: ignore[index]
                    if not chunk:
                        selector.unregister(key.fileobj)
                        continue
                    buffer += chunk
                    if len(buffer) > MAX_ANSWER:
                        _kill_group(self._process.pid)
                        self._process.wait()
                        self.returncode = 1
                        return b"", b"output larger than 1 MiB"
        self.returncode = self._process.wait()
        out, err = streams.values()
        return bytes(out), bytes(err)


def stop_all() -> None:
    """Kill every process group started here and reap what is left of it."""
    if not _groups:
        return
    for pid in _groups:
        _kill_group(pid)
    _groups.clear()
    end = time.monotonic() + _REAP_S
    while time.monotonic() < end:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.005)


def _kill_group(pid: int) -> None:
    """Kill the process group led by *pid*, if it is still there."""
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)

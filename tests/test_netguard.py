"""The suite's network guard is really loaded into roleprobe's isolated Python.

Run inside a network namespace holding only loopback, so that even a guard
that failed to load could send nothing off this machine.
"""

from __future__ import annotations

import subprocess

from conftest import ROLEPROBE, Runner, needs_namespaces


@needs_namespaces
def test_a_connect_off_loopback_is_fatal_in_roleprobe(run: Runner) -> None:
    env = run.environ({"AWS_CONTAINER_CREDENTIALS_FULL_URI": "https://192.0.2.1/c"})
    done = subprocess.run(
        [
            "unshare",
            "--net",
            "--fork",
            "sh",
            "-c",
            'ip link set lo up; exec "$@"',
            "-",
            ROLEPROBE,
            "--check",
        ],
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 99, done.stderr
    assert b"NETGUARD VIOLATION: connect to 192.0.2.1 refused" in done.stderr

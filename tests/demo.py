"""``make demo``: roleprobe in front of a small app, with no AWS account.

A fake ECS agent on 127.0.0.1 hands out clearly fake credentials for a task
role.  roleprobe runs twice in front of the same command: first expecting
that role (the app starts, exit 0), then expecting another one (the app does
not start, exit 77).  Nothing leaves this machine: the credentials endpoint
is on loopback and STS, never needed on ECS, points at a closed local port.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from fakes import TASK_ROLE_ARN, EcsAgent

ROLEPROBE = Path(sys.executable).parent / "roleprobe"
COMMAND = [
    "sh",
    "-c",
    'echo "app started as PID $$ with args: $*"',
    "app",
    "one",
    "two",
]
OTHER_ROLE_ARN = TASK_ROLE_ARN.rsplit("/", 1)[0] + "/some-other-role"
RUNS = [
    ("EXPECTED_ROLE_ARN is the task role: the app starts", TASK_ROLE_ARN, 0),
    ("EXPECTED_ROLE_ARN is another role: the app must not start", OTHER_ROLE_ARN, 77),
]


def environment(ecs: EcsAgent, expected: str, scratch: Path) -> dict[str, str]:
    """Return this shell's environment without AWS settings, plus the demo's."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "ROLEPROBE_")) and name != "EXPECTED_ROLE_ARN"
    }
    env.update(
        {
            # The relative URI would go to 169.254.170.2: the full one stays here.
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": ecs.credentials_url,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9/",
            # No profile from ~/.aws may stand in front of the container role.
            "AWS_CONFIG_FILE": str(scratch / "no-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(scratch / "no-credentials"),
            "EXPECTED_ROLE_ARN": expected,
        }
    )
    return env


def show_stderr(stderr: str) -> None:
    """Print the log lines exactly as CloudWatch Logs shows them: one per line."""
    for line in stderr.splitlines():
        json.loads(line)  # each line is one JSON object, nothing else
        print(f"    {line}")


def run(ecs: EcsAgent, title: str, expected: str, scratch: Path) -> int | None:
    """Run roleprobe in front of the command once; return its exit status."""
    print(f"\n=== {title} ===\n")
    print(f"  EXPECTED_ROLE_ARN={expected}")
    print("  $ roleprobe -- " + shlex.join(COMMAND) + "\n")
    try:
        proc = subprocess.Popen(
            [str(ROLEPROBE), "--", *COMMAND],
            env=environment(ecs, expected, scratch),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    except OSError as e:
        print(f"  cannot start {ROLEPROBE}: {e.strerror}")
        return None
    try:
        stdout, stderr = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        print("  roleprobe did not finish within 60 s")
        return None
    print("  stderr, one event per line, exactly as CloudWatch Logs shows it:")
    show_stderr(stderr)
    print("\n  stdout of the command:")
    for line in stdout.splitlines() or ["(nothing: the command did not start)"]:
        print(f"    {line}")
    if f"PID {proc.pid} " in stdout:
        print(f"    (PID {proc.pid} is roleprobe's own: it exec'd the command)")
    print(f"\n  exit status: {proc.returncode}")
    leaked = [s for s in ecs.secrets.all_values() if s in stdout + stderr]
    if leaked:
        print(f"  LEAK: {len(leaked)} planted secret(s) appear in the output")
        return None
    return proc.returncode


def main() -> int:
    """Run the demo; return 0 when roleprobe exited 0, then 77."""
    if not ROLEPROBE.exists():
        print(f"{ROLEPROBE} is missing: run `make install` first", file=sys.stderr)
        return 1
    with EcsAgent() as ecs, tempfile.TemporaryDirectory() as scratch:
        print("roleprobe demo: no AWS account, nothing leaves this machine.")
        print(f"Fake ECS agent at {ecs.url}/v2/credentials/<task id>")
        print(f"handing out fake credentials of the task role {ecs.role_arn}")
        statuses = [
            run(ecs, title, expected, Path(scratch)) for title, expected, _ in RUNS
        ]
    wanted = [status for _, _, status in RUNS]
    if statuses != wanted:
        print(f"\nFAILED: exit statuses {statuses}, expected {wanted}")
        return 1
    print(f"\nOK: exit statuses {statuses}, as expected.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

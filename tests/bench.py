"""`make bench`: whole-process start-up medians, side by side.

Runs each command many times, interleaved, against the fake ECS agent on
127.0.0.1, and prints the median wall time of each and the ratios that
matter: the wrapper's happy path against a bare import of its stack, and
against a naive boto3 script that gets the same credentials.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from fakes import EcsAgent

RUNS = int(os.environ.get("BENCH_RUNS", "21"))
BIN = Path(sys.executable).parent


def main() -> int:
    """Measure and print the table."""
    with EcsAgent() as agent:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": "/nonexistent",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": agent.credentials_url,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9/",
            "EXPECTED_ROLE_ARN": agent.role_arn,
        }
        py = str(BIN / "python")
        commands = {
            "python -c pass (interpreter alone)": [py, "-c", "pass"],
            "bare import httpx, structlog, tenacity": [
                py,
                "-c",
                "import httpx, structlog, tenacity",
            ],
            "roleprobe -- true (happy path)": [str(BIN / "roleprobe"), "--", "true"],
            "naive boto3 get_credentials()": [
                py,
                "-c",
                "import boto3; boto3.Session().get_credentials().get_frozen_credentials()",
            ],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for argv in commands.values():  # warm the page cache once
            _run(argv, env)
        for _ in range(RUNS):
            for name, argv in commands.items():
                times[name].append(_run(argv, env))
        requests = len(agent.requests)
    medians = {name: statistics.median(t) * 1000 for name, t in times.items()}
    width = max(map(len, medians))
    print(f"whole-process medians over {RUNS} runs each (ms):")
    for name, ms in medians.items():
        print(f"  {name:<{width}}  {ms:8.1f}")
    wrapper = medians["roleprobe -- true (happy path)"]
    bare = medians["bare import httpx, structlog, tenacity"]
    boto = medians["naive boto3 get_credentials()"]
    print(f"  wrapper / bare import : {wrapper / bare:.2f}x  (target <= 1.15x)")
    print(f"  wrapper / boto3 script: {wrapper / boto:.2f}x  (target < 1x)")
    per_run = requests / (2 * (RUNS + 1))
    print(f"  endpoint requests per run (wrapper and boto3 alike): {per_run:.2f}")
    return 0


def _run(argv: list[str], env: dict[str, str]) -> float:
    """Run once; return seconds; fail loudly if the command fails."""
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(
            f"{argv[0]} failed ({done.returncode}): {done.stderr[-500:]!r}"
        )
    return elapsed


if __name__ == "__main__":
    sys.exit(main())

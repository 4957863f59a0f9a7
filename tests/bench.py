"""`make bench`: whole-process start-up medians, side by side.

Runs each command many times, interleaved, against the fake ECS agent on
127.0.0.1, and prints the median wall time of each and the ratios that
matter: the wrapper's happy path against a bare import of its stack, and
against a naive boto3 script that gets the same credentials.

Also the self-contained build for images without Python (PyInstaller, see
docker/build-standalone.sh), built into build/standalone when it is missing or
older than its sources, against the Python install's happy path.
BENCH_STANDALONE=0 leaves it out.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from fakes import EcsAgent

RUNS = int(os.environ.get("BENCH_RUNS", "21"))
BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent
STANDALONE_DIR = ROOT / "build" / "standalone"
STANDALONE = STANDALONE_DIR / "bin" / "roleprobe"
# What the standalone build is made of; it is rebuilt when any is newer.
STANDALONE_SOURCES = (
    ROOT / "src",
    ROOT / "pyproject.toml",
    ROOT / "docker" / "build-standalone.sh",
    ROOT / "docker" / "standalone",
    ROOT / "docker" / "botocore_data.py",
    ROOT / "docker" / "botocore-data.txt",
)
WRAPPER = "roleprobe -- true (happy path)"
STANDALONE_ROW = "standalone roleprobe -- true (PyInstaller)"


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
        standalone = _standalone(env) if _wants_standalone() else None
        py = str(BIN / "python")
        commands = {
            "python -c pass (interpreter alone)": [py, "-c", "pass"],
            "bare import httpx, structlog, tenacity": [
                py,
                "-c",
                "import httpx, structlog, tenacity",
            ],
            WRAPPER: [str(BIN / "roleprobe"), "--", "true"],
            "naive boto3 get_credentials()": [
                py,
                "-c",
                "import boto3; boto3.Session().get_credentials().get_frozen_credentials()",
            ],
        }
        if standalone is not None:
            commands[STANDALONE_ROW] = [str(standalone), "--", "true"]
        times: dict[str, list[float]] = {name: [] for name in commands}
        peaks: dict[str, list[int]] = {name: [] for name in commands}
        for argv in commands.values():  # warm the page cache once
            _run(argv, env)
        for _ in range(RUNS):
            for name, argv in commands.items():
                seconds, peak_kib = _run(argv, env)
                times[name].append(seconds)
                peaks[name].append(peak_kib)
        requests = len(agent.requests)
    medians = {name: statistics.median(t) * 1000 for name, t in times.items()}
    rss = {name: statistics.median(p) / 1024 for name, p in peaks.items()}
    width = max(map(len, medians))
    print(f"whole-process medians over {RUNS} runs each:")
    print(f"  {'':<{width}}  {'ms':>8}  {'peak RSS MiB':>12}")
    for name, ms in medians.items():
        print(f"  {name:<{width}}  {ms:8.1f}  {rss[name]:12.1f}")
    wrapper = medians[WRAPPER]
    bare = medians["bare import httpx, structlog, tenacity"]
    boto = medians["naive boto3 get_credentials()"]
    print(f"  wrapper / bare import : {wrapper / bare:.2f}x  (target <= 1.15x)")
    print(f"  wrapper / boto3 script: {wrapper / boto:.2f}x  (target < 1x)")
    if STANDALONE_ROW in medians:
        ratio = medians[STANDALONE_ROW] / wrapper
        print(
            f"  standalone / wrapper  : {ratio:.2f}x  (PyInstaller against the Python install)"
        )
    probing = 3 if STANDALONE_ROW in medians else 2
    per_run = requests / (probing * (RUNS + 1))
    alike = "wrapper, standalone and boto3" if probing == 3 else "wrapper and boto3"
    print(f"  endpoint requests per run ({alike} alike): {per_run:.2f}")
    if _wants_standalone() and standalone is None:
        print("  standalone: not measured, its build failed (see above)")
        return 1
    return 0


def _wants_standalone() -> bool:
    """Whether to measure the standalone build (BENCH_STANDALONE=0: no)."""
    return os.environ.get("BENCH_STANDALONE", "1") != "0"


def _standalone(env: dict[str, str]) -> Path | None:
    """Return the standalone executable, built first when missing or stale."""
    if (
        STANDALONE.exists()
        and _newest(STANDALONE_SOURCES) <= STANDALONE.stat().st_mtime
    ):
        return STANDALONE
    print(f"building the standalone roleprobe into {STANDALONE_DIR} ...", flush=True)
    start = time.perf_counter()
    build_env = {
        **env,
        "HOME": os.environ.get("HOME", "/root"),  # pip's cache and config
        "TMPDIR": os.environ.get("TMPDIR", "/tmp"),
    }
    argv = [
        str(ROOT / "docker" / "build-standalone.sh"),
        "--python",
        sys.executable,
        str(STANDALONE_DIR),
    ]
    try:
        done = subprocess.run(
            argv,
            env=build_env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    except subprocess.TimeoutExpired:
        print("standalone build: timed out after 900 s", file=sys.stderr)
        return None
    if done.returncode != 0:
        print(f"standalone build failed ({done.returncode}):", file=sys.stderr)
        print(done.stderr[-2000:], file=sys.stderr)
        return None
    summary = done.stdout.strip().splitlines()[-1:] or [""]
    print(f"{summary[0]} [{time.perf_counter() - start:.0f} s]", flush=True)
    return STANDALONE


def _newest(paths: tuple[Path, ...]) -> float:
    """Return the newest modification time of the files in *paths* (not caches)."""
    files = [p for p in paths if p.is_file()]
    files += [f for p in paths if p.is_dir() for f in p.rglob("*") if f.is_file()]
    return max(
        (f.stat().st_mtime for f in files if "__pycache__" not in f.parts),
        default=0.0,
    )


def _run(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Run once; return (seconds, peak RSS in KiB); fail loudly if it fails.

    The peak is the process's own (wait4), before and after exec alike.
    """
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            errors.seek(0)
            raise SystemExit(
                f"{argv[0]} failed ({proc.returncode}): {errors.read()[-500:]!r}"
            )
    return elapsed, usage.ru_maxrss


if __name__ == "__main__":
    sys.exit(main())

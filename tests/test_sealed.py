"""roleprobe's own Python is sealed off from the application's.

The application's PYTHONPATH, PYTHONHOME, PYTHONSTARTUP, user site and
working directory are set for the application's interpreter, not for
roleprobe's.  They must change nothing roleprobe imports or runs, and reach
the command unchanged ("Command line" in the contract).  Checked for the
console script and the repository's `entrypoint`.
"""

from __future__ import annotations

import site
import subprocess
from pathlib import Path

import pytest

from conftest import NETGUARD, ROLEPROBE, ROOT, Run, Runner, ecs_env
from fakes import CALLER_ARN, TASK_ROLE_ARN, EcsAgent, Secrets, Sts

DEPENDENCIES = ("tenacity", "httpx", "structlog", "boto3", "botocore")
LAUNCHERS = {"console-script": ROLEPROBE, "entrypoint": str(ROOT / "entrypoint")}
RAISES = "raise ImportError('the application's incompatible {name}')\n"
BREAKS = "raise SystemExit('roleprobe ran the application's {what}')\n"


def fake_packages(where: Path, names: tuple[str, ...], body: str) -> Path:
    """Write an incompatible package for each of *names* under *where*."""
    for name in names:
        package = where / name
        package.mkdir(parents=True, exist_ok=True)
        (package / "__init__.py").write_text(body.format(name=name))
    return where


def application(tmp: Path, names: tuple[str, ...], body: str) -> dict[str, str]:
    """Return the variables of an application's own Python set-up."""
    path = fake_packages(tmp / "app-path", names, body)
    startup = tmp / "startup.py"
    startup.write_text(BREAKS.format(what="PYTHONSTARTUP"))
    userbase = tmp / "userbase"
    user_site = Path(
        site.USER_SITE.replace(site.USER_BASE or "", str(userbase))  # type: ignore[arg-type]
    )
    fake_packages(user_site, names, body)
    (user_site / "usercustomize.py").write_text(BREAKS.format(what="usercustomize"))
    return {
        "PYTHONPATH": f"{path}:{NETGUARD}",
        "PYTHONHOME": "/nonexistent",
        "PYTHONSTARTUP": str(startup),
        "PYTHONUSERBASE": str(userbase),
        "PYTHONINSPECT": "",
        "PYTHONSAFEPATH": "",
    }


def workdir(tmp: Path, names: tuple[str, ...], body: str) -> Path:
    """Return a working directory full of modules that break on import."""
    cwd = tmp / "workdir"
    cwd.mkdir()
    for module in ("calendar", "json", "logging", "socket", "typing"):
        (cwd / f"{module}.py").write_text(BREAKS.format(what=f"{module}.py"))
    fake_packages(cwd, names, body)
    return cwd


def sealed_run(
    run: Runner, launcher: str, env: dict[str, str], cwd: Path
) -> tuple[Run, dict[bytes, bytes]]:
    """Run *launcher* with *env* in *cwd*; return the run and the command's env."""
    full = run.environ(env)
    done = subprocess.run(
        [launcher, "--", "cat", "/proc/self/environ"],
        env=full,
        capture_output=True,
        timeout=60,
        check=False,
        cwd=cwd,
    )
    # The command's output is the environment block, not roleprobe's.
    r = run.checked(done.returncode, b"", done.stderr)
    seen = dict(
        entry.partition(b"=")[::2] for entry in done.stdout.split(b"\0") if entry
    )
    return r, seen


def assert_sealed(r: Run, seen: dict[bytes, bytes], env: dict[str, str]) -> None:
    """roleprobe ran as usual and the command got the variables unchanged."""
    assert r.status == 0, r.stderr
    assert r.names == ["credentials_resolved", "role_verified"], r.stderr
    for name, value in env.items():
        assert seen.get(name.encode()) == value.encode(), name


@pytest.mark.parametrize("body", [RAISES, ""], ids=["raises", "empty"])
@pytest.mark.parametrize("launcher", LAUNCHERS)
def test_the_applications_python_changes_nothing(
    launcher: str,
    body: str,
    run: Runner,
    ecs: EcsAgent,
    tmp_path: Path,
) -> None:
    env = {
        **application(tmp_path, DEPENDENCIES, body),
        **ecs_env(ecs, EXPECTED_ROLE_ARN=TASK_ROLE_ARN),
    }
    cwd = workdir(tmp_path, DEPENDENCIES, body)
    r, seen = sealed_run(run, LAUNCHERS[launcher], env, cwd)
    assert_sealed(r, seen, env)


@pytest.mark.parametrize(
    "name",
    # roleprobe imports botocore, never boto3: that one holds today.
    list(DEPENDENCIES),
)
def test_one_incompatible_dependency_on_pythonpath(
    name: str, run: Runner, sts: Sts, secrets: Secrets, tmp_path: Path
) -> None:
    """Keys and STS, so that every dependency, botocore included, is imported."""
    path = fake_packages(tmp_path / "app-path", (name,), RAISES)
    env = {
        "PYTHONPATH": f"{path}:{NETGUARD}",
        "AWS_ACCESS_KEY_ID": secrets.access_key_id,
        "AWS_SECRET_ACCESS_KEY": secrets.secret_access_key,
        "EXPECTED_ROLE_ARN": CALLER_ARN,
    }
    r, seen = sealed_run(run, ROLEPROBE, env, tmp_path)
    assert_sealed(r, seen, env)


@pytest.mark.parametrize(
    "variable",
    [
        "PYTHONHOME",
        "PYTHONSTARTUP",
        "PYTHONUSERBASE",
        "workdir",
    ],
)
def test_each_setting_alone(
    variable: str, run: Runner, ecs: EcsAgent, tmp_path: Path
) -> None:
    everything = application(tmp_path, DEPENDENCIES, RAISES)
    env = ecs_env(ecs, EXPECTED_ROLE_ARN=TASK_ROLE_ARN)
    cwd = tmp_path
    if variable == "workdir":
        cwd = workdir(tmp_path, DEPENDENCIES, RAISES)
    else:
        env[variable] = everything[variable]
    r, seen = sealed_run(run, ROLEPROBE, env, cwd)
    assert_sealed(r, seen, env)


def test_started_without_isolation_roleprobe_seals_itself(
    run: Runner, sts: Sts, secrets: Secrets, tmp_path: Path
) -> None:
    """python -m roleprobe (no -I): it starts itself again isolated, same block."""
    path = fake_packages(tmp_path / "app-path", DEPENDENCIES, RAISES)
    env = {
        "PYTHONPATH": f"{path}:{NETGUARD}",
        "AWS_ACCESS_KEY_ID": secrets.access_key_id,
        "AWS_SECRET_ACCESS_KEY": secrets.secret_access_key,
        "EXPECTED_ROLE_ARN": CALLER_ARN,
    }
    python = str(Path(ROLEPROBE).parent / "python")
    done = subprocess.run(
        [python, "-m", "roleprobe", "--", "cat", "/proc/self/environ"],
        env=run.environ(env),
        capture_output=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
    )
    r = run.checked(done.returncode, b"", done.stderr)
    seen = dict(e.partition(b"=")[::2] for e in done.stdout.split(b"\0") if e)
    assert_sealed(r, seen, env)

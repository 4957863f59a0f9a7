"""End to end: the installed roleprobe against a fake ECS agent on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import NOWHERE, ROLEPROBE, ROOT, Runner, ecs_env
from fakes import (
    TASK_ROLE_ARN,
    Drop,
    EcsAgent,
    Garbage,
    Huge,
    MissingField,
    NotAnObject,
    Ok,
    Redirect,
    Stall,
    Status,
    Trickle,
)

FAST = {"ROLEPROBE_TIMEOUT": "0.5", "ROLEPROBE_DEADLINE": "20"}
# Writes what the command got to the file named by its first argument (not to
# stdout, which the runner checks for planted secrets such as the URI).
ARGS_SCRIPT = (
    "import json, os, sys; "
    "json.dump({'argv': sys.argv[2:], 'env': dict(os.environ)}, open(sys.argv[1], 'w'))"
)


def test_happy_path_logs_one_line_and_execs(run: Runner, ecs: EcsAgent) -> None:
    r = run("--", "sh", "-c", "echo app ran; exit 7", env=ecs_env(ecs))
    assert r.status == 7
    assert r.stdout == b"app ran\n"
    assert r.names == ["credentials_resolved"]
    resolved = r.event("credentials_resolved")
    assert resolved["level"] == "info"
    assert resolved["source"] == "container-role"
    assert resolved["role_arn"] == TASK_ROLE_ARN
    assert resolved["account_id"] == TASK_ROLE_ARN.split(":")[4]
    assert resolved["attempts"] == 1
    assert len(ecs.requests) == 1


def test_expected_role_verified(run: Runner, ecs: EcsAgent) -> None:
    r = run("--", "true", env=ecs_env(ecs, EXPECTED_ROLE_ARN=TASK_ROLE_ARN))
    assert r.status == 0
    assert r.names == ["credentials_resolved", "role_verified"]
    assert r.event("role_verified")["role_arn"] == TASK_ROLE_ARN
    assert r.event("role_verified")["expected"] == TASK_ROLE_ARN
    assert len(ecs.requests) == 1, "the happy path is exactly one request"


def test_wrong_role_exits_77_before_the_command(
    run: Runner, ecs: EcsAgent, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    wrong = "arn:aws:iam::111122223333:role/someone-else"
    r = run("--", "touch", str(marker), env=ecs_env(ecs, EXPECTED_ROLE_ARN=wrong))
    assert r.status == 77
    assert not marker.exists()
    mismatch = r.event("role_mismatch")
    assert mismatch["level"] == "error"
    assert mismatch["role_arn"] == TASK_ROLE_ARN
    assert mismatch["expected"] == wrong


def test_wrong_role_in_warn_mode_runs(
    run: Runner, ecs: EcsAgent, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    env = ecs_env(ecs, EXPECTED_ROLE_ARN="other", ROLEPROBE_ON_MISMATCH="warn")
    r = run("--", "touch", str(marker), env=env)
    assert r.status == 0
    assert marker.exists()
    assert r.event("role_mismatch")["level"] == "warning"


def test_arguments_and_environment_reach_the_command_unchanged(
    run: Runner, ecs: EcsAgent, tmp_path: Path
) -> None:
    out = tmp_path / "seen.json"
    args = ["", " two  spaces ", "--check", "-x", "--", "ünïcödé", "a\tb", "$HOME"]
    env = ecs_env(ecs, EXPECTED_ROLE_ARN=TASK_ROLE_ARN, ODD="  x=y  ", EMPTY="")
    r = run("--", sys.executable, "-c", ARGS_SCRIPT, str(out), *args, env=env)
    assert r.status == 0
    seen = json.loads(out.read_text())
    assert seen["argv"] == args
    assert seen["env"] == run.environ(env)


@pytest.mark.parametrize("lang", [None, "C", "POSIX", "C.UTF-8"])
def test_no_locale_variable_is_added(
    run: Runner, ecs: EcsAgent, lang: str | None
) -> None:
    """CPython coerces a C locale by setting LC_CTYPE; the command must not see it."""
    env = run.environ(ecs_env(ecs))
    del env["LANG"]
    if lang is not None:
        env["LANG"] = lang
    done = subprocess.run(
        [ROLEPROBE, "--", "cat", "/proc/self/environ"],
        env=env,
        capture_output=True,
        check=False,
    )
    run.checked(done.returncode, b"", done.stderr)  # stdout holds the URI
    assert done.returncode == 0
    entries = done.stdout.decode().split("\0")[:-1]
    assert dict(entry.split("=", 1) for entry in entries) == env


def test_options_end_at_the_first_non_option(
    run: Runner, ecs: EcsAgent, tmp_path: Path
) -> None:
    out = tmp_path / "seen.json"
    r = run(
        sys.executable, "-c", ARGS_SCRIPT, str(out), "--", "--help", env=ecs_env(ecs)
    )
    assert r.status == 0
    assert json.loads(out.read_text())["argv"] == ["--", "--help"]


def test_nothing_on_stdout_but_the_command(run: Runner, ecs: EcsAgent) -> None:
    r = run("--", "true", env=ecs_env(ecs, EXPECTED_ROLE_ARN="nope"))
    assert r.status == 77
    assert r.stdout == b""


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (Status(400), "HTTP 400 InvalidIdInRequest"),
        (Status(503), "HTTP 503 CredentialsUninitialized"),
        (Status(500), "HTTP 500"),
        (Status(429), "HTTP 429"),
        (Drop(), "connection dropped"),
        (Garbage(), "not JSON"),
        (NotAnObject(), "not a JSON object"),
        (MissingField("Token"), "lacks Token"),
        (Huge(2 << 20), "larger than 1 MiB"),
        (Huge(2 << 20, chunked=True), "larger than 1 MiB"),
        (Stall(3), "timed out"),
        (Trickle(3), "timed out"),
        (Redirect("http://127.0.0.1:9/elsewhere"), "HTTP 302"),
    ],
    ids=lambda x: type(x).__name__ if not isinstance(x, str) else "",
)
def test_faults_are_retried(
    run: Runner, ecs: EcsAgent, fault: object, reason: str
) -> None:
    ecs.set_faults(fault, fault, Ok())  # type: ignore[arg-type]
    env = ecs_env(ecs, EXPECTED_ROLE_ARN=TASK_ROLE_ARN, **FAST)
    r = run("--", "true", env=env)
    assert r.status == 0, r.stderr
    retries = [e for e in r.events if e["event"] == "probe_retry"]
    assert [e["attempt"] for e in retries] == [1, 2]
    for e in retries:
        assert e["level"] == "warning"
        assert reason in e["reason"]
        assert 0 <= e["wait_s"] <= 8
    assert r.event("credentials_resolved")["attempts"] == 3
    assert r.names[-1] == "role_verified"


def test_ecs_start_up_errors_then_credentials(run: Runner, ecs: EcsAgent) -> None:
    ecs.set_faults(Status(400), Status(503), Status(503), Ok())
    r = run("--", "true", env=ecs_env(ecs, EXPECTED_ROLE_ARN=TASK_ROLE_ARN))
    assert r.status == 0
    assert r.names == ["probe_retry"] * 3 + ["credentials_resolved", "role_verified"]
    assert len(ecs.requests) == 4


def test_attempts_are_bounded(run: Runner, ecs: EcsAgent) -> None:
    ecs.set_faults(Status(503))
    env = ecs_env(ecs, EXPECTED_ROLE_ARN=TASK_ROLE_ARN, ROLEPROBE_ATTEMPTS="2")
    r = run("--", "true", env=env)
    assert r.status == 69
    assert len(ecs.requests) == 2
    assert r.names == ["probe_retry", "credentials_unavailable"]
    failed = r.event("credentials_unavailable")
    assert failed["level"] == "error"
    assert failed["source"] == "container-role"
    assert "HTTP 503" in failed["reason"]


def test_unavailable_without_expectation_still_runs(
    run: Runner, ecs: EcsAgent, tmp_path: Path
) -> None:
    ecs.set_faults(Drop())
    marker = tmp_path / "ran"
    r = run("--", "touch", str(marker), env=ecs_env(ecs, ROLEPROBE_ATTEMPTS="1"))
    assert r.status == 0
    assert marker.exists()
    assert r.event("credentials_unavailable")["level"] == "warning"


def test_the_deadline_holds_while_an_attempt_stalls(run: Runner, ecs: EcsAgent) -> None:
    ecs.set_faults(Stall(30))
    env = ecs_env(
        ecs,
        EXPECTED_ROLE_ARN=TASK_ROLE_ARN,
        ROLEPROBE_TIMEOUT="10",
        ROLEPROBE_DEADLINE="1.5",
    )
    start = time.monotonic()
    r = run("--", "true", env=env)
    took = time.monotonic() - start
    assert r.status == 69
    assert took < 1.5 + 1.5, f"deadline 1.5 s, took {took:.1f} s"
    assert "timed out" in r.event("credentials_unavailable")["reason"]


def test_a_trickling_answer_cannot_stretch_an_attempt(
    run: Runner, ecs: EcsAgent
) -> None:
    ecs.set_faults(Trickle(20))
    env = ecs_env(ecs, ROLEPROBE_TIMEOUT="1", ROLEPROBE_ATTEMPTS="1")
    start = time.monotonic()
    r = run("--check", env=env)
    took = time.monotonic() - start
    assert r.status == 69
    assert took < 1 + 1.5, f"timeout 1 s, took {took:.1f} s"


def test_redirects_are_not_followed(
    run: Runner, ecs: EcsAgent, secrets: object
) -> None:
    with EcsAgent(secrets=ecs.secrets) as elsewhere:
        ecs.set_faults(Redirect(elsewhere.credentials_url))
        r = run("--check", env=ecs_env(ecs, ROLEPROBE_ATTEMPTS="2", **FAST))
        assert r.status == 69
        assert elsewhere.requests == []
    assert "HTTP 302" in r.event("credentials_unavailable")["reason"]


def test_proxy_variables_are_not_used(run: Runner, ecs: EcsAgent) -> None:
    with EcsAgent(secrets=ecs.secrets) as proxy:
        env = ecs_env(
            ecs,
            EXPECTED_ROLE_ARN=TASK_ROLE_ARN,
            HTTP_PROXY=proxy.url,
            http_proxy=proxy.url,
            HTTPS_PROXY=proxy.url,
            ALL_PROXY=proxy.url,
            NO_PROXY="",
        )
        r = run("--", "true", env=env)
        assert r.status == 0
        assert proxy.requests == []
    assert len(ecs.requests) == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/creds",
        "http://169.254.169.254/latest/meta-data/",
        "http://example.com/creds",
        "ftp://127.0.0.1/creds",
    ],
)
def test_disallowed_full_uri_is_refused_without_connecting(
    run: Runner, url: str
) -> None:
    env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": url, "EXPECTED_ROLE_ARN": "app"}
    r = run("--", "true", env=env)
    assert r.status == 69
    failed = r.event("credentials_unavailable")
    assert failed["source"] == "container-role"
    assert "AWS_CONTAINER_CREDENTIALS_FULL_URI" in failed["reason"]
    assert "probe_retry" not in r.names


def test_check_probes_without_running(run: Runner, ecs: EcsAgent) -> None:
    r = run("--check", env=ecs_env(ecs, EXPECTED_ROLE_ARN=TASK_ROLE_ARN))
    assert r.status == 0
    assert r.stdout == b""
    assert r.names == ["credentials_resolved", "role_verified"]
    assert run("--check", env=ecs_env(ecs, EXPECTED_ROLE_ARN="x")).status == 77


def test_python_m_and_the_entrypoint_file_behave_alike(
    run: Runner, ecs: EcsAgent
) -> None:
    env = run.environ(ecs_env(ecs, EXPECTED_ROLE_ARN="nope"))
    for argv in (
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "roleprobe", "--", "true"],
        [str(ROOT / "entrypoint"), "--", "true"],
    ):
        done = subprocess.run(argv, env=env, capture_output=True, check=False)
        r = run.checked(done.returncode, done.stdout, done.stderr)
        assert r.status == 77
        assert r.names == ["credentials_resolved", "role_mismatch"]


def test_console_format_is_for_people(run: Runner, ecs: EcsAgent) -> None:
    env = ecs_env(ecs, ROLEPROBE_LOG_FORMAT="console")
    r = run("--", "true", env=env, json_lines=False)
    assert r.status == 0
    assert "credentials_resolved" in r.stderr
    assert TASK_ROLE_ARN in r.stderr
    assert not r.stderr.lstrip().startswith("{")


def test_emf_line_basics(run: Runner, ecs: EcsAgent) -> None:
    r = run("--", "true", env=ecs_env(ecs, ROLEPROBE_EMF="true"))
    assert r.status == 0
    emf = r.event("probe_metrics")
    assert emf["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "roleprobe"
    assert emf["Outcome"] == "resolved"
    assert emf["Source"] == "container-role"


def test_error_bodies_never_reach_the_log(run: Runner, ecs: EcsAgent) -> None:
    ecs.set_faults(Status(503, body=json.dumps({"code": ecs.secrets.body_marker})))
    env = ecs_env(ecs, ROLEPROBE_ATTEMPTS="2", EXPECTED_ROLE_ARN="x", **FAST)
    env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = ecs.secrets.auth_token
    r = run("--", "true", env=env)
    assert r.status == 69
    assert r.stdout == b""
    assert ecs.secrets.body_marker not in r.stderr


def test_unreachable_endpoint(run: Runner) -> None:
    env = {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": NOWHERE + "v2/credentials/x",
        "EXPECTED_ROLE_ARN": "app",
        "ROLEPROBE_ATTEMPTS": "2",
    }
    r = run("--", "true", env=env)
    assert r.status == 69
    assert "cannot connect" in r.event("credentials_unavailable")["reason"]

"""End to end: ``roleprobe --check`` follows the Go and Java chains, and detects them.

The installed console script runs against the suite's fakes: on loopback,
or in a network namespace of the test's own (instance metadata at
169.254.169.254, a container agent on 127.0.0.1, and an /etc/hosts of the
test's own, bind-mounted there, so that host names resolve locally and never
through DNS).  The expected sources are rows of ``tests/data/sdk_matrix.json``.
"""

from __future__ import annotations

import shlex
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import Run, Runner, needs_namespaces
from fakes import INSTANCE_ROLE_NAME, TASK_ROLE_ARN, Identity, Secrets, Sts
from netns import IMDS_ENV, INSTANCE_ARN, Namespace

AGENT_PORT = 8080
# One attempt: the tests that expect a failure need not wait for the patience.
FAST = {"ROLEPROBE_TIMEOUT": "2", "ROLEPROBE_ATTEMPTS": "1", "ROLEPROBE_DEADLINE": "10"}
ROLE = "arn:aws:iam::111122223333:role/r"


def agent(*faults: str) -> tuple[str, list[str]]:
    """Return a fake ECS agent on 127.0.0.1:AGENT_PORT at /creds."""
    args = ["ecs", "--host", "127.0.0.1", "--port", str(AGENT_PORT)]
    return "ecs", [*args, "--path", "/creds", *faults]


IMDS = ("imds", ["imds", "--host", "169.254.169.254", "--port", "80"])


def in_namespace(
    run: Runner,
    tmp_path: Path,
    secrets: Secrets,
    env: dict[str, str],
    *,
    fakes: list[tuple[str, list[str]]],
    hosts: str = "",
) -> tuple[Run, Namespace]:
    """Run ``roleprobe --check`` in a namespace with *fakes* and /etc/hosts."""
    ns = Namespace(tmp_path, secrets, fakes=fakes)
    prefix = ns.prefix()
    hosts_file = tmp_path / "hosts"
    hosts_file.write_text(f"127.0.0.1 localhost\n::1 localhost\n{hosts}")
    mount = f"mount --bind {shlex.quote(str(hosts_file))} /etc/hosts"
    prefix[-2] = prefix[-2].replace("set -e\n", f"set -e\n{mount}\n", 1)
    r = run("--check", env={**IMDS_ENV, **FAST, **env}, prefix=prefix)
    return r, ns


@needs_namespaces
@pytest.mark.parametrize(
    ("sdk", "source", "status"),
    [("java", "iam-role", 0), ("go", "container-role", 69)],
)
def test_failing_container_endpoint(
    run: Runner, tmp_path: Path, secrets: Secrets, sdk: str, source: str, status: int
) -> None:
    """Row container-rel-failing+imds: Java falls back to IMDS, Go does not."""
    env = {
        "ROLEPROBE_SDK": sdk,
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": f"http://127.0.0.1:{AGENT_PORT}/creds",
    }
    r, ns = in_namespace(
        run, tmp_path, secrets, env, fakes=[agent("--fault", "status:500"), IMDS]
    )
    assert r.status == status, r.stderr
    event = "credentials_resolved" if status == 0 else "credentials_unavailable"
    found = r.event(event)
    assert (found["source"], found["sdk"], found["sdk_detected_from"]) == (
        source,
        sdk,
        "setting",
    )
    assert len(ns.requests("ecs")) >= 1
    if sdk == "java":
        assert found["role_arn"] == INSTANCE_ARN, found
    else:
        assert ns.requests("imds") == []


@needs_namespaces
def test_go_assumes_a_role_on_instance_metadata(
    run: Runner, tmp_path: Path, secrets: Secrets
) -> None:
    """Row role-only+imds: Go assumes role_arn on the instance role; no STS call."""
    (run.home / ".aws").mkdir()
    (run.home / ".aws" / "config").write_text(f"[default]\nrole_arn = {ROLE}\n")
    env = {"ROLEPROBE_SDK": "go"}
    r, ns = in_namespace(run, tmp_path, secrets, env, fakes=[IMDS])
    assert r.status == 0, r.stderr
    found = r.event("credentials_resolved")
    assert (found["source"], found["role_arn"]) == ("assume-role", ROLE)
    assert found["verified_by"] == "configuration"
    assert ns.requests("sts") == []
    assert any(INSTANCE_ROLE_NAME in q.path for q in ns.requests("imds"))
    (tmp_path / "java").mkdir()
    java = {"ROLEPROBE_SDK": "java"}
    r, _ = in_namespace(run, tmp_path / "java", secrets, java, fakes=[IMDS])
    assert r.event("credentials_resolved")["source"] == "iam-role"  # role ignored


@needs_namespaces
@pytest.mark.parametrize(
    ("host", "sdk", "source"),
    [
        ("credagent.internal", "go", "container-role"),
        ("credagent.internal", "java", "container-role"),
        ("elsewhere.internal", "go", "none"),
        ("elsewhere.internal", "java", "iam-role"),
        ("localhost", "go", "container-role"),
    ],
)
def test_container_host_resolved_through_etc_hosts(
    run: Runner, tmp_path: Path, secrets: Secrets, host: str, sdk: str, source: str
) -> None:
    """Rows full-etc-hosts-name, full-private-ip+imds: every address is checked."""
    hosts = "127.0.0.1 credagent.internal\n10.0.0.5 elsewhere.internal\n"
    env = {
        "ROLEPROBE_SDK": sdk,
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": f"http://{host}:{AGENT_PORT}/creds",
    }
    fakes = [agent(), IMDS]
    r, ns = in_namespace(run, tmp_path, secrets, env, fakes=fakes, hosts=hosts)
    if source == "none":
        assert r.status == 69, r.stderr
        assert "is not allowed" in r.event("credentials_unavailable")["reason"]
        assert ns.requests("ecs") == []
        return
    assert r.status == 0, r.stderr
    found = r.event("credentials_resolved")
    assert found["source"] == source
    if source == "container-role":
        assert found["role_arn"] == TASK_ROLE_ARN
    else:
        assert ns.requests("ecs") == []


def test_java_prefers_the_token_variable(run: Runner, secrets: Secrets) -> None:
    """Row token-var-vs-file: Java sends the variable, Go and botocore the file."""
    token_file = run.home / "token"
    token_file.write_text(secrets.auth_token)
    from fakes import PodIdentityAgent  # noqa: PLC0415

    with PodIdentityAgent(secrets=secrets) as pod, Sts(secrets=secrets) as sts:
        run.sts_url = sts.url
        env = {
            **FAST,
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": pod.credentials_url,
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "wrong-token",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": str(token_file),
        }
        for sdk, status in (("go", 0), ("python", 0), ("java", 69)):
            r = run("--check", env={**env, "ROLEPROBE_SDK": sdk})
            assert r.status == status, (sdk, r.stderr)


@pytest.mark.parametrize(
    ("sdk", "whose"),
    [("js", "DEV"), ("go", "ENV"), ("java", "ENV"), ("python", "ENV")],
)
def test_keys_from_the_place_the_sdk_reads(
    run: Runner, secrets: Secrets, sdk: str, whose: str
) -> None:
    """Env keys and AWS_PROFILE: STS is asked with the keys the SDK would use."""
    env_keys, dev_keys = secrets.derive("ENV"), secrets.derive("DEV")
    run.plant(*env_keys.all_values(), *dev_keys.all_values())
    (run.home / ".aws").mkdir()
    (run.home / ".aws" / "credentials").write_text(
        "[dev]\n"
        f"aws_access_key_id = {dev_keys.access_key_id}\n"
        f"aws_secret_access_key = {dev_keys.secret_access_key}\n"
    )
    arns = {
        "ENV": "arn:aws:iam::111122223333:user/env",
        "DEV": "arn:aws:iam::111122223333:user/dev",
    }
    identities = {
        env_keys.access_key_id: Identity.from_arn(arns["ENV"]),
        dev_keys.access_key_id: Identity.from_arn(arns["DEV"]),
    }
    with Sts(secrets=secrets, identities=identities, default_identity=None) as sts:
        run.sts_url = sts.url
        env = {
            **FAST,
            "ROLEPROBE_SDK": sdk,
            "AWS_PROFILE": "dev",
            "AWS_ACCESS_KEY_ID": env_keys.access_key_id,
            "AWS_SECRET_ACCESS_KEY": env_keys.secret_access_key,
        }
        r = run("--check", env=env)
    assert r.status == 0, r.stderr
    found = r.event("credentials_resolved")
    source = "shared-credentials-file" if whose == "DEV" else "env"
    assert (found["source"], found["identity_arn"]) == (source, arns[whose])


def test_detected_from_a_node_script(run: Runner, tmp_path: Path) -> None:
    """A script whose #! line names node is followed with the JS chain."""
    app = tmp_path / "server"
    app.write_text("#!/usr/bin/env node\nconsole.log('hi')\n")
    app.chmod(0o755)
    env = {"AWS_PROFILE": "nosuch", "ROLEPROBE_DEADLINE": "3"}
    r = run("--", str(app), env=env)
    failed = r.event("credentials_unavailable")
    assert (failed["sdk"], failed["sdk_detected_from"]) == ("js", "shebang")
    # JS: a missing profile goes on to IMDS, which is off here; botocore
    # would stop at the missing profile
    assert failed["reason"] == "no credentials source is configured", failed


# --- HTTPS:// in upper case is verified like https:// (issue 7) --------------


@pytest.fixture
def tls_agent(tmp_path: Path) -> Iterator[str]:
    """An https server on 127.0.0.1 whose certificate nobody trusts."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(500)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize("scheme", ["https", "HTTPS", "HtTpS"])
@pytest.mark.parametrize("sdk", ["python", "go", "js"])
def test_upper_case_https_verifies_the_certificate(
    run: Runner, tls_agent: str, scheme: str, sdk: str
) -> None:
    env = {
        **FAST,
        "ROLEPROBE_SDK": sdk,
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": f"{scheme}://{tls_agent}/creds",
    }
    r = run("--check", env=env)
    assert r.status == 69, r.stderr
    reason = r.event("credentials_unavailable")["reason"]
    assert "HTTP 500" not in reason, reason  # never got past the handshake

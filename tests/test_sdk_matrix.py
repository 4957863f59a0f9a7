"""The Go and Java chains, pinned by a matrix of 66 environments.

``tests/data/sdk_matrix.json`` is a copy of the research matrix: each
environment's variables and files, the state of the container endpoint and
of IMDS, and the source each SDK ends with, with the rule of its source that
says so (``go.md`` G1-G17, ``java.md`` J1-J14).  The probe runs in process on
the real chain walker and fetchers; only the two endpoints are stand-ins
that answer as the row says (through the SDK's own rules: which token it
sends, its proxy use and its IMDS timeout), and host names resolve from the
row's /etc/hosts, never through DNS.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from roleprobe import _container, _hosts, _imds, _retry
from roleprobe._container import Endpoint
from roleprobe._credentials import Credentials
from roleprobe._errors import Retryable
from roleprobe._log import Redactor
from roleprobe._probe import probe
from roleprobe._rules import ImdsRules, is_off
from roleprobe._settings import load
from roleprobe._verdict import Resolution

ROWS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "sdk_matrix.json").read_text()
)
TASK_ROLE = "arn:aws:iam::111122223333:role/task"
LATENCY = 1.5  # seconds: the matrix's slow IMDS


class Quiet:
    """A logger that drops everything."""

    def info(self, event: str, **kw: Any) -> None:
        """Drop."""

    warning = error = info


@pytest.fixture(autouse=True)
def no_waiting() -> Iterator[None]:
    _retry.set_testing(True)
    yield
    _retry.set_testing(False)


def answer(role_arn: str | None = None) -> Credentials:
    """Return credentials as an endpoint hands them out."""
    return Credentials("AKIDFAKE", "fake-secret", "fake-token", role_arn=role_arn)


def fake_container(row: dict[str, Any], environ: Mapping[str, str]) -> Any:
    """Return a container fetch that answers as the row says."""
    state: str = row["container_endpoint"]

    def fetch(ep: Endpoint, timeout: float) -> Credentials:
        del timeout
        if state == "absent" or state == "failing":
            raise Retryable("connection refused")
        if ep.proxies and environ.get("HTTP_PROXY"):
            raise Retryable("the proxy does not answer")
        if state.startswith("relative failing") and ep.host == _container.ECS_HOST:
            raise Retryable("HTTP 500")
        if "requires token" in state:
            wanted = state.rsplit(" ", 1)[1]
            if _container.read_token(ep) != wanted:
                raise Retryable("HTTP 401")
        return answer(TASK_ROLE)

    return fetch


def fake_imds(row: dict[str, Any]) -> Any:
    """Return an IMDS fetch that answers as the row says, by the SDK's settings."""
    state: str = row["imds"]

    def fetch(
        environ: Mapping[str, str], timeout: float, rules: ImdsRules
    ) -> Credentials:
        del timeout
        _imds.base_url(environ, rules)  # the endpoint settings must be valid
        if rules.proxies and environ.get("HTTP_PROXY"):
            raise Retryable("the proxy does not answer")
        if "latency" in state and _imds.request_timeout(environ, rules) < LATENCY:
            raise Retryable("timed out")
        v1_off = is_off(environ.get("AWS_EC2_METADATA_V1_DISABLED"), rules.v1_off)
        if state.startswith("token 403") and v1_off:
            raise Retryable("no IMDSv2 token and IMDSv1 is disabled")
        return answer()

    return fetch


def hosts(row: dict[str, Any]) -> Any:
    """Return a resolver that knows localhost and the row's /etc/hosts only."""
    table = {"localhost": ["127.0.0.1", "::1"]}
    for line in (row["etc_hosts"] or "").splitlines():
        address, *names = line.split()
        for name in names:
            table.setdefault(name, []).append(address)

    def resolve(host: str) -> list[Any]:
        literal = _hosts._literal(host)
        if literal is not None:
            return [literal]
        return [_hosts._literal(a) for a in table.get(host, [])]

    return resolve


def run_row(
    row: dict[str, Any], sdk: str, home: Path, monkeypatch: pytest.MonkeyPatch
) -> Resolution:
    """Write the row's files under *home* and probe as *sdk*."""

    def fill(text: str) -> str:
        return text.replace("{HOME}", str(home))

    (home / ".aws").mkdir(parents=True)
    if row["config"] is not None:
        (home / ".aws" / "config").write_text(fill(row["config"]))
    if row["credentials"] is not None:
        (home / ".aws" / "credentials").write_text(fill(row["credentials"]))
    for name, text in row["files"].items():
        path = Path(fill(name))
        path.write_text(text)
        path.chmod(0o755)
    environ = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    environ |= {k: fill(v) for k, v in row["env"].items()}
    settings = {
        "ROLEPROBE_SDK": sdk,
        "ROLEPROBE_VERIFY": "never",
        "ROLEPROBE_ATTEMPTS": "1",
        "ROLEPROBE_TIMEOUT": "2",
    }
    monkeypatch.setattr(_container, "fetch", fake_container(row, environ))
    monkeypatch.setattr(_imds, "fetch", fake_imds(row))
    monkeypatch.setattr(_hosts, "resolve_host", hosts(row))
    return probe(environ, load(settings), Quiet(), Redactor(), sdk)  # type: ignore[arg-type]


def check(found: Resolution, expected: dict[str, Any]) -> None:
    """Assert the SDK's end: the source, and whether it works."""
    detail = f"{found}\nexpected {expected}"
    ok = expected["ok"]
    if expected["source"] == "none":
        assert not found.found, detail
        return
    assert found.source == expected["source"], detail
    if ok is False:
        assert not found.found, detail
    elif ok is not None:
        assert found.found, detail


@pytest.mark.parametrize("sdk", ["go", "java"])
@pytest.mark.parametrize("row", ROWS, ids=[row["id"] for row in ROWS])
def test_matrix(
    row: dict[str, Any], sdk: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check(run_row(row, sdk, tmp_path, monkeypatch), row["expected"][sdk])


def test_matrix_is_the_research_matrix() -> None:
    """66 environments, each with a cited rule per SDK."""
    assert len(ROWS) == 66
    assert len({row["id"] for row in ROWS}) == 66
    for row in ROWS:
        assert row["expected"]["go"]["rule"].startswith("G")
        assert row["expected"]["java"]["rule"].startswith("J")

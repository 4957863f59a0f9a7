"""Namespaces with IMDS and STS fakes, shared by the IMDS and chain tests.

Each run gets a new network and PID namespace holding only loopback plus
the instance metadata addresses; the fakes started there die with it.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from conftest import Runner
from fakes import (
    ACCOUNT_ID,
    FAKES,
    INSTANCE_ROLE_NAME,
    RecordedRequest,
    Secrets,
    read_records,
)

PYTHON = sys.executable
IPV4 = "169.254.169.254"
IPV6 = "fd00:ec2::254"
TOKEN_PATH = "/latest/api/token"
ROLE_PATH = "/latest/meta-data/iam/security-credentials/"
CREDENTIALS_PATH = ROLE_PATH + INSTANCE_ROLE_NAME
INSTANCE_ARN = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{INSTANCE_ROLE_NAME}/i-0f00"
# What every run in a namespace gets: instance metadata on, the netguard
# letting the namespace's own link-local addresses through, timeouts short.
IMDS_ENV = {
    "AWS_EC2_METADATA_DISABLED": "false",
    "NETGUARD_ALLOW": f"{IPV4},{IPV6}",
    "AWS_METADATA_SERVICE_TIMEOUT": "1",  # botocore: whole seconds
    "ROLEPROBE_TIMEOUT": "2",
    "ROLEPROBE_ATTEMPTS": "2",
    "ROLEPROBE_DEADLINE": "10",
}
# botocore as the application runs it: the source's name, or the error it
# raises; with "identity", also who STS says the credentials belong to.
BOTOCORE = """\
import json, sys
import boto3, botocore.exceptions
out = {}
try:
    session = boto3.Session()
    creds = session.get_credentials()
    out["method"] = creds.method if creds is not None else "none"
    if creds is not None and "identity" in sys.argv[1:]:
        sts = session.client("sts", region_name="us-east-1")
        out["arn"] = sts.get_caller_identity()["Arn"]
except (botocore.exceptions.BotoCoreError, ValueError) as e:
    out["error"] = type(e).__name__
print(json.dumps(out))
"""
# Starts one fake in the background (`fakes.py --detach`, which returns once
# it listens) and records its port as NAME_PORT.
START = """\
start() {
  name=$1; shift
  "$PY" "$FAKES" --detach "$@" --secrets "$SECRETS" --record "$DIR/$name.jsonl" \\
    >"$DIR/$name.out" 2>"$DIR/$name.err" </dev/null ||
    { echo "fake $name did not start" >&2; cat "$DIR/$name.err" >&2; exit 98; }
}
"""


def start_fake_line(*argv: str) -> str:
    """Return a shell command that starts ``fakes.py *argv*`` and waits for it."""
    return shlex.join([PYTHON, str(FAKES), "--detach", *argv]) + " >/dev/null"


class Namespace:
    """A network and PID namespace with IMDS and STS fakes, made per run."""

    def __init__(
        self,
        tmp: Path,
        secrets: Secrets,
        *,
        imds_args: Sequence[str] = (),
        sts_args: Sequence[str] = ("--identity-arn", INSTANCE_ARN),
        fakes: Sequence[tuple[str, Sequence[str]]] = (),
    ) -> None:
        """Plan the fakes: IMDS at 169.254.169.254:80, STS on 127.0.0.1.

        *fakes* replaces the IMDS fake with others: (name, fakes.py args).
        """
        self.tmp = tmp
        self.secrets = secrets
        self.fakes = list(fakes) or [
            ("imds", ["imds", "--host", IPV4, "--port", "80", *imds_args])
        ]
        self.fakes.append(("sts", ["sts", "--port", "0", *sts_args]))
        self.dir = tmp
        self._runs = 0

    def prefix(self) -> list[str]:
        """Return the command that runs the rest in a fresh namespace."""
        self._runs += 1
        self.dir = self.tmp / f"namespace-{self._runs}"
        self.dir.mkdir()
        q = shlex.quote
        lines = [
            "set -e",
            f"PY={q(PYTHON)} FAKES={q(str(FAKES))} DIR={q(str(self.dir))}",
            f"SECRETS={q(self.secrets.to_json())}",
            "ip link set lo up",
            f"ip addr add {IPV4}/32 dev lo",
            f"ip -6 addr add {IPV6}/128 dev lo nodad",
            START,
            *(f"start {name} {shlex.join(args)}" for name, args in self.fakes),
            'STS_PORT=$(sed -n "s/^READY \\([0-9]*\\) .*/\\1/p" "$DIR/sts.out")',
            'export AWS_ENDPOINT_URL_STS="http://127.0.0.1:$STS_PORT"',
            'exec "$@"',
        ]
        script = "\n".join(lines)
        unshare = ["unshare", "--net", "--pid", "--fork", "--mount-proc"]
        return [*unshare, "sh", "-c", script, "namespace"]

    def requests(self, name: str) -> list[RecordedRequest]:
        """Return the requests fake *name* received in the latest namespace."""
        return read_records(self.dir / f"{name}.jsonl")

    def botocore(
        self, run: Runner, env: Mapping[str, str], *args: str
    ) -> dict[str, str]:
        """Return what botocore makes of *env* in a namespace like roleprobe's."""
        done = subprocess.run(
            [*self.prefix(), PYTHON, "-c", BOTOCORE, *args],
            env=run.environ(env),
            capture_output=True,
            timeout=60,
            check=False,
        )
        checked = run.checked(
            done.returncode, done.stdout, done.stderr, json_lines=False
        )
        assert checked.status == 0, checked.stderr
        answer: dict[str, str] = json.loads(done.stdout)
        return answer

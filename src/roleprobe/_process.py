"""credential_process and the SSO token cache, as SDKs other than botocore use them.

The process runs as the JavaScript, Go and Java SDKs run it (``sh -c``,
the application's environment), in a process group of its own with capped
output (`_children.CappedPopen`); its answer is checked as those SDKs check
it.  A failure is Refused: the SDK runs it once, then fails or goes on.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Mapping
from datetime import UTC, datetime

from roleprobe._children import CappedPopen
from roleprobe._credentials import Credentials, check_expiration, parse_time
from roleprobe._errors import InvalidAnswer, Refused
from roleprobe._files import FileProblem, read_capped


def run(command: str, environ: Mapping[str, str]) -> Credentials:
    """Run credential_process once; return its credentials or raise Refused."""
    try:
        child = CappedPopen(
            ["/bin/sh", "-c", command],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(environ),
        )
    except OSError as e:
        raise Refused(f"credential_process cannot start: {e.strerror}") from None
    out, _err = child.communicate()
    if child.returncode != 0:
        raise Refused(f"credential_process exited with status {child.returncode}")
    try:
        return parse(out)
    except InvalidAnswer as e:
        raise Refused(f"credential_process: {e}") from None


def parse(out: bytes) -> Credentials:
    """Check a credential_process answer: Version 1, keys, a future Expiration."""
    try:
        data = json.loads(out)
    except (ValueError, RecursionError):
        raise InvalidAnswer("the output is not JSON") from None
    if not isinstance(data, dict) or data.get("Version") != 1:
        raise InvalidAnswer("the output is not a Version 1 JSON object")
    key, secret = data.get("AccessKeyId"), data.get("SecretAccessKey")
    if not isinstance(key, str) or not key or not isinstance(secret, str) or not secret:
        raise InvalidAnswer("the output lacks AccessKeyId or SecretAccessKey")
    expiration = data.get("Expiration")
    if expiration is not None:
        if not isinstance(expiration, str):
            raise InvalidAnswer("Expiration is not a time")
        check_expiration(expiration)
    token = data.get("SessionToken")
    return Credentials(
        access_key_id=key,
        secret_access_key=secret,
        token=token if isinstance(token, str) and token else None,
        expiration=expiration,
        account_id=data.get("AccountId")
        if isinstance(data.get("AccountId"), str)
        else None,
    )


def check_sso_cache(cache: str, environ: Mapping[str, str]) -> None:
    """Raise Refused unless ~/.aws/sso/cache holds an unexpired token for *cache*."""
    home = environ.get("HOME") or os.path.expanduser("~")
    name = hashlib.sha1(cache.encode(), usedforsecurity=False).hexdigest()
    path = os.path.join(home, ".aws", "sso", "cache", f"{name}.json")
    try:
        token = json.loads(read_capped(path))
    except (FileProblem, ValueError, RecursionError):
        raise Refused("no cached SSO token (aws sso login)") from None
    expires = token.get("expiresAt") if isinstance(token, dict) else None
    try:
        when = parse_time(str(expires))
    except ValueError:
        raise Refused("the cached SSO token has no valid expiresAt") from None
    if when <= datetime.now(UTC):
        raise Refused("the cached SSO token has expired (aws sso login)")

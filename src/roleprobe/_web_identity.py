"""Web identity (IRSA): the token file, read as the SDK reads it.

The file is read at every attempt; missing, unreadable or empty means no
credentials, and so does a JWT whose ``exp`` has passed (checked on the
spot, without network).
"""

from __future__ import annotations

import base64
import binascii
import json
import time

from roleprobe._errors import Retryable
from roleprobe._files import FileProblem, read_capped


def check_token_file(path: str, now: float | None = None) -> None:
    """Raise Retryable when the token file gives the SDK no usable token."""
    try:
        token = read_capped(path)
    except FileProblem as e:
        raise Retryable(f"cannot read the web identity token file: {e}") from None
    if not token.strip():
        raise Retryable("the web identity token file is empty")
    expires = jwt_expiry(token.strip())
    if expires is not None and expires <= (time.time() if now is None else now):
        shown = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires))
        raise Retryable(f"the web identity token expired at {shown}")


def jwt_expiry(token: bytes) -> float | None:
    """Return a JWT's ``exp`` claim, or None when the token is no JWT or has none."""
    parts = token.split(b".")
    if len(parts) != 3:
        return None
    try:
        payload = base64.urlsafe_b64decode(parts[1] + b"=" * (-len(parts[1]) % 4))
        claims = json.loads(payload)
    except (binascii.Error, ValueError, RecursionError):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        return None
    return float(exp)

"""EC2 instance metadata, asked the way botocore asks it.

IMDSv2 first (a token from ``PUT /latest/api/token``); IMDSv1 only where
botocore falls back to it: the PUT answered 403, 404 or 405 or timed out,
and ``AWS_EC2_METADATA_V1_DISABLED`` is not true.
"""

from __future__ import annotations

from collections.abc import Mapping

from roleprobe._endpoint import Credentials, InvalidAnswer, Refused, parse_credentials
from roleprobe._http import USER_AGENT, request
from roleprobe._retry import Retryable

IPV4 = "http://169.254.169.254/"
IPV6 = "http://[fd00:ec2::254]/"
TOKEN_PATH = "latest/api/token"  # noqa: S105 - a path
ROLE_PATH = "latest/meta-data/iam/security-credentials/"
TOKEN_TTL = "21600"  # noqa: S105 - seconds
HOP_LIMIT = (
    "IMDSv2 token request timed out while metadata GETs answer: the container "
    "is more network hops away than the instance's HttpPutResponseHopLimit "
    "allows (set it to 2 for containers in bridge mode)"
)


def base_url(environ: Mapping[str, str]) -> str:
    """Return the metadata endpoint botocore would use."""
    custom = environ.get("AWS_EC2_METADATA_SERVICE_ENDPOINT")
    if custom:
        return custom if custom.endswith("/") else custom + "/"
    mode = environ.get("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ipv4").lower()
    if mode == "ipv6":
        return IPV6
    if mode != "ipv4":
        raise Refused("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE must be ipv4 or ipv6")
    return IPV4


def request_timeout(environ: Mapping[str, str]) -> float:
    """Return AWS_METADATA_SERVICE_TIMEOUT (botocore's default: 1 s)."""
    try:
        return max(0.1, float(environ.get("AWS_METADATA_SERVICE_TIMEOUT", "1")))
    except ValueError:
        return 1.0


def fetch_credentials(environ: Mapping[str, str], timeout: float) -> Credentials:
    """Ask instance metadata once for the instance role's credentials."""
    base = base_url(environ)
    per_request = min(timeout, request_timeout(environ))
    v1_disabled = environ.get("AWS_EC2_METADATA_V1_DISABLED", "").lower() == "true"
    headers = {"User-Agent": USER_AGENT}
    token, put_timed_out = _token(base, headers, per_request)
    if token is not None:
        headers["X-aws-ec2-metadata-token"] = token
    elif v1_disabled:
        if put_timed_out and _answers_gets(base, per_request):
            raise Retryable(HOP_LIMIT)
        raise Retryable("no IMDSv2 token and IMDSv1 is disabled")
    role = _get(base + ROLE_PATH, headers, per_request).decode("utf-8", "replace")
    role = role.strip().splitlines()[0] if role.strip() else ""
    if not role or "/" in role:
        raise Retryable("instance metadata names no IAM role")
    body = _get(base + ROLE_PATH + role, headers, per_request)
    try:
        return parse_credentials(body)
    except InvalidAnswer as e:
        raise Retryable(f"invalid answer: {e}") from None


def _token(
    base: str, headers: dict[str, str], timeout: float
) -> tuple[str | None, bool]:
    """Return (token or None, whether the PUT timed out)."""
    put_headers = headers | {"X-aws-ec2-metadata-token-ttl-seconds": TOKEN_TTL}
    try:
        status, body = request("PUT", base + TOKEN_PATH, put_headers, timeout)
    except Retryable as e:
        if str(e).startswith("timed out"):
            return None, True
        raise
    if status == 200 and body:
        return body.decode("ascii", "replace"), False
    if status in (403, 404, 405):
        return None, False
    raise Retryable(f"IMDSv2 token request answered HTTP {status}")


def _answers_gets(base: str, timeout: float) -> bool:
    """Tell whether the metadata service answers a plain GET at all."""
    try:
        request("GET", base + ROLE_PATH, {"User-Agent": USER_AGENT}, timeout)
    except Retryable:
        return False
    return True


def _get(url: str, headers: dict[str, str], timeout: float) -> bytes:
    """GET a metadata path; non-200 is retryable."""
    status, body = request("GET", url, headers, timeout)
    if status != 200:
        raise Retryable(f"instance metadata answered HTTP {status}")
    return body

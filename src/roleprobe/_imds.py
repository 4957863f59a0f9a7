"""EC2 instance metadata, asked the way botocore asks it.

IMDSv2 first (a token from ``PUT /latest/api/token``); IMDSv1 only where
botocore falls back to it: the PUT timed out or was answered with anything
but 200 or 400 (IMDS answers 403 when tokens are off, proxies 404 or 405),
and ``AWS_EC2_METADATA_V1_DISABLED`` is not true.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from roleprobe._credentials import Credentials, parse_answer
from roleprobe._errors import Refused, Retryable, TimedOut
from roleprobe._http import USER_AGENT, request, where
from roleprobe._rules import BOTOCORE, ImdsRules, is_off

IPV4 = "http://169.254.169.254/"
IPV6 = "http://[fd00:ec2::254]/"
TOKEN_PATH = "latest/api/token"  # noqa: S105 - a path
ROLE_PATH = "latest/meta-data/iam/security-credentials/"
TOKEN_TTL = "21600"  # noqa: S105 - seconds
TOKEN_HEADER = "X-aws-ec2-metadata-token"  # noqa: S105 - a header name
HOP_LIMIT = (
    "IMDSv2 token request timed out while metadata GETs answer: the container "
    "is more network hops away than the instance's HttpPutResponseHopLimit "
    "allows (set it to 2 for containers in bridge mode)"
)


def disabled(environ: Mapping[str, str], rules: ImdsRules = BOTOCORE.imds) -> bool:
    """Tell whether AWS_EC2_METADATA_DISABLED turns instance metadata off."""
    return is_off(environ.get("AWS_EC2_METADATA_DISABLED"), rules.off) is not False


def base_url(environ: Mapping[str, str], rules: ImdsRules = BOTOCORE.imds) -> str:
    """Return the metadata endpoint the SDK would use."""
    custom = environ.get("AWS_EC2_METADATA_SERVICE_ENDPOINT")
    if custom:
        return custom if custom.endswith("/") else custom + "/"
    mode = environ.get("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE")
    if mode is None:  # resolve_imds_endpoint_mode: then AWS_IMDS_USE_IPV6
        ipv6 = environ.get("AWS_IMDS_USE_IPV6", "").lower() == "true"
        mode = "ipv6" if ipv6 and rules.use_ipv6 else "ipv4"
    elif rules.mode_case_sensitive and mode not in ("IPv4", "IPv6"):
        raise Refused("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE must be IPv4 or IPv6")
    mode = mode.lower()
    if mode == "ipv6":
        return IPV6
    if mode != "ipv4":
        raise Refused("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE must be ipv4 or ipv6")
    return IPV4


def request_timeout(
    environ: Mapping[str, str], rules: ImdsRules = BOTOCORE.imds
) -> float:
    """Return the seconds per request: AWS_METADATA_SERVICE_TIMEOUT where read.

    botocore reads it with int(): any other value (``0.5``, say) makes its
    credential chain raise ValueError, so the application gets nothing; Java
    takes decimals too.  Go and JS never read it.
    """
    raw = environ.get("AWS_METADATA_SERVICE_TIMEOUT")
    if rules.timeout_variable is None or raw is None:
        return rules.timeout
    try:
        value = float(int(raw)) if rules.timeout_variable == "int" else float(raw)
    except ValueError:
        raise Refused(
            "AWS_METADATA_SERVICE_TIMEOUT must be a number of seconds: "
            "the SDK fails on any other value"
        ) from None
    return max(0.1, value)


def num_attempts(environ: Mapping[str, str], rules: ImdsRules = BOTOCORE.imds) -> int:
    """Return the tries per metadata path: AWS_METADATA_SERVICE_NUM_ATTEMPTS where read.

    botocore asks each metadata path that many times within one fetch.
    """
    raw = environ.get("AWS_METADATA_SERVICE_NUM_ATTEMPTS")
    if not rules.attempts_variable or raw is None:
        return rules.attempts
    try:
        return max(1, int(raw))
    except ValueError:
        raise Refused(
            "AWS_METADATA_SERVICE_NUM_ATTEMPTS must be a whole number: "
            "botocore fails on any other value"
        ) from None


def fetch(
    environ: Mapping[str, str], timeout: float, rules: ImdsRules = BOTOCORE.imds
) -> Credentials:
    """Ask instance metadata once for the instance role's credentials.

    The whole exchange fits in *timeout*: the token PUT may use at most half
    of it, so that after a PUT that times out the IMDSv1 fallback (or the
    hop-limit check) still has time to run in the same attempt.
    """
    base = base_url(environ, rules)
    limit = request_timeout(environ, rules)
    end = time.monotonic() + timeout
    v1_disabled = bool(
        is_off(environ.get("AWS_EC2_METADATA_V1_DISABLED"), rules.v1_off)
    )
    headers = {"User-Agent": USER_AGENT}
    proxies = rules.proxies
    token, put_timed_out = _token(base, headers, min(limit, timeout / 2), proxies)
    if token is not None:
        headers[TOKEN_HEADER] = token
    elif v1_disabled:
        if put_timed_out and _answers_gets(base, _left(end, limit), proxies):
            raise Retryable(HOP_LIMIT)
        raise Retryable("no IMDSv2 token and IMDSv1 is disabled")
    hop_limit = put_timed_out  # a 401 to IMDSv1 then means: IMDSv2 required
    tries = num_attempts(environ, rules)

    def get(url: str) -> bytes:
        """GET a path as botocore's _get_request does: up to *tries* times."""
        for _ in range(tries - 1):
            try:
                return _get(url, headers, _left(end, limit), hop_limit, proxies)
            except TimedOut:
                raise
            except Retryable as e:
                if str(e) == HOP_LIMIT:
                    raise
        return _get(url, headers, _left(end, limit), hop_limit, proxies)

    role = get(base + ROLE_PATH)
    text = role.decode("utf-8", "replace").strip()
    name = text.splitlines()[0].strip() if text else ""
    if not name or "/" in name:
        raise Retryable("instance metadata names no IAM role")
    return parse_answer(get(base + ROLE_PATH + name))


def _left(end: float, limit: float) -> float:
    """Return the timeout of the next request: *limit*, or less near *end*."""
    left = end - time.monotonic()
    if left <= 0:
        raise Retryable("instance metadata: out of time for this attempt")
    return min(limit, left)


def _token(
    base: str, headers: dict[str, str], timeout: float, proxies: bool
) -> tuple[str | None, bool]:
    """Return (token or None, whether the PUT timed out), as botocore decides."""
    put_headers = headers | {"X-aws-ec2-metadata-token-ttl-seconds": TOKEN_TTL}
    try:
        answer = request(
            "PUT", base + TOKEN_PATH, put_headers, timeout, proxies=proxies
        )
    except TimedOut:
        return None, True
    if answer.status == 200 and answer.body:
        return answer.body.decode("ascii", "replace"), False
    if answer.status == 400:  # botocore gives up: BadIMDSRequestError
        raise Retryable("IMDSv2 token request answered HTTP 400")
    return None, False


def _answers_gets(base: str, timeout: float, proxies: bool) -> bool:
    """Tell whether the metadata service answers a plain GET at all."""
    try:
        request(
            "GET",
            base + ROLE_PATH,
            {"User-Agent": USER_AGENT},
            timeout,
            proxies=proxies,
        )
    except Retryable:
        return False
    return True


def _get(
    url: str, headers: dict[str, str], timeout: float, hop_limit: bool, proxies: bool
) -> bytes:
    """GET a metadata path; non-200 is retryable."""
    answer = request("GET", url, headers, timeout, proxies=proxies)
    if answer.status == 401 and hop_limit:
        raise Retryable(HOP_LIMIT)
    if answer.status != 200:
        raise Retryable(f"{where(url)} answered HTTP {answer.status}")
    return answer.body

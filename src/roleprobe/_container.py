"""The container credentials endpoint (ECS agent, EKS Pod Identity agent).

Its variables, botocore's rules for them (``ContainerProvider`` and
``ContainerMetadataFetcher``), and one request to it.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from roleprobe._credentials import Credentials, parse_answer
from roleprobe._errors import Refused, Retryable, known_code
from roleprobe._files import FileProblem, read_capped
from roleprobe._http import USER_AGENT, request, where

ECS_HOST = "169.254.170.2"
ALLOWED_HOSTS = ("169.254.170.2", "169.254.170.23", "fd00:ec2::23", "localhost")

RELATIVE_URI = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
FULL_URI = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
TOKEN = "AWS_CONTAINER_AUTHORIZATION_TOKEN"  # noqa: S105 - a name
TOKEN_FILE = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"  # noqa: S105


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A credentials endpoint to ask; ``url`` may carry a secret task id."""

    url: str = field(repr=False)
    host: str
    token: str | None = field(default=None, repr=False)
    token_file: str | None = None


def configured(environ: Mapping[str, str]) -> str | None:
    """Return the URI variable botocore would use (present, even empty), or None."""
    return next((v for v in (RELATIVE_URI, FULL_URI) if v in environ), None)


def secrets(environ: Mapping[str, str]) -> list[str]:
    """Return the values of the container variables that must never be logged."""
    values = [environ[k] for k in (RELATIVE_URI, TOKEN) if environ.get(k)]
    full = environ.get(FULL_URI, "")
    if "://" in full:
        rest = full.split("://", 1)[1]
        if "/" in rest:
            values.append("/" + rest.split("/", 1)[1])
    return values


def endpoint(environ: Mapping[str, str]) -> Endpoint | None:
    """Return the container endpoint botocore would ask, or None if unset."""
    if RELATIVE_URI in environ:
        relative = environ[RELATIVE_URI]
        if not relative.startswith("/"):
            raise Refused(f"{RELATIVE_URI} must start with '/'")
        url, host = f"http://{ECS_HOST}{relative}", ECS_HOST
    elif FULL_URI in environ:
        url = environ[FULL_URI]
        host = _check_full_uri(url)
    else:
        return None
    return Endpoint(
        url=url,
        host=host,
        token=environ.get(TOKEN),
        token_file=environ.get(TOKEN_FILE),
    )


def _check_full_uri(url: str) -> str:
    """Return the full URI's host if botocore would connect to it."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise Refused(f"{FULL_URI} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not host:
        raise Refused(f"{FULL_URI} must be an http or https URL with a host")
    if parts.scheme == "https" or _is_loopback(host) or host in ALLOWED_HOSTS:
        return host
    raise Refused(
        f"{FULL_URI} host {host!r} is not allowed over http: only loopback "
        f"addresses and {', '.join(ALLOWED_HOSTS)} (or any host over https)"
    )


def _is_loopback(host: str) -> bool:
    """Tell whether *host* is a literal loopback address, as botocore does."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_token(token: str, where: str = TOKEN) -> str:
    """Return *token* if it can be a header value, as botocore checks it."""
    if "\r" not in token and "\n" not in token:
        return token
    if token.endswith("\n") and "\r" not in token and "\n" not in token[:-1]:
        raise Refused(
            f"the authorization token in {where} ends in a newline, which "
            "botocore refuses as a header value (written with echo? use "
            "printf '%s' or echo -n)"
        )
    raise Refused(
        f"the authorization token in {where} contains a CR or LF character, "
        "which botocore refuses as a header value"
    )


def read_token(ep: Endpoint) -> str | None:
    """Return the authorization token, the file re-read at every attempt."""
    if ep.token_file is not None:
        try:
            data = read_capped(ep.token_file)
            token = data.decode("utf-8")
        except FileProblem as e:
            raise Retryable(f"cannot read {TOKEN_FILE}: {e}") from None
        except UnicodeDecodeError:
            raise Retryable(f"cannot read {TOKEN_FILE}: not UTF-8 text") from None
        return check_token(token, TOKEN_FILE)
    if ep.token is not None:
        return check_token(ep.token)
    return None


_TOKEN_HINT = f": the agent refused the authorization token ({TOKEN_FILE} or {TOKEN})"


def fetch(ep: Endpoint, timeout: float) -> Credentials:
    """Ask *ep* once; raise Retryable (or Refused) on failure."""
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
    token = read_token(ep)
    if token is not None:
        headers["Authorization"] = token
    answer = request("GET", ep.url, headers, timeout)
    if answer.status != 200:
        code = error_code(answer.body)
        reason = f"{where(ep.url)} answered HTTP {answer.status}"
        reason += f" {code}" if code else ""
        reason += _TOKEN_HINT if answer.status in (401, 403) else ""
        raise Retryable(reason)
    return parse_answer(answer.body)


def error_code(body: bytes) -> str | None:
    """Return a known agent error code from an error body, never other text."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return (
        known_code(data.get("code", data.get("Code")))
        if isinstance(data, dict)
        else None
    )

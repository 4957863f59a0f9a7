"""The container credentials endpoint (ECS agent, EKS Pod Identity agent).

Its variables, botocore's rules for them (``ContainerProvider`` and
``ContainerMetadataFetcher``), and one request to it.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from roleprobe._credentials import Credentials, parse_answer
from roleprobe._errors import Refused, Retryable, known_code
from roleprobe._files import FileProblem, read_capped
from roleprobe._http import USER_AGENT, request, where
from roleprobe._rules import BOTOCORE, ContainerRules

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
    proxies: bool = False  # Go asks it through HTTP_PROXY and the like


def configured(
    environ: Mapping[str, str], rules: ContainerRules = BOTOCORE.container
) -> str | None:
    """Return the URI variable the SDK would use, or None.

    botocore and Java test for presence (an empty value counts); Go and JS
    for a non-empty value.
    """
    for variable in (RELATIVE_URI, FULL_URI):
        if variable in environ and (environ[variable] or not rules.empty_is_unset):
            return variable
    return None


def metadata_allowed(environ: Mapping[str, str]) -> bool:
    """JS fromContainerMetadata: a relative URI, or a full one to exactly localhost."""
    if environ.get(RELATIVE_URI):
        return True
    try:
        parts = urlsplit(environ.get(FULL_URI, ""))
    except ValueError:
        return False
    return parts.hostname in ("localhost", "127.0.0.1")


def secrets(environ: Mapping[str, str]) -> list[str]:
    """Return the values of the container variables that must never be logged."""
    values = [environ[k] for k in (RELATIVE_URI, TOKEN) if environ.get(k)]
    full = environ.get(FULL_URI, "")
    if "://" in full:
        rest = full.split("://", 1)[1]
        if "/" in rest:
            values.append("/" + rest.split("/", 1)[1])
    return values


def endpoint(
    environ: Mapping[str, str],
    rules: ContainerRules = BOTOCORE.container,
    *,
    metadata: bool = False,
) -> Endpoint | None:
    """Return the container endpoint the SDK would ask, or None if unset.

    *metadata*: JS's second try (fromContainerMetadata), which sends only the
    token variable.
    """
    variable = configured(environ, rules)
    if variable == RELATIVE_URI:
        relative = environ[RELATIVE_URI]
        if rules.hosts == "botocore" and not relative.startswith("/"):
            raise Refused(f"{RELATIVE_URI} must start with '/'")
        url = f"http://{ECS_HOST}{relative}"
        host = _check_java(url, environ) if rules.hosts == "java" else ECS_HOST
    elif variable == FULL_URI:
        url = environ[FULL_URI]
        host = _HOST_RULES[rules.hosts](url, environ)
    else:
        return None
    token, token_file = _token_setting(environ, rules)
    if metadata:
        token, token_file = environ.get(TOKEN) or None, None
    return Endpoint(url, host, token, token_file, rules.proxies)


def _token_setting(
    environ: Mapping[str, str], rules: ContainerRules
) -> tuple[str | None, str | None]:
    """Return (token variable, token file) as the SDK picks them."""
    token, token_file = environ.get(TOKEN), environ.get(TOKEN_FILE)
    if rules.hosts == "botocore":
        return token, token_file
    if not rules.token_file_wins and token is not None:
        return (token if token.strip() else None), None  # Java: the variable wins
    return (token or None), (token_file or None)


def _check_full_uri(url: str, environ: Mapping[str, str] | None = None) -> str:
    """Return the full URI's host if botocore would connect to it."""
    del environ
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


def _split(url: str) -> tuple[str, str]:
    """Return (scheme as written, host) of a URL; Refused when it has none."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise Refused(f"{FULL_URI} is not a valid URL") from None
    if not host:
        raise Refused(f"{FULL_URI} must be a URL with a host")
    scheme = url.split(":", 1)[0]
    return scheme, host


_JS_HOSTS = ("169.254.170.2", "169.254.170.23", "fd00:ec2::23", "localhost")
_DOTTED_127 = re.compile(r"127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})")


def _check_js(url: str, environ: Mapping[str, str]) -> str:
    """credential-provider-http checkUrl: literal host strings only, no DNS."""
    del environ
    scheme, host = _split(url)
    if scheme.lower() == "https":
        return host
    dotted = _DOTTED_127.fullmatch(host)
    if (
        host in _JS_HOSTS
        or (dotted is not None and all(int(p) <= 255 for p in dotted.groups()))
        or _literal(host) == ipaddress.ip_address("::1")
    ):
        return host
    raise Refused(_refusal(host, "the JavaScript SDK's literal hosts"))


_AGENTS = tuple(ipaddress.ip_address(a) for a in ALLOWED_HOSTS[:3])


def _check_go(url: str, environ: Mapping[str, str]) -> str:
    """resolveLocalHTTPCredProvider: http hosts must resolve to allowed addresses."""
    del environ
    scheme, host = _split(url)
    if scheme.lower() != "http":
        return host  # only http is checked (go.md G11)
    addresses = resolve_host(host)
    if addresses and all(a.is_loopback or a in _AGENTS for a in addresses):
        return host
    raise Refused(_refusal(host, "addresses that are all loopback or AWS agents"))


def _check_java(url: str, environ: Mapping[str, str]) -> str:
    """ContainerCredentialsEndpointProvider.validateURI (java.md J10)."""
    scheme, host = _split(url)
    if scheme == "https":  # Objects.equals: case-sensitive
        return host
    mode = environ.get("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "")
    ipv6 = mode.lower() == "ipv6"
    if (host in ("169.254.170.2", "169.254.170.23") and not ipv6) or (
        host == "fd00:ec2::23" and ipv6
    ):
        return host
    addresses = resolve_host(host)
    if addresses and all(a.is_loopback for a in addresses):
        return host
    raise Refused(_refusal(host, "loopback names or the agents of the endpoint mode"))


def _refusal(host: str, allowed: str) -> str:
    """Word a refused container host."""
    return f"{FULL_URI} host {host!r} is not allowed over http: only {allowed}"


def _literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Return *host* as an address if it is one."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def resolve_host(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Return every address *host* resolves to (/etc/hosts, then DNS); [] if none.

    Runs inside an attempt, which bounds it in time.
    """
    literal = _literal(host)
    if literal is not None:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    found = (_literal(str(info[4][0]).split("%", 1)[0]) for info in infos)
    return [a for a in found if a is not None]


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


_HOST_RULES: dict[str, Callable[[str, Mapping[str, str]], str]] = {
    "botocore": _check_full_uri,
    "js": _check_js,
    "go": _check_go,
    "java": _check_java,
}

_TOKEN_HINT = f": the agent refused the authorization token ({TOKEN_FILE} or {TOKEN})"


def fetch(ep: Endpoint, timeout: float) -> Credentials:
    """Ask *ep* once; raise Retryable (or Refused) on failure."""
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
    token = read_token(ep)
    if token is not None:
        headers["Authorization"] = token
    answer = request("GET", ep.url, headers, timeout, proxies=ep.proxies)
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

"""Which hosts the container endpoint may be over http, by each SDK's rule.

botocore and JavaScript compare the URI's host with literal names; Go and
Java resolve it (``/etc/hosts``, then DNS) and check every address.  A
refused host raises Refused, before any connection.  A lookup runs inside
an attempt, which bounds it in time.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from roleprobe._errors import Refused
from roleprobe._rules import HostRule

FULL_URI = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
ALLOWED_HOSTS = ("169.254.170.2", "169.254.170.23", "fd00:ec2::23", "localhost")
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def check(rule: HostRule, url: str, environ: Mapping[str, str]) -> str:
    """Return the URL's host if the SDK would connect to it; else raise Refused."""
    return _HOST_RULES[rule](url, environ)


def _check_full_uri(url: str, environ: Mapping[str, str] | None = None) -> str:
    """Return the full URI's host if botocore would connect to it."""
    del environ
    scheme, host = _split(url)
    scheme = scheme.lower()  # URI schemes are case-insensitive
    if scheme not in ("http", "https"):
        raise Refused(f"{FULL_URI} must be an http or https URL with a host")
    if scheme == "https" or is_loopback(host) or host in ALLOWED_HOSTS:
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
        raise Refused(f"{FULL_URI} must be an http or https URL with a host")
    scheme = url.split(":", 1)[0]
    return scheme, host


def _check_js(url: str, environ: Mapping[str, str]) -> str:
    """credential-provider-http checkUrl: literal host strings only, no DNS."""
    del environ
    scheme, host = _split(url)
    if scheme.lower() == "https":
        return host
    # JS's literal names are botocore's, plus 127.x.y.z and [::1] as written
    if host in ALLOWED_HOSTS or _dotted_127(host) or _literal(host) == _IPV6_LOOPBACK:
        return host
    raise Refused(_refusal(host, "the JavaScript SDK's literal hosts"))


_AGENTS = tuple(ipaddress.ip_address(a) for a in ALLOWED_HOSTS[:3])


def _dotted_127(host: str) -> bool:
    """Tell whether *host* is 127.a.b.c, each part 0-255 in 1-3 digits (JS)."""
    parts = host.split(".")
    return (
        len(parts) == 4
        and parts[0] == "127"
        and all(p.isascii() and p.isdigit() and len(p) <= 3 for p in parts)
        and all(int(p) <= 255 for p in parts)
    )


_IPV6_LOOPBACK = ipaddress.ip_address("::1")


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


def _literal(host: str) -> Address | None:
    """Return *host* as an address if it is one."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def resolve_host(host: str) -> list[Address]:
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


def is_loopback(host: str) -> bool:
    """Tell whether *host* is a literal loopback address, as botocore does."""
    literal = _literal(host)
    return literal is not None and literal.is_loopback


_HOST_RULES: dict[HostRule, Callable[[str, Mapping[str, str]], str]] = {
    "botocore": _check_full_uri,
    "js": _check_js,
    "go": _check_go,
    "java": _check_java,
}

"""The container credentials endpoint (ECS agent, EKS Pod Identity agent).

Its variables, botocore's rules for them (``ContainerProvider`` and
``ContainerMetadataFetcher``), and one request to it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import NamedTuple
from urllib.parse import urlsplit

from roleprobe import _hosts
from roleprobe._credentials import Credentials, parse_answer
from roleprobe._errors import Refused, Retryable, known_code
from roleprobe._files import FileProblem, read_capped
from roleprobe._http import USER_AGENT, request, where
from roleprobe._rules import BOTOCORE, ContainerRules

ECS_HOST = "169.254.170.2"

RELATIVE_URI = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
FULL_URI = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
TOKEN = "AWS_CONTAINER_AUTHORIZATION_TOKEN"  # noqa: S105 - a name
TOKEN_FILE = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"  # noqa: S105


class Endpoint(NamedTuple):
    """A credentials endpoint to ask; ``url`` may carry a secret task id."""

    url: str
    host: str
    token: str | None = None
    token_file: str | None = None
    proxies: bool = False  # Go asks it through HTTP_PROXY and the like

    def __repr__(self) -> str:
        """Show no URL path and no token: they may be secrets."""
        return f"Endpoint(host={self.host!r}, token_file={self.token_file!r})"


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
        host = _hosts.check("java", url, environ) if rules.hosts == "java" else ECS_HOST
    elif variable == FULL_URI:
        url = environ[FULL_URI]
        host = _hosts.check(rules.hosts, url, environ)
    else:
        return None
    token, token_file = _token_setting(environ, rules)
    if metadata:
        token, token_file = environ.get(TOKEN) or None, None
    # Go's ProxyFromEnvironment never proxies loopback hosts or localhost.
    proxies = rules.proxies and not (host == "localhost" or _hosts.is_loopback(host))
    return Endpoint(url, host, token, token_file, proxies)


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

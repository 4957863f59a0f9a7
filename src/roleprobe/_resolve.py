"""Find the credentials the application will use, and whose they are.

The I/O half of roleprobe: the chain decides the source from files and
variables (no network); this module then asks that one source, and STS only
when the source does not tell its role and ROLEPROBE_VERIFY allows it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import partial
from typing import TypeVar

from roleprobe import _chain, _endpoint, _http
from roleprobe._endpoint import Credentials, Refused
from roleprobe._log import Logger, Redactor
from roleprobe._retry import Deadline, GaveUp, Policy, retry
from roleprobe._settings import Settings
from roleprobe._sts import caller_identity
from roleprobe._verdict import Resolution

T = TypeVar("T")

_SENSITIVE_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    _endpoint.RELATIVE_URI,
)


class _Failed(Exception):
    """Credentials could not be had; the message is a loggable reason."""


def resolve(
    environ: Mapping[str, str], settings: Settings, log: Logger, redactor: Redactor
) -> Resolution:
    """Return what the application's credentials are and whose they are."""
    redactor.add(_sensitive_values(environ))
    deadline = Deadline(settings.deadline)
    policy = Policy(settings.attempts, settings.timeout, deadline)
    chain = _chain.resolve(environ, _chain.load_files(environ))
    source = chain.winner
    hidden = _chain.shadowed(chain)
    base = Resolution(
        source=source, found=False, shadowed=hidden, links=_links(chain, hidden)
    )
    if chain.error is not None:
        return _replace(base, reason=chain.error)
    if source == "none":
        return _replace(base, reason="no credentials source is configured")

    runner = _Runner(policy, log)
    try:
        credentials = _credentials(source, environ, settings, runner)
    except _Failed as e:
        return _replace(
            base,
            reason=str(e),
            attempts=runner.attempts,
            elapsed_ms=deadline.elapsed_ms(),
        )
    if credentials is not None:
        redactor.add(credentials.secrets())

    role_arn = (credentials.role_arn if credentials else None) or chain.role_arn
    told_by = "endpoint" if credentials and credentials.role_arn else "configuration"
    identity_arn, account, reason = role_arn, None, None
    verified_by = told_by if role_arn else None
    if settings.verify == "always" or (settings.verify == "auto" and not role_arn):
        try:
            if credentials is None:
                credentials = runner.run(_sdk_credentials)
                redactor.add(credentials.secrets())
            identity = runner.run(partial(caller_identity, credentials))
            identity_arn, account, verified_by = identity.arn, identity.account, "sts"
        except _Failed as e:
            identity_arn, verified_by, reason = None, None, str(e)
    elif not role_arn:
        reason = f"{source} does not tell its role and ROLEPROBE_VERIFY=never"
    if role_arn is None and identity_arn is not None and _is_role(identity_arn):
        role_arn = identity_arn
    return _replace(
        base,
        found=True,
        role_arn=role_arn,
        identity_arn=identity_arn,
        account_id=account or (credentials.account_id if credentials else None),
        expiration=credentials.expiration if credentials else None,
        verified_by=verified_by,
        attempts=runner.attempts,
        elapsed_ms=deadline.elapsed_ms(),
        reason=reason,
    )


class _Runner:
    """Run attempts under the retry policy, counting them all."""

    def __init__(self, policy: Policy, log: Logger) -> None:
        self._policy = policy
        self._log = log
        self.attempts = 0

    def run(self, fn: Callable[[float], T]) -> T:
        """Return fn(timeout), retried; raise _Failed with the last reason."""
        try:
            result, tries = retry(fn, self._policy, self._on_retry)
        except GaveUp as e:
            self.attempts += e.tries
            raise _Failed(e.reason) from None
        except Refused as e:
            self.attempts += 1
            raise _Failed(str(e)) from None
        self.attempts += tries
        return result

    def _on_retry(self, number: int, wait_s: float, reason: str) -> None:
        """Log one probe_retry event per retry."""
        self._log.warning("probe_retry", attempt=number, wait_s=wait_s, reason=reason)


def _credentials(
    source: str, environ: Mapping[str, str], settings: Settings, runner: _Runner
) -> Credentials | None:
    """Return the source's credentials, or None when they are not needed yet."""
    if source == "container-role":
        try:
            endpoint = _endpoint.container_endpoint(environ)
        except Refused as e:
            raise _Failed(str(e)) from None
        assert endpoint is not None
        return runner.run(partial(_http.fetch_credentials, endpoint))
    if source == "iam-role":
        from roleprobe import _imds  # noqa: PLC0415

        return runner.run(partial(_imds.fetch_credentials, environ))
    if source == "env":
        return Credentials(
            access_key_id=environ["AWS_ACCESS_KEY_ID"],
            secret_access_key=environ["AWS_SECRET_ACCESS_KEY"],
            token=environ.get("AWS_SECURITY_TOKEN") or environ.get("AWS_SESSION_TOKEN"),
        )
    if source == "assume-role-with-web-identity" and settings.verify != "always":
        return None  # the role is named in the configuration
    return runner.run(_sdk_credentials)


def _sdk_credentials(timeout: float) -> Credentials:
    """Return the credentials botocore itself resolves (files, processes, STS)."""
    from roleprobe._sdk import sdk_credentials  # noqa: PLC0415

    return sdk_credentials(timeout)


def _links(
    chain: _chain.Chain, hidden: tuple[str, ...]
) -> tuple[tuple[str, str, str], ...]:
    """Return each link of the chain with its state, for people."""

    def state(link: _chain.Link) -> str:
        if link.source == chain.winner:
            return "winner"
        if link.source in hidden:
            return "shadowed"
        return "present" if link.configured else "not configured"

    return tuple((link.source, state(link), link.detail) for link in chain.links)


def _is_role(arn: str) -> bool:
    """Tell whether an identity ARN is a role or an assumed role."""
    return ":role/" in arn or ":assumed-role/" in arn


def _sensitive_values(environ: Mapping[str, str]) -> list[str]:
    """Return the variable values that must never reach the log."""
    values = [environ[k] for k in _SENSITIVE_VARIABLES if environ.get(k)]
    full = environ.get(_endpoint.FULL_URI, "")
    if "://" in full:
        rest = full.split("://", 1)[1]
        if "/" in rest:
            values.append("/" + rest.split("/", 1)[1])
    return values


def _replace(base: Resolution, **changes: object) -> Resolution:
    """Return *base* with some fields changed."""
    return replace(base, **changes)  # type: ignore[arg-type]

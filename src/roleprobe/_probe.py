"""Ask the source the chain picked, then the ones the SDK falls back to; STS when it must.

The I/O half's centre: the chain decides the source from files and variables
(no network), with the sources the SDK would try next when it fails at run
time; `_fetch` asks each in turn; STS is asked only when the source does not
tell its role and ROLEPROBE_VERIFY allows it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import NamedTuple, TypeVar

from roleprobe import _chain, _container, _files
from roleprobe._credentials import Credentials
from roleprobe._detect import Sdk
from roleprobe._errors import GaveUp, Refused
from roleprobe._fetch import Job, fetch, sdk_credentials
from roleprobe._links import Step
from roleprobe._log import Logger, Redactor
from roleprobe._retry import Deadline, Policy, RetryDetails, retry
from roleprobe._rules import RULES
from roleprobe._settings import Settings
from roleprobe._verdict import LinkState, LinkView, Resolution

T = TypeVar("T")

_SENSITIVE_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ACCESS_KEY",  # Go's older names
    "AWS_SECRET_KEY",
)


class _Runner:
    """Run attempts under the retry policy, counting them all."""

    def __init__(self, policy: Policy, log: Logger) -> None:
        self._policy = policy
        self._log = log
        self.attempts = 0

    def run(self, fn: Callable[[float], T], *, once: bool = False) -> T:
        """Return fn(timeout), retried unless *once*; raise GaveUp with the last reason."""
        policy = self._policy._replace(attempts=1) if once else self._policy
        try:
            result, tries = retry(fn, policy, self._on_retry)
        except GaveUp as e:
            self.attempts += e.tries
            raise
        except Refused as e:
            self.attempts += 1
            raise GaveUp(str(e), 1) from None
        self.attempts += tries
        return result

    def _on_retry(self, details: RetryDetails) -> None:
        """Log one probe_retry event per retry."""
        self._log.warning(
            "probe_retry",
            attempt=details.attempt,
            wait_s=round(details.wait_s, 3),
            reason=details.reason,
        )


class _Identity(NamedTuple):
    """Whose the credentials are, as far as it was found out."""

    role_arn: str | None = None
    identity_arn: str | None = None
    account_id: str | None = None
    expiration: str | None = None
    verified_by: str | None = None
    unknown: str | None = None


def probe(
    environ: Mapping[str, str],
    settings: Settings,
    log: Logger,
    redactor: Redactor,
    sdk: Sdk = "python",
) -> Resolution:
    """Return what the application's credentials are and whose they are."""
    redactor.add(_sensitive_values(environ))
    deadline = Deadline(settings.deadline)
    runner = _Runner(Policy(settings.attempts, settings.timeout, deadline), log)
    chain = _chain.walk(environ, _files.load(environ), sdk)
    hidden = _chain.shadowed(chain)
    failure = chain.error
    if failure is None and chain.winner == "none":
        failure = "no credentials source is configured"
    identity = _Identity()
    source = chain.winner
    if failure is None:
        job = Job(environ, settings, runner, redactor, RULES[sdk])
        for step in _steps(chain):
            source = step.source
            try:
                credentials = fetch(job, step)
            except (GaveUp, Refused) as e:
                failure = str(e)  # the SDK goes on to the next step, if any
                continue
            failure = None
            identity = _identify(job, step, credentials)
            break
    return Resolution(
        source=source,
        failure=failure,
        role_arn=identity.role_arn,
        identity_arn=identity.identity_arn,
        account_id=identity.account_id,
        expiration=identity.expiration,
        verified_by=identity.verified_by,
        identity_unknown=identity.unknown,
        attempts=runner.attempts,
        elapsed_ms=deadline.elapsed_ms(),
        shadowed=hidden,
        links=_links(chain, hidden, source, failed=failure is not None),
    )


def _steps(chain: _chain.Chain) -> tuple[Step, ...]:
    """Return the winner's step and the SDK's fall-backs (botocore: the winner)."""
    if chain.steps:
        return chain.steps
    return (Step(chain.winner, chain.role_arn, token_file=chain.token_file),)  # type: ignore[arg-type]


def _caller_arn(credentials: Credentials, timeout: float) -> tuple[str, str | None]:
    """Return (ARN, account) of *credentials* from STS GetCallerIdentity."""
    from roleprobe._botocore import caller_identity  # noqa: PLC0415

    identity = caller_identity(credentials, timeout)
    return identity.arn, identity.account


# --- whose they are ---------------------------------------------------------


def _identify(job: Job, step: Step, credentials: Credentials | None) -> _Identity:
    """Find out whose the credentials are: from the source, or from STS."""
    told = credentials.role_arn if credentials else None
    role_arn = told or step.role_arn
    verify = job.settings.verify
    base = _Identity(
        role_arn=role_arn,
        identity_arn=role_arn,
        account_id=credentials.account_id if credentials else None,
        expiration=credentials.expiration if credentials else None,
        verified_by=("endpoint" if told else "configuration") if role_arn else None,
    )
    if not (verify == "always" or (verify == "auto" and not role_arn)):
        if role_arn:
            return base
        unknown = f"{step.source} does not tell its role and ROLEPROBE_VERIFY=never"
        return _Identity(
            account_id=base.account_id, expiration=base.expiration, unknown=unknown
        )
    try:
        if credentials is None:
            credentials = job.got(job.runner.run(sdk_credentials))
        arn, account = job.runner.run(partial(_caller_arn, credentials))
    except (GaveUp, Refused) as e:
        return _Identity(
            role_arn=role_arn,
            account_id=base.account_id,
            expiration=base.expiration,
            unknown=str(e),
        )
    return _Identity(
        role_arn=role_arn or (arn if _is_role(arn) else None),
        identity_arn=arn,
        account_id=account or base.account_id,
        expiration=base.expiration,
        verified_by="sts",
    )


def _is_role(arn: str) -> bool:
    """Tell whether an identity ARN is a role or an assumed role."""
    return ":role/" in arn or ":assumed-role/" in arn


def _links(
    chain: _chain.Chain, hidden: tuple[str, ...], source: str, *, failed: bool
) -> tuple[LinkView, ...]:
    """Return each link of the chain with its state, for people."""

    def state(link: _chain.Link) -> LinkState:
        if link.source == source:
            return "winner, failed" if failed else "winner"
        if link.source in hidden:
            return "shadowed"
        return "present" if link.configured else "not configured"

    return tuple(
        LinkView(link.source, state(link), link.detail) for link in chain.links
    )


def _sensitive_values(environ: Mapping[str, str]) -> list[str]:
    """Return the variable values that must never reach the log."""
    values = [environ[k] for k in _SENSITIVE_VARIABLES if environ.get(k)]
    return values + _container.secrets(environ)

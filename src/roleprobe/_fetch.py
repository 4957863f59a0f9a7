"""One fetcher per source: how roleprobe asks the source the chain picked.

A table maps each source to its fetcher.  For botocore, files, profiles and
processes are left to botocore itself; for the other SDKs roleprobe takes the
keys from the exact place that SDK takes them (carried in the `Step`), runs
credential_process itself, and lets the configuration name an assumed role.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, NamedTuple, Protocol, TypeVar

from roleprobe import _container, _imds
from roleprobe._credentials import Credentials
from roleprobe._errors import Refused
from roleprobe._links import Step
from roleprobe._log import Redactor
from roleprobe._rules import Rules
from roleprobe._settings import Settings
from roleprobe._web_identity import check_token_file

T = TypeVar("T")


if TYPE_CHECKING:

    class Runner(Protocol):
        """Runs one attempt function under the retry policy."""

        def run(self, fn: Callable[[float], T], *, once: bool = False) -> T:
            """Return fn(timeout), retried unless *once*."""
            ...


class Job(NamedTuple):
    """What every fetcher may use."""

    environ: Mapping[str, str]
    settings: Settings
    runner: Runner
    redactor: Redactor
    rules: Rules

    def got(self, credentials: Credentials) -> Credentials:
        """Remember *credentials*' secrets for redaction, and return them."""
        self.redactor.add(credentials.secrets())
        return credentials


def fetch(job: Job, step: Step) -> Credentials | None:
    """Ask the source of *step*; None when only its configuration is known."""
    return _FETCHERS.get(step.source, _from_sdk)(job, step)


def _from_container(job: Job, step: Step) -> Credentials | None:
    """Ask the container endpoint (ECS agent or EKS Pod Identity agent)."""
    rules = job.rules.container
    once = step.metadata_retry  # JS fromContainerMetadata: one attempt

    def endpoint() -> _container.Endpoint:
        ep = _container.endpoint(job.environ, rules, metadata=once)
        if ep is None:  # pragma: no cover - the chain picked it because it is set
            raise Refused("no container credentials URI is set")
        return ep

    if rules.hosts in ("go", "java"):  # a DNS lookup: within the bounded attempt
        return job.got(
            job.runner.run(lambda t: _container.fetch(endpoint(), t), once=once)
        )
    ep = endpoint()
    return job.got(job.runner.run(partial(_container.fetch, ep), once=once))


def _from_imds(job: Job, step: Step) -> Credentials | None:
    """Ask instance metadata, with the SDK's own settings."""
    del step
    fetch_imds = partial(_imds.fetch, job.environ, rules=job.rules.imds)
    return job.got(job.runner.run(fetch_imds))


def _from_keys(job: Job, step: Step) -> Credentials | None:
    """Take static keys as they are: from the step, or botocore's environment."""
    if step.keys is not None:
        return job.got(step.keys)
    if step.source != "env":
        return _from_sdk(job, step)
    environ = job.environ
    return Credentials(
        access_key_id=environ["AWS_ACCESS_KEY_ID"],
        secret_access_key=environ["AWS_SECRET_ACCESS_KEY"],
        token=environ.get("AWS_SECURITY_TOKEN") or environ.get("AWS_SESSION_TOKEN"),
    )


def _from_process(job: Job, step: Step) -> Credentials | None:
    """Run credential_process as the SDK runs it (botocore: by botocore)."""
    if step.process is None:
        return _from_sdk(job, step)
    from roleprobe import _process  # noqa: PLC0415 - starts processes: lazily

    command = step.process
    return job.got(job.runner.run(lambda _timeout: _process.run(command, job.environ)))


def _from_web_identity(job: Job, step: Step) -> Credentials | None:
    """Check the token as the SDK reads it; credentials only to verify the role.

    The role is named in the configuration (AWS_ROLE_ARN or the profile).
    """
    token_file = step.token_file
    if token_file is not None:
        job.runner.run(lambda _timeout: check_token_file(token_file))
    return _from_sdk(job, step) if job.settings.verify == "always" else None


def _from_assume_role(job: Job, step: Step) -> Credentials | None:
    """The role is the configuration's; its base is asked, STS only when verifying.

    ``ROLEPROBE_VERIFY=never`` makes no call to STS of any kind, AssumeRole
    included.  For botocore in ``auto`` botocore assumes the role itself.
    """
    if job.settings.verify == "always" or (
        job.rules.sdk == "python" and job.settings.verify == "auto"
    ):
        return _from_sdk(job, step)
    if step.base is not None and step.base.source != "assume-role":
        fetch(job, step.base)  # the base must work for the role to
    elif step.base is not None:
        _from_assume_role(job, step.base)
    return None


def _from_sso(job: Job, step: Step) -> Credentials | None:
    """SSO: the SDK needs a cached token; then botocore fetches the credentials."""
    if step.sso_cache is not None:
        from roleprobe import _process  # noqa: PLC0415

        cache = step.sso_cache
        job.runner.run(lambda _timeout: _process.check_sso_cache(cache, job.environ))
    return _from_sdk(job, step)


def _from_sdk(job: Job, step: Step) -> Credentials | None:
    """Let botocore itself resolve the credentials (files, processes, STS)."""
    del step
    return job.got(job.runner.run(sdk_credentials))


def sdk_credentials(timeout: float) -> Credentials:
    """Return the credentials botocore resolves (imported only when needed)."""
    from roleprobe._botocore import sdk_credentials  # noqa: PLC0415

    return sdk_credentials(timeout)


_FETCHERS: dict[str, Callable[[Job, Step], Credentials | None]] = {
    "container-role": _from_container,
    "iam-role": _from_imds,
    "env": _from_keys,
    "shared-credentials-file": _from_keys,
    "config-file": _from_keys,
    "custom-process": _from_process,
    "assume-role": _from_assume_role,
    "assume-role-with-web-identity": _from_web_identity,
    "sso": _from_sso,
}

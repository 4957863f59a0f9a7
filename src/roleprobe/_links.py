"""The links of botocore's chain outside profiles, and what every link is.

Pure: each function decides from the environment and the files whether
botocore's provider would stop at its link, and with which error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from roleprobe import _container, _imds
from roleprobe._credentials import Credentials, Source
from roleprobe._files import Files, Sections
from roleprobe._rules import Failure

ACCESS_KEY = "aws_access_key_id"
SECRET_KEY = "aws_secret_access_key"  # noqa: S105 (a setting name)


class Link(NamedTuple):
    """One provider of botocore's chain, and whether the chain stops at it."""

    source: str
    configured: bool
    detail: str


class Step(NamedTuple):
    """One source an SDK other than botocore would ask, and what roleprobe needs.

    Static keys are taken from the exact place the SDK takes them from, and
    never shown: they are registered with the redactor when used.
    """

    source: Source
    role_arn: str | None = None  # named by the configuration
    keys: Credentials | None = None  # never in repr
    process: str | None = None  # credential_process; never in repr
    token_file: str | None = None  # web identity's token file
    base: Step | None = None  # what an assume-role draws on
    sso_cache: str | None = None  # the SSO token cache key (start URL or session)
    metadata_retry: bool = False  # JS: fromContainerMetadata, after fromHttp

    def __repr__(self) -> str:
        """Show the step without its keys or command."""
        return f"Step({self.source!r}, role_arn={self.role_arn!r}, base={self.base!r})"


class Try(NamedTuple):
    """A link, with the error it raises and the role ARN it names."""

    link: Link
    error: str | None = None
    role_arn: str | None = None
    uses: tuple[Source, ...] = ()
    token_file: str | None = None  # web identity's token file
    failure: Failure | None = None  # the kind of error, for the SDK's rules
    step: Step | None = None  # how to ask it, for SDKs other than botocore


class Ctx(NamedTuple):
    """Everything walk consults, with the merged profiles."""

    environ: Mapping[str, str]
    files: Files
    profiles: Sections


def first_stop(tries: tuple[Try, ...]) -> Try | None:
    """Return the first link the chain stops at, or None."""
    return next((t for t in tries if t.link.configured), None)


def link(source: str, detail: str = "", error: str | None = None) -> Try:
    """Return a configured link."""
    return Try(Link(source, True, detail), error)


def skip(source: str, detail: str = "") -> Try:
    """Return a link the chain passes by."""
    return Try(Link(source, False, detail))


def partial(where: str, present: str, missing: str) -> str:
    """Word botocore's PartialCredentialsError."""
    return f"partial credentials in {where}: {present} without {missing}"


def env_link(environ: Mapping[str, str]) -> Try:
    """EnvProvider: a non-empty AWS_ACCESS_KEY_ID; then the secret must be too."""
    if not environ.get("AWS_ACCESS_KEY_ID"):
        ignored = "AWS_SECRET_ACCESS_KEY" in environ
        return skip("env", "AWS_SECRET_ACCESS_KEY ignored" if ignored else "")
    if not environ.get("AWS_SECRET_ACCESS_KEY"):
        error = partial("env", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
        return link("env", "AWS_ACCESS_KEY_ID", error)
    return link("env", "AWS_ACCESS_KEY_ID")


def ec2(environ: Mapping[str, str], files: Files) -> Try:
    """OriginalEC2Provider: AWS_CREDENTIAL_FILE with AWSAccessKeyId."""
    source, detail = "ec2-credentials-file", "AWS_CREDENTIAL_FILE"
    if "AWS_CREDENTIAL_FILE" not in environ:
        return skip(source)
    creds = files.ec2_credentials
    if creds is None:
        return link(source, detail, "AWS_CREDENTIAL_FILE cannot be read")
    if "AWSAccessKeyId" not in creds:
        return skip(source, detail)
    if "AWSSecretKey" not in creds:
        return link(source, detail, partial(detail, "AWSAccessKeyId", "AWSSecretKey"))
    return link(source, detail)


def boto(files: Files) -> Try:
    """BotoProvider: the first boto config with [Credentials] aws_access_key_id."""
    for name, section in files.boto:
        if ACCESS_KEY in section:
            if SECRET_KEY not in section:
                error = partial(name, ACCESS_KEY, SECRET_KEY)
                return link("boto-config", name, error)
            return link("boto-config", name)
    if files.boto_error is not None:
        return link("boto-config", "boto config", files.boto_error)
    return skip("boto-config")


def container_link(environ: Mapping[str, str]) -> Try:
    """ContainerProvider: either URI variable present, even empty."""
    variable = _container.configured(environ)
    if variable is None:
        return skip("container-role")
    return link("container-role", variable)


def iam(environ: Mapping[str, str]) -> Try:
    """InstanceMetadataProvider: tried unless AWS_EC2_METADATA_DISABLED is 'true'."""
    if _imds.disabled(environ):
        return skip("iam-role", "AWS_EC2_METADATA_DISABLED")
    return link("iam-role", "instance metadata")

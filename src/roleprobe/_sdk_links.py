"""The links of the JavaScript, Go and Java chains, decided by their rules tables.

Pure: each link reads `_rules.Rules` and decides from the environment and
the files whether the SDK picks it, fails there or goes on, and how roleprobe
will ask it (a `Step`).  `_chain.walk` reads the links in the table's order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from roleprobe import _container
from roleprobe._credentials import Credentials, Source
from roleprobe._files import Files
from roleprobe._links import Link, Step, Try, skip
from roleprobe._rules import Failure, Rules, is_off


class Ctx(NamedTuple):
    """What the SDK's links consult."""

    environ: Mapping[str, str]
    files: Files
    rules: Rules
    profile: str


def fail(source: Source, failure: Failure, error: str) -> Try:
    """Return a link the SDK stops at, or goes on from, by its rules."""
    return Try(Link(source, True, error), error, failure=failure)


def found(step: Step, detail: str) -> Try:
    """Return a link the SDK picks."""
    return Try(
        Link(step.source, True, detail),
        role_arn=step.role_arn,
        uses=_uses(step.base),
        token_file=step.token_file,
        step=step,
    )


def _uses(base: Step | None) -> tuple[Source, ...]:
    """Return the sources an assume-role draws on, nearest first."""
    uses: list[Source] = []
    while base is not None:
        uses.append(base.source)
        base = base.base
    return tuple(uses)


# --- links outside profiles ---------------------------------------------------


def env(ctx: Ctx) -> tuple[Try, ...]:
    """Environment keys, unless the profile turns them off (js.md J1)."""
    if ctx.rules.profile_disables_env and ctx.environ.get("AWS_PROFILE"):
        return (skip("env", "AWS_PROFILE is set: the SDK skips the environment keys"),)
    return (env_keys(ctx),)


def env_keys(ctx: Ctx) -> Try:
    """Environment keys: both non-empty, else the SDK goes on (G5, J3, js J2)."""
    ids, secrets = ctx.rules.env_key_names
    key, secret = _first(ctx.environ, ids), _first(ctx.environ, secrets)
    if not key or not secret:
        return skip("env")
    token = ctx.environ.get("AWS_SESSION_TOKEN") or None
    step = Step("env", keys=Credentials(key, secret, token))
    return found(step, ids[0])


def _first(environ: Mapping[str, str], names: tuple[str, ...]) -> str:
    """Return the first non-empty (blank counts as empty) of *names*."""
    return next((environ[n] for n in names if environ.get(n, "").strip()), "")


def web_identity_env(ctx: Ctx) -> tuple[Try, ...]:
    """AWS_WEB_IDENTITY_TOKEN_FILE with AWS_ROLE_ARN (G6, J6, js J7)."""
    source: Source = "assume-role-with-web-identity"
    token_file = ctx.environ.get("AWS_WEB_IDENTITY_TOKEN_FILE")
    if not token_file:
        return (skip(source),)
    role_arn = ctx.environ.get("AWS_ROLE_ARN")
    if not role_arn:
        error = "AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not"
        return (fail(source, "config", error),)
    step = Step(source, role_arn=role_arn, token_file=token_file)
    return (found(step, "AWS_WEB_IDENTITY_TOKEN_FILE"),)


def process(ctx: Ctx) -> tuple[Try, ...]:
    """JS fromProcess: the profile's credential_process, run a second time."""
    command = ctx.files.credentials.get(ctx.profile, {}).get(
        "credential_process"
    ) or ctx.files.config.get(ctx.profile, {}).get("credential_process")
    if not command:
        return (skip("custom-process"),)
    step = Step("custom-process", process=command)
    return (found(step, f"credential_process (profile {ctx.profile})"),)


def remote(ctx: Ctx) -> tuple[Try, ...]:
    """The container endpoint when set; IMDS otherwise, or after it (Java)."""
    rules = ctx.rules
    variable = _container.configured(ctx.environ, rules.container)
    tries: list[Try] = []
    if variable is not None:
        tries.append(found(Step("container-role"), variable))
        if rules.container.metadata_retry and _container.metadata_allowed(ctx.environ):
            step = Step("container-role", metadata_retry=True)
            tries.append(found(step, f"{variable} (fromContainerMetadata)"))
    if variable is None or rules.container_then_imds:
        tries.append(imds(ctx))
    return tuple(tries)


def imds(ctx: Ctx) -> Try:
    """Instance metadata, unless AWS_EC2_METADATA_DISABLED turns it off."""
    off = is_off(ctx.environ.get("AWS_EC2_METADATA_DISABLED"), ctx.rules.imds.off)
    if off is None:
        error = "AWS_EC2_METADATA_DISABLED must be true or false"
        return fail("iam-role", "config", error)
    if off:
        return skip("iam-role", "AWS_EC2_METADATA_DISABLED")
    return found(Step("iam-role"), "instance metadata")

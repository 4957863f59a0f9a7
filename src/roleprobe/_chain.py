"""Which credentials source botocore's default chain picks, from files and variables.

Pure: the environment and the files as `_files.load` read them in, the chain
out.  Mirrors botocore 1.43 (``credentials.create_credential_resolver``)
without importing it and without network: every provider's ``load()``
condition is decided in `_links` and `_profile`.  A link is *configured*
when botocore's chain would stop at it: it returns credentials, or tries to
(container, instance metadata), or raises before any network.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from roleprobe._credentials import SOURCES, Source
from roleprobe._detect import Sdk
from roleprobe._files import Files, Sections
from roleprobe._links import (
    Ctx,
    Link,
    boto,
    container_link,
    ec2,
    env_link,
    first_stop,
    iam,
)
from roleprobe._profile import assume_role, profile_tries

__all__ = ["SOURCES", "Chain", "Link", "shadowed", "walk"]


@dataclass(frozen=True, slots=True)
class Chain:
    """The chain botocore walks for this environment, and where it stops."""

    profile: str  # the profile botocore uses ('default' when none is set)
    links: tuple[Link, ...]  # one per SOURCES entry, in that order
    winner: str  # the first configured link (the one that fails, on error)
    role_arn: str | None  # named by the winner itself; None on error
    error: str | None  # why botocore fails before any network; None when fine
    uses: tuple[Source, ...] = ()  # sources the winning assume-role draws on
    token_file: str | None = None  # the winning web identity's token file


def walk(environ: Mapping[str, str], files: Files, sdk: Sdk = "python") -> Chain:
    """Return the chain *sdk* would walk, and its winner."""
    del sdk  # only botocore's chain so far
    explicit, variable = _profile_setting(environ)
    profile = explicit or "default"
    ctx = Ctx(environ, files, _merged(files))
    tries = (
        env_link(environ),
        assume_role(ctx, profile),
        *profile_tries(ctx, profile, use_env=True),
        ec2(environ, files),
        boto(files),
        container_link(environ),
        iam(environ),
    )
    links = tuple(t.link for t in tries)
    error = _session_error(ctx, explicit, variable)
    if error is not None:
        return Chain(profile, links, "none", None, error)
    first = first_stop(tries)
    if first is None:
        return Chain(profile, links, "none", None, None)
    role_arn = first.role_arn if first.error is None else None
    return Chain(
        profile,
        links,
        first.link.source,
        role_arn,
        first.error,
        first.uses,
        first.token_file,
    )


def shadowed(chain: Chain) -> tuple[str, ...]:
    """Return the container/instance sources the winner hides."""
    names = [link.source for link in chain.links]
    if chain.winner not in names:
        return ()
    after = chain.links[names.index(chain.winner) + 1 :]
    return tuple(
        link.source
        for link in after
        if link.configured
        and link.source not in chain.uses
        and _hides(chain.winner, link.source)
    )


def _hides(winner: str, source: str) -> bool:
    """Tell whether a configured source after the winner counts as hidden."""
    # iam-role: IMDS counts as configured unless AWS_EC2_METADATA_DISABLED is
    # true, i.e. almost everywhere, even where no IMDS answers; telling would
    # cost a network round trip on every start.  So it counts as hidden only
    # behind long-term keys (the classic mistake: keys baked into an image or
    # task definition on EC2), not behind sources that replace the instance
    # role by design (container roles, web identity, profiles that assume a
    # role, SSO, credential_process).
    if source == "iam-role":
        return winner in _STATIC_KEYS
    return source == "container-role"


_STATIC_KEYS = frozenset(
    {
        "env",
        "shared-credentials-file",
        "config-file",
        "ec2-credentials-file",
        "boto-config",
    }
)


def _profile_setting(environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    """Return (profile, variable); botocore asks AWS_DEFAULT_PROFILE first."""
    for variable in ("AWS_DEFAULT_PROFILE", "AWS_PROFILE"):
        if variable in environ:
            return environ[variable], variable
    return None, None


def _merged(files: Files) -> Sections:
    """Merge credentials-file sections over config profiles (session.full_config)."""
    profiles = {name: dict(values) for name, values in files.config.items()}
    for name, values in files.credentials.items():
        profiles.setdefault(name, {}).update(values)
    return profiles


def _session_error(ctx: Ctx, explicit: str | None, variable: str | None) -> str | None:
    """Return why botocore fails before any provider runs."""
    if ctx.files.config_error is not None:
        return ctx.files.config_error
    if ctx.files.credentials_error is not None:
        return ctx.files.credentials_error
    if explicit is not None and explicit not in ctx.profiles:
        return f"profile {explicit!r} not found ({variable})"
    return None

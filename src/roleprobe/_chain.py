"""Which credentials source the application's SDK picks, from files and variables.

Pure: the environment and the files as `_files.load` read them in, the chain
out.  One walker for every SDK, reading that SDK's table (`_rules`): the
links in its order, which failures go on to the next link, and which
sources the SDK leaves for the next one when they fail at run time.  For
botocore the links mirror botocore 1.43 (``create_credential_resolver``,
decided in `_links` and `_profile`); for JavaScript, Go and Java they are
decided in `_sdk_links`.  A link is *configured* when the chain would stop at
it: it returns credentials, or tries to (container, instance metadata), or
raises before any network.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from roleprobe._credentials import SOURCES, Source
from roleprobe._detect import Sdk
from roleprobe._files import Files, Sections
from roleprobe._links import (
    Ctx,
    Link,
    Step,
    Try,
    boto,
    container_link,
    ec2,
    env_link,
    iam,
)
from roleprobe._profile import assume_role, profile_tries
from roleprobe._rules import RULES, LinkName, Rules

__all__ = ["SOURCES", "Chain", "Link", "Step", "shadowed", "walk"]


class Chain(NamedTuple):
    """The chain botocore walks for this environment, and where it stops."""

    profile: str  # the profile botocore uses ('default' when none is set)
    links: tuple[Link, ...]  # one per SOURCES entry, in that order
    winner: str  # the first configured link (the one that fails, on error)
    role_arn: str | None  # named by the winner itself; None on error
    error: str | None  # why botocore fails before any network; None when fine
    uses: tuple[Source, ...] = ()  # sources the winning assume-role draws on
    token_file: str | None = None  # the winning web identity's token file
    # How to ask the winner, then the links the SDK tries next when the
    # winner fails at run time, in order (SDKs other than botocore).
    steps: tuple[Step, ...] = ()


def walk(environ: Mapping[str, str], files: Files, sdk: Sdk = "python") -> Chain:
    """Return the chain *sdk* would walk, and its winner."""
    rules = RULES[sdk]
    if sdk == "python":
        profile, tries, error = _botocore(environ, files)
        links = tuple(t.link for t in tries)
    else:
        profile, tries, error = _sdk(environ, files, rules)
        links = _by_source(tries)
    if error is not None:
        return Chain(profile, links, "none", None, error)
    return _decide(rules, profile, links, tries)


def _decide(
    rules: Rules, profile: str, links: tuple[Link, ...], tries: tuple[Try, ...]
) -> Chain:
    """Walk the links in order, as the SDK's table says: the one walker."""
    picked: list[Try] = []
    fell: Try | None = None
    for t in tries:
        if not t.link.configured:
            continue
        if t.error is not None:
            if t.failure is not None and t.failure in rules.load_falls:
                fell = t  # the SDK goes on to the next link
                continue
            if picked:
                break  # reached only when what was picked fails: left out
            return Chain(profile, links, t.link.source, None, t.error)
        step = t.step or Step(t.link.source)  # type: ignore[arg-type]
        if any(p.step == step for p in picked):
            continue  # the same provider again (JS fromProcess after fromIni)
        picked.append(t)
        if t.link.source not in rules.run_falls:
            break
    if not picked:
        error = None if fell is None else f"{fell.error}, and no other source follows"
        return Chain(profile, links, "none", None, error)
    first = picked[0]
    return Chain(
        profile,
        links,
        first.link.source,
        first.role_arn,
        None,
        first.uses,
        first.token_file,
        tuple(t.step for t in picked if t.step is not None),
    )


def _botocore(
    environ: Mapping[str, str], files: Files
) -> tuple[str, tuple[Try, ...], str | None]:
    """Return botocore's profile, its links in order, and its session error."""
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
    return profile, tries, _session_error(ctx, explicit, variable)


def _sdk(
    environ: Mapping[str, str], files: Files, rules: Rules
) -> tuple[str, tuple[Try, ...], str | None]:
    """Return another SDK's profile, its links in order, and its load error."""
    profile, variable = "default", None
    for name in rules.profile_variables:
        value = environ.get(name)
        if value is not None and (value or not rules.empty_profile_is_unset):
            profile, variable = value, name
            break
    from roleprobe import _sdk_links  # noqa: PLC0415 - not on botocore's path

    ctx = _sdk_links.Ctx(environ, files, rules, profile)
    links = _links()
    tries = tuple(t for link in rules.links for t in links[link](ctx))
    error = files.config_error or files.credentials_error
    missing = profile not in files.config and profile not in files.credentials
    if error is None and variable in rules.missing_profile_fails and missing:
        error = f"profile {profile!r} not found ({variable})"
    if error is None and rules.strict_load:
        error = _strict_variables(environ, rules)
    return profile, tries, error


def _links() -> dict[LinkName, Callable[[Any], tuple[Try, ...]]]:
    """Return the links of the JS, Go and Java chains, as their tables name them."""
    from roleprobe import _sdk_links, _sdk_profile  # noqa: PLC0415

    return {
        "env": _sdk_links.env,
        "web-identity-env": _sdk_links.web_identity_env,
        "profile": _sdk_profile.profile,
        "process": _sdk_links.process,
        "remote": _sdk_links.remote,
    }


def _strict_variables(environ: Mapping[str, str], rules: Rules) -> str | None:
    """Go's NewEnvConfig: invalid IMDS variables fail the load (go.md G10)."""
    v1 = environ.get("AWS_EC2_METADATA_V1_DISABLED")
    if v1 is not None and v1.lower() not in ("true", "false"):
        return "AWS_EC2_METADATA_V1_DISABLED must be true or false"
    mode = environ.get("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE")
    if mode is not None and mode.lower() not in ("ipv4", "ipv6"):
        return "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE must be IPv4 or IPv6"
    return None


def _by_source(tries: tuple[Try, ...]) -> tuple[Link, ...]:
    """Return one link per source, in botocore's order, as the SDK's links saw them."""
    seen: dict[str, Link] = {}
    for t in tries:
        if t.link.source not in seen or (
            t.link.configured and not seen[t.link.source].configured
        ):
            seen[t.link.source] = t.link
    return tuple(seen.get(source, Link(source, False, "")) for source in SOURCES)


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

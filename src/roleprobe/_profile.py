"""The links botocore's chain finds in a profile, and assume-role's hops.

Pure: ``ProfileProviderBuilder`` and ``AssumeRoleProvider`` decided from the
merged profiles, the environment and the files.
"""

from __future__ import annotations

from collections.abc import Mapping

from roleprobe import _container
from roleprobe._credentials import Source
from roleprobe._files import Sections
from roleprobe._links import (
    ACCESS_KEY,
    SECRET_KEY,
    Ctx,
    Link,
    Try,
    container_link,
    env_link,
    first_stop,
    iam,
    link,
    partial,
    skip,
)

# credential_source values botocore accepts; compared case-sensitively
# (CanonicalNameCredentialSourcer.is_supported), and the sources they use.
_SOURCED: dict[str, Source] = {
    "Environment": "env",
    "EcsContainer": "container-role",
    "Ec2InstanceMetadata": "iam-role",
}
_SSO_REQUIRED = ("sso_role_name", "sso_account_id", "sso_start_url", "sso_region")


def has_role(profile: Mapping[str, str]) -> bool:
    """AssumeRoleProvider._has_assume_role_config_vars."""
    return "role_arn" in profile and "web_identity_token_file" not in profile


def has_static(profile: Mapping[str, str]) -> bool:
    """AssumeRoleProvider._has_static_credentials."""
    return ACCESS_KEY in profile or SECRET_KEY in profile


def assume_role(ctx: Ctx, name: str) -> Try:
    """AssumeRoleProvider: role_arn (no web identity) in the merged profile."""
    profile = ctx.profiles.get(name, {})
    if not has_role(profile):
        return skip("assume-role")
    detail, error, uses = _walk_roles(ctx, name)
    return Try(Link("assume-role", True, detail), error, profile["role_arn"], uses)


def _first_hop(name: str, profile: Mapping[str, str]) -> str:
    """Describe where an assume-role profile says its credentials come from."""
    source = profile.get("source_profile")
    sourcer = profile.get("credential_source")
    if sourcer is not None and source is None:
        return f"credential_source {sourcer} (profile {name})"
    if source is not None and sourcer is None:
        return f"source_profile {source} (profile {name})"
    return f"profile {name}"


def _walk_roles(ctx: Ctx, name: str) -> tuple[str, str | None, tuple[Source, ...]]:
    """Follow an assume-role profile's source_profile hops to its own credentials.

    Return (detail, error, uses): where the first hop comes from, why botocore
    fails before any network (None when it does not), and the source the last
    hop's credential_source names.
    """
    visited = [name]
    step = _role_hop(ctx, name, visited)
    while isinstance(step, str):
        step = _role_hop(ctx, step, visited)
    error, uses = step
    return _first_hop(name, ctx.profiles[name]), error, uses


def _role_hop(
    ctx: Ctx, current: str, visited: list[str]
) -> str | tuple[str | None, tuple[Source, ...]]:
    """Return the next role profile to follow, or where the walk ends: (error, uses)."""
    profile = ctx.profiles[current]
    source = profile.get("source_profile")
    sourcer = profile.get("credential_source")
    where = f"profile {current!r}"
    if (source is None) == (sourcer is None):
        both = f"{where} has both source_profile and credential_source"
        neither = partial(where, "role_arn", "source_profile or credential_source")
        return (both if source is not None else neither), ()
    if sourcer is not None:
        uses = (_SOURCED[sourcer],) if sourcer in _SOURCED else ()
        return _sourced(ctx, sourcer, current), uses
    assert source is not None
    if source not in ctx.profiles:
        return f"source_profile {source!r} of {where} not found", ()
    hop = ctx.profiles[source]
    if source in visited and (source != current or not has_static(hop)):
        return f"source_profile loop: {' -> '.join([*visited, source])}", ()
    visited.append(source)
    if has_static(hop) or not has_role(hop):
        first = first_stop(profile_tries(ctx, source, use_env=False))
        found = (
            first.error
            if first
            else f"source_profile {source!r} of {where} has no credentials"
        )
        return found, ()
    return source


def _sourced(ctx: Ctx, sourcer: str, name: str) -> str | None:
    """Return why credential_source fails without network, or None."""
    where = f"credential_source {sourcer} of profile {name!r}"
    if sourcer not in _SOURCED:
        return f"{where} is not valid (one of {', '.join(_SOURCED)})"
    if sourcer == "Environment":
        env = env_link(ctx.environ)
        if not env.link.configured:
            return f"{where}: no AWS_ACCESS_KEY_ID in the environment"
        return env.error
    if sourcer == "EcsContainer" and not container_link(ctx.environ).link.configured:
        return f"{where}: no {_container.RELATIVE_URI} or {_container.FULL_URI}"
    if sourcer == "Ec2InstanceMetadata" and not iam(ctx.environ).link.configured:
        return f"{where}: AWS_EC2_METADATA_DISABLED is true"
    return None


def profile_tries(ctx: Ctx, name: str, *, use_env: bool) -> tuple[Try, ...]:
    """ProfileProviderBuilder.providers, in botocore's order."""
    profile = ctx.profiles.get(name, {})
    return (
        _web_identity(ctx.environ, profile, name, use_env=use_env),
        _sso(ctx.files.sso_sessions, profile, name),
        _static("shared-credentials-file", ctx.files.credentials.get(name), name),
        _setting("login", "login_session", profile, name),
        _setting("custom-process", "credential_process", profile, name),
        _static("config-file", ctx.files.config.get(name), name),
    )


def _web_identity(
    environ: Mapping[str, str], profile: Mapping[str, str], name: str, *, use_env: bool
) -> Try:
    """AssumeRoleWithWebIdentityProvider: a variable present masks the profile."""

    def get(key: str, variable: str) -> tuple[str | None, str]:
        if use_env and variable in environ:
            return environ[variable], variable
        return profile.get(key), f"{key} (profile {name})"

    source = "assume-role-with-web-identity"
    token_file, where = get("web_identity_token_file", "AWS_WEB_IDENTITY_TOKEN_FILE")
    if not token_file:
        return skip(source)
    role_arn, _ = get("role_arn", "AWS_ROLE_ARN")
    if not role_arn:
        return link(source, where, f"{where} is set but no role ARN is")
    return Try(Link(source, True, where), None, role_arn, token_file=token_file)


def _sso(sessions: Sections, profile: Mapping[str, str], name: str) -> Try:
    """SSOProvider: sso_role_name or sso_account_id, then all settings required."""
    if "sso_role_name" not in profile and "sso_account_id" not in profile:
        return skip("sso")
    session = profile.get("sso_session")
    if session is None:
        return _sso_complete(dict(profile), name, f"sso_start_url (profile {name})")
    detail = f"sso_session {session} (profile {name})"
    if session not in sessions:
        return link("sso", detail, f"sso-session {session!r} not found")
    settings = dict(profile)
    for key, value in sessions[session].items():
        if settings.get(key, value) != value:
            error = f"{key} differs in profile {name!r} and sso-session {session!r}"
            return link("sso", detail, error)
        settings[key] = value
    return _sso_complete(settings, name, detail)


def _sso_complete(settings: Mapping[str, str], name: str, detail: str) -> Try:
    """Fail like SSOProvider when a required SSO setting is missing."""
    missing = [key for key in _SSO_REQUIRED if key not in settings]
    if not missing:
        return link("sso", detail)
    return link("sso", detail, f"profile {name!r} lacks {', '.join(missing)} for SSO")


def _static(source: str, section: Mapping[str, str] | None, name: str) -> Try:
    """Shared credentials / config file: aws_access_key_id, then the secret."""
    if section is None or ACCESS_KEY not in section:
        return skip(source)
    detail = f"profile {name}"
    if SECRET_KEY not in section:
        return link(source, detail, partial(detail, ACCESS_KEY, SECRET_KEY))
    return link(source, detail)


def _setting(source: str, key: str, profile: Mapping[str, str], name: str) -> Try:
    """Login and process providers: one setting in the merged profile."""
    if key not in profile:
        return skip(source)
    return link(source, f"{key} (profile {name})")

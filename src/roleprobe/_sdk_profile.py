"""A profile as the JavaScript, Go and Java SDKs resolve it, by their tables.

Pure: the profile's settings merged from both files (the credentials file
winning per key), then the kinds of `_rules.Rules.profile_order` tried in
order, the first that applies winning; Go then assumes ``role_arn`` on top
of what the profile resolved to (go.md G7, G8).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from roleprobe import _container
from roleprobe._credentials import Credentials, Source
from roleprobe._links import ACCESS_KEY, SECRET_KEY, Step, Try, skip
from roleprobe._rules import ProfileKind
from roleprobe._sdk_links import Ctx, env_keys, fail, found, imds

_TOKEN_KEY = "aws_session_token"  # noqa: S105 - a setting name
_SSO_KEYS = ("sso_start_url", "sso_region", "sso_account_id", "sso_role_name")
#: The two files, the credentials file first: it wins per key (G9, J8, js J3).
_FILES: tuple[Source, Source] = ("shared-credentials-file", "config-file")
#: Go's validateCredentialType: at most one of these per profile (go.md G10).
_ONE_TYPE = (
    "source_profile",
    "credential_source",
    "credential_process",
    "web_identity_token_file",
)


def profile(ctx: Ctx) -> tuple[Try, ...]:
    """The selected profile, resolved by the SDK's own precedence."""
    name = ctx.profile
    if not _exists(ctx, name) and not ctx.rules.role_on_top:
        return (skip("shared-credentials-file", f"profile {name!r} not found"),)
    got = _resolve(ctx, name, ())
    if got is None:
        return (
            skip("shared-credentials-file", f"profile {name!r} has no credentials"),
        )
    return (got,)


def _sections(ctx: Ctx, name: str) -> tuple[Mapping[str, str], Mapping[str, str]]:
    """Return the profile's section in each file, credentials file first."""
    return ctx.files.credentials.get(name, {}), ctx.files.config.get(name, {})


def _exists(ctx: Ctx, name: str) -> bool:
    """Tell whether either file has the profile."""
    return name in ctx.files.config or name in ctx.files.credentials


def _merged(ctx: Ctx, name: str) -> dict[str, str]:
    """Return the profile's settings, the credentials file's winning per key."""
    config = ctx.files.config.get(name, {})
    creds = ctx.files.credentials.get(name, {})
    if ctx.rules.credentials_file_wins:
        return {**config, **creds}
    return {**creds, **config}  # pragma: no cover - no SDK merges so


def _resolve(ctx: Ctx, name: str, chain: tuple[str, ...]) -> Try | None:
    """Return what profile *name* resolves to; None: to nothing."""
    settings = _merged(ctx, name)
    if ctx.rules.strict_load:
        error = _invalid(ctx, name, settings)
        if error is not None:
            return error
    got = None
    for kind in ctx.rules.profile_order:
        if chain and kind in ("container", "imds"):
            continue  # Go's hasCredentials: a source profile needs its own
        got = _KINDS[kind](ctx, name, settings, chain)
        if got is not None:
            break
    role_arn = settings.get("role_arn")
    if (
        ctx.rules.role_on_top
        and role_arn
        and got is not None
        and got.step is not None
        and got.step.source not in ("assume-role", "assume-role-with-web-identity")
    ):
        step = Step("assume-role", role_arn=role_arn, base=got.step)
        got = found(step, f"role_arn on {got.link.detail} (profile {name})")
    return got


def _invalid(ctx: Ctx, name: str, settings: Mapping[str, str]) -> Try | None:
    """Go's load-time checks of a profile (shared_config.go, go.md G10)."""
    for source, section in zip(_FILES, _sections(ctx, name), strict=True):
        if (ACCESS_KEY in section) != (SECRET_KEY in section):
            error = f"partial credentials found for profile {name!r}"
            return fail(source, "partial-keys", error)
    types = [key for key in _ONE_TYPE if key in settings]
    if len(types) > 1:
        error = f"profile {name!r} sets more than one of {', '.join(types)}"
        return fail("assume-role", "config", error)
    needs_role = [key for key in _ONE_TYPE if key in settings][:1]
    if (
        needs_role
        and needs_role[0] != "credential_process"
        and "role_arn" not in settings
    ):
        error = f"profile {name!r} sets {needs_role[0]} without role_arn"
        return fail("assume-role", "config", error)
    return None


def _static(
    ctx: Ctx, name: str, settings: Mapping[str, str], chain: tuple[str, ...]
) -> Try | None:
    """Static keys, from the file the key id comes from (G9, J8, js J3)."""
    del settings, chain
    if ctx.rules.strict_load:  # Go copies keys only as a complete pair
        for place, section in zip(_FILES, _sections(ctx, name), strict=True):
            if section.get(ACCESS_KEY) and section.get(SECRET_KEY):
                keys = Credentials(
                    section[ACCESS_KEY], section[SECRET_KEY], section.get(_TOKEN_KEY)
                )
                return found(Step(place, keys=keys), f"profile {name}")
        return None
    merged = _merged(ctx, name)
    key, secret = merged.get(ACCESS_KEY), merged.get(SECRET_KEY)
    if not key:
        return None
    in_creds = ctx.files.credentials.get(name, {}).get(ACCESS_KEY) == key
    source = _FILES[0] if in_creds else _FILES[1]
    if not secret:
        error = f"profile {name!r}: {ACCESS_KEY} without {SECRET_KEY}"
        return fail(source, "partial-keys", error)
    keys = Credentials(key, secret, merged.get(_TOKEN_KEY) or None)
    return found(Step(source, keys=keys), f"profile {name}")


def _source_profile(
    ctx: Ctx, name: str, settings: Mapping[str, str], chain: tuple[str, ...]
) -> Try | None:
    """role_arn with source_profile: the source resolved, then the role."""
    role_arn, source = settings.get("role_arn"), settings.get("source_profile")
    if not role_arn or source is None:
        return None
    if "credential_source" in settings:
        if ctx.rules.sdk == "js":  # isAssumeRoleProfile: exactly one of the two
            return None
        error = f"profile {name!r} has both source_profile and credential_source"
        return fail("assume-role", "bad-role", error)
    base = _source_base(ctx, name, source, chain)
    if base.error is not None or base.step is None:
        return base
    step = Step("assume-role", role_arn=role_arn, base=base.step)
    return found(step, f"source_profile {source} (profile {name})")


def _source_base(ctx: Ctx, name: str, source: str, chain: tuple[str, ...]) -> Try:
    """Return what a source_profile resolves to, or why it fails (J9, G10)."""
    own = _static(ctx, name, {}, chain)
    if source == name and own is not None:
        return own  # keys, then the role
    base = None
    if source == name or source in chain:
        error = f"source_profile loop: {' -> '.join([*chain, name, source])}"
    elif not _exists(ctx, source):
        error = f"source_profile {source!r} of profile {name!r} not found"
    else:
        error = f"source_profile {source!r} of profile {name!r} has no credentials"
        keys = _static(ctx, source, {}, ()) if ctx.rules.sdk == "js" else None
        base = keys or _resolve(ctx, source, (*chain, name))  # JS: keys first
    return base or fail("assume-role", "bad-role", error)


def _credential_source(
    ctx: Ctx, name: str, settings: Mapping[str, str], chain: tuple[str, ...]
) -> Try | None:
    """role_arn with credential_source: Environment, EcsContainer, Ec2InstanceMetadata."""
    role_arn, sourcer = settings.get("role_arn"), settings.get("credential_source")
    if not role_arn or sourcer is None or "source_profile" in settings:
        return None  # both: decided by _source_profile
    where = f"credential_source {sourcer} of profile {name!r}"
    base: Try | None
    if sourcer == "Environment":
        base = env_keys(ctx)
    elif sourcer == "EcsContainer":
        base = _container_base(ctx, name, settings, chain)
    elif sourcer == "Ec2InstanceMetadata":
        base = imds(ctx)
    else:
        return fail("assume-role", "config", f"{where} is not valid")
    if base is None or base.step is None:
        return fail("assume-role", "bad-role", f"{where}: nothing to draw on")
    step = Step("assume-role", role_arn=role_arn, base=base.step)
    return found(step, f"credential_source {sourcer} (profile {name})")


def _web_identity(
    ctx: Ctx, name: str, settings: Mapping[str, str], chain: tuple[str, ...]
) -> Try | None:
    """role_arn with web_identity_token_file."""
    del ctx, chain
    role_arn, token_file = (
        settings.get("role_arn"),
        settings.get("web_identity_token_file"),
    )
    if not role_arn or not token_file:
        return None
    step = Step(
        "assume-role-with-web-identity", role_arn=role_arn, token_file=token_file
    )
    return found(step, f"web_identity_token_file (profile {name})")


def _sso(
    ctx: Ctx, name: str, settings: Mapping[str, str], chain: tuple[str, ...]
) -> Try | None:
    """Any sso_* setting; incomplete settings fail (J7, G10, js J7)."""
    del chain
    session = settings.get("sso_session")
    if session is None and not any(key in settings for key in _SSO_KEYS):
        return None
    where = f"profile {name!r}"
    required = ["sso_account_id", "sso_role_name"]
    if session is None:
        required += ["sso_start_url", "sso_region"]
    elif session not in ctx.files.sso_sessions:
        return fail("sso", "sso-config", f"sso-session {session!r} not found")
    missing = [key for key in required if key not in settings]
    if missing:
        error = f"{where} lacks {', '.join(missing)} for SSO"
        return fail("sso", "sso-config", error)
    cache = session if session is not None else settings["sso_start_url"]
    return found(Step("sso", sso_cache=cache), f"SSO ({where})")


def _setting(source: Source, key: str) -> Callable[..., Try | None]:
    """Return the kind for one setting that names the source (login, process)."""

    def kind(
        ctx: Ctx, name: str, settings: Mapping[str, str], chain: tuple[str, ...]
    ) -> Try | None:
        del ctx, chain
        value = settings.get(key)
        if not value:
            return None
        step = Step(source, process=value if source == "custom-process" else None)
        return found(step, f"{key} (profile {name})")

    return kind


def _container_base(
    ctx: Ctx, name: str, settings: Mapping[str, str], chain: tuple[str, ...]
) -> Try | None:
    """Go: the container endpoint as the end of a profile (G7)."""
    del name, settings, chain
    variable = _container.configured(ctx.environ, ctx.rules.container)
    return None if variable is None else found(Step("container-role"), variable)


def _imds_base(
    ctx: Ctx, name: str, settings: Mapping[str, str], chain: tuple[str, ...]
) -> Try | None:
    """Go: instance metadata as the end of a profile (G7)."""
    del name, settings, chain
    got = imds(ctx)
    return got if got.link.configured else None


_KINDS: dict[ProfileKind, Callable[..., Try | None]] = {
    "source-profile": _source_profile,
    "credential-source": _credential_source,
    "static": _static,
    "web-identity": _web_identity,
    "sso": _sso,
    "login": _setting("login", "login_session"),
    "process": _setting("custom-process", "credential_process"),
    "container": _container_base,
    "imds": _imds_base,
}

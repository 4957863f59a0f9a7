"""Which credentials source botocore's default chain picks, from files and variables.

Mirrors botocore 1.43 (``credentials.create_credential_resolver``) without
importing it and without network: every provider's ``load()`` condition is
decided here from the environment and the files botocore reads.  A link is
*configured* when botocore's chain would stop at it: it returns credentials,
or tries to (container, instance metadata), or raises before any network.
"""

from __future__ import annotations

import configparser
import os
import pwd
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field

SOURCES: tuple[str, ...] = (
    "env",
    "assume-role",
    "assume-role-with-web-identity",
    "sso",
    "shared-credentials-file",
    "login",
    "custom-process",
    "config-file",
    "ec2-credentials-file",
    "boto-config",
    "container-role",
    "iam-role",
)

_Sections = dict[str, dict[str, str]]

_ACCESS_KEY = "aws_access_key_id"
_SECRET_KEY = "aws_secret_access_key"  # noqa: S105 (a setting name)
_RELATIVE_URI = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
_FULL_URI = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
_BOTO_DEFAULTS = ("/etc/boto.cfg", "~/.boto")
# credential_source values botocore accepts; compared case-sensitively
# (CanonicalNameCredentialSourcer.is_supported).
_CREDENTIAL_SOURCES = ("Environment", "EcsContainer", "Ec2InstanceMetadata")
_SSO_REQUIRED = ("sso_role_name", "sso_account_id", "sso_start_url", "sso_region")
_VAR = re.compile(r"\$(\w+|\{[^}]*\})", re.ASCII)


@dataclass(frozen=True, slots=True)
class Files:
    """What load_files read: the files botocore's credential chain consults."""

    # profile name -> settings, from the config file ([default], [profile x])
    config: _Sections = field(default_factory=dict)
    # section name -> settings, from the credentials file ([x] is profile x)
    credentials: _Sections = field(default_factory=dict)
    # [sso-session x] sections of the config file
    sso_sessions: _Sections = field(default_factory=dict)
    # why the config or credentials file cannot be parsed (botocore fails)
    config_error: str | None = None
    credentials_error: str | None = None
    # key=value pairs of AWS_CREDENTIAL_FILE; None when it cannot be read
    ec2_credentials: dict[str, str] | None = None
    # (name, [Credentials] section) of each boto config file found, in order
    boto: tuple[tuple[str, dict[str, str]], ...] = ()
    # why the next boto config file cannot be parsed (botocore fails there)
    boto_error: str | None = None


@dataclass(frozen=True, slots=True)
class Link:
    """One provider of botocore's chain, and whether the chain stops at it."""

    source: str
    configured: bool
    detail: str


@dataclass(frozen=True, slots=True)
class Chain:
    """The chain botocore walks for this environment, and where it stops."""

    profile: str  # the profile botocore uses ('default' when none is set)
    links: tuple[Link, ...]  # one per SOURCES entry, in that order
    winner: str  # the first configured link (the one that fails, on error)
    role_arn: str | None  # named by the winner itself; None on error
    error: str | None  # why botocore fails before any network; None when fine
    uses: tuple[str, ...] = ()  # sources the winning assume-role draws on


@dataclass(frozen=True, slots=True)
class _Try:
    """A link, with the error it raises and the role ARN it names."""

    link: Link
    error: str | None = None
    role_arn: str | None = None


@dataclass(frozen=True, slots=True)
class _Ctx:
    """Everything resolve consults, with the merged profiles."""

    environ: Mapping[str, str]
    files: Files
    profiles: _Sections


# --- reading the files (the only I/O) -------------------------------------


def load_files(environ: Mapping[str, str]) -> Files:
    """Read the shared config and credentials files as botocore would."""
    config_path = environ.get("AWS_CONFIG_FILE", "~/.aws/config")
    creds_path = environ.get("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")
    config, config_error = _read_ini(_expand(config_path, environ))
    credentials, credentials_error = _read_ini(_expand(creds_path, environ))
    profiles, sso_sessions = _profile_map(config)
    boto, boto_error = _read_boto(environ)
    return Files(
        config=profiles,
        credentials=credentials,
        sso_sessions=sso_sessions,
        config_error=config_error,
        credentials_error=credentials_error,
        ec2_credentials=_read_ec2(environ),
        boto=boto,
        boto_error=boto_error,
    )


def _read_ini(path: str) -> tuple[_Sections, str | None]:
    """Return an INI file's sections as configloader.raw_config_parse does."""
    if not os.path.isfile(path):
        return {}, None
    parser = configparser.RawConfigParser()
    try:
        parser.read([path])  # unreadable: silently empty, as in botocore
    except (configparser.Error, UnicodeDecodeError) as e:
        return {}, _parse_problem(path, e)
    sections: _Sections = {}
    for name in parser.sections():
        values = {key: parser.get(name, key) for key in parser.options(name)}
        if not all(_nested_ok(value) for value in values.values()):
            return {}, f"cannot parse {path}: bad nested value in [{name}]"
        sections[name] = values
    return sections, None


def _nested_ok(value: str) -> bool:
    """Tell whether botocore's _parse_nested accepts an indented block."""
    if not value.startswith("\n"):
        return True
    return all("=" in line for line in value.splitlines() if line.strip())


def _parse_problem(path: str, error: Exception) -> str:
    """Describe a parse error without quoting the file (it may hold secrets)."""
    line = getattr(error, "lineno", None)
    errors = getattr(error, "errors", None)  # ParsingError: [(line, text), ...]
    if line is None and errors:
        line = errors[0][0]
    where = f" at line {line}" if line else ""
    return f"cannot parse {path}: {type(error).__name__}{where}"


def _profile_map(sections: _Sections) -> tuple[_Sections, _Sections]:
    """Return (profiles, sso sessions) as configloader.build_profile_map does."""
    profiles: _Sections = {}
    sso_sessions: _Sections = {}
    for key, values in sections.items():
        if key.startswith("profile"):
            profiles.update(_named_section(key, values))
        elif key.startswith("sso-session"):
            sso_sessions.update(_named_section(key, values))
        elif key == "default":
            profiles[key] = values
    return profiles, sso_sessions


def _named_section(key: str, values: dict[str, str]) -> _Sections:
    """Map '[profile x]' to {'x': values}; other shapes to nothing."""
    try:
        parts = shlex.split(key)
    except ValueError:
        return {}
    return {parts[1]: values} if len(parts) == 2 else {}


def _read_ec2(environ: Mapping[str, str]) -> dict[str, str] | None:
    """Return AWS_CREDENTIAL_FILE's key=value pairs as utils.parse_key_val_file."""
    if "AWS_CREDENTIAL_FILE" not in environ:
        return None
    path = _expanduser(environ["AWS_CREDENTIAL_FILE"], environ)
    try:
        with open(path) as file:  # locale encoding, as botocore opens it
            contents = file.read()
    except (OSError, UnicodeDecodeError):
        return None
    pairs = (line.split("=", 1) for line in contents.splitlines() if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def _read_boto(
    environ: Mapping[str, str],
) -> tuple[tuple[tuple[str, dict[str, str]], ...], str | None]:
    """Return the boto config files BotoProvider would read, up to a parse error."""
    if "BOTO_CONFIG" in environ:
        names: tuple[str, ...] = (environ["BOTO_CONFIG"],)
    else:
        names = _BOTO_DEFAULTS
    found: list[tuple[str, dict[str, str]]] = []
    for name in names:
        path = _expand(name, environ)
        sections, error = _read_ini(path)
        if error is not None:
            return tuple(found), error
        if os.path.isfile(path):
            found.append((name, sections.get("Credentials", {})))
    return tuple(found), None


def _expand(path: str, environ: Mapping[str, str]) -> str:
    """Expand $VARS then ~ against environ, as botocore's raw_config_parse."""
    return _expanduser(_expandvars(path, environ), environ)


def _expandvars(path: str, environ: Mapping[str, str]) -> str:
    """Do os.path.expandvars with environ instead of os.environ."""
    start = 0
    while match := _VAR.search(path, start):
        begin, end = match.span()
        name = match.group(1).removeprefix("{").removesuffix("}")
        if name not in environ:
            start = end
            continue
        head = path[:begin] + environ[name]
        path, start = head + path[end:], len(head)
    return path


def _expanduser(path: str, environ: Mapping[str, str]) -> str:
    """Do os.path.expanduser with environ's HOME instead of os.environ's."""
    if not path.startswith("~"):
        return path
    cut = path.find("/", 1)
    cut = len(path) if cut < 0 else cut
    if cut != 1:  # ~user: the password database, HOME plays no part
        return os.path.expanduser(path)
    if "HOME" in environ:
        home = environ["HOME"]
    else:
        try:
            home = pwd.getpwuid(os.getuid()).pw_dir
        except KeyError:
            return path
    return (home.rstrip("/") + path[cut:]) or "/"


# --- the chain (pure) -------------------------------------------------------


def resolve(environ: Mapping[str, str], files: Files) -> Chain:
    """Return the chain botocore would walk, and its winner."""
    explicit, variable = _profile_setting(environ)
    profile = explicit or "default"
    ctx = _Ctx(environ, files, _merged(files))
    tries = (
        _env(environ),
        _assume_role(ctx, profile),
        *_profile_tries(ctx, profile, use_env=True),
        _ec2(environ, files),
        _boto(files),
        _container(environ),
        _iam(environ),
    )
    links = tuple(t.link for t in tries)
    error = _session_error(ctx, explicit, variable)
    if error is not None:
        return Chain(profile, links, "none", None, error)
    first = _first(tries)
    if first is None:
        return Chain(profile, links, "none", None, None)
    role_arn = first.role_arn if first.error is None else None
    uses = _role_uses(ctx, profile, []) if first.link.source == "assume-role" else ()
    return Chain(profile, links, first.link.source, role_arn, first.error, uses)


_SOURCED = {
    "Environment": "env",
    "EcsContainer": "container-role",
    "Ec2InstanceMetadata": "iam-role",
}


def _role_uses(ctx: _Ctx, name: str, visited: list[str]) -> tuple[str, ...]:
    """Return the sources an assume-role profile gets its own credentials from."""
    profile = ctx.profiles.get(name, {})
    sourced = _SOURCED.get(profile.get("credential_source", ""))
    if sourced is not None:
        return (sourced,)
    source = profile.get("source_profile")
    if source is None or source in visited or source == name:
        return ()
    if _has_role(ctx.profiles.get(source, {})):
        return _role_uses(ctx, source, [*visited, name])
    return ()


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


def _first(tries: tuple[_Try, ...]) -> _Try | None:
    """Return the first link the chain stops at, or None."""
    return next((t for t in tries if t.link.configured), None)


def _profile_setting(environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    """Return (profile, variable); botocore asks AWS_DEFAULT_PROFILE first."""
    for variable in ("AWS_DEFAULT_PROFILE", "AWS_PROFILE"):
        if variable in environ:
            return environ[variable], variable
    return None, None


def _merged(files: Files) -> _Sections:
    """Merge credentials-file sections over config profiles (session.full_config)."""
    profiles = {name: dict(values) for name, values in files.config.items()}
    for name, values in files.credentials.items():
        profiles.setdefault(name, {}).update(values)
    return profiles


def _session_error(ctx: _Ctx, explicit: str | None, variable: str | None) -> str | None:
    """Return why botocore fails before any provider runs."""
    if ctx.files.config_error is not None:
        return ctx.files.config_error
    if ctx.files.credentials_error is not None:
        return ctx.files.credentials_error
    if explicit is not None and explicit not in ctx.profiles:
        return f"profile {explicit!r} not found ({variable})"
    return None


def _link(source: str, detail: str = "", error: str | None = None) -> _Try:
    """Return a configured link."""
    return _Try(Link(source, True, detail), error)


def _skip(source: str, detail: str = "") -> _Try:
    """Return a link the chain passes by."""
    return _Try(Link(source, False, detail))


def _partial(where: str, present: str, missing: str) -> str:
    """Word botocore's PartialCredentialsError."""
    return f"partial credentials in {where}: {present} without {missing}"


def _env(environ: Mapping[str, str]) -> _Try:
    """EnvProvider: a non-empty AWS_ACCESS_KEY_ID; then the secret must be too."""
    if not environ.get("AWS_ACCESS_KEY_ID"):
        ignored = "AWS_SECRET_ACCESS_KEY" in environ
        return _skip("env", "AWS_SECRET_ACCESS_KEY ignored" if ignored else "")
    if not environ.get("AWS_SECRET_ACCESS_KEY"):
        error = _partial("env", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
        return _link("env", "AWS_ACCESS_KEY_ID", error)
    return _link("env", "AWS_ACCESS_KEY_ID")


def _has_role(profile: Mapping[str, str]) -> bool:
    """AssumeRoleProvider._has_assume_role_config_vars."""
    return "role_arn" in profile and "web_identity_token_file" not in profile


def _has_static(profile: Mapping[str, str]) -> bool:
    """AssumeRoleProvider._has_static_credentials."""
    return _ACCESS_KEY in profile or _SECRET_KEY in profile


def _assume_role(ctx: _Ctx, name: str) -> _Try:
    """AssumeRoleProvider: role_arn (no web identity) in the merged profile."""
    profile = ctx.profiles.get(name, {})
    if not _has_role(profile):
        return _skip("assume-role")
    detail, error = _role_source(ctx, name, [name])
    return _Try(Link("assume-role", True, detail), error, profile["role_arn"])


def _role_source(ctx: _Ctx, name: str, visited: list[str]) -> tuple[str, str | None]:
    """Return (detail, error) for where an assume-role profile's source comes from."""
    profile = ctx.profiles[name]
    source = profile.get("source_profile")
    sourcer = profile.get("credential_source")
    if source is not None and sourcer is not None:
        both = "both source_profile and credential_source"
        return f"profile {name}", f"profile {name!r} has {both}"
    if sourcer is not None:
        return f"credential_source {sourcer} (profile {name})", _sourced(
            ctx, sourcer, name
        )
    if source is None:
        where = f"profile {name!r}"
        return where, _partial(where, "role_arn", "source_profile or credential_source")
    return f"source_profile {source} (profile {name})", _source_profile(
        ctx, name, source, visited
    )


def _sourced(ctx: _Ctx, sourcer: str, name: str) -> str | None:
    """Return why credential_source fails without network, or None."""
    where = f"credential_source {sourcer} of profile {name!r}"
    if sourcer not in _CREDENTIAL_SOURCES:
        return f"{where} is not valid (one of {', '.join(_CREDENTIAL_SOURCES)})"
    if sourcer == "Environment":
        env = _env(ctx.environ)
        if not env.link.configured:
            return f"{where}: no AWS_ACCESS_KEY_ID in the environment"
        return env.error
    if sourcer == "EcsContainer" and not _container(ctx.environ).link.configured:
        return f"{where}: no {_RELATIVE_URI} or {_FULL_URI}"
    if sourcer == "Ec2InstanceMetadata" and not _iam(ctx.environ).link.configured:
        return f"{where}: AWS_EC2_METADATA_DISABLED is true"
    return None


def _source_profile(
    ctx: _Ctx, name: str, source: str, visited: list[str]
) -> str | None:
    """Return why a source_profile gives no credentials, or None."""
    if source not in ctx.profiles:
        return f"source_profile {source!r} of profile {name!r} not found"
    profile = ctx.profiles[source]
    if source in visited and (source != name or not _has_static(profile)):
        return f"source_profile loop: {' -> '.join([*visited, source])}"
    visited.append(source)
    if _has_static(profile) or not _has_role(profile):
        first = _first(_profile_tries(ctx, source, use_env=False))
        if first is None:
            return f"source_profile {source!r} of profile {name!r} has no credentials"
        return first.error
    return _role_source(ctx, source, visited)[1]


def _profile_tries(ctx: _Ctx, name: str, *, use_env: bool) -> tuple[_Try, ...]:
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
) -> _Try:
    """AssumeRoleWithWebIdentityProvider: a variable present masks the profile."""

    def get(key: str, variable: str) -> tuple[str | None, str]:
        if use_env and variable in environ:
            return environ[variable], variable
        return profile.get(key), f"{key} (profile {name})"

    source = "assume-role-with-web-identity"
    token_file, where = get("web_identity_token_file", "AWS_WEB_IDENTITY_TOKEN_FILE")
    if not token_file:
        return _skip(source)
    role_arn, _ = get("role_arn", "AWS_ROLE_ARN")
    if not role_arn:
        return _link(source, where, f"{where} is set but no role ARN is")
    return _Try(Link(source, True, where), None, role_arn)


def _sso(sessions: _Sections, profile: Mapping[str, str], name: str) -> _Try:
    """SSOProvider: sso_role_name or sso_account_id, then all settings required."""
    if "sso_role_name" not in profile and "sso_account_id" not in profile:
        return _skip("sso")
    session = profile.get("sso_session")
    if session is None:
        return _sso_complete(dict(profile), name, f"sso_start_url (profile {name})")
    detail = f"sso_session {session} (profile {name})"
    if session not in sessions:
        return _link("sso", detail, f"sso-session {session!r} not found")
    settings = dict(profile)
    for key, value in sessions[session].items():
        if settings.get(key, value) != value:
            error = f"{key} differs in profile {name!r} and sso-session {session!r}"
            return _link("sso", detail, error)
        settings[key] = value
    return _sso_complete(settings, name, detail)


def _sso_complete(settings: Mapping[str, str], name: str, detail: str) -> _Try:
    """Fail like SSOProvider when a required SSO setting is missing."""
    missing = [key for key in _SSO_REQUIRED if key not in settings]
    if not missing:
        return _link("sso", detail)
    return _link("sso", detail, f"profile {name!r} lacks {', '.join(missing)} for SSO")


def _static(source: str, section: Mapping[str, str] | None, name: str) -> _Try:
    """Shared credentials / config file: aws_access_key_id, then the secret."""
    if section is None or _ACCESS_KEY not in section:
        return _skip(source)
    detail = f"profile {name}"
    if _SECRET_KEY not in section:
        return _link(source, detail, _partial(detail, _ACCESS_KEY, _SECRET_KEY))
    return _link(source, detail)


def _setting(source: str, key: str, profile: Mapping[str, str], name: str) -> _Try:
    """Login and process providers: one setting in the merged profile."""
    if key not in profile:
        return _skip(source)
    return _link(source, f"{key} (profile {name})")


def _ec2(environ: Mapping[str, str], files: Files) -> _Try:
    """OriginalEC2Provider: AWS_CREDENTIAL_FILE with AWSAccessKeyId."""
    source, detail = "ec2-credentials-file", "AWS_CREDENTIAL_FILE"
    if "AWS_CREDENTIAL_FILE" not in environ:
        return _skip(source)
    creds = files.ec2_credentials
    if creds is None:
        return _link(source, detail, "AWS_CREDENTIAL_FILE cannot be read")
    if "AWSAccessKeyId" not in creds:
        return _skip(source, detail)
    if "AWSSecretKey" not in creds:
        return _link(source, detail, _partial(detail, "AWSAccessKeyId", "AWSSecretKey"))
    return _link(source, detail)


def _boto(files: Files) -> _Try:
    """BotoProvider: the first boto config with [Credentials] aws_access_key_id."""
    for name, section in files.boto:
        if _ACCESS_KEY in section:
            if _SECRET_KEY not in section:
                error = _partial(name, _ACCESS_KEY, _SECRET_KEY)
                return _link("boto-config", name, error)
            return _link("boto-config", name)
    if files.boto_error is not None:
        return _link("boto-config", "boto config", files.boto_error)
    return _skip("boto-config")


def _container(environ: Mapping[str, str]) -> _Try:
    """ContainerProvider: either URI variable present, even empty."""
    for variable in (_RELATIVE_URI, _FULL_URI):
        if variable in environ:
            return _link("container-role", variable)
    return _skip("container-role")


def _iam(environ: Mapping[str, str]) -> _Try:
    """InstanceMetadataProvider: tried unless AWS_EC2_METADATA_DISABLED is 'true'."""
    if environ.get("AWS_EC2_METADATA_DISABLED", "false").lower() == "true":
        return _skip("iam-role", "AWS_EC2_METADATA_DISABLED")
    return _link("iam-role", "instance metadata")

"""The shared config and credentials files, read as botocore reads them.

A port of botocore's ``configloader`` (``raw_config_parse``,
``build_profile_map``) and of the other files its chain consults
(``AWS_CREDENTIAL_FILE``, boto config), without importing botocore.
"""

from __future__ import annotations

import configparser
import locale
import os
import pwd
import re
import shlex
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field

from roleprobe._credentials import MAX_ANSWER

Sections = dict[str, dict[str, str]]


_BOTO_DEFAULTS = ("/etc/boto.cfg", "~/.boto")
_VAR = re.compile(r"\$(\w+|\{[^}]*\})", re.ASCII)


@dataclass(frozen=True, slots=True)
class Files:
    """What load_files read: the files botocore's credential chain consults."""

    # profile name -> settings, from the config file ([default], [profile x])
    config: Sections = field(default_factory=dict)
    # section name -> settings, from the credentials file ([x] is profile x)
    credentials: Sections = field(default_factory=dict)
    # [sso-session x] sections of the config file
    sso_sessions: Sections = field(default_factory=dict)
    # why the config or credentials file cannot be parsed (botocore fails)
    config_error: str | None = None
    credentials_error: str | None = None
    # key=value pairs of AWS_CREDENTIAL_FILE; None when it cannot be read
    ec2_credentials: dict[str, str] | None = None
    # (name, [Credentials] section) of each boto config file found, in order
    boto: tuple[tuple[str, dict[str, str]], ...] = ()
    # why the next boto config file cannot be parsed (botocore fails there)
    boto_error: str | None = None


TOO_LARGE = "larger than 1 MiB"


class FileProblem(Exception):
    """A file cannot be read; the message says why, never what is in it."""


def read_capped(path: str) -> bytes:
    """Return a regular file's bytes, at most MAX_ANSWER of them.

    Opened without blocking and refused unless it is a regular file, so that
    a FIFO, a device (/dev/zero) or a huge file can neither hang roleprobe
    nor fill its memory.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except OSError as e:
        raise FileProblem(e.strerror or type(e).__name__) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileProblem("not a regular file")
        chunks = []
        size = 0
        while chunk := os.read(fd, 65536):
            size += len(chunk)
            if size > MAX_ANSWER:
                raise FileProblem(TOO_LARGE)
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as e:
        raise FileProblem(e.strerror or type(e).__name__) from None
    finally:
        os.close(fd)


def load(environ: Mapping[str, str]) -> Files:
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


def _read_ini(path: str) -> tuple[Sections, str | None]:
    """Return an INI file's sections as configloader.raw_config_parse does."""
    if not os.path.isfile(path):
        return {}, None
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(read_capped(path).decode(locale.getencoding()), path)
    except FileProblem as e:
        # unreadable: silently empty, as in botocore; too large: roleprobe's limit
        too_large = str(e) == TOO_LARGE
        return {}, f"cannot read {path}: {e}" if too_large else None
    except (configparser.Error, UnicodeDecodeError) as e:
        return {}, _parse_problem(path, e)
    sections: Sections = {}
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


def _profile_map(sections: Sections) -> tuple[Sections, Sections]:
    """Return (profiles, sso sessions) as configloader.build_profile_map does."""
    profiles: Sections = {}
    sso_sessions: Sections = {}
    for key, values in sections.items():
        if key.startswith("profile"):
            profiles.update(_named_section(key, values))
        elif key.startswith("sso-session"):
            sso_sessions.update(_named_section(key, values))
        elif key == "default":
            profiles[key] = values
    return profiles, sso_sessions


def _named_section(key: str, values: dict[str, str]) -> Sections:
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
    try:  # locale encoding, as botocore opens it
        contents = read_capped(path).decode(locale.getencoding())
    except (FileProblem, UnicodeDecodeError):
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

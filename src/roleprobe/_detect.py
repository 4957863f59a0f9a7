"""Whose credential chain to follow: the application's SDK, from its command.

Decided before probing and without running the command (the contract's
table in "The application's SDK"): ROLEPROBE_SDK when it names a language,
else the command's name as given and as the file it resolves to, else the
``#!`` line of that file, else Go's build information in an ELF file.  At
most a few KiB of the file are read, and only from a regular file.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping, Sequence
from typing import Literal

from roleprobe._settings import SdkSetting

Sdk = Literal["python", "js", "go", "java"]
DetectedFrom = Literal["setting", "command-name", "shebang", "go-buildinfo", "default"]

_NAMES: tuple[tuple[re.Pattern[str], Sdk], ...] = (
    (re.compile(r"python|python3|python3\.\d+|pypy3"), "python"),
    (re.compile(r"node|nodejs|bun|deno"), "js"),
    (re.compile(r"java"), "java"),
)


def detect(
    command: Sequence[str], setting: SdkSetting, environ: Mapping[str, str]
) -> tuple[Sdk, DetectedFrom]:
    """Return the SDK whose chain the command's application follows, and why."""
    if setting != "auto":
        return setting, "setting"
    if not command or not command[0]:
        return "python", "default"
    path = resolve(command[0], environ)
    for name in _names(command[0], path):
        sdk = _by_name(name)
        if sdk is not None:
            return sdk, "command-name"
    if path is None:
        return "python", "default"
    return _by_file(path, environ)


_HEAD = 4096  # bytes of the command's file read at most for the #! line


def _by_file(path: str, environ: Mapping[str, str]) -> tuple[Sdk, DetectedFrom]:
    """Return the SDK the file's #! line or Go build information says."""
    from roleprobe._elf import has_go_buildinfo  # noqa: PLC0415

    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except OSError:
        return "python", "default"
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return "python", "default"
        head = os.pread(fd, _HEAD, 0)
        if head.startswith(b"#!"):
            sdk = _by_shebang(head, environ)
            return (sdk, "shebang") if sdk is not None else ("python", "default")
        if has_go_buildinfo(fd):
            return "go", "go-buildinfo"
    except OSError:
        pass
    finally:
        os.close(fd)
    return "python", "default"


def _by_shebang(head: bytes, environ: Mapping[str, str]) -> Sdk | None:
    """Return the SDK of the interpreter a #! line names (through ``env``)."""
    line = head[2:].split(b"\n", 1)[0].decode("utf-8", "replace")
    words = line.split()
    if not words:
        return None
    program = words[0]
    if os.path.basename(program) == "env":  # env [-S] [-i] [NAME=value] node ...
        rest = [w for w in words[1:] if not w.startswith("-") and "=" not in w]
        if not rest:
            return None
        program = rest[0]
    for name in _names(program, resolve(program, environ)):
        sdk = _by_name(name)
        if sdk is not None:
            return sdk
    return None


def _by_name(name: str) -> Sdk | None:
    """Return the SDK an interpreter's file name stands for, or None."""
    base = os.path.basename(name)
    return next((sdk for pattern, sdk in _NAMES if pattern.fullmatch(base)), None)


def _names(program: str, path: str | None) -> list[str]:
    """Return the program's name as given and as the file it resolves to."""
    return [program] if path is None else [program, os.path.realpath(path)]


def resolve(program: str, environ: Mapping[str, str]) -> str | None:
    """Return the file execvp would run for *program*, or None."""
    if "/" in program:
        return program if os.path.isfile(program) else None
    for directory in environ.get("PATH", os.defpath).split(os.pathsep):
        candidate = os.path.join(directory or ".", program)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None

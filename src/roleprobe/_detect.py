"""Whose credential chain to follow: the application's SDK, from its command.

Decided before probing and without running the command (the contract's
table in "The application's SDK"): ROLEPROBE_SDK when it names a language,
else the command's name as given and as the file it resolves to.
"""

from __future__ import annotations

import os
import re
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
    for name in _names(command[0], environ):
        sdk = _by_name(name)
        if sdk is not None:
            return sdk, "command-name"
    return "python", "default"


def _by_name(name: str) -> Sdk | None:
    """Return the SDK an interpreter's file name stands for, or None."""
    base = os.path.basename(name)
    return next((sdk for pattern, sdk in _NAMES if pattern.fullmatch(base)), None)


def _names(program: str, environ: Mapping[str, str]) -> list[str]:
    """Return the program's name as given and as the file it resolves to."""
    names = [program]
    path = resolve(program, environ)
    if path is not None:
        names.append(os.path.realpath(path))
    return names


def resolve(program: str, environ: Mapping[str, str]) -> str | None:
    """Return the file execvp would run for *program*, or None."""
    if "/" in program:
        return program if os.path.isfile(program) else None
    for directory in environ.get("PATH", os.defpath).split(os.pathsep):
        candidate = os.path.join(directory or ".", program)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None

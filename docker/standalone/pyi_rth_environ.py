"""PyInstaller runtime hook: give roleprobe the environment it was started with.

roleprobe passes its command the environment unchanged (the contract), but on
Linux PyInstaller's one-folder bootloader restarts itself (execve, same PID)
after changing it: it prepends the bundle's folder to ``LD_LIBRARY_PATH``
(saving a non-empty original in ``LD_LIBRARY_PATH_ORIG``) and sets its
``_PYI_*`` bookkeeping variables; then its Python bootstrap deletes
``VIRTUAL_ENV``.  This hook runs before roleprobe and makes ``os.environ``
(and so the environment ``execvp`` passes on) what the process was started
with, minus the bootloader's changes.  The dynamic loader read
``LD_LIBRARY_PATH`` when the process started, so roleprobe still loads the
bundle's libraries.

What cannot be undone, because the bootloader leaves no trace of it: an empty
``LD_LIBRARY_PATH`` is not passed on; ``_PYI_*``, ``PYINSTALLER_RESET_ENVIRONMENT``
and an ``LD_LIBRARY_PATH_ORIG`` equal to ``LD_LIBRARY_PATH`` are not passed on.
"""

from __future__ import annotations

import os
import sys

_PATH = b"LD_LIBRARY_PATH"
_SAVED = b"LD_LIBRARY_PATH_ORIG"


def _started_with() -> dict[bytes, bytes]:
    """Return the environment this process image was executed with."""
    try:
        with open("/proc/self/environ", "rb") as f:
            raw = f.read()
    except OSError:
        return dict(os.environb)
    env: dict[bytes, bytes] = {}
    for entry in raw.split(b"\0"):
        name, sep, value = entry.partition(b"=")
        if sep and name:
            env.setdefault(name, value)  # the first one wins, as in getenv()
    return env


def _undo_bootloader(env: dict[bytes, bytes], bundle: bytes) -> None:
    """Remove the bootloader's changes from *env*."""
    for name in [n for n in env if n.startswith(b"_PYI_")]:
        del env[name]
    path = env.get(_PATH)
    saved = env.get(_SAVED)
    if saved is not None and path == bundle + b":" + saved:
        env[_PATH] = saved
        del env[_SAVED]
    elif path == bundle:
        del env[_PATH]


def _restore() -> None:
    """Make os.environ the environment roleprobe was started with."""
    env = _started_with()
    bundle = getattr(sys, "_MEIPASS")  # noqa: B009 - set by PyInstaller
    _undo_bootloader(env, os.fsencode(bundle))
    for name in [n for n in os.environb if n not in env]:
        del os.environb[name]
    for name, value in env.items():
        if os.environb.get(name) != value:
            os.environb[name] = value


_restore()

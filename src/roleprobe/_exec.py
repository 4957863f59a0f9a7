"""Becoming the command: signals, descriptors, the exact environment, exec.

Imports nothing but the standard library's core, so that the signal handlers
are in place before anything heavy is imported.
"""

from __future__ import annotations

import errno
import os
import signal
import sys

TYPE_CHECKING = False  # typing costs start-up time before the handlers exist
if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import FrameType

_HANDLED = (signal.SIGTERM, signal.SIGINT)
# CPython ignores these at start-up; os.execvp would pass that on.
_RESET_BY_PYTHON = (signal.SIGPIPE, signal.SIGXFSZ)
# execvp goes on to the next PATH directory after these errors.
_NEXT_DIRECTORY = frozenset(
    {errno.ENOENT, errno.ENOTDIR, errno.ENAMETOOLONG, errno.ELOOP}
)
# How the isolated interpreter is started again: the package's own directory
# first, so that the same roleprobe is imported, and nothing of the user's.
_BOOT = (
    "import sys; sys.path.insert(0, sys.argv.pop(1)); "
    "from roleprobe._cli import main; sys.exit(main())"
)

Disposition = signal.Handlers | int | None | object


class Signals:
    """Exit 128+N on SIGTERM or SIGINT while probing; undo it all before exec."""

    def __init__(self) -> None:
        self._mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
        self._original: dict[int, Disposition] = {}
        for signum in _HANDLED:
            current = signal.getsignal(signum)
            if current is signal.default_int_handler:
                current = signal.SIG_DFL  # what CPython replaced at start-up
            self._original[signum] = current

    def install(self) -> None:
        """Handle SIGTERM and SIGINT unless they were ignored at start."""
        for signum, original in self._original.items():
            if original is not signal.SIG_IGN:
                signal.signal(signum, _exit_on_signal)

    def restore(self) -> None:
        """Give the command the dispositions and mask roleprobe started with."""
        for signum, original in self._original.items():
            signal.signal(signum, original)  # type: ignore[arg-type]
        for signum in _RESET_BY_PYTHON:
            signal.signal(signum, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, self._mask)

    def quiet(self) -> None:
        """Ignore SIGPIPE again, for writing after a failed exec."""
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    """Stop at once: the command must not start."""
    os._exit(128 + signum)


def hold_standard_fds() -> tuple[int, ...]:
    """Put /dev/null on each of fds 0, 1, 2 that is closed; return which.

    Otherwise roleprobe's own files and sockets would take those numbers, and
    its log lines could go into an endpoint's connection.
    """
    held = []
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            opened = os.open(os.devnull, os.O_RDWR)
            if opened != fd:
                os.dup2(opened, fd)
                os.close(opened)
            held.append(fd)
    return tuple(held)


def release(held: Sequence[int]) -> None:
    """Close the fds hold_standard_fds filled, so the command finds them closed."""
    for fd in held:
        try:  # noqa: SIM105 - contextlib costs start-up time before the handlers
            os.close(fd)
        except OSError:
            pass


def original_environment() -> list[bytes] | None:
    """Return the environment block the kernel started this process with."""
    try:
        with open("/proc/self/environ", "rb") as f:
            data = f.read()
    except OSError:
        return None
    entries = data.split(b"\0")
    if entries and not entries[-1]:
        entries.pop()
    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and isinstance(bundle, str):
        entries = undo_bootloader(entries, os.fsencode(bundle))
    return entries


def undo_bootloader(block: list[bytes], bundle: bytes) -> list[bytes]:
    """Remove what PyInstaller's bootloader added before restarting itself.

    It prepends the bundle to LD_LIBRARY_PATH (saving a non-empty original in
    LD_LIBRARY_PATH_ORIG) and sets _PYI_* variables; an empty original and
    variables of those names the user set cannot be told apart and are lost.
    """
    path = _first(block, b"LD_LIBRARY_PATH=")
    saved = _first(block, b"LD_LIBRARY_PATH_ORIG=")
    prepended = saved is not None and path == bundle + b":" + saved
    restored: list[bytes] = []
    for entry in block:
        if entry.startswith(b"_PYI_") or (
            prepended and entry.startswith(b"LD_LIBRARY_PATH_ORIG=")
        ):
            continue
        if entry.startswith(b"LD_LIBRARY_PATH=") and (prepended or path == bundle):
            if prepended and saved is not None:
                restored.append(b"LD_LIBRARY_PATH=" + saved)
            continue
        restored.append(entry)
    return restored


def _first(block: list[bytes], prefix: bytes) -> bytes | None:
    """Return the value of the first entry starting with *prefix*, as getenv."""
    return next((e[len(prefix) :] for e in block if e.startswith(prefix)), None)


def execute(command: Sequence[str], block: list[bytes] | None) -> tuple[int, str]:
    """Replace this process with *command*; return (status, reason) on failure.

    The command is looked up on PATH like execvp and gets *block*, the exact
    environment roleprobe was started with (os.environ when it is unknown).
    """
    program = command[0]
    if not program:
        return 127, "command not found"
    if block is None:
        block = [os.fsencode(k) + b"=" + os.fsencode(v) for k, v in os.environ.items()]
    argv = [os.fsencode(arg) for arg in command]
    saved: int | None = None
    for candidate in _candidates(program, block):
        error = _execve(candidate, argv, block)
        if error not in _NEXT_DIRECTORY and saved is None:
            saved = error
    return _failure(saved if saved is not None else errno.ENOENT)


def exec_isolated(python: str, package_dir: str, args: Sequence[str]) -> None:
    """Start roleprobe again in *python* with -I and the exact environment.

    Returns only when that cannot be done.
    """
    block = original_environment()
    if block is None:
        return
    argv = [os.fsencode(a) for a in (python, "-I", "-c", _BOOT, package_dir, *args)]
    _execve(os.fsencode(python), argv, block)


def _candidates(program: str, block: list[bytes]) -> list[bytes]:
    """Return the paths execvp would try for *program*, in order."""
    name = os.fsencode(program)
    if b"/" in name:
        return [name]
    path = next((e[5:] for e in block if e.startswith(b"PATH=")), None)
    dirs = (path if path is not None else os.fsencode(os.defpath)).split(b":")
    return [os.path.join(d or b".", name) for d in dirs]


def _execve(path: bytes, argv: list[bytes], block: list[bytes]) -> int:
    """Exec *path* with exactly *block*; return the errno when it fails."""
    env = _as_mapping(block)
    try:
        if env is not None:
            os.execve(path, argv, env)  # noqa: S606 - the point
        else:
            _raw_execve(path, argv, block)
    except OSError as e:
        return e.errno or errno.EINVAL
    except ValueError:
        return errno.EINVAL
    raise AssertionError("unreachable")  # pragma: no cover


def _as_mapping(block: list[bytes]) -> dict[bytes, bytes] | None:
    """Return the block as a mapping when os.execve reproduces it exactly."""
    env: dict[bytes, bytes] = {}
    for entry in block:
        name, sep, value = entry.partition(b"=")
        if not sep or not name or name in env:
            return None
        env[name] = value
    return env


def _raw_execve(path: bytes, argv: list[bytes], block: list[bytes]) -> None:
    """execve(2) with a block os.execve cannot express (duplicates, no '=')."""
    import ctypes  # noqa: PLC0415 - rare, and costs start-up time

    libc = ctypes.CDLL(None, use_errno=True)
    c_argv = (ctypes.c_char_p * (len(argv) + 1))(*argv, None)
    c_envp = (ctypes.c_char_p * (len(block) + 1))(*block, None)
    libc.execve(path, c_argv, c_envp)
    code = ctypes.get_errno()
    raise OSError(code, os.strerror(code))


def _failure(code: int) -> tuple[int, str]:
    """Return the exit status and reason of a failed exec."""
    if code in _NEXT_DIRECTORY:
        return 127, "command not found"
    if code == errno.EACCES:
        return 126, "permission denied"
    if code == errno.ENOEXEC:
        return 126, "exec format error"
    return 126, os.strerror(code)


def flush_python_streams() -> None:
    """Flush Python's own streams, where there are any."""
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            try:  # noqa: SIM105 - as above
                stream.flush()
            except (OSError, ValueError):
                pass

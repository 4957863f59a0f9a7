"""Auto-detection of the application's SDK from its command, with real files."""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

import pytest

from roleprobe._detect import detect
from roleprobe._elf import MAGIC

SHIM = '#!/bin/sh\nexec "$HOME/.pyenv/versions/3.12/bin/python3" "$@"\n'


def script(path: Path, text: str) -> Path:
    """Write an executable file."""
    path.write_text(text)
    path.chmod(0o755)
    return path


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    """A PATH directory with interpreters as symlinks to real files."""
    where = tmp_path / "bin"
    where.mkdir()
    (where / "python3").symlink_to(sys.executable)
    real = script(tmp_path / "node", "#!/bin/sh\nexit 0\n")  # a stand-in node
    (where / "node").symlink_to(real)
    (where / "js-runtime").symlink_to(real)  # a name that says nothing
    java = tmp_path / "jdk" / "bin"
    java.mkdir(parents=True)
    (where / "runtime").symlink_to(script(java / "java", "#!/bin/sh\n"))
    return where


def env_for(bin_dir: Path) -> dict[str, str]:
    """Return an environment whose PATH is *bin_dir*, then the system's."""
    return {"PATH": f"{bin_dir}:/usr/bin:/bin"}


@pytest.mark.parametrize(
    ("line", "sdk"),
    [
        ("#!/usr/bin/env python3", "python"),
        ("#!/usr/bin/env -S python3 -u", "python"),
        ("#!/usr/bin/env node", "js"),
        ("#!/usr/bin/env -S node --no-warnings", "js"),
        ("#!/usr/bin/env -i LANG=C node", "js"),
        ("#! /usr/bin/env  node", "js"),
        ("#!{bin}/js-runtime", "js"),  # named by the file it resolves to
        ("#!{bin}/runtime -jar", "java"),
        ("#!{bin}/python3 -I", "python"),
    ],
)
def test_shebang(bin_dir: Path, tmp_path: Path, line: str, sdk: str) -> None:
    app = script(tmp_path / "app", line.format(bin=bin_dir) + "\nprint('hi')\n")
    assert detect([str(app)], "auto", env_for(bin_dir)) == (sdk, "shebang")


def test_shebang_of_a_command_found_on_path(bin_dir: Path) -> None:
    script(bin_dir / "gunicorn", "#!/usr/bin/env python3\n")
    script(bin_dir / "npm", "#!/usr/bin/env node\n")
    assert detect(["gunicorn", "app:app"], "auto", env_for(bin_dir)) == (
        "python",
        "shebang",
    )
    assert detect(["npm", "start"], "auto", env_for(bin_dir)) == ("js", "shebang")


def test_shell_script_shim_named_python3(tmp_path: Path) -> None:
    """A pyenv-style shim is a shell script, but its name says python."""
    where = tmp_path / "shims"
    where.mkdir()
    script(where / "python3", SHIM)
    environ = {"PATH": str(where)}
    assert detect(["python3", "-m", "app"], "auto", environ) == (
        "python",
        "command-name",
    )


def test_symlinked_interpreters(bin_dir: Path) -> None:
    environ = env_for(bin_dir)
    assert detect(["js-runtime", "app.js"], "auto", environ) == ("js", "command-name")
    assert detect(["runtime", "-jar", "a.jar"], "auto", environ) == (
        "java",
        "command-name",
    )
    assert detect([str(bin_dir / "python3")], "auto", environ) == (
        "python",
        "command-name",
    )


def test_the_setting_wins(bin_dir: Path) -> None:
    assert detect(["node", "x.js"], "java", env_for(bin_dir)) == ("java", "setting")


@pytest.mark.parametrize(
    "command",
    [[], [""], ["sh", "-c", "node app.js"], ["no-such-command"], ["/etc/hostname"]],
)
def test_default(bin_dir: Path, command: list[str]) -> None:
    assert detect(command, "auto", env_for(bin_dir)) == ("python", "default")


def test_the_script_is_never_run(bin_dir: Path, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    app = script(tmp_path / "app", f"#!/bin/sh\ntouch {marker}\n")
    assert detect([str(app)], "auto", env_for(bin_dir)) == ("python", "default")
    assert not marker.exists()


def test_a_fifo_never_blocks(bin_dir: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    fifo.chmod(0o755)
    assert detect([str(fifo)], "auto", env_for(bin_dir)) == ("python", "default")


def test_a_huge_file_is_read_only_at_its_start(bin_dir: Path, tmp_path: Path) -> None:
    app = tmp_path / "big"
    with app.open("wb") as f:
        f.write(b"#!/usr/bin/env node\n")
        f.truncate(1 << 30)  # sparse: 1 GiB that is never read
    app.chmod(0o755)
    assert detect([str(app)], "auto", env_for(bin_dir)) == ("js", "shebang")


# --- ELF files that carry Go's build information -------------------------------


def elf(*, sections: bool, magic: bool, wide: bool = True, big: bool = False) -> bytes:
    """Return a minimal ELF file: .go.buildinfo by section, or only a segment."""
    order = ">" if big else "<"
    ehsize, phentsize, shentsize = (64, 56, 64) if wide else (52, 32, 40)
    info = (MAGIC if magic else b"\0" * len(MAGIC)) + b"\x08\x02" + b"\0" * 16
    names = b"\0.shstrtab\0.go.buildinfo\0"
    phoff = ehsize
    data_at = phoff + phentsize
    names_at = data_at + len(info)
    shoff = (names_at + len(names) + 7) // 8 * 8
    if wide:
        ph = struct.pack(order + "IIQQQQQQ", 1, 6, data_at, 0, 0, len(info), 0, 16)
    else:
        ph = struct.pack(order + "IIIIIIII", 1, data_at, 0, 0, len(info), 0, 6, 16)
    fields = order + ("IIQQQQIIQQ" if wide else "IIIIIIIIII")
    table = b"".join(
        (
            struct.pack(fields, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
            struct.pack(fields, 1, 3, 0, 0, names_at, len(names), 0, 0, 1, 0),
            struct.pack(fields, 11, 1, 3, 0, data_at, len(info), 0, 0, 16, 0),
        )
    )
    shnum, shstrndx = (3, 1) if sections else (0, 0)
    ident = b"\x7fELF" + bytes([2 if wide else 1, 2 if big else 1, 1]) + b"\0" * 9
    addr = "Q" if wide else "I"
    header = ident + struct.pack(
        order + f"HHI{addr}{addr}{addr}IHHHHHH",
        2,
        62,
        1,
        0,
        phoff,
        shoff if sections else 0,
        0,
        ehsize,
        phentsize,
        1,
        shentsize,
        shnum,
        shstrndx,
    )
    body = header + ph + info + names
    return body + b"\0" * (shoff - len(body)) + (table if sections else b"")


@pytest.mark.parametrize("sections", [True, False], ids=["section", "segment"])
@pytest.mark.parametrize("wide", [True, False], ids=["elf64", "elf32"])
@pytest.mark.parametrize("big", [False, True], ids=["le", "be"])
def test_go_buildinfo(tmp_path: Path, sections: bool, wide: bool, big: bool) -> None:
    app = tmp_path / "server"
    app.write_bytes(elf(sections=sections, magic=True, wide=wide, big=big))
    app.chmod(0o755)
    assert detect([str(app)], "auto", {"PATH": "/bin"}) == ("go", "go-buildinfo")


@pytest.mark.parametrize("sections", [True, False], ids=["section", "segment"])
def test_elf_without_go_buildinfo(tmp_path: Path, sections: bool) -> None:
    app = tmp_path / "server"
    app.write_bytes(elf(sections=sections, magic=False))
    app.chmod(0o755)
    assert detect([str(app)], "auto", {"PATH": "/bin"}) == ("python", "default")


def test_go_binary_found_on_path(tmp_path: Path) -> None:
    (tmp_path / "server").write_bytes(elf(sections=True, magic=True))
    (tmp_path / "server").chmod(0o755)
    environ = {"PATH": str(tmp_path)}
    assert detect(["server", "--port", "80"], "auto", environ) == (
        "go",
        "go-buildinfo",
    )


@pytest.mark.parametrize("size", [0, 3, 20, 60])
def test_truncated_elf_is_default(tmp_path: Path, size: int) -> None:
    app = tmp_path / "server"
    app.write_bytes(elf(sections=True, magic=True)[:size])
    app.chmod(0o755)
    assert detect([str(app)], "auto", {"PATH": "/bin"}) == ("python", "default")

"""Whether an ELF file carries Go's build information, read in a few KiB.

Go's linker writes a ``.go.buildinfo`` section starting with the magic
``\\xff Go buildinf:`` (``debug/buildinfo``).  It is found through the section
headers; without them (stripped of section headers) at the start of the first
writable PT_LOAD segment, as ``debug/buildinfo`` searches it.  Every read is
a bounded ``pread``; nothing is mapped or run.
"""

from __future__ import annotations

import os
import struct
from typing import NamedTuple

MAGIC = b"\xff Go buildinf:"
_SECTION = b".go.buildinfo"
_MAX_TABLE = 8192  # bytes of section or program headers read at most
_MAX_NAMES = 4096  # bytes of the section name table read at most
_SEARCH = 4096  # bytes searched at the start of the writable segment
_PT_LOAD = 1
_PF_W = 2


class _Table(NamedTuple):
    """Where a header table lies: file offset, entry size, entries."""

    offset: int
    size: int
    entries: int

    def read(self, fd: int) -> bytes | None:
        """Return the table's bytes, or None when absent or too large."""
        length = self.size * self.entries
        if not self.offset or not self.entries or length > _MAX_TABLE:
            return None
        data = os.pread(fd, length, self.offset)
        return data if len(data) == length else None


def has_go_buildinfo(fd: int) -> bool:
    """Tell whether the ELF file open on *fd* carries Go's build information."""
    try:
        return _has_go_buildinfo(fd)
    except struct.error:  # truncated or malformed: not Go's
        return False


def _has_go_buildinfo(fd: int) -> bool:
    """Do has_go_buildinfo; struct.error on a malformed file."""
    head = os.pread(fd, 64, 0)
    if len(head) < 52 or head[:4] != b"\x7fELF" or head[4] not in (1, 2):
        return False
    wide, order = head[4] == 2, "<" if head[5] == 1 else ">"
    if wide:
        phoff, shoff = struct.unpack_from(order + "QQ", head, 32)
        phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from(
            order + "HHHHH", head, 54
        )
    else:
        phoff, shoff = struct.unpack_from(order + "II", head, 28)
        phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from(
            order + "HHHHH", head, 42
        )
    sections = _Table(shoff, shentsize, shnum)
    offset = _by_section(fd, order, wide, sections, shstrndx)
    if offset is None:
        return _in_segment(fd, order, wide, _Table(phoff, phentsize, phnum))
    return os.pread(fd, len(MAGIC), offset) == MAGIC


def _by_section(
    fd: int, order: str, wide: bool, sections: _Table, names: int
) -> int | None:
    """Return the file offset of .go.buildinfo by the section headers, or None."""
    table = sections.read(fd)
    if table is None or names >= sections.entries:
        return None
    fields = order + ("IIQQQQ" if wide else "IIIIII")

    def section(i: int) -> tuple[int, int, int]:
        name, _type, _flags, _addr, offset, length = struct.unpack_from(
            fields, table, i * sections.size
        )
        return name, offset, length

    _, names_at, names_len = section(names)
    text = os.pread(fd, min(names_len, _MAX_NAMES), names_at)
    for i in range(sections.entries):
        name, offset, _ = section(i)
        if text[name : name + len(_SECTION) + 1] == _SECTION + b"\0":
            return int(offset)
    return None


def _in_segment(fd: int, order: str, wide: bool, segments: _Table) -> bool:
    """Search the start of the first writable PT_LOAD segment for the magic."""
    table = segments.read(fd)
    if table is None:
        return False
    for i in range(segments.entries):
        at = i * segments.size
        if wide:
            kind, flags, offset = struct.unpack_from(order + "IIQ", table, at)
        else:
            kind, offset, _, _, _, _, flags = struct.unpack_from(
                order + "IIIIIII", table, at
            )
        if kind == _PT_LOAD and flags & _PF_W:
            data = os.pread(fd, _SEARCH, offset)
            return any(
                data[i : i + len(MAGIC)] == MAGIC for i in range(0, len(data), 16)
            )
    return False

"""A deterministic ZIP writer whose constant entries are compressed once per process.

Every entry gets the same timestamp (1980-01-01 00:00) and permissions, and entries are
written in the order given, so identical inputs give identical bytes.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

_DOS_TIME = 0  # 00:00:00
_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01
_DEFLATED = 8
_VERSION = 20


@dataclass(frozen=True)
class Entry:
    """One compressed member: name, CRC, sizes and the deflated bytes."""

    name: bytes
    crc: int
    size: int
    data: bytes


def deflate(name: str, content: bytes, level: int = 6) -> Entry:
    """Compress one member (raw deflate, as ZIP stores it)."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    data = compressor.compress(content) + compressor.flush()
    return Entry(name.encode("utf-8"), zlib.crc32(content) & 0xFFFFFFFF, len(content), data)


def write_zip(entries: list[Entry]) -> bytes:
    """A ZIP archive of ``entries`` in the given order."""
    out = bytearray()
    central = bytearray()
    for entry in entries:
        offset = len(out)
        flags = 0x800  # names are UTF-8
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, _VERSION, flags, _DEFLATED, _DOS_TIME, _DOS_DATE,
                           entry.crc, len(entry.data), entry.size, len(entry.name), 0)
        out += entry.name
        out += entry.data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, _VERSION, _VERSION, flags, _DEFLATED,
                               _DOS_TIME, _DOS_DATE, entry.crc, len(entry.data), entry.size,
                               len(entry.name), 0, 0, 0, 0, 0o644 << 16, offset)
        central += entry.name
    start = len(out)
    out += central
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), start, 0)
    return bytes(out)

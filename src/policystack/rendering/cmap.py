"""Read which characters a TrueType/OpenType font (or collection) maps to glyphs.

A small reader of the ``cmap`` table (subtable formats 4 and 12), so checking glyph
coverage needs no extra dependency.
"""

from __future__ import annotations

import struct

_UNICODE_PLATFORMS = {0, 3}


def _table(data: bytes, start: int, tag: bytes) -> int | None:
    """Offset of table ``tag`` in the font whose offset table starts at ``start``."""
    (count,) = struct.unpack_from(">H", data, start + 4)
    for index in range(count):
        record = start + 12 + 16 * index
        if data[record:record + 4] == tag:
            return struct.unpack_from(">I", data, record + 8)[0]
    return None


def _format4(data: bytes, at: int, codes: set[int]) -> None:
    (seg_x2,) = struct.unpack_from(">H", data, at + 6)
    segments = seg_x2 // 2
    ends = struct.unpack_from(f">{segments}H", data, at + 14)
    starts_at = at + 16 + seg_x2
    starts = struct.unpack_from(f">{segments}H", data, starts_at)
    deltas = struct.unpack_from(f">{segments}h", data, starts_at + seg_x2)
    ranges_at = starts_at + 2 * seg_x2
    offsets = struct.unpack_from(f">{segments}H", data, ranges_at)
    for index in range(segments):
        start, end = starts[index], ends[index]
        if start == 0xFFFF:
            continue
        if offsets[index] == 0:
            codes.update(c for c in range(start, end + 1) if (c + deltas[index]) & 0xFFFF)
            continue
        base = ranges_at + 2 * index + offsets[index]
        for code in range(start, end + 1):
            position = base + 2 * (code - start)
            if position + 2 <= len(data) and struct.unpack_from(">H", data, position)[0]:
                codes.add(code)


def _format12(data: bytes, at: int, codes: set[int]) -> None:
    (groups,) = struct.unpack_from(">I", data, at + 12)
    for index in range(groups):
        start, end, glyph = struct.unpack_from(">III", data, at + 16 + 12 * index)
        codes.update(range(start + (glyph == 0), end + 1))


def _font_codes(data: bytes, start: int, codes: set[int]) -> None:
    cmap = _table(data, start, b"cmap")
    if cmap is None:
        return
    (count,) = struct.unpack_from(">H", data, cmap + 2)
    seen = set()
    for index in range(count):
        platform, _, offset = struct.unpack_from(">HHI", data, cmap + 4 + 8 * index)
        at = cmap + offset
        if platform not in _UNICODE_PLATFORMS or at in seen:
            continue
        seen.add(at)
        (fmt,) = struct.unpack_from(">H", data, at)
        if fmt == 4:
            _format4(data, at, codes)
        elif fmt == 12:
            _format12(data, at, codes)


def font_characters(data: bytes) -> frozenset[int]:
    """Code points the font (every font of a collection) has a glyph for; empty if unreadable."""
    codes: set[int] = set()
    try:
        if data[:4] == b"ttcf":
            (count,) = struct.unpack_from(">I", data, 8)
            for offset in struct.unpack_from(f">{count}I", data, 12):
                _font_codes(data, offset, codes)
        else:
            _font_codes(data, 0, codes)
    except struct.error:
        return frozenset()
    return frozenset(codes)

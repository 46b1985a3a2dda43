"""Fonts for the PDF: the ones shipped with the package, extra folders, and the system's.

Typst falls back from font to font glyph by glyph, so a character shows if *any*
visible font has it. :func:`missing_characters` checks that against the fonts'
character maps, so the renderer can say which characters it could not show instead
of dropping them silently.
"""

from __future__ import annotations

import os
import sys
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from .cmap import font_characters

BUNDLED = Path(__file__).resolve().parent / "fonts"
FONT_PATHS_ENV = "POLICYSTACK_FONT_PATHS"
#: The font stack, in order; typst falls back to any other font after these.
FAMILIES = ("Noto Sans", "Noto Sans Hebrew", "Noto Sans Arabic", "Noto Sans CJK SC", "Noto Sans CJK JP",
            "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Droid Sans Fallback", "Noto Color Emoji",
            "Noto Emoji", "Symbola", "DejaVu Sans")
_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")
_IGNORED_CATEGORIES = {"Cc", "Cf", "Zs", "Zl", "Zp"}


def extra_font_paths() -> tuple[str, ...]:
    """Folders named by ``POLICYSTACK_FONT_PATHS`` (``os.pathsep``-separated)."""
    value = os.environ.get(FONT_PATHS_ENV, "")
    return tuple(p for p in value.split(os.pathsep) if p)


def system_font_dirs() -> list[Path]:
    """Where typst looks for system fonts on this platform."""
    home = Path.home()
    if sys.platform == "darwin":
        dirs = [Path("/Library/Fonts"), Path("/System/Library/Fonts"), home / "Library/Fonts"]
    elif sys.platform.startswith("win"):
        dirs = [Path(os.environ.get("WINDIR", "C:\\Windows")) / "Fonts",
                home / "AppData/Local/Microsoft/Windows/Fonts"]
    else:
        data = os.environ.get("XDG_DATA_HOME") or str(home / ".local/share")
        dirs = [Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path(data) / "fonts", home / ".fonts"]
    return [d for d in dirs if d.is_dir()]


def _files(folders: Iterable[Path]) -> list[Path]:
    found = []
    for folder in folders:
        for dirpath, _, names in os.walk(folder):
            found.extend(Path(dirpath) / n for n in sorted(names) if n.lower().endswith(_SUFFIXES))
    return sorted(found)


@lru_cache(maxsize=None)
def _cmap(path: str) -> frozenset[int]:
    try:
        return font_characters(Path(path).read_bytes())
    except OSError:  # an unreadable font file shows nothing, like in typst
        return frozenset()


@lru_cache(maxsize=None)
def _coverage(folders: tuple[str, ...]) -> frozenset[int]:
    codes: set[int] = set()
    for path in _files(Path(f) for f in folders):
        codes |= _cmap(str(path))
    return frozenset(codes)


def _needs_glyph(char: str) -> bool:
    code = ord(char)
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:  # variation selectors
        return False
    return unicodedata.category(char) not in _IGNORED_CATEGORIES


def missing_characters(text: str, extra: tuple[str, ...] = (), *, system: bool = True) -> list[str]:
    """Characters of ``text`` that no visible font can show, in order of first appearance."""
    if text.isascii():
        return []
    # A set, ordered only once the (usually few) missing ones are known: ordering every
    # distinct character of a ~24,000-character document cost ≈ 0.3 ms per PDF.
    wanted = {c for c in set(text) if c > "~" and _needs_glyph(c)}
    if not wanted:
        return []
    covered = _coverage((str(BUNDLED), *extra))
    wanted = {c for c in wanted if ord(c) not in covered}
    if wanted and system:
        covered = _coverage(tuple(str(d) for d in system_font_dirs()))
        wanted = {c for c in wanted if ord(c) not in covered}
    if len(wanted) <= 32:
        return sorted(wanted, key=text.index)
    return [c for c in dict.fromkeys(text) if c in wanted]


def describe(chars: Iterable[str]) -> str:
    """``U+4F60 CJK UNIFIED IDEOGRAPH-4F60, ...`` for a message."""
    return ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, 'unnamed character')}" for c in chars)

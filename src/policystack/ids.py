"""Identifiers: what a clause, layer or clinic id may look like, and near-miss suggestions."""

from __future__ import annotations

import difflib
import re
from typing import Iterable

CLAUSE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,36}$")  # ≤ 37: "ps_" + id fits a Word bookmark (40)
LAYER_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
# A clinic id becomes a folder name: portable, no separators, no leading dot.
TARGET_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                     *(f"lpt{i}" for i in range(1, 10))}


def is_safe_file_id(value: str) -> bool:
    """True when ``value`` is usable as a file or folder name on every system."""
    if not TARGET_ID.match(value) or value.endswith("."):
        return False
    return value.split(".")[0].lower() not in _WINDOWS_RESERVED


def suggest(name: str, known: Iterable[str], *, limit: int = 3) -> str | None:
    """A 'did you mean ...?' hint naming the nearest known ids, if any."""
    close = difflib.get_close_matches(name, sorted(set(known)), n=limit, cutoff=0.5)
    if not close:
        return None
    return "did you mean " + " or ".join(f"'{c}'" for c in close) + "?"


def bookmark_name(clause_id: str) -> str:
    """The Word bookmark that wraps a clause in a DOCX (Word allows letters, digits and '_')."""
    return "ps_" + clause_id.replace("-", "_")


def clause_id_from_bookmark(name: str) -> str | None:
    """The clause id a policystack bookmark stands for, or None for other bookmarks."""
    if not name.startswith("ps_"):
        return None
    return name[3:].replace("_", "-")

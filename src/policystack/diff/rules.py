"""Compare the rules (``require``/``forbid``) of two policy versions.

A rule's identity is ``<layer>/<kind>/topic:<topic>`` (or ``.../pattern:<pattern>``): the layer that
states it, whether it requires or forbids, and what it is about. A rule whose identity is in one version
only is added or removed; one whose citation, message or layer kind differs is changed. (A rule a layer
moves to another topic or pattern is therefore removed plus added, as is a rule that moves to another
layer.) When a layer states the same rule twice, the occurrences are paired in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .model import RULE_FIELDS, PolicyView, RuleView

RULE_STATUSES = ("added", "removed", "changed")


@dataclass(frozen=True)
class RuleChange:
    """A rule added, removed or changed (``changes``: which of layer_kind, citation, message differ)."""

    key: str
    status: str  # added | removed | changed
    old: RuleView | None
    new: RuleView | None
    changes: tuple[str, ...] = ()

    @property
    def rule(self) -> RuleView:
        """NEW's rule, or OLD's for a removed one."""
        return self.new or self.old  # type: ignore[return-value]


def diff_rules(old: Iterable[RuleView], new: Iterable[RuleView]) -> list[RuleChange]:
    """Rule changes in NEW's order, removed rules after them in OLD's order.

    Occurrences of the same identity pair up identical ones first, then the rest in order."""
    old, new = list(old), list(new)
    left: dict[str, list[int]] = {}  # identity → indexes of OLD's occurrences not yet paired
    for index, rule in enumerate(old):
        left.setdefault(rule.key, []).append(index)
    paired: dict[int, int] = {}  # NEW index → OLD index
    for j, rule in enumerate(new):  # identical occurrences first
        match = next((i for i in left.get(rule.key, ()) if old[i] == rule), None)
        if match is not None:
            left[rule.key].remove(match)
            paired[j] = match
    for j, rule in enumerate(new):  # then the rest of each identity, in order
        if j not in paired and left.get(rule.key):
            paired[j] = left[rule.key].pop(0)
    out: list[RuleChange] = []
    for j, rule in enumerate(new):
        if j not in paired:
            out.append(RuleChange(rule.key, "added", None, rule))
            continue
        before = old[paired[j]]
        changes = tuple(name for name in RULE_FIELDS if getattr(before, name) != getattr(rule, name))
        if changes:
            out.append(RuleChange(rule.key, "changed", before, rule, changes))
    used = set(paired.values())
    out.extend(RuleChange(r.key, "removed", r, None) for i, r in enumerate(old) if i not in used)
    return out


def unknown_note(old: PolicyView, new: PolicyView) -> str | None:
    """Why rules were not compared (a side whose rules are unknown), or None when they were."""
    sides = [(name, view) for name, view in (("OLD", old), ("NEW", new)) if view.rules is None]
    if not sides:
        return None
    reasons = []
    for name, view in sides:
        what = "a DOCX, which carries no rules" if view.kind == "docx" else "a policy lock without rules"
        reasons.append(f"{name} ({view.source}) is {what}")
    return "rules not compared: " + "; ".join(reasons)


SHORT = 60  # longer keys and patterns are shortened (with '…') in the terminal and --stat


def shorten(text: str, limit: int | None = SHORT) -> str:
    """``text`` in at most ``limit`` characters (None: never cut): its start, '…' and ``#`` with the first
    8 hex digits of its SHA-256, so long patterns that start alike stay apart."""
    if limit is None or len(text) <= limit:
        return text
    import hashlib

    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    return text[:limit - 10] + "…#" + digest


def counts(changes: Iterable[RuleChange]) -> dict[str, int]:
    """Rule changes per status (added, removed, changed)."""
    out = dict.fromkeys(RULE_STATUSES, 0)
    for change in changes:
        out[change.status] += 1
    return out


def field_pieces(change: RuleChange, name: str):
    """The word-level edit of one changed field (layer_kind, citation, message) of a changed rule."""
    from .words import word_diff

    old = getattr(change.old, name) if change.old else None
    new = getattr(change.new, name) if change.new else None
    return word_diff(str(old) if old is not None else "", str(new) if new is not None else "")


def detail(rule: RuleView) -> str:
    """Citation and message of a rule, for one line: ``16 CFR Part 465: the policy must not ...``."""
    parts = [p for p in (rule.citation, rule.message) if p]
    return ": ".join(parts)

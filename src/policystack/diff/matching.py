"""Match clauses of two policy versions and classify each: added, removed, changed, moved, renamed."""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any, Mapping

from .model import META_FIELDS, ClauseView, PolicyView
from .rules import RuleChange, counts as rule_counts, diff_rules, unknown_note
from .words import ParagraphDiff, Piece, paragraph_diff, similarity, word_diff

DEFAULT_RENAME_THRESHOLD = 0.8
CONTENT_CHANGES = ("title", "body", "topics", "layer")
STATUSES = ("added", "removed", "renamed", "changed", "moved", "unchanged")


@dataclass(frozen=True)
class ClauseDiff:
    """How one clause differs. ``changes`` lists what changed: title, body, topics, layer, section, position."""

    id: str
    status: str
    old: ClauseView | None
    new: ClauseView | None
    changes: tuple[str, ...] = ()
    old_id: str | None = None  # renamed clauses: the id in OLD
    similarity: float | None = None  # renamed clauses
    title_pieces: tuple[Piece, ...] = ()
    paragraphs: tuple[ParagraphDiff, ...] = ()

    @property
    def moved(self) -> bool:
        return "section" in self.changes or "position" in self.changes

    @property
    def content_changed(self) -> bool:
        return any(c in self.changes for c in CONTENT_CHANGES)


@dataclass(frozen=True)
class MetaChange:
    """A changed policy or target field (``policy.version``, ``target.name``, ...)."""

    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class LayerChange:
    """A layer added to, removed from, or changed in version between the two versions."""

    id: str
    status: str  # added | removed | changed
    old: Mapping[str, Any] | None
    new: Mapping[str, Any] | None


@dataclass(frozen=True)
class PolicyDiff:
    """Everything that differs between OLD and NEW, clause diffs in NEW's order (removed ones where they were)."""

    old: PolicyView
    new: PolicyView
    clauses: tuple[ClauseDiff, ...]
    meta: tuple[MetaChange, ...] = ()
    layers: tuple[LayerChange, ...] = ()
    stale: tuple[Any, ...] = field(default=())  # stale.StaleOverride items, filled by the caller
    rules: tuple[RuleChange, ...] = ()
    rules_note: str | None = None  # why rules were not compared (a side that cannot tell), or None

    @property
    def rules_compared(self) -> bool:
        return self.rules_note is None

    def rule_summary(self) -> dict[str, int]:
        """Rule changes: added, removed, changed."""
        return rule_counts(self.rules)

    def summary(self) -> dict[str, int]:
        """Counts: added, removed, changed (content), moved, renamed, unchanged."""
        counts = dict.fromkeys(("added", "removed", "changed", "moved", "renamed", "unchanged"), 0)
        for clause in self.clauses:
            if clause.status in ("added", "removed", "renamed", "unchanged"):
                counts[clause.status] += 1
            if clause.status in ("changed", "moved"):
                if clause.content_changed:
                    counts["changed"] += 1
            if clause.status != "renamed" and clause.moved:
                counts["moved"] += 1
        return counts

    @property
    def changed(self) -> bool:
        """True when anything differs (clauses, metadata, layers or rules)."""
        return bool(self.meta or self.layers or self.rules or any(c.status != "unchanged" for c in self.clauses))

    def summary_line(self) -> str:
        """E.g. '2 added, 1 removed, 4 changed, 1 moved, 1 rule added' (or 'no changes')."""
        counts = self.summary()
        parts = [f"{counts[k]} {k}" for k in ("added", "removed", "changed", "moved", "renamed") if counts[k]]
        if self.meta or self.layers:
            parts.append(f"{len(self.meta) + len(self.layers)} metadata change(s)")
        parts += [f"{n} rule{'s' if n != 1 else ''} {status}" for status, n in self.rule_summary().items() if n]
        return ", ".join(parts) if parts else "no changes"

    def changed_clauses(self) -> list[ClauseDiff]:
        return [c for c in self.clauses if c.status != "unchanged"]


def same_section(old: ClauseView, new: ClauseView) -> bool:
    """Compare section ids when both sides know them, else section titles (a DOCX knows only titles)."""
    if old.section and new.section:
        return old.section == new.section
    if old.section_title is None or new.section_title is None:
        return True
    return old.section_title == new.section_title


def _compare(old: ClauseView, new: ClauseView, *, plain: bool) -> tuple[list[str], list[Piece], list[ParagraphDiff]]:
    changes: list[str] = []
    if old.title != new.title:
        changes.append("title")
    if old.paragraphs != new.paragraphs:
        changes.append("body")
    if not plain and old.topics is not None and new.topics is not None and sorted(old.topics) != sorted(new.topics):
        changes.append("topics")
    if old.layer and new.layer and old.layer != new.layer:
        changes.append("layer")
    if not same_section(old, new):
        changes.append("section")
    title = word_diff(old.title, new.title) if "title" in changes else [("=", new.title)]
    if "body" not in changes:
        return changes, title, [ParagraphDiff("equal", (("=", p),)) for p in new.paragraphs]
    return changes, title, paragraph_diff(old.paragraphs, new.paragraphs)


def _renames(removed: list[ClauseView], added: list[ClauseView], threshold: float) -> list[tuple[ClauseView, ClauseView, float]]:
    scored = []
    for old in removed:
        for new in added:
            score = similarity(old.title + "\n" + old.text, new.title + "\n" + new.text)
            if score >= threshold:
                scored.append((score, old.id, new.id, old, new))
    scored.sort(key=lambda s: (-s[0], s[1], s[2]))
    used_old: set[str] = set()
    used_new: set[str] = set()
    pairs = []
    for score, old_id, new_id, old, new in scored:
        if old_id not in used_old and new_id not in used_new:
            used_old.add(old_id)
            used_new.add(new_id)
            pairs.append((old, new, round(score, 4)))
    return pairs


def _meta_changes(old: PolicyView, new: PolicyView) -> list[MetaChange]:
    out = []
    for name in META_FIELDS:
        a, b = old.meta.get(name), new.meta.get(name)
        if a is not None and b is not None and str(a) != str(b):
            out.append(MetaChange(f"policy.{name}", a, b))
    if old.target and new.target:
        for name in ("id", "name"):
            a, b = old.target.get(name), new.target.get(name)
            if a is not None and b is not None and a != b:
                out.append(MetaChange(f"target.{name}", a, b))
    return out


def _layer_changes(old: PolicyView, new: PolicyView) -> list[LayerChange]:
    if old.layers is None or new.layers is None:
        return []
    a = {l["id"]: l for l in old.layers}
    b = {l["id"]: l for l in new.layers}
    out = []
    for layer_id in list(a) + [k for k in b if k not in a]:
        if layer_id not in b:
            out.append(LayerChange(layer_id, "removed", a[layer_id], None))
        elif layer_id not in a:
            out.append(LayerChange(layer_id, "added", None, b[layer_id]))
        elif str(a[layer_id].get("version")) != str(b[layer_id].get("version")):
            out.append(LayerChange(layer_id, "changed", a[layer_id], b[layer_id]))
    return out


def diff_views(old: PolicyView, new: PolicyView, *,
               rename_threshold: float = DEFAULT_RENAME_THRESHOLD) -> PolicyDiff:
    """Compare two versions clause by clause. A threshold above 1 turns rename detection off."""
    plain = old.plain_only or new.plain_only
    old_clauses = [c.plain() for c in old.clauses] if plain else list(old.clauses)
    new_clauses = [c.plain() for c in new.clauses] if plain else list(new.clauses)
    old_by = {c.id: c for c in old_clauses}
    new_by = {c.id: c for c in new_clauses}
    removed = [c for c in old_clauses if c.id not in new_by]
    added = [c for c in new_clauses if c.id not in old_by]
    renamed = {new.id: (old, score) for old, new, score in _renames(removed, added, rename_threshold)}
    renamed_old = {old.id for old, _ in renamed.values()}
    # the old id each new clause continues (itself, or the id it was renamed from)
    origin = {c.id: (renamed[c.id][0].id if c.id in renamed else c.id) for c in new_clauses}
    # order is judged among clauses that stayed in their section (a section move is reported as such)
    renamed_to = {old.id: new_id for new_id, (old, _) in renamed.items()}

    def stays(old_id: str) -> bool:
        return same_section(old_by[old_id], new_by[renamed_to.get(old_id, old_id)])

    common_old = [c.id for c in old_clauses if (c.id in new_by or c.id in renamed_old) and stays(c.id)]
    common_new = [origin[c.id] for c in new_clauses if origin[c.id] in old_by and stays(origin[c.id])]
    in_place: set[str] = set()
    for block in SequenceMatcher(None, common_old, common_new, autojunk=False).get_matching_blocks():
        in_place.update(common_old[block.a:block.a + block.size])

    diffs: dict[str, ClauseDiff] = {}
    for clause in new_clauses:
        if clause.id in renamed:
            before, score = renamed[clause.id]
            changes, title, paras = _compare(before, clause, plain=plain)
            diffs[clause.id] = ClauseDiff(clause.id, "renamed", before, clause, tuple(changes), old_id=before.id,
                                          similarity=score, title_pieces=tuple(title), paragraphs=tuple(paras))
        elif clause.id not in old_by:
            diffs[clause.id] = ClauseDiff(clause.id, "added", None, clause, title_pieces=(("+", clause.title),),
                                          paragraphs=tuple(paragraph_diff((), clause.paragraphs)))
        else:
            before = old_by[clause.id]
            changes, title, paras = _compare(before, clause, plain=plain)
            if clause.id not in in_place and "section" not in changes:
                changes.append("position")
            status = "changed" if any(c in CONTENT_CHANGES for c in changes) else (
                "moved" if changes else "unchanged")
            diffs[clause.id] = ClauseDiff(clause.id, status, before, clause, tuple(changes),
                                          title_pieces=tuple(title), paragraphs=tuple(paras))
    # NEW's order, with each removed clause after the clause that preceded it in OLD (and stayed put)
    ordered = [diffs[c.id] for c in new_clauses]
    steady = {d.old_id or d.id for d in diffs.values() if d.status != "added" and not d.moved}
    for index, clause in enumerate(old_clauses):
        if clause.id in new_by or clause.id in renamed_old:
            continue
        gone = ClauseDiff(clause.id, "removed", clause, None, title_pieces=(("-", clause.title),),
                          paragraphs=tuple(paragraph_diff(clause.paragraphs, ())))
        anchor = next((old_clauses[k].id for k in range(index - 1, -1, -1) if old_clauses[k].id in steady), None)
        if anchor is None:
            at = 0
            while at < len(ordered) and ordered[at].status == "removed":
                at += 1
        else:
            at = next(i for i, d in enumerate(ordered) if (d.old_id or d.id) == anchor and d.status != "removed") + 1
            while at < len(ordered) and ordered[at].status == "removed":
                at += 1
        ordered.insert(at, gone)
    note = unknown_note(old, new)
    rules = () if note is not None else tuple(diff_rules(old.rules or (), new.rules or ()))
    return PolicyDiff(old=old, new=new, clauses=tuple(ordered), meta=tuple(_meta_changes(old, new)),
                      layers=tuple(_layer_changes(old, new)), rules=rules, rules_note=note)

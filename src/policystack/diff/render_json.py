"""The diff as JSON for CI (schema ``policystack.diff/1``, documented in docs/diff.md)."""

from __future__ import annotations

import json
from typing import Any

from .matching import ClauseDiff, PolicyDiff
from .model import ClauseView, PolicyView

SCHEMA = "policystack.diff/1"


def _side(view: PolicyView) -> dict[str, Any]:
    return {"source": view.source, "kind": view.kind, "policy": dict(view.meta),
            "target": dict(view.target) if view.target else None, "content_hash": view.content_hash,
            "rules": len(view.rules) if view.rules is not None else None}


def _clause_side(clause: ClauseView | None) -> dict[str, Any] | None:
    if clause is None:
        return None
    return {"id": clause.id, "title": clause.title, "section": clause.section, "section_title": clause.section_title,
            "topics": list(clause.topics) if clause.topics is not None else None, "layer": clause.layer,
            "hash": clause.hash, "paragraphs": list(clause.paragraphs)}


def clause_data(clause: ClauseDiff, *, full: bool = True) -> dict[str, Any]:
    """One clause entry; unchanged clauses carry only id and status unless ``full``."""
    data: dict[str, Any] = {"id": clause.id, "status": clause.status}
    if clause.status == "unchanged" and not full:
        return data
    data.update({
        "old_id": clause.old_id, "changes": list(clause.changes), "moved": clause.moved,
        "similarity": clause.similarity, "old": _clause_side(clause.old), "new": _clause_side(clause.new),
        "title": [list(p) for p in clause.title_pieces],
        "paragraphs": [{"op": p.op, "words": [list(w) for w in p.pieces]} for p in clause.paragraphs],
    })
    return data


def stale_data(item: Any) -> dict[str, Any]:
    """A stale override (``stale.StaleOverride``) as data."""
    return {"clause": item.clause, "layer": item.layer, "op": item.op, "written_against": list(item.written_against),
            "current": item.current, "file": item.file, "line": item.line, "old_text": item.old_text,
            "new_text": item.new_text, "words": [list(p) for p in item.pieces()]}


def rule_data(change: Any) -> dict[str, Any]:
    """A rule change (``rules.RuleChange``) as data."""
    return {"key": change.key, "status": change.status, "changes": list(change.changes),
            "old": change.old.data() if change.old else None, "new": change.new.data() if change.new else None}


def rules_data(diff: PolicyDiff) -> dict[str, Any]:
    """The ``rules`` member: whether rules were compared (and why not), counts and the changes."""
    return {"compared": diff.rules_compared, "note": diff.rules_note, "summary": diff.rule_summary(),
            "changes": [rule_data(c) for c in diff.rules]}


def diff_data(diff: PolicyDiff) -> dict[str, Any]:
    """The whole diff as plain data."""
    return {
        "schema": SCHEMA,
        "old": _side(diff.old),
        "new": _side(diff.new),
        "changed": diff.changed,
        "summary": diff.summary(),
        "metadata": [{"field": m.field, "old": m.old, "new": m.new} for m in diff.meta],
        "layers": [{"id": l.id, "status": l.status, "old": dict(l.old) if l.old else None,
                    "new": dict(l.new) if l.new else None} for l in diff.layers],
        "clauses": [clause_data(c, full=False) for c in diff.clauses],
        "stale": [stale_data(s) for s in diff.stale],
        "rules": rules_data(diff),
    }


def render_json(diff: PolicyDiff) -> str:
    """Sorted keys, two-space indent, newline at the end."""
    return json.dumps(diff_data(diff), ensure_ascii=False, sort_keys=True, indent=2) + "\n"

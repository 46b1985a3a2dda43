"""The policy lock: the canonical JSON form of a resolved policy.

Stable key order, a schema version, and a content hash over everything that
describes the policy. The diff and batch features read it back.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from . import __version__
from .model import content_hash
from .content import lookup_for, parse_policy
from . import md
from .model import Clause, Provenance, ResolvedPolicy

SCHEMA = "policystack.lock/1"


def relative(path: str | None, root: Path | None) -> str | None:
    """``path`` relative to the project root when it lies inside it (portable locks)."""
    if not path or root is None:
        return path
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except (ValueError, OSError):
        return path


def _provenance(step: Provenance, root: Path | None) -> dict[str, Any]:
    data = {"layer": step.layer, "kind": step.kind, "op": step.op, "citation": step.citation,
            "reason": step.reason, "source": relative(step.source, root), "before": step.before,
            "after": step.after}
    if step.note:
        data["note"] = step.note
    return data


def _clause(clause: Clause, text: str | None, root: Path | None) -> dict[str, Any]:
    data = {"id": clause.id, "title": clause.title, "section": clause.section, "topics": list(clause.topics),
            "body": clause.body, "hash": content_hash(clause),
            "provenance": [_provenance(p, root) for p in clause.provenance]}
    if text is not None:
        data["text"] = text
    return data


def lock_data(policy: ResolvedPolicy, *, root: Path | None = None) -> dict[str, Any]:
    """The lock as plain data (dicts and lists)."""
    lookup = lookup_for(policy)
    texts = {c.clause.id: md.blocks(c.blocks, lookup) for c in parse_policy(policy)}
    target = policy.target
    data: dict[str, Any] = {
        "schema": SCHEMA,
        "policy": {"id": policy.meta.id, "title": policy.meta.title, "version": policy.meta.version,
                   "effective": policy.meta.effective, "language": policy.meta.language,
                   "signers": list(policy.meta.signers)},
        "target": {"id": target.id, "name": target.name, "address": target.address, "phone": target.phone,
                   "email": target.email, "website": target.website,
                   "jurisdictions": list(target.jurisdictions), "professions": list(target.professions),
                   "organization": target.organization},
        "layers": [{"id": l.id, "kind": l.kind, "name": l.name, "version": l.version, "reviewed": l.reviewed,
                    "priority": l.priority, "origin": relative(l.origin, root), "plugin": l.plugin}
                   for l in policy.layers],
        "variables": {name: {"value": v.value, "set_by": v.set_by} for name, v in policy.variables.items()},
        "sections": [{"id": s.id, "title": s.title,
                      "clauses": [_clause(c, texts[c.id], root) for c in s.clauses]}
                     for s in policy.sections],
        "removed": [_clause(c, None, root) for c in policy.removed],
        "rules": [{"kind": r.kind, "layer": r.layer, "layer_kind": r.layer_kind, "citation": r.citation,
                   "message": r.message, "topic": r.topic, "pattern": r.pattern,
                   "source": relative(r.source, root)} for r in policy.rules],
    }
    data["content_hash"] = "sha256:" + hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()
    data["generator"] = {"name": "policystack", "version": __version__}
    return data


def canonical_json(data: Any) -> str:
    """Sorted keys, two-space indent, UTF-8 text as is, newline at the end."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def policy_lock(policy: ResolvedPolicy, *, root: Path | None = None) -> str:
    """The canonical JSON lock text of ``policy``."""
    return canonical_json(lock_data(policy, root=root))

"""Make a PolicyView from a resolved policy or from a policy lock."""

from __future__ import annotations

from typing import Any, Mapping

from ..compose import content_hash
from ..content import lookup_for, parse_policy, value_text
from ..errors import InputError
from ..markup import parse_bodies
from ..model import ResolvedPolicy
from .model import ClauseView, PolicyView, fill, normalise, paragraphs, rule_view, text_layer


def _step(step: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(step).items() if v is not None}


def view_from_policy(policy: ResolvedPolicy, *, source: str, lookup=None, contents=None,
                     hashes: bool = True) -> PolicyView:
    """The view of a freshly composed policy (``lookup`` overrides variable values, e.g. per clinic;
    ``contents``: the parsed clauses when already at hand; ``hashes``: compute clause hashes)."""
    lookup = lookup or lookup_for(policy, strict=False)
    contents = {c.clause.id: c for c in (contents if contents is not None else parse_policy(policy))}
    clauses = []
    for section in policy.sections:
        for clause in section.clauses:
            provenance = tuple(_step(p) for p in clause.provenance)
            clauses.append(ClauseView(
                id=clause.id, title=normalise(fill(clause.title, lookup)),
                paragraphs=tuple(paragraphs(contents[clause.id].blocks, lookup)),
                section=section.id, section_title=section.title, topics=tuple(clause.topics), body=clause.body,
                layer=text_layer(provenance), hash=content_hash(clause) if hashes else None,
                provenance=provenance))
    meta = policy.meta
    return PolicyView(
        source=source, kind="target",
        meta={"id": meta.id, "title": meta.title, "version": meta.version, "effective": meta.effective,
              "language": meta.language},
        clauses=tuple(clauses), target={"id": policy.target.id, "name": policy.target.name},
        layers=tuple({"id": l.id, "kind": l.kind, "name": l.name, "version": l.version} for l in policy.layers),
        variables={name: v.value for name, v in policy.variables.items()},
        rules=tuple(rule_view(r) for r in policy.rules))


def _lock_lookup(variables: Mapping[str, Any]):
    values = {name: value_text(v.get("value") if isinstance(v, Mapping) else v) for name, v in variables.items()}

    def lookup(name: str) -> str:
        text = values.get(name)
        return text if text not in (None, "") else "{{ " + name + " }}"

    return lookup


def _lock_rules(rules: Any):
    """The lock's rules; None (unknown) when the lock has no 'rules' list."""
    if not isinstance(rules, list):
        return None
    for rule in rules:
        if not isinstance(rule, Mapping) or not rule.get("kind") or not rule.get("layer"):
            raise TypeError(f"malformed rule {rule!r}")
    return tuple(rule_view(r) for r in rules)


def view_from_lock(data: Any, *, source: str) -> PolicyView:
    """The view of a policy lock (the JSON written by ``build --format json``)."""
    if not isinstance(data, Mapping) or not str(data.get("schema", "")).startswith("policystack.lock/"):
        raise InputError("not a policystack lock (no 'schema: policystack.lock/...')", file=source)
    try:
        variables = data.get("variables") or {}
        lookup = _lock_lookup(variables)
        raw = [(s, c) for s in data["sections"] for c in s["clauses"]]
        parsed = parse_bodies([(c["id"], c["body"]) for _, c in raw])
        clauses = []
        for (section, clause), blocks in zip(raw, parsed):
            provenance = tuple(clause.get("provenance") or ())
            clauses.append(ClauseView(
                id=clause["id"], title=normalise(fill(clause["title"], lookup)),
                paragraphs=tuple(paragraphs(blocks, lookup)), section=section["id"],
                section_title=section.get("title"), topics=tuple(clause.get("topics") or ()),
                body=clause["body"], layer=text_layer(provenance), hash=clause.get("hash"),
                provenance=provenance))
        policy = data["policy"]
        target = data.get("target") or None
        return PolicyView(
            source=source, kind="lock", meta={k: policy.get(k) for k in ("id", "title", "version", "effective",
                                                                         "language")},
            clauses=tuple(clauses),
            target={"id": target.get("id"), "name": target.get("name")} if target else None,
            layers=tuple({"id": l["id"], "kind": l.get("kind"), "name": l.get("name"), "version": l.get("version")}
                         for l in data.get("layers") or ()),
            variables={k: (v.get("value") if isinstance(v, Mapping) else v) for k, v in variables.items()},
            content_hash=data.get("content_hash"),
            rules=_lock_rules(data.get("rules")))
    except (KeyError, TypeError) as exc:
        raise InputError(f"policy lock is missing or has a malformed field: {exc}", file=source) from None

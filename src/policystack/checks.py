"""Checks on a resolved policy: variables, Markdown, requirements, prohibitions, review dates."""

from __future__ import annotations

import datetime as _dt
import os
import re
from typing import Any, Iterable

from .content import ClauseContent, lookup_for, markup_problems, parse_policy, text_layer
from .markup import plain_blocks, plain_inlines, variables_in
from .model import Finding, ResolvedPolicy

#: Jurisdiction and profession content older than this (in days) gets a warning.
REVIEW_MAX_AGE_DAYS = 365


def build_date() -> _dt.date:
    """Today, or ``POLICYSTACK_TODAY`` (ISO date) for reproducible runs and tests."""
    override = os.environ.get("POLICYSTACK_TODAY")
    return _dt.date.fromisoformat(override) if override else _dt.date.today()


def check_variables(policy: ResolvedPolicy) -> list[Finding]:
    """An error for every variable a clause uses that nothing fills."""
    findings = []
    for clause in policy.clauses():
        for name in variables_in(clause.title + "\n" + clause.body):
            value = policy.variables.get(name)
            if value is None or value.value in (None, ""):
                findings.append(Finding("error", "unfilled-variable",
                                        f"variable '{{{{ {name} }}}}' is not set by any layer, default or "
                                        "the clinic's variables", clause=clause.id, layer=text_layer(clause)))
    return findings


def clause_texts(contents: Iterable[ClauseContent], policy: ResolvedPolicy) -> dict[str, str]:
    """Each clause's final plain text (title and body, variables filled)."""
    lookup = lookup_for(policy, strict=False)
    return {c.clause.id: plain_inlines(c.title, lookup) + "\n" + plain_blocks(c.blocks, lookup)
            for c in contents}


_MAX_SEARCHES = 200_000
_searches: dict[tuple[str, str], str | None] = {}


def search(pattern: str, text: str) -> str | None:
    """The first case-insensitive match of ``pattern`` in ``text``, remembered per (pattern, text).

    Most clause texts repeat across a network's clinics, and forbid patterns can be costly.
    """
    key = (pattern, text)
    if key not in _searches:
        if len(_searches) >= _MAX_SEARCHES:
            _searches.clear()
        match = re.search(pattern, text, re.IGNORECASE)
        _searches[key] = match.group(0) if match else None
    return _searches[key]


def check_rules(policy: ResolvedPolicy, texts: dict[str, str]) -> list[Finding]:
    """Every ``require`` and ``forbid`` of every applied layer: met (ok) or not (error)."""
    findings = []
    clauses = policy.clauses()
    for rule in policy.rules:
        if rule.kind == "require":
            covering = [c for c in clauses if rule.topic in c.topics]
            if covering:
                by = ", ".join(f"'{c.id}' (from {text_layer(c)})" for c in covering)
                findings.append(Finding("ok", "requirement-met", f"requires topic '{rule.topic}': covered by {by}",
                                        clause=covering[0].id, layer=rule.layer, citation=rule.citation))
            else:
                message = rule.message or f"the policy must cover topic '{rule.topic}'"
                findings.append(Finding("error", "unmet-requirement",
                                        f"{message}; no clause has topic '{rule.topic}'"
                                        + _removed_by(policy, rule.topic),
                                        layer=rule.layer, citation=rule.citation))
            continue
        violations = []
        if rule.topic:
            violations = [(c, f"carries forbidden topic '{rule.topic}'") for c in clauses if rule.topic in c.topics]
        elif rule.pattern:
            for c in clauses:
                match = search(rule.pattern, texts.get(c.id, ""))
                if match is not None:
                    violations.append((c, f"contains forbidden wording \"{match}\""))
        for clause, what in violations:
            message = rule.message or "forbidden"
            findings.append(Finding("error", "forbidden", f"{message}: clause {what} (written by layer "
                                    f"'{text_layer(clause)}'; rule from layer '{rule.layer}')",
                                    clause=clause.id, layer=text_layer(clause), citation=rule.citation))
        if not violations:
            what = f"topic '{rule.topic}'" if rule.topic else "the wording it names"
            summary = rule.message or f"forbids {what}"
            findings.append(Finding("ok", "prohibition-respected", f"{summary}: no clause matches",
                                    layer=rule.layer, citation=rule.citation))
    return findings


def _removed_by(policy: ResolvedPolicy, topic: str | None) -> str:
    """Which layer removed the clauses that covered ``topic``, if any."""
    gone = [c for c in policy.removed if topic in c.topics]
    return "".join(f" (clause '{c.id}' covered it until layer '{c.provenance[-1].layer}' removed it: "
                   f"{c.provenance[-1].reason})" for c in gone)


def review_warning(layer: Any, today: _dt.date) -> Finding | None:
    """A warning when a jurisdiction or profession layer has no valid ``reviewed`` date, or one over
    12 months before ``today``; None otherwise (and for other kinds of layer)."""
    if layer.kind not in ("jurisdiction", "profession"):
        return None
    if not layer.reviewed:
        return Finding("warning", "no-review-date", "has no 'reviewed' date", layer=layer.id)
    try:
        reviewed = _dt.date.fromisoformat(layer.reviewed)
    except ValueError:
        return Finding("warning", "bad-review-date", f"'reviewed' is not a date: {layer.reviewed}", layer=layer.id)
    age = (today - reviewed).days
    if age > REVIEW_MAX_AGE_DAYS:
        return Finding("warning", "stale-review", f"content last reviewed {layer.reviewed}, {age} days before "
                       f"{today}: check it against its sources", layer=layer.id)
    return None


def check_review_dates(policy: ResolvedPolicy, today: _dt.date | None = None) -> list[Finding]:
    """A warning for jurisdiction/profession content reviewed over 12 months before the build date."""
    today = today or build_date()
    return [f for layer in policy.layers if (f := review_warning(layer, today)) is not None]


def run_checks(policy: ResolvedPolicy, extra: Iterable[Finding] = ()) -> list[Finding]:
    """All findings for ``policy``: errors first, then warnings, then notes and satisfied rules."""
    findings = check_variables(policy)
    problems = markup_problems(policy)
    findings += [Finding("error", "markup", p.message, clause=p.clause, layer=p.layer) for p in problems]
    if not problems:
        texts = clause_texts(parse_policy(policy), policy)
        findings += check_rules(policy, texts)
    findings += check_review_dates(policy)
    findings += [Finding("info", "note", n.message, clause=n.clause, layer=n.layer) for n in policy.notes]
    findings += list(extra)
    order = {"error": 0, "warning": 1, "info": 2, "ok": 3}
    return sorted(findings, key=lambda f: order.get(f.severity, 9))


def errors(findings: Iterable[Finding]) -> list[Finding]:
    """Only the errors."""
    return [f for f in findings if f.severity == "error"]


__all__ = ["run_checks", "errors", "check_rules", "check_variables", "check_review_dates", "build_date"]

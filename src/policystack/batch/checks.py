"""The pipeline's checks, with each forbidden-wording search done once per distinct clause text.

``forbid`` patterns are regular expressions run over every clause's final text,
and most clause texts are identical across a network's clinics. Each rule is
checked by the core ``check_rules`` itself, one clause at a time, remembered by
(rule, clause, text); a test compares the result with ``Pipeline.check``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ..checks import check_review_dates, check_rules, check_variables, clause_texts
from ..content import markup_problems, parse_policy, text_layer
from ..model import Finding, ResolvedPolicy, Rule, Section

if TYPE_CHECKING:
    from ..pipeline import Pipeline

_MAX_MEMO = 200_000
_ORDER = {"error": 0, "warning": 1, "info": 2, "ok": 3}


class Checker:
    """``check(policy)`` equal to ``pipeline.check(policy)``, faster over many similar policies."""

    def __init__(self, pipeline: "Pipeline") -> None:
        self.pipeline = pipeline
        self._memo: dict[tuple, list[Finding]] = {}

    def check(self, policy: ResolvedPolicy) -> list[Finding]:
        """Built-in checks plus every ``policystack_validate`` hook, ordered like ``run_checks``."""
        extra: list[Finding] = []
        for _, found in self.pipeline.plugins.call_each("policystack_validate", policy=policy):
            extra.extend(found or [])
        findings = check_variables(policy)
        problems = markup_problems(policy)
        findings += [Finding("error", "markup", p.message, clause=p.clause, layer=p.layer) for p in problems]
        if not problems:
            texts = clause_texts(parse_policy(policy), policy)
            for rule in policy.rules:
                findings += self.rule_findings(policy, rule, texts)
        findings += check_review_dates(policy)
        findings += [Finding("info", "note", n.message, clause=n.clause, layer=n.layer) for n in policy.notes]
        findings += extra
        return sorted(findings, key=lambda f: _ORDER.get(f.severity, 9))

    def rule_findings(self, policy: ResolvedPolicy, rule: Rule, texts: dict[str, str]) -> list[Finding]:
        """The findings of one rule; a wording rule is run per clause and remembered per clause text."""
        if not (rule.kind == "forbid" and rule.pattern and not rule.topic):
            return check_rules(replace(policy, rules=(rule,)), texts)
        violations: list[Finding] = []
        satisfied: list[Finding] = []
        for clause in policy.clauses():
            text = texts.get(clause.id, "")
            key = (rule, clause.id, text_layer(clause), text)
            found = self._memo.get(key)
            if found is None:
                if len(self._memo) >= _MAX_MEMO:
                    self._memo.clear()
                alone = replace(policy, rules=(rule,), sections=(Section(id=clause.section, title="",
                                                                         clauses=(clause,)),))
                found = self._memo[key] = check_rules(alone, {clause.id: text})
            bad = [f for f in found if f.severity == "error"]
            violations += bad
            if not bad:
                satisfied = found
        return violations or satisfied

"""The compliance report: every requirement and prohibition, whether it is met, by which clause and layer."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable

from . import md
from .model import Clause, Finding, Provenance, ResolvedPolicy, Section

RULE_CODES = {"requirement-met", "unmet-requirement", "prohibition-respected", "forbidden"}
_LABEL = {"requirement-met": "met", "prohibition-respected": "respected", "unmet-requirement": "UNMET",
          "forbidden": "VIOLATED"}


def rule_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Only the findings about ``require``/``forbid`` rules, in a stable order."""
    chosen = [f for f in findings if f.code in RULE_CODES]
    return sorted(chosen, key=lambda f: (f.severity != "error", f.layer or "", f.message))


def compliance_table(policy: ResolvedPolicy, findings: Iterable[Finding], *, width: int = 120) -> str:
    """A terminal table (rich): status, layer, citation, what was checked and the clause involved."""
    from io import StringIO

    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Compliance of {policy.target.id}", show_lines=False)
    for column in ("status", "rule from", "citation", "finding", "clause"):
        table.add_column(column, overflow="fold")
    for finding in rule_findings(findings):
        style = "red" if finding.severity == "error" else "green"
        table.add_row(f"[{style}]{_LABEL[finding.code]}[/]", finding.layer or "", finding.citation or "",
                      finding.message, finding.clause or "")
    buffer = StringIO()
    Console(file=buffer, width=width, force_terminal=False, color_system=None).print(table)
    return buffer.getvalue().rstrip()


def with_compliance_appendix(policy: ResolvedPolicy, findings: Iterable[Finding]) -> ResolvedPolicy:
    """``policy`` with an appendix section listing every rule and how the policy meets it."""
    items = []
    for finding in rule_findings(findings):
        cite = f" ({md.escape(finding.citation)})" if finding.citation else ""
        items.append(f"- **{_LABEL[finding.code]}**{cite}: {md.escape(finding.message)}")
    body = ("This appendix lists each requirement and prohibition of the rules applied to this policy, "
            "and how the policy meets it. It is not legal advice.")
    if items:
        body += "\n\n" + "\n".join(items)
    clause = Clause(id="compliance-appendix", title="Compliance appendix", body=body, topics=("compliance",),
                    section="appendix-compliance",
                    provenance=(Provenance(layer="policystack", kind="base", op="add",
                                           reason="--appendix compliance"),))
    section = Section(id="appendix-compliance", title="Appendix", clauses=(clause,))
    return replace(policy, sections=policy.sections + (section,))

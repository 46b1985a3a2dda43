"""``explain``: the history of one clause, step by step."""

from __future__ import annotations

import textwrap
from pathlib import Path

from .compose import Trace
from .errors import UsageError
from .ids import suggest
from .lock import relative
from .markup import variables_in
from .model import Clause, Provenance, Target


def _step_heading(number: int, step: Provenance, root: Path | None) -> str:
    kind = f" ({step.kind})" if step.kind != "base" else ""
    source = relative(step.source, root)
    lines = [f"{number}. {step.op} by layer '{step.layer}'{kind}" + (f"  [{source}]" if source else "")]
    if step.citation:
        lines.append(f"   citation: {step.citation}")
    if step.reason:
        lines.append(f"   reason:   {step.reason}")
    if step.note:
        lines.append(f"   note:     {step.note}")
    return "\n".join(lines)


def _text(clause: Clause | None) -> str:
    if clause is None:
        return "   (clause removed)"
    body = textwrap.indent(clause.body, "   | ", lambda line: True)
    return f"   | ## {clause.title}\n   | (section {clause.section}; topics {', '.join(clause.topics) or '-'})\n{body}"


def explain_clause(pipeline, target: Target, clause_id: str) -> str:
    """The base text, then each layer's operation with citation and reason, then the final text."""
    trace = Trace(clause_id)
    policy = pipeline.resolve(target, trace=trace)
    if not trace.steps:
        known = [c.id for c in policy.clauses()] + [c.id for c in policy.removed]
        raise UsageError(f"no clause '{clause_id}' in the policy of '{target.id}'", hint=suggest(clause_id, known))
    out = [f"Clause '{clause_id}' for {target.id} ({target.name})", ""]
    for number, (step, clause) in enumerate(trace.steps, 1):
        out.append(_step_heading(number, step, pipeline.project.root))
        out.append(_text(clause))
        out.append("")
    final = trace.steps[-1][1]
    if final is None:
        out.append("Final: the clause is not in this clinic's policy.")
    else:
        variables = policy.variables
        used = [n for n in variables_in(final.title + "\n" + final.body) if n in variables]
        out.append("Final text (variables filled):")
        from .content import lookup_for, parse_policy
        from .markup import plain_blocks

        lookup = lookup_for(policy, strict=False)
        content = next(c for c in parse_policy(policy) if c.clause.id == clause_id)
        out.append(textwrap.indent(plain_blocks(content.blocks, lookup), "   | ", lambda line: True))
        if used:
            out.append("")
            out.append("Variables: " + "; ".join(f"{n} = {variables[n].value!r} (set by {variables[n].set_by})"
                                                 for n in used))
    return "\n".join(out)

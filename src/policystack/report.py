"""Check results for people (text) and machines (JSON)."""

from __future__ import annotations

import json
from typing import Iterable

from .model import Finding, ResolvedPolicy


def findings_text(policy: ResolvedPolicy, findings: Iterable[Finding], *, show_all: bool = False) -> str:
    """A readable report: every error and warning, then a one-line summary."""
    findings = list(findings)
    shown = [f for f in findings if show_all or f.severity in ("error", "warning")]
    lines = [str(f) for f in shown]
    count = {s: sum(1 for f in findings if f.severity == s) for s in ("error", "warning", "ok")}
    layers = ", ".join(l.id for l in policy.layers) or "base only"
    lines.append(f"{policy.target.id}: {count['error']} error(s), {count['warning']} warning(s); "
                 f"{count['ok']} rule(s) satisfied; layers: {layers}")
    return "\n".join(lines)


def findings_json(policy: ResolvedPolicy, findings: Iterable[Finding]) -> str:
    """The report as JSON: the target, the layers applied and every finding."""
    data = {
        "target": policy.target.id,
        "layers": [l.id for l in policy.layers],
        "ok": not any(f.severity == "error" for f in findings),
        "findings": [{"severity": f.severity, "code": f.code, "message": f.message, "clause": f.clause,
                      "layer": f.layer, "citation": f.citation, "file": f.file} for f in findings],
    }
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)

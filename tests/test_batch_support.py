"""Helpers for the batch and roster tests: a throwaway project with tiny known layers, and rosters."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path
from typing import Any, Iterable

from conftest import REPO, write  # noqa: E402  (shared test helpers)

LAYERS = {
    "us": """
        layer: {id: us, kind: jurisdiction, name: United States, version: "1.0", reviewed: 2026-11-01}
        operations:
          - op: set
            values:
              emergency.number: "911"
              emergency.crisis_name: the 988 Suicide and Crisis Lifeline
              emergency.crisis_line: call or text 988
          - op: forbid
            pattern: "(5|five)-star"
            citation: 16 CFR Part 465
            message: the policy must not solicit reviews
        """,
    "us-ca": """
        layer: {id: us-ca, kind: jurisdiction, name: California, parent: us, version: "1.0", reviewed: 2026-11-01}
        operations:
          - op: add
            id: ca-telehealth
            title: Telehealth in California
            after: email
            body: Before our first video session we ask for your consent.
            citation: Cal. Bus. & Prof. Code 2290.5(b)
        """,
    "us-ny": """
        layer: {id: us-ny, kind: jurisdiction, name: New York, parent: us, version: "1.0", reviewed: 2026-11-01}
        operations: []
        """,
    "ca": """
        layer: {id: ca, kind: jurisdiction, name: Canada, version: "1.0", reviewed: 2026-11-01}
        operations:
          - op: set
            values:
              emergency.number: "911"
              emergency.crisis_name: the 9-8-8 Suicide Crisis Helpline
              emergency.crisis_line: call or text 9-8-8
        """,
    "uk": """
        layer: {id: uk, kind: jurisdiction, name: United Kingdom, version: "1.0", reviewed: 2026-11-01}
        operations:
          - op: set
            values:
              emergency.number: "999"
              emergency.crisis_name: Samaritans
              emergency.crisis_line: call 116 123
        """,
    "broken": """
        layer: {id: broken, kind: jurisdiction, name: Broken Land, version: "1.0", reviewed: 2026-11-01}
        operations:
          - op: set
            values: {emergency.number: "112", emergency.crisis_name: x, emergency.crisis_line: y}
          - op: amend
            clause: no-such-clause
            append: This clause does not exist.
            citation: test
        """,
    "psy": """
        layer: {id: psy, kind: profession, name: Psychology code, professions: [psychologist], reviewed: 2026-11-01}
        operations:
          - op: amend
            clause: testimonials
            append: Our psychologists never ask current clients for testimonials.
            citation: Code 5.05
        """,
    "counsel": """
        layer: {id: counsel, kind: profession, name: Counselling code, professions: [counselor, counsellor],
                reviewed: 2026-11-01}
        operations: []
        """,
    "acme": """
        layer: {id: acme, kind: organization, name: Acme Counseling, version: "2.0"}
        operations:
          - op: set
            values: {clinic.email_response_days: 1}
        """,
}

JURISDICTIONS = ["us-ca", "us-ny", "ca", "uk", "us"]
PROFESSIONS = ["psychologist", "counselor", "counsellor"]
COLUMNS = ["id", "name", "address", "phone", "email", "jurisdictions", "profession", "organization", "telehealth"]




def make_project(root: Path, *, plugins: dict[str, str] | None = None) -> Path:
    """A project: the real base policy plus the tiny layers above (and optional plugin files)."""
    shutil.copytree(REPO / "policies", root / "policies")
    write(root / "policystack.yaml", "policy: policies/social-media\nlayer_paths: [layers]\nplugins_dir: plugins\n")
    for name, text in LAYERS.items():
        write(root / "layers" / f"{name}.yaml", text)
    for name, text in (plugins or {}).items():
        write(root / "plugins" / f"{name}.py", text)
    return root


def clinic_rows(n: int, *, prefix: str = "c") -> list[dict[str, Any]]:
    """``n`` valid clinic rows spread over the test jurisdictions and professions."""
    rows = []
    for i in range(n):
        jurisdiction = JURISDICTIONS[i % len(JURISDICTIONS)]
        rows.append({"id": f"{prefix}{i:03d}", "name": f"Clinic Number {i}", "address": f"{i} Main Street",
                     "phone": f"+1 555 010 {i:04d}", "email": f"clinic{i}@example.org",
                     "jurisdictions": jurisdiction, "profession": PROFESSIONS[i % len(PROFESSIONS)],
                     "organization": "acme" if i % 2 else "", "telehealth": "true" if i % 3 == 0 else ""})
    return rows


def write_roster(path: Path, rows: Iterable[dict[str, Any]], columns: list[str] = COLUMNS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})
    return path


def pipeline_for(root: Path):
    """The pipeline the CLI would use for this project."""
    from policystack.pipeline import Pipeline
    from policystack.project import load_project

    return Pipeline(load_project(root))


def available(*wanted: str) -> list[str]:
    """The formats among ``wanted`` that are registered right now (docx/pdf/html arrive later)."""
    from policystack.plugins import make_plugins

    pipeline = pipeline_for(REPO)
    return [name for name in wanted if name in pipeline.renderers]


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` (relative path → bytes)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}

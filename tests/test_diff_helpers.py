"""Helpers shared by the diff tests: a tiny project of our own, locks, the CLI. (No tests here.)"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from policystack.cli import main
from policystack.layer_files import target_from_data
from policystack.lock import lock_data
from policystack.pipeline import Pipeline
from policystack.plugins import make_plugins
from policystack.project import load_project

from conftest import REPO, write  # noqa: E402  (shared test helpers)

TINY_POLICY = """
id: tiny
title: Tiny Policy
version: 1.0.0
effective: 2027-01-01
language: en
signers: [Client, Clinician]
defaults:
  clinic.email_response_days: 2
sections:
  - id: general
    title: General
    clauses: [purpose, contact, email]
  - id: online
    title: Online
    clauses: [friending, reviews]
  - id: acknowledgement
    title: Acknowledgement
    last: true
    clauses: [acknowledgement]
"""

TINY_CLAUSES = {
    "purpose": ("Why we have this policy", ["notice_consent"],
                "This policy explains how {{ clinic.name }} uses email and social media.\n\n"
                "Please ask your clinician about anything that is unclear."),
    "contact": ("How to reach us", ["contact"], "Call us at {{ clinic.phone }} during office hours."),
    "email": ("Email", ["email"], "We answer email within {{ clinic.email_response_days }} business days.\n\n"
              "- Keep clinical details out of email.\n- Email is not for emergencies."),
    "friending": ("Friend requests", ["friending"],
                  "We do not accept friend requests from clients on any social network."),
    "reviews": ("Review sites", ["reviews"], "We never ask clients for reviews on review sites."),
    "acknowledgement": ("Your acknowledgement", ["acknowledgement"],
                        "By signing below you confirm that you have read this policy."),
}


XX = """
layer: {id: xx, kind: jurisdiction, name: Testland, version: "1.0", reviewed: 2026-11-01}
operations:
  - op: set
    values: {emergency.number: "999"}
"""


XX_FULL = """
layer: {id: xx, kind: jurisdiction, name: Testland, version: "1.0", reviewed: 2026-11-01}
operations:
  - op: set
    values:
      emergency.number: "999"
      emergency.crisis_name: the Testland crisis line
      emergency.crisis_line: call 0800 000
"""




def tiny_project(root: Path, layers: dict[str, str] | None = None) -> Path:
    """A project with the tiny policy above and the given layer files (name → YAML)."""
    write(root / "policystack.yaml", "policy: policies/tiny\nlayer_paths: [layers]\nplugins_dir: plugins\n")
    write(root / "policies" / "tiny" / "policy.yaml", TINY_POLICY)
    for clause_id, (title, topics, body) in TINY_CLAUSES.items():
        write(root / "policies" / "tiny" / "clauses" / f"{clause_id}.md",
              f"---\nid: {clause_id}\ntitle: {title}\ntopics: [{', '.join(topics)}]\n---\n{body}\n")
    write(root / "layers" / "xx.yaml", XX)
    for name, text in (layers or {}).items():
        write(root / "layers" / f"{name}.yaml", text)
    return root


def real_project(root: Path) -> Path:
    """A project holding a copy of the repository's real base policy (no layers)."""
    shutil.copytree(REPO / "policies", root / "policies")
    write(root / "policystack.yaml", "policy: policies/social-media\nlayer_paths: [layers]\nplugins_dir: plugins\n")
    write(root / "layers" / "xx.yaml", XX_FULL)
    return root


def pipeline(root: Path) -> Pipeline:
    """A pipeline on ``root`` with the built-in plugins only."""
    return Pipeline(load_project(root), make_plugins(plugins_dir=None, entry_points=False))


CLINIC = {"id": "c1", "name": "Clinic One", "phone": "+1 555 0100", "email": "one@clinic.example",
          "jurisdictions": ["xx"]}


def target(**overrides: Any):
    """A clinic target; keyword arguments replace fields."""
    data = dict(CLINIC)
    data.update(overrides)
    return target_from_data(data, file="c1.yaml")


def lock_of(root: Path, **overrides: Any) -> dict:
    """The policy lock of the clinic on the project at ``root``."""
    p = pipeline(root)
    return lock_data(p.resolve(target(**overrides)), root=root)


def write_target(path: Path, **overrides: Any) -> Path:
    import yaml

    data = dict(CLINIC)
    data.update(overrides)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def cli(*args: str) -> Any:
    """Run ``policystack ARGS`` in-process; returns the click result."""
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.org",
                           "-c", "commit.gpgsign=false", *args], cwd=repo, capture_output=True, text=True,
                          check=True)
    return done.stdout


def commit_all(repo: Path, message: str, tag: str | None = None) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    if tag:
        git(repo, "tag", tag)

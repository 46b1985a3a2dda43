"""Shared fixtures: a throwaway project with the real base policy and tiny, known layers."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import Any, Callable

import pytest

from policystack.layer_files import target_from_data
from policystack.pipeline import Pipeline
from policystack.plugins import make_plugins
from policystack.project import load_project

REPO = Path(__file__).resolve().parents[1]

US = """
layer: {id: us, kind: jurisdiction, name: United States, version: "1.0", reviewed: 2026-11-01}
operations:
  - op: set
    values:
      emergency.number: "911"
      emergency.crisis_name: the 988 Suicide and Crisis Lifeline
      emergency.crisis_line: call or text 988
  - op: require
    topic: emergency
    citation: test citation 1
  - op: forbid
    pattern: "(5|five)-star"
    citation: 16 CFR Part 465
    message: the policy must not solicit reviews
"""
US_CA = """
layer: {id: us-ca, kind: jurisdiction, name: California, parent: us, version: "1.0", reviewed: 2026-11-01}
operations:
  - op: amend
    clause: reviews
    append: California law also protects your right to post a review.
    citation: Cal. Civ. Code 1670.8
    reason: anti-gag law
"""
CA = """
layer: {id: ca, kind: jurisdiction, name: Canada, version: "1.0", reviewed: 2026-11-01}
operations:
  - op: set
    values:
      emergency.number: "911"
      emergency.crisis_name: the 9-8-8 Suicide Crisis Helpline
      emergency.crisis_line: call or text 9-8-8
"""
PSYCHOLOGIST = """
layer: {id: apa-test, kind: profession, name: Test psychology code, professions: [psychologist], reviewed: 2026-11-01}
operations:
  - op: amend
    clause: testimonials
    append: Our psychologists never ask current clients for testimonials.
    citation: APA 5.05
"""
ORG = """
layer: {id: acme, kind: organization, name: Acme Counseling, version: "2.0"}
operations:
  - op: set
    values: {clinic.email_response_days: 1}
"""


def write(path: Path, text: str) -> Path:
    """Write dedented text, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    """A project folder: the real base policy plus small known layers (us, us-ca, ca, a profession, an org)."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "policies", root / "policies")
    write(root / "policystack.yaml", "policy: policies/social-media\nlayer_paths: [layers]\nplugins_dir: plugins\n")
    for name, text in {"us": US, "us-ca": US_CA, "ca": CA, "apa-test": PSYCHOLOGIST, "acme": ORG}.items():
        write(root / "layers" / f"{name}.yaml", text)
    return root


@pytest.fixture
def make_pipeline(project_dir: Path) -> Callable[..., Pipeline]:
    """Make a pipeline on the test project (optionally with extra plugins, no entry points)."""
    def make(extra: tuple = ()) -> Pipeline:
        project = load_project(project_dir)
        return Pipeline(project, make_plugins(plugins_dir=None, entry_points=False, extra=extra))
    return make


@pytest.fixture
def pipeline(make_pipeline) -> Pipeline:
    return make_pipeline()


def clinic(**overrides: Any):
    """A valid target; keyword arguments replace fields."""
    data = {"id": "test-clinic", "name": "Test Clinic", "phone": "+1 555 0100", "email": "hello@test.example",
            "jurisdictions": ["us-ca"], "profession": "psychologist"}
    data.update(overrides)
    return target_from_data(data, file="test-clinic.yaml")


@pytest.fixture
def layer_file(project_dir: Path) -> Callable[[str, str], Path]:
    """Add a layer YAML file to the test project."""
    def add(name: str, text: str) -> Path:
        return write(project_dir / "layers" / f"{name}.yaml", text)
    return add

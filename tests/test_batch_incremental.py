"""Incremental batches: a no-op rerun builds nothing; one changed row or clause rebuilds only what changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policystack.batch import run_batch
from policystack.roster import read_roster
from test_batch_support import LAYERS, clinic_rows, make_project, pipeline_for, tree, write, write_roster


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


def build(project: Path, rows, out: Path, formats=("md", "json"), **options):
    pipeline = pipeline_for(project)  # a fresh pipeline, as a new command would make
    targets = read_roster(write_roster(project / "roster.csv", rows), pipeline.catalogue)
    return run_batch(pipeline, targets, out, list(formats), progress=False, jobs=2, **options)


def mtimes(out: Path) -> dict[str, int]:
    return {p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()
            and p.name != "manifest.json"}


def test_noop_rerun_builds_nothing(project, tmp_path):
    rows, out = clinic_rows(30), tmp_path / "out"
    assert len(build(project, rows, out).built) == 30
    before, stamps = tree(out), mtimes(out)
    report = build(project, rows, out)
    assert report.built == [] and len(report.unchanged) == 30 and report.ok
    assert "nothing to do" in report.summary()
    assert tree(out) == before and mtimes(out) == stamps


def test_one_clinic_changed(project, tmp_path):
    rows, out = clinic_rows(30), tmp_path / "out"
    build(project, rows, out)
    stamps = mtimes(out)
    rows[7]["phone"] = "+1 555 999 0000"
    report = build(project, rows, out)
    assert report.built == ["c007"] and len(report.unchanged) == 29
    changed = {k for k, v in mtimes(out).items() if stamps.get(k) != v}
    assert changed == {"c007/social-media.md", "c007/social-media.json"}
    assert b"+1 555 999 0000" in (out / "c007" / "social-media.md").read_bytes()


def test_one_clause_changed_rebuilds_only_affected_clinics(project, tmp_path):
    rows, out = clinic_rows(30), tmp_path / "out"
    build(project, rows, out)
    stamps = mtimes(out)
    write(project / "layers" / "us-ca.yaml", LAYERS["us-ca"].replace("we ask for your consent",
                                                                      "we ask for your written consent"))
    report = build(project, rows, out)
    california = sorted(r["id"] for r in rows if r["jurisdictions"] == "us-ca")
    assert sorted(report.built) == california and len(california) == 6
    changed = {k.split("/")[0] for k, v in mtimes(out).items() if stamps.get(k) != v}
    assert changed == set(california)


def test_base_clause_replaced_by_a_layer_leaves_those_documents_alone(project, tmp_path):
    """A base clause that the organization replaces: its clinics' Markdown does not change, so it is not rewritten."""
    write(project / "layers" / "acme.yaml", """
        layer: {id: acme, kind: organization, name: Acme Counseling, version: "2.0"}
        operations:
          - op: replace
            clause: newsletter
            title: Our newsletter
            body: Acme sends no newsletter.
        """)
    rows, out = clinic_rows(10), tmp_path / "out"
    build(project, rows, out, ("md",))
    clause = project / "policies" / "social-media" / "clauses" / "newsletter.md"
    clause.write_text(clause.read_text(encoding="utf-8").rstrip() + "\n\nOne more sentence.\n", encoding="utf-8")
    report = build(project, rows, out, ("md",))
    without_org = sorted(r["id"] for r in rows if not r["organization"])
    assert sorted(report.built) == without_org
    assert sorted(report.unchanged) == sorted(r["id"] for r in rows if r["organization"])


def test_force_rebuilds_everything_identically(project, tmp_path):
    rows, out = clinic_rows(10), tmp_path / "out"
    build(project, rows, out)
    before = tree(out)
    report = build(project, rows, out, force=True)
    assert len(report.built) == 10 and tree(out) == before


def test_deleted_or_edited_output_is_rebuilt(project, tmp_path):
    rows, out = clinic_rows(5), tmp_path / "out"
    build(project, rows, out)
    before = tree(out)
    (out / "c001" / "social-media.md").unlink()
    (out / "c002" / "social-media.json").write_text("{}", encoding="utf-8")
    report = build(project, rows, out)
    assert sorted(report.built) == ["c001", "c002"]
    assert tree(out) == before


def test_failed_clinic_recovers(project, tmp_path):
    rows, out = clinic_rows(5), tmp_path / "out"
    rows[1]["jurisdictions"] = "broken"
    report = build(project, rows, out)
    assert [c for c, _ in report.failed] == ["c001"]
    rows[1]["jurisdictions"] = "uk"
    report = build(project, rows, out)
    assert report.built == ["c001"] and report.ok
    data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert data["summary"]["ok"] == 5


def test_inserting_a_row_builds_only_the_new_clinic(project, tmp_path):
    rows, out = clinic_rows(12), tmp_path / "out"
    build(project, rows, out)
    new = clinic_rows(1, prefix="new")[0]
    report = build(project, [new] + rows, out)
    assert report.built == ["new000"] and len(report.unchanged) == 12


def test_another_day_changes_nothing_while_reviews_are_fresh(project, tmp_path, monkeypatch):
    rows, out = clinic_rows(6), tmp_path / "out"
    monkeypatch.setenv("POLICYSTACK_TODAY", "2026-12-01")
    build(project, rows, out)
    before = tree(out)
    monkeypatch.setenv("POLICYSTACK_TODAY", "2027-01-15")
    report = build(project, rows, out)
    assert report.built == [] and tree(out) == before  # same manifest, byte for byte
    monkeypatch.setenv("POLICYSTACK_TODAY", "2028-06-01")  # every review is now over 12 months old
    report = build(project, rows, out)
    data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert any("reviewed" in w for w in data["clinics"][0]["warnings"])


def test_changing_a_render_option_rebuilds_and_reaches_the_documents(project, tmp_path):
    pdf = pytest.importorskip("pypdf")
    rows, out = clinic_rows(4), tmp_path / "out"
    pipeline = pipeline_for(project)
    targets = read_roster(write_roster(project / "roster.csv", rows), pipeline.catalogue)
    first = run_batch(pipeline, targets, out, ["pdf"], progress=False, jobs=2, options={"paper": "a4"})
    assert len(first.built) == 4
    again = run_batch(pipeline_for(project), targets, out, ["pdf"], progress=False, jobs=2, options={"paper": "a4"})
    assert again.built == []
    letter = run_batch(pipeline_for(project), targets, out, ["pdf"], progress=False, jobs=2,
                       options={"paper": "us-letter"})
    assert len(letter.built) == 4  # a different paper size is a different document
    page = pdf.PdfReader(out / targets[0].id / "social-media.pdf").pages[0]
    assert round(float(page.mediabox.width)) == 612  # US letter: 8.5 in at 72 pt

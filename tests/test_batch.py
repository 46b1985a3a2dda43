"""Batch builds end to end: every clinic built, manifest, failure isolation, hostile names, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from policystack.batch import run_batch
from policystack.cli import main
from policystack.roster import RosterError, read_roster
from test_batch_support import available, clinic_rows, make_project, pipeline_for, tree, write_roster

FORMATS = available("md", "json", "html", "docx", "pdf")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "project")


def run(project: Path, rows, out: Path, formats=("md", "json"), **options):
    pipeline = pipeline_for(project)
    roster = write_roster(project / "roster.csv", rows)
    return run_batch(pipeline, read_roster(roster, pipeline.catalogue), out, list(formats), progress=False,
                     **options)


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def test_fifty_clinics_all_formats(project, tmp_path):
    out = tmp_path / "out"
    report = run(project, clinic_rows(50), out, FORMATS, jobs=2)
    assert report.ok and len(report.built) == 50
    data = manifest(out)
    assert data["summary"] == {"clinics": 50, "ok": 50, "failed": 0, "pending": 0}
    assert data["formats"] == FORMATS and data["tool"]["name"] == "policystack"
    first = data["clinics"][0]
    assert first["id"] == "c000" and first["status"] == "ok" and first["error"] is None
    assert [l["id"] for l in first["layers"]] == ["us", "us-ca", "psy"]
    assert {p["name"] for p in first["plugins"]} >= {"yaml_layers"}
    files = tree(out)
    for clinic in data["clinics"]:
        assert [o["format"] for o in clinic["outputs"]] == FORMATS
        for output in clinic["outputs"]:
            import hashlib

            assert hashlib.sha256(files[output["path"]]).hexdigest() == output["sha256"]
    expected = {o["path"] for c in data["clinics"] for o in c["outputs"]} | {"manifest.json"}
    assert set(files) == expected  # nothing else: no temporary or stray files
    assert b"Clinic Number 7" in files["c007/social-media.md"]


def test_pool_and_serial_give_identical_bytes(project, tmp_path):
    rows = clinic_rows(20)
    run(project, rows, tmp_path / "a", jobs=2)
    run(project, rows, tmp_path / "b", jobs=1)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_byte_identical_reruns(project, tmp_path):
    rows = clinic_rows(12)
    run(project, rows, tmp_path / "a", jobs=2)
    first = tree(tmp_path / "a")
    report = run(project, rows, tmp_path / "a", jobs=2, force=True)
    assert len(report.built) == 12
    assert tree(tmp_path / "a") == first
    run(project, rows, tmp_path / "b", jobs=1)
    assert tree(tmp_path / "b") == first


def test_batch_equals_single_builds(project, tmp_path):
    """The per-stack fold cache gives exactly what composing from scratch gives; batch equals build."""
    from policystack.compose import compose

    pipeline = pipeline_for(project)
    targets = read_roster(write_roster(project / "roster.csv", clinic_rows(15)), pipeline.catalogue)
    for target in targets + targets:
        fresh = compose(pipeline.base, pipeline.catalogue, target, plugin_defaults=pipeline.plugin_defaults(target))
        assert pipeline.resolve(target) == fresh
    assert len(pipeline._folds) < len(targets)  # clinics sharing a stack share one fold
    run_batch(pipeline, targets, tmp_path / "out", ["md", "json"], progress=False, jobs=1)
    for target in targets[:5]:
        _, _, outputs = pipeline.build(target, ["md", "json"])
        assert (tmp_path / "out" / target.id / "social-media.md").read_bytes() == outputs["md"]
        assert (tmp_path / "out" / target.id / "social-media.json").read_bytes() == outputs["json"]


def test_failing_clinic_among_good_ones(project, tmp_path):
    rows = clinic_rows(10)
    rows[3]["jurisdictions"] = "broken"
    rows[6]["phone"] = ""  # a clause uses {{ clinic.phone }}: unfilled variable
    out = tmp_path / "out"
    report = run(project, rows, out, jobs=2)
    assert sorted(c for c, _ in report.failed) == ["c003", "c006"]
    assert len(report.built) == 8 and not report.ok
    data = {c["id"]: c for c in manifest(out)["clinics"]}
    assert data["c003"]["status"] == "failed" and "no-such-clause" in data["c003"]["error"]
    assert "clinic.phone" in data["c006"]["error"]
    assert data["c003"]["outputs"] == [] and not (out / "c003").exists()
    assert data["c004"]["status"] == "ok"


def test_fail_fast_stops_at_first_failure(project, tmp_path):
    rows = clinic_rows(30)
    rows[0]["jurisdictions"] = "broken"
    report = run(project, rows, tmp_path / "out", jobs=1, fail_fast=True)
    assert report.stopped and [c for c, _ in report.failed] == ["c000"]
    assert report.not_run == 29 and not report.built


def test_cli_exit_status_and_summary(project, tmp_path):
    rows = clinic_rows(6)
    rows[2]["jurisdictions"] = "broken"
    roster = write_roster(project / "roster.csv", rows)
    runner = CliRunner()
    args = ["--root", str(project), "batch", str(roster), "-o", str(tmp_path / "out"), "-f", "md,json", "-q"]
    result = runner.invoke(main, args)
    assert result.exit_code == 1, result.output
    assert "failed: c002:" in result.output
    assert "6 clinics: 5 built, 0 unchanged, 1 failed" in result.output
    rows[2]["jurisdictions"] = "us"
    write_roster(roster, rows)
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "6 clinics: 1 built, 5 unchanged, 0 failed" in result.output
    result = runner.invoke(main, args)
    assert "0 built, 6 unchanged" in result.output and "nothing to do" in result.output


def test_cli_bad_roster_builds_nothing(project, tmp_path):
    rows = clinic_rows(4)
    rows[1]["id"] = "../escape"
    rows[2]["email"] = "x@"
    roster = write_roster(project / "roster.csv", rows)
    result = CliRunner().invoke(main, ["--root", str(project), "batch", str(roster), "-o", str(tmp_path / "out"),
                                       "-f", "md", "-q"])
    assert result.exit_code == 1
    assert "2 problem(s) in the roster" in result.output
    assert "roster.csv:3: column 'id'" in result.output and "roster.csv:4: column 'email'" in result.output
    assert not (tmp_path / "out").exists()


def test_hostile_ids_never_leave_out(project, tmp_path):
    rows = clinic_rows(5)
    for row, hostile in zip(rows, ["../x", "a/b", "CON", "x" * 300, "..\\y"]):
        row["id"] = hostile
    pipeline = pipeline_for(project)
    with pytest.raises(RosterError) as caught:
        read_roster(write_roster(project / "roster.csv", rows), pipeline.catalogue)
    assert len(caught.value.problems) == 5
    assert not (tmp_path / "x").exists() and not (project / "x").exists()


def test_hostile_names_are_data(project, tmp_path):
    rows = clinic_rows(4)
    rows[0]["name"] = "N" * 300
    rows[1]["name"] = "東京カウンセリング"
    rows[2]["name"] = "عيادة الإرشاد"
    rows[3]["name"] = "Evil *clinic* [x](javascript:alert(1)) <script>"
    out = tmp_path / "out"
    report = run(project, rows, out, FORMATS, jobs=1)
    assert report.ok, report.failed
    assert ("N" * 300).encode() in (out / "c000" / "social-media.md").read_bytes()
    assert "東京カウンセリング".encode() in (out / "c001" / "social-media.md").read_bytes()
    evil = (out / "c003" / "social-media.md").read_text(encoding="utf-8")
    assert "\\*clinic\\*" in evil and "](javascript" not in evil.replace("\\]", "")
    assert sorted(p.name for p in out.iterdir()) == ["c000", "c001", "c002", "c003", "manifest.json"]


def test_clinic_removed_from_roster_and_format_dropped_are_pruned(project, tmp_path):
    rows = clinic_rows(5)
    out = tmp_path / "out"
    run(project, rows, out, ("md", "json"), jobs=1)
    report = run(project, rows[:4], out, ("md",), jobs=1)
    assert report.ok
    assert not (out / "c004").exists()
    assert sorted(p.name for p in (out / "c000").iterdir()) == ["social-media.md"]
    assert [c["id"] for c in manifest(out)["clinics"]] == ["c000", "c001", "c002", "c003"]


def test_skip_invalid_builds_the_valid_rows(project, tmp_path):
    rows = clinic_rows(5)
    rows[1]["id"] = "a/b"
    rows[3]["jurisdictions"] = "nowhere"
    roster = write_roster(project / "roster.csv", rows)
    result = CliRunner().invoke(main, ["--root", str(project), "batch", str(roster), "-o", str(tmp_path / "out"),
                                       "-f", "md", "-q", "--skip-invalid"])
    assert result.exit_code == 1
    assert "2 problem(s) in the roster; skipping those rows" in result.output
    assert "3 clinics: 3 built" in result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["c000", "c002", "c004", "manifest.json"]


def test_symlinked_clinic_folder_is_refused(project, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "c001").symlink_to(outside, target_is_directory=True)
    report = run(project, clinic_rows(3), out, ("md",), jobs=1)
    assert [c for c, _ in report.failed] == ["c001"] and "symbolic link" in report.failed[0][1]
    assert list(outside.iterdir()) == []
    assert sorted(report.built) == ["c000", "c002"]

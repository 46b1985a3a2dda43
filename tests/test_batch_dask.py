"""The Dask executor on a real LocalCluster (loopback only): same files and manifest as a local run."""

from __future__ import annotations

from pathlib import Path

import pytest

import shutil

from policystack.batch import run_batch
from policystack.roster import read_roster
from test_batch_support import REPO, available, clinic_rows, make_project, pipeline_for, tree, write_roster

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None, protocol="tcp://") as local:
        yield local.scheduler_address.replace("tcp://", "dask://")


@pytest.mark.slow
def test_dask_matches_local(cluster, tmp_path):
    project = make_project(tmp_path / "project")
    shutil.copytree(REPO / "examples" / "harbor-network" / "branding", project / "branding")  # beside layers/
    rows = clinic_rows(24)
    rows[5]["jurisdictions"] = "broken"
    pipeline = pipeline_for(project)
    targets = read_roster(write_roster(project / "roster.csv", rows), pipeline.catalogue)
    formats = available("md", "json", "html", "docx", "pdf")
    local = run_batch(pipeline, targets, tmp_path / "local", formats, jobs=2, progress=False)
    remote = run_batch(pipeline_for(project), targets, tmp_path / "dask", formats, executor=cluster,
                       progress=False)
    assert sorted(remote.built) == sorted(local.built) and len(remote.built) == 23
    assert [c for c, _ in remote.failed] == ["c005"]
    assert tree(tmp_path / "dask") == tree(tmp_path / "local")  # outputs and manifest, byte for byte
    again = run_batch(pipeline_for(project), targets, tmp_path / "dask", formats, executor=cluster,
                      progress=False)
    assert again.built == [] and len(again.unchanged) == 23


def test_bad_executor_address(tmp_path):
    from click.testing import CliRunner

    from policystack.cli import main

    project = make_project(tmp_path / "project")
    roster = write_roster(project / "roster.csv", clinic_rows(2))
    result = CliRunner().invoke(main, ["--root", str(project), "batch", str(roster), "-o", str(tmp_path / "o"),
                                       "-f", "md", "--executor", "spark://x:1"])
    assert result.exit_code == 2 and "expected dask://HOST:PORT" in result.output

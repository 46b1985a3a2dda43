"""An interrupted batch (Ctrl-C, SIGTERM, kill -9) leaves no partial file and a consistent manifest;
the next run completes the job with exactly the files a clean run makes."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from policystack.batch import run_batch
from policystack.roster import read_roster
from test_batch_support import clinic_rows, make_project, pipeline_for, tree, write_roster

SLOW_RENDERER = '''
import time
from policystack import hookimpl
from policystack.render import Renderer

def render(policy, context):
    time.sleep(0.02)
    return ("%s\\n" % policy.target.id).encode() * 5000

@hookimpl
def policystack_register_renderers(register):
    register(Renderer(name="slow", extension="txt", render=render, description="slow test format"))
'''
N = 60
FORMATS = ["md", "slow"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, Path, dict[str, bytes]]:
    """A project with a slow format, its roster, and the files a clean uninterrupted run makes."""
    base = tmp_path_factory.mktemp("interrupt")
    project = make_project(base / "project", plugins={"slow": SLOW_RENDERER})
    roster = write_roster(project / "roster.csv", clinic_rows(N))
    pipeline = pipeline_for(project)
    out = base / "reference"
    report = run_batch(pipeline, read_roster(roster, pipeline.catalogue), out, FORMATS, jobs=2, progress=False)
    assert report.ok
    return project, roster, tree(out)


def start(project: Path, roster: Path, out: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "policystack", "--root", str(project), "batch", str(roster), "-o", str(out),
               "-f", ",".join(FORMATS), "--jobs", "2"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def wait_for_progress(out: Path, process: subprocess.Popen, clinics: int = 4) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done = [d for d in out.glob("c*") if (d / "social-media.txt").exists()] if out.exists() else []
        if len(done) >= clinics:
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.01)
    raise AssertionError("the batch made no progress")


def assert_consistent(out: Path, reference: dict[str, bytes]) -> dict:
    data = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    statuses = {c["status"] for c in data["clinics"]}
    assert statuses <= {"ok", "pending"}
    for clinic in data["clinics"]:
        for output in clinic["outputs"]:
            if clinic["status"] == "ok":
                path = out / output["path"]
                assert hashlib.sha256(path.read_bytes()).hexdigest() == output["sha256"]
    for path in out.rglob("*"):
        if path.is_file() and ".policystack-staging" not in path.parts:
            relpath = path.relative_to(out).as_posix()
            if relpath != "manifest.json":
                # every output present is complete: byte-identical to what a clean run writes
                assert path.read_bytes() == reference[relpath], relpath
    return data


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM", "SIGINT"])
def test_interrupted_batch_then_clean_completion(reference, tmp_path, how):
    project, roster, expected = reference
    out = tmp_path / "out"
    process = start(project, roster, out)
    wait_for_progress(out, process)
    if how == "SIGINT":  # Ctrl-C reaches the whole foreground process group
        os.killpg(process.pid, signal.SIGINT)
    else:
        os.kill(process.pid, getattr(signal, how))
    process.communicate(timeout=30)
    time.sleep(0.2)  # workers die with their parent (PR_SET_PDEATHSIG)
    if how == "SIGKILL":
        assert process.returncode == -signal.SIGKILL
    else:
        assert process.returncode == 130
    data = assert_consistent(out, expected)
    assert data["summary"]["pending"] > 0 or how == "SIGKILL"
    finished = data["summary"]["ok"]
    again = start(project, roster, out)
    stdout, stderr = again.communicate(timeout=60)
    assert again.returncode == 0, stderr.decode()
    summary = stdout.decode()
    assert f"{N} clinics:" in summary and "0 failed" in summary
    assert f"{finished} unchanged" in summary or finished == 0 or "unchanged" in summary
    assert tree(out) == expected

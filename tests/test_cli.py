"""The command line end to end on the bundled example network (CliRunner and a real subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from policystack.cli import main

from conftest import REPO

CLINICS = sorted((REPO / "examples" / "harbor-network" / "clinics").glob("*.yaml"))


def invoke(*args: str):
    return CliRunner().invoke(main, ["--root", str(REPO), *args], catch_exceptions=False)


@pytest.mark.parametrize("target", CLINICS, ids=lambda p: p.stem)
def test_example_clinics_build_and_check(target, tmp_path):
    checked = invoke("check", str(target))
    assert checked.exit_code == 0, checked.output
    result = invoke("build", str(target), "-f", "md,json", "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    lock = json.loads((tmp_path / "social-media.json").read_text(encoding="utf-8"))
    markdown = (tmp_path / "social-media.md").read_text(encoding="utf-8")
    assert lock["schema"] == "policystack.lock/1"
    assert lock["target"]["id"] in target.read_text()
    kinds = [layer["kind"] for layer in lock["layers"]]
    assert kinds == sorted(kinds, key=["module", "jurisdiction", "profession", "organization", "clinic"].index)
    for section in lock["sections"]:
        for clause in section["clauses"]:
            assert clause["provenance"][0]["op"] == "add"
            assert f"### {clause['title']}" in markdown.replace("\\", "")
    assert "{{" not in markdown


def test_lock_is_byte_identical_across_processes():
    target = str(CLINICS[0])
    env = {**os.environ, "PYTHONHASHSEED": "random"}
    runs = [subprocess.run([sys.executable, "-m", "policystack", "--root", str(REPO), "build", target, "-f", "json"],
                           capture_output=True, env=env, check=True).stdout for _ in range(2)]
    assert runs[0] == runs[1]
    lock = json.loads(runs[0])
    assert lock["content_hash"].startswith("sha256:")
    assert str(REPO) not in runs[0].decode()  # paths are relative: the lock is portable


def test_explain_shows_history_across_layers():
    oakland = REPO / "examples" / "harbor-network" / "clinics" / "oakland.yaml"
    lock = json.loads(invoke("build", str(oakland), "-f", "json").output)
    clause = max((c for s in lock["sections"] for c in s["clauses"]), key=lambda c: len(c["provenance"]))
    assert len(clause["provenance"]) >= 3, "the example should show a clause shaped by two layers"
    result = invoke("explain", str(oakland), clause["id"])
    assert result.exit_code == 0
    out = result.output
    positions = [out.index(f"by layer '{step['layer']}'") for step in clause["provenance"]]
    assert positions == sorted(positions)
    for step in clause["provenance"]:
        if step["citation"]:
            assert step["citation"] in out
    assert "Final text" in out


def test_explain_unknown_clause_suggests():
    oakland = REPO / "examples" / "harbor-network" / "clinics" / "oakland.yaml"
    result = invoke("explain", str(oakland), "emial")
    assert result.exit_code == 2 and "did you mean 'email'" in result.output


def test_plugins_lists_builtins_with_hooks():
    result = invoke("plugins")
    assert result.exit_code == 0
    assert "yaml_layers" in result.output and "policystack_register_layers" in result.output
    assert "json_lock" in result.output and "builtin" in result.output


def test_subprocess_error_is_one_line_without_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nname: X\njurisdictions: [mars]\n")
    done = subprocess.run([sys.executable, "-m", "policystack", "--root", str(REPO), "build", str(bad),
                           "-o", str(tmp_path / "out.md")], capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "unknown jurisdiction 'mars'" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out.md").exists()

"""policystack new-plugin: the generated package's own tests pass, and it installs with pip and works."""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import textwrap
import tomllib
import venv
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from policystack.cli import main
from policystack.commands.scaffold import KINDS, plugin_names, write_plugin
from policystack.testing import write_project

REPO = Path(__file__).resolve().parents[1]
CONTRACT = Path(__file__).resolve().parent / "contract_plugin"


def run_pytest(folder: Path, python: str = sys.executable, *, source: bool = True) -> subprocess.CompletedProcess:
    """Run the generated package's tests (from its source folder unless it is installed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if source:
        env["PYTHONPATH"] = os.pathsep.join([str(folder / "src"), env.get("PYTHONPATH", "")])
    return subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("kind", KINDS)
def test_generated_package_tests_pass(tmp_path, kind):
    folder = write_plugin(f"demo-{kind}", kind, tmp_path / "pkg")
    pyproject = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["name"] == f"policystack-demo-{kind}"
    assert pyproject["project"]["entry-points"]["policystack"] == {f"demo-{kind}": f"policystack_demo_{kind}"}
    assert (folder / "README.md").is_file()
    assert (folder / "src" / f"policystack_demo_{kind}" / "__init__.py").is_file()
    done = run_pytest(folder)
    assert done.returncode == 0, done.stdout + done.stderr
    assert " passed" in done.stdout and "failed" not in done.stdout


def test_new_plugin_command(tmp_path):
    out = tmp_path / "acme"
    result = CliRunner().invoke(main, ["new-plugin", "acme-health", "--kind", "organization", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote organization plugin 'acme-health' to {out}" in result.output
    layer = (out / "src" / "policystack_acme_health" / "layer.yaml").read_text(encoding="utf-8")
    assert "id: acme-health" in layer and "kind: organization" in layer
    again = CliRunner().invoke(main, ["new-plugin", "acme-health", "--kind", "organization", "-o", str(out)])
    assert again.exit_code == 1 and "is not empty" in again.output
    forced = CliRunner().invoke(main, ["new-plugin", "acme-health", "--kind", "clause", "-o", str(out), "--force"])
    assert forced.exit_code == 0


def test_default_folder_is_named_after_the_distribution(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(main, ["new-plugin", "policystack-large-print", "--kind", "format"]).exit_code == 0
    assert (tmp_path / "policystack-large-print" / "src" / "policystack_large_print").is_dir()


@pytest.mark.parametrize("bad", ["Acme", "1acme", "acme_health", "acme--x", "acme-", "a" * 40, ""])
def test_bad_names_are_refused(bad):
    with pytest.raises(click.BadParameter):
        plugin_names(bad)


def test_unknown_kind_is_refused(tmp_path):
    result = CliRunner().invoke(main, ["new-plugin", "x", "--kind", "theme", "-o", str(tmp_path / "x")])
    assert result.exit_code == 2 and "theme" in result.output


# ---------------------------------------------------------------- pip install into a fresh virtual environment

def make_venv(folder: Path) -> str:
    """A fresh virtual environment that also sees this interpreter's packages (policystack, pytest, pip,
    hatchling), even when this interpreter is itself a virtual environment (tox). Returns its python."""
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(folder)
    python = str(folder / ("Scripts" if os.name == "nt" else "bin") / "python")
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    parents = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (Path(purelib) / "_policystack_test_parent.pth").write_text(
        "".join(f"import site; site.addsitedir({p!r})\n" for p in parents), encoding="utf-8")
    return python


@pytest.mark.slow
def test_scaffold_installed_with_pip_is_discovered_applied_and_tested(tmp_path):
    clause = write_plugin("video-extra", "clause", tmp_path / "clause-pkg")
    fmt = write_plugin("portal-plain", "format", tmp_path / "format-pkg")
    python = make_venv(tmp_path / "venv")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "POLICYSTACK_ROOT")}
    probe = subprocess.run([python, "-c", "import hatchling, pip"], capture_output=True, text=True, env=env)
    if probe.returncode != 0:
        pytest.skip(f"pip and hatchling are needed for an offline install: {probe.stderr.strip()[-200:]}")
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    installed = subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                                "--no-index", str(clause), str(fmt), str(CONTRACT)],
                               capture_output=True, text=True, env=env, timeout=300)
    assert installed.returncode == 0, installed.stdout + installed.stderr

    project = write_project(tmp_path / "project", policy=REPO / "policies" / "social-media")
    (project / "clinic.yaml").write_text(textwrap.dedent("""
        id: c1
        name: Clinic One
        phone: "+1 555 0100"
        email: one@clinic.example
        jurisdictions: [us-ca]
        """))

    def policystack(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([python, "-m", "policystack", "--root", str(project), *args],
                              capture_output=True, text=True, env=env, timeout=120)

    listed = policystack("plugins", "--json")
    assert listed.returncode == 0, listed.stderr
    plugins = {p["name"]: p for p in json.loads(listed.stdout)["plugins"]}
    for name, version, hooks in (("video-extra", "0.1.0", ["policystack_register_layers"]),
                                 ("portal-plain", "0.1.0", ["policystack_register_renderers"]),
                                 ("contract-example", "1.0.0", None)):
        assert plugins[name]["source"] == "entry point" and plugins[name]["error"] is None
        assert plugins[name]["version"] == version
        if hooks:
            assert plugins[name]["hooks"] == hooks

    built = policystack("build", str(project / "clinic.yaml"), "-f", "portal-plain")
    assert built.returncode == 0, built.stderr
    assert "Video Extra" in built.stdout  # the clause plugin's clause, in the format plugin's output
    assert "Clinic One" in built.stdout

    denied = subprocess.run([python, "-m", "policystack", "--root", str(project), "build",
                             str(project / "clinic.yaml")], capture_output=True, text=True, timeout=120,
                            env={**env, "POLICYSTACK_DISABLE_PLUGINS": "video-extra"})
    assert denied.returncode == 0 and "Video Extra" not in denied.stdout

    said = policystack("contract-hello", "pip")
    assert said.returncode == 0 and said.stdout == "hello pip from the contract plugin\n"

    for folder in (clause, fmt):  # the package's own tests, against the installed package
        done = run_pytest(folder, python, source=False)
        assert done.returncode == 0, done.stdout + done.stderr

"""The contract plugin (tests/contract_plugin/, written only from docs/plugins.md): one test per hook."""

from __future__ import annotations

import shutil
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from policystack.cli import main
from policystack.pipeline import BuildFailed
from policystack.plugins import make_plugins
from policystack.testing import PolicyHarness, write_project

REPO = Path(__file__).resolve().parents[1]
CONTRACT = Path(__file__).resolve().parent / "contract_plugin"
PACKAGE = "policystack_contract_example"

pytest_plugins = ["policystack.testing"]


@pytest.fixture
def contract(monkeypatch):
    """The contract plugin module, imported from tests/contract_plugin/."""
    monkeypatch.syspath_prepend(str(CONTRACT))
    sys.modules.pop(PACKAGE, None)
    import policystack_contract_example

    yield policystack_contract_example
    sys.modules.pop(PACKAGE, None)


@pytest.fixture
def harness(policystack_harness: PolicyHarness, contract) -> PolicyHarness:
    policystack_harness.register(contract, "contract-example")
    return policystack_harness


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project whose plugins folder holds the contract plugin package."""
    root = write_project(tmp_path / "project", policy=REPO / "policies" / "social-media")
    shutil.copytree(CONTRACT / PACKAGE, root / "plugins" / PACKAGE, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "clinic.yaml").write_text(textwrap.dedent("""
        id: c1
        name: Clinic One
        phone: "+1 555 0100"
        email: one@clinic.example
        jurisdictions: [us-ca]
        variables: {contract: true}
        """))
    return root


def test_contract_plugin_registers_every_hook(harness: PolicyHarness):
    from policystack import hookspecs

    info = harness.plugin_info("contract-example")
    assert info.error is None and info.version == "1.0.0"
    assert info.hooks == sorted(n for n in vars(hookspecs) if n.startswith("policystack_"))


def test_hook_policystack_register_layers(harness: PolicyHarness):
    ids = harness.clause_ids(variables={"contract": True})
    assert ids[ids.index("email") + 1] == "contract-clause"
    assert "contract-clause" not in harness.clause_ids()
    clause = harness.resolve(variables={"contract": True}).clause("contract-clause")
    assert clause.topics == ("contact",)
    assert [(p.layer, p.op) for p in clause.provenance] == [("contract-example", "add")]


def test_hook_policystack_variables(harness: PolicyHarness):
    policy = harness.resolve(variables={"contract": True})
    assert policy.values()["contract.greeting"] == "Hello Test Clinic"
    assert "Hello Test Clinic, this clause comes from a plugin." in harness.text("md", variables={"contract": True})
    own = harness.resolve(variables={"contract": True, "contract.greeting": "Hi"})
    assert own.values()["contract.greeting"] == "Hi"  # the clinic's own value wins over a plugin default


def test_hook_policystack_validate(harness: PolicyHarness):
    findings = harness.check(variables={"contract": True})
    assert [(f.severity, f.clause) for f in findings if f.code == "contract-seen"] == [("warning", "contract-clause")]
    with pytest.raises(BuildFailed, match="the clinic asked the contract plugin to fail"):
        harness.build("md", variables={"contract_fail": True})


def test_hook_policystack_register_renderers(harness: PolicyHarness):
    text = harness.text("contract-txt", variables={"contract": True})
    policy = harness.resolve(variables={"contract": True})
    assert text.startswith(policy.meta.title)
    for clause in policy.clauses():
        assert clause.title in text
    assert "Client: ________" in text
    assert harness.pipeline().renderers["contract-txt"].plugin == "contract-example"


def test_hook_policystack_register_commands(project: Path):
    runner = CliRunner()
    helped = runner.invoke(main, ["--root", str(project), "--help"])
    assert helped.exit_code == 0 and "contract-hello" in helped.output
    said = runner.invoke(main, ["--root", str(project), "contract-hello", "Sam"])
    assert said.exit_code == 0 and said.output == "hello Sam from the contract plugin\n"
    listed = runner.invoke(main, ["--root", str(project), "formats"])
    assert "contract-txt" in listed.output


def test_contract_plugin_through_the_command_line(project: Path, tmp_path: Path):
    out = tmp_path / "out.txt"
    result = CliRunner().invoke(main, ["--root", str(project), "build", str(project / "clinic.yaml"),
                                       "-f", "contract-txt", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Hello Clinic One, this clause comes from a plugin." in out.read_text(encoding="utf-8")
    assert "the contract clause is present" in result.output  # the validate warning is shown


def test_contract_plugin_as_an_entry_point(tmp_path: Path, monkeypatch):
    site = tmp_path / "site"
    info = site / "policystack_contract_example-1.0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: policystack-contract-example\nVersion: 1.0.0\n")
    (info / "entry_points.txt").write_text(f"[policystack]\ncontract-example = {PACKAGE}\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(CONTRACT))
    [found] = [i for i in make_plugins(plugins_dir=None).infos if i.name == "contract-example"]
    assert found.source == "entry point" and found.error is None and len(found.hooks) == 5

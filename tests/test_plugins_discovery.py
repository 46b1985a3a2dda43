"""Plugin discovery: entry points, the plugins folder (Python and YAML-only), allow and deny lists."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from policystack.cli import main
from policystack.layer_files import target_from_data
from policystack.pipeline import Pipeline
from policystack.plugins import ALLOW_ENV, DENY_ENV, make_plugins
from policystack.project import load_project
from policystack.testing import write_project

REPO = Path(__file__).resolve().parents[1]

CLAUSE_PLUGIN = '''
from policystack import hookimpl
from policystack.layer_files import layer_from_data

__version__ = "2.3.4"

@hookimpl
def policystack_register_layers(register):
    register(layer_from_data({
        "layer": {"id": "LAYER_ID", "kind": "module"},
        "operations": [{"op": "add", "id": "LAYER_ID", "title": "From LAYER_ID", "topics": ["contact"],
                        "after": "email", "body": "This clause comes from LAYER_ID."}],
    }, file=__file__))
'''

ORG_YAML = """
layer: {id: acme-yaml, kind: organization, name: Acme by YAML}
operations:
  - op: amend
    clause: email
    append: Acme reads email twice a day.
"""


def plugin_source(layer_id: str) -> str:
    return textwrap.dedent(CLAUSE_PLUGIN).replace("LAYER_ID", layer_id)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The real base policy, tiny jurisdictions, and an empty plugins folder."""
    root = write_project(tmp_path / "project", policy=REPO / "policies" / "social-media")
    (root / "plugins").mkdir()
    return root


def clinic_ids(root: Path, plugins_dir: Path | None, **target: object) -> list[str]:
    data = {"id": "c1", "name": "Clinic One", "phone": "1", "email": "a@b.example", "jurisdictions": ["us-ca"]}
    data.update(target)
    pipeline = Pipeline(load_project(root, plugins_dir=plugins_dir),
                        make_plugins(plugins_dir=plugins_dir, entry_points=False))
    return [c.id for c in pipeline.resolve(target_from_data(data, file="c1.yaml")).clauses()]


def fake_distribution(site: Path, name: str, entry_points: dict[str, str], version: str = "0.9") -> None:
    """A minimal installed distribution (dist-info with entry points) in ``site``."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = ["[policystack]"] + [f"{k} = {v}" for k, v in entry_points.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")


# ---------------------------------------------------------------- entry points

def test_entry_point_plugin_is_loaded_with_its_distribution_version(tmp_path, monkeypatch, project):
    site = tmp_path / "site"
    (site / "ep_clause_plugin.py").parent.mkdir(parents=True)
    (site / "ep_clause_plugin.py").write_text(plugin_source("ep-clause"))
    fake_distribution(site, "policystack-ep-clause", {"ep-clause": "ep_clause_plugin"}, version="0.9")
    monkeypatch.syspath_prepend(str(site))
    plugins = make_plugins(plugins_dir=None)
    info = next(i for i in plugins.infos if i.name == "ep-clause")
    assert (info.source, info.location, info.version, info.error) == ("entry point", "ep_clause_plugin", "0.9",
                                                                       None)
    assert info.hooks == ["policystack_register_layers"]
    pipeline = Pipeline(load_project(project), plugins)
    target = target_from_data({"id": "c", "name": "C", "jurisdictions": ["us"]}, file="c.yaml")
    assert "ep-clause" in [c.id for c in pipeline.resolve(target).clauses()]


def test_entry_points_can_be_switched_off(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    (site / "ep_off.py").write_text(plugin_source("ep-off"))
    fake_distribution(site, "ep-off", {"ep-off": "ep_off"})
    monkeypatch.syspath_prepend(str(site))
    assert "ep-off" not in [i.name for i in make_plugins(entry_points=False).infos]


# ---------------------------------------------------------------- plugins folder

def test_plugins_folder_python_file_and_package(project):
    plugins = project / "plugins"
    (plugins / "one_file.py").write_text(plugin_source("one-file"))
    (plugins / "a_package").mkdir()
    (plugins / "a_package" / "__init__.py").write_text("from .hooks import *\n")
    (plugins / "a_package" / "hooks.py").write_text(plugin_source("a-package"))
    (plugins / "_private.py").write_text("raise RuntimeError('never imported')\n")
    infos = {i.name: i for i in make_plugins(plugins_dir=plugins, entry_points=False).infos}
    assert infos["one_file"].source == "plugins folder" and infos["one_file"].version == "2.3.4"
    assert infos["a_package"].error is None and infos["a_package"].hooks == ["policystack_register_layers"]
    assert "_private" not in infos
    ids = clinic_ids(project, plugins)
    assert ids.index("one-file") == ids.index("email") + 1 or ids.index("a-package") == ids.index("email") + 1
    assert {"one-file", "a-package"} <= set(ids)


def test_plugins_folder_from_config_and_from_option(project, tmp_path):
    custom = project / "custom-plugins"
    custom.mkdir()
    (custom / "configured.py").write_text(plugin_source("configured"))
    (project / "policystack.yaml").write_text("policy: policy\nlayer_paths: [layers]\nplugins_dir: custom-plugins\n")
    assert load_project(project).plugins_dir == custom
    result = CliRunner().invoke(main, ["--root", str(project), "plugins"])
    assert result.exit_code == 0 and "configured" in result.output and str(custom) in result.output
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "by_option.py").write_text(plugin_source("by-option"))
    result = CliRunner().invoke(main, ["--root", str(project), "--plugins-dir", str(other), "plugins"])
    assert "by_option" in result.output and "configured" not in result.output


def test_yaml_only_plugins_file_and_folder(project):
    plugins = project / "plugins"
    (plugins / "acme-yaml.yaml").write_text(textwrap.dedent(ORG_YAML))
    (plugins / "harbor-kit" / "layers").mkdir(parents=True)
    (plugins / "harbor-kit" / "layers" / "clause.yaml").write_text(textwrap.dedent("""
        layer: {id: harbor-kit-clause, kind: module}
        operations:
          - {op: add, id: harbor-kit, title: Harbor kit, topics: [contact], section: messages, body: From YAML.}
        """))
    (plugins / "harbor-kit" / "branding.yaml").write_text("colour: navy\nlogo: logo.png\n")  # not a layer
    infos = {i.name: i for i in make_plugins(plugins_dir=plugins, entry_points=False).infos}
    assert infos["acme-yaml"].source == "plugins folder (YAML)" and infos["acme-yaml"].error is None
    assert infos["harbor-kit"].hooks == ["policystack_register_layers"]
    ids = clinic_ids(project, plugins, organization="acme-yaml")
    assert "harbor-kit" in ids
    pipeline = Pipeline(load_project(project), make_plugins(plugins_dir=plugins, entry_points=False))
    policy = pipeline.resolve(target_from_data({"id": "c", "name": "C", "jurisdictions": ["us"],
                                                "organization": "acme-yaml"}, file="c.yaml"))
    assert "Acme reads email twice a day." in policy.clause("email").body
    assert policy.clause("email").provenance[-1].layer == "acme-yaml"


def test_project_layer_paths_need_no_plugin(project):
    (project / "layers" / "module.yaml").write_text(textwrap.dedent("""
        layer: {id: plain-yaml, kind: module}
        operations:
          - {op: add, id: plain-yaml, title: Plain YAML, topics: [contact], after: email, body: Found by the project.}
        """))
    assert "plain-yaml" in clinic_ids(project, None)


# ---------------------------------------------------------------- allow / deny

@pytest.fixture
def two_plugins(project) -> Path:
    plugins = project / "plugins"
    (plugins / "alpha.py").write_text(plugin_source("alpha"))
    (plugins / "beta.py").write_text(plugin_source("beta"))
    (plugins / "gamma.yaml").write_text(textwrap.dedent(ORG_YAML).replace("acme-yaml", "gamma"))
    return plugins


def loaded(plugins_dir: Path) -> set[str]:
    found = make_plugins(plugins_dir=plugins_dir, entry_points=False)
    return {i.name for i in found.infos if i.source != "builtin"}


def test_deny_list(two_plugins, monkeypatch):
    monkeypatch.setenv(DENY_ENV, "alpha, gamma")
    assert loaded(two_plugins) == {"beta"}
    disabled = {i.name: i.disabled for i in make_plugins(plugins_dir=two_plugins, entry_points=False).disabled}
    assert disabled == {"alpha": f"disabled by {DENY_ENV}", "gamma": f"disabled by {DENY_ENV}"}


def test_allow_list_keeps_builtins(two_plugins, monkeypatch):
    monkeypatch.setenv(ALLOW_ENV, "beta")
    assert loaded(two_plugins) == {"beta"}
    builtins = {i.name for i in make_plugins(plugins_dir=two_plugins, entry_points=False).infos
                if i.source == "builtin"}
    assert {"markdown", "json_lock", "yaml_layers"} <= builtins


def test_deny_wins_over_allow(two_plugins, monkeypatch):
    monkeypatch.setenv(ALLOW_ENV, "alpha,beta")
    monkeypatch.setenv(DENY_ENV, "beta")
    assert loaded(two_plugins) == {"alpha"}


def test_allow_and_deny_apply_to_entry_points(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    (site / "ep_denied.py").write_text(plugin_source("ep-denied"))
    fake_distribution(site, "ep-denied", {"ep-denied": "ep_denied"})
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv(DENY_ENV, "ep-denied")
    found = make_plugins()
    assert "ep-denied" not in [i.name for i in found.infos]
    assert [i.name for i in found.disabled] == ["ep-denied"]


def test_plugins_command_shows_disabled_plugins(two_plugins, project, monkeypatch):
    monkeypatch.setenv(DENY_ENV, "alpha")
    result = CliRunner().invoke(main, ["--root", str(project), "plugins"])
    assert result.exit_code == 0
    assert f"alpha (not loaded: disabled by {DENY_ENV})" in result.output
    assert "beta 2.3.4" in result.output and "source: plugins folder" in result.output


def test_deny_list_can_replace_a_builtin_format(tmp_path, monkeypatch):
    """A plugin may take over a built-in format's name once the built-in is denied."""
    from policystack import hookimpl
    from policystack.pipeline import Pipeline
    from policystack.plugins import make_plugins
    from policystack.project import load_project
    from policystack.render import Renderer

    class ShoutingHtml:
        @hookimpl
        def policystack_register_renderers(self, register):
            register(Renderer(name="html", extension="html", render=lambda policy, context: b"<p>mine</p>"))

    project = load_project(REPO)
    with pytest.raises(Exception, match="registered twice"):
        Pipeline(project, make_plugins(entry_points=False, extra=[("shout", ShoutingHtml())])).renderers
    monkeypatch.setenv("POLICYSTACK_DISABLE_PLUGINS", "html")
    plugins = make_plugins(entry_points=False, extra=[("shout", ShoutingHtml())])
    assert any(i.name == "html" and i.source == "builtin" for i in plugins.disabled)
    assert Pipeline(project, plugins).renderers["html"].plugin == "shout"

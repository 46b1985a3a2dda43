"""A broken plugin is reported with its name and does not take down plugins, --help or --version."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from policystack.cli import main
from policystack.errors import PluginError
from policystack.plugins import make_plugins
from policystack.testing import PolicyHarness, write_project

REPO = Path(__file__).resolve().parents[1]

CLINIC = """
id: c1
name: Clinic One
phone: "+1 555 0100"
email: one@clinic.example
jurisdictions: [us-ca]
"""

#: name → (plugin source, the words `policystack plugins` must show for it)
BROKEN = {
    "import_error": ("import no_such_module_anywhere\n", "failed to load: ModuleNotFoundError"),
    "raises_at_import": ("raise RuntimeError('boom at import')\n", "failed to load: RuntimeError: boom at import"),
    "exits_at_import": ("import sys\nsys.exit(3)\n", "failed to load: SystemExit"),
    "syntax_error": ("def broken(:\n", "failed to load: SyntaxError"),
    "bad_signature": ("""
        from policystack import hookimpl

        @hookimpl
        def policystack_register_layers(register, target):
            pass
        """, "invalid hook implementation"),
    "misspelt_hook": ("""
        from policystack import hookimpl

        @hookimpl
        def policystack_register_layer(register):
            pass
        """, "'policystack_register_layer' is not a policystack hook (did you mean 'policystack_register_layers'?)"),
    "undecorated": ("""
        def policystack_register_renderers(register):
            pass
        """, "'policystack_register_renderers' is not decorated with @hookimpl"),
}


def write_plugin(folder: Path, name: str, source: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.py").write_text(textwrap.dedent(source))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = write_project(tmp_path / "project", policy=REPO / "policies" / "social-media")
    (root / "clinic.yaml").write_text(textwrap.dedent(CLINIC))
    (root / "plugins").mkdir()
    return root


def cli(project: Path, *args: str):
    return CliRunner().invoke(main, ["--root", str(project), *args])


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_each_failure_is_recorded_with_the_plugin_name(project, name):
    source, expected = BROKEN[name]
    write_plugin(project / "plugins", name, source)
    found = make_plugins(plugins_dir=project / "plugins", entry_points=False)
    [info] = [i for i in found.infos if i.name == name]
    assert expected in info.error
    assert found.manager.get_plugin(name) is None  # not left half-registered


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_plugin_does_not_break_plugins_help_version_or_build(project, name):
    source, expected = BROKEN[name]
    write_plugin(project / "plugins", name, source)
    listed = cli(project, "plugins")
    assert listed.exit_code == 0, listed.output
    assert name in listed.output and "BROKEN: " + expected in " ".join(listed.output.split())
    helped = cli(project, "--help")
    assert helped.exit_code == 0 and "Commands:" in helped.output
    assert f"plugin '{name}' is broken" in helped.output  # one warning line on stderr (mixed in here)
    assert cli(project, "--version").exit_code == 0
    built = cli(project, "build", str(project / "clinic.yaml"))
    assert built.exit_code == 0, built.output


def test_plugins_json_lists_broken_plugins(project):
    write_plugin(project / "plugins", "import_error", BROKEN["import_error"][0])
    result = cli(project, "plugins", "--json")
    data = json.loads(result.stdout)
    [entry] = [p for p in data["plugins"] if p["name"] == "import_error"]
    assert entry["source"] == "plugins folder" and "ModuleNotFoundError" in entry["error"]
    assert data["hook_contract"]


def test_entry_point_to_missing_module_is_reported(tmp_path, monkeypatch):
    site = tmp_path / "site"
    info = site / "policystack_gone-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: policystack-gone\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[policystack]\ngone = policystack_gone_module\n")
    monkeypatch.syspath_prepend(str(site))
    [broken] = [i for i in make_plugins().infos if i.name == "gone"]
    assert broken.source == "entry point" and broken.version == "1.0"
    assert "No module named 'policystack_gone_module'" in broken.error


# ---------------------------------------------------------------- exceptions inside hooks

RAISING = {
    "policystack_register_layers": "def policystack_register_layers(register):\n    raise KeyError('id')\n",
    "policystack_register_renderers": "def policystack_register_renderers(register):\n    raise KeyError('id')\n",
    "policystack_variables": "def policystack_variables(target):\n    raise KeyError('id')\n",
    "policystack_validate": "def policystack_validate(policy):\n    raise KeyError('id')\n",
}


@pytest.mark.parametrize("hook", sorted(RAISING))
def test_exception_inside_a_hook_names_plugin_and_hook(project, hook):
    write_plugin(project / "plugins", "raiser", "from policystack import hookimpl\n\n@hookimpl\n" + RAISING[hook])
    built = cli(project, "build", str(project / "clinic.yaml"))
    assert built.exit_code == 1
    assert f"plugin 'raiser' failed in {hook}: KeyError: 'id'" in built.output
    assert "Traceback" not in built.output
    assert cli(project, "plugins").exit_code == 0
    assert cli(project, "--help").exit_code == 0
    assert cli(project, "--version").exit_code == 0


def test_exception_inside_a_renderer_names_format_and_plugin(policystack_harness: PolicyHarness):
    from policystack import hookimpl
    from policystack.errors import PolicystackError
    from policystack.render import Renderer

    def render(policy, context):
        raise ValueError("no paper")

    class Plugin:
        @hookimpl
        def policystack_register_renderers(self, register):
            register(Renderer(name="paper", extension="txt", render=render))

    policystack_harness.register(Plugin(), "paper-plugin")
    with pytest.raises(PolicystackError, match="the 'paper' renderer \\(plugin 'paper-plugin'\\) failed: "
                                               "ValueError: no paper"):
        policystack_harness.build("paper")


def test_exception_inside_register_commands_is_a_warning(project):
    write_plugin(project / "plugins", "bad_commands", """
        from policystack import hookimpl

        @hookimpl
        def policystack_register_commands(cli):
            raise RuntimeError("no commands today")
        """)
    helped = cli(project, "--help")
    assert helped.exit_code == 0 and "build" in helped.output
    assert "plugin 'bad_commands' failed in policystack_register_commands: RuntimeError: no commands today" \
        in helped.output
    assert cli(project, "build", str(project / "clinic.yaml")).exit_code == 0
    unknown = cli(project, "nonexistent-command")
    assert unknown.exit_code == 2 and "No such command" in unknown.output


def test_harness_refuses_a_broken_plugin_with_its_name(policystack_harness: PolicyHarness):
    from policystack import hookimpl

    class Wrong:
        @hookimpl
        def policystack_validate(self, policy, clinic):
            return None

    policystack_harness.register(Wrong(), "wrong")
    with pytest.raises(PluginError, match="plugin 'wrong' could not be registered: invalid hook implementation"):
        policystack_harness.resolve()


def test_subprocess_help_and_version_survive_a_broken_plugin(project):
    write_plugin(project / "plugins", "raises_at_import", BROKEN["raises_at_import"][0])
    for args in (["--help"], ["--version"], ["plugins"]):
        done = subprocess.run([sys.executable, "-m", "policystack", "--root", str(project), *args],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, (args, done.stderr)
        assert "Traceback" not in done.stderr
    assert "raises_at_import" in done.stdout


def test_returning_items_from_a_register_hook_is_an_error(policystack_harness: PolicyHarness):
    from policystack import hookimpl
    from policystack.layer_files import layer_from_data

    class Returns:
        @hookimpl
        def policystack_register_layers(self, register):
            return [layer_from_data({"layer": {"id": "lost", "kind": "module"}}, file="x")]

    policystack_harness.register(Returns(), "returns")
    with pytest.raises(PluginError, match="plugin 'returns': policystack_register_layers returned a value, which "
                                          "is ignored; call register\\(...\\) for each item instead"):
        policystack_harness.resolve()


def test_registering_something_that_is_not_a_layer_names_the_plugin(policystack_harness: PolicyHarness):
    from policystack import hookimpl
    from policystack.errors import PolicystackError

    class Dict:
        @hookimpl
        def policystack_register_layers(self, register):
            register({"layer": {"id": "raw", "kind": "module"}})

    policystack_harness.register(Dict(), "dict-plugin")
    with pytest.raises(PolicystackError, match="expects a Layer, got dict") as caught:
        policystack_harness.resolve()
    assert "dict-plugin" in str(caught.value)


@pytest.mark.parametrize("declared, expected", [
    ("1.0", None), ("1", None),
    ("2.0", "written for hook contract 2.0, but this policystack has contract 1."),
    ("0.9", "written for hook contract 0.9"),
    ("1.99", "needs hook contract 1.99 or newer"),
    ("one", "POLICYSTACK_HOOK_CONTRACT must look like '1.0'"),
])
def test_declared_hook_contract_is_checked(project, declared, expected):
    write_plugin(project / "plugins", "versioned", f"""
        from policystack import hookimpl

        POLICYSTACK_HOOK_CONTRACT = {declared!r}

        @hookimpl
        def policystack_variables(target):
            return None
        """)
    [info] = [i for i in make_plugins(plugins_dir=project / "plugins", entry_points=False).infos
              if i.name == "versioned"]
    if expected is None:
        assert info.error is None
    else:
        assert expected in info.error

"""Plugin commands on the command line: loaded lazily, never by --version or built-in commands; --help stays fast."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from policystack.cli import main
from policystack.testing import write_project

REPO = Path(__file__).resolve().parents[1]

COMMAND_PLUGIN = '''
import pathlib
import click
from policystack import hookimpl

pathlib.Path(MARKER).joinpath("imported-NAME").touch()


@hookimpl
def policystack_register_commands(cli):
    pathlib.Path(MARKER).joinpath("commands-NAME").touch()

    @cli.command("hello-NAME")
    @click.option("--loud", is_flag=True)
    def hello(loud):
        """Say hello from NAME."""
        import json  # a heavy library would be imported here, not at module level
        click.echo(("HELLO" if loud else "hello") + " from NAME")


@hookimpl
def policystack_register_layers(register):
    pass
'''


def command_plugin(folder: Path, name: str, marker: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    source = textwrap.dedent(COMMAND_PLUGIN).replace("MARKER", repr(str(marker))).replace("NAME", name)
    (folder / f"{name}.py").write_text(source)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = write_project(tmp_path / "project", policy=REPO / "policies" / "social-media")
    (root / "clinic.yaml").write_text('id: c1\nname: Clinic One\nphone: "1"\nemail: a@b.example\n'
                                      "jurisdictions: [us-ca]\n")
    return root


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    folder = tmp_path / "marker"
    folder.mkdir()
    return folder


def cli(project: Path, *args: str):
    return CliRunner().invoke(main, ["--root", str(project), *args])


def test_plugin_command_is_listed_and_runs(project, marker):
    command_plugin(project / "plugins", "alpha", marker)
    helped = cli(project, "--help")
    assert helped.exit_code == 0 and "hello-alpha" in helped.output and "Say hello from alpha" in helped.output
    result = cli(project, "hello-alpha", "--loud")
    assert result.exit_code == 0 and result.output == "HELLO from alpha\n"
    assert cli(project, "hello-alpha", "--help").exit_code == 0


def test_version_and_builtin_commands_do_not_load_plugin_commands(project, marker):
    command_plugin(project / "plugins", "alpha", marker)
    assert cli(project, "--version").exit_code == 0
    assert not list(marker.iterdir())
    assert cli(project, "build", str(project / "clinic.yaml")).exit_code == 0
    assert not (marker / "commands-alpha").exists()  # the module is imported for its layers, commands are not asked


def test_command_name_taken_is_ignored_with_a_warning(project, marker):
    (project / "plugins").mkdir()
    (project / "plugins" / "shadow.py").write_text(textwrap.dedent('''
        import click
        from policystack import hookimpl

        @hookimpl
        def policystack_register_commands(cli):
            @cli.command("build")
            def build():
                click.echo("not the real build")

            @cli.command("shadow-ok")
            def ok():
                click.echo("ok")
        '''))
    helped = cli(project, "--help")
    assert "plugin 'shadow' adds a command 'build' that exists already; it was ignored" in helped.output
    assert "shadow-ok" in helped.output
    built = cli(project, "build", str(project / "clinic.yaml"))
    assert built.exit_code == 0 and "not the real build" not in built.output


def test_plugins_dir_option_before_help_is_honoured(project, marker, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    command_plugin(elsewhere, "beta", marker)
    helped = cli(project, "--plugins-dir", str(elsewhere), "--help")
    assert "hello-beta" in helped.output


def test_plugins_command_output(project, marker):
    command_plugin(project / "plugins", "alpha", marker)
    result = cli(project, "plugins")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("policystack ") and "hook contract" in lines[0]
    assert lines[1] == f"plugins folder: {project / 'plugins'}"
    block = result.output[result.output.index("\nalpha "):]
    assert "source: plugins folder (" in block
    assert "hooks:  policystack_register_commands, policystack_register_layers" in block


# ---------------------------------------------------------------- --help speed

def _help_seconds(project: Path, env: dict[str, str], runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "policystack", "--root", str(project), "--help"],
                              capture_output=True, text=True, env=env, timeout=60)
        times.append(time.perf_counter() - start)
        assert done.returncode == 0, done.stderr
    return statistics.median(times)


def test_help_stays_fast_with_many_plugins(project, marker, tmp_path, capsys):
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    baseline = _help_seconds(project, env)
    for index in range(8):  # eight plugins-folder plugins with commands
        command_plugin(project / "plugins", f"folder{index}", marker)
    site = tmp_path / "site"
    for index in range(4):  # four installed (entry point) plugins with commands
        command_plugin(site, f"installed{index}", marker)
        info = site / f"policystack_installed{index}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: policystack-installed{index}\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text(f"[policystack]\ninstalled{index} = installed{index}\n")
    env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")])
    loaded = _help_seconds(project, env)
    done = subprocess.run([sys.executable, "-m", "policystack", "--root", str(project), "--help"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert "hello-folder7" in done.stdout and "hello-installed3" in done.stdout
    with capsys.disabled():
        print(f"\n--help: {baseline * 1000:.0f} ms without plugins, {loaded * 1000:.0f} ms with 12 plugins")
    assert loaded < 2.0
    assert loaded - baseline < 0.5

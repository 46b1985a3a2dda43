"""The ``policystack`` command line. Thin: each command calls the pipeline and prints."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import PolicystackError, UsageError
from .render_options import render_option_flags, render_options


class _Group(click.Group):
    """Turns every policystack error into one line on stderr and its exit status.

    Subcommands beyond the core ones live in ``policystack.commands.<module>``
    (each exposing ``COMMANDS``), loaded when first listed or called.
    """

    def _feature_commands(self) -> dict[str, click.Command]:
        if not hasattr(self, "_features"):
            import importlib
            import pkgutil

            from . import commands

            self._features: dict[str, click.Command] = {}
            for module_info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
                module = importlib.import_module(f"{commands.__name__}.{module_info.name}")
                for command in getattr(module, "COMMANDS", ()):
                    self._features[command.name] = command
        return self._features

    def _plugin_commands(self, ctx: click.Context) -> dict[str, click.Command]:
        """Commands from ``policystack_register_commands``: loaded once per run, only when a name is
        unknown or the command list is shown, so built-in commands never import third-party plugins."""
        meta = ctx.find_root().meta
        if "policystack.plugin_commands" not in meta:
            taken = set(super().list_commands(ctx)) | set(self._feature_commands())
            meta["policystack.plugin_commands"] = _load_plugin_commands(ctx.find_root().params, taken)
        return meta["policystack.plugin_commands"]

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._feature_commands())
                      | set(self._plugin_commands(ctx)))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return (super().get_command(ctx, cmd_name) or self._feature_commands().get(cmd_name)
                or self._plugin_commands(ctx).get(cmd_name))

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PolicystackError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:  # an unexpected failure: still no traceback unless asked
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)",
                       err=True)
            ctx.exit(3)


def _project_plugins_dir(root: Path | None, plugins_dir: Path | None) -> Path | None:
    """The plugins folder: ``--plugins-dir``, else the project's ``plugins_dir`` setting (None if no project)."""
    from .project import find_project

    try:
        return find_project(root=root, plugins_dir=plugins_dir).plugins_dir
    except PolicystackError:
        return plugins_dir


def _load_plugin_commands(params: dict[str, Any], taken: set[str]) -> dict[str, click.Command]:
    """Call each plugin's ``policystack_register_commands`` on a scratch group; keep the new names.

    A plugin that fails to load or raises is reported on stderr and skipped, so it cannot
    take down ``--help`` or the other commands.
    """
    from .plugins import make_plugins

    commands: dict[str, click.Command] = {}
    try:
        found = make_plugins(plugins_dir=_project_plugins_dir(params.get("root"), params.get("plugins_dir")),
                             builtins=())
    except Exception as exc:  # noqa: BLE001 - discovery itself failed: no plugin commands, say why
        click.echo(f"warning: plugin commands not loaded: {type(exc).__name__}: {exc}", err=True)
        return commands
    for info in found.broken:
        click.echo(f"warning: plugin '{info.name}' is broken and was skipped: {info.error} "
                   "(see 'policystack plugins')", err=True)
    impls = found.manager.hook.policystack_register_commands.get_hookimpls()
    for impl in sorted(impls, key=lambda i: i.plugin_name):
        scratch = click.Group("policystack")
        try:
            impl.function(**{name: scratch for name in impl.argnames})
        except Exception as exc:  # noqa: BLE001 - a plugin's hook failed: skip its commands only
            click.echo(f"warning: plugin '{impl.plugin_name}' failed in policystack_register_commands: "
                       f"{type(exc).__name__}: {exc}", err=True)
            continue
        for name, command in scratch.commands.items():
            if name in taken or name in commands:
                click.echo(f"warning: plugin '{impl.plugin_name}' adds a command '{name}' that exists "
                           "already; it was ignored", err=True)
                continue
            commands[name] = command
    return commands


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="policystack")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), envvar="POLICYSTACK_ROOT", is_eager=True,
              help="Project folder (holding policystack.yaml). Default: found from the target or cwd.")
@click.option("--plugins-dir", type=click.Path(file_okay=False, path_type=Path), is_eager=True,
              help="Folder of plugins to load (default: the project's plugins/).")
@click.option("--layers", "extra_layers", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Extra layer file or folder (repeatable).")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.pass_context
def main(ctx: click.Context, root: Path | None, plugins_dir: Path | None, extra_layers: tuple[Path, ...],
         debug: bool) -> None:
    """Build, check and explain a clinic's social-media and electronic-communication policy."""
    ctx.ensure_object(dict)
    ctx.obj.update(root=root, plugins_dir=plugins_dir, extra_layers=extra_layers, debug=debug)


def pipeline_for(ctx: click.Context, start: Path | None = None):
    """The pipeline for this invocation (project found from ``start`` or the working directory)."""
    from .pipeline import Pipeline
    from .project import find_project

    obj = ctx.find_root().obj
    key = ("pipeline", str(start))
    if key not in obj:
        project = find_project(root=obj["root"], start=start, plugins_dir=obj["plugins_dir"])
        if obj["extra_layers"]:
            project = project.with_extra_layers(tuple(p.resolve() for p in obj["extra_layers"]))
        obj[key] = Pipeline(project)
    return obj[key]


def _formats(value: str) -> list[str]:
    names = [n.strip().lower() for n in value.split(",") if n.strip()]
    if not names:
        raise UsageError("--format needs at least one format")
    return list(dict.fromkeys(names))


def _destinations(out: Path, formats: list[str], pipeline, policy_id: str) -> dict[str, Path]:
    renderers = {name: pipeline.renderer(name) for name in formats}
    if len(formats) == 1 and out.suffix and not out.is_dir():
        return {formats[0]: out}
    if out.exists() and not out.is_dir():
        raise UsageError(f"-o {out} is a file; several formats need a folder")
    return {name: out / f"{policy_id}.{renderer.extension}" for name, renderer in renderers.items()}


@main.command()
@click.argument("target", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-f", "--format", "format_", default="md", show_default=True,
              help="Output format(s), comma-separated (see 'policystack formats').")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Output file (one format) or folder. Default: standard output (one format).")
@click.option("--appendix", type=click.Choice(["compliance"]), multiple=True,
              help="Add an appendix to the documents (compliance: every rule and how it is met).")
@render_option_flags
@click.pass_context
def build(ctx: click.Context, target: Path, format_: str, output: Path | None, appendix: tuple[str, ...],
          reference_docx: Path | None, paper: str | None, font_paths: tuple[Path, ...], strict_fonts: bool) -> None:
    """Compose, check and render the policy of one clinic (TARGET is its YAML file).

    Nothing is written when the policy has errors.
    """
    from .output import write_atomically

    formats = _formats(format_)
    pipeline = pipeline_for(ctx, target)
    if output is None and len(formats) > 1:
        raise UsageError("several formats need -o FOLDER")
    import warnings

    with warnings.catch_warnings(record=True) as caught:  # e.g. characters no font could draw
        warnings.simplefilter("always")
        policy, findings, outputs = pipeline.build(pipeline.load_target(target), formats,
                                                   options={"appendix": list(appendix),
                                                            **render_options(reference_docx, paper, font_paths,
                                                                             strict_fonts)})
    for warning in caught:
        if not issubclass(warning.category, DeprecationWarning):
            click.echo(f"warning: {warning.message}", err=True)
    for finding in findings:
        if finding.severity == "warning":
            click.echo(str(finding), err=True)
    if output is None:
        sys.stdout.buffer.write(outputs[formats[0]])
        sys.stdout.flush()
        return
    destinations = _destinations(output, formats, pipeline, policy.meta.id)
    write_atomically({destinations[name]: data for name, data in outputs.items()})
    for name in formats:
        click.echo(f"wrote {destinations[name]}", err=True)


@main.command()
@click.argument("target", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-f", "--format", "format_", type=click.Choice(["text", "table", "json"]), default="text",
              show_default=True, help="text: problems only; table: every requirement and prohibition; json: all.")
@click.option("--all", "show_all", is_flag=True, help="Also list satisfied requirements and prohibitions.")
@click.pass_context
def check(ctx: click.Context, target: Path, format_: str, show_all: bool) -> None:
    """Report every problem of a clinic's policy at once (exit status 1 when any is an error).

    Every requirement and prohibition of every applied layer is checked: met or
    not, by which clause, from which layer.
    """
    from .report import findings_json, findings_text

    pipeline = pipeline_for(ctx, target)
    policy = pipeline.resolve(pipeline.load_target(target))
    findings = pipeline.check(policy)
    if format_ == "json":
        click.echo(findings_json(policy, findings))
    elif format_ == "table":
        from .compliance import compliance_table

        problems = [f for f in findings if f.severity in ("error", "warning") and f.code not in
                    ("unmet-requirement", "forbidden")]
        if problems:
            click.echo(findings_text(policy, problems))
        click.echo(compliance_table(policy, findings))
    else:
        click.echo(findings_text(policy, findings, show_all=show_all))
    if any(f.severity == "error" for f in findings):
        ctx.exit(1)


@main.command()
@click.argument("target", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("clause_id")
@click.pass_context
def explain(ctx: click.Context, target: Path, clause_id: str) -> None:
    """Show a clause's history: the base text, each layer's change with citation and reason, the final text."""
    from .explain import explain_clause

    pipeline = pipeline_for(ctx, target)
    click.echo(explain_clause(pipeline, pipeline.load_target(target), clause_id))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON (name, version, source, location, hooks, error).")
@click.pass_context
def plugins(ctx: click.Context, as_json: bool) -> None:
    """List plugins: name, version, where each came from, and the hooks it implements.

    Broken plugins are listed with the reason; this command never fails because of them.
    """
    import dataclasses
    import json

    from .hookspecs import HOOK_CONTRACT_VERSION
    from .plugins import ALLOW_ENV, DENY_ENV, make_plugins

    obj = ctx.find_root().obj
    plugins_dir = _project_plugins_dir(obj["root"], obj["plugins_dir"])
    found = make_plugins(plugins_dir=plugins_dir)
    if as_json:
        click.echo(json.dumps({"policystack": __version__, "hook_contract": HOOK_CONTRACT_VERSION,
                               "plugins_dir": str(plugins_dir) if plugins_dir else None,
                               "plugins": [dataclasses.asdict(i) for i in found.infos + found.disabled]},
                              indent=2))
        return
    click.echo(f"policystack {__version__}, hook contract {HOOK_CONTRACT_VERSION}")
    click.echo(f"plugins folder: {plugins_dir or '(none)'}"
               + ("" if plugins_dir is None or plugins_dir.is_dir() else " (does not exist)"))
    for info in found.infos:
        click.echo("")
        click.echo(f"{info.name} {info.version or '(no version)'}")
        click.echo(f"    source: {info.source} ({info.location})")
        if info.error:
            click.echo(f"    BROKEN: {info.error}")
        else:
            click.echo(f"    hooks:  {', '.join(info.hooks) or '(none)'}")
    for info in found.disabled:
        click.echo("")
        click.echo(f"{info.name} (not loaded: {info.disabled})")
        click.echo(f"    source: {info.source} ({info.location})")
    broken = found.broken
    if broken:
        click.echo("")
        click.echo(f"{len(broken)} broken plugin(s): {', '.join(i.name for i in broken)}. Fix or remove them, "
                   f"or skip them with {DENY_ENV}=name (only some: {ALLOW_ENV}=a,b).", err=True)


@main.command()
@click.pass_context
def formats(ctx: click.Context) -> None:
    """List the output formats the plugins provide."""
    pipeline = pipeline_for(ctx)
    for name, renderer in pipeline.renderers.items():
        click.echo(f"{name:8} .{renderer.extension:6} {renderer.description}  [{renderer.plugin}]")


@main.command()
@click.pass_context
def jurisdictions(ctx: click.Context) -> None:
    """List the jurisdictions and professions available, with version and review date."""
    from .checks import build_date, review_warning

    pipeline = pipeline_for(ctx)
    today = build_date()
    for kind in ("jurisdiction", "profession", "module", "organization"):
        layers = pipeline.catalogue.of_kind(kind)
        if not layers:
            continue
        click.echo(f"{kind}s:")
        for layer in layers:
            extra = f" parent={layer.parent}" if layer.parent else ""
            if layer.professions:
                extra += f" professions={','.join(layer.professions)}"
            warning = review_warning(layer, today)
            stale = f"  WARNING: {warning.message}" if warning else ""
            click.echo(f"  {layer.id:12} {layer.name:32} v{layer.version:10} reviewed {layer.reviewed or '-'}"
                       f"{extra}{stale}")


if __name__ == "__main__":  # pragma: no cover
    main()

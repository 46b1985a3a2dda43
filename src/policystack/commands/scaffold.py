"""``policystack new-plugin``: write a pip-installable plugin package to start from."""

from __future__ import annotations

import re
from pathlib import Path

import click

KINDS = ("clause", "jurisdiction", "organization", "format")
NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")

_DESCRIPTIONS = {
    "clause": "Adds the '{title}' clause to policystack policies.",
    "jurisdiction": "The {title} jurisdiction layer for policystack.",
    "organization": "The {title} organization layer for policystack.",
    "format": "The '{name}' output format for policystack.",
}
_WHAT_TO_EDIT = {
    "clause": "`src/{module}/layer.yaml`: the clause's id, title, position, topics and body, and an\n"
              "optional `when:` so only some clinics get it.",
    "jurisdiction": "`src/{module}/layer.yaml`: the jurisdiction's code, parent, sources, and the\n"
                    "operations its rules require. Every change needs a `citation`.",
    "organization": "`src/{module}/layer.yaml`: the network's variables and its wording changes.\n"
                    "Clinics opt in with `organization: {name}` in their target file.",
    "format": "`src/{module}/__init__.py`: the `render()` function, the file extension and the\n"
              "media type. Use `policystack build CLINIC.yaml -f {name}` to try it.",
}
_HOOKS = {
    "clause": ["policystack_register_layers"],
    "jurisdiction": ["policystack_register_layers"],
    "organization": ["policystack_register_layers"],
    "format": ["policystack_register_renderers"],
}


def plugin_names(name: str) -> dict[str, str]:
    """The names derived from a plugin name: distribution, module, title."""
    if name.startswith("policystack-"):
        name = name[len("policystack-"):]
    if not NAME.match(name) or len(name) > 36:
        raise click.BadParameter("use lowercase letters, digits and single hyphens, starting with a letter "
                                 "(e.g. telehealth, us-or, acme-health, large-print)", param_hint="NAME")
    return {"name": name, "dist": f"policystack-{name}", "module": "policystack_" + name.replace("-", "_"),
            "title": " ".join(part.capitalize() for part in name.split("-")), "clause_id": name}


def write_plugin(name: str, kind: str, folder: Path | None = None, *, force: bool = False) -> Path:
    """Write the plugin package for ``name`` of ``kind`` into ``folder`` (default ``./policystack-NAME``)."""
    import datetime as dt
    import importlib.resources
    from string import Template

    from .. import __version__
    from ..hookspecs import HOOK_CONTRACT_VERSION

    if kind not in KINDS:
        raise click.BadParameter(f"kind must be one of {', '.join(KINDS)}", param_hint="--kind")
    values = plugin_names(name)
    folder = Path(folder) if folder is not None else Path.cwd() / values["dist"]
    if folder.exists() and any(folder.iterdir()) and not force:
        raise click.ClickException(f"{folder} exists and is not empty (use --force to write into it)")
    values.update(kind=kind, version="0.1.0", today=dt.date.today().isoformat(),
                  policystack_version=".".join(__version__.split(".")[:2]), contract=HOOK_CONTRACT_VERSION,
                  hooks=repr(_HOOKS[kind]))
    values["description"] = _DESCRIPTIONS[kind].format(**values)
    values["what_to_edit"] = _WHAT_TO_EDIT[kind].format(**values)
    templates = importlib.resources.files("policystack") / "scaffold_templates"
    values["kind_tests"] = Template((templates / kind / "_kind_tests.py.tmpl").read_text(encoding="utf-8")
                                    ).substitute(values)
    written = []
    for part in ("common", kind):
        for source in sorted(_walk(templates / part)):
            relative = source[1]
            if "/" not in relative and relative.startswith("_"):
                continue  # a fragment (the kind's tests), pasted into tests/test_MODULE.py
            destination = folder / relative.removesuffix(".tmpl").replace("MODULE", values["module"])
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_text(Template(source[0].read_text(encoding="utf-8")).substitute(values),
                                   encoding="utf-8")
            written.append(destination)
    return folder


def _walk(root, prefix: str = ""):  # importlib.resources Traversable: no rglob
    for entry in root.iterdir():
        relative = f"{prefix}{entry.name}"
        if entry.is_dir():
            if entry.name != "__pycache__":
                yield from _walk(entry, relative + "/")
        else:
            yield entry, relative


@click.command("new-plugin")
@click.argument("name")
@click.option("--kind", type=click.Choice(KINDS), required=True,
              help="clause: add a clause · jurisdiction: a jurisdiction layer · organization: a network's "
                   "layer · format: an output format.")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              help="Folder to create. Default: ./policystack-NAME")
@click.option("--force", is_flag=True, help="Write into a folder that is not empty.")
def new_plugin(name: str, kind: str, output: Path | None, force: bool) -> None:
    """Write a pip-installable plugin package: pyproject with the entry point, the hooks, a README and tests.

    \b
    policystack new-plugin telehealth-extra --kind clause
    cd policystack-telehealth-extra && pip install -e . && pytest
    """
    folder = write_plugin(name, kind, output, force=force)
    values = plugin_names(name)
    click.echo(f"wrote {kind} plugin '{values['name']}' to {folder}")
    click.echo(f"next: cd {folder} && pip install -e . && pytest && policystack plugins")


COMMANDS = [new_plugin]

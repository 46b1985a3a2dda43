"""The plugin contract: every hook policystack calls, with its exact signature.

Precedence never depends on the order pluggy calls these hooks: layers are
ordered by their data (kind, parent, ``after``, priority, configured order),
renderers and commands are keyed by name, and every hook implementation is
called once per pipeline. ``HOOK_CONTRACT_VERSION`` changes when a hook is
added (minor) or, after a deprecation period, changed (major).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

import pluggy

if TYPE_CHECKING:  # pragma: no cover - imported for annotations only
    import click

    from .model import Finding, Layer, ResolvedPolicy, Target
    from .project import Project
    from .render import Renderer

HOOK_CONTRACT_VERSION = "1.0"

hookspec = pluggy.HookspecMarker("policystack")


@hookspec
def policystack_register_layers(register: Callable[["Layer"], None], project: "Project") -> None:
    """Register layers (jurisdiction, profession, module, organization or clinic).

    Fires once per pipeline, before any target is composed. Call
    ``register(layer)`` for each :class:`policystack.model.Layer` the plugin
    provides; a duplicate layer id is an error naming both origins. Which
    registered layers apply to a target is decided by their data (a
    jurisdiction code the target names, ``professions``, the target's
    ``organization``, ``when`` conditions or the layer's ``applies``
    predicate). ``project`` gives the project root and paths. Return nothing.
    """


@hookspec
def policystack_register_renderers(register: Callable[["Renderer"], None]) -> None:
    """Register output formats.

    Fires once per pipeline, the first time renderers are needed. Call
    ``register(renderer)`` with a :class:`policystack.render.Renderer` whose
    ``name`` is what users pass to ``--format``; a name registered twice is an
    error. Return nothing.
    """


@hookspec
def policystack_variables(target: "Target") -> Mapping[str, Any] | None:
    """Provide default variable values for ``target``.

    Fires once per composed target. Return a mapping of dotted variable names
    to values (or None). These are defaults: policy defaults apply first, and
    any layer ``set`` or the target's own values override them.
    """


@hookspec
def policystack_validate(policy: "ResolvedPolicy") -> Iterable["Finding"] | None:
    """Check a composed policy.

    Fires once per ``check`` or ``build``, after the built-in checks. Return
    :class:`policystack.model.Finding` objects (severity ``error`` fails the
    build, ``warning`` is reported) or None.
    """


@hookspec
def policystack_register_commands(cli: "click.Group") -> None:
    """Add subcommands to the ``policystack`` command line.

    Fires when the command line starts. Call ``cli.command()`` or
    ``cli.add_command()``; a name that exists already is refused. Import heavy
    libraries inside the command, not at module level, so ``--help`` stays fast.
    """

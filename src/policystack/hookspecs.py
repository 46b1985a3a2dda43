"""The plugin contract: every hook policystack calls, with its exact signature.

Precedence never depends on the order pluggy calls these hooks: layers are
ordered by their data (kind, parent, ``after``, priority, configured order),
renderers and commands are keyed by name, and every hook implementation is
called once per pipeline. ``HOOK_CONTRACT_VERSION`` changes when a hook or a
hook parameter is added (minor) or, after a deprecation period, changed (major).
The reference for plugin authors is ``docs/plugins.md``; a test keeps it in step
with this module.
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

    Fires once per pipeline, the first time layers are needed (before any
    target is composed). Call
    ``register(layer)`` for each :class:`policystack.model.Layer` the plugin
    provides; a duplicate layer id is an error naming both origins. Which
    registered layers apply to a target is decided by their data (a
    jurisdiction code the target names, ``professions``, the target's
    ``organization``, ``when`` conditions or the layer's ``applies``
    predicate); their order is decided by kind, parents, ``after``, priority and
    configured order, never by plugin order. ``project`` gives the project root
    and paths. Return nothing.
    """


@hookspec
def policystack_register_renderers(register: Callable[["Renderer"], None]) -> None:
    """Register output formats.

    Fires once per pipeline, the first time a format is looked up (``build``
    checks the requested formats before composing). Call
    ``register(renderer)`` with a :class:`policystack.render.Renderer` whose
    ``name`` is what users pass to ``--format``; a name registered twice is an
    error. Return nothing.
    """


@hookspec
def policystack_variables(target: "Target") -> Mapping[str, Any] | None:
    """Provide default variable values for ``target``.

    Fires once per composed target. Return a mapping of dotted variable names
    to values (or None). These are defaults: they fill only names the base
    policy has no default for, and any layer ``set`` (``values`` or
    ``defaults``) and the target's own values override them. If two plugins
    return the same name, the plugin whose name sorts last wins.
    """


@hookspec
def policystack_validate(policy: "ResolvedPolicy") -> Iterable["Finding"] | None:
    """Check a composed policy.

    Fires once per ``check`` or ``build``, after composition and alongside the
    built-in checks. Return :class:`policystack.model.Finding` objects
    (severity ``error`` fails the build and nothing is rendered, ``warning`` is
    reported, ``ok`` lists a satisfied rule) or None.
    """


@hookspec
def policystack_register_commands(cli: "click.Group") -> None:
    """Add subcommands to the ``policystack`` command line.

    Fires at most once per run, and only when the command name is not a
    built-in one or the command list is shown (``policystack --help``).
    ``cli`` is a scratch group: call ``cli.command()`` or ``cli.add_command()``;
    a name that exists already is ignored with a warning. A plugin that fails
    here is reported and skipped. Import heavy libraries inside the command,
    not at module level, so ``--help`` stays fast.
    """

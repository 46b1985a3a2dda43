"""The pipeline: read → compose → check → render, owned per run (no module-level plugin manager)."""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Mapping

from .catalogue import Catalogue
from .checks import errors, run_checks
from .compose import Folded, Stack, Trace, finish, fold, plan
from .content import lookup_for, parse_policy
from .errors import PolicystackError, UsageError
from .layer_files import read_target
from .model import Finding, Layer, ResolvedPolicy, Target
from .plugins import Plugins, make_plugins
from .policy_files import BasePolicy, read_policy
from .project import Project
from .render import RenderContext, Renderer


class BuildFailed(PolicystackError):
    """The policy has check errors, so nothing was rendered."""

    def __init__(self, findings: list[Finding]) -> None:
        problems = errors(findings)
        first = problems[0]
        more = f" (and {len(problems) - 1} more error(s); run 'policystack check' to see all)" \
            if len(problems) > 1 else ""
        super().__init__(first.message + more, layer=first.layer, clause=first.clause, file=first.file)
        self.findings = findings


class Pipeline:
    """One project with one set of plugins."""

    #: Folds kept per process; networks share few distinct stacks, so this bounds memory, not speed.
    MAX_CACHED_FOLDS = 4096

    def __init__(self, project: Project, plugins: Plugins | None = None) -> None:
        self.project = project
        self.plugins = plugins or make_plugins(plugins_dir=project.plugins_dir)
        self._folds: dict[tuple, Folded] = {}

    @cached_property
    def base(self) -> BasePolicy:
        """The base policy of the project."""
        return read_policy(self.project.policy_dir)

    @cached_property
    def catalogue(self) -> Catalogue:
        """Every layer the plugins registered."""
        catalogue = Catalogue()
        current = [""]

        def register(layer: Layer) -> None:
            if isinstance(layer, Layer) and not layer.plugin:
                layer = replace(layer, plugin=current[0])
            catalogue.add(layer)

        self.plugins.call_each("policystack_register_layers", register=register, project=self.project,
                               on_plugin=lambda name: current.__setitem__(0, name))
        return catalogue

    @cached_property
    def renderers(self) -> dict[str, Renderer]:
        """Output formats by name."""
        found: dict[str, Renderer] = {}
        current = [""]

        def register(renderer: Renderer) -> None:
            if not isinstance(renderer, Renderer):
                raise UsageError(f"register() expects a Renderer, got {type(renderer).__name__}")
            renderer = replace(renderer, plugin=renderer.plugin or current[0])
            if renderer.name in found:
                raise UsageError(f"output format '{renderer.name}' is registered twice "
                                 f"(by plugins '{found[renderer.name].plugin}' and '{renderer.plugin}')")
            found[renderer.name] = renderer

        self.plugins.call_each("policystack_register_renderers", register=register,
                               on_plugin=lambda name: current.__setitem__(0, name))
        return dict(sorted(found.items()))

    def load_target(self, path: str | Path) -> Target:
        """Read a clinic target file."""
        return read_target(path)

    def plugin_defaults(self, target: Target) -> dict[str, Any]:
        """Variable defaults from ``policystack_variables`` hooks (merged by plugin name)."""
        merged: dict[str, Any] = {}
        for _, values in self.plugins.call_each("policystack_variables", target=target):
            if values:
                merged.update(values)
        return merged

    def stack(self, target: Target) -> Stack:
        """The ordered, conflict-checked layers that apply to ``target``."""
        return plan(self.base, self.catalogue, target)

    def resolve(self, target: Target, *, trace: Trace | None = None) -> ResolvedPolicy:
        """Compose ``target``'s policy; the fold is done once per distinct layer stack and reused."""
        stack = self.stack(target)
        if trace is not None:
            folded = fold(self.base, stack, trace=trace)
        else:
            folded = self._folds.get(stack.key)
            if folded is None:
                folded = fold(self.base, stack)
                if len(self._folds) >= self.MAX_CACHED_FOLDS:
                    self._folds.clear()
                self._folds[stack.key] = folded
        return finish(self.base, stack, folded, target, self.plugin_defaults(target))

    def check(self, policy: ResolvedPolicy) -> list[Finding]:
        """Built-in checks, stale overrides, plugins that failed to load, and every ``policystack_validate`` hook."""
        from .stale import stale_findings

        extra: list[Finding] = [Finding("warning", "broken-plugin", f"plugin '{info.name}' was not loaded, so "
                                        f"nothing it provides is in this policy: {info.error}")
                                for info in self.plugins.broken]
        extra += stale_findings(self, policy)
        for _, found in self.plugins.call_each("policystack_validate", policy=policy):
            extra.extend(found or [])
        return run_checks(policy, extra)

    def renderer(self, name: str) -> Renderer:
        try:
            return self.renderers[name]
        except KeyError:
            raise UsageError(f"unknown format '{name}' (available: {', '.join(self.renderers)})") from None

    def render(self, policy: ResolvedPolicy, formats: Iterable[str], *, findings: Iterable[Finding] = (),
               options: Mapping[str, Any] | None = None) -> dict[str, bytes]:
        """Render ``policy`` in each format, all in memory (nothing is written here)."""
        chosen = [self.renderer(name) for name in formats]
        findings = tuple(findings)
        if "compliance" in (options or {}).get("appendix", ()):
            from .compliance import with_compliance_appendix

            policy = with_compliance_appendix(policy, findings)
        context = RenderContext(contents=parse_policy(policy), lookup=lookup_for(policy), root=self.project.root,
                                options=dict(options or {}), findings=findings)
        outputs = {}
        for renderer in chosen:
            try:
                outputs[renderer.name] = renderer.render(policy, context)
            except PolicystackError:
                raise
            except Exception as exc:
                raise PolicystackError(f"the '{renderer.name}' renderer (plugin '{renderer.plugin}') failed: "
                                       f"{type(exc).__name__}: {exc}") from exc
        return outputs

    def build(self, target: Target, formats: Iterable[str], *,
              options: Mapping[str, Any] | None = None) -> tuple[ResolvedPolicy, list[Finding], dict[str, bytes]]:
        """Compose, check and render; check errors raise BuildFailed before anything is rendered."""
        formats = list(formats)
        for name in formats:
            self.renderer(name)
        policy = self.resolve(target)
        findings = self.check(policy)
        if errors(findings):
            raise BuildFailed(findings)
        return policy, findings, self.render(policy, formats, findings=findings, options=options)

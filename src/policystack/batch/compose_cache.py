"""Compose once per distinct layer stack; per clinic only its own variables are resolved.

Clinics of a network mostly share their layer stack (jurisdictions, profession,
organization). The fold of those layers onto the base policy depends only on the
ordered stack (and, for conflict rules, on which variables the clinic sets), so
it is done once and reused; each clinic then gets its own target and variables.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..compose import find_conflicts, order_layers, resolve_variables, target_values
from ..model import Layer, ResolvedPolicy, Target

if TYPE_CHECKING:
    from ..pipeline import Pipeline

_MAX_STACKS = 4096


class StackComposer:
    """``resolve(target)`` equal to ``pipeline.resolve(target)``, with the layer fold cached per stack."""

    def __init__(self, pipeline: "Pipeline") -> None:
        self.pipeline = pipeline
        self._stacks: dict[tuple, tuple[ResolvedPolicy, list[Layer], set, tuple]] = {}
        self.hits = 0
        self.misses = 0

    def stack_key(self, target: Target) -> tuple | None:
        """The key of ``target``'s layer stack (None when the clinic has operations of its own)."""
        return self._select(target)[0]

    def _select(self, target: Target) -> tuple[tuple | None, Any]:
        if target.operations:
            return None, None
        base, catalogue = self.pipeline.base, self.pipeline.catalogue
        values = dict(base.defaults)
        values.update(target_values(target))
        selected, configured, notes = catalogue.select(target, values)
        key = (tuple((layer.id, configured.get(layer.id, 0)) for layer in selected),
               tuple(sorted(target_values(target))))
        return key, (selected, configured, notes)

    def resolve(self, target: Target) -> ResolvedPolicy:
        """The composed policy of ``target``."""
        key, selection = self._select(target)
        if key is None:
            return self.pipeline.resolve(target)
        selected, configured, notes = selection
        cached = self._stacks.get(key)
        if cached is None:
            self.misses += 1
            policy = self.pipeline.resolve(target)
            catalogue = self.pipeline.catalogue
            ordered = order_layers(selected, configured, catalogue)
            skip = find_conflicts(ordered, catalogue, target_values(target))
            if len(self._stacks) >= _MAX_STACKS:
                self._stacks.clear()
            self._stacks[key] = (policy, ordered, skip, policy.notes[len(notes):])
            return policy
        self.hits += 1
        policy, ordered, skip, fold_notes = cached
        variables = resolve_variables(self.pipeline.base, ordered, target, self.pipeline.plugin_defaults(target),
                                      skip)
        return replace(policy, target=target, variables=variables, notes=tuple(notes) + tuple(fold_notes))

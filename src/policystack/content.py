"""Parsed clause content and variable lookup, shared by checks, writers and renderers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from .errors import CompositionError
from .markup import Blocks, Inline, MarkupError, parse_bodies, text_inlines
from .model import Clause, ResolvedPolicy


@dataclass(frozen=True)
class ClauseContent:
    """A clause with its title and body parsed into the format-neutral tree."""

    clause: Clause
    title: tuple[Inline, ...]
    blocks: Blocks


def parse_policy(policy: ResolvedPolicy) -> list[ClauseContent]:
    """Parse every clause body of ``policy`` (distinct bodies once per process), in order."""
    clauses = policy.clauses()
    parsed = parse_bodies([(c.id, c.body) for c in clauses])
    return [ClauseContent(c, text_inlines(c.title), blocks) for c, blocks in zip(clauses, parsed)]


def markup_problems(policy: ResolvedPolicy) -> list[MarkupError]:
    """Every clause whose body cannot be parsed (all of them, not just the first)."""
    try:
        parse_policy(policy)
        return []
    except MarkupError:
        problems = []
        for clause in policy.clauses():
            try:
                parse_bodies([(clause.id, clause.body)])
            except MarkupError as exc:
                problems.append(exc.located(layer=text_layer(clause)))
        return problems


def text_layer(clause: Clause) -> str:
    """The layer that last wrote this clause's text (add, replace or amend)."""
    for step in reversed(clause.provenance):
        if step.op in ("add", "replace", "amend") and not step.note:
            return step.layer
    return clause.layer


class UnfilledVariable(CompositionError):
    """A clause uses a variable that nothing sets."""


def value_text(value: Any) -> str:
    """How a variable value reads in a document."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def lookup_for(policy: ResolvedPolicy, *, strict: bool = True) -> Callable[[str], str]:
    """A function from variable name to its text; unfilled names raise (or stay visible if not strict)."""
    values = {name: value_text(v.value) for name, v in policy.variables.items()}

    def lookup(name: str) -> str:
        text = values.get(name)
        if text is None or text == "":
            if strict:
                raise UnfilledVariable(f"variable '{{{{ {name} }}}}' is not set")
            return "{{ " + name + " }}"
        return text

    return lookup

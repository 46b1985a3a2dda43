"""Compose a target's policy: order the layers by data, detect conflicts, fold them onto the base.

Precedence is decided here, from layer data (kind rank, parent, ``after``,
priority, configured order) — never by the order pluggy calls plugins.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping

from .catalogue import Catalogue
from .errors import CompositionError, ConflictError
from .ids import suggest
from .model import (AppliedLayer, Clause, Layer, Note, Operation, Provenance, ResolvedPolicy,
                    Rule, Section, Target, VariableValue, content_hash)
from .policy_files import BasePolicy

_CLAUSE_OPS = ("add", "replace", "amend", "remove", "move")


def target_layer(target: Target) -> Layer | None:
    """The clinic's own layer, from the operations in its target file."""
    if not target.operations:
        return None
    return Layer(id=f"clinic:{target.id}", kind="clinic", operations=target.operations,
                 name=target.name, version="0", origin=target.origin)


def target_values(target: Target) -> dict[str, Any]:
    """The variables a target itself provides (its fields, then its ``variables``)."""
    values = target.clinic_variables()
    values.update(target.variables)
    return values


# ------------------------------------------------------------------ ordering

def order_layers(layers: Iterable[Layer], configured: Mapping[str, int], catalogue: Catalogue) -> list[Layer]:
    """Sort by kind rank; within a kind, parents and ``after`` first, then priority, then configured order."""
    by_kind: dict[int, list[Layer]] = {}
    for layer in layers:
        by_kind.setdefault(layer.rank, []).append(layer)
    ordered: list[Layer] = []
    for rank in sorted(by_kind):
        group = {layer.id: layer for layer in by_kind[rank]}
        preds = {lid: {p for p in _declared_predecessors(layer, catalogue) if p in group}
                 for lid, layer in group.items()}

        def key(lid: str) -> tuple:
            layer = group[lid]
            return (catalogue.depth(layer) if catalogue.get(lid) else 0, layer.priority,
                    configured.get(lid, 0), lid)

        ready = [(key(lid), lid) for lid, p in preds.items() if not p]
        heapq.heapify(ready)
        done: set[str] = set()
        while ready:
            _, lid = heapq.heappop(ready)
            done.add(lid)
            ordered.append(group[lid])
            for other, p in preds.items():
                if other not in done and lid in p and p <= done and all(k != other for _, k in ready):
                    heapq.heappush(ready, (key(other), other))
        if len(done) != len(group):
            stuck = sorted(set(group) - done)
            raise CompositionError(f"layers {', '.join(stuck)} name each other in 'after' (a cycle)",
                                   layer=stuck[0])
    return ordered


def _declared_predecessors(layer: Layer, catalogue: Catalogue) -> set[str]:
    preds = set(layer.after)
    if layer.kind == "jurisdiction" and catalogue.get(layer.id) is layer:
        preds |= catalogue.ancestors(layer)
    return preds


def _follows(later: Layer, earlier: Layer, catalogue: Catalogue) -> bool:
    """True when ``later`` declares (directly, or through its parents) that it comes after ``earlier``."""
    seen: set[str] = set()
    stack = [later]
    while stack:
        layer = stack.pop()
        for pred in _declared_predecessors(layer, catalogue):
            if pred == earlier.id:
                return True
            if pred not in seen and catalogue.get(pred) is not None:
                seen.add(pred)
                stack.append(catalogue.get(pred))
    return False


# ------------------------------------------------------------------ conflicts

def _touches(layer: Layer) -> dict[str, list[tuple]]:
    """Clause or variable → the payloads of this layer's operations on it."""
    touched: dict[str, list[tuple]] = {}
    for op in layer.operations:
        if op.op in _CLAUSE_OPS:
            touched.setdefault(f"clause:{op.clause}", []).append((op.op, op.payload()))
        elif op.op == "set":
            for name, value in (op.fields.get("values") or {}).items():
                touched.setdefault(f"variable:{name}", []).append(("set", repr(value)))
    return touched


def _overridden_later(subject: str, after_index: int, ordered: list[Layer]) -> bool:
    """True when a higher-rank layer later replaces the whole clause, removes it, or sets the variable."""
    rank = ordered[after_index].rank
    kind, name = subject.split(":", 1)
    for layer in ordered[after_index + 1:]:
        if layer.rank <= rank:
            continue
        for op in layer.operations:
            if kind == "clause" and op.clause == name and (
                    op.op == "remove" or (op.op == "replace" and "body" in op.fields and "title" in op.fields)):
                return True
            if kind == "variable" and op.op == "set" and name in (op.fields.get("values") or {}):
                return True
    return False


def find_conflicts(ordered: list[Layer], catalogue: Catalogue,
                   target_sets: Iterable[str] = ()) -> set[tuple[str, str]]:
    """Check same-rank layers pairwise; return (layer id, subject) pairs to skip as identical repeats.

    Raises ConflictError for a real conflict: two layers of one kind changing the
    same clause (or variable) differently, neither declaring it follows the other,
    and no higher layer (or the target's own values, ``target_sets``) overriding it afterwards.
    """
    overridden_by_target = {f"variable:{name}" for name in target_sets}
    touches = [_touches(layer) for layer in ordered]
    duplicates: set[tuple[str, str]] = set()
    for j, later in enumerate(ordered):
        for i in range(j):
            earlier = ordered[i]
            if earlier.rank != later.rank or _follows(later, earlier, catalogue):
                continue
            for subject in sorted(set(touches[i]) & set(touches[j])):
                if touches[i][subject] == touches[j][subject]:
                    duplicates.add((later.id, subject))
                    continue
                if subject in overridden_by_target or _overridden_later(subject, j, ordered):
                    continue
                kind, name = subject.split(":", 1)
                raise ConflictError(
                    f"layers '{earlier.id}' ({earlier.origin or earlier.plugin}) and '{later.id}' "
                    f"({later.origin or later.plugin}) both change {kind} '{name}' differently",
                    layer=later.id, clause=name if kind == "clause" else None,
                    hint=f"make one layer name the other in 'after', make the changes identical, "
                         f"or override the {kind} in an organization or clinic layer")
    return duplicates


# ------------------------------------------------------------------ folding

@dataclass
class _SectionState:
    id: str
    title: str
    last: bool
    clause_ids: list[str]


@dataclass
class Trace:
    """Snapshots of one clause after every step that touched it (for ``explain``)."""

    clause: str
    steps: list[tuple[Provenance, Clause | None]] = field(default_factory=list)


class _Fold:
    """Mutable state while layers are applied one by one."""

    def __init__(self, base: BasePolicy, trace: Trace | None) -> None:
        self.sections = [_SectionState(s.id, s.title, s.last, [c.id for c in s.clauses]) for s in base.sections]
        self.clauses: dict[str, Clause] = {c.id: c for s in base.sections for c in s.clauses}
        self.removed: dict[str, tuple[str, str]] = {}
        self.removed_clauses: dict[str, Clause] = {}
        self.rules: list[Rule] = []
        self.notes: list[Note] = []
        self.trace = trace
        if trace is not None and trace.clause in self.clauses:
            clause = self.clauses[trace.clause]
            trace.steps.append((clause.provenance[0], clause))

    # -------------------------------------------------------------- helpers

    def locate(self, clause_id: str) -> tuple[_SectionState, int]:
        for section in self.sections:
            if clause_id in section.clause_ids:
                return section, section.clause_ids.index(clause_id)
        raise KeyError(clause_id)

    def missing(self, clause_id: str, op: Operation, layer: Layer, what: str) -> CompositionError:
        if clause_id in self.removed:
            by, reason = self.removed[clause_id]
            message = f"{what} clause '{clause_id}', which layer '{by}' removed ({reason})"
            hint = None
        else:
            message = f"{what} clause '{clause_id}', which does not exist"
            hint = suggest(clause_id, self.clauses)
        return CompositionError(message, file=layer.origin or None, line=op.line, layer=layer.id,
                                clause=clause_id, hint=hint)

    def position(self, op: Operation, layer: Layer, subject: str) -> tuple[_SectionState, int]:
        """Where ``before``/``after``/``section`` of an add or move points."""
        fields = op.fields
        for key, offset in (("before", 0), ("after", 1)):
            if key in fields:
                anchor = fields[key]
                if anchor == subject:
                    raise CompositionError(f"cannot place clause '{subject}' {key} itself (impossible move)",
                                           file=layer.origin or None, line=op.line, layer=layer.id, clause=subject)
                if anchor not in self.clauses:
                    raise self.missing(anchor, op, layer, f"'{op.op}' {key}")
                section, index = self.locate(anchor)
                return section, index + offset
        section_id = fields["section"]
        for section in self.sections:
            if section.id == section_id:
                return section, len(section.clause_ids)
        if op.op == "add" and fields.get("section_title"):
            new = _SectionState(section_id, str(fields["section_title"]), False, [])
            at = next((i for i, s in enumerate(self.sections) if s.last), len(self.sections))
            self.sections.insert(at, new)
            return new, 0
        raise CompositionError(f"section '{section_id}' does not exist", file=layer.origin or None,
                               line=op.line, layer=layer.id, clause=subject,
                               hint=suggest(section_id, [s.id for s in self.sections])
                               or "give 'section_title' to create it")

    def record(self, clause_id: str, before: Clause | None, after: Clause | None, layer: Layer, op: Operation,
               note: str | None = None) -> Clause | None:
        step = Provenance(layer=layer.id, kind=layer.kind, op=op.op, citation=op.citation, reason=op.reason,
                          source=layer.origin or layer.plugin or None, before=content_hash(before),
                          after=content_hash(after), note=note)
        if after is not None:
            after = replace(after, provenance=after.provenance + (step,))
            self.clauses[clause_id] = after
        if self.trace is not None and self.trace.clause == clause_id:
            self.trace.steps.append((step, after))
        return after

    # -------------------------------------------------------------- operations

    def apply(self, layer: Layer, skip: set[str]) -> None:
        self._check_move_cycles(layer)
        for op in layer.operations:
            if op.op in ("require", "forbid"):
                self.rules.append(Rule(kind=op.op, layer=layer.id, layer_kind=layer.kind, citation=op.citation,
                                       message=op.fields.get("message"), topic=op.fields.get("topic"),
                                       pattern=op.fields.get("pattern"), source=layer.origin or None))
                continue
            if op.op == "set":
                continue  # variables are resolved separately, in the same order
            clause_id = op.clause
            if f"clause:{clause_id}" in skip:
                current = self.clauses.get(clause_id)
                self.record(clause_id, current, current, layer, op, note="identical change also made by an "
                            "earlier layer of the same kind; not applied twice")
                continue
            if op.op != "add" and clause_id not in self.clauses:
                if op.fields.get("optional"):
                    self.notes.append(Note(f"optional '{op.op}' skipped: clause '{clause_id}' is not in this "
                                           "policy", layer=layer.id, clause=clause_id))
                    continue
                raise self.missing(clause_id, op, layer, f"'{op.op}' of")
            getattr(self, "_" + op.op)(layer, op, clause_id)

    def _add(self, layer: Layer, op: Operation, clause_id: str) -> None:
        if clause_id in self.clauses:
            owner = self.clauses[clause_id].provenance[0].layer
            raise CompositionError(f"duplicate clause id '{clause_id}': layer '{owner}' already added it "
                                   "(use 'replace' to change it)", file=layer.origin or None, line=op.line,
                                   layer=layer.id, clause=clause_id)
        section, index = self.position(op, layer, clause_id)
        f = op.fields
        clause = Clause(id=clause_id, title=str(f["title"]).strip(), body=str(f["body"]).strip("\n"),
                        topics=tuple(f.get("topics") or ()), section=section.id)
        section.clause_ids.insert(index, clause_id)
        self.removed.pop(clause_id, None)
        self.removed_clauses.pop(clause_id, None)
        self.clauses[clause_id] = clause
        self.record(clause_id, None, clause, layer, op)

    def _replace(self, layer: Layer, op: Operation, clause_id: str) -> None:
        before = self.clauses[clause_id]
        f = op.fields
        after = replace(before, title=str(f.get("title", before.title)).strip(),
                        body=str(f.get("body", before.body)).strip("\n"),
                        topics=tuple(f["topics"]) if "topics" in f else before.topics)
        self.record(clause_id, before, after, layer, op)

    def _amend(self, layer: Layer, op: Operation, clause_id: str) -> None:
        before = self.clauses[clause_id]
        f = op.fields
        if "append" in f:
            body = before.body.rstrip("\n") + "\n\n" + str(f["append"]).strip("\n")
        else:
            body = str(f["prepend"]).strip("\n") + "\n\n" + before.body.lstrip("\n")
        topics = before.topics + tuple(t for t in f.get("topics") or () if t not in before.topics)
        self.record(clause_id, before, replace(before, body=body, topics=topics), layer, op)

    def _remove(self, layer: Layer, op: Operation, clause_id: str) -> None:
        before = self.clauses.pop(clause_id)
        section, index = self.locate(clause_id)
        del section.clause_ids[index]
        self.removed[clause_id] = (layer.id, str(op.reason))
        self.record(clause_id, before, None, layer, op)
        step = Provenance(layer=layer.id, kind=layer.kind, op="remove", citation=op.citation, reason=op.reason,
                          source=layer.origin or layer.plugin or None, before=content_hash(before))
        self.removed_clauses[clause_id] = replace(before, provenance=before.provenance + (step,))

    def _move(self, layer: Layer, op: Operation, clause_id: str) -> None:
        before = self.clauses[clause_id]
        old_section, old_index = self.locate(clause_id)
        del old_section.clause_ids[old_index]
        try:
            section, index = self.position(op, layer, clause_id)
        except CompositionError:
            old_section.clause_ids.insert(old_index, clause_id)
            raise
        section.clause_ids.insert(index, clause_id)
        self.record(clause_id, before, replace(before, section=section.id), layer, op)

    def _check_move_cycles(self, layer: Layer) -> None:
        edges: dict[str, str] = {}
        for op in layer.operations:
            if op.op == "move":
                anchor = op.fields.get("before") or op.fields.get("after")
                if anchor and anchor != op.clause:  # a self-reference is reported as impossible
                    edges[op.clause] = anchor
        for start in edges:
            seen = [start]
            node = edges.get(start)
            while node is not None:
                if node in seen:
                    cycle = " → ".join(seen + [node])
                    raise CompositionError(f"cyclic move: {cycle} (each clause is placed relative to the next)",
                                           file=layer.origin or None, layer=layer.id, clause=start)
                seen.append(node)
                node = edges.get(node)

    # -------------------------------------------------------------- result

    def sections_out(self) -> tuple[Section, ...]:
        out = []
        for s in self.sections:
            if s.clause_ids:
                out.append(Section(id=s.id, title=s.title, last=s.last,
                                   clauses=tuple(self.clauses[c] for c in s.clause_ids)))
        return tuple(out)


def resolve_variables(base: BasePolicy, ordered: list[Layer], target: Target,
                      plugin_defaults: Mapping[str, Any], skip: set[tuple[str, str]]) -> dict[str, VariableValue]:
    """Variable values by precedence: policy defaults < plugin defaults < layers in order < the target."""
    values: dict[str, VariableValue] = {}
    from .layer_files import flatten_variables

    for name, value in flatten_variables(base.defaults).items():
        values[name] = VariableValue(value, "base")
    for name, value in plugin_defaults.items():
        values.setdefault(name, VariableValue(value, "plugin"))
    for layer in ordered:
        for op in layer.operations:
            if op.op != "set":
                continue
            for name, value in (op.fields.get("defaults") or {}).items():
                if name not in values or values[name].set_by in ("base", "plugin"):
                    values[name] = VariableValue(value, layer.id)
            for name, value in (op.fields.get("values") or {}).items():
                if (layer.id, f"variable:{name}") not in skip:
                    values[name] = VariableValue(value, layer.id)
    for name, value in target_values(target).items():
        values[name] = VariableValue(value, f"target:{target.id}")
    return dict(sorted(values.items()))


@dataclass(frozen=True)
class Stack:
    """The ordered layers that apply to one target, and the identical repeats to skip."""

    ordered: tuple[Layer, ...]
    skip: frozenset[tuple[str, str]]
    notes: tuple[Note, ...]

    @property
    def key(self) -> tuple:
        """Equal for targets whose fold is the same (a clinic's own layer counts by its content)."""
        layers = tuple((l.id, tuple(op.payload() for op in l.operations)) if l.kind == "clinic" else l.id
                       for l in self.ordered)
        return layers, tuple(sorted(self.skip))


@dataclass(frozen=True)
class Folded:
    """The layers of a stack folded onto the base: what does not depend on the clinic's values."""

    sections: tuple[Section, ...]
    rules: tuple[Rule, ...]
    notes: tuple[Note, ...]
    removed: tuple[Clause, ...]


def plan(base: BasePolicy, catalogue: Catalogue, target: Target) -> Stack:
    """Select the layers that apply to ``target``, order them, and check them for conflicts."""
    values = dict(base.defaults)
    values.update(target_values(target))
    selected, configured, notes = catalogue.select(target, values)
    own = target_layer(target)
    if own is not None:
        selected.append(own)
    ordered = order_layers(selected, configured, catalogue)
    skip = find_conflicts(ordered, catalogue, target_values(target))
    return Stack(tuple(ordered), frozenset(skip), tuple(notes))


def fold(base: BasePolicy, stack: Stack, *, trace: Trace | None = None) -> Folded:
    """Apply the stack's layers to the base one at a time."""
    state = _Fold(base, trace)
    for layer in stack.ordered:
        try:
            state.apply(layer, {subject for lid, subject in stack.skip if lid == layer.id})
        except CompositionError as exc:
            raise exc.located(file=layer.origin or None, layer=layer.id)
    return Folded(sections=state.sections_out(), rules=tuple(state.rules), notes=tuple(state.notes),
                  removed=tuple(state.removed_clauses[k] for k in sorted(state.removed_clauses)))


def finish(base: BasePolicy, stack: Stack, folded: Folded, target: Target,
           plugin_defaults: Mapping[str, Any]) -> ResolvedPolicy:
    """The resolved policy of ``target``: the folded stack plus the target and its variables."""
    applied = tuple(AppliedLayer(id=l.id, kind=l.kind, name=l.name, version=l.version, reviewed=l.reviewed,
                                 priority=l.priority, origin=l.origin, plugin=l.plugin) for l in stack.ordered)
    return ResolvedPolicy(meta=base.meta, target=target, layers=applied, sections=folded.sections,
                          variables=resolve_variables(base, list(stack.ordered), target, plugin_defaults,
                                                      set(stack.skip)),
                          rules=folded.rules, notes=stack.notes + folded.notes, removed=folded.removed)


def compose(base: BasePolicy, catalogue: Catalogue, target: Target, *,
            plugin_defaults: Mapping[str, Any] | None = None, trace: Trace | None = None) -> ResolvedPolicy:
    """Select, order and fold every layer that applies to ``target`` onto ``base``."""
    stack = plan(base, catalogue, target)
    return finish(base, stack, fold(base, stack, trace=trace), target, plugin_defaults or {})

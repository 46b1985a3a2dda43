"""The data model: plain, immutable values shared by every stage of the pipeline.

read → compose → check → render/diff. Nothing downstream changes these values.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Mapping

#: Layer kinds in the order they apply. A later kind overrides an earlier one.
KIND_RANK: Mapping[str, int] = MappingProxyType({
    "base": 0,
    "module": 1,
    "jurisdiction": 2,
    "profession": 3,
    "organization": 4,
    "clinic": 5,
})

#: Operations a layer may contain.
OPERATIONS = ("add", "replace", "amend", "remove", "move", "set", "require", "forbid")


@dataclass(frozen=True)
class Provenance:
    """One step in a clause's history: which layer did what, and why."""

    layer: str
    kind: str
    op: str
    citation: str | None = None
    reason: str | None = None
    source: str | None = None  # file or plugin the layer came from
    before: str | None = None  # content hash of the clause before this step
    after: str | None = None  # content hash of the clause after this step
    note: str | None = None


@dataclass(frozen=True)
class Clause:
    """One clause of a policy. ``body`` is Markdown that may hold ``{{ variables }}``."""

    id: str
    title: str
    body: str
    topics: tuple[str, ...] = ()
    section: str = ""
    provenance: tuple[Provenance, ...] = ()

    @property
    def layer(self) -> str:
        """The layer that last changed this clause."""
        return self.provenance[-1].layer if self.provenance else "base"


def content_hash(clause: Clause | None) -> str | None:
    """A short hash of a clause's title, body and topics (None when absent)."""
    if clause is None:
        return None
    data = json.dumps([clause.title, clause.body, sorted(clause.topics)], ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Section:
    """An ordered group of clauses with a heading."""

    id: str
    title: str
    clauses: tuple[Clause, ...] = ()
    last: bool = False


@dataclass(frozen=True)
class PolicyMeta:
    """Metadata of a policy: identity, version and the signature block."""

    id: str
    title: str
    version: str
    effective: str
    language: str = "en"
    signers: tuple[str, ...] = ("Client", "Clinician")


@dataclass(frozen=True)
class Operation:
    """One operation of a layer, as written (validated by the layer loader)."""

    op: str
    fields: Mapping[str, Any]
    line: int | None = None

    @property
    def clause(self) -> str | None:
        """The clause the operation targets (``id`` for ``add``)."""
        return self.fields.get("id") if self.op == "add" else self.fields.get("clause")

    @property
    def citation(self) -> str | None:
        return self.fields.get("citation")

    @property
    def reason(self) -> str | None:
        return self.fields.get("reason")

    def payload(self) -> tuple:
        """What the operation changes, without citation/reason: for 'identical change' checks."""
        ignored = {"citation", "reason", "optional", "written_against"}
        return tuple(sorted((k, repr(v)) for k, v in self.fields.items() if k not in ignored))


@dataclass(frozen=True)
class Layer:
    """A set of operations applied on top of the base policy.

    ``applies`` is an optional predicate for plugins whose selection needs logic;
    data layers use ``when`` instead.
    """

    id: str
    kind: str
    operations: tuple[Operation, ...] = ()
    name: str = ""
    version: str = "0"
    reviewed: str | None = None
    priority: int = 0
    after: tuple[str, ...] = ()
    parent: str | None = None
    professions: tuple[str, ...] = ()
    jurisdictions: tuple[str, ...] = ()
    when: Mapping[str, Any] = field(default_factory=dict)
    sources: tuple[Mapping[str, Any], ...] = ()
    origin: str = ""  # file path or plugin name
    plugin: str = ""  # the plugin that registered it
    applies: Callable[["Target"], bool] | None = field(default=None, compare=False)

    @property
    def rank(self) -> int:
        return KIND_RANK[self.kind]


@dataclass(frozen=True)
class Target:
    """One clinic: who it is, where it practises, and its own values."""

    id: str
    name: str
    jurisdictions: tuple[str, ...] = ()
    professions: tuple[str, ...] = ()
    organization: str | None = None
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    variables: Mapping[str, Any] = field(default_factory=dict)  # flattened dotted names
    operations: tuple[Operation, ...] = ()
    origin: str = ""

    def clinic_variables(self) -> dict[str, Any]:
        """The ``clinic.*`` variables the target's own fields provide."""
        values = {"clinic.id": self.id, "clinic.name": self.name}
        for name in ("address", "phone", "email", "website"):
            value = getattr(self, name)
            if value not in (None, ""):
                values[f"clinic.{name}"] = value
        return values


@dataclass(frozen=True)
class Rule:
    """A ``require`` or ``forbid`` from a layer, checked against the final policy."""

    kind: str  # "require" | "forbid"
    layer: str
    layer_kind: str
    citation: str | None
    message: str | None = None
    topic: str | None = None
    pattern: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class AppliedLayer:
    """A layer as applied to one target, for the lock and the documents."""

    id: str
    kind: str
    name: str
    version: str
    reviewed: str | None
    priority: int
    origin: str
    plugin: str


@dataclass(frozen=True)
class VariableValue:
    """A variable's final value and the layer that set it."""

    value: Any
    set_by: str


@dataclass(frozen=True)
class Note:
    """Something composition noticed that is worth telling (e.g. an optional op skipped)."""

    message: str
    layer: str | None = None
    clause: str | None = None


@dataclass(frozen=True)
class ResolvedPolicy:
    """The composed policy of one target: what every renderer, check and diff reads."""

    meta: PolicyMeta
    target: Target
    layers: tuple[AppliedLayer, ...]
    sections: tuple[Section, ...]
    variables: Mapping[str, VariableValue]
    rules: tuple[Rule, ...] = ()
    notes: tuple[Note, ...] = ()
    removed: tuple[Clause, ...] = ()  # clauses a layer removed, with the removal in their provenance

    def clauses(self) -> list[Clause]:
        """All clauses in document order."""
        return [clause for section in self.sections for clause in section.clauses]

    def clause(self, clause_id: str) -> Clause | None:
        """The clause with this id, or None."""
        for clause in self.clauses():
            if clause.id == clause_id:
                return clause
        return None

    def values(self) -> dict[str, Any]:
        """Variable name → value."""
        return {name: v.value for name, v in self.variables.items()}

    def jurisdiction_names(self) -> list[str]:
        """Names of the jurisdiction layers applied, broad to narrow."""
        return [layer.name or layer.id for layer in self.layers if layer.kind == "jurisdiction"]

    def profession_names(self) -> list[str]:
        """Names of the profession layers applied."""
        return [layer.name or layer.id for layer in self.layers if layer.kind == "profession"]


@dataclass(frozen=True)
class Finding:
    """One result of a check: an error, a warning, or a satisfied rule (``ok``)."""

    severity: str  # "error" | "warning" | "ok"
    code: str
    message: str
    clause: str | None = None
    layer: str | None = None
    citation: str | None = None
    file: str | None = None

    def __str__(self) -> str:
        from .errors import location_prefix

        cite = f" [{self.citation}]" if self.citation else ""
        return f"{self.severity}: {location_prefix(self.file, None, self.layer, self.clause)}{self.message}{cite}"

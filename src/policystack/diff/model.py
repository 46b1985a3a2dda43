"""What a diff compares: a flat, source-independent view of one policy version.

A view is made from a resolved policy, a policy lock, or a DOCX written by
policystack. Clause text is compared as plain paragraphs (one per paragraph or
list item, variables filled, whitespace normalised) so all three sources agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from ..markup import Block, VARIABLE, plain_inlines

_LIST_MARKER = re.compile(r"^(?:•|\d+\.)\s+")
META_FIELDS = ("id", "title", "version", "effective", "language")


@dataclass(frozen=True)
class ClauseView:
    """One clause as a reviewer reads it. ``None`` marks what a source cannot tell (e.g. topics in a DOCX)."""

    id: str
    title: str
    paragraphs: tuple[str, ...]
    section: str | None = None
    section_title: str | None = None
    topics: tuple[str, ...] | None = None
    body: str | None = None  # the Markdown template, when known
    layer: str | None = None  # the layer that last wrote the text
    hash: str | None = None
    provenance: tuple[Mapping[str, Any], ...] = ()

    @property
    def text(self) -> str:
        """Paragraphs joined by blank lines."""
        return "\n\n".join(self.paragraphs)

    def plain(self) -> "ClauseView":
        """The same clause with list markers removed (to compare with a DOCX, where lists are numbering)."""
        from dataclasses import replace

        return replace(self, paragraphs=tuple(_LIST_MARKER.sub("", p) for p in self.paragraphs))


RULE_FIELDS = ("layer_kind", "citation", "message")  # compared for a rule whose identity is unchanged


@dataclass(frozen=True)
class RuleView:
    """A ``require`` or ``forbid`` of the policy, as the diff compares it.

    Its identity is (layer, kind, topic or pattern): the layer that states it, ``require``/``forbid``, and
    what it is about. Citation, message and the layer's kind can change under the same identity.
    """

    kind: str
    layer: str
    layer_kind: str | None = None
    citation: str | None = None
    message: str | None = None
    topic: str | None = None
    pattern: str | None = None

    @property
    def subject(self) -> str:
        """``topic:<topic>`` or ``pattern:<regular expression>``."""
        return f"topic:{self.topic}" if self.topic is not None else f"pattern:{self.pattern}"

    @property
    def key(self) -> str:
        """The stable identity ``<layer>/<kind>/topic:<topic>`` (or ``.../pattern:<pattern>``)."""
        return f"{self.layer}/{self.kind}/{self.subject}"

    def data(self) -> dict[str, Any]:
        return {"kind": self.kind, "layer": self.layer, "layer_kind": self.layer_kind, "citation": self.citation,
                "message": self.message, "topic": self.topic, "pattern": self.pattern}


def rule_view(rule: Any) -> RuleView:
    """A RuleView from a ``model.Rule`` or a lock's rule mapping."""
    get = rule.get if isinstance(rule, Mapping) else (lambda name: getattr(rule, name, None))
    return RuleView(kind=str(get("kind")), layer=str(get("layer")), layer_kind=get("layer_kind"),
                    citation=get("citation"), message=get("message"), topic=get("topic"), pattern=get("pattern"))


@dataclass(frozen=True)
class PolicyView:
    """One version of a policy: metadata, applied layers and clauses in document order."""

    source: str  # how the user named it (file, target, revision)
    kind: str  # "lock" | "target" | "docx"
    meta: Mapping[str, Any]
    clauses: tuple[ClauseView, ...]
    target: Mapping[str, Any] | None = None
    layers: tuple[Mapping[str, Any], ...] | None = None  # None: unknown (DOCX)
    variables: Mapping[str, Any] = field(default_factory=dict)
    content_hash: str | None = None
    rules: tuple[RuleView, ...] | None = None  # None: unknown (a DOCX, or a lock without 'rules')

    @property
    def plain_only(self) -> bool:
        """True when only titles and text are known (a DOCX)."""
        return self.kind == "docx"

    def by_id(self) -> dict[str, ClauseView]:
        return {c.id: c for c in self.clauses}


def normalise(text: str) -> str:
    """Collapse runs of whitespace to one space."""
    return " ".join(text.split())


def paragraphs(blocks: Iterable[Block], lookup: Callable[[str], str]) -> list[str]:
    """Plain paragraphs of parsed blocks: one per paragraph or list item (with '• ' or 'N. ')."""
    out: list[str] = []
    for block in blocks:
        kind = block[0]
        if kind == "para":
            text = normalise(plain_inlines(block[1], lookup))
            if text:
                out.append(text)
        elif kind in ("bullet", "ordered"):
            items = block[1] if kind == "bullet" else block[2]
            start = block[1] if kind == "ordered" else 1
            for number, item in enumerate(items, start):
                inner = paragraphs(item, lookup) or [""]
                marker = "• " if kind == "bullet" else f"{number}. "
                out.append(marker + inner[0])
                out.extend(inner[1:])
        elif kind == "quote":
            out.extend(paragraphs(block[1], lookup))
    return out


def fill(text: str, lookup: Callable[[str], str]) -> str:
    """A title with its variables filled."""
    return VARIABLE.sub(lambda m: lookup(m.group(1)), text)


def text_layer(provenance: Iterable[Mapping[str, Any]]) -> str | None:
    """The layer of the last add/replace/amend that was applied (not skipped as a repeat)."""
    layer = None
    for step in provenance:
        if step.get("op") in ("add", "replace", "amend") and not step.get("note"):
            layer = step.get("layer")
    return layer

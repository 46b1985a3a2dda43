"""A resolved policy as the JSON data the typst layout reads (values filled in, nothing escaped:
the layout places every string as text, never as markup)."""

from __future__ import annotations

from typing import Any, Iterable

from ..markup import Block, Inline, Lookup, safe_url, url_of
from ..model import ResolvedPolicy
from ..render import RenderContext
from .branding import logo_png, organization_name
from .common import fixed_date, front_of

_LETTER = {"us", "ca", "mx", "ph", "cl", "co", "ve"}


def inlines(nodes: Iterable[Inline], lookup: Lookup) -> list[Any]:
    """Inlines with variables replaced by their text."""
    out: list[Any] = []
    for node in nodes:
        kind = node[0]
        if kind == "text":
            out.append(["text", node[1]])
        elif kind == "var":
            lines = lookup(node[1]).split("\n")
            for index, line in enumerate(lines):
                if index:
                    out.append(["br"])
                out.append(["text", line])
        elif kind in ("emph", "strong"):
            out.append([kind, inlines(node[1], lookup)])
        elif kind == "code":
            out.append(["code", node[1]])
        elif kind == "br":
            out.append(["br"])
        elif kind == "link":
            url = safe_url(url_of(node[1], lookup))
            out.append(["link", "" if url == "#" else url, inlines(node[2], lookup)])
    return out


def blocks(nodes: Iterable[Block], lookup: Lookup) -> list[Any]:
    """Blocks with variables replaced by their text."""
    out: list[Any] = []
    for block in nodes:
        kind = block[0]
        if kind == "para":
            out.append(["para", inlines(block[1], lookup)])
        elif kind == "bullet":
            out.append(["bullet", [blocks(item, lookup) for item in block[1]]])
        elif kind == "ordered":
            out.append(["ordered", int(block[1]), [blocks(item, lookup) for item in block[2]]])
        elif kind == "quote":
            out.append(["quote", blocks(block[1], lookup)])
    return out


def paper_for(policy: ResolvedPolicy) -> str:
    """US letter where the clinic's country uses it, A4 elsewhere."""
    countries = {j.split("-")[0].lower() for j in policy.target.jurisdictions}
    return "us-letter" if countries & _LETTER else "a4"


def document_data(policy: ResolvedPolicy, context: RenderContext, fonts: Iterable[str]) -> dict[str, Any]:
    """Everything the layout shows, as plain JSON-able data."""
    lookup = context.lookup
    front = front_of(policy)
    contents = {c.clause.id: c for c in context.contents}
    sections = []
    for section in policy.sections:
        clauses = [{"label": clause.id, "title": inlines(contents[clause.id].title, lookup),
                    "blocks": blocks(contents[clause.id].blocks, lookup)} for clause in section.clauses]
        sections.append({"title": section.title, "last": section.last, "clauses": clauses})
    day = fixed_date(policy)
    logo = logo_png(policy, context.root)
    return {"title": front.title, "clinic": front.clinic, "contact": list(front.contact),
            "facts": [list(f) for f in front.facts], "lang": front.language.split("-")[0].lower() or "en",
            "subject": policy.meta.id, "keywords": [layer.id for layer in policy.layers],
            "date": [day.year, day.month, day.day], "signers": list(front.signers), "sections": sections,
            "footer": f"{front.title} · Version {front.version} · Effective {front.effective}",
            "paper": context.options.get("paper") or paper_for(policy), "fonts": list(fonts), "missing": [],
            "logo": list(logo) if logo else None, "organization": organization_name(policy)}

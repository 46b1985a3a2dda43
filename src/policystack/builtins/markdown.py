"""Built-in plugin: the policy as a Markdown document."""

from __future__ import annotations

from typing import Callable

from .. import hookimpl, md
from ..markup import plain_inlines
from ..model import ResolvedPolicy
from ..render import RenderContext, Renderer


def document_facts(policy: ResolvedPolicy) -> list[tuple[str, str]]:
    """The facts every document states under its title: version, date, jurisdictions, professions."""
    facts = [("Version", policy.meta.version), ("Effective", policy.meta.effective)]
    jurisdictions = policy.jurisdiction_names()
    if jurisdictions:
        facts.append(("Jurisdictions", ", ".join(jurisdictions)))
    professions = policy.profession_names()
    if professions:
        facts.append(("Professional standards", ", ".join(professions)))
    return facts


def render_markdown(policy: ResolvedPolicy, context: RenderContext) -> bytes:
    """A Markdown document: title, clinic, facts, sections, clauses, signature lines."""
    lookup = context.lookup
    target = policy.target
    out = [f"# {md.escape(policy.meta.title)}", "", f"**{md.escape(target.name)}**"]
    contact = [v for v in (target.address, target.phone, target.email) if v]
    if contact:
        out += ["", " · ".join(md.escape(v) for v in contact)]
    out += ["", "\\\n".join(f"{name}: {md.escape(value)}" for name, value in document_facts(policy))]
    contents = {c.clause.id: c for c in context.contents}
    for section in policy.sections:
        out += ["", f"## {md.escape(section.title)}"]
        for clause in section.clauses:
            content = contents[clause.id]
            out += ["", f"### {md.escape(plain_inlines(content.title, lookup))}", "", md.blocks(content.blocks, lookup)]
        if section.last:
            out += ["", signature_lines(policy)]
    return ("\n".join(out) + "\n").encode("utf-8")


def signature_lines(policy: ResolvedPolicy) -> str:
    """One signature line and one date line per signer."""
    lines = [f"{md.escape(signer)} signature: \\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_\\_ "
             f"Date: \\_\\_\\_\\_\\_\\_\\_\\_\\_\\_" for signer in policy.meta.signers]
    return "\n\n".join(lines)


@hookimpl
def policystack_register_renderers(register: Callable[[Renderer], None]) -> None:
    """Register the ``md`` format."""
    register(Renderer(name="md", extension="md", render=render_markdown, media_type="text/markdown",
                      description="Markdown document"))

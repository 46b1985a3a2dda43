"""Example output-format plugin: ``txt``, plain text for a client portal.

Client portals often show messages as plain text in a narrow box, so the policy
is written with no markup, wrapped at 72 characters, with numbered sections.

    policystack build clinics/oakland.yaml -f txt -o out/oakland.txt
"""

from __future__ import annotations

import textwrap
from typing import Callable

from policystack import hookimpl
from policystack.markup import plain_blocks, plain_inlines
from policystack.model import ResolvedPolicy
from policystack.render import RenderContext, Renderer

__version__ = "1.0.0"
POLICYSTACK_HOOK_CONTRACT = "1.0"  # the hook contract this plugin was written against

WIDTH = 72


def _wrap(text: str, indent: str = "") -> str:
    """Wrap each paragraph and list item, keeping list markers hanging."""
    out = []
    for paragraph in text.split("\n\n"):
        lines = []
        for line in paragraph.split("\n"):
            marker = line.split(" ", 1)[0] if line.startswith(("•", *"0123456789")) else ""
            hang = indent + " " * (len(marker) + 1 if marker else 0)
            lines.append(textwrap.fill(line, WIDTH, initial_indent=indent, subsequent_indent=hang,
                                       break_on_hyphens=False))
        out.append("\n".join(lines))
    return "\n\n".join(out)


def render_text(policy: ResolvedPolicy, context: RenderContext) -> bytes:
    """The policy as wrapped plain text (UTF-8)."""
    lookup = context.lookup
    target = policy.target
    title = policy.meta.title
    out = [title, "=" * min(len(title), WIDTH), "", target.name]
    contact = [v for v in (target.address, target.phone, target.email) if v]
    if contact:
        out.append(" | ".join(contact))
    out += ["", f"Version {policy.meta.version}, effective {policy.meta.effective}"]
    contents = {c.clause.id: c for c in context.contents}
    for number, section in enumerate(policy.sections, 1):
        heading = f"{number}. {section.title}"
        out += ["", "", heading, "-" * len(heading)]
        for clause in section.clauses:
            content = contents[clause.id]
            out += ["", plain_inlines(content.title, lookup).upper(), "",
                    _wrap(plain_blocks(content.blocks, lookup))]
        if section.last:
            for signer in policy.meta.signers:
                out += ["", f"{signer} signature: ____________________   Date: __________"]
    return ("\n".join(out).rstrip() + "\n").encode("utf-8")


@hookimpl
def policystack_register_renderers(register: Callable[[Renderer], None]) -> None:
    """Register the ``txt`` format."""
    register(Renderer(name="txt", extension="txt", render=render_text, media_type="text/plain; charset=utf-8",
                      description="plain text for a client portal (72 columns, no markup)"))

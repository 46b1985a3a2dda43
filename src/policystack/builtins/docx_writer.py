"""Built-in plugin: the policy as a Word document (DOCX), byte-for-byte reproducible.

The package (styles, theme, header with logo, page set-up) is prepared once per
reference document with python-docx; each policy writes only its body, footer,
numbering, relationships and properties (see ``rendering/docx_package.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from .. import hookimpl
from ..model import ResolvedPolicy
from ..render import RenderContext, Renderer

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_NS = ('xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')


def render_docx(policy: ResolvedPolicy, context: RenderContext) -> bytes:
    """A DOCX: heading styles, Word lists, a bookmark per clause, footer fields, signature table."""
    from ..ids import bookmark_name
    from ..rendering.branding import branding_file
    from ..rendering.common import front_of
    from ..rendering.docx_body import ABSTRACTS, BodyWriter
    from ..rendering.docx_package import package_for
    from ..rendering.docx_parts import core_xml, footer_xml, relationships, signature_table
    from ..rendering.ziputil import deflate, write_zip

    option = context.options.get("reference_docx")
    reference = Path(option) if option else branding_file(policy, context.root, "reference.docx")
    package = package_for(reference)
    front = front_of(policy)
    writer = BodyWriter(package.style_ids, context.lookup)
    text_run = writer.text_run
    writer.para("title", text_run(front.title))
    writer.para("subtitle", text_run(front.clinic))
    if front.contact:
        writer.para("body", text_run(" · ".join(front.contact)))
    writer.para("body", "<w:r><w:br/></w:r>".join(text_run(f"{name}: ", frozenset({"b"})) + text_run(value)
                                                   for name, value in front.facts))
    contents = {c.clause.id: c for c in context.contents}
    for section in policy.sections:
        writer.para("heading1", text_run(section.title), "<w:keepNext/>")
        for clause in section.clauses:
            content = contents[clause.id]
            start = writer.open_bookmark(bookmark_name(clause.id))
            writer.para("heading2", start + writer.runs(content.title), "<w:keepNext/>")
            writer.blocks(content.blocks)
            writer.close_bookmark()
        if section.last:
            writer.keep_with_next()
            writer.out.append(signature_table(front.signers, package.style_ids, text_run))
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document {_NS}><w:body>'
                + "".join(writer.out) + package.sect_pr + "</w:body></w:document>")
    numbering = (package.numbering_head + ABSTRACTS + package.numbering_nums + writer.numbering()
                 + package.numbering_tail)
    entries = [package.content_types, package.root_rels,
               deflate("word/document.xml", document.encode("utf-8")),
               deflate("word/_rels/document.xml.rels", relationships(package, writer.links).encode("utf-8")),
               deflate("word/numbering.xml", numbering.encode("utf-8")),
               deflate("word/footer-policystack.xml", footer_xml(front, package.style_ids).encode("utf-8")),
               deflate("docProps/core.xml", core_xml(policy).encode("utf-8")),
               package.app, *package.constant]
    return write_zip(entries)


@hookimpl
def policystack_register_renderers(register: Callable[[Renderer], None]) -> None:
    """Register the ``docx`` format."""
    register(Renderer(name="docx", extension="docx", render=render_docx, media_type=MEDIA_TYPE,
                      description="Word document (heading styles, bookmarks per clause, signature table)"))

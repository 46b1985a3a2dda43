"""Built-in plugin: the policy as one standalone, accessible HTML file (inline CSS, no scripts)."""

from __future__ import annotations

import base64
from typing import Callable

from .. import hookimpl
from ..model import ResolvedPolicy
from ..render import RenderContext, Renderer

RTL_LANGUAGES = {"ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "dv", "ckb"}


def render_html(policy: ResolvedPolicy, context: RenderContext) -> bytes:
    """HTML5: ``<main><article>``, one ``<section id=CLAUSE_ID>`` per clause, print and phone CSS."""
    from markupsafe import Markup

    from ..markup import plain_inlines
    from ..rendering import html_body
    from ..rendering.branding import logo_png, organization_name
    from ..rendering.common import front_of, layer_keywords
    from ..rendering.templates import jinja_template, template_text

    lookup = context.lookup
    contents = {c.clause.id: c for c in context.contents}
    parts = []
    for section in policy.sections:
        clauses = []
        for clause in section.clauses:
            content = contents[clause.id]
            clauses.append({"id": clause.id, "title": plain_inlines(content.title, lookup),
                            "body": Markup(html_body.blocks(content.blocks, lookup))})
        parts.append({"id": section.id, "title": section.title, "last": section.last, "clauses": clauses})
    logo = logo_png(policy, context.root)
    logo_uri = "data:image/png;base64," + base64.b64encode(logo).decode("ascii") if logo else None
    page = jinja_template("policy.html.j2").render(
        logo=logo_uri, organization=organization_name(policy),
        direction="rtl" if policy.meta.language.split("-")[0].lower() in RTL_LANGUAGES else "ltr",
        front=front_of(policy), parts=parts, policy_id=policy.meta.id, keywords=layer_keywords(policy),
        css=Markup(template_text("policy.css")))
    return page.encode("utf-8")


@hookimpl
def policystack_register_renderers(register: Callable[[Renderer], None]) -> None:
    """Register the ``html`` format."""
    register(Renderer(name="html", extension="html", render=render_html, media_type="text/html",
                      description="standalone HTML page (inline CSS, print stylesheet, no scripts)"))

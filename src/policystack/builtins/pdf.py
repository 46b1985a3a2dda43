"""Built-in plugin: the policy as a tagged PDF, laid out in-process by typst (no LaTeX, no subprocess).

One ``typst.Compiler`` is made per process and reused; the document arrives as JSON data,
so values are never read as typst markup. Characters that no available font can show
are listed in a warning and in a box at the end of the PDF, never dropped silently.
"""

from __future__ import annotations

import json
import warnings
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Callable

from .. import hookimpl
from ..model import ResolvedPolicy
from ..render import RenderContext, Renderer


class MissingGlyphsWarning(UserWarning):
    """Some characters of a PDF have no glyph in any available font."""


@lru_cache(maxsize=4)
def compiler(extra_fonts: tuple[str, ...]) -> Any:
    """The process's typst compiler for the layout template (fonts: shipped, extra, system)."""
    import typst

    from ..rendering.fonts import BUNDLED
    from ..rendering.templates import TEMPLATES, template_path

    return typst.Compiler(str(template_path("policy.typ")), root=str(TEMPLATES),
                          font_paths=[str(BUNDLED), *extra_fonts])


def main_source(text: str) -> bytes:
    """The typst main file for one document: the template's ``layout`` called with the JSON as a string.

    The JSON sits in a string literal with every backslash and quote escaped, so it stays one
    string whatever it contains and reaches the template as data, as sys.inputs would. Changing
    sys.inputs rebuilds typst's standard library, which costs ≈ 2 ms per document; this does not.
    """
    literal = text.replace("\\", "\\\\").replace('"', '\\"')
    return ('#import "policy.typ": layout\n#layout(json(bytes("' + literal + '")))\n').encode("utf-8")


def render_pdf(policy: ResolvedPolicy, context: RenderContext) -> bytes:
    """A tagged PDF with an outline from the headings, page numbers and version in the footer."""
    from ..errors import PolicystackError
    from ..rendering.common import fixed_date
    from ..rendering.fonts import FAMILIES, describe, extra_font_paths, missing_characters
    from ..rendering.pdf_data import document_data

    extra = tuple(str(p) for p in context.options.get("font_paths", ())) + extra_font_paths()
    data = document_data(policy, context, FAMILIES)
    text = json.dumps(data, ensure_ascii=False)
    missing = missing_characters(text, extra)
    if missing:
        data["missing"] = [f"U+{ord(c):04X}" for c in missing]
        text = json.dumps(data, ensure_ascii=False)
        message = (f"PDF for '{policy.target.id}': no available font can show {len(missing)} character(s): "
                   f"{describe(missing)}; install a font that has them (see docs/documents.md)")
        if context.options.get("strict_fonts"):
            raise PolicystackError(message)
        warnings.warn(message, MissingGlyphsWarning, stacklevel=2)
    stamp = datetime(*fixed_date(policy).timetuple()[:3], tzinfo=timezone.utc).timestamp()
    try:
        return compiler(extra).compile(input=main_source(text), format="pdf", timestamp=int(stamp))
    except RuntimeError as exc:
        raise PolicystackError(f"typst could not lay out the PDF: {exc}") from exc


@hookimpl
def policystack_register_renderers(register: Callable[[Renderer], None]) -> None:
    """Register the ``pdf`` format."""
    register(Renderer(name="pdf", extension="pdf", render=render_pdf, media_type="application/pdf",
                      description="tagged PDF laid out by typst (outline, page numbers, embedded fonts)"))

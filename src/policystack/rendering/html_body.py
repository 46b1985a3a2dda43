"""Clause trees → HTML fragments. Text and variable values are escaped; values sit in ``<bdi>``."""

from __future__ import annotations

from typing import Iterable

from markupsafe import Markup, escape

from ..markup import Block, Inline, Lookup, safe_url, url_of


def inlines(nodes: Iterable[Inline], lookup: Lookup) -> str:
    """HTML for inlines; a variable value is isolated for bidirectional text (``<bdi>``)."""
    out: list[str] = []
    for node in nodes:
        kind = node[0]
        if kind == "text":
            out.append(escape(node[1]))
        elif kind == "var":
            value = str(escape(lookup(node[1]))).replace("\n", "<br>")
            out.append(f"<bdi>{value}</bdi>")
        elif kind == "br":
            out.append("<br>")
        elif kind == "emph":
            out.append(f"<em>{inlines(node[1], lookup)}</em>")
        elif kind == "strong":
            out.append(f"<strong>{inlines(node[1], lookup)}</strong>")
        elif kind == "code":
            out.append(f"<code>{escape(node[1])}</code>")
        elif kind == "link":
            url = safe_url(url_of(node[1], lookup))
            out.append(f'<a href="{escape(url)}">{inlines(node[2], lookup)}</a>')
    return "".join(out)


def blocks(nodes: Iterable[Block], lookup: Lookup) -> str:
    """HTML for blocks."""
    out: list[str] = []
    for block in nodes:
        kind = block[0]
        if kind == "para":
            out.append(f"<p>{inlines(block[1], lookup)}</p>")
        elif kind == "bullet":
            out.append("<ul>" + "".join(_item(item, lookup) for item in block[1]) + "</ul>")
        elif kind == "ordered":
            start = f' start="{int(block[1])}"' if block[1] != 1 else ""
            out.append(f"<ol{start}>" + "".join(_item(item, lookup) for item in block[2]) + "</ol>")
        elif kind == "quote":
            out.append(f"<blockquote>{blocks(block[1], lookup)}</blockquote>")
    return "".join(out)


def _item(item: tuple, lookup: Lookup) -> str:
    if len(item) == 1 and item[0][0] == "para":  # tight item: no <p>
        return f"<li>{inlines(item[0][1], lookup)}</li>"
    return f"<li>{blocks(item, lookup)}</li>"


def markup(text: str) -> Markup:
    """Mark an already escaped fragment as safe for the template."""
    return Markup(text)

"""Write the format-neutral tree back out as Markdown, with variable values escaped."""

from __future__ import annotations

import re
from typing import Iterable

from .markup import Block, Inline, Lookup, safe_url, url_of

_SPECIAL = re.compile(r"([\\`*_\[\]{}<>#|$~^&]|(?<![^\s(\[])@)")
_LINE_START = re.compile(r"^(\s*)([-+>=]|\d+[.)])")


def escape(text: str) -> str:
    """Backslash-escape everything Markdown could read as markup."""
    return _SPECIAL.sub(r"\\\1", text)


def _guard_line_start(text: str) -> str:
    return _LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2) if len(m.group(2)) == 1
                           else m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], text)


def inlines(nodes: Iterable[Inline], lookup: Lookup) -> str:
    """Markdown for inlines; text and values escaped, links kept safe."""
    out = []
    for node in nodes:
        kind = node[0]
        if kind == "text":
            out.append(escape(node[1]))
        elif kind == "var":
            out.append(escape(lookup(node[1])))
        elif kind == "br":
            out.append("\\\n")
        elif kind == "emph":
            out.append("*" + inlines(node[1], lookup) + "*")
        elif kind == "strong":
            out.append("**" + inlines(node[1], lookup) + "**")
        elif kind == "code":
            out.append("`" + node[1].replace("`", "") + "`")
        elif kind == "link":
            url = safe_url(url_of(node[1], lookup)).replace(" ", "%20").replace("(", "%28").replace(")", "%29")
            out.append("[" + inlines(node[2], lookup) + "](" + url + ")")
    return "".join(out)


def blocks(nodes: Iterable[Block], lookup: Lookup) -> str:
    """Markdown for blocks, separated by blank lines."""
    out = []
    for block in nodes:
        kind = block[0]
        if kind == "para":
            text = inlines(block[1], lookup)
            out.append("\n".join(_guard_line_start(line) for line in text.split("\n")))
        elif kind in ("bullet", "ordered"):
            items = block[1] if kind == "bullet" else block[2]
            start = 1 if kind == "bullet" else block[1]
            lines = []
            for number, item in enumerate(items, start):
                marker = "- " if kind == "bullet" else f"{number}. "
                body = blocks(item, lookup)
                indent = " " * len(marker)
                lines.append(marker + body.replace("\n", "\n" + indent))
            out.append("\n".join(lines))
        elif kind == "quote":
            out.append("\n".join("> " + line if line else ">" for line in blocks(block[1], lookup).split("\n")))
    return "\n\n".join(out)

"""Clause trees → WordprocessingML, written as strings (escaped) for speed.

Lists are real Word lists: every bulleted list shares one numbering instance, every
numbered list gets its own instance (so numbering restarts), all defined in the
numbering part written with the document.
"""

from __future__ import annotations

from typing import Iterable

from ..markup import Block, Inline, Lookup, safe_url, url_of
from .common import xml_text

BULLET_ABSTRACT = 9101
DECIMAL_ABSTRACT = 9102
BULLET_NUM = 9101
_INDENT = 360  # twips per list level (plus the hanging indent)


def _abstract(abstract_id: int, bullet: bool) -> str:
    levels = []
    for level in range(9):
        if bullet:
            symbol = ("•", "◦", "▪")[level % 3]
            fmt = f'<w:numFmt w:val="bullet"/><w:lvlText w:val="{symbol}"/>'
        else:
            kind = ("decimal", "lowerLetter", "lowerRoman")[level % 3]
            fmt = f'<w:numFmt w:val="{kind}"/><w:lvlText w:val="%{level + 1}."/>'
        left = _INDENT * (level + 1) + 360
        levels.append(f'<w:lvl w:ilvl="{level}"><w:start w:val="1"/>{fmt}<w:lvlJc w:val="left"/>'
                      f'<w:pPr><w:ind w:left="{left}" w:hanging="360"/></w:pPr></w:lvl>')
    return (f'<w:abstractNum w:abstractNumId="{abstract_id}"><w:multiLevelType w:val="hybridMultilevel"/>'
            + "".join(levels) + "</w:abstractNum>")


ABSTRACTS = _abstract(BULLET_ABSTRACT, True) + _abstract(DECIMAL_ABSTRACT, False)


class BodyWriter:
    """Writes paragraphs for one document, collecting numbering instances, hyperlinks and bookmarks."""

    def __init__(self, styles: dict[str, str], lookup: Lookup) -> None:
        self.styles = styles
        self.lookup = lookup
        self.out: list[str] = []
        self.nums: list[str] = [f'<w:num w:numId="{BULLET_NUM}"><w:abstractNumId w:val="{BULLET_ABSTRACT}"/>'
                                "</w:num>"]
        self.links: dict[str, str] = {}  # url → relationship id
        self.bookmark = 0

    # ---- inlines
    def runs(self, nodes: Iterable[Inline], props: frozenset[str] = frozenset()) -> str:
        """Runs for inlines; ``props`` are inherited run properties ("b", "i", "code", "link")."""
        out = []
        for node in nodes:
            kind = node[0]
            if kind == "text":
                out.append(self.text_run(node[1], props))
            elif kind == "var":
                out.append(self.text_run(self.lookup(node[1]), props))
            elif kind == "br":
                out.append("<w:r><w:br/></w:r>")
            elif kind == "emph":
                out.append(self.runs(node[1], props | {"i"}))
            elif kind == "strong":
                out.append(self.runs(node[1], props | {"b"}))
            elif kind == "code":
                out.append(self.text_run(node[1], props | {"code"}))
            elif kind == "link":
                url = safe_url(url_of(node[1], self.lookup))
                if url == "#" or not url:
                    out.append(self.runs(node[2], props))
                    continue
                rid = self.links.setdefault(url, f"rIdPsLink{len(self.links) + 1}")
                out.append(f'<w:hyperlink r:id="{rid}">{self.runs(node[2], props | {"link"})}</w:hyperlink>')
        return "".join(out)

    def run_properties(self, props: frozenset[str]) -> str:
        """``<w:rPr>`` with its children in schema order."""
        if not props:
            return ""
        out = []
        if "link" in props:
            out.append(f'<w:rStyle w:val="{self.styles["hyperlink"]}"/>')
        if "code" in props:
            out.append('<w:rFonts w:ascii="Consolas" w:hAnsi="Consolas" w:cs="Consolas"/>')
        if "b" in props:
            out.append("<w:b/><w:bCs/>")
        if "i" in props:
            out.append("<w:i/><w:iCs/>")
        return "<w:rPr>" + "".join(out) + "</w:rPr>"

    def text_run(self, text: str, props: frozenset[str] = frozenset()) -> str:
        """One run of literal text (newlines become line breaks)."""
        body = "<w:br/>".join(f'<w:t xml:space="preserve">{xml_text(line)}</w:t>' for line in text.split("\n"))
        return f"<w:r>{self.run_properties(props)}{body}</w:r>"

    # ---- paragraphs
    def para(self, role: str, content: str, extra_ppr: str = "") -> None:
        """Append a paragraph in the style of ``role``."""
        self.out.append(f'<w:p><w:pPr><w:pStyle w:val="{self.styles[role]}"/>{extra_ppr}</w:pPr>{content}</w:p>')

    def blocks(self, nodes: Iterable[Block], level: int = -1, quote: bool = False) -> None:
        """Append paragraphs for blocks; ``level`` ≥ 0 inside list items."""
        for block in nodes:
            kind = block[0]
            if kind == "para":
                role = "quote" if quote else ("list" if level >= 0 else "body")
                indent = f'<w:ind w:left="{_INDENT * (level + 1) + 360}"/>' if level >= 0 else ""
                self.para(role, self.runs(block[1]), indent)
            elif kind == "bullet":
                self.list_items(block[1], BULLET_NUM, level + 1, quote)
            elif kind == "ordered":
                num_id = BULLET_NUM + len(self.nums)
                start = int(block[1])
                override = (f'<w:lvlOverride w:ilvl="{level + 1}"><w:startOverride w:val="{start}"/>'
                            "</w:lvlOverride>") if level + 1 < 9 else ""
                self.nums.append(f'<w:num w:numId="{num_id}"><w:abstractNumId w:val="{DECIMAL_ABSTRACT}"/>'
                                 f"{override}</w:num>")
                self.list_items(block[2], num_id, level + 1, quote)
            elif kind == "quote":
                self.blocks(block[1], level, True)

    def list_items(self, items: Iterable[tuple], num_id: int, level: int, quote: bool) -> None:
        """Each item's first paragraph carries the number; the rest are indented under it."""
        ilvl = min(level, 8)
        for item in items:
            first, rest = (item[0], item[1:]) if item and item[0][0] == "para" else (None, item)
            content = self.runs(first[1]) if first else ""
            self.para("list", content, f'<w:numPr><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>'
                      '<w:spacing w:after="60"/><w:contextualSpacing/>')
            self.blocks(rest, level, quote)

    # ---- bookmarks
    def open_bookmark(self, name: str) -> str:
        """A bookmark start (put inside the clause heading paragraph)."""
        self.bookmark += 1
        return f'<w:bookmarkStart w:id="{self.bookmark}" w:name="{xml_text(name)}"/>'

    def close_bookmark(self) -> None:
        """End the open bookmark inside the last paragraph written."""
        end = f'<w:bookmarkEnd w:id="{self.bookmark}"/>'
        last = self.out[-1]
        self.out[-1] = last[: -len("</w:p>")] + end + "</w:p>" if last.endswith("</w:p>") else last + end

    def keep_with_next(self) -> None:
        """Keep the last paragraph on the same page as what follows (the signature table)."""
        last = self.out[-1]
        if last.startswith("<w:p><w:pPr>") and "<w:keepNext/>" not in last:
            self.out[-1] = last.replace('"/>', '"/><w:keepNext/>', 1)  # right after pStyle (schema order)

    def numbering(self) -> str:
        """The ``<w:num>`` instances this document uses."""
        return "".join(self.nums)

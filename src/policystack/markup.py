"""Clause bodies: Markdown parsed once (by pandoc) into a small, format-neutral tree.

Variables (``{{ clinic.name }}``) are parsed as their own nodes, so a value is
never read as Markup: each writer escapes it for its own format. The tree is
made of tuples (cheap to cache, hash and send to worker processes):

Blocks:  ("para", inlines) · ("bullet", items) · ("ordered", start, items) · ("quote", blocks)
         where items is a tuple of block tuples.
Inlines: ("text", str) · ("var", name) · ("br",) · ("emph", inlines) · ("strong", inlines)
         · ("code", str) · ("link", url_parts, inlines)   url_parts: tuple of str | ("var", name)
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from typing import Any, Callable, Iterable, Mapping, Sequence
from urllib.parse import quote

from .errors import CompositionError, InputError

Inline = tuple
Block = tuple
Blocks = tuple[Block, ...]

VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}")
_BRACES = re.compile(r"\{\{|\}\}|\{%|%\}")
_SENTINEL = re.compile("\ue000(\\d+)\ue001")
PANDOC_READER = (
    "markdown-smart-raw_html-raw_tex-raw_attribute-native_divs-native_spans-tex_math_dollars"
    "-citations-superscript-subscript-strikeout-footnotes-inline_notes-implicit_figures"
    "-definition_lists-pipe_tables-simple_tables-multiline_tables-grid_tables-table_captions"
    "-line_blocks-yaml_metadata_block-example_lists-auto_identifiers-bracketed_spans-link_attributes"
)


class MarkupError(CompositionError):
    """A clause body uses Markdown that cannot be rendered the same in every format."""


def variables_in(text: str) -> list[str]:
    """Variable names used in ``text``, in order of first use."""
    seen: dict[str, None] = {}
    for match in VARIABLE.finditer(text):
        seen.setdefault(match.group(1), None)
    return list(seen)


def check_variable_syntax(text: str, *, clause: str | None = None) -> None:
    """Reject stray ``{{``/``}}``/``{% %}`` that are not a plain ``{{ dotted.name }}``."""
    leftover = _BRACES.search(VARIABLE.sub("", text))
    if leftover:
        raise MarkupError(f"invalid variable syntax near '{leftover.group(0)}': use {{{{ dotted.name }}}}",
                          clause=clause)


def text_inlines(text: str) -> tuple[Inline, ...]:
    """Plain text (a title) with variables, as inlines; no Markdown is interpreted."""
    parts: list[Inline] = []
    position = 0
    for match in VARIABLE.finditer(text):
        if match.start() > position:
            parts.append(("text", text[position:match.start()]))
        parts.append(("var", match.group(1)))
        position = match.end()
    if position < len(text):
        parts.append(("text", text[position:]))
    return tuple(parts)


# ---------------------------------------------------------------- parsing

def pandoc_path() -> str:
    """The pandoc program shipped by pypandoc-binary (or found on PATH)."""
    import pypandoc  # imported here: keeps `--help` fast

    return pypandoc.get_pandoc_path()


_cache: dict[str, Blocks] = {}


def body_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_bodies(bodies: Sequence[tuple[str, str]]) -> list[Blocks]:
    """Parse many ``(label, markdown)`` bodies; each distinct text is parsed once per process.

    All texts not parsed before go to pandoc in a single call. ``label`` (a clause id)
    names the body in errors.
    """
    pending: dict[str, tuple[str, str]] = {}
    for label, text in bodies:
        key = body_key(text)
        if key not in _cache and key not in pending:
            pending[key] = (label, text)
    if pending:
        _cache.update(_parse_with_pandoc(pending))
    return [_cache[body_key(text)] for _, text in bodies]


def _prepare(label: str, text: str, names: list[str]) -> str:
    if "\ue000" in text or "\ue001" in text:
        raise MarkupError("body contains reserved private-use characters U+E000/U+E001", clause=label)
    check_variable_syntax(text, clause=label)
    if any(line.lstrip().startswith(":::") for line in text.split("\n")):
        raise MarkupError("fenced divs (':::') are not allowed in clause bodies", clause=label)

    def sentinel(match: re.Match) -> str:
        names.append(match.group(1))
        return f"\ue000{len(names) - 1}\ue001"

    return VARIABLE.sub(sentinel, text)


def _parse_with_pandoc(pending: Mapping[str, tuple[str, str]]) -> dict[str, Blocks]:
    names: list[str] = []
    keys = list(pending)
    chunks = []
    for index, key in enumerate(keys):
        label, text = pending[key]
        chunks.append(f"::: {{#b{index}}}\n{_prepare(label, text, names)}\n:::\n")
    source = "\n".join(chunks)
    try:
        completed = subprocess.run([pandoc_path(), "-f", PANDOC_READER, "-t", "json"],
                                   input=source.encode("utf-8"), capture_output=True, check=False)
    except OSError as exc:
        raise InputError(f"cannot run pandoc: {exc}") from None
    if completed.returncode != 0:
        raise InputError("pandoc could not parse the clause bodies: "
                         + completed.stderr.decode("utf-8", "replace").strip())
    document = json.loads(completed.stdout)
    divs = [b for b in document["blocks"] if b["t"] == "Div"]
    if len(divs) != len(keys):
        raise InputError("pandoc returned an unexpected document structure for the clause bodies")
    result = {}
    for index, (key, div) in enumerate(zip(keys, divs)):
        label = pending[key][0]
        converter = _Converter(label, names)
        result[key] = tuple(converter.blocks(div["c"][1]))
    return result


class _Converter:
    """pandoc JSON AST → the tuple tree, refusing what not every format can show."""

    def __init__(self, label: str, names: list[str]) -> None:
        self.label = label
        self.names = names

    def fail(self, what: str) -> MarkupError:
        return MarkupError(f"unsupported Markdown in body: {what} (allowed: paragraphs, "
                           "emphasis, strong, links, bullet and numbered lists)", clause=self.label)

    def blocks(self, items: Iterable[dict]) -> list[Block]:
        out: list[Block] = []
        for block in items:
            kind = block["t"]
            if kind in ("Para", "Plain"):
                out.append(("para", self.inlines(block["c"])))
            elif kind == "BulletList":
                out.append(("bullet", tuple(tuple(self.blocks(item)) for item in block["c"])))
            elif kind == "OrderedList":
                attrs, items_ = block["c"]
                out.append(("ordered", attrs[0], tuple(tuple(self.blocks(item)) for item in items_)))
            elif kind == "BlockQuote":
                out.append(("quote", tuple(self.blocks(block["c"]))))
            elif kind == "Header":
                raise self.fail("a heading (clause titles are the headings)")
            else:
                raise self.fail(f"a {kind} block")
        return out

    def inlines(self, items: Iterable[dict]) -> tuple[Inline, ...]:
        out: list[Inline] = []

        def text(value: str) -> None:
            for i, piece in enumerate(_SENTINEL.split(value)):
                if i % 2:
                    out.append(("var", self.names[int(piece)]))
                elif piece:
                    if out and out[-1][0] == "text":
                        out[-1] = ("text", out[-1][1] + piece)
                    else:
                        out.append(("text", piece))

        for node in items:
            kind = node["t"]
            if kind == "Str":
                text(node["c"])
            elif kind in ("Space", "SoftBreak"):
                text(" ")
            elif kind == "LineBreak":
                out.append(("br",))
            elif kind == "Emph":
                out.append(("emph", self.inlines(node["c"])))
            elif kind == "Strong":
                out.append(("strong", self.inlines(node["c"])))
            elif kind == "Code":
                text_value = node["c"][1]
                out.append(("code", text_value))
            elif kind == "Span":
                out.extend(self.inlines(node["c"][1]))
            elif kind == "Link":
                url = node["c"][2][0]
                parts: list[Any] = []
                for i, piece in enumerate(_SENTINEL.split(url)):
                    if i % 2:
                        parts.append(("var", self.names[int(piece)]))
                    elif piece:
                        parts.append(piece)
                out.append(("link", tuple(parts), self.inlines(node["c"][1])))
            else:
                raise self.fail(f"{kind} inline")
        return tuple(out)


# ---------------------------------------------------------------- walking

Lookup = Callable[[str], str]


_URL_SAFE = ":/?#[]@!$&()*+,;=%._-~"


def url_of(parts: Sequence[Any], lookup: Lookup) -> str:
    """A link target with variables filled.

    Values keep URL punctuation (a whole-URL ``{{ clinic.website }}`` still works) but
    spaces, quotes, angle brackets and non-ASCII are percent-encoded; the scheme is
    checked by :func:`safe_url`.
    """
    return "".join(quote(lookup(p[1]), safe=_URL_SAFE) if isinstance(p, tuple) else p for p in parts)


def safe_url(url: str) -> str:
    """Refuse script URLs; keep http(s), mailto, tel and relative links."""
    lowered = url.strip().lower()
    if re.match(r"^[a-z][a-z0-9+.-]*:", lowered) and not lowered.startswith(
            ("http:", "https:", "mailto:", "tel:")):
        return "#"
    return url


def plain_inlines(inlines: Iterable[Inline], lookup: Lookup) -> str:
    """The text of inlines, variables filled."""
    out = []
    for node in inlines:
        kind = node[0]
        if kind == "text" or kind == "code":
            out.append(node[1])
        elif kind == "var":
            out.append(lookup(node[1]))
        elif kind == "br":
            out.append("\n")
        elif kind in ("emph", "strong"):
            out.append(plain_inlines(node[1], lookup))
        elif kind == "link":
            out.append(plain_inlines(node[2], lookup))
    return "".join(out)


def plain_blocks(blocks: Iterable[Block], lookup: Lookup) -> str:
    """Plain text of blocks: paragraphs separated by blank lines, list items on their own lines."""
    out = []
    for block in blocks:
        kind = block[0]
        if kind == "para":
            out.append(plain_inlines(block[1], lookup))
        elif kind in ("bullet", "ordered"):
            items = block[1] if kind == "bullet" else block[2]
            start = block[1] if kind == "ordered" else 1
            lines = []
            for number, item in enumerate(items, start):
                marker = "•" if kind == "bullet" else f"{number}."
                lines.append(f"{marker} {plain_blocks(item, lookup)}")
            out.append("\n".join(lines))
        elif kind == "quote":
            out.append(plain_blocks(block[1], lookup))
    return "\n\n".join(out)



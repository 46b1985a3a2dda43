"""Read clauses back out of a DOCX written by policystack, by their ``ps_<id>`` bookmarks."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..ids import clause_id_from_bookmark
from .model import ClauseView, PolicyView, normalise

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_CORE = {"title": "{http://purl.org/dc/elements/1.1/}title", "id": "{http://purl.org/dc/elements/1.1/}subject",
         "language": "{http://purl.org/dc/elements/1.1/}language",
         "version": "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}version"}
_HEADING = re.compile(r"^(?:heading|überschrift|titre|titolo)\s*(\d)$", re.IGNORECASE)


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


@dataclass
class _Para:
    text: str
    level: int | None  # heading level, or None for body text
    owner: str | None = None


@dataclass
class _State:
    paras: list[_Para] = field(default_factory=list)
    starts: dict[str, int] = field(default_factory=dict)  # clause id → index of first paragraph


def _heading_levels(archive: zipfile.ZipFile) -> dict[str, int]:
    from lxml import etree

    try:
        root = etree.fromstring(archive.read("word/styles.xml"))
    except KeyError:
        return {}
    levels = {}
    for style in root.iter(_w("style")):
        name = style.find(_w("name"))
        match = _HEADING.match(name.get(_w("val"), "")) if name is not None else None
        outline = style.find(f"{_w('pPr')}/{_w('outlineLvl')}")
        if match:
            levels[style.get(_w("styleId"))] = int(match.group(1))
        elif outline is not None:
            levels[style.get(_w("styleId"))] = int(outline.get(_w("val"), "0")) + 1
    return levels


def _para_text(p) -> str:
    out = []
    for el in p.iter(_w("t"), _w("tab"), _w("br"), _w("cr")):
        if el.tag == _w("t"):
            out.append(el.text or "")
        else:
            out.append(" ")
    return normalise("".join(out))


def _para_level(p, styles: dict[str, int]) -> int | None:
    ppr = p.find(_w("pPr"))
    if ppr is None:
        return None
    outline = ppr.find(_w("outlineLvl"))
    if outline is not None:
        return int(outline.get(_w("val"), "0")) + 1
    style = ppr.find(_w("pStyle"))
    if style is not None:
        return styles.get(style.get(_w("val")))
    return None


def read_docx(path: str | Path, *, source: str | None = None) -> PolicyView:
    """The clauses of a policystack DOCX (text, titles, sections); error when it has no clause bookmarks."""
    from lxml import etree

    source = source or str(path)
    try:
        archive = zipfile.ZipFile(path)
        document = etree.fromstring(archive.read("word/document.xml"))
    except (OSError, zipfile.BadZipFile, KeyError, etree.XMLSyntaxError) as exc:
        raise InputError(f"cannot read DOCX: {exc}", file=source) from None
    styles = _heading_levels(archive)
    state = _State()
    active: dict[str, str] = {}  # bookmark id → clause id
    current: _Para | None = None
    current_el = None
    body = document.find(_w("body"))
    for el in (body.iter() if body is not None else ()):
        if el.tag == _w("p"):
            current = _Para(_para_text(el), _para_level(el, styles),
                            owner=list(active.values())[-1] if active else None)
            current_el = el
            state.paras.append(current)
        elif el.tag == _w("bookmarkStart"):
            clause_id = clause_id_from_bookmark(el.get(_w("name"), ""))
            if clause_id is None:
                continue
            active[el.get(_w("id"), clause_id)] = clause_id
            inside = current_el is not None and el.getparent() is current_el
            if inside and current is not None and current.owner is None:
                current.owner = clause_id
            state.starts.setdefault(clause_id, len(state.paras) - 1 if inside else len(state.paras))
        elif el.tag == _w("bookmarkEnd"):
            active.pop(el.get(_w("id"), ""), None)
    if not state.starts:
        raise InputError("this DOCX has no policystack clause bookmarks (ps_<clause id>); only DOCX files written "
                         "by 'policystack build --format docx' can be diffed", file=source)
    return PolicyView(source=source, kind="docx", meta=_core(archive), clauses=tuple(_clauses(state)))


def _clauses(state: _State) -> list[ClauseView]:
    out = []
    for clause_id, start in sorted(state.starts.items(), key=lambda item: item[1]):
        own = [(i, p) for i, p in enumerate(state.paras) if p.owner == clause_id]
        heads = [(i, p) for i, p in own if p.level is not None]
        if heads:
            title_index, title_para = heads[0]
        else:  # the bookmark wraps only the body: the title is the heading just before it
            first = own[0][0] if own else start
            title_index, title_para = next(((i, state.paras[i]) for i in range(first - 1, -1, -1)
                                            if state.paras[i].level is not None), (None, _Para("", None)))
        level = title_para.level or 99
        section = None
        if title_index is not None:
            section = next((state.paras[i].text for i in range(title_index - 1, -1, -1)
                            if state.paras[i].level is not None and state.paras[i].level < level), None)
        body = tuple(p.text for _, p in own if p.level is None and p.text)
        out.append(ClauseView(id=clause_id, title=title_para.text, paragraphs=body, section_title=section))
    return out


def _core(archive: zipfile.ZipFile) -> dict[str, str]:
    from lxml import etree

    try:
        root = etree.fromstring(archive.read("docProps/core.xml"))
    except (KeyError, etree.XMLSyntaxError):
        return {}
    meta = {}
    for name, tag in _CORE.items():
        el = root.find(tag)
        if el is not None and el.text:
            meta[name] = el.text.strip()
    return meta

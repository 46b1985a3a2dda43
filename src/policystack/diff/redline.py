"""A DOCX of NEW carrying Word tracked changes (``w:ins``/``w:del``) against OLD.

python-docx writes the document (styles, headings, properties); it has no API
for revisions, so the runs inside ``w:ins``/``w:del`` and the inserted or
deleted paragraph marks (``w:pPr/w:rPr/w:ins|w:del``) are built here with lxml.
Every revision carries an author and a date (NEW's effective date unless
given), so the file is deterministic. Each clause of NEW is wrapped in its
``ps_<id>`` bookmark, so the redline itself reads back as NEW.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Iterable

from ..errors import UsageError
from ..ids import bookmark_name
from .matching import ClauseDiff, PolicyDiff
from .words import Piece

_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class _Writer:
    """Builds paragraphs with tracked runs; numbers revisions and bookmarks."""

    def __init__(self, author: str, date: str) -> None:
        from docx import Document

        self.document = Document()
        self.author = author
        self.date = date
        self.next_id = 1
        self.bookmark_id = 0

    def _qn(self, tag: str) -> str:
        from docx.oxml.ns import qn

        return qn(tag)

    def _revision(self, tag: str):
        from docx.oxml import OxmlElement

        element = OxmlElement(tag)
        element.set(self._qn("w:id"), str(self.next_id))
        element.set(self._qn("w:author"), self.author)
        element.set(self._qn("w:date"), self.date)
        self.next_id += 1
        return element

    def _run(self, text: str, deleted: bool):
        from docx.oxml import OxmlElement

        run = OxmlElement("w:r")
        node = OxmlElement("w:delText" if deleted else "w:t")
        node.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        node.text = text
        run.append(node)
        return run

    def paragraph(self, pieces: Iterable[Piece], *, style: str | None = None, mark: str | None = None):
        """A paragraph of '=', '+' and '-' pieces; ``mark`` '+'/'-' tracks the paragraph mark itself."""
        from docx.oxml import OxmlElement

        para = self.document.add_paragraph(style=style)
        p = para._p
        if mark in ("+", "-"):
            ppr = p.get_or_add_pPr()
            rpr = OxmlElement("w:rPr")
            rpr.append(self._revision("w:ins" if mark == "+" else "w:del"))
            ppr.append(rpr)
        for op, text in pieces:
            if not text:
                continue
            if op == "=":
                p.append(self._run(text, False))
            else:
                wrapper = self._revision("w:ins" if op == "+" else "w:del")
                wrapper.append(self._run(text, op == "-"))
                p.append(wrapper)
        return p

    def bookmark(self, start_p, end_p, name: str) -> None:
        """Wrap the paragraphs from ``start_p`` to ``end_p`` in a bookmark."""
        from docx.oxml import OxmlElement

        start = OxmlElement("w:bookmarkStart")
        start.set(self._qn("w:id"), str(self.bookmark_id))
        start.set(self._qn("w:name"), name)
        end = OxmlElement("w:bookmarkEnd")
        end.set(self._qn("w:id"), str(self.bookmark_id))
        self.bookmark_id += 1
        ppr = start_p.find(self._qn("w:pPr"))
        if ppr is not None:
            ppr.addnext(start)
        else:
            start_p.insert(0, start)
        end_p.append(end)


def _date(diff: PolicyDiff, date: str | None) -> str:
    value = date or str(diff.new.meta.get("effective") or diff.old.meta.get("effective") or "")
    try:
        day = dt.date.fromisoformat(value[:10])
    except ValueError:
        raise UsageError(f"tracked changes need a date (YYYY-MM-DD); got '{value}' (pass --date)") from None
    return f"{day.isoformat()}T00:00:00Z"


def _clause(writer: _Writer, clause: ClauseDiff, kind: str) -> None:
    """``kind``: 'normal'; 'out' (a moved clause where it was: all deleted); 'in' (where it is: all inserted)."""
    from .words import paragraph_diff

    whole = {"added": "+", "removed": "-"}.get(clause.status) or {"out": "-", "in": "+"}.get(kind)
    title_pieces, paragraphs = clause.title_pieces, clause.paragraphs
    if kind == "out":
        title_pieces, paragraphs = (("-", clause.old.title),), paragraph_diff(clause.old.paragraphs, ())
    elif kind == "in":
        title_pieces, paragraphs = (("+", clause.new.title),), paragraph_diff((), clause.new.paragraphs)
    title = writer.paragraph(title_pieces, style="Heading 2", mark=whole)
    last = title
    for paragraph in paragraphs:
        mark = whole or {"insert": "+", "delete": "-"}.get(paragraph.op)
        last = writer.paragraph(paragraph.pieces, mark=mark)
    if clause.new is not None and kind != "out":
        writer.bookmark(title, last, bookmark_name(clause.id))


def _is_moved(clause: ClauseDiff) -> bool:
    return clause.moved and clause.status in ("changed", "moved", "renamed")


def _merged_sections(diff: PolicyDiff) -> list[str]:
    """OLD's and NEW's section titles in one order (a section only in OLD comes where it was)."""
    from difflib import SequenceMatcher

    def titles(clauses) -> list[str]:
        return list(dict.fromkeys(c.section_title or c.section or "" for c in clauses))

    old, new = titles(diff.old.clauses), titles(diff.new.clauses)
    merged: list[str] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        merged += old[i1:i2] if tag == "equal" else old[i1:i2] + new[j1:j2]
    return list(dict.fromkeys(merged))


def entries(diff: PolicyDiff) -> list[tuple[str, ClauseDiff]]:
    """What the redline shows, section by section: NEW's clauses, removed ones where they were, and each
    moved clause twice (deleted where it was, inserted where it is), so rejecting every change gives OLD."""
    out: list[tuple[str, ClauseDiff]] = []
    old_ids = [c.id for c in diff.old.clauses]
    for section in _merged_sections(diff):
        here = [("in" if _is_moved(c) else "normal", c) for c in diff.clauses
                if c.status != "removed" and _section_of("in", c) == section]
        old_only = {c.old_id or c.id: ("out" if _is_moved(c) else "normal", c) for c in diff.clauses
                    if (c.status == "removed" or _is_moved(c)) and _section_of("out", c) == section}
        previous: str | None = None
        for clause_id in old_ids:  # OLD's order: each old-only clause goes right after its predecessor
            entry = old_only.get(clause_id)
            if entry is not None:
                at = next((i + 1 for i, (kind, c) in enumerate(here) if (c.old_id or c.id) == previous
                           and c.status != "added" and (kind != "in" or previous not in old_only)), 0)
                here.insert(at, entry)
            if (clause_id in old_only or any((c.old_id or c.id) == clause_id and k != "in" for k, c in here)):
                previous = clause_id
        out += here
    return out


def _section_of(kind: str, clause: ClauseDiff) -> str:
    """The section a redline entry stands in: OLD's for a deletion, NEW's otherwise."""
    side = clause.old if kind == "out" or clause.new is None else clause.new
    return side.section_title or side.section or ""


def render_redline(diff: PolicyDiff, *, author: str = "policystack", date: str | None = None) -> bytes:
    """The redline DOCX as bytes (byte-identical for identical input)."""
    when = _date(diff, date)
    writer = _Writer(author, when)
    document = writer.document
    title = str(diff.new.meta.get("title") or "Policy")
    document.add_heading(title, level=0)
    facts = []
    for name in ("version", "effective"):
        old, new = diff.old.meta.get(name), diff.new.meta.get(name)
        if old is not None and new is not None and str(old) != str(new):
            facts += [("=", f"{name.capitalize()}: "), ("-", str(old)), ("+", str(new)), ("=", "  ")]
        elif new is not None:
            facts += [("=", f"{name.capitalize()}: {new}  ")]
    if facts:
        writer.paragraph(facts)
    shown = entries(diff)
    groups: list[tuple[str, list[tuple[str, ClauseDiff]]]] = []
    for kind, clause in shown:
        section = _section_of(kind, clause)
        if not groups or groups[-1][0] != section:
            groups.append((section, []))
        groups[-1][1].append((kind, clause))
    for section, members in groups:
        inserted = all(k == "in" or c.status == "added" for k, c in members)
        deleted = all(k == "out" or c.status == "removed" for k, c in members)
        writer.paragraph((("+" if inserted else "-" if deleted else "=", section),), style="Heading 1",
                         mark="+" if inserted else "-" if deleted else None)
        for kind, clause in members:
            _clause(writer, clause, kind)
    props = document.core_properties
    fixed = dt.datetime.fromisoformat(when.replace("Z", "+00:00")).replace(tzinfo=None)
    props.title = title
    props.subject = str(diff.new.meta.get("id") or "")
    props.author = author
    props.last_modified_by = author
    props.comments = f"Tracked changes from {diff.old.source} to {diff.new.source}"
    props.created = props.modified = props.last_printed = fixed
    props.revision = 1
    if diff.new.meta.get("version"):
        props.version = str(diff.new.meta["version"])
    if diff.new.meta.get("language"):
        props.language = str(diff.new.meta["language"])
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip(buffer.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    """The same package with fixed entry timestamps (python-docx stamps the current time)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()

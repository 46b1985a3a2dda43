"""The diff for a terminal (colour through rich), as a summary, and as unified text."""

from __future__ import annotations

import difflib
import io
from typing import Iterable

from .matching import ClauseDiff, PolicyDiff
from .model import ClauseView, RuleView
from .rules import RuleChange
from .words import Piece

_MARK = {"added": "+", "removed": "-", "changed": "~", "moved": ">", "renamed": "=", "unchanged": " "}
_STYLE = {"added": "green", "removed": "red", "changed": "yellow", "moved": "cyan", "renamed": "magenta"}


def _describe(clause: ClauseDiff) -> str:
    parts = []
    old, new = clause.old, clause.new
    if clause.status == "renamed":
        parts.append(f"renamed from '{clause.old_id}' ({clause.similarity:.0%} similar)")
    for change in clause.changes:
        if change == "section" and old and new:
            parts.append(f"moved to section '{new.section_title or new.section}' "
                         f"(was '{old.section_title or old.section}')")
        elif change == "position":
            parts.append("moved within its section")
        elif change == "topics" and old and new:
            parts.append(f"topics {', '.join(old.topics or ()) or '-'} → {', '.join(new.topics or ()) or '-'}")
        elif change == "layer" and old and new:
            parts.append(f"text from layer '{new.layer}' (was '{old.layer}')")
        elif change in ("title", "body"):
            parts.append(f"{change} changed")
    if clause.status == "added" and new:
        parts.append(f"in section '{new.section_title or new.section}'")
    return "; ".join(parts)


def _header(diff: PolicyDiff) -> list[str]:
    lines = [f"diff {diff.old.source} → {diff.new.source}"]
    for change in diff.meta:
        lines.append(f"  {change.field}: {change.old} → {change.new}")
    for layer in diff.layers:
        if layer.status == "changed":
            lines.append(f"  layer {layer.id}: version {layer.old.get('version')} → {layer.new.get('version')}")
        else:
            lines.append(f"  layer {layer.id}: {layer.status}")
    if diff.rules_note:
        lines.append(f"  {diff.rules_note}")
    return lines


_RULE_MARK = {"added": "+", "removed": "-", "changed": "~"}


def _rule_lines(change: RuleChange) -> list[tuple[str, list[Piece] | None]]:
    """(text, pieces) lines for one rule change: a head line, then its citation/message or changed fields."""
    from .rules import detail, field_pieces, shorten

    lines: list[tuple[str, list[Piece] | None]] = [
        (f"{_RULE_MARK[change.status]} rule {change.status:8} {shorten(change.key)}", None)]
    if change.status == "changed":
        for name in change.changes:
            lines.append((f"    {name.replace('_', ' ')}: ", field_pieces(change, name)))
    else:
        text = detail(change.rule)
        if text:
            lines.append((f"    {text}", None))
    return lines


def render_terminal(diff: PolicyDiff, *, color: bool | None = None, width: int = 100, context: bool = False) -> str:
    """Changed clauses with word-level colour; ``context`` also prints unchanged paragraphs."""
    from rich.console import Console
    from rich.text import Text

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=color is False, width=width,
                      highlight=False, soft_wrap=True, color_system="standard" if color else None)
    marks = not color
    for line in _header(diff):
        console.print(Text(line, style="bold"))
    for clause in diff.changed_clauses():
        style = _STYLE.get(clause.status, "")
        head = Text()
        head.append(f"{_MARK[clause.status]} {clause.status:8} {clause.id}", style=f"bold {style}")
        head.append("  ")
        head.append_text(_pieces_text(clause.title_pieces, marks=marks and clause.status not in ("added", "removed")))
        console.print(head)
        note = _describe(clause)
        if note:
            console.print(Text("    " + note, style="dim"))
        for paragraph in clause.paragraphs:
            if paragraph.op == "equal" and not context:
                continue
            prefix = {"insert": "  + ", "delete": "  - "}.get(paragraph.op, "    ")
            body = Text(prefix)
            body.append_text(_pieces_text(paragraph.pieces, marks=marks and paragraph.op == "change"))
            console.print(body)
    for change in diff.rules:
        style = _STYLE.get(change.status, "")
        for index, (text, pieces) in enumerate(_rule_lines(change)):
            line = Text(text, style=f"bold {style}" if index == 0 else "dim")
            if pieces is not None:
                line = Text(text)
                line.append_text(_pieces_text(pieces, marks=marks))
            console.print(line)
    for item in diff.stale:
        console.print(Text(f"! stale override: {item.message()}", style="bold red"))
        if item.pieces():
            line = Text("    upstream: ")
            line.append_text(_pieces_text(item.pieces(), marks=marks))
            console.print(line)
    console.print(Text(diff.summary_line(), style="bold"))
    return buffer.getvalue()


def _pieces_text(pieces: Iterable[Piece], *, marks: bool = False):
    """Coloured words; with ``marks`` (no colour) deletions read [-so-] and insertions {+so+}."""
    from rich.text import Text

    text = Text()
    for op, value in pieces:
        if op == "=":
            text.append(value)
        elif op == "-":
            text.append(f"[-{value}-]" if marks else value, style="red strike")
        else:
            text.append(f"{{+{value}+}}" if marks else value, style="green underline")
    return text


def render_stat(diff: PolicyDiff) -> str:
    """One line per changed clause with words inserted/deleted, then the summary line."""
    from .rules import shorten
    from .words import counts

    lines = []
    for clause in diff.changed_clauses():
        inserted, deleted = counts(clause.paragraphs)
        label = f"{clause.old_id} → {clause.id}" if clause.old_id else clause.id
        lines.append(f" {label:40} {clause.status:9} +{inserted} -{deleted}")
    for change in diff.rules:
        lines.append(f" rule {shorten(change.key):35} {change.status:9} {', '.join(change.changes)}".rstrip())
    if diff.rules_note:
        lines.append(diff.rules_note)
    lines.append(diff.summary_line())
    return "\n".join(lines) + "\n"


def _lines(clause: ClauseView | None) -> list[str]:
    if clause is None:
        return []
    where = clause.section_title or clause.section or ""
    head = [f"# {clause.title}"]
    if where:
        head.append(f"section: {where}")
    if clause.topics is not None:
        head.append(f"topics: {', '.join(clause.topics)}")
    return head + [""] + list(clause.paragraphs)


def _rule_fields(rule: RuleView | None) -> list[str]:
    if rule is None:
        return []
    return [f"{name}: {value}" for name, value in rule.data().items() if value is not None]


def render_unified(diff: PolicyDiff, *, context: int = 3) -> str:
    """A unified diff per changed clause (``--- a/<old id>`` / ``+++ b/<new id>``), one paragraph a line."""
    out = [f"# diff {diff.old.source} → {diff.new.source}"]
    for change in diff.meta:
        out.append(f"# {change.field}: {change.old} → {change.new}")
    for layer in diff.layers:
        out.append(f"# layer {layer.id}: {layer.status}")
    if diff.rules_note:
        out.append(f"# {diff.rules_note}")
    for clause in diff.changed_clauses():
        old_name = f"a/{clause.old_id or clause.id}" if clause.old else "/dev/null"
        new_name = f"b/{clause.id}" if clause.new else "/dev/null"
        lines = list(difflib.unified_diff(_lines(clause.old), _lines(clause.new), old_name, new_name,
                                          n=context, lineterm=""))
        if not lines:  # moved only: say so in the same form
            lines = [f"--- {old_name}", f"+++ {new_name}"]
        out.append(f"# {clause.status}: {clause.id}" + (f" ({_describe(clause)})" if _describe(clause) else ""))
        out.extend(lines)
    for change in diff.rules:
        old_name = f"a/rules/{change.key}" if change.old else "/dev/null"
        new_name = f"b/rules/{change.key}" if change.new else "/dev/null"
        out.append(f"# rule {change.status}: {change.key}"
                   + (f" ({', '.join(change.changes)})" if change.changes else ""))
        out.extend(difflib.unified_diff(_rule_fields(change.old), _rule_fields(change.new), old_name, new_name,
                                        n=context, lineterm=""))
    out.append(f"# {diff.summary_line()}")
    return "\n".join(out) + "\n"

"""A standalone HTML redline: inline insertions and deletions, a contents list of changed clauses,
unchanged clauses collapsed. No scripts, no external requests; every piece of content is escaped."""

from __future__ import annotations

from html import escape
from typing import Iterable

from .matching import ClauseDiff, PolicyDiff
from .words import Piece

CSS = """
:root { color-scheme: light; }
body { font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1d1d1f; }
main { max-width: 52rem; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
.sources { color: #555; margin-top: 0; }
.summary { font-weight: 600; }
ins { background: #d9f5dd; color: #0b5d1e; text-decoration: underline; }
del { background: #fde2e1; color: #8e1b13; text-decoration: line-through; }
article.clause { border-left: 4px solid #ccc; padding: .2rem 1rem; margin: 1.2rem 0; }
article.added { border-color: #2e9e4a; } article.removed { border-color: #c8372d; }
article.changed { border-color: #d59b00; } article.moved { border-color: #2a7ab8; }
article.renamed { border-color: #8a4fb8; }
.status { font-size: .8rem; text-transform: uppercase; letter-spacing: .05em; color: #555; }
.note { color: #555; font-size: .9rem; }
details.unchanged { color: #555; margin: .8rem 0; }
details.unchanged summary { cursor: pointer; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: .2rem .5rem; text-align: left; }
tr.rule code { word-break: break-all; }
tr.rule.added td.status { color: #0b5d1e; } tr.rule.removed td.status { color: #8e1b13; }
tr.rule.changed td.status { color: #8a6500; }
.stale { background: #fff6d6; padding: .5rem 1rem; border: 1px solid #e4c45c; }
@media print { details.unchanged { display: none; } nav { page-break-after: always; } }
@media (max-width: 40rem) { main { padding: .8rem; } }
"""


def _pieces(pieces: Iterable[Piece]) -> str:
    out = []
    for op, text in pieces:
        value = escape(text)
        out.append(value if op == "=" else (f"<del>{value}</del>" if op == "-" else f"<ins>{value}</ins>"))
    return "".join(out)


def _anchor(clause: ClauseDiff) -> str:
    return escape(f"clause-{clause.id}" if clause.status != "removed" else f"removed-{clause.id}", quote=True)


def _note(clause: ClauseDiff) -> str:
    from .render_text import _describe

    note = _describe(clause)
    return f'<p class="note">{escape(note)}</p>' if note else ""


def _clause(clause: ClauseDiff) -> str:
    paragraphs = []
    for paragraph in clause.paragraphs:
        body = _pieces(paragraph.pieces)
        if paragraph.op == "insert":
            body = f"<ins>{escape(paragraph.new or '')}</ins>"
        elif paragraph.op == "delete":
            body = f"<del>{escape(paragraph.old or '')}</del>"
        paragraphs.append(f"<p>{body}</p>")
    return (f'<article class="clause {clause.status}" id="{_anchor(clause)}">'
            f'<p class="status">{escape(clause.status)} · <code>{escape(clause.id)}</code></p>'
            f"<h3>{_pieces(clause.title_pieces)}</h3>{_note(clause)}{''.join(paragraphs)}</article>")


def _unchanged(run: list[ClauseDiff]) -> str:
    label = f"{len(run)} unchanged clause" + ("s" if len(run) != 1 else "")
    inner = "".join(f'<article class="clause unchanged" id="{_anchor(c)}"><h3>{escape(c.new.title)}</h3>'
                    + "".join(f"<p>{escape(p)}</p>" for p in c.new.paragraphs) + "</article>" for c in run)
    return f'<details class="unchanged"><summary>{escape(label)}</summary>{inner}</details>'


def render_html(diff: PolicyDiff) -> str:
    """The whole redline as one HTML page."""
    old, new = diff.old, diff.new
    title = str(new.meta.get("title") or old.meta.get("title") or "Policy")
    lang = escape(str(new.meta.get("language") or "en"), quote=True)
    out = ["<!DOCTYPE html>", f'<html lang="{lang}">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>Changes: {escape(title)}</title>", f"<style>{CSS}</style>", "</head>", "<body>", "<main>",
           "<header>", f"<h1>Changes to {escape(title)}</h1>",
           f'<p class="sources">{escape(_label(old))} → {escape(_label(new))}</p>',
           f'<p class="summary">{escape(diff.summary_line())}</p>', "</header>"]
    changed = diff.changed_clauses()
    if changed:
        out.append('<nav aria-label="Changed clauses"><h2>Changed clauses</h2><ol>')
        for clause in changed:
            name = clause.new.title if clause.new else clause.old.title
            out.append(f'<li><a href="#{_anchor(clause)}">{escape(name)}</a> '
                       f'<span class="status">({escape(clause.status)})</span></li>')
        out.append("</ol>")
        if diff.rules:
            out.append(f'<p><a href="#rules">Rules</a> <span class="status">({len(diff.rules)} changed)</span></p>')
        out.append("</nav>")
    elif diff.rules:
        out.append(f'<nav aria-label="Changes"><p><a href="#rules">Rules</a> '
                   f'<span class="status">({len(diff.rules)} changed)</span></p></nav>')
    if diff.meta or diff.layers:
        out.append("<section><h2>Policy details</h2><table><thead><tr><th>What</th><th>Old</th><th>New</th></tr>"
                   "</thead><tbody>")
        for change in diff.meta:
            out.append(f"<tr><td>{escape(change.field)}</td><td>{escape(str(change.old))}</td>"
                       f"<td>{escape(str(change.new))}</td></tr>")
        for layer in diff.layers:
            a = f"version {layer.old.get('version')}" if layer.old else "—"
            b = f"version {layer.new.get('version')}" if layer.new else "—"
            out.append(f"<tr><td>layer {escape(layer.id)}</td><td>{escape(a)}</td><td>{escape(b)}</td></tr>")
        out.append("</tbody></table></section>")
    out.extend(_rules(diff))
    if diff.stale:
        out.append('<section class="stale"><h2>Overrides to review</h2>')
        for item in diff.stale:
            out.append(f"<p>{escape(item.message())}</p>")
            if item.pieces():
                out.append(f"<p>Upstream change: {_pieces(item.pieces())}</p>")
        out.append("</section>")
    out.append("<section><h2>Clauses</h2>")
    run: list[ClauseDiff] = []
    for clause in diff.clauses:
        if clause.status == "unchanged":
            run.append(clause)
            continue
        if run:
            out.append(_unchanged(run))
            run = []
        out.append(_clause(clause))
    if run:
        out.append(_unchanged(run))
    out += ["</section>", "</main>", "</body>", "</html>"]
    return "\n".join(out) + "\n"


def _rule_cell(change, name: str) -> str:
    from .rules import field_pieces

    if name in change.changes:
        return _pieces(field_pieces(change, name))
    value = getattr(change.rule, name)
    return escape(str(value)) if value is not None else ""


def _rules(diff: PolicyDiff) -> list[str]:
    """The rules section: a note when they could not be compared, else a table of added/removed/changed rules."""
    if diff.rules_note:
        return [f'<section id="rules"><h2>Rules</h2><p class="note">{escape(diff.rules_note)}</p></section>']
    if not diff.rules:
        return []
    out = ['<section id="rules"><h2>Rules</h2><table><thead><tr><th>Status</th><th>Rule</th><th>Layer</th>'
           "<th>Layer kind</th><th>Citation</th><th>Message</th></tr></thead><tbody>"]
    for change in diff.rules:
        rule = change.rule
        what = f"topic {rule.topic}" if rule.topic is not None else f"pattern {rule.pattern}"
        body = "".join(f"<td>{_rule_cell(change, name)}</td>" for name in ("layer_kind", "citation", "message"))
        if change.status != "changed":
            tag = "ins" if change.status == "added" else "del"
            cells = [_rule_cell(change, name) for name in ("layer_kind", "citation", "message")]
            body = "".join(f"<td><{tag}>{cell}</{tag}></td>" if cell else "<td></td>" for cell in cells)
        out.append(f'<tr class="rule {escape(change.status, quote=True)}">'
                   f'<td class="status">{escape(change.status)}</td><td>{escape(rule.kind)} <code>{escape(what)}</code>'
                   f"</td><td><code>{escape(rule.layer)}</code></td>{body}</tr>")
    out.append("</tbody></table></section>")
    return out


def _label(view) -> str:
    version = view.meta.get("version")
    return f"{view.source}" + (f" (version {version})" if version else "")

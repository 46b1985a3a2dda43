"""DOCX: tracked changes read back by pandoc, clauses read back from bookmarks, the round trip."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from policystack.diff import diff_views
from policystack.diff.docx_read import read_docx
from policystack.diff.redline import entries, render_redline
from policystack.diff.views import view_from_lock
from policystack.errors import InputError
from policystack.ids import bookmark_name
from test_diff import MIXED, ORG
from test_diff_helpers import cli, lock_of, pipeline, real_project, target, tiny_project

REDLINE_OPS = MIXED + """
  - op: replace
    clause: contact
    title: How to reach our team
  - op: add
    id: video
    title: Video sessions
    body: We offer video sessions on a secure platform.
    section: general
  - op: move
    clause: acknowledgement
    section: online
"""


def _pandoc(path: Path, mode: str, to: str = "plain") -> str:
    import pypandoc

    return subprocess.run([pypandoc.get_pandoc_path(), "-f", "docx", "-t", to, f"--track-changes={mode}",
                           str(path)], capture_output=True, text=True, check=True).stdout


def _expected_words(view) -> list[str]:
    """The words of a version as the redline lays it out: facts, then sections and clauses (pandoc moves the
    document title to its metadata)."""
    lines = [f"Version: {view.meta['version']} Effective: {view.meta['effective']}"]
    current = None
    for clause in view.clauses:
        if clause.section_title != current:
            lines.append(clause.section_title)
            current = clause.section_title
        lines.append(clause.title)
        lines.extend(clause.paragraphs)
    return " ".join(lines).split()


@pytest.fixture
def redline(tmp_path: Path):
    root = tiny_project(tmp_path / "p", {"org": ORG.format(ops=REDLINE_OPS)})
    old_lock = lock_of(root)
    old_lock["policy"]["version"] = "0.9.0"
    old = view_from_lock(old_lock, source="old.json")
    new = view_from_lock(lock_of(root, organization="org"), source="new.json")
    diff = diff_views(old, new)
    path = tmp_path / "redline.docx"
    path.write_bytes(render_redline(diff, author="Reviewer"))
    return diff, path


def test_accept_gives_new_and_reject_gives_old(redline) -> None:
    diff, path = redline
    assert _pandoc(path, "accept").split() == _expected_words(diff.new)
    assert _pandoc(path, "reject").split() == _expected_words(diff.old)


def _spans(node, found: dict[str, list[str]], inside: str | None = None) -> None:
    """Collect the words inside pandoc's insertion/deletion spans."""
    if isinstance(node, dict):
        if node.get("t") == "Span":
            classes = node["c"][0][1]
            kind = "insertion" if "insertion" in classes else "deletion" if "deletion" in classes else None
            if kind:
                assert dict(node["c"][0][2]).get("author") == "Reviewer"
                words: list[str] = []
                _text(node["c"][1], words)
                found[kind].append(" ".join(words))
                return
        for value in node.values():
            _spans(value, found, inside)
    elif isinstance(node, list):
        for value in node:
            _spans(value, found, inside)


def _text(node, out: list[str]) -> None:
    if isinstance(node, dict):
        if node.get("t") == "Str":
            out.append(node["c"])
        elif node.get("t") in ("Space", "SoftBreak", "LineBreak"):
            out.append(" ")
        else:
            _text(node.get("c"), out)
    elif isinstance(node, list):
        for value in node:
            _text(value, out)


def test_all_shows_the_same_insertions_and_deletions_as_the_diff(redline) -> None:
    diff, path = redline
    found: dict[str, list[str]] = {"insertion": [], "deletion": []}
    _spans(json.loads(_pandoc(path, "all", "json")), found)
    expected: dict[str, list[str]] = {"insertion": [], "deletion": []}
    name = {"+": "insertion", "-": "deletion"}
    for op, old, new in (("-", diff.old.meta["version"], diff.new.meta["version"]),):
        expected["deletion"].append(old)
        expected["insertion"].append(new)
    current = None
    for kind, clause in entries(diff):
        side = clause.old if kind == "out" or clause.new is None else clause.new
        if side.section_title != current:  # a section heading, inserted when only new clauses are under it
            current = side.section_title
            group = [(k, c) for k, c in entries(diff)
                     if (c.old if k == "out" or c.new is None else c.new).section_title == current]
            if all(k == "in" or c.status == "added" for k, c in group):
                expected["insertion"].append(current)
            elif all(k == "out" or c.status == "removed" for k, c in group):
                expected["deletion"].append(current)
        if kind == "out":
            expected["deletion"] += [clause.old.title, *clause.old.paragraphs]
        elif kind == "in":
            expected["insertion"] += [clause.new.title, *clause.new.paragraphs]
        else:
            for paragraph in [clause.title_pieces, *[p.pieces for p in clause.paragraphs]]:
                expected["insertion"] += [t for op, t in paragraph if op == "+"]
                expected["deletion"] += [t for op, t in paragraph if op == "-"]
    words = lambda texts: " ".join("".join(texts).split()).replace(" ", "")  # noqa: E731
    # pandoc may merge or split adjacent revision runs; the words, in order, must be the same
    for kind in name.values():
        assert words(found[kind]) == words(expected[kind]), kind
    assert {c.status for _, c in entries(diff)} >= {"added", "removed", "changed", "moved"}


def test_redline_reads_back_as_new_and_is_deterministic(redline, tmp_path: Path) -> None:
    diff, path = redline
    again = diff_views(diff.new, read_docx(path))
    assert not again.changed_clauses()
    assert render_redline(diff, author="Reviewer") == path.read_bytes()
    result = cli("diff", "-f", "docx", "--date", "2027-03-01", "-o", str(tmp_path / "r.docx"),
                 *_lock_files(diff, tmp_path))
    assert result.exit_code == 1
    assert b'w:date="2027-03-01T00:00:00Z"' in _document_xml(tmp_path / "r.docx")


def _lock_files(diff, tmp_path: Path) -> list[str]:
    root = tiny_project(tmp_path / "q", {"org": ORG.format(ops=REDLINE_OPS)})
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(lock_of(root)), encoding="utf-8")
    b.write_text(json.dumps(lock_of(root, organization="org")), encoding="utf-8")
    return [str(a), str(b)]


def _document_xml(path: Path) -> bytes:
    import zipfile

    return zipfile.ZipFile(path).read("word/document.xml")


# ------------------------------------------------------------------ reading clauses from bookmarks

def _handmade_docx(path: Path, clauses: list[tuple[str, str, list[str]]]) -> Path:
    """A DOCX made with python-docx, each clause (heading + paragraphs) inside its ps_ bookmark."""
    from docx import Document
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document = Document()
    document.add_heading("Tiny Policy", level=0)
    document.add_heading("General", level=1)
    for number, (clause_id, title, paragraphs) in enumerate(clauses):
        first = document.add_heading(title, level=2)
        last = first
        for text in paragraphs:
            last = document.add_paragraph(text)
        start, end = OxmlElement("w:bookmarkStart"), OxmlElement("w:bookmarkEnd")
        start.set(qn("w:id"), str(number))
        start.set(qn("w:name"), bookmark_name(clause_id))
        end.set(qn("w:id"), str(number))
        first._p.insert(0, start)
        last._p.append(end)
    document.save(path)
    return path


def test_clauses_read_from_a_handmade_docx(tmp_path: Path) -> None:
    path = _handmade_docx(tmp_path / "h.docx", [
        ("friend-requests", "Friend requests", ["We do not accept friend requests.", "Second paragraph."]),
        ("email", "Email", ["Email is not for emergencies."]),
    ])
    view = read_docx(path)
    assert [(c.id, c.title, c.paragraphs, c.section_title) for c in view.clauses] == [
        ("friend-requests", "Friend requests", ("We do not accept friend requests.", "Second paragraph."), "General"),
        ("email", "Email", ("Email is not for emergencies.",), "General")]
    edited = _handmade_docx(tmp_path / "e.docx", [
        ("friend-requests", "Friend requests", ["We never accept friend requests.", "Second paragraph."]),
        ("email", "Email", ["Email is not for emergencies."]),
    ])
    diff = diff_views(view, read_docx(edited))
    (clause,) = diff.changed_clauses()
    assert clause.id == "friend-requests" and clause.changes == ("body",)


def test_docx_without_bookmarks_is_a_clear_error(tmp_path: Path) -> None:
    from docx import Document

    path = tmp_path / "plain.docx"
    document = Document()
    document.add_paragraph("Just text.")
    document.save(path)
    with pytest.raises(InputError, match="no policystack clause bookmarks"):
        read_docx(path)
    result = cli("diff", str(path), str(path))
    assert result.exit_code == 2


@pytest.mark.parametrize("which", ["tiny", "real"])
def test_round_trip_with_the_real_docx_renderer(tmp_path: Path, which: str) -> None:
    if which == "tiny":
        root = tiny_project(tmp_path / "p", {"org": ORG.format(ops=MIXED)})
        clinic = target(organization="org")
    else:  # the repository's base policy: lists, links, emphasis, every variable
        root = real_project(tmp_path / "p")
        clinic = target(name='Ünïcode & "Quotes" <Clinic>')
    p = pipeline(root)
    if "docx" not in p.renderers:
        pytest.skip("no docx renderer registered ('policystack formats' does not list docx)")
    policy = p.resolve(clinic)
    path = tmp_path / "built.docx"
    path.write_bytes(p.render(policy, ["docx"])["docx"])
    lock = tmp_path / "built.json"
    from policystack.lock import policy_lock

    lock.write_text(policy_lock(policy, root=root), encoding="utf-8")
    result = cli("diff", "-f", "json", str(lock), str(path))
    data = json.loads(result.output)
    assert result.exit_code == 0, [c for c in data["clauses"] if c["status"] != "unchanged"]
    assert data["summary"]["unchanged"] == len(policy.clauses())

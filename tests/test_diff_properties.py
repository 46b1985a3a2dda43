"""Property tests: the diff of random edits reports exactly the edits made."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings, strategies as st

from policystack.diff import ClauseView, PolicyView, diff_views
from policystack.diff.words import paragraph_diff, word_diff

SECTIONS = ("s1", "s2", "s3")


def _clause(i: int, section: str) -> ClauseView:
    # every clause has its own vocabulary, so no edit can make two clauses look alike
    words = [f"w{i}x{j}" for j in range(12)]
    return ClauseView(id=f"c{i}", title=f"Title {i}", paragraphs=(" ".join(words[:6]), " ".join(words[6:])),
                      section=section, section_title=section.upper(), topics=(f"t{i}",), layer="base")


def _view(clauses: list[ClauseView]) -> PolicyView:
    order = {s: n for n, s in enumerate(SECTIONS)}
    ordered = sorted(clauses, key=lambda c: order[c.section])  # stable: keeps the order within a section
    return PolicyView(source="x", kind="lock", meta={"id": "p", "version": "1"}, clauses=tuple(ordered), layers=())


@st.composite
def edits(draw):
    n = draw(st.integers(3, 10))
    old = [_clause(i, SECTIONS[i % 3]) for i in range(n)]
    ids = [c.id for c in old]
    removed = set(draw(st.sets(st.sampled_from(ids), max_size=n // 2)))
    kept = [i for i in ids if i not in removed]
    title = set(draw(st.sets(st.sampled_from(kept), max_size=len(kept)))) if kept else set()
    body = set(draw(st.sets(st.sampled_from(kept), max_size=len(kept)))) if kept else set()
    topics = set(draw(st.sets(st.sampled_from(kept), max_size=len(kept)))) if kept else set()
    moved = set(draw(st.sets(st.sampled_from(kept), max_size=len(kept)))) if kept else set()
    added = draw(st.integers(0, 3))
    word_edits = {cid: draw(st.lists(st.tuples(st.sampled_from(["insert", "delete", "replace"]),
                                               st.integers(0, 11)), min_size=1, max_size=3)) for cid in body}
    new = []
    for clause in old:
        if clause.id in removed:
            continue
        if clause.id in title:
            clause = replace(clause, title=clause.title + " revised")
        if clause.id in body:
            words = " ".join(clause.paragraphs).split()
            for kind, at in word_edits[clause.id]:
                at = min(at, len(words) - 1)
                if kind == "insert":
                    words.insert(at, f"new{at}")
                elif kind == "delete" and len(words) > 1:
                    del words[at]
                else:
                    words[at] = f"chg{at}"
            if words != " ".join(clause.paragraphs).split():
                clause = replace(clause, paragraphs=(" ".join(words[:6]), " ".join(words[6:])))
            else:
                body.discard(clause.id)
        if clause.id in topics:
            clause = replace(clause, topics=clause.topics + ("extra",))
        if clause.id in moved:
            clause = replace(clause, section=SECTIONS[(SECTIONS.index(clause.section) + 1) % 3])
            clause = replace(clause, section_title=clause.section.upper())
        new.append(clause)
    # moved clauses go to the end of their new section
    new = [c for c in new if c.id not in moved] + [c for c in new if c.id in moved]
    new += [_clause(100 + k, SECTIONS[k % 3]) for k in range(added)]
    return old, new, {"removed": removed, "title": title, "body": body, "topics": topics, "moved": moved,
                      "added": {f"c{100 + k}" for k in range(added)}}


@settings(max_examples=150, deadline=None)
@given(edits())
def test_diff_reports_exactly_the_edits(case) -> None:
    old, new, made = case
    diff = diff_views(_view(old), _view(new))
    status = {c.id: c for c in diff.clauses}
    assert {i for i, c in status.items() if c.status == "removed"} == made["removed"]
    assert {i for i, c in status.items() if c.status == "added"} == made["added"]
    assert not any(c.status == "renamed" for c in diff.clauses)
    for what in ("title", "body", "topics"):
        assert {i for i, c in status.items() if what in c.changes} == made[what], what
    assert {i for i, c in status.items() if "section" in c.changes} == made["moved"]
    assert not any("position" in c.changes for c in diff.clauses)
    untouched = {c.id for c in old} - set().union(*made.values())
    assert {i for i, c in status.items() if c.status == "unchanged"} == untouched
    assert diff.changed == bool(set().union(*made.values()))
    for clause in diff.clauses:  # the word diff rebuilds both texts
        olds = [p.old for p in clause.paragraphs if p.old is not None]
        news = [p.new for p in clause.paragraphs if p.new is not None]
        assert tuple(olds) == (clause.old.paragraphs if clause.old else ())
        assert tuple(news) == (clause.new.paragraphs if clause.new else ())


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from("ab c.\n"), max_size=40), st.text(st.sampled_from("ab c.\n"), max_size=40))
def test_word_diff_rebuilds_both_sides(old: str, new: str) -> None:
    pieces = word_diff(old, new)
    assert "".join(t for op, t in pieces if op != "+") == old
    assert "".join(t for op, t in pieces if op != "-") == new
    assert all(text for _, text in pieces)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["a b", "a c", "b c d", "x"]), max_size=5),
       st.lists(st.sampled_from(["a b", "a c", "b c d", "y z"]), max_size=5))
def test_paragraph_diff_rebuilds_both_sides(old: list[str], new: list[str]) -> None:
    paragraphs = paragraph_diff(old, new)
    assert [p.old for p in paragraphs if p.old is not None] == old
    assert [p.new for p in paragraphs if p.new is not None] == new

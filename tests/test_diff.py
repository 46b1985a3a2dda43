"""Clause-level diff: golden cases for each kind of change, formats and exit codes."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from policystack.diff import diff_views
from policystack.diff.render_html import render_html
from policystack.diff.render_json import diff_data
from policystack.diff.render_text import render_stat, render_terminal, render_unified
from policystack.diff.views import view_from_lock
from test_diff_helpers import cli, lock_of, tiny_project, write_target

ORG = """
layer: {{id: org, kind: organization, name: Org, version: "1.0"}}
operations:
{ops}
"""


def org_diff(tmp_path: Path, ops: str, **kwargs):
    """Diff the tiny policy of the clinic without and with an organization layer doing ``ops``."""
    root = tiny_project(tmp_path / "p", {"org": ORG.format(ops=ops)})
    old = view_from_lock(lock_of(root), source="old")
    new = view_from_lock(lock_of(root, organization="org"), source="new")
    return diff_views(old, new, **kwargs)


def changed(diff) -> dict[str, tuple[str, tuple[str, ...]]]:
    return {c.id: (c.status, c.changes) for c in diff.changed_clauses()}


def test_added(tmp_path: Path) -> None:
    diff = org_diff(tmp_path, """
  - op: add
    id: telehealth
    title: Video sessions
    body: We offer video sessions on a secure platform.
    after: contact
""")
    assert changed(diff) == {"telehealth": ("added", ())}
    clause = diff.changed_clauses()[0]
    assert [p.op for p in clause.paragraphs] == ["insert"]
    assert [c.id for c in diff.clauses][:4] == ["purpose", "contact", "telehealth", "email"]
    assert diff.summary_line() == "1 added, 1 metadata change(s)"  # the org layer itself is new


def test_removed(tmp_path: Path) -> None:
    diff = org_diff(tmp_path, """
  - op: remove
    clause: reviews
    reason: not relevant
""")
    assert changed(diff) == {"reviews": ("removed", ())}
    assert diff.clauses[4].id == "reviews"  # shown where it was
    assert diff.changed_clauses()[0].paragraphs[0].old == "We never ask clients for reviews on review sites."


def test_changed_title(tmp_path: Path) -> None:
    diff = org_diff(tmp_path, """
  - op: replace
    clause: reviews
    title: Online review sites
""")
    assert changed(diff) == {"reviews": ("changed", ("title", "layer"))}
    assert diff.changed_clauses()[0].title_pieces == (("-", "Review"), ("+", "Online review"), ("=", " sites"))


def test_changed_body_word_level(tmp_path: Path) -> None:
    diff = org_diff(tmp_path, """
  - op: replace
    clause: friending
    body: We never accept friend requests from current or former clients on any social network.
""")
    assert changed(diff) == {"friending": ("changed", ("body", "layer"))}
    (paragraph,) = diff.changed_clauses()[0].paragraphs
    assert paragraph.op == "change"
    assert paragraph.pieces == (("=", "We "), ("-", "do not"), ("+", "never"), ("=", " accept friend requests from "),
                                ("+", "current or former "), ("=", "clients on any social network."))


def test_changed_topics(tmp_path: Path) -> None:
    diff = org_diff(tmp_path, """
  - op: replace
    clause: reviews
    topics: [reviews, testimonials]
""")
    assert changed(diff) == {"reviews": ("changed", ("topics", "layer"))}


def test_changed_layer_only(tmp_path: Path) -> None:
    diff = org_diff(tmp_path, """
  - op: replace
    clause: reviews
    title: Review sites
""")
    (clause,) = diff.changed_clauses()
    assert (clause.status, clause.changes) == ("changed", ("layer",))
    assert (clause.old.layer, clause.new.layer) == ("base", "org")


def test_amend_adds_a_paragraph(tmp_path: Path) -> None:
    diff = org_diff(tmp_path, """
  - op: amend
    clause: purpose
    append: We review this policy every year.
""")
    (clause,) = diff.changed_clauses()
    assert [p.op for p in clause.paragraphs] == ["equal", "equal", "insert"]
    assert clause.paragraphs[-1].new == "We review this policy every year."


def test_moved_to_another_section(tmp_path: Path) -> None:
    diff = org_diff(tmp_path, """
  - op: move
    clause: email
    section: online
""")
    assert changed(diff) == {"email": ("moved", ("section",))}
    assert diff.summary()["moved"] == 1 and diff.summary()["changed"] == 0


def test_moved_within_section(tmp_path: Path) -> None:
    diff = org_diff(tmp_path, """
  - op: move
    clause: purpose
    after: email
""")
    assert changed(diff) == {"purpose": ("moved", ("position",))}


def test_variable_value_change_shows_in_text(tmp_path: Path) -> None:
    diff = org_diff(tmp_path, """
  - op: set
    values: {clinic.email_response_days: 1}
""")
    (clause,) = diff.changed_clauses()
    assert clause.id == "email" and clause.changes == ("body",)
    assert ("-", "2") in clause.paragraphs[0].pieces and ("+", "1") in clause.paragraphs[0].pieces


def _renamed_pair(tmp_path: Path) -> tuple[dict, dict]:
    root = tiny_project(tmp_path / "p")
    old = lock_of(root)
    new = copy.deepcopy(old)
    clause = new["sections"][1]["clauses"][0]
    clause["id"] = "friend-requests"
    clause["body"] = "We do not accept friend requests from clients on any social network, ever."
    return old, new


def test_renamed(tmp_path: Path) -> None:
    old, new = _renamed_pair(tmp_path)
    diff = diff_views(view_from_lock(old, source="a"), view_from_lock(new, source="b"))
    assert changed(diff) == {"friend-requests": ("renamed", ("body",))}
    (clause,) = diff.changed_clauses()
    assert clause.old_id == "friending" and clause.similarity >= 0.8
    assert diff.summary()["renamed"] == 1 and diff.summary()["removed"] == 0


def test_rename_threshold(tmp_path: Path) -> None:
    old, new = _renamed_pair(tmp_path)
    diff = diff_views(view_from_lock(old, source="a"), view_from_lock(new, source="b"), rename_threshold=0.99)
    assert changed(diff) == {"friending": ("removed", ()), "friend-requests": ("added", ())}


def test_metadata_changes(tmp_path: Path) -> None:
    root = tiny_project(tmp_path / "p")
    old = lock_of(root)
    new = copy.deepcopy(old)
    new["policy"]["version"] = "1.1.0"
    new["policy"]["effective"] = "2027-06-01"
    new["layers"].append({"id": "us", "kind": "jurisdiction", "name": "US", "version": "2.0"})
    diff = diff_views(view_from_lock(old, source="a"), view_from_lock(new, source="b"))
    assert [(m.field, m.old, m.new) for m in diff.meta] == [("policy.version", "1.0.0", "1.1.0"),
                                                            ("policy.effective", "2027-01-01", "2027-06-01")]
    assert [(l.id, l.status) for l in diff.layers] == [("us", "added")]
    assert diff.changed and not diff.changed_clauses()


GOLDEN_TERMINAL = """\
diff old → new
  layer org: added
~ changed  purpose  Why we have this policy
    body changed; text from layer 'org' (was 'base')
  + We review this policy every year.
~ changed  friending  Friend requests
    body changed; text from layer 'org' (was 'base')
    We [-do not-]{+never+} accept friend requests from clients on any social network.
- removed  reviews  Review sites
  - We never ask clients for reviews on review sites.
> moved    email  Email
    moved to section 'Online' (was 'General')
1 removed, 2 changed, 1 moved, 1 metadata change(s)
"""

MIXED = """
  - op: amend
    clause: purpose
    append: We review this policy every year.
  - op: move
    clause: email
    section: online
  - op: replace
    clause: friending
    body: We never accept friend requests from clients on any social network.
  - op: remove
    clause: reviews
    reason: not relevant
"""


def test_golden_terminal(tmp_path: Path) -> None:
    assert render_terminal(org_diff(tmp_path, MIXED), color=False) == GOLDEN_TERMINAL


def test_terminal_colour_and_stat(tmp_path: Path) -> None:
    diff = org_diff(tmp_path, MIXED)
    coloured = render_terminal(diff, color=True)
    assert "\x1b[" in coloured and "[-do not-]" not in coloured
    stat = render_stat(diff)
    assert stat.splitlines()[-1] == "1 removed, 2 changed, 1 moved, 1 metadata change(s)"
    assert " friending " in stat and "+1 -2" in stat


def test_unified(tmp_path: Path) -> None:
    text = render_unified(org_diff(tmp_path, MIXED))
    assert "--- a/friending\n+++ b/friending\n" in text
    assert "-We do not accept friend requests from clients on any social network.\n" in text
    assert "+We never accept friend requests from clients on any social network.\n" in text
    assert "--- a/reviews\n+++ /dev/null\n" in text
    assert "-section: General\n+section: Online\n" in text


def test_json_schema_fields(tmp_path: Path) -> None:
    data = diff_data(org_diff(tmp_path, MIXED))
    assert data["schema"] == "policystack.diff/1"
    assert data["summary"] == {"added": 0, "removed": 1, "changed": 2, "moved": 1, "renamed": 0, "unchanged": 2}
    by_id = {c["id"]: c for c in data["clauses"]}
    assert by_id["contact"] == {"id": "contact", "status": "unchanged"}
    friending = by_id["friending"]
    assert friending["changes"] == ["body", "layer"]
    assert friending["paragraphs"][0]["words"][1] == ["-", "do not"]
    assert friending["old"]["layer"] == "base" and friending["new"]["layer"] == "org"
    assert data["layers"] == [{"id": "org", "status": "added", "old": None,
                               "new": {"id": "org", "kind": "organization", "name": "Org", "version": "1.0"}}]
    json.dumps(data)


def test_html_escapes_and_collapses(tmp_path: Path) -> None:
    import html5lib

    root = tiny_project(tmp_path / "p", {"org": ORG.format(ops="""
  - op: replace
    clause: friending
    body: "We <b>never</b> accept requests from <script>alert(1)</script> & others."
""")})
    old = view_from_lock(lock_of(root, name="<script>x</script>"), source="a")
    new = view_from_lock(lock_of(root, organization="org", name="<script>x</script>"), source="b")
    page = render_html(diff_views(old, new))
    assert "<script" not in page and "&lt;script&gt;" in page
    tree = html5lib.parse(page, namespaceHTMLElements=False)
    assert tree.get("lang") == "en"
    toc = [a.get("href") for a in tree.iterfind(".//nav//a")]
    assert toc == ["#clause-friending"]
    assert tree.find(".//article[@id='clause-friending']//ins") is not None
    assert tree.find(".//article[@id='clause-friending']//del") is not None
    assert len(tree.findall(".//details[@class='unchanged']")) == 2  # before and after the change


# ------------------------------------------------------------------ CLI

def test_cli_same_file_is_empty_exit_0(tmp_path: Path) -> None:
    root = tiny_project(tmp_path / "p")
    lock = tmp_path / "a.json"
    lock.write_text(json.dumps(lock_of(root)), encoding="utf-8")
    result = cli("diff", str(lock), str(lock))
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "no changes"
    for fmt in ("json", "unified", "html", "stat"):
        assert cli("diff", "-f", fmt, str(lock), str(lock)).exit_code == 0


def test_cli_targets_and_locks_exit_1(tmp_path: Path) -> None:
    root = tiny_project(tmp_path / "p", {"org": ORG.format(ops=MIXED)})
    old = write_target(root / "old.yaml")
    new = write_target(root / "new.yaml", organization="org")
    result = cli("--root", str(root), "diff", "--color", "never", str(old), str(new))
    assert result.exit_code == 1, result.output
    assert result.output.endswith("1 removed, 2 changed, 1 moved, 1 metadata change(s)\n")
    lock = tmp_path / "old.json"
    lock.write_text(json.dumps(lock_of(root)), encoding="utf-8")
    result = cli("--root", str(root), "diff", "--stat", str(lock), str(new))
    assert result.exit_code == 1 and "friending" in result.output
    result = cli("--root", str(root), "diff", "-f", "json", str(lock), str(old))
    assert result.exit_code == 0 and json.loads(result.output)["changed"] is False


@pytest.mark.parametrize("content, message", [
    ("{not json", "cannot read policy lock"),
    ('{"schema": "something/1"}', "not a policystack lock"),
])
def test_cli_trouble_exits_2(tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content, encoding="utf-8")
    result = CliRunnerErr().invoke(["diff", str(bad), str(bad)])
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_cli_usage_problems_exit_2(tmp_path: Path) -> None:
    runner = CliRunnerErr()
    assert runner.invoke(["diff", str(tmp_path / "missing.json"), str(tmp_path / "missing.json")]).exit_code == 2
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    result = runner.invoke(["diff", str(tmp_path / "a.txt"), str(tmp_path / "a.txt")])
    assert result.exit_code == 2 and "cannot tell what" in result.stderr
    assert runner.invoke(["diff", "-f", "docx", str(tmp_path / "a.txt"), str(tmp_path / "a.txt")]).exit_code == 2


class CliRunnerErr:
    """A CLI runner that keeps stderr apart."""

    def invoke(self, args: list[str]):
        from click.testing import CliRunner

        from policystack.cli import main

        try:
            runner = CliRunner(mix_stderr=False)
        except TypeError:  # click >= 8.2 always separates them
            runner = CliRunner()
        return runner.invoke(main, args, catch_exceptions=False)

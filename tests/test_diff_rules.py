"""Rules (require/forbid) in the diff: added, removed, changed, in every format; unknown against a DOCX."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policystack.diff import diff_views
from policystack.diff.model import RuleView
from policystack.diff.render_html import render_html
from policystack.diff.render_json import diff_data
from policystack.diff.render_text import render_stat, render_terminal, render_unified
from policystack.diff.rules import diff_rules
from policystack.diff.views import view_from_lock
from test_diff import CliRunnerErr
from test_diff_helpers import cli, lock_of, pipeline, target, tiny_project

# a jurisdiction plugin update: one citation changes, a prohibition goes, another one comes
XX_V1 = """
layer: {id: xx, kind: jurisdiction, name: Testland, version: "1.0", reviewed: 2026-11-01}
operations:
  - op: set
    values: {emergency.number: "999"}
  - op: require
    topic: emergency
    citation: Testland Act s. 1
  - op: forbid
    topic: testimonials
    citation: TL Reg 1
"""
XX_V2 = """
layer: {id: xx, kind: jurisdiction, name: Testland, version: "1.1", reviewed: 2026-11-01}
operations:
  - op: set
    values: {emergency.number: "999"}
  - op: require
    topic: emergency
    citation: Testland Act s. 2
  - op: forbid
    pattern: "(5|five)-star"
    citation: TL Reg 9
    message: no star ratings
"""

GOLDEN_TERMINAL = """\
diff old.json → new.json
  layer xx: version 1.0 → 1.1
~ rule changed  xx/require/topic:emergency
    citation: Testland Act s. [-1-]{+2+}
+ rule added    xx/forbid/pattern:(5|five)-star
    TL Reg 9: no star ratings
- rule removed  xx/forbid/topic:testimonials
    TL Reg 1
1 metadata change(s), 1 rule added, 1 rule removed, 1 rule changed
"""


@pytest.fixture
def locks(tmp_path: Path) -> tuple[Path, Path]:
    """Policy locks of the same clinic before and after the Testland update (clauses untouched)."""
    paths = []
    for name, layer in (("old", XX_V1), ("new", XX_V2)):
        root = tiny_project(tmp_path / name, {"xx": layer})
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(lock_of(root)), encoding="utf-8")
        paths.append(path)
    return paths[0], paths[1]


def _diff(locks: tuple[Path, Path]):
    old, new = (view_from_lock(json.loads(p.read_text(encoding="utf-8")), source=p.name) for p in locks)
    return diff_views(old, new)


def test_rules_added_removed_changed(locks) -> None:
    diff = _diff(locks)
    assert [(r.key, r.status, r.changes) for r in diff.rules] == [
        ("xx/require/topic:emergency", "changed", ("citation",)),
        ("xx/forbid/pattern:(5|five)-star", "added", ()),
        ("xx/forbid/topic:testimonials", "removed", ()),
    ]
    assert diff.changed_clauses() == [] and diff.changed
    assert diff.rule_summary() == {"added": 1, "removed": 1, "changed": 1}


def test_rules_golden_terminal_and_stat(locks) -> None:
    diff = _diff(locks)
    assert render_terminal(diff, color=False) == GOLDEN_TERMINAL
    coloured = render_terminal(diff, color=True)
    assert "\x1b[" in coloured and "[-1-]" not in coloured
    assert render_stat(diff) == (
        " rule xx/require/topic:emergency          changed   citation\n"
        " rule xx/forbid/pattern:(5|five)-star     added\n"
        " rule xx/forbid/topic:testimonials        removed\n"
        "1 metadata change(s), 1 rule added, 1 rule removed, 1 rule changed\n")


def test_rules_unified(locks) -> None:
    text = render_unified(_diff(locks))
    assert ("# rule changed: xx/require/topic:emergency (citation)\n"
            "--- a/rules/xx/require/topic:emergency\n+++ b/rules/xx/require/topic:emergency\n") in text
    assert "-citation: Testland Act s. 1\n+citation: Testland Act s. 2\n" in text
    assert "--- /dev/null\n+++ b/rules/xx/forbid/pattern:(5|five)-star\n" in text
    assert "+message: no star ratings\n" in text
    assert "--- a/rules/xx/forbid/topic:testimonials\n+++ /dev/null\n" in text
    assert text.endswith("# 1 metadata change(s), 1 rule added, 1 rule removed, 1 rule changed\n")


def test_rules_json(locks) -> None:
    data = diff_data(_diff(locks))
    rules = data["rules"]
    assert rules["compared"] is True and rules["note"] is None
    assert rules["summary"] == {"added": 1, "removed": 1, "changed": 1}
    changed, added, removed = rules["changes"]
    assert changed == {"key": "xx/require/topic:emergency", "status": "changed", "changes": ["citation"],
                       "old": {"kind": "require", "layer": "xx", "layer_kind": "jurisdiction",
                               "citation": "Testland Act s. 1", "message": None, "topic": "emergency",
                               "pattern": None},
                       "new": {"kind": "require", "layer": "xx", "layer_kind": "jurisdiction",
                               "citation": "Testland Act s. 2", "message": None, "topic": "emergency",
                               "pattern": None}}
    assert (added["status"], added["old"], added["new"]["pattern"]) == ("added", None, "(5|five)-star")
    assert (removed["status"], removed["new"], removed["old"]["topic"]) == ("removed", None, "testimonials")
    # the clause summary keeps its meaning (it still adds up to the clauses); sides count their rules
    assert sum(data["summary"].values()) == len(data["clauses"]) == 6
    assert data["old"]["rules"] == 2 and data["new"]["rules"] == 2
    assert data["changed"] is True


def test_rules_html(locks) -> None:
    import html5lib

    page = render_html(_diff(locks))
    tree = html5lib.parse(page, namespaceHTMLElements=False)
    rows = tree.findall(".//section[@id='rules']//tbody/tr")
    assert [r.get("class") for r in rows] == ["rule changed", "rule added", "rule removed"]
    assert rows[0].find(".//del").text == "1" and rows[0].find(".//ins").text == "2"
    assert rows[1].findall(".//ins")[-1].text == "no star ratings"
    assert rows[2].find(".//del") is not None
    assert tree.find(".//nav//a[@href='#rules']") is not None
    assert "1 rule added, 1 rule removed, 1 rule changed" in page


def test_rules_cli_exit_codes(locks) -> None:
    old, new = locks
    for fmt in ("terminal", "stat", "unified", "html", "json"):
        result = cli("diff", "-f", fmt, "--color", "never", str(old), str(new))
        assert result.exit_code == 1, (fmt, result.output)
        assert ("rule" in result.output) and ("emergency" in result.output), fmt
        same = cli("diff", "-f", fmt, str(new), str(new))
        assert same.exit_code == 0, (fmt, same.output)
    result = cli("diff", "--color", "never", str(new), str(new))
    assert result.output.splitlines()[-1] == "no changes"
    data = json.loads(cli("diff", "-f", "json", str(new), str(new)).output)
    assert data["changed"] is False and data["rules"]["changes"] == [] and data["rules"]["compared"] is True


def test_rule_identity_and_duplicates() -> None:
    a = RuleView("forbid", "us", "jurisdiction", "c1", topic="x")
    b = RuleView("forbid", "us", "jurisdiction", "c1", pattern="x")  # same text, but a pattern: another rule
    assert a.key == "us/forbid/topic:x" and b.key == "us/forbid/pattern:x"
    assert [(c.status, c.key) for c in diff_rules([a], [b])] == [("added", b.key), ("removed", a.key)]
    moved = RuleView("forbid", "us-ca", "jurisdiction", "c1", topic="x")  # stated by another layer now
    assert [c.status for c in diff_rules([a], [moved])] == ["added", "removed"]
    # the same rule stated twice: identical occurrences pair first, the rest in order
    a2 = RuleView("forbid", "us", "jurisdiction", "c2", topic="x")
    assert diff_rules([a, a2], [a2, a]) == []
    a3 = RuleView("forbid", "us", "jurisdiction", "c3", topic="x")
    assert [(c.status, c.old, c.new) for c in diff_rules([a, a2], [a3, a])] == [("changed", a2, a3)]
    assert [c.status for c in diff_rules([a, a2], [a])] == ["removed"]


def test_long_patterns_are_shortened_in_terminal_and_stat_only(locks) -> None:
    from dataclasses import replace

    from policystack.diff.rules import RuleChange, shorten

    diff = _diff(locks)
    long_a = RuleView("forbid", "xx", "jurisdiction", "c", pattern="(?:^|(?<=[.!?]))" * 6 + "a")
    long_b = replace(long_a, pattern="(?:^|(?<=[.!?]))" * 6 + "b")
    diff = replace(diff, rules=(RuleChange(long_a.key, "added", None, long_a),
                                RuleChange(long_b.key, "added", None, long_b)))
    short_a, short_b = shorten(long_a.key), shorten(long_b.key)
    assert len(short_a) == 60 and short_a != short_b and "…#" in short_a
    assert shorten(short_a) == short_a  # short enough: kept
    stat = render_stat(diff)
    assert short_a in stat and short_b in stat and long_a.key not in stat
    assert short_a in render_terminal(diff, color=False)
    assert long_a.key in render_unified(diff) and long_a.key in json.dumps(diff_data(diff))


def test_docx_side_does_not_report_rules_as_removed(tmp_path: Path) -> None:
    root = tiny_project(tmp_path / "p", {"xx": XX_V2})
    p = pipeline(root)
    if "docx" not in p.renderers:
        pytest.skip("no docx renderer registered")
    from policystack.lock import policy_lock

    policy = p.resolve(target())
    assert len(policy.rules) == 2
    docx = tmp_path / "built.docx"
    docx.write_bytes(p.render(policy, ["docx"])["docx"])
    lock = tmp_path / "built.json"
    lock.write_text(policy_lock(policy, root=root), encoding="utf-8")
    for old, new, side in ((lock, docx, "NEW"), (docx, lock, "OLD")):
        result = cli("diff", "-f", "json", str(old), str(new))
        data = json.loads(result.output)
        assert result.exit_code == 0, data["rules"]
        assert data["rules"]["compared"] is False and data["rules"]["changes"] == []
        assert data["rules"]["note"].startswith(f"rules not compared: {side} ({docx}) is a DOCX")
        assert data["old" if side == "OLD" else "new"]["rules"] is None
        for fmt in ("terminal", "stat", "unified", "html"):
            result = cli("diff", "-f", fmt, "--color", "never", str(old), str(new))
            assert result.exit_code == 0 and "rules not compared" in result.output, fmt
            assert "rule removed" not in result.output and "rule added" not in result.output
        assert cli("diff", "--color", "never", str(old), str(new)).output.splitlines()[-1] == "no changes"


def test_lock_without_rules_is_unknown_and_malformed_rules_exit_2(tmp_path: Path) -> None:
    root = tiny_project(tmp_path / "p", {"xx": XX_V2})
    data = lock_of(root)
    full = tmp_path / "full.json"
    full.write_text(json.dumps(data), encoding="utf-8")
    del data["rules"]
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps(data), encoding="utf-8")
    result = cli("diff", "-f", "json", str(bare), str(full))
    out = json.loads(result.output)
    assert result.exit_code == 0 and out["rules"]["compared"] is False
    assert "a policy lock without rules" in out["rules"]["note"]
    data["rules"] = ["not a rule"]
    bare.write_text(json.dumps(data), encoding="utf-8")
    result = CliRunnerErr().invoke(["diff", str(bare), str(full)])
    assert result.exit_code == 2 and "malformed" in result.stderr


def test_rules_of_composed_targets(tmp_path: Path) -> None:
    """Targets built on the fly (here: the old release of the layer in another folder) carry their rules."""
    from test_diff_helpers import write_target

    old_root = tiny_project(tmp_path / "v1", {"xx": XX_V1})
    new_root = tiny_project(tmp_path / "v2", {"xx": XX_V2})
    clinic = write_target(new_root / "c1.yaml")
    result = cli("--root", str(new_root), "diff", "-f", "json", "--old-root", str(old_root), str(clinic))
    data = json.loads(result.output)
    assert result.exit_code == 1
    assert [(r["key"], r["status"]) for r in data["rules"]["changes"]] == [
        ("xx/require/topic:emergency", "changed"), ("xx/forbid/pattern:(5|five)-star", "added"),
        ("xx/forbid/topic:testimonials", "removed")]
    assert cli("--root", str(new_root), "diff", "--old-root", str(new_root), str(clinic)).exit_code == 0

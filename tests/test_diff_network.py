"""Git revisions, the network impact report, and stale overrides."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from policystack.diff import diff_views
from policystack.diff.network import impact, read_targets
from policystack.diff.sources import pipeline_at
from policystack.diff.views import view_from_policy
from policystack.stale import find_stale, stale_findings, all_layers
from test_diff import ORG
from test_diff_helpers import REPO, cli, commit_all, git, pipeline, target, tiny_project, write_target

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository holding the tiny project at tag v1, with an edited base clause at v2."""
    root = tiny_project(tmp_path / "repo" / "project")
    write_target(root / "c1.yaml")
    git(tmp_path / "repo", "init", "-q")
    commit_all(tmp_path / "repo", "v1", "v1")
    _edit(root / "policies/tiny/clauses/friending.md", "We do not accept", "We never accept")
    commit_all(tmp_path / "repo", "v2", "v2")
    return root


def test_rev_range_builds_both_revisions_without_touching_the_work_tree(repo: Path) -> None:
    _edit(repo / "policies/tiny/clauses/reviews.md", "We never ask", "We do not ask")  # uncommitted
    before = git(repo, "status", "--porcelain")
    result = cli("--root", str(repo), "diff", "-f", "json", "--rev", "v1..v2", str(repo / "c1.yaml"))
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    assert [(c["id"], c["changes"]) for c in data["clauses"] if c["status"] != "unchanged"] == [
        ("friending", ["body"])]
    assert data["old"]["source"].endswith("@v1") and data["new"]["source"].endswith("@v2")
    assert git(repo, "status", "--porcelain") == before
    # one revision: against the work tree, which has the uncommitted edit
    result = cli("--root", str(repo), "diff", "--stat", "--rev", "v2", str(repo / "c1.yaml"))
    assert result.exit_code == 1 and "reviews" in result.output and "friending" not in result.output
    assert cli("--root", str(repo), "diff", "--rev", "v2..v2", str(repo / "c1.yaml")).exit_code == 0


def test_unknown_revision_exits_2(repo: Path) -> None:
    from test_diff import CliRunnerErr

    result = CliRunnerErr().invoke(["--root", str(repo), "diff", "--rev", "nope..v2", str(repo / "c1.yaml")])
    assert result.exit_code == 2 and "unknown git revision 'nope'" in result.stderr


# ------------------------------------------------------------------ the example network

@pytest.fixture
def network(tmp_path: Path) -> Path:
    """The repository's example network (policy, layers, plugins, roster) in a git repo; v2 edits one base clause."""
    root = tmp_path / "net"
    root.mkdir()
    for name in ("policies", "jurisdictions", "professions", "examples", "plugins"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "policystack.yaml", root / "policystack.yaml")
    git(root, "init", "-q")
    commit_all(root, "v1", "v1")
    clause = root / "policies/social-media/clauses/friend-requests.md"
    text = clause.read_text(encoding="utf-8")
    head, _, body = text.partition("\n---\n")
    clause.write_text(head + "\n---\n" + body.replace(" ", " really ", 1), encoding="utf-8")
    commit_all(root, "v2", "v2")
    return root


def test_network_report_matches_building_each_clinic(network: Path, tmp_path: Path) -> None:
    from policystack.diff.gitrev import export

    roster = network / "examples/harbor-network/roster.csv"
    result = cli("--root", str(network), "diff", "-f", "json", "--roster", str(roster), "--rev", "v1..v2")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["sources"] == [{"clause": "friend-requests", "layer": "base"}]
    old = pipeline_at(export(network, "v1", tmp_path / "x1"))
    new = pipeline_at(export(network, "v2", tmp_path / "x2"))
    clinics = {c["id"]: c for c in report["clinics"]}
    targets = read_targets(roster)
    assert len(clinics) == len(targets) > 1
    for clinic in targets:  # the independent check: build this clinic at both revisions and diff
        a, b = old.resolve(clinic), new.resolve(clinic)
        diff = diff_views(view_from_policy(a, source="a"), view_from_policy(b, source="b"))
        assert set(clinics[clinic.id]["changes"]) == {c.id for c in diff.changed_clauses()}, clinic.id
        final = b.clause("friend-requests")
        overridden = final is None or any(s.op in ("replace", "remove") for s in final.provenance[1:])
        assert ("friend-requests" in clinics[clinic.id]["shielded"]) == (
            overridden and "friend-requests" not in clinics[clinic.id]["changes"]), clinic.id
    row = report["clauses"]["friend-requests"]
    assert len(row["affected"]) + len(row["shielded"]) <= len(targets)
    assert len(row["affected"]) >= 1
    text = cli("--root", str(network), "diff", "--roster", str(roster), "--rev", "v1..v2").output
    assert "friend-requests" in text and "clinics affected" in text
    page = cli("--root", str(network), "diff", "-f", "html", "--roster", str(roster), "--rev", "v1..v2").output
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page


def test_network_shielded_by_own_override(tmp_path: Path) -> None:
    root = tiny_project(tmp_path / "p", {"org": ORG.format(ops="""
  - op: replace
    clause: friending
    body: Our own words on friend requests.
""")})
    old = pipeline(root)
    assert old.base and old.catalogue  # read now, before the edit
    _edit(root / "policies/tiny/clauses/friending.md", "We do not accept", "We never accept")
    new = pipeline(root)
    clinics = [target(id="plain"), target(id="plain-2", name="Second"), target(id="own", organization="org")]
    report = impact(old, new, clinics)
    by_id = {c.id: c for c in report.clinics}
    assert by_id["plain"].changes == {"friending": "changed"} == by_id["plain-2"].changes
    assert by_id["own"].changes == {} and by_id["own"].shielded == {"friending": ["org"]}
    assert report.groups == 2  # the two plain clinics share one composition


# ------------------------------------------------------------------ stale overrides

def test_stale_override_detected_after_a_base_edit(tmp_path: Path) -> None:
    root = tiny_project(tmp_path / "p", {"org": ORG.format(ops="""
  - op: replace
    clause: friending
    body: Our own words on friend requests.
    reason: house style
  - op: amend
    clause: reviews
    append: We answer every review politely.
""")})
    clinic = write_target(root / "c1.yaml", organization="org")
    layer_file = root / "layers/org.yaml"
    result = cli("--root", str(root), "stamp", str(layer_file), str(clinic))
    assert result.exit_code == 0, result.output
    text = layer_file.read_text(encoding="utf-8")
    assert text.count("written_against:") == 2 and "reason: house style" in text
    p = pipeline(root)
    policy = p.resolve(p.load_target(clinic))
    assert find_stale(policy, all_layers(p, policy.target)) == []
    assert cli("--root", str(root), "stamp", str(layer_file), str(clinic)).exit_code == 0  # idempotent
    assert layer_file.read_text(encoding="utf-8") == text

    _edit(root / "policies/tiny/clauses/friending.md", "We do not accept", "We never accept")
    p = pipeline(root)
    policy = p.resolve(p.load_target(clinic))
    (item,) = find_stale(policy, all_layers(p, policy.target), root=root)
    assert (item.clause, item.layer, item.op) == ("friending", "org", "replace")
    findings = stale_findings(p, policy)
    assert [f.code for f in findings] == ["stale-override"]
    assert "[-do not-] {+never+}" in findings[0].message or "[-do not-]{+never+}" in findings[0].message


def test_diff_flags_overrides_whose_upstream_changed(repo: Path) -> None:
    from test_diff_helpers import write

    write(repo / "layers/org.yaml", ORG.format(ops="""
  - op: replace
    clause: friending
    body: Our own words on friend requests.
"""))
    write_target(repo / "c1.yaml", organization="org")
    commit_all(repo.parent, "org", "v3")
    _edit(repo / "policies/tiny/clauses/friending.md", "We never accept", "We refuse")
    commit_all(repo.parent, "base edit", "v4")
    result = cli("--root", str(repo), "diff", "-f", "json", "--rev", "v3..v4", str(repo / "c1.yaml"))
    data = json.loads(result.output)
    assert result.exit_code == 1  # the final text did not change, but the override needs review
    assert [c for c in data["clauses"] if c["status"] != "unchanged"] == []
    (stale,) = data["stale"]
    assert (stale["clause"], stale["layer"]) == ("friending", "org")
    assert ["-", "never accept"] in stale["words"] and ["+", "refuse"] in stale["words"]
    terminal = cli("--root", str(repo), "diff", "--color", "never", "--rev", "v3..v4", str(repo / "c1.yaml")).output
    assert "stale override" in terminal


def test_locks_flag_overrides_whose_upstream_changed(tmp_path: Path) -> None:
    from test_diff_helpers import lock_of

    root = tiny_project(tmp_path / "p", {"org": ORG.format(ops="""
  - op: replace
    clause: friending
    body: Our own words on friend requests.
""")})
    old = tmp_path / "old.json"
    old.write_text(json.dumps(lock_of(root, organization="org")), encoding="utf-8")
    _edit(root / "policies/tiny/clauses/friending.md", "We do not accept", "We never accept")
    new = tmp_path / "new.json"
    new.write_text(json.dumps(lock_of(root, organization="org")), encoding="utf-8")
    result = cli("diff", "-f", "json", str(old), str(new))
    data = json.loads(result.output)
    assert result.exit_code == 1 and data["changed"] is False
    assert [(s["clause"], s["layer"], s["op"]) for s in data["stale"]] == [("friending", "org", "replace")]


def test_old_root_compares_two_project_folders(tmp_path: Path) -> None:
    old_root = tiny_project(tmp_path / "v1")
    new_root = tiny_project(tmp_path / "v2")
    _edit(new_root / "policies/tiny/clauses/reviews.md", "We never ask", "We do not ask")
    clinic = write_target(new_root / "c1.yaml")
    result = cli("--root", str(new_root), "diff", "--stat", "--old-root", str(old_root), str(clinic))
    assert result.exit_code == 1 and "reviews" in result.output
    clinics = new_root / "clinics"
    clinics.mkdir()
    write_target(clinics / "a.yaml", id="a")
    write_target(clinics / "b.yaml", id="b", name="Bee")
    result = cli("--root", str(new_root), "diff", "-f", "json", "--old-root", str(old_root), "--roster", str(clinics))
    report = json.loads(result.output)
    assert result.exit_code == 1
    assert report["clauses"] == {"reviews": {"affected": ["a", "b"], "shielded": []}}
    assert report["summary"]["compositions"] == 1


# ------------------------------------------------------------------ the roster at each revision

ROSTER_HEAD = "id,name,phone,email,jurisdictions,profession,organization\n"
PROFESSION = """
layer: {id: pp, kind: profession, name: Practitioners, version: "1.0", professions: [pp]}
operations:
  - op: set
    values: {profession.title: practitioner}
"""


def _row(clinic: str, organization: str = "") -> str:
    return f"{clinic},Clinic {clinic.upper()},+1 555 0100,{clinic}@clinic.example,xx,pp,{organization}\n"


@pytest.fixture
def roster_repo(tmp_path: Path) -> Path:
    """The tiny project with a roster: v1 has clinics a, b, c; v2 edits a base clause, removes c, adds d,
    and moves b into the 'org' organization (which has its own friending clause)."""
    root = tiny_project(tmp_path / "repo" / "project", {"org": ORG.format(ops="""
  - op: replace
    clause: friending
    body: Our own words on friend requests.
"""), "pp": PROFESSION})
    (root / "roster.csv").write_text(ROSTER_HEAD + _row("a") + _row("b") + _row("c"), encoding="utf-8")
    git(tmp_path / "repo", "init", "-q")
    commit_all(tmp_path / "repo", "v1", "v1")
    _edit(root / "policies/tiny/clauses/reviews.md", "We never ask", "We do not ask")
    (root / "roster.csv").write_text(ROSTER_HEAD + _row("d") + _row("a") + _row("b", "org"), encoding="utf-8")
    commit_all(tmp_path / "repo", "v2", "v2")
    return root


def test_network_roster_read_at_each_revision(roster_repo: Path, tmp_path: Path) -> None:
    from policystack.diff.gitrev import export

    roster = roster_repo / "roster.csv"
    result = cli("--root", str(roster_repo), "diff", "-f", "json", "--roster", str(roster), "--rev", "v1..v2")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    clinics = {c["id"]: c for c in report["clinics"]}
    assert [c["id"] for c in report["clinics"]] == ["d", "a", "b", "c"]  # NEW's order, then the removed
    assert {k: c["status"] for k, c in clinics.items()} == {"a": "kept", "b": "kept", "c": "removed", "d": "new"}
    assert report["summary"] | {"compositions": 0} == {"clinics": 4, "affected": 2, "shielded": 0, "new": 1,
                                                        "removed": 1, "errors": 0, "compositions": 0}
    # the independent check: each clinic built from its own roster row at each revision
    old_root, new_root = export(roster_repo, "v1", tmp_path / "x1"), export(roster_repo, "v2", tmp_path / "x2")
    old, new = pipeline_at(old_root), pipeline_at(new_root)
    old_rows = {t.id: t for t in read_targets(old_root / "roster.csv")}
    new_rows = {t.id: t for t in read_targets(new_root / "roster.csv")}
    for clinic in ("a", "b"):
        diff = diff_views(view_from_policy(old.resolve(old_rows[clinic]), source="a"),
                          view_from_policy(new.resolve(new_rows[clinic]), source="b"))
        assert clinics[clinic]["changes"] == {c.id: c.status for c in diff.changed_clauses()}, clinic
    assert clinics["b"]["changes"] == {"friending": "changed", "reviews": "changed"}  # b joined 'org' too
    d_clauses = [c.id for c in new.resolve(new_rows["d"]).clauses()]
    assert clinics["d"]["changes"] == {cid: "added" for cid in sorted(d_clauses)}
    c_clauses = [c.id for c in old.resolve(old_rows["c"]).clauses()]
    assert clinics["c"]["changes"] == {cid: "removed" for cid in sorted(c_clauses)}
    # the per-clause table counts the clinics present at both revisions only
    assert report["clauses"] == {"friending": {"affected": ["b"], "shielded": []},
                                 "reviews": {"affected": ["a", "b"], "shielded": []}}
    assert report["notes"] == ["roster project/roster.csv read at v1 and at v2"]
    text = cli("--root", str(roster_repo), "diff", "--roster", str(roster), "--rev", "v1..v2").output
    assert "  d: new clinic (6 clauses added)\n" in text and "  c: removed clinic (6 clauses removed)\n" in text
    assert "new clinics: d\nremoved clinics: c\n" in text
    assert text.endswith("2 of 2 clinics affected, 0 shielded only, 1 new, 1 removed, 0 error(s)\n")
    stat = cli("--root", str(roster_repo), "diff", "--stat", "--roster", str(roster), "--rev", "v1..v2").output
    assert "new clinics: d" in stat and "new clinic (" not in stat
    page = cli("--root", str(roster_repo), "diff", "-f", "html", "--roster", str(roster), "--rev", "v1..v2").output
    assert '<li class="new"><strong>Clinic D</strong> (<code>d</code>): <ins>new clinic (6 clauses added)</ins>' in page
    assert '<li class="removed"><strong>Clinic C</strong>' in page and "removed clinic (6 clauses removed)" in page
    # the roster only changes: still a change (exit 1); no change at all: exit 0
    assert cli("--root", str(roster_repo), "diff", "--roster", str(roster), "--rev", "v2..v2").exit_code == 0


def test_network_roster_against_work_tree_and_outside_the_repo(roster_repo: Path, tmp_path: Path) -> None:
    roster = roster_repo / "roster.csv"
    roster.write_text(ROSTER_HEAD + _row("a") + _row("e"), encoding="utf-8")  # uncommitted: b, d gone, e new
    data = json.loads(cli("--root", str(roster_repo), "diff", "-f", "json", "--roster", str(roster),
                          "--rev", "v2").output)
    assert {c["id"]: c["status"] for c in data["clinics"]} == {"a": "kept", "e": "new", "d": "removed",
                                                               "b": "removed"}
    assert data["clinics"][0]["changes"] == {}  # a: same base, same row
    # a roster outside the repository is read once, from disk, for both revisions (the former behaviour)
    outside = tmp_path / "elsewhere" / "roster.csv"
    outside.parent.mkdir()
    outside.write_text(ROSTER_HEAD + _row("a") + _row("b", "org"), encoding="utf-8")
    result = cli("--root", str(roster_repo), "diff", "-f", "json", "--roster", str(outside), "--rev", "v1..v2")
    data = json.loads(result.output)
    assert result.exit_code == 1
    assert {c["id"]: (c["status"], c["changes"]) for c in data["clinics"]} == {
        "a": ("kept", {"reviews": "changed"}), "b": ("kept", {"reviews": "changed"})}  # b in 'org' at both
    assert "outside the repository" in data["notes"][0]
    # inside the repository but never committed: also read once from disk
    untracked = roster_repo / "new-roster.csv"
    untracked.write_text(ROSTER_HEAD + _row("a"), encoding="utf-8")
    data = json.loads(cli("--root", str(roster_repo), "diff", "-f", "json", "--roster", str(untracked),
                          "--rev", "v1..v2").output)
    assert [c["status"] for c in data["clinics"]] == ["kept"] and "not in git at v1 or v2" in data["notes"][0]
    # a roster git knows at one revision only: no clinics at the other
    late = roster_repo / "late.csv"
    late.write_text(ROSTER_HEAD + _row("f"), encoding="utf-8")
    commit_all(roster_repo.parent, "late roster", "v3")
    result = cli("--root", str(roster_repo), "diff", "-f", "json", "--roster", str(late), "--rev", "v2..v3")
    data = json.loads(result.output)
    assert result.exit_code == 1 and [(c["id"], c["status"]) for c in data["clinics"]] == [("f", "new")]
    assert data["notes"][1] == "roster project/late.csv does not exist at v2: no clinics there"

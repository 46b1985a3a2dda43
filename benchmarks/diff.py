"""Network-impact benchmark: diff two versions of the project across a synthetic 1,000-clinic roster.

The repository's policy, layers and plugins are copied into a temporary git repository
(tag v1); v2 edits one base clause and one jurisdiction layer. Each run does what
``policystack diff --roster ROSTER --rev v1..v2`` does: export both revisions, read the
roster, compose once per distinct layer stack, and report every clinic. The median
wall time of the runs is printed; ``--naive`` also times composing and diffing every
clinic separately, for comparison.

    python benchmarks/diff.py [--clinics 1000] [--runs 5] [--naive]
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from policystack.diff import diff_views  # noqa: E402
from policystack.diff.network import impact_at_revisions, read_targets  # noqa: E402
from policystack.diff.views import view_from_policy  # noqa: E402
from policystack.pipeline import Pipeline  # noqa: E402
from policystack.project import load_project  # noqa: E402


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.org", "-c",
                    "commit.gpgsign=false", *args], cwd=repo, check=True, capture_output=True)


def make_repo(work: Path) -> Path:
    """The project at v1, then v2 with one base clause and one jurisdiction edited."""
    repo = work / "repo"
    repo.mkdir()
    for name in ("policies", "jurisdictions", "professions", "examples", "plugins"):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "policystack.yaml", repo / "policystack.yaml")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "v1")
    git(repo, "tag", "v1")
    clause = repo / "policies/social-media/clauses/friend-requests.md"
    head, _, body = clause.read_text(encoding="utf-8").partition("\n---\n")
    clause.write_text(head + "\n---\n" + body.replace(" ", " really ", 1), encoding="utf-8")
    layers = sorted((repo / "jurisdictions").rglob("*.yaml"))
    for layer in layers:  # the first block-style amend of a jurisdiction: reword its first line
        lines = layer.read_text(encoding="utf-8").split("\n")
        at = next((i for i, line in enumerate(lines) if re.match(r"^\s+append:\s*[|>]", line)), None)
        if at is not None and at + 1 < len(lines):
            indent = len(lines[at + 1]) - len(lines[at + 1].lstrip())
            lines[at + 1] = lines[at + 1][:indent] + "Please note: " + lines[at + 1][indent:]
            layer.write_text("\n".join(lines), encoding="utf-8")
            break
    git(repo, "commit", "-q", "-am", "v2")
    git(repo, "tag", "v2")
    return repo


def make_roster(repo: Path, clinics: int, seed: int = 7) -> Path:
    """A CSV roster of ``clinics`` clinics spread over the jurisdictions, professions and organizations."""
    pipeline = Pipeline(load_project(repo))
    catalogue = pipeline.catalogue
    places = []
    for layer in catalogue.of_kind("jurisdiction"):
        places.append(";".join(l.id for l in catalogue.lineage(layer.id)))
    professions = sorted({p for l in catalogue.of_kind("profession") for p in l.professions}) or ["psychologist"]
    organizations = [l.id for l in catalogue.of_kind("organization")] + [""]
    rng = random.Random(seed)
    path = repo.parent / "roster.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "address", "phone", "email", "jurisdictions", "profession", "organization",
                         "telehealth", "clinic.email_response_days"])
        for number in range(clinics):
            writer.writerow([f"clinic-{number:04d}", f"Clinic {number}", f"{number} Main Street",
                             f"+1 555 {number:04d}", f"clinic{number}@example.org", rng.choice(places),
                             rng.choice(professions), rng.choice(organizations), rng.choice(["true", ""]),
                             rng.choice(["", "1", "3"])])
    return path


def naive(repo: Path, roster: Path, work: Path) -> float:
    """Compose and diff every clinic at both revisions, one by one (what the grouping avoids)."""
    from policystack.diff.gitrev import export
    from policystack.diff.sources import pipeline_at

    start = time.perf_counter()
    old = pipeline_at(export(repo, "v1", work / "n1"))
    new = pipeline_at(export(repo, "v2", work / "n2"))
    for clinic in read_targets(roster):
        diff_views(view_from_policy(old.resolve(clinic), source="a"), view_from_policy(new.resolve(clinic), source="b"))
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clinics", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--naive", action="store_true", help="also time diffing every clinic separately")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="policystack-bench-") as tmp:
        work = Path(tmp)
        repo = make_repo(work)
        roster = make_roster(repo, args.clinics)
        live = Pipeline(load_project(repo))
        times = []
        report = None
        for run in range(args.runs):
            start = time.perf_counter()
            report = impact_at_revisions(live, read_targets(roster), "v1", "v2", work / f"run{run}")
            times.append(time.perf_counter() - start)
        assert report is not None
        affected = sum(1 for c in report.clinics if c.changes)
        shielded = sum(1 for c in report.clinics if c.shielded)
        print(f"clinics: {len(report.clinics)}, compositions per version: {report.groups}, "
              f"affected: {affected}, with shielded clauses: {shielded}, errors: {len(report.errors)}")
        print(f"network impact v1..v2: median {statistics.median(times):.2f} s over {args.runs} runs "
              f"(min {min(times):.2f} s, max {max(times):.2f} s)")
        if args.naive:
            print(f"naive (every clinic composed and diffed): {naive(repo, roster, work):.2f} s (1 run)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

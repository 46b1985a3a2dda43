"""Benchmark ``policystack batch``: clinics per second, wall time and peak memory for N = 100 and 1,000,
and the ratio against the naive route (one pandoc subprocess per document per format), measured in the same run.

    python benchmarks/batch.py                       # N = 100 and 1000, docx,pdf,html (or what exists)
    python benchmarks/batch.py --sizes 100 --jobs 2 --naive-sample 24

Each measurement runs in a fresh Python process, so peak memory (max RSS) is that
run's own: the parent (planning, manifest) and the largest worker. The naive
route is measured on a sample of clinics with the same number of processes and
extrapolated per clinic to N; the output says so.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WANTED = ["docx", "pdf", "html"]
NAMES = ["Harbor Counseling", "Lakeside Therapy", "Northside Wellbeing", "Centre de thérapie Sainte-Anne",
         "東京カウンセリング", "Evergreen Family Therapy & Counseling, LLC"]


def pipeline(root: Path):
    sys.path.insert(0, str(REPO / "src"))
    from policystack.pipeline import Pipeline
    from policystack.project import load_project

    return Pipeline(load_project(root))


def synthetic_roster(path: Path, n: int, root: Path) -> None:
    """``n`` clinics spread over every jurisdiction (narrowest codes) and profession of the project."""
    catalogue = pipeline(root).catalogue
    jurisdictions = [layer for layer in catalogue.of_kind("jurisdiction")]
    parents = {layer.parent for layer in jurisdictions if layer.parent}
    leaves = sorted(layer.id for layer in jurisdictions if layer.id not in parents)
    professions = sorted({p for layer in catalogue.of_kind("profession") for p in layer.professions})
    organizations = [layer.id for layer in catalogue.of_kind("organization")]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "address", "phone", "email", "jurisdictions", "profession", "organization",
                         "telehealth"])
        for i in range(n):
            writer.writerow([f"clinic-{i:05d}", f"{NAMES[i % len(NAMES)]} {i}", f"{i} Main Street, Suite {i % 40}",
                             f"+1 555 {i % 1000:03d} {i % 10000:04d}", f"clinic{i}@example.org",
                             leaves[i % len(leaves)], professions[(i // len(leaves)) % len(professions)],
                             organizations[0] if organizations and i % 2 else "",
                             "true" if i % 3 == 0 else ""])


def peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux: kilobytes


def child_batch(root: Path, n: int, formats: list[str], jobs: int) -> dict:
    """One batch run of ``n`` clinics into a fresh folder, then a no-op rerun (both in this process)."""
    from policystack.batch import run_batch
    from policystack.roster import read_roster

    work = Path(tempfile.mkdtemp(prefix="ps-bench-"))
    try:
        synthetic_roster(work / "roster.csv", n, root)
        started = time.perf_counter()
        pipe = pipeline(root)
        targets = read_roster(work / "roster.csv", pipe.catalogue)
        report = run_batch(pipe, targets, work / "out", formats, jobs=jobs, progress=False)
        seconds = time.perf_counter() - started
        assert not report.failed, report.failed[:3]
        rerun_started = time.perf_counter()
        again = run_batch(pipeline(root), targets, work / "out", formats, jobs=jobs, progress=False)
        rerun = time.perf_counter() - rerun_started
        assert not again.built
        size = sum(p.stat().st_size for p in (work / "out").rglob("*") if p.is_file())
        return {"n": n, "seconds": seconds, "built": len(report.built), "rerun_seconds": rerun,
                "parent_mb": peak_mb(resource.RUSAGE_SELF), "worker_mb": peak_mb(resource.RUSAGE_CHILDREN),
                "output_mb": size / 1e6, "manifest_kb": (work / "out" / "manifest.json").stat().st_size / 1024}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _naive_one(args: tuple[str, dict, list[str]]) -> float:
    """The naive route for one clinic: build Markdown, then one pandoc subprocess per format (+ typst for PDF)."""
    root, row, formats = args
    from policystack.layer_files import target_from_data
    from policystack.markup import pandoc_path

    started = time.perf_counter()
    pipe = _NAIVE.setdefault(root, pipeline(Path(root)))
    _, _, outputs = pipe.build(target_from_data(row, file="roster.csv"), ["md"])
    source = outputs["md"]
    pandoc = pandoc_path()
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in formats:
            if fmt == "pdf":
                typ = subprocess.run([pandoc, "-f", "markdown", "-t", "typst", "--standalone"], input=source,
                                     capture_output=True, check=True).stdout
                import typst

                Path(tmp, "doc.typ").write_bytes(typ)
                typst.compile(str(Path(tmp, "doc.typ")), output=str(Path(tmp, "doc.pdf")))
            else:
                subprocess.run([pandoc, "-f", "markdown", "-t", fmt, "--standalone", "-o",
                                str(Path(tmp, f"doc.{fmt}"))], input=source, capture_output=True, check=True)
    return time.perf_counter() - started


_NAIVE: dict = {}


def child_naive(root: Path, sample: int, formats: list[str], jobs: int) -> dict:
    """Wall time of the naive route over ``sample`` clinics with ``jobs`` processes."""
    from concurrent.futures import ProcessPoolExecutor

    work = Path(tempfile.mkdtemp(prefix="ps-naive-"))
    try:
        synthetic_roster(work / "roster.csv", sample, root)
        with open(work / "roster.csv", encoding="utf-8") as handle:
            rows = []
            for row in csv.DictReader(handle):
                data = {k: v for k, v in row.items() if v and k != "telehealth"}
                if row["telehealth"]:
                    data["variables"] = {"telehealth": True}
                rows.append(data)
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            # warm every worker first (project read, bodies parsed): only the per-clinic route is timed
            list(pool.map(_naive_one, [(str(root), row, formats) for row in rows[:jobs * 2]]))
            started = time.perf_counter()
            list(pool.map(_naive_one, [(str(root), row, formats) for row in rows]))
            seconds = time.perf_counter() - started
        return {"sample": sample, "seconds": seconds, "per_clinic": seconds / sample}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_child(*args: str) -> dict:
    completed = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True,
                               env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    if completed.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=REPO, help="project folder (default: this repository)")
    parser.add_argument("--sizes", default="100,1000", help="clinic counts (default: 100,1000)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--formats", default=None, help="default: docx,pdf,html (those that exist), else md,json")
    parser.add_argument("--naive-sample", type=int, default=24, help="clinics for the naive route (default 24)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, root, count, formats, jobs = args.child
        run = child_batch if kind == "batch" else child_naive
        print(json.dumps(run(Path(root), int(count), formats.split(","), int(jobs))))
        return
    available = pipeline(args.root).renderers
    formats = args.formats.split(",") if args.formats else [f for f in WANTED if f in available] or ["md", "json"]
    print(f"policystack batch benchmark: formats {','.join(formats)}, {args.jobs} jobs, {os.cpu_count()} cores, "
          f"project {args.root}")
    naive = run_child("naive", str(args.root), str(args.naive_sample), ",".join(formats), str(args.jobs))
    print(f"naive route (pandoc subprocess per document per format{', then typst' if 'pdf' in formats else ''}): "
          f"measured on a sample of {naive['sample']} clinics with {args.jobs} processes: {naive['seconds']:.1f}s, "
          f"{naive['per_clinic'] * 1000:.0f} ms per clinic (workers warmed first); extrapolated per clinic to N below")
    header = (f"{'N':>6} {'wall s':>8} {'clinics/s':>10} {'no-op rerun s':>14} {'parent MB':>10} {'worker MB':>10} "
              f"{'manifest KB':>12} {'naive s (est.)':>15} {'speed-up':>9}")
    print(header)
    for n in (int(s) for s in args.sizes.split(",")):
        result = run_child("batch", str(args.root), str(n), ",".join(formats), str(args.jobs))
        estimate = naive["per_clinic"] * n
        print(f"{n:>6} {result['seconds']:>8.1f} {n / result['seconds']:>10.1f} {result['rerun_seconds']:>14.2f} "
              f"{result['parent_mb']:>10.0f} {result['worker_mb']:>10.0f} {result['manifest_kb']:>12.0f} "
              f"{estimate:>15.1f} {estimate / result['seconds']:>8.1f}x", flush=True)
    print("wall s includes reading the project and roster, planning and writing every file and the manifest; "
          "peak memory is max RSS of the batch process and of its largest worker.")


if __name__ == "__main__":
    main()

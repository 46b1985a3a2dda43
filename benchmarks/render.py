"""Render-speed benchmark: policystack's in-process renderers against the naive route.

Naive route: one pandoc subprocess per document per format (Markdown → DOCX, → standalone
HTML, → typst, the last compiled to PDF by the typst package), as a script calling pandoc
would do. Both routes render the same example policy in the same run; each of our runs
renders a clinic with a different name, so nothing is served from a cache of identical input. Times are medians
per document; "CPU" is this process's CPU time plus that of its child processes.

    python benchmarks/render.py [--runs 15] [--clinic examples/harbor-network/clinics/oakland.yaml]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
FORMATS = ("docx", "pdf", "html")


def cpu() -> float:
    """CPU seconds of this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(action: Callable[[int], object], runs: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``action(i)`` for i in 1..runs, after a warm-up call ``action(0)``."""
    action(0)
    walls, cpus = [], []
    for index in range(1, runs + 1):
        wall, used = time.perf_counter(), cpu()
        action(index)
        walls.append(time.perf_counter() - wall)
        cpus.append(cpu() - used)
    return statistics.median(walls), statistics.median(cpus)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--clinic", default=str(ROOT / "examples/harbor-network/clinics/oakland.yaml"))
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "src"))
    import typst

    from policystack.content import lookup_for, parse_policy
    from policystack.markup import pandoc_path
    from policystack.pipeline import Pipeline
    from policystack.project import find_project
    from policystack.render import RenderContext

    pipeline = Pipeline(find_project(root=ROOT))
    target = pipeline.load_target(args.clinic)
    # A distinct clinic name per run, so no renderer can reuse a previous identical document.
    documents = []
    for index in range(args.runs + 1):
        variant = pipeline.resolve(replace(target, name=f"{target.name} {index:03d}"))
        documents.append((variant, RenderContext(contents=parse_policy(variant), lookup=lookup_for(variant),
                                                 root=ROOT)))
    policy, context = documents[0]
    markdown = pipeline.renderers["md"].render(policy, context)
    pandoc = pandoc_path()
    work = Path(tempfile.mkdtemp(prefix="policystack-bench-"))

    def naive(fmt: str) -> Callable[[], object]:
        def run(index: int) -> object:
            if fmt == "pdf":
                source = work / "policy.typ"
                subprocess.run([pandoc, "-f", "markdown", "-t", "typst", "-s", "-o", str(source)],
                               input=markdown, check=True)
                return typst.compile(str(source), format="pdf")
            extra = ["-s", "--embed-resources", "--metadata", f"title={policy.meta.title}"] if fmt == "html" else []
            return subprocess.run([pandoc, "-f", "markdown", "-t", fmt, *extra, "-o", str(work / f"out.{fmt}")],
                                  input=markdown, check=True)
        return run

    ours: dict[str, tuple[float, float]] = {}
    theirs: dict[str, tuple[float, float]] = {}
    for fmt in FORMATS:
        renderer = pipeline.renderers[fmt]
        ours[fmt] = measure(lambda i, r=renderer: r.render(*documents[i]), args.runs)
        theirs[fmt] = measure(naive(fmt), max(3, args.runs // 3))
    whole = measure(lambda i: pipeline.render(documents[i][0], FORMATS), args.runs)

    print(f"policy '{policy.meta.id}' for {policy.target.id}: {len(policy.clauses())} clauses; "
          f"median per document over {args.runs} runs (naive: {max(3, args.runs // 3)} runs)")
    print(f"{'format':<8}{'ours wall':>12}{'ours CPU':>12}{'naive wall':>13}{'naive CPU':>12}{'speed-up':>10}")
    for fmt in FORMATS:
        (w, c), (nw, nc) = ours[fmt], theirs[fmt]
        print(f"{fmt:<8}{w * 1000:>10.2f}ms{c * 1000:>10.2f}ms{nw * 1000:>11.2f}ms{nc * 1000:>10.2f}ms"
              f"{nw / w:>9.1f}x")
    total_w = sum(w for w, _ in ours.values())
    total_c = sum(c for _, c in ours.values())
    naive_w = sum(w for w, _ in theirs.values())
    naive_c = sum(c for _, c in theirs.values())
    print(f"{'all 3':<8}{total_w * 1000:>10.2f}ms{total_c * 1000:>10.2f}ms{naive_w * 1000:>11.2f}ms"
          f"{naive_c * 1000:>10.2f}ms{naive_w / total_w:>9.1f}x")
    print(f"pipeline.render(docx, pdf, html) including parsing and lookup set-up: "
          f"{whole[0] * 1000:.2f} ms wall, {whole[1] * 1000:.2f} ms CPU")
    ok = whole[1] < 0.050 and naive_w / total_w >= 5
    print(f"target (< 50 ms CPU for all three, >= 5x faster than naive): {'met' if ok else 'NOT met'}")
    for path in work.iterdir():
        path.unlink()
    os.rmdir(work)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

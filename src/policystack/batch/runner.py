"""Run a batch: plan, dispatch, record, checkpoint the manifest, prune, summarize."""

from __future__ import annotations

import os
import signal
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from .. import __version__
from ..errors import UsageError
from .engine import Engine, Outcome, Task
from .files import clean_staging, remove_output
from .manifest import pending_record, read_manifest, write_manifest
from .plan import plan_task, project_fingerprint
from .progress import Progress

if TYPE_CHECKING:
    from ..model import Target
    from ..pipeline import Pipeline

CHECKPOINT_SECONDS = 2.0  # at least; longer when the manifest is large


@dataclass
class BatchReport:
    """What one run did."""

    total: int = 0
    built: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    not_run: int = 0
    interrupted: bool = False
    stopped: bool = False  # --fail-fast stopped the run
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not (self.failed or self.interrupted or self.stopped)

    def summary(self) -> str:
        rate = (len(self.built) + len(self.unchanged) + len(self.failed)) / self.seconds if self.seconds else 0
        text = (f"{self.total} clinics: {len(self.built)} built, {len(self.unchanged)} unchanged, "
                f"{len(self.failed)} failed")
        if self.not_run:
            text += f", {self.not_run} not built"
        text += f" ({self.seconds:.1f}s, {rate:.1f} clinics/s)"
        if self.total and not self.built and not self.failed and not self.not_run:
            text += "; nothing to do: every clinic is up to date"
        return text


@contextmanager
def _exclusive(out: Path) -> Iterator[None]:
    """One batch at a time per output folder (the lock dies with the process, even on kill -9)."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks here
        yield
        return
    fd = os.open(out, os.O_RDONLY)  # the folder itself is locked: no lock file is left behind
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise UsageError(f"another batch is writing to {out}") from None
    try:
        yield
    finally:
        os.close(fd)


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """Turn SIGTERM into the same clean stop as Ctrl-C (main thread only)."""
    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def header_for(engine: Engine) -> dict[str, Any]:
    """The manifest's run-independent header: tool, policy, formats, renderers, plugins."""
    meta = engine.pipeline.base.meta
    return {"tool": {"name": "policystack", "version": __version__},
            "policy": {"id": meta.id, "title": meta.title, "version": meta.version, "effective": meta.effective},
            "formats": list(engine.formats), "renderers": engine.renderer_info,
            "plugins": [{"name": i.name, "version": i.version}
                        for i in sorted(engine.pipeline.plugins.infos, key=lambda i: i.name) if not i.error]}


def _chunks(tasks: list[Task], size: int) -> Iterator[list[Task]]:
    for start in range(0, len(tasks), size):
        yield tasks[start:start + size]


def make_executor(engine: Engine, out: Path, jobs: int, executor: str | None) -> Any:
    """The executor named by ``--executor`` (``dask://HOST:PORT``) or the local one."""
    if executor:
        from .remote import DaskExecutor

        return DaskExecutor(engine, out, executor)
    if jobs <= 1:
        from .local import SerialExecutor

        return SerialExecutor(engine, out)
    from .local import PoolExecutor

    return PoolExecutor(engine, out, jobs)


def run_batch(pipeline: "Pipeline", targets: list["Target"], out: Path, formats: list[str], *,
              jobs: int | None = None, force: bool = False, fail_fast: bool = False, executor: str | None = None,
              progress: bool = True, options: dict[str, Any] | None = None) -> BatchReport:
    """Build every clinic of ``targets`` into ``out``; see docs/batch.md."""
    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    jobs = jobs or os.cpu_count() or 1
    report = BatchReport(total=len(targets))
    with _exclusive(out), _sigterm_interrupts():
        clean_staging(out)
        engine = Engine(pipeline, formats, options)
        header = header_for(engine)
        previous = read_manifest(out)
        fingerprint = project_fingerprint(engine)
        records: dict[str, dict[str, Any]] = {}
        todo: list[Task] = []
        for target in targets:
            task, skip = plan_task(engine, out, target, fingerprint, previous.get(target.id), force)
            if skip:
                records[target.id] = previous[target.id]
                report.unchanged.append(target.id)
            else:
                records[target.id] = pending_record(previous.get(target.id), target.id, target.name)
                todo.append(task)
        if todo:
            write_manifest(out, header, records.values())
            _warm(engine, todo)
        try:
            _dispatch(engine, out, todo, jobs, executor, fail_fast, progress, report, header, records)
        except KeyboardInterrupt:
            report.interrupted = True
        finally:
            write_manifest(out, header, records.values())
        report.not_run = sum(1 for r in records.values() if r["status"] == "pending")
        if not (report.interrupted or report.stopped):
            _prune(out, previous, records)
        clean_staging(out)
    report.seconds = time.monotonic() - started
    return report


def _warm(engine: Engine, todo: list[Task]) -> None:
    """Compose one clinic per distinct layer stack and parse all their bodies in one pandoc call, here,
    before any worker starts: the workers inherit the result instead of each redoing it."""
    from ..markup import MarkupError, parse_bodies

    seen: set = set()
    bodies: list[tuple[str, str]] = []
    for task in todo:
        try:
            key = engine.pipeline.stack(task.target).key
            if key in seen:
                continue
            seen.add(key)
            bodies += [(c.id, c.body) for c in engine.pipeline.resolve(task.target).clauses()]
        except Exception:  # the clinic's own build reports it
            continue
    try:
        parse_bodies(bodies)
    except MarkupError:  # one bad body: the clinics using it report it; parse the others on demand
        pass


def _dispatch(engine: Engine, out: Path, todo: list[Task], jobs: int, executor: str | None, fail_fast: bool,
              show: bool, report: BatchReport, header: dict[str, Any], records: dict[str, dict[str, Any]]) -> None:
    if not todo:
        return
    size = 1 if fail_fast else max(1, min(8, len(todo) // (jobs * 4) or 1))
    runner = make_executor(engine, out, jobs, executor)
    last = time.monotonic()
    interval = CHECKPOINT_SECONDS
    killed = True
    try:
        with Progress(len(todo), quiet=not show) as bar:
            for outcomes in runner.run(_chunks(todo, size)):
                failed = _record(engine, out, outcomes, report, records)
                bar.advance(len(outcomes), failed)
                if time.monotonic() - last >= interval:  # a consistent manifest on disk, at a bounded cost
                    began = time.monotonic()
                    write_manifest(out, header, records.values())
                    last = time.monotonic()
                    interval = max(CHECKPOINT_SECONDS, 20 * (last - began))
                if failed and fail_fast:
                    report.stopped = True
                    break
        killed = report.stopped
    finally:
        runner.close(kill=killed)


def _record(engine: Engine, out: Path, outcomes: list[Outcome], report: BatchReport,
            records: dict[str, dict[str, Any]]) -> int:
    """Store finished clinics (writing files a remote worker returned); return how many failed."""
    failed = 0
    for outcome in outcomes:
        if outcome.files:  # bytes a remote worker returned: written here
            from .engine import error_text
            from .files import write_files

            try:
                write_files(out, outcome.files)
            except Exception as exc:
                record = {**outcome.record, "status": "failed", "key": None, "outputs": [],
                          "error": error_text(exc, engine.root)}
                outcome = Outcome(outcome.clinic, "failed", record)
        if outcome.action == "failed":
            failed += 1
            report.failed.append((outcome.clinic, outcome.record.get("error") or "failed"))
            stale = {o["path"] for o in records[outcome.clinic].get("outputs", [])}
            try:
                stale |= set(engine.relpaths(outcome.clinic).values())
            except Exception:
                pass
            for path in sorted(stale):  # never leave documents that no longer match the inputs
                remove_output(out, path)
        elif outcome.action == "built":
            report.built.append(outcome.clinic)
        else:
            report.unchanged.append(outcome.clinic)
        records[outcome.clinic] = outcome.record
    return failed


def _prune(out: Path, previous: dict[str, dict[str, Any]], records: dict[str, dict[str, Any]]) -> None:
    """Remove files the previous manifest listed that no clinic produces any more (clinic or format dropped)."""
    current = {o["path"] for r in records.values() for o in r.get("outputs", [])}
    for record in previous.values():
        for output in record.get("outputs", []):
            path = output.get("path")
            if isinstance(path, str) and path not in current:
                remove_output(out, path)

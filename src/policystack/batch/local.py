"""Run clinic builds in this process or in a pool of worker processes (one per core by default).

With the ``fork`` start method the workers inherit the parent's engine: the
catalogue, the parsed clause bodies and every layer stack composed while
planning, so that shared work is done once, not once per worker.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Iterable, Iterator

from .engine import Engine, Outcome, Task

_ENGINE: Engine | None = None  # the worker's engine (inherited through fork, or built by _init_worker)


def policystack_environment() -> dict[str, str]:
    """The ``POLICYSTACK_*`` settings of this process (build date, plugin allow/deny lists, font paths)."""
    return {name: value for name, value in os.environ.items() if name.startswith("POLICYSTACK_")}


def _init_worker(project: object, formats: list[str], environment: dict[str, str],
                 options: dict[str, Any]) -> None:
    """Worker start: take the parent's settings, ignore Ctrl-C (the parent decides), die with the parent,
    build the engine if not inherited.

    A forkserver keeps the environment it started with, so the parent's current
    ``POLICYSTACK_*`` settings are passed explicitly.
    """
    for name in [n for n in os.environ if n.startswith("POLICYSTACK_")]:
        del os.environ[name]
    os.environ.update(environment)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent()
    global _ENGINE
    if _ENGINE is None:
        from ..pipeline import Pipeline

        _ENGINE = Engine(Pipeline(project), formats, options)  # type: ignore[arg-type]


def _die_with_parent() -> None:
    try:  # Linux: receive SIGKILL when the parent dies (kill -9), so no orphan keeps writing
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _run_chunk(tasks: list[Task], out: str) -> list[Outcome]:
    assert _ENGINE is not None
    return [_ENGINE.build(task, Path(out)) for task in tasks]


def _lost(tasks: list[Task], why: str) -> list[Outcome]:
    return [Outcome(t.target.id, "failed", {"id": t.target.id, "name": t.target.name, "inputs": t.inputs,
                                            "status": "failed", "key": None, "error": why, "layers": [],
                                            "plugins": [], "outputs": [], "warnings": []}) for t in tasks]


class SerialExecutor:
    """Everything in this process (``--jobs 1``)."""

    def __init__(self, engine: Engine, out: Path) -> None:
        self.engine, self.out = engine, out

    def run(self, chunks: Iterable[list[Task]]) -> Iterator[list[Outcome]]:
        for chunk in chunks:
            yield [self.engine.build(task, self.out) for task in chunk]

    def close(self, kill: bool = False) -> None:
        pass


def os_thread_count() -> int:
    """Threads of this process, native ones included (typst's Rust thread pool is invisible to ``threading``).

    A fork copies only the calling thread: a child of a process whose native pool already
    started would wait forever on threads that do not exist in it.
    """
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:  # not Linux: be safe unless Python knows of no other thread
        return threading.active_count() if sys.platform != "darwin" else 2


class PoolExecutor:
    """A process pool; at most a few chunks in flight, so memory stays flat however long the roster."""

    def __init__(self, engine: Engine, out: Path, jobs: int) -> None:
        self.engine, self.out, self.jobs = engine, out, jobs
        self.pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        global _ENGINE
        # fork lets the workers inherit the warm engine, but is only safe while this process has one thread
        # (another thread may hold a lock at the moment of the fork); otherwise start fresh interpreters
        methods = multiprocessing.get_all_start_methods()
        if "fork" in methods and os_thread_count() == 1:
            method = "fork"
            _ENGINE = self.engine  # inherited by the workers: no second reading, parsing or composing
        else:
            method = "forkserver" if "forkserver" in methods else "spawn"
            _ENGINE = None
        pool = ProcessPoolExecutor(max_workers=self.jobs, mp_context=multiprocessing.get_context(method),
                                   initializer=_init_worker,
                                   initargs=(self.engine.pipeline.project, self.engine.formats,
                                             policystack_environment(), self.engine.options))
        pool.submit(os.getpid).result()  # start the workers now, before any progress thread exists
        return pool

    def run(self, chunks: Iterable[list[Task]]) -> Iterator[list[Outcome]]:
        pending = iter(chunks)
        flying: dict[Future, list[Task]] = {}
        exhausted = False
        while True:
            while not exhausted and len(flying) < self.jobs * 3:
                chunk = next(pending, None)
                if chunk is None:
                    exhausted = True
                    break
                flying[self.pool.submit(_run_chunk, chunk, str(self.out))] = chunk
            if not flying:
                return
            done, _ = wait(flying, return_when=FIRST_COMPLETED)
            broken = False
            for future in done:
                chunk = flying.pop(future)
                try:
                    yield future.result()
                except BrokenProcessPool:
                    broken = True
                    yield _lost(chunk, "the worker process building this clinic stopped unexpectedly")
            if broken:
                for future, chunk in list(flying.items()):
                    yield _lost(chunk, "the worker process building this clinic stopped unexpectedly")
                flying.clear()
                self.pool.shutdown(wait=False, cancel_futures=True)
                self.pool = self._start()

    def close(self, kill: bool = False) -> None:
        """Stop the workers; ``kill`` stops them at once (an interrupt), else lets them finish."""
        if kill:
            for process in list(getattr(self.pool, "_processes", {}).values()):  # no public way to stop them
                process.terminate()
        self.pool.shutdown(wait=True, cancel_futures=True)
        global _ENGINE
        _ENGINE = None

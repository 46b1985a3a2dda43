"""Run a batch on a Dask distributed cluster (``--executor dask://HOST:PORT``, extra ``policystack[dask]``).

The project (base policy, layer files, plugins folder) is sent once to every
worker as a snapshot, so workers need policystack installed but no shared file
system. Workers return the rendered bytes; this process writes them, so the
files and the manifest are the same as a local run's.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from pathlib import Path
from typing import Any, Iterable, Iterator

from ..errors import UsageError
from .engine import Engine, Outcome, Task

_ENGINES: dict[tuple, Engine] = {}
_LOCK = threading.Lock()


def snapshot(engine: Engine) -> dict[str, Any]:
    """The project's files as ``{relpath: bytes}`` plus where the policy, layers and plugins are."""
    project = engine.pipeline.project
    root = project.root
    files: dict[str, bytes] = {}

    def rel(path: Path, index: int) -> str:
        try:
            return path.resolve().relative_to(root).as_posix()
        except ValueError:
            return f"_outside/{index}/{path.name}"

    def add(path: Path, name: str) -> None:
        if path.is_file():
            files[name] = path.read_bytes()
        elif path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and "__pycache__" not in child.parts:
                    files[f"{name}/{child.relative_to(path).as_posix()}"] = child.read_bytes()

    policy = rel(project.policy_dir, 0)
    add(project.policy_dir, policy)
    layers = []
    for index, path in enumerate(project.layer_paths, 1):
        layers.append(rel(path, index))
        add(path, layers[-1])
    plugins = None
    if project.plugins_dir and project.plugins_dir.is_dir():
        plugins = rel(project.plugins_dir, len(layers) + 1)
        add(project.plugins_dir, plugins)
    from ..rendering.branding import project_branding_folders

    for index, folder in enumerate(project_branding_folders(engine.pipeline.catalogue, root), len(layers) + 2):
        add(folder, rel(folder, index))  # a sibling of the layers' folder, so found the same way remotely
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    digest.update(repr((policy, layers, plugins, engine.options_info())).encode())
    return {"hash": digest.hexdigest(), "files": files, "policy": policy, "layers": layers, "plugins": plugins,
            "options": engine.options,
            "environment": {k: v for k, v in os.environ.items() if k.startswith("POLICYSTACK_")}}


def _engine(snap: dict[str, Any], formats: tuple[str, ...]) -> Engine:
    """This worker's engine for the snapshot (materialized once into a temporary folder)."""
    key = (snap["hash"], formats)
    if key not in _ENGINES:
        from ..pipeline import Pipeline
        from ..project import Project

        os.environ.update(snap["environment"])
        root = Path(tempfile.gettempdir()) / f"policystack-dask-{snap['hash'][:24]}"
        if not (root / ".complete").exists():
            for name, data in snap["files"].items():
                path = root / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            (root / ".complete").write_text("ok")
        project = Project(root=root, policy_dir=root / snap["policy"],
                          layer_paths=tuple(root / p for p in snap["layers"]),
                          plugins_dir=root / snap["plugins"] if snap["plugins"] else None)
        _ENGINES[key] = Engine(Pipeline(project), list(formats), snap.get("options"))
    return _ENGINES[key]


def build_chunk(snap: dict[str, Any], formats: tuple[str, ...], tasks: list[Task]) -> list[Outcome]:
    """Run on a Dask worker: build the clinics and return records with the changed files' bytes."""
    with _LOCK:  # one engine per worker process; threads of that worker take turns
        engine = _engine(snap, formats)
        return [engine.build(task, None) for task in tasks]


class DaskExecutor:
    """Submit chunks to a Dask scheduler; a bounded number in flight."""

    def __init__(self, engine: Engine, out: Path, address: str) -> None:
        local_files = sorted(k for k in ("reference_docx", "font_paths") if k in engine.options)
        if local_files:
            raise UsageError(f"--executor dask:// cannot ship {', '.join(local_files)} to the workers: put them in "
                             "the organization's branding folder (reference.docx) or install the fonts there")
        try:
            from distributed import Client
        except ImportError:
            raise UsageError("--executor dask:// needs Dask: pip install 'policystack[dask]'") from None
        target = address.removeprefix("dask://")
        if not target or ":" not in target:
            raise UsageError(f"invalid executor address {address!r} (expected dask://HOST:PORT)")
        try:
            self.client = Client(f"tcp://{target}", timeout=10, set_as_default=False)
        except OSError as exc:
            raise UsageError(f"cannot reach the Dask scheduler at {target}: {exc}") from None
        self.engine = engine
        self.formats = tuple(engine.formats)
        self.snap = self.client.scatter(snapshot(engine), broadcast=True, hash=False)
        workers = len(self.client.scheduler_info().get("workers", {})) or 1
        self.window = workers * 4

    def run(self, chunks: Iterable[list[Task]]) -> Iterator[list[Outcome]]:
        from distributed import as_completed

        from .local import _lost

        pending = iter(chunks)
        flying: dict[str, list[Task]] = {}

        def submit() -> Any:
            chunk = next(pending, None)
            if chunk is None:
                return None
            future = self.client.submit(build_chunk, self.snap, self.formats, chunk, pure=False)
            flying[future.key] = chunk
            return future

        first = []
        while len(first) < self.window and (future := submit()) is not None:
            first.append(future)
        if not first:
            return
        queue = as_completed(first, loop=self.client.loop)
        for future in queue:
            chunk = flying.pop(future.key)
            try:
                yield future.result()
            except Exception as exc:  # the worker died or the task errored: these clinics failed
                yield _lost(chunk, f"the Dask worker failed: {type(exc).__name__}: {exc}")
            following = submit()
            if following is not None:
                queue.add(following)

    def close(self, kill: bool = False) -> None:
        self.client.close()

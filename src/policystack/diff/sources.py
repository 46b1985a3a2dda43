"""Load OLD and NEW: a policy lock, a target (built on the fly), a DOCX, or a target at a git revision."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..errors import InputError, UsageError
from ..model import ResolvedPolicy
from .model import PolicyView

KINDS = {".json": "lock", ".docx": "docx", ".yaml": "target", ".yml": "target"}


@dataclass
class Loaded:
    """A version ready to diff; ``policy`` and ``pipeline`` are set when it was composed here."""

    view: PolicyView
    policy: ResolvedPolicy | None = None
    pipeline: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


def kind_of(path: Path) -> str:
    """lock, docx or target, from the file name."""
    kind = KINDS.get(path.suffix.lower())
    if kind is None:
        raise UsageError(f"cannot tell what {path} is: give a policy lock (.json), a target (.yaml) or a DOCX")
    return kind


def load_lock(path: Path) -> Loaded:
    """A policy lock file."""
    from .views import view_from_lock

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("file not found", file=path) from None
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read policy lock: {exc}", file=path) from None
    return Loaded(view_from_lock(data, source=str(path)))


def build_target(pipeline: Any, target_path: Path, *, source: str | None = None) -> Loaded:
    """Compose a target with ``pipeline`` and view the result."""
    from .views import view_from_policy

    target = pipeline.load_target(target_path)
    policy = pipeline.resolve(target)
    return Loaded(view_from_policy(policy, source=source or str(target_path)), policy=policy, pipeline=pipeline)


def load(path: Path, pipeline_for: Callable[[Path], Any]) -> Loaded:
    """Load one side from a file, whatever it is."""
    if not path.exists():
        raise UsageError(f"no such file: {path}")
    kind = kind_of(path)
    if kind == "lock":
        return load_lock(path)
    if kind == "docx":
        from .docx_read import read_docx

        return Loaded(read_docx(path))
    return build_target(pipeline_for(path), path)


def pipeline_at(project_root: Path) -> Any:
    """A pipeline over an exported copy of the project (its own plugins folder)."""
    from ..pipeline import Pipeline
    from ..project import load_project

    return Pipeline(load_project(project_root))


def load_revision(target: Path, live_root: Path, rev: str | None, workdir: Path,
                  live_pipeline: Callable[[], Any]) -> Loaded:
    """``target`` built from the project sources at ``rev`` (None: the work tree)."""
    from .gitrev import export, path_in

    if rev is None:
        return build_target(live_pipeline(), target, source=f"{target} (work tree)")
    exported = export(live_root, rev, workdir)
    return build_target(pipeline_at(exported), path_in(target, live_root, exported), source=f"{target}@{rev}")

"""Planning: which clinics need work, decided from hashes of their inputs and of their files on disk."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..errors import UsageError
from ..checks import build_date
from .engine import Engine, Task
from .files import inside, sha256_file

if TYPE_CHECKING:
    from ..model import Target


def review_epoch(catalogue: Any) -> str:
    """What of today's date can change a document: nothing while every review is fresh; once a layer's
    review is stale its warning names the date, so then the date itself (a new manifest each day)."""
    from ..checks import review_warning

    today = build_date()
    for layer in catalogue:
        warning = review_warning(layer, today)
        if warning is not None and warning.code == "stale-review":
            return today.isoformat()
    return "fresh"


def project_fingerprint(engine: Engine) -> str:
    """Hash of everything shared by all clinics: base policy, every layer, plugins, formats, date, version.

    Built from the loaded values (not file times); paths are made relative to the
    project root so a copy of the project elsewhere has the same fingerprint.
    """
    pipeline = engine.pipeline
    base = pipeline.base
    parts = [__version__, review_epoch(pipeline.catalogue), engine.renderer_info, engine.options_info(),
             sorted((i.name, i.version, i.error or "") for i in pipeline.plugins.infos),
             repr(base.meta), repr(base.sections), repr(sorted(base.defaults.items(), key=str))]
    parts.append([repr(layer) for layer in pipeline.catalogue])
    text = json.dumps(parts, ensure_ascii=False, default=str).replace(str(pipeline.project.root), "<root>")
    text = re.sub(r" at 0x[0-9a-fA-F]+", "", text)  # a plugin layer's applies() function: no memory address
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def portable(target: "Target") -> "Target":
    """The target without its roster line, unless its own operations carry it into the documents:
    inserting a row does not make every later clinic look changed."""
    return target if target.operations else replace(target, origin="")


def inputs_hash(fingerprint: str, target: "Target") -> str:
    """Hash of one clinic's row plus the project fingerprint."""
    digest = hashlib.sha256(fingerprint.encode("ascii"))
    digest.update(repr(portable(target)).encode("utf-8"))
    return "sha256:" + digest.hexdigest()


def _disk_hash(out: Path, relpath: str) -> str | None:
    try:
        return sha256_file(inside(out, relpath))
    except UsageError:  # e.g. a symbolic-link folder: the clinic's build refuses and reports it
        return None


def plan_task(engine: Engine, out: Path, target: "Target", fingerprint: str,
              previous: dict[str, Any] | None, force: bool) -> tuple[Task, bool]:
    """The task for one clinic, and whether it can be skipped without any work (nothing changed)."""
    relpaths = engine.relpaths(target.id)
    existing = {rel: _disk_hash(out, rel) for rel in relpaths.values()}
    task = Task(target=target, inputs=inputs_hash(fingerprint, target), existing={} if force else existing)
    if previous is None or force or previous.get("status") != "ok":
        return task, False
    recorded = {o.get("path"): o.get("sha256") for o in previous.get("outputs", [])}
    task.intact = recorded == existing and set(recorded) == set(relpaths.values())
    task.previous_key = previous.get("key")
    task.previous_warnings = list(previous.get("warnings") or [])
    return task, task.intact and previous.get("inputs") == task.inputs

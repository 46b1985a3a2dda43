"""Build one clinic: compose (cached per stack), check, key, render only when needed.

An ``Engine`` lives once per worker process (or Dask worker) and keeps the
parsed bodies, composed stacks and check results it has seen.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..errors import PolicystackError
from .files import output_relpath, sha256_bytes, write_files

if TYPE_CHECKING:
    from ..model import Finding, ResolvedPolicy, Target
    from ..pipeline import Pipeline


@dataclass
class Task:
    """One clinic to build, with what the previous run recorded about it."""

    target: "Target"
    inputs: str  # hash of the clinic's row and the project (see plan.inputs_hash)
    previous_key: str | None = None
    intact: bool = False  # the previous outputs are on disk with their recorded hashes
    existing: dict[str, str | None] = field(default_factory=dict)  # relpath → sha256 on disk now
    previous_warnings: list[str] = field(default_factory=list)  # the recorded warnings, reused when unchanged


@dataclass
class Outcome:
    """What happened to one clinic: ``built``, ``unchanged`` or ``failed``, and its manifest record."""

    clinic: str
    action: str
    record: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)  # written by the caller (remote executors)


def clean(text: str, root: Path | None) -> str:
    """One line, with the project root removed from paths (the same on every machine)."""
    if root is not None:
        text = text.replace(str(root) + "/", "").replace(str(root), ".")
    return " ".join(text.split())


def error_text(exc: BaseException, root: Path | None) -> str:
    """A failure as one clean line."""
    text = str(exc) if isinstance(exc, PolicystackError) else f"internal error: {type(exc).__name__}: {exc}"
    return clean(text, root)


class Engine:
    """Builds clinics for one project and one list of formats."""

    def __init__(self, pipeline: "Pipeline", formats: list[str], options: dict[str, Any] | None = None) -> None:
        self.pipeline = pipeline
        self.formats = list(formats)
        self.options = dict(options or {})  # renderer options (paper, reference DOCX, fonts, ...)
        self.renderers = [pipeline.renderer(name) for name in self.formats]
        self.root = pipeline.project.root
        versions = {info.name: info.version for info in pipeline.plugins.infos}
        self.plugin_versions = versions
        self.renderer_info = [{"format": r.name, "extension": r.extension, "plugin": r.plugin,
                               "version": versions.get(r.plugin, "")} for r in self.renderers]

    def options_info(self) -> str:
        """The renderer options as text for hashing: paths inside the project made relative to it."""
        return json.dumps(self.options, sort_keys=True, default=str).replace(str(self.root), "<root>")

    def relpaths(self, clinic_id: str) -> dict[str, str]:
        """Format → ``<clinic-id>/<policy-id>.<ext>``."""
        policy_id = self.pipeline.base.meta.id
        return {r.name: output_relpath(clinic_id, policy_id, r.extension) for r in self.renderers}

    def key(self, policy: "ResolvedPolicy", findings: list["Finding"]) -> str:
        """Hash of everything the documents are made from: the resolved policy, findings, formats, versions."""
        from .plan import portable

        text = repr(replace(policy, target=portable(policy.target))).replace(str(self.root), "<root>")
        found = [(f.severity, f.code, f.message, f.clause, f.layer, f.citation) for f in findings]
        data = json.dumps([__version__, self.renderer_info, self.options_info(), found], ensure_ascii=False,
                          sort_keys=True)
        digest = hashlib.sha256(text.encode("utf-8"))
        digest.update(data.encode("utf-8"))
        return "sha256:" + digest.hexdigest()

    def failed(self, task: Task, exc: BaseException) -> Outcome:
        """The outcome of a clinic that could not be built."""
        record = {"id": task.target.id, "name": task.target.name, "inputs": task.inputs, "status": "failed",
                  "key": None, "error": error_text(exc, self.root), "layers": [], "plugins": [], "outputs": [],
                  "warnings": []}
        return Outcome(task.target.id, "failed", record)

    def build(self, task: Task, out: Path | None) -> Outcome:
        """Build one clinic; write into ``out`` (or return the bytes when ``out`` is None)."""
        target = task.target
        base = {"id": target.id, "name": target.name, "inputs": task.inputs}
        try:
            relpaths = self.relpaths(target.id)
            policy = self.pipeline.resolve(target)
            findings = self.pipeline.check(policy)
            errors = [f for f in findings if f.severity == "error"]
            if errors:
                from ..pipeline import BuildFailed

                raise BuildFailed(findings)
            key = self.key(policy, findings)
            record = {**base, "status": "ok", "key": key, "error": None,
                      "layers": [{"id": l.id, "kind": l.kind, "version": l.version, "plugin": l.plugin}
                                 for l in policy.layers],
                      "plugins": sorted({l.plugin for l in policy.layers if l.plugin}
                                        | {r.plugin for r in self.renderers}),
                      "warnings": [clean(str(f), self.root) for f in findings if f.severity == "warning"]}
            record["plugins"] = [{"name": n, "version": self.plugin_versions.get(n, "")} for n in record["plugins"]]
            if key == task.previous_key and task.intact:
                record["warnings"] = task.previous_warnings
                record["outputs"] = [{"format": fmt, "path": rel, "sha256": task.existing.get(rel)}
                                     for fmt, rel in relpaths.items()]
                return Outcome(target.id, "unchanged", record)
            with warnings.catch_warnings(record=True) as caught:  # e.g. a PDF font lacking a glyph
                warnings.simplefilter("ignore")
                warnings.simplefilter("always", UserWarning)
                rendered = self.pipeline.render(policy, self.formats, findings=findings, options=self.options)
            record["warnings"] += list(dict.fromkeys(clean(str(w.message), self.root) for w in caught
                                                     if issubclass(w.category, UserWarning)))
        except Exception as exc:  # one clinic's failure never stops the others
            return self.failed(task, exc)
        changed: dict[str, bytes] = {}
        outputs = []
        for fmt, rel in relpaths.items():
            digest = sha256_bytes(rendered[fmt])
            outputs.append({"format": fmt, "path": rel, "sha256": digest})
            if task.existing.get(rel) != digest:
                changed[rel] = rendered[fmt]
        record["outputs"] = outputs
        if out is not None and changed:
            try:
                write_files(out, changed)
            except Exception as exc:  # e.g. disk full, or a clinic folder that is a symbolic link
                return self.failed(task, exc)
            changed = {}
        action = "built" if any(task.existing.get(o["path"]) != o["sha256"] for o in outputs) else "unchanged"
        return Outcome(target.id, action, record, changed)


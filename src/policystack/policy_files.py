"""Read a base policy folder: ``policy.yaml`` plus one Markdown file per clause."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from .errors import InputError
from .ids import CLAUSE_ID
from .model import Clause, PolicyMeta, Provenance, Section, content_hash
from .yamlio import line_of, parse_yaml, read_yaml


class BasePolicy:
    """The base policy as read from disk: metadata, sections, clauses, defaults."""

    def __init__(self, meta: PolicyMeta, sections: tuple[Section, ...],
                 defaults: dict[str, Any], folder: Path) -> None:
        self.meta = meta
        self.sections = sections
        self.defaults = defaults
        self.folder = folder


def _split_front_matter(text: str, path: Path) -> tuple[dict, str, int]:
    if not text.startswith("---"):
        raise InputError("clause file must start with YAML front matter ('---')", file=path, line=1)
    lines = text.split("\n")
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            header = parse_yaml("\n".join(lines[1:index]), file=path)
            body = "\n".join(lines[index + 1:]).strip("\n")
            if not isinstance(header, dict):
                raise InputError("front matter must be a mapping", file=path, line=2)
            return header, body, index + 2
    raise InputError("front matter is not closed with '---'", file=path, line=1)


def read_clause(path: Path, *, section: str, layer_source: str) -> Clause:
    """Read one clause file (front matter: id, title, topics)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("clause file not found", file=path) from None
    header, body, _ = _split_front_matter(text, path)
    clause_id = header.get("id")
    if not isinstance(clause_id, str) or not CLAUSE_ID.match(clause_id):
        raise InputError(f"invalid or missing clause id {clause_id!r} (lowercase letters, digits, '-')",
                         file=path, line=2)
    if clause_id != path.stem:
        raise InputError(f"clause id '{clause_id}' does not match its file name '{path.name}'",
                         file=path, clause=clause_id)
    title = header.get("title")
    if not isinstance(title, str) or not title.strip():
        raise InputError("missing title", file=path, clause=clause_id)
    if not body.strip():
        raise InputError("empty clause body", file=path, clause=clause_id)
    topics = header.get("topics") or []
    if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        raise InputError("topics must be a list of words", file=path, clause=clause_id)
    clause = Clause(id=clause_id, title=title.strip(), body=body, topics=tuple(topics), section=section)
    step = Provenance(layer="base", kind="base", op="add", source=layer_source, after=content_hash(clause))
    return replace(clause, provenance=(step,))


def read_policy(folder: str | Path) -> BasePolicy:
    """Read a policy folder; every problem names the file (and line)."""
    folder = Path(folder)
    manifest_path = folder / "policy.yaml"
    data = read_yaml(manifest_path)
    if not isinstance(data, dict):
        raise InputError("policy.yaml must be a mapping", file=manifest_path)
    missing = [k for k in ("id", "title", "version", "effective", "sections") if k not in data]
    if missing:
        raise InputError(f"missing field(s): {', '.join(missing)}", file=manifest_path)
    signers = data.get("signers", ["Client", "Clinician"])
    meta = PolicyMeta(id=str(data["id"]), title=str(data["title"]), version=str(data["version"]),
                      effective=str(data["effective"]), language=str(data.get("language", "en")),
                      signers=tuple(str(s) for s in signers))
    seen: dict[str, str] = {}
    sections = []
    for raw in data["sections"]:
        if not isinstance(raw, dict) or "id" not in raw or "title" not in raw:
            raise InputError("each section needs an id and a title", file=manifest_path,
                             line=line_of(raw))
        clauses = []
        for clause_id in raw.get("clauses") or []:
            if clause_id in seen:
                raise InputError(f"duplicate clause id '{clause_id}' (also in section '{seen[clause_id]}')",
                                 file=manifest_path, line=line_of(raw), clause=str(clause_id))
            seen[clause_id] = raw["id"]
            clause_path = folder / "clauses" / f"{clause_id}.md"
            clauses.append(read_clause(clause_path, section=raw["id"],
                                       layer_source=str(clause_path)))
        sections.append(Section(id=str(raw["id"]), title=str(raw["title"]),
                                clauses=tuple(clauses), last=bool(raw.get("last", False))))
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise InputError("defaults must be a mapping of variable names", file=manifest_path)
    return BasePolicy(meta, tuple(sections), dict(defaults), folder)

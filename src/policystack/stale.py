"""Stale overrides: a layer's ``replace``/``amend`` written against upstream text that has since changed.

A ``replace`` or ``amend`` may carry ``written_against: <hash>`` (or a list of
hashes, for a layer shared by clinics whose upstream differs): the content hash
(``compose.content_hash``) of the clause just before the layer's operation, as
it was when the override was written. Composition records that hash as the
``before`` of the layer's provenance step, so an override is stale when its
``before`` is not among its ``written_against`` hashes.

``stamp_layer`` writes the hashes into a layer file and keeps a copy of each
upstream text in the project's snapshot folder (``.policystack/upstream/``,
content-addressed, meant to be committed) so the report can show the
upstream change word by word — even without git history.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from .model import Clause, Finding, Layer, Provenance, ResolvedPolicy

SNAPSHOT_DIR = Path(".policystack") / "upstream"
OVERRIDE_OPS = ("replace", "amend")

#: clause id, layer id, op → the clause as it stood just before that layer's op (None when unknown).
Upstream = Callable[[str, str, str], "Clause | None"]


@dataclass(frozen=True)
class StaleOverride:
    """An override whose upstream clause changed since it was written (or since OLD, in a diff)."""

    clause: str
    layer: str
    op: str
    written_against: tuple[str, ...]
    current: str | None  # the upstream hash now
    file: str | None = None
    line: int | None = None
    old_text: str | None = None  # upstream title + body when the override was written, if known
    new_text: str | None = None  # upstream title + body now, if known

    def pieces(self) -> list[tuple[str, str]]:
        """The upstream change word by word (empty when the old text is unknown)."""
        from .diff.words import word_diff

        if self.old_text is None or self.new_text is None:
            return []
        return word_diff(self.old_text, self.new_text)

    def message(self) -> str:
        what = f"'{self.op}' of clause '{self.clause}' by layer '{self.layer}'"
        return (f"{what} was written against upstream text {', '.join(self.written_against) or '?'}, "
                f"which has since changed (now {self.current}); review the override")


def clause_text(clause: Clause | Mapping[str, Any] | None) -> str | None:
    """Title and body of a clause, as shown in a stale-override report."""
    if clause is None:
        return None
    if isinstance(clause, Mapping):
        return f"{clause.get('title', '')}\n\n{clause.get('body', '')}"
    return f"{clause.title}\n\n{clause.body}"


def _hashes(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    return (str(value),)


def _operation(layer: Layer | None, op: str, clause: str):
    if layer is None:
        return None
    return next((o for o in layer.operations if o.op == op and o.clause == clause), None)


def read_snapshot(root: Path | None, digest: str) -> dict[str, Any] | None:
    """A saved upstream clause ({title, body, topics}) by hash, or None."""
    if root is None or not re.fullmatch(r"[0-9a-f]{8,64}", digest):
        return None
    path = root / SNAPSHOT_DIR / f"{digest}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_snapshot(root: Path, digest: str, clause: Clause) -> Path:
    """Save the upstream clause under its hash (idempotent)."""
    path = root / SNAPSHOT_DIR / f"{digest}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"title": clause.title, "body": clause.body, "topics": list(clause.topics)}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def find_stale(policy: ResolvedPolicy, layers: Iterable[Layer], *, upstream: Upstream | None = None,
               root: Path | None = None) -> list[StaleOverride]:
    """Every override in ``policy`` whose ``written_against`` no longer matches the upstream clause.

    ``layers``: the layers that may hold the overrides (e.g. ``pipeline.catalogue`` plus the
    target's own layer). ``upstream`` (optional) gives the current upstream clause for the report;
    ``root`` (optional) is the project root, where saved snapshots give the old upstream text.
    """
    by_id = {layer.id: layer for layer in layers}
    found = []
    for clause in list(policy.clauses()) + list(policy.removed):
        for step in clause.provenance:
            if step.op not in OVERRIDE_OPS or step.note:
                continue
            op = _operation(by_id.get(step.layer), step.op, clause.id)
            against = _hashes(op.fields.get("written_against")) if op is not None else ()
            if not against or step.before in against:
                continue
            now = upstream(clause.id, step.layer, step.op) if upstream else None
            old = read_snapshot(root, against[-1])
            found.append(StaleOverride(clause=clause.id, layer=step.layer, op=step.op, written_against=against,
                                       current=step.before, file=step.source, line=op.line,
                                       old_text=clause_text(old), new_text=clause_text(now)))
    return found


def traced_upstream(pipeline: Any, target: Any) -> Upstream:
    """An ``Upstream`` that recomposes ``target`` with a trace of the one clause asked about."""
    from .compose import Trace

    cache: dict[str, list[tuple[Provenance, Clause | None]]] = {}

    def upstream(clause_id: str, layer: str, op: str) -> Clause | None:
        if clause_id not in cache:
            trace = Trace(clause_id)
            pipeline.resolve(target, trace=trace)
            cache[clause_id] = trace.steps
        steps = cache[clause_id]
        for index, (step, _) in enumerate(steps):
            if step.layer == layer and step.op == op and index > 0:
                return steps[index - 1][1]
        return None

    return upstream


def all_layers(pipeline: Any, target: Any) -> list[Layer]:
    """The catalogue's layers plus the target's own clinic layer."""
    from .compose import target_layer

    layers = list(pipeline.catalogue)
    own = target_layer(target)
    if own is not None:
        layers.append(own)
    return layers


def stale_findings(pipeline: Any, policy: ResolvedPolicy) -> list[Finding]:
    """``find_stale`` for ``policystack check``: one warning (code ``stale-override``) per stale override."""
    target = policy.target
    found = find_stale(policy, all_layers(pipeline, target), upstream=traced_upstream(pipeline, target),
                       root=pipeline.project.root)
    findings = []
    for item in found:
        change = ""
        pieces = item.pieces()
        if pieces:
            change = "; upstream change: " + render_pieces(pieces)
        findings.append(Finding("warning", "stale-override", item.message() + change, clause=item.clause,
                                layer=item.layer, file=item.file))
    return findings


def render_pieces(pieces: Iterable[tuple[str, str]], *, limit: int = 400) -> str:
    """A word diff on one line: [-deleted-] {+inserted+}."""
    out = []
    for op, text in pieces:
        text = " ".join(text.split()) if op == "=" else text
        out.append(text if op == "=" else (f"[-{text}-]" if op == "-" else f"{{+{text}+}}"))
    line = " ".join("".join(out).split())
    return line if len(line) <= limit else line[:limit - 1] + "…"


#: (clause id, provenance steps as dicts or Provenance values) for every clause of one version
Histories = Iterable[tuple[str, Iterable[Any]]]


def _override_steps(histories: Histories) -> dict[tuple[str, str, str], Mapping[str, Any]]:
    out = {}
    for clause_id, steps in histories:
        for step in steps:
            data = step if isinstance(step, Mapping) else vars(step)
            if data.get("op") in OVERRIDE_OPS and not data.get("note"):
                out[(clause_id, data["layer"], data["op"])] = data
    return out


def histories_of(policy: ResolvedPolicy) -> list[tuple[str, tuple[Provenance, ...]]]:
    """Every clause's provenance, kept and removed clauses alike."""
    return [(c.id, c.provenance) for c in list(policy.clauses()) + list(policy.removed)]


def upstream_changes(old: ResolvedPolicy | Histories, new: ResolvedPolicy | Histories, *,
                     old_upstream: Upstream | None = None,
                     new_upstream: Upstream | None = None) -> list[StaleOverride]:
    """Overrides present in both versions whose upstream clause changed from OLD to NEW (for ``diff``).

    OLD and NEW are composed policies, or clause histories (e.g. from two policy locks); the
    ``*_upstream`` functions, when given, supply the upstream texts for the report.
    """
    before = _override_steps(histories_of(old) if isinstance(old, ResolvedPolicy) else old)
    after = _override_steps(histories_of(new) if isinstance(new, ResolvedPolicy) else new)
    found = []
    for key, step in after.items():
        was = before.get(key)
        if was is None or was.get("before") == step.get("before"):
            continue
        clause, layer, op = key
        found.append(StaleOverride(
            clause=clause, layer=layer, op=op, written_against=(was["before"],) if was.get("before") else (),
            current=step.get("before"), file=step.get("source"),
            old_text=clause_text(old_upstream(clause, layer, op)) if old_upstream else None,
            new_text=clause_text(new_upstream(clause, layer, op)) if new_upstream else None))
    return sorted(found, key=lambda s: (s.clause, s.layer))


# ---------------------------------------------------------------- stamping

def stamp_layer(path: Path, pipeline: Any, target: Any) -> list[tuple[str, str]]:
    """Write ``written_against`` (the current upstream hash for ``target``) into each replace/amend of
    the layer file ``path``, keeping the file's other lines as they are; save upstream snapshots.

    A hash already listed is kept; a new one is added (a list when the layer serves several upstreams).
    Returns (clause id, hash) for every operation stamped.
    """
    from .compose import content_hash
    from .errors import UsageError
    from .layer_files import read_layer

    path = Path(path)
    layer = read_layer(path)
    upstream = traced_upstream(pipeline, target)
    lines = path.read_text(encoding="utf-8").split("\n")
    stamped = []
    edits: list[tuple[int, Any, str]] = []
    for op in layer.operations:
        if op.op not in OVERRIDE_OPS:
            continue
        before = upstream(op.clause, layer.id, op.op)
        if before is None:
            continue  # the layer does not apply to this target, or the op was skipped
        digest = content_hash(before)
        write_snapshot(pipeline.project.root, digest, before)
        hashes = list(_hashes(op.fields.get("written_against")))
        if digest not in hashes:
            hashes.append(digest)
        if op.line is None:
            raise UsageError("cannot locate the operation in the file", file=path, clause=op.clause)
        quoted = [f'"{h}"' for h in hashes]  # quoted: an all-digit hash would otherwise read as a number
        edits.append((op.line, op, quoted[0] if len(quoted) == 1 else "[" + ", ".join(quoted) + "]"))
        stamped.append((op.clause, digest))
    for line_no, op, value in sorted(edits, key=lambda e: -e[0]):
        _set_key(lines, line_no - 1, "written_against", value, path)
    path.write_text("\n".join(lines), encoding="utf-8")
    return stamped


def _set_key(lines: list[str], start: int, key: str, value: str, path: Path) -> None:
    """Set ``key: value`` in the block mapping that starts on ``lines[start]`` (``- op: ...``)."""
    from .errors import UsageError

    first = lines[start]
    match = re.match(r"^(\s*-\s+)(\S)", first) or re.match(r"^(\s*)(\S)", first)
    if match is None or first[match.end(1):].startswith("{"):
        raise UsageError("only block-style operations can be stamped", file=path, line=start + 1)
    indent = " " * len(match.group(1))
    end = start + 1
    while end < len(lines) and (not lines[end].strip()
                                or len(lines[end]) - len(lines[end].lstrip()) >= len(indent)):
        if re.match(rf"^{indent}{key}\s*:", lines[end]):
            lines[end] = f"{indent}{key}: {value}"
            return
        end += 1
    lines.insert(start + 1, f"{indent}{key}: {value}")

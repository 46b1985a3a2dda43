"""Network impact: what a change between two versions does to every clinic of a roster.

Clinics are grouped by what decides their composition (jurisdictions, professions,
organization, own operations, the names of the variables they set, the values a
layer's ``when`` reads, plugin defaults); each group is composed once per version.
Every other value only fills text, so each member's changed clauses are re-filled
with its own values (the clinic's values win over every layer, as in composition).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..compose import target_values
from ..content import value_text
from ..errors import PolicystackError
from ..model import Clause, Layer, ResolvedPolicy, Target
from .matching import PolicyDiff, diff_views
from .model import fill, normalise, paragraphs
from .views import view_from_policy

IDENTITY = ("clinic.id", "clinic.name", "clinic.address", "clinic.phone", "clinic.email", "clinic.website")
SCHEMA = "policystack.diff-network/1"


CLINIC_STATUSES = ("kept", "new", "removed")


@dataclass
class ClinicImpact:
    """One clinic: its changed clauses (id → status) and the base/layer changes its own layers shield.

    ``status``: ``kept`` (in the roster at both versions), ``new`` (only in NEW's roster: every clause
    added) or ``removed`` (only in OLD's: every clause removed)."""

    id: str
    name: str
    changes: dict[str, str] = field(default_factory=dict)
    shielded: dict[str, list[str]] = field(default_factory=dict)  # clause → layers whose override shields it
    error: str | None = None
    status: str = "kept"


@dataclass
class NetworkReport:
    """Every clinic's impact, the source changes (layer or 'base', clause) and per-clause counts."""

    old: str
    new: str
    clinics: list[ClinicImpact]
    sources: list[tuple[str, str]]
    groups: int = 0
    notes: list[str] = field(default_factory=list)  # how the roster was read, etc.

    @property
    def changed(self) -> bool:
        return any(c.changes or c.status != "kept" for c in self.clinics)

    def with_status(self, status: str) -> list[ClinicImpact]:
        return [c for c in self.clinics if c.status == status]

    @property
    def errors(self) -> list[ClinicImpact]:
        return [c for c in self.clinics if c.error]

    def by_clause(self) -> dict[str, dict[str, list[str]]]:
        """Clause → {"affected": clinic ids, "shielded": clinic ids}, clauses sorted.

        Only clinics in the roster at both versions count: new and removed clinics are listed apart."""
        table: dict[str, dict[str, list[str]]] = {}
        for clinic in self.with_status("kept"):
            for clause in clinic.changes:
                table.setdefault(clause, {"affected": [], "shielded": []})["affected"].append(clinic.id)
            for clause in clinic.shielded:
                table.setdefault(clause, {"affected": [], "shielded": []})["shielded"].append(clinic.id)
        return dict(sorted(table.items()))


# ---------------------------------------------------------------- reading

def read_targets(path: Path) -> list[Target]:
    """A roster (CSV or YAML, via ``roster.read_roster``) or a folder of target YAML files."""
    from ..layer_files import read_target

    if path.is_dir():
        return [read_target(p) for p in sorted(path.glob("*.y*ml"))]
    from ..roster import read_roster

    return read_roster(path)


# ---------------------------------------------------------------- sources of change

def _base_clauses(pipeline: Any) -> dict[str, tuple]:
    return {c.id: (s.id, c.title, c.body, tuple(c.topics)) for s in pipeline.base.sections for c in s.clauses}


def _layer_ops(layers: Iterable[Layer]) -> dict[tuple[str, str], tuple]:
    out: dict[tuple[str, str], list] = {}
    for layer in layers:
        for op in layer.operations:
            if op.clause:
                out.setdefault((layer.id, op.clause), []).append((op.op, op.payload()))
    return {k: tuple(v) for k, v in out.items()}


def source_changes(old: Any, new: Any) -> list[tuple[str, str]]:
    """(layer id or 'base', clause id) for every clause a base or layer edit touches between versions."""
    a, b = _base_clauses(old), _base_clauses(new)
    found = {("base", cid) for cid in set(a) | set(b) if a.get(cid) != b.get(cid)}
    la, lb = _layer_ops(old.catalogue), _layer_ops(new.catalogue)
    found |= {key for key in set(la) | set(lb) if la.get(key) != lb.get(key)}
    return sorted(found)


# ---------------------------------------------------------------- grouping

def _identity_free(pipelines: Iterable[Any]) -> bool:
    """True when no layer selects on a clinic's identity (so clinics can share a composition)."""
    for pipeline in pipelines:
        for layer in pipeline.catalogue:
            if layer.applies is not None or any(name in IDENTITY for name in layer.when):
                return False
    return True


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return repr(value)


def selecting_names(pipelines: Iterable[Any]) -> set[str]:
    """Variable names some layer's ``when`` reads (they decide which layers apply)."""
    return {name for pipeline in pipelines for layer in pipeline.catalogue for name in layer.when}


def group_key(target: Target, pipelines: Iterable[Any], shared: bool, selecting: set[str]) -> tuple:
    """What decides ``target``'s composition: the layers it selects and which variables it sets itself.

    Values only count where a layer's ``when`` reads them; every other value just fills text, and each
    clinic's changed clauses are re-filled with its own values. Without ``shared`` every clinic is alone.
    """
    values = target_values(target)
    chosen = {k: v for k, v in values.items() if k in selecting}
    defaults = tuple(_freeze(p.plugin_defaults(target)) for p in pipelines)
    ops = tuple((op.op, _freeze(dict(op.fields))) for op in target.operations)
    identity = () if shared else (target.id,)
    return (target.jurisdictions, target.professions, target.organization, tuple(sorted(values)),
            _freeze(chosen), ops, defaults, identity)


# ---------------------------------------------------------------- impact

def _member_lookup(policy: ResolvedPolicy, target: Target):
    values = {name: value_text(v.value) for name, v in policy.variables.items()}
    values.update({k: value_text(v) for k, v in target_values(target).items()})

    def lookup(name: str) -> str:
        text = values.get(name)
        return text if text not in (None, "") else "{{ " + name + " }}"

    return lookup


def _filled(clause: Clause, blocks: Any, lookup: Any) -> tuple[str, tuple[str, ...]]:
    return normalise(fill(clause.title, lookup)), tuple(paragraphs(blocks, lookup))


def _shielding(policy: ResolvedPolicy, clause_id: str, source: str) -> list[str]:
    """Layers that replaced (or removed) ``clause_id`` after ``source`` changed it, in ``policy``."""
    clause = policy.clause(clause_id) or next((c for c in policy.removed if c.id == clause_id), None)
    if clause is None:
        return []
    steps = list(clause.provenance)
    start = max((i for i, s in enumerate(steps) if s.layer == source), default=None)
    if start is None:
        return []
    return [s.layer for s in steps[start + 1:] if s.op in ("replace", "remove") and not s.note]


class _Group:
    def __init__(self, status: str) -> None:
        self.status = status  # kept | new | removed
        self.members: list[tuple[Target | None, Target | None]] = []
        self.old: ResolvedPolicy | None = None
        self.new: ResolvedPolicy | None = None
        self.diff: PolicyDiff | None = None
        self.error: str | None = None


def pair_targets(old_targets: list[Target], new_targets: list[Target]) -> list[tuple[Target | None, Target | None]]:
    """Clinics of two rosters paired by id: NEW's order, then the clinics only OLD has, in OLD's order."""
    waiting: dict[str, list[Target]] = {}
    for t in old_targets:
        waiting.setdefault(t.id, []).append(t)
    pairs: list[tuple[Target | None, Target | None]] = []
    for t in new_targets:
        pairs.append((waiting[t.id].pop(0) if waiting.get(t.id) else None, t))
    pairs.extend((t, None) for t in old_targets if any(w is t for w in waiting.get(t.id, ())))
    return pairs


def impact(old: Any, new: Any, targets: list[Target], *, old_label: str = "old", new_label: str = "new",
           rename_threshold: float = 0.8, new_targets: list[Target] | None = None,
           notes: Iterable[str] = ()) -> NetworkReport:
    """The network report between two pipelines (two versions of the project) for ``targets``.

    With ``new_targets``, ``targets`` is OLD's roster and ``new_targets`` NEW's: clinics are paired by id,
    each side composed from its own roster entry; a clinic only NEW has is ``new``, one only OLD has
    ``removed``."""
    from ..content import parse_policy

    pipelines = (old, new)
    shared = _identity_free(pipelines)
    selecting = selecting_names(pipelines)
    pairs = [(t, t) for t in targets] if new_targets is None else pair_targets(targets, new_targets)
    groups: dict[tuple, _Group] = {}
    for a, b in pairs:
        if a is b or a is None or b is None:
            status = "kept" if a is b else ("new" if a is None else "removed")
            key = (status, group_key(a or b, pipelines, shared, selecting))
        else:
            key = ("kept", group_key(a, pipelines, shared, selecting), group_key(b, pipelines, shared, selecting))
        groups.setdefault(key, _Group(key[0])).members.append((a, b))
    sources = source_changes(old, new)
    clinics: list[ClinicImpact] = []
    for group in groups.values():
        rep_old, rep_new = next((a for a, _ in group.members if a is not None), None), \
            next((b for _, b in group.members if b is not None), None)
        if group.status != "kept":
            clinics.extend(_whole_clinics(group, old if group.status == "removed" else new,
                                          rep_old if group.status == "removed" else rep_new))
            continue
        try:
            group.old = old.resolve(rep_old)
            group.new = new.resolve(rep_new)
            old_contents, new_contents = parse_policy(group.old), parse_policy(group.new)
            group.diff = diff_views(
                view_from_policy(group.old, source=old_label, contents=old_contents, hashes=False),
                view_from_policy(group.new, source=new_label, contents=new_contents, hashes=False),
                rename_threshold=rename_threshold)
        except PolicystackError as exc:
            group.error = str(exc)
            clinics.extend(ClinicImpact(b.id, b.name, error=group.error) for _, b in group.members)
            continue
        old_blocks = {c.clause.id: c.blocks for c in old_contents}
        new_blocks = {c.clause.id: c.blocks for c in new_contents}
        structural = {}  # clause → status that does not depend on the clinic's identity
        candidates = []
        for d in group.diff.clauses:
            if d.status in ("added", "removed", "renamed"):
                structural[d.id] = d.status
            elif d.status != "unchanged" or _templates_differ(group.old.clause(d.id), group.new.clause(d.id)):
                candidates.append(d)
        for before, target in group.members:
            changes = dict(structural)
            if candidates:
                old_lookup, new_lookup = _member_lookup(group.old, before), _member_lookup(group.new, target)
            for d in candidates:
                a = _filled(group.old.clause(d.id), old_blocks[d.id], old_lookup)
                b = _filled(group.new.clause(d.id), new_blocks[d.id], new_lookup)
                other = [c for c in d.changes if c not in ("title", "body")]
                if a != b or other:
                    changes[d.id] = "changed" if (a != b or any(c in ("topics", "layer") for c in other)) else "moved"
            shielded: dict[str, list[str]] = {}
            applied = {"base"} | {l.id for l in group.old.layers} | {l.id for l in group.new.layers}
            for source, clause_id in sources:
                if source in applied and clause_id not in changes:
                    by = _shielding(group.new, clause_id, source)
                    if by:
                        shielded.setdefault(clause_id, [])
                        shielded[clause_id].extend(l for l in by if l not in shielded[clause_id])
            clinics.append(ClinicImpact(target.id, target.name, dict(sorted(changes.items())), shielded))
    order = {(a or b).id: i for i, (a, b) in enumerate(pairs)}
    clinics.sort(key=lambda c: order.get(c.id, 0))
    return NetworkReport(old_label, new_label, clinics, sources, groups=len(groups), notes=list(notes))


def _whole_clinics(group: _Group, pipeline: Any, rep: Target) -> list[ClinicImpact]:
    """A new clinic (every clause of its NEW policy added) or a removed one (every clause of its OLD removed)."""
    status = group.status
    members = [b if status == "new" else a for a, b in group.members]
    try:
        policy = pipeline.resolve(rep)
    except PolicystackError as exc:
        return [ClinicImpact(t.id, t.name, error=str(exc), status=status) for t in members]
    mark = "added" if status == "new" else "removed"
    changes = {c.id: mark for c in sorted(policy.clauses(), key=lambda c: c.id)}
    return [ClinicImpact(t.id, t.name, dict(changes), status=status) for t in members]


def _templates_differ(old: Clause | None, new: Clause | None) -> bool:
    """True when the clause as written (before variables are filled) differs."""
    return bool(old and new and (old.title, old.body, old.topics) != (new.title, new.body, new.topics))


def impact_at_revisions(live: Any, targets: list[Target], old_rev: str, new_rev: str | None,
                        workdir: Path, *, roster: Path | None = None) -> NetworkReport:
    """Export the project at both revisions (None: the work tree) and report the impact on ``targets``.

    With ``roster`` (the file or folder ``targets`` were read from), the roster too is read at each
    revision when git knows it there (see ``rosters_at``); otherwise ``targets`` serve both sides."""
    from .gitrev import export
    from .sources import pipeline_at

    root = live.project.root
    old = pipeline_at(export(root, old_rev, workdir / "old"))
    new = live if new_rev is None else pipeline_at(export(root, new_rev, workdir / "new"))
    labels = {"old_label": old_rev, "new_label": new_rev or "work tree"}
    if roster is None:
        return impact(old, new, targets, **labels)
    old_targets, new_targets, notes = rosters_at(roster, root, old_rev, new_rev, workdir / "roster", targets)
    if new_targets is None:
        return impact(old, new, targets, notes=notes, **labels)
    return impact(old, new, old_targets, new_targets=new_targets, notes=notes, **labels)


def rosters_at(roster: Path, root: Path, old_rev: str, new_rev: str | None, workdir: Path,
               live_targets: list[Target]) -> tuple[list[Target], list[Target] | None, list[str]]:
    """The roster's clinics at OLD and at NEW, and notes on how it was read.

    The roster is read at each revision when it lies inside the project's git repository and exists at
    one of the compared commits (a revision missing it counts as an empty roster: every clinic is new, or
    removed). The work-tree side is read from disk. Otherwise (outside the repository, or not committed)
    it is read once from disk and serves both sides: NEW is then None."""
    from .gitrev import exists_at, export_path, in_repository

    from ..errors import UsageError

    def known(rev: str) -> bool:
        try:
            return exists_at(where[0], rev, where[1])
        except UsageError:  # e.g. HEAD in a repository without commits
            return False

    where = in_repository(roster, root)
    revs = [old_rev, new_rev or "HEAD"]  # against the work tree: committed at all counts
    if where is None or not any(known(r) for r in revs):
        why = "outside the repository" if where is None else "not in git at " + " or ".join(revs)
        return live_targets, None, [f"roster {roster} is {why}: read once from disk for both versions"]
    repo, relative = where
    notes = [f"roster {relative} read at {old_rev} and at {new_rev or 'the work tree'}"]
    sides: list[list[Target]] = []
    for name, rev in (("old", old_rev), ("new", new_rev)):
        if rev is None:
            sides.append(live_targets)
        elif not known(rev):
            notes.append(f"roster {relative} does not exist at {rev}: no clinics there")
            sides.append([])
        else:
            path = export_path(repo, rev, relative, workdir / name)
            try:
                sides.append(read_targets(path))
            except PolicystackError as exc:
                raise PolicystackError(f"roster {relative} at revision '{rev}': {exc}") from None
    return sides[0], sides[1], notes


# ---------------------------------------------------------------- output

def report_data(report: NetworkReport) -> dict[str, Any]:
    """The report as plain data (schema ``policystack.diff-network/1``)."""
    return {
        "schema": SCHEMA, "old": report.old, "new": report.new, "changed": report.changed,
        "sources": [{"layer": layer, "clause": clause} for layer, clause in report.sources],
        "summary": {"clinics": len(report.clinics),
                    "affected": sum(1 for c in report.with_status("kept") if c.changes),
                    "shielded": sum(1 for c in report.with_status("kept") if c.shielded and not c.changes),
                    "new": len(report.with_status("new")), "removed": len(report.with_status("removed")),
                    "errors": len(report.errors), "compositions": report.groups},
        "clauses": report.by_clause(),
        "clinics": [{"id": c.id, "name": c.name, "status": c.status, "changes": c.changes, "shielded": c.shielded,
                     "error": c.error} for c in report.clinics],
        "notes": list(report.notes),
    }


def render_json(report: NetworkReport) -> str:
    return json.dumps(report_data(report), ensure_ascii=False, sort_keys=True, indent=2) + "\n"


def render_text(report: NetworkReport, *, stat: bool = False) -> str:
    """Clinic by clinic (unless ``stat``), then a table: clinics affected and shielded per clause."""
    data = report_data(report)
    lines = [f"network impact {report.old} → {report.new}: {len(report.clinics)} clinics"]
    lines += [f"  note: {note}" for note in report.notes]
    if not stat:
        for clinic in report.clinics:
            if clinic.error:
                label = {"new": " (new clinic)", "removed": " (removed clinic)"}.get(clinic.status, "")
                lines.append(f"  {clinic.id}{label}: ERROR {clinic.error}")
                continue
            if clinic.status != "kept":
                lines.append(f"  {clinic.id}: {_whole(clinic)}")
                continue
            if not clinic.changes and not clinic.shielded:
                continue
            parts = [f"{cid} ({status})" for cid, status in clinic.changes.items()]
            text = f"  {clinic.id}: " + (", ".join(parts) if parts else "no change")
            if clinic.shielded:
                text += "; shielded: " + ", ".join(f"{cid} (by {', '.join(by)})"
                                                   for cid, by in clinic.shielded.items())
            lines.append(text)
    table = data["clauses"]
    if table:
        width = max(len("clause"), *(len(c) for c in table))
        lines.append(f"{'clause':{width}}  affected  shielded")
        for clause, row in table.items():
            lines.append(f"{clause:{width}}  {len(row['affected']):8}  {len(row['shielded']):8}")
    for status in ("new", "removed"):
        ids = [c.id for c in report.with_status(status)]
        if ids:
            lines.append(f"{status} clinics: {', '.join(ids)}")
    lines.append(_summary(data["summary"]))
    return "\n".join(lines) + "\n"


def _whole(clinic: ClinicImpact) -> str:
    """``new clinic (6 clauses added)`` / ``removed clinic (6 clauses removed)``."""
    n = len(clinic.changes)
    mark = "added" if clinic.status == "new" else "removed"
    return f"{clinic.status} clinic ({n} clause{'s' if n != 1 else ''} {mark})"


def _summary(s: Mapping[str, int]) -> str:
    """E.g. '3 of 5 clinics affected, 1 shielded only, 1 new, 1 removed, 0 error(s)'."""
    kept = s["clinics"] - s["new"] - s["removed"]
    roster = "".join(f", {s[k]} {k}" for k in ("new", "removed") if s[k])
    return (f"{s['affected']} of {kept} clinics affected, {s['shielded']} shielded only{roster}, "
            f"{s['errors']} error(s)")


def render_html(report: NetworkReport) -> str:
    """A standalone HTML page: the per-clause table and the clinic list (all content escaped)."""
    data = report_data(report)
    rows = "".join(f"<tr><td><code>{escape(c)}</code></td><td>{len(r['affected'])}</td><td>{len(r['shielded'])}</td>"
                   f"<td>{escape(', '.join(r['affected']))}</td><td>{escape(', '.join(r['shielded']))}</td></tr>"
                   for c, r in data["clauses"].items())
    clinics = []
    for clinic in report.clinics:
        if clinic.error:
            detail = f"<strong>error:</strong> {escape(clinic.error)}"
            if clinic.status != "kept":
                detail = f"{escape(clinic.status)} clinic; {detail}"
        elif clinic.status != "kept":
            tag = "ins" if clinic.status == "new" else "del"
            detail = f"<{tag}>{escape(_whole(clinic))}</{tag}>"
        elif clinic.changes or clinic.shielded:
            detail = escape(", ".join(f"{k} ({v})" for k, v in clinic.changes.items()) or "no change")
            if clinic.shielded:
                detail += "; shielded: " + escape(", ".join(f"{k} (by {', '.join(v)})"
                                                             for k, v in clinic.shielded.items()))
        else:
            continue
        clinics.append(f'<li class="{escape(clinic.status, quote=True)}"><strong>{escape(clinic.name)}</strong> '
                       f"(<code>{escape(clinic.id)}</code>): {detail}</li>")
    s = data["summary"]
    notes = "".join(f'<p class="note">{escape(note)}</p>' for note in report.notes)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>Network impact {escape(report.old)} → {escape(report.new)}</title><style>"
            "body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:auto;padding:1rem}"
            "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}"
            "</style></head><body><main>"
            f"<h1>Network impact {escape(report.old)} → {escape(report.new)}</h1>"
            f"<p>{escape(_summary(s))}.</p>{notes}"
            "<h2>Clinics per clause</h2><table><thead><tr><th>Clause</th><th>Affected</th><th>Shielded</th>"
            f"<th>Affected clinics</th><th>Shielded clinics</th></tr></thead><tbody>{rows}</tbody></table>"
            f"<h2>Clinics</h2><ul>{''.join(clinics)}</ul></main></body></html>\n")

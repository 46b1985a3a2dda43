"""Read and validate YAML layers and clinic targets."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterable, Mapping

from .errors import InputError
from .ids import CLAUSE_ID, LAYER_ID, is_safe_file_id
from .model import KIND_RANK, OPERATIONS, Layer, Operation, Target
from .yamlio import line_of, read_yaml

_POSITION_KEYS = ("before", "after", "section")
_OP_FIELDS: dict[str, set[str]] = {
    "add": {"id", "title", "body", "topics", "before", "after", "section", "section_title"},
    "replace": {"clause", "title", "body", "topics", "optional", "written_against"},
    "amend": {"clause", "append", "prepend", "topics", "optional", "written_against"},
    "remove": {"clause", "optional"},
    "move": {"clause", "before", "after", "section", "optional"},
    "set": {"values", "defaults", "last_verified", "source"},
    "require": {"topic", "message"},
    "forbid": {"pattern", "topic", "message"},
}
_COMMON = {"op", "citation", "reason"}
_CITED_KINDS = {"jurisdiction", "profession"}
_CITED_OPS = {"add", "replace", "amend", "require", "forbid"}


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def flatten_variables(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Turn ``{clinic: {name: x}}`` (or dotted keys) into ``{"clinic.name": x}``."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_variables(value, name + "."))
        else:
            flat[name] = value
    return flat


def parse_operation(raw: Any, *, kind: str, file: str, layer: str) -> Operation:
    """Validate one operation mapping; errors name the file, line, layer and clause."""
    line = line_of(raw)
    where = {"file": file, "line": line, "layer": layer}
    if not isinstance(raw, Mapping) or "op" not in raw:
        raise InputError("each operation must be a mapping with an 'op' key", **where)
    op = raw["op"]
    if op not in OPERATIONS:
        raise InputError(f"unknown operation {op!r} (one of: {', '.join(OPERATIONS)})", **where)
    clause = raw.get("id") if op == "add" else raw.get("clause")
    where["clause"] = clause if isinstance(clause, str) else None
    unknown = set(raw) - _OP_FIELDS[op] - _COMMON
    if unknown:
        raise InputError(f"'{op}' does not take field(s): {', '.join(sorted(map(str, unknown)))}", **where)
    if op in ("add", "replace", "amend", "remove", "move"):
        if not isinstance(clause, str) or not CLAUSE_ID.match(clause):
            key = "id" if op == "add" else "clause"
            raise InputError(f"'{op}' needs a valid '{key}' (lowercase letters, digits, '-')", **where)
    if op == "add":
        for key in ("title", "body"):
            if not _text(raw.get(key)):
                raise InputError(f"'add' needs a non-empty '{key}'", **where)
        if sum(k in raw for k in _POSITION_KEYS) != 1:
            raise InputError("'add' needs exactly one position: before, after or section", **where)
    elif op == "replace":
        if not any(k in raw for k in ("title", "body", "topics")):
            raise InputError("'replace' needs a title, body or topics", **where)
        for key in ("title", "body"):
            if key in raw and not _text(raw[key]):
                raise InputError(f"'replace' {key} must be non-empty text", **where)
    elif op == "amend":
        if ("append" in raw) == ("prepend" in raw):
            raise InputError("'amend' needs exactly one of append or prepend", **where)
        if not _text(raw.get("append", raw.get("prepend"))):
            raise InputError("'amend' text must be non-empty", **where)
    elif op == "remove":
        if not _text(raw.get("reason")):
            raise InputError("'remove' needs a reason", **where)
    elif op == "move":
        if sum(k in raw for k in _POSITION_KEYS) != 1:
            raise InputError("'move' needs exactly one position: before, after or section", **where)
    elif op == "set":
        if not raw.get("values") and not raw.get("defaults"):
            raise InputError("'set' needs values or defaults", **where)
        for key in ("values", "defaults"):
            if key in raw and not isinstance(raw[key], Mapping):
                raise InputError(f"'set' {key} must be a mapping of variable names", **where)
    elif op == "require":
        if not _text(raw.get("topic")):
            raise InputError("'require' needs a topic", **where)
    elif op == "forbid":
        if ("pattern" in raw) == ("topic" in raw):
            raise InputError("'forbid' needs exactly one of pattern or topic", **where)
        if "pattern" in raw:
            try:
                re.compile(str(raw["pattern"]))
            except re.error as exc:
                raise InputError(f"'forbid' pattern is not a valid regular expression: {exc}", **where) from None
    if "written_against" in raw:
        hashes = raw["written_against"] if isinstance(raw["written_against"], list) else [raw["written_against"]]
        if not all(isinstance(h, str) and re.fullmatch(r"[0-9a-f]{8,64}", h) for h in hashes):
            raise InputError("'written_against' must be a quoted content hash (hex) or a list of them; "
                             "'policystack stamp' writes it", **where)
    if "topics" in raw and (not isinstance(raw["topics"], list)
                            or not all(isinstance(t, str) for t in raw["topics"])):
        raise InputError("topics must be a list of words", **where)
    if kind in _CITED_KINDS and op in _CITED_OPS and not _text(raw.get("citation")):
        raise InputError(f"'{op}' in a {kind} layer needs a citation", **where)
    fields = {k: v for k, v in raw.items() if k != "op"}
    if op == "set":
        for key in ("values", "defaults"):
            if key in fields:
                fields[key] = flatten_variables(fields[key])
    return Operation(op=op, fields=fields, line=line)


def parse_operations(raw_ops: Any, *, kind: str, file: str, layer: str, line: int | None) -> tuple[Operation, ...]:
    if raw_ops is None:
        return ()
    if not isinstance(raw_ops, list):
        raise InputError("'operations' must be a list", file=file, line=line, layer=layer)
    return tuple(parse_operation(raw, kind=kind, file=file, layer=layer) for raw in raw_ops)


def _str_tuple(value: Any, *, name: str, file: str, layer: str, line: int | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise InputError(f"'{name}' must be a list of ids", file=file, line=line, layer=layer)


def layer_from_data(data: Any, *, file: str, plugin: str = "") -> Layer:
    """Build a Layer from parsed YAML ``{layer: {...}, operations: [...]}``."""
    if not isinstance(data, Mapping) or not isinstance(data.get("layer"), Mapping):
        raise InputError("a layer file needs a 'layer:' header mapping", file=file, line=1)
    head = data["layer"]
    line = line_of(head)
    layer_id = head.get("id")
    if not isinstance(layer_id, str) or not LAYER_ID.match(layer_id):
        raise InputError(f"invalid or missing layer id {layer_id!r}", file=file, line=line)
    kind = head.get("kind")
    if kind not in KIND_RANK or kind == "base":
        raise InputError(f"unknown layer kind {kind!r} (one of: {', '.join(k for k in KIND_RANK if k != 'base')})",
                         file=file, line=line, layer=layer_id)
    unknown_top = set(data) - {"layer", "operations"}
    if unknown_top:
        raise InputError(f"unexpected top-level key(s): {', '.join(sorted(map(str, unknown_top)))}",
                         file=file, line=line, layer=layer_id)
    priority = head.get("priority", 0)
    if not isinstance(priority, int):
        raise InputError("'priority' must be a whole number", file=file, line=line, layer=layer_id)
    when = head.get("when") or {}
    if not isinstance(when, Mapping):
        raise InputError("'when' must be a mapping of variable: value", file=file, line=line, layer=layer_id)
    sources = head.get("sources") or []
    if not isinstance(sources, list):
        raise InputError("'sources' must be a list", file=file, line=line, layer=layer_id)
    common = {"file": file, "layer": layer_id, "line": line}
    return Layer(
        id=layer_id, kind=kind,
        operations=parse_operations(data.get("operations"), kind=kind, file=file, layer=layer_id,
                                    line=line),
        name=str(head.get("name") or layer_id), version=str(head.get("version", "0")),
        reviewed=str(head["reviewed"]) if head.get("reviewed") else None,
        priority=priority,
        after=_str_tuple(head.get("after"), name="after", **common),
        parent=head.get("parent"),
        professions=_str_tuple(head.get("professions"), name="professions", **common),
        jurisdictions=_str_tuple(head.get("jurisdictions"), name="jurisdictions", **common),
        when=flatten_variables(when), sources=tuple(sources), origin=file, plugin=plugin)


def read_layer(path: str | Path, *, plugin: str = "") -> Layer:
    """Read one layer YAML file."""
    return layer_from_data(read_yaml(path), file=str(path), plugin=plugin)


def find_layer_files(paths: Iterable[Path]) -> list[Path]:
    """All ``*.yaml``/``*.yml`` files below the given folders (or the files themselves), sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    return sorted(set(found))


_TARGET_FIELDS = {"id", "name", "address", "phone", "email", "website", "jurisdictions",
                  "profession", "professions", "organization", "variables", "operations"}


def target_from_data(data: Any, *, file: str) -> Target:
    """Build a Target (one clinic) from parsed YAML or a roster row."""
    if not isinstance(data, Mapping):
        raise InputError("a target must be a mapping (id, name, jurisdictions, ...)", file=file, line=1)
    line = line_of(data)
    unknown = set(data) - _TARGET_FIELDS
    if unknown:
        raise InputError(f"unknown target field(s): {', '.join(sorted(map(str, unknown)))} "
                         "(put custom values under 'variables')", file=file, line=line)
    target_id = data.get("id")
    if not isinstance(target_id, str) or not is_safe_file_id(target_id):
        raise InputError(f"invalid clinic id {target_id!r}: use letters, digits, '.', '_' or '-' "
                         "(it becomes a file name)", file=file, line=line)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InputError("missing clinic name", file=file, line=line)
    jurisdictions = data.get("jurisdictions")
    if isinstance(jurisdictions, str):
        jurisdictions = [j for j in jurisdictions.replace(";", ",").split(",") if j.strip()]
    if not jurisdictions or not all(isinstance(j, str) for j in jurisdictions):
        raise InputError("'jurisdictions' must list at least one jurisdiction code (e.g. [us, us-ca])",
                         file=file, line=line)
    professions = data.get("professions", data.get("profession")) or []
    if isinstance(professions, str):
        professions = [p for p in professions.replace(";", ",").split(",") if p.strip()]
    variables = data.get("variables") or {}
    if not isinstance(variables, Mapping):
        raise InputError("'variables' must be a mapping", file=file, line=line)
    for key in ("address", "phone", "email", "website", "organization"):
        value = data.get(key)
        if value is not None and not isinstance(value, (str, int)):
            raise InputError(f"'{key}' must be text", file=file, line=line)
    return Target(
        id=target_id, name=name,
        jurisdictions=tuple(j.strip().lower() for j in jurisdictions),
        professions=tuple(str(p).strip().lower() for p in professions),
        organization=(str(data["organization"]).strip() or None) if data.get("organization") else None,
        address=_opt(data.get("address")), phone=_opt(data.get("phone")),
        email=_opt(data.get("email")), website=_opt(data.get("website")),
        variables=flatten_variables(variables),
        operations=parse_operations(data.get("operations"), kind="clinic", file=file,
                                    layer=f"clinic:{target_id}", line=line),
        origin=file)


def _opt(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def read_target(path: str | Path) -> Target:
    """Read one clinic target YAML file."""
    return target_from_data(read_yaml(path), file=str(path))

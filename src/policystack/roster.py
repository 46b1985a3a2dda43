"""Read a network's clinic roster (CSV or YAML) and validate every row before anything is built.

One row per clinic: ``id``, ``name``, ``address``, ``phone``, ``email``,
``website``, ``jurisdictions``, ``profession``, ``organization``; any other
column is a variable (``telehealth``, ``clinic.email_response_days``). Every
problem of every row is collected and reported at once, with its line and column.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping

from .errors import InputError
from .ids import TARGET_ID, is_safe_file_id
from .model import Target

if TYPE_CHECKING:
    from .catalogue import Catalogue

#: Columns with a meaning of their own; every other column becomes a variable.
STANDARD = ("id", "name", "address", "phone", "email", "website", "jurisdictions", "profession",
            "organization")
REQUIRED = ("id", "name", "jurisdictions", "profession")
_ALIASES = {"jurisdiction": "jurisdictions", "professions": "profession", "clinic_id": "id",
            "organisation": "organization", "org": "organization", "e_mail": "email", "telephone": "phone",
            "tel": "phone", "phone_number": "phone", "url": "website", "web": "website", "clinic_name": "name"}
_YAML_ONLY = ("variables", "operations")
MAX_NAME = 500

_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")
_NOT_EMAIL = r"\s@\"(),:;<>\[\]\\"
_EMAIL = re.compile(rf"^[^{_NOT_EMAIL}]+@(?!-)[^{_NOT_EMAIL}.]+(?:\.[^{_NOT_EMAIL}.]+)+$")
_PHONE = re.compile(r"^\+?[0-9 ().\-/]+(?:\s*(?:ext\.?|x)\s*[0-9]{1,6})?$", re.IGNORECASE)
_EXTENSION = re.compile(r"(?:ext\.?|x)\s*[0-9]{1,6}$", re.IGNORECASE)
_SPLIT = re.compile(r"[;,\s]+")
_LIST = re.compile(r"[;,]+")


@dataclass(frozen=True)
class RosterProblem:
    """One problem in one row (or in the header)."""

    line: int | None
    column: str | None
    message: str
    clinic: str | None = None

    def describe(self, file: str) -> str:
        where = f"{file}:{self.line}" if self.line else file
        column = f" column '{self.column}':" if self.column else ""
        return f"{where}:{column} {self.message}"


class RosterError(InputError):
    """The roster has problems; ``problems`` lists every one of them."""

    def __init__(self, file: str, problems: list[RosterProblem]) -> None:
        self.problems = problems
        self.roster = file
        lines = "\n".join("  " + p.describe(file) for p in problems)
        super().__init__(f"{len(problems)} problem(s) in the roster; nothing was built:\n{lines}", file=file)

    def __str__(self) -> str:  # the file is named on every line already
        return self.message


@dataclass
class _Row:
    line: int | None
    data: dict[str, Any]


# ---------------------------------------------------------------- reading

def _decode(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("roster not found", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read roster: {exc}", file=path) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise RosterError(str(path), [RosterProblem(line, None, "not valid UTF-8 text (save the roster as "
                                                               "UTF-8)")]) from None


def _csv_rows(text: str, problems: list[RosterProblem]) -> Iterator[_Row]:
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    previous_end = 0
    try:
        for cells in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if header is None:
                header = _header(cells, start, problems)
                continue
            if len(cells) > len(header):
                extra = [c for c in cells[len(header):] if c.strip()]
                if extra:
                    problems.append(RosterProblem(start, None, f"row has {len(cells)} cells but the header has "
                                                               f"{len(header)} columns"))
            data = {name: cell for name, cell in zip(header, cells) if name}
            yield _Row(start, data)
    except csv.Error as exc:
        problems.append(RosterProblem(reader.line_num, None, f"malformed CSV: {exc}"))
    if header is None:
        problems.append(RosterProblem(1, None, "the roster is empty (expected a header row: "
                                               + ",".join(REQUIRED) + ", ...)"))


def _header(cells: list[str], line: int, problems: list[RosterProblem]) -> list[str]:
    names: list[str] = []
    for index, cell in enumerate(cells, 1):
        name = cell.strip()
        key = re.sub(r"[\s-]+", "_", name.lower())  # 'Clinic Director' → clinic_director
        key = _ALIASES.get(key, key)
        if key.startswith("variables."):
            key = key[len("variables."):]
        if not name:
            problems.append(RosterProblem(line, f"#{index}", "empty column name"))
        elif key not in STANDARD and not _VARIABLE.match(key):
            problems.append(RosterProblem(line, name, "not a standard column and not a valid variable name "
                                                      "(letters, digits, '_', dotted)"))
            key = ""
        elif key in names:
            problems.append(RosterProblem(line, name, "duplicate column"))
            key = ""
        names.append(key)
    missing = [r for r in REQUIRED if r not in names]
    if missing:
        problems.append(RosterProblem(line, None, f"missing required column(s): {', '.join(missing)}"))
    return names


def _yaml_rows(path: Path, text: str, problems: list[RosterProblem]) -> Iterator[_Row]:
    from .yamlio import line_of, parse_yaml

    data = parse_yaml(text, file=path)
    if isinstance(data, Mapping) and "clinics" in data:
        data = data["clinics"]
    if not isinstance(data, list):
        problems.append(RosterProblem(1, None, "a YAML roster is a list of clinics (or 'clinics:' and a list)"))
        return
    for item in data:
        line = line_of(item)
        if not isinstance(item, Mapping):
            problems.append(RosterProblem(line, None, "each clinic must be a mapping (id, name, ...)"))
            continue
        row: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in item.items():
            name = _ALIASES.get(str(key), str(key))
            if name in STANDARD or name in _YAML_ONLY:
                row[name] = value
            elif _VARIABLE.match(name):
                extra[name] = value
            else:
                problems.append(RosterProblem(line, name, "not a standard field and not a valid variable name"))
        if extra:
            variables = row.get("variables")
            row["variables"] = {**variables, **extra} if isinstance(variables, Mapping) else \
                (extra if variables is None else variables)
        yield _Row(line, row)


def _rows(path: Path, problems: list[RosterProblem]) -> list[_Row]:
    text = _decode(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        return list(_yaml_rows(path, text, problems))
    if path.suffix.lower() in (".csv", ".tsv", ".txt"):
        return list(_csv_rows(text, problems))
    raise InputError("unknown roster type: use a .csv or .yaml file", file=path)


# ---------------------------------------------------------------- validation

def id_problem(value: str) -> str | None:
    """Why ``value`` cannot be a clinic id (a folder name), or None when it can."""
    if is_safe_file_id(value):
        return None
    if "/" in value or "\\" in value:
        return f"id {value!r} contains a path separator (it becomes a folder name)"
    if value in (".", "..") or value.startswith("."):
        return f"id {value!r} starts with '.' (hidden or parent folder)"
    if len(value) > 64:
        return f"id is {len(value)} characters long (at most 64)"
    if TARGET_ID.match(value) and value.endswith("."):
        return f"id {value!r} ends with '.'"
    if TARGET_ID.match(value):
        return f"id {value!r} is a reserved device name on Windows"
    return f"id {value!r} may only use letters A-Z, digits, '.', '_' and '-', starting with a letter or digit"


def phone_problem(value: str) -> str | None:
    """Why ``value`` is not a phone number, or None."""
    if not _PHONE.match(value.strip()):
        return f"invalid phone number {value!r} (digits, spaces, '+', '-', '.', '(', ')')"
    digits = re.sub(r"\D", "", _EXTENSION.sub("", value.strip()))
    if not 5 <= len(digits) <= 15:
        return f"invalid phone number {value!r}: {len(digits)} digits (expected 5 to 15)"
    return None


def email_problem(value: str) -> str | None:
    """Why ``value`` is not an email address, or None."""
    if len(value) > 254 or not _EMAIL.match(value.strip()) or ".." in value:
        return f"invalid email address {value!r}"
    return None


def _controls(value: str, allow: str = "") -> bool:
    """True when ``value`` holds control or invisible formatting characters (other than ``allow``)."""
    return any(unicodedata.category(ch) in ("Cc", "Cs", "Co") and ch not in allow for ch in value) \
        or any(ch in value for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _codes(value: Any, split: re.Pattern = _SPLIT) -> list[str]:
    """Codes from a list or a 'us;us-ca' cell, lowercase; inner spaces become '-' ('Social Worker')."""
    if isinstance(value, str):
        items = split.split(value)
    elif isinstance(value, list):
        items = [str(c) for c in value]
    else:
        return []
    return [re.sub(r"[\s_]+", "-", c.strip().lower()) for c in items if c.strip()]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _scalar(value: Any) -> Any:
    """A CSV cell as a variable value: true/false/yes/no become booleans, plain integers numbers, the rest text."""
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "false", "yes", "no"):
            return lowered in ("true", "yes")
        if re.fullmatch(r"-?(?:0|[1-9][0-9]{0,15})", lowered):
            return int(lowered)
        return value.strip()
    return value


class _Validator:
    def __init__(self, catalogue: "Catalogue | None") -> None:
        self.catalogue = catalogue
        self.jurisdictions: set[str] | None = None
        self.professions: set[str] | None = None
        self.organizations: set[str] | None = None
        if catalogue is not None:
            self.jurisdictions = {l.id for l in catalogue.of_kind("jurisdiction")}
            self.professions = {p for l in catalogue.of_kind("profession") for p in l.professions}
            self.organizations = {l.id for l in catalogue.of_kind("organization")}

    def row(self, row: _Row, add: Any) -> dict[str, Any]:
        """Check one row; return the mapping for ``target_from_data``."""
        data = row.data
        out: dict[str, Any] = {}
        for name in REQUIRED:
            if _blank(data.get(name)) or (name in ("jurisdictions", "profession") and not _codes(data.get(name), _LIST)):
                add(name, f"missing required field '{name}'")
        clinic_id = data.get("id")
        if not _blank(clinic_id):
            clinic_id = str(clinic_id).strip()
            problem = id_problem(clinic_id)
            if problem:
                add("id", problem)
            out["id"] = clinic_id
        name = data.get("name")
        if not _blank(name):
            name = str(name).strip()
            if _controls(name):
                add("name", "contains control characters")
            elif len(name) > MAX_NAME:
                add("name", f"is {len(name)} characters long (at most {MAX_NAME})")
            out["name"] = name
        for key in ("address", "website"):
            value = data.get(key)
            if not _blank(value):
                value = str(value).strip()
                if _controls(value, allow="\n" if key == "address" else ""):
                    add(key, "contains control characters")
                if key == "website" and not re.match(r"^https?://\S+$", value):
                    add(key, f"invalid website {value!r} (expected http:// or https://...)")
                out[key] = value
        for key, check in (("phone", phone_problem), ("email", email_problem)):
            value = data.get(key)
            if not _blank(value):
                value = str(value).strip()
                problem = check(value)
                if problem:
                    add(key, problem)
                out[key] = value
        codes = _codes(data.get("jurisdictions"))
        if codes:
            for code in codes:
                if self.jurisdictions is not None and code not in self.jurisdictions:
                    add("jurisdictions", f"unknown jurisdiction '{code}'" + _hint(code, self.jurisdictions))
            out["jurisdictions"] = codes
        professions = _codes(data.get("profession"), _LIST)
        if professions:
            for profession in professions:
                if self.professions is not None and profession not in self.professions:
                    add("profession", f"unknown profession '{profession}'" + _hint(profession, self.professions))
            out["profession"] = professions
        organization = data.get("organization")
        if not _blank(organization):
            organization = str(organization).strip()
            if self.organizations is not None and organization not in self.organizations:
                add("organization", f"unknown organization '{organization}'"
                    + _hint(organization, self.organizations))
            out["organization"] = organization
        variables: dict[str, Any] = {}
        raw_variables = data.get("variables")
        if raw_variables is not None and not isinstance(raw_variables, Mapping):
            add("variables", "must be a mapping of variable names")
        elif raw_variables:
            variables.update(raw_variables)
        for key, value in data.items():
            if key not in STANDARD and key not in _YAML_ONLY and not _blank(value):
                variables[key] = _scalar(value)
        if variables:
            out["variables"] = variables
        if data.get("operations"):
            out["operations"] = data["operations"]
        return out


def _hint(name: str, known: Iterable[str]) -> str:
    from .ids import suggest

    hint = suggest(name, known)
    return f" ({hint})" if hint else f" (known: {', '.join(sorted(known)) or 'none'})"


def validate_roster(path: str | Path, catalogue: "Catalogue | None" = None) -> tuple[list[Target],
                                                                                     list[RosterProblem]]:
    """Every clinic of the roster, and every problem found (empty when the roster is valid)."""
    from .layer_files import target_from_data

    path = Path(path)
    problems: list[RosterProblem] = []
    rows = _rows(path, problems)
    validator = _Validator(catalogue)
    targets: list[Target] = []
    seen: dict[str, int | None] = {}
    for row in rows:
        found: list[RosterProblem] = []
        clinic = str(row.data.get("id") or "").strip() or None

        def add(column: str | None, message: str, _row: _Row = row, _found: list = found) -> None:
            _found.append(RosterProblem(_row.line, column, message, clinic))

        data = validator.row(row, add)
        if clinic is not None:
            folded = clinic.casefold()
            if folded in seen:
                first = seen[folded]
                add("id", f"duplicate id '{clinic}' (first used on line {first}; ids are compared ignoring case, "
                          "since they become folder names)")
            else:
                seen[folded] = row.line
        if not found:
            origin = f"{path.name}:{row.line}" if row.line else path.name
            try:
                targets.append(target_from_data(data, file=origin))
            except InputError as exc:
                add(None, exc.message)
        problems.extend(found)
    if not rows and not problems:
        problems.append(RosterProblem(None, None, "the roster lists no clinics"))
    problems.sort(key=lambda p: (p.line or 0))
    return targets, problems


def read_roster(path: str | Path, catalogue: "Catalogue | None" = None) -> list[Target]:
    """The clinics of a CSV or YAML roster; raise RosterError listing every problem at once.

    With a ``catalogue``, jurisdiction, profession and organization codes are checked too.
    """
    targets, problems = validate_roster(path, catalogue)
    if problems:
        raise RosterError(str(path), problems)
    return targets

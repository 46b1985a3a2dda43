"""The batch manifest: what every clinic's documents were built from, and their hashes.

Deterministic: no timestamps, durations or run counters, so the same inputs give
a byte-identical manifest. A clinic's ``status`` is ``ok``, ``failed`` or
``pending`` (being rebuilt when the run stopped: its files are not vouched for).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterable

from .files import MANIFEST, write_one

SCHEMA = "policystack.batch-manifest/1"


def manifest_json(header: dict[str, Any], records: Iterable[dict[str, Any]]) -> bytes:
    """The manifest's canonical bytes: sorted keys, clinics in roster order, a summary."""
    clinics = list(records)
    summary = {status: sum(1 for r in clinics if r["status"] == status) for status in ("ok", "failed", "pending")}
    data = {**header, "schema": SCHEMA, "clinics": clinics, "summary": {"clinics": len(clinics), **summary}}
    return (json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8")


def write_manifest(out: Path, header: dict[str, Any], records: Iterable[dict[str, Any]]) -> None:
    """Replace ``OUT/manifest.json`` atomically, after flushing every output written so far to disk
    (one sync per checkpoint instead of one per file: an ``ok`` entry never outlives its data)."""
    os.sync()
    write_one(out / MANIFEST, manifest_json(header, records))


def read_manifest(out: Path) -> dict[str, dict[str, Any]]:
    """The previous run's clinic records by id ({} when there is none or it is unreadable)."""
    path = out / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("clinics"), list):
        return {}
    return {r["id"]: r for r in data["clinics"] if isinstance(r, dict) and isinstance(r.get("id"), str)}


def pending_record(record: dict[str, Any] | None, clinic_id: str, name: str) -> dict[str, Any]:
    """The record of a clinic about to be rebuilt: its old files are listed without hashes."""
    outputs = [{**o, "sha256": None} for o in (record or {}).get("outputs", [])]
    return {"id": clinic_id, "name": name, "status": "pending", "inputs": None, "key": None,
            "layers": [], "plugins": [], "outputs": outputs, "error": None, "warnings": []}

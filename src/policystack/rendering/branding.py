"""Where an organization's branding lives.

The branding folder of a policy is, first found:

1. the folder named by the variable ``branding.folder`` (relative to the project root), which any
   layer or the clinic file can set;
2. ``branding/`` beside the organization layer's file, or beside the folder that file is in
   (``examples/harbor-network/layers/harbor-health.yaml`` → ``examples/harbor-network/branding/``).

It may hold ``reference.docx`` (pandoc's reference-doc convention: styles, fonts, page set-up,
header with logo; used for DOCX) and ``logo.png`` (shown at the top of the HTML page and in the
PDF's page header).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from ..errors import InputError
from ..model import ResolvedPolicy

FOLDER_VARIABLE = "branding.folder"


def branding_folder(policy: ResolvedPolicy, root: Path | None) -> Path | None:
    """The policy's branding folder, or None when there is none."""
    base = root or Path.cwd()
    named = policy.variables.get(FOLDER_VARIABLE)
    if named is not None and str(named.value).strip():
        folder = (base / str(named.value)).resolve()
        if not folder.is_dir():
            raise InputError(f"branding folder not found: {folder}", layer=named.set_by)
        return folder
    for layer in policy.layers:
        if layer.kind != "organization" or not layer.origin or layer.origin.startswith("<"):
            continue
        origin = Path(layer.origin)
        for folder in candidate_folders(origin if origin.is_absolute() else base / origin):
            if folder.is_dir():
                return folder.resolve()
    return None


def candidate_folders(layer_file: Path) -> tuple[Path, Path]:
    """Where an organization layer's branding may be: ``branding/`` beside its file or beside its folder."""
    return layer_file.parent / "branding", layer_file.parent.parent / "branding"


def project_branding_folders(layers: Iterable[Any], root: Path) -> list[Path]:
    """Every branding folder the project's organization layers can use (for shipping a project elsewhere)."""
    found: list[Path] = []
    for layer in layers:
        if layer.kind != "organization" or not layer.origin or layer.origin.startswith("<"):
            continue
        found += [f for f in candidate_folders(Path(layer.origin)) if f.is_dir()]
        for op in layer.operations:
            named = (op.fields.get("values") or {}).get(FOLDER_VARIABLE) if op.op == "set" else None
            if named and (root / str(named)).is_dir():
                found.append(root / str(named))
    return sorted({f.resolve() for f in found})


def branding_file(policy: ResolvedPolicy, root: Path | None, name: str) -> Path | None:
    """A file of the branding folder (``reference.docx``, ``logo.png``), if present."""
    folder = branding_folder(policy, root)
    if folder is None:
        return None
    path = folder / name
    return path if path.is_file() else None


@lru_cache(maxsize=16)
def _read(path: str, stamp: float) -> bytes:
    return Path(path).read_bytes()


def logo_png(policy: ResolvedPolicy, root: Path | None) -> bytes | None:
    """The branding folder's ``logo.png`` (PNG bytes), if there is one."""
    path = branding_file(policy, root, "logo.png")
    if path is None:
        return None
    data = _read(str(path), path.stat().st_mtime)
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise InputError("branding logo is not a PNG image", file=path)
    return data


def organization_name(policy: ResolvedPolicy) -> str:
    """The name of the organization layer applied (for the logo's alternative text)."""
    names = [layer.name or layer.id for layer in policy.layers if layer.kind == "organization"]
    return names[-1] if names else policy.target.name

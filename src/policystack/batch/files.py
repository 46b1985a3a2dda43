"""Output files: safe paths inside OUT, atomic writes through a staging folder, hashing."""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
import tempfile
from pathlib import Path
from typing import Mapping

from ..errors import UsageError
from ..ids import is_safe_file_id

#: Temporary files are written here (same file system as OUT) and renamed into place.
STAGING = ".policystack-staging"
MANIFEST = "manifest.json"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str | None:
    """The sha256 of a regular file, or None when it is missing (or not a regular file)."""
    try:
        if path.is_symlink() or not path.is_file():
            return None
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    except OSError:
        return None


def output_relpath(clinic_id: str, policy_id: str, extension: str) -> str:
    """``<clinic-id>/<policy-id>.<ext>``; refuses anything that is not a safe single name."""
    for part in (clinic_id, f"{policy_id}.{extension}"):
        if not is_safe_file_id(part):
            raise UsageError(f"unsafe output name {part!r}")
    return f"{clinic_id}/{policy_id}.{extension}"


def inside(out: Path, relpath: str) -> Path:
    """``out / relpath`` for a ``<clinic>/<file>`` path; refuses anything that could leave ``out``."""
    parts = relpath.split("/")
    if len(parts) != 2 or not all(is_safe_file_id(part) for part in parts):
        raise UsageError(f"unsafe output path {relpath!r}")
    folder = out.resolve() / parts[0]
    if folder.is_symlink():
        raise UsageError(f"output folder {folder} is a symbolic link; refusing to write through it")
    return folder / parts[1]


_made: set[Path] = set()
_serial = itertools.count()


def _ensure(folder: Path) -> None:
    if folder not in _made:
        folder.mkdir(parents=True, exist_ok=True)
        _made.add(folder)


def write_files(out: Path, files: Mapping[str, bytes]) -> None:
    """Write each ``relpath → bytes`` to a staging name, then rename it into place.

    A reader (or an interrupted run) sees either the old file or the new one, never part of one.
    Data reaches the disk before the manifest vouches for it: ``write_manifest`` syncs first.
    """
    staging = out / STAGING
    _ensure(staging)
    staged: list[tuple[Path, Path]] = []
    try:
        for relpath, data in files.items():
            tmp = staging / f"{os.getpid()}-{next(_serial)}.tmp"
            destination = inside(out, relpath)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            staged.append((tmp, destination))
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
        for tmp, destination in staged:
            destination.parent.mkdir(exist_ok=True)
            os.replace(tmp, destination)
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise


def write_one(path: Path, data: bytes) -> None:
    """Atomically replace one file (the manifest), via a temporary name beside it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remove_output(out: Path, relpath: str) -> None:
    """Delete one output file (if present) and its clinic folder once empty."""
    try:
        path = inside(out, relpath)
    except UsageError:
        return
    path.unlink(missing_ok=True)
    try:
        path.parent.rmdir()
    except OSError:
        pass


def clean_staging(out: Path) -> None:
    """Remove temporary files an interrupted run left behind."""
    shutil.rmtree(out / STAGING, ignore_errors=True)
    _made.clear()
    for stale in out.glob(f".{MANIFEST}.*.tmp"):
        stale.unlink(missing_ok=True)

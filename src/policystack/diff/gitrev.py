"""Read a project as it was at a git revision, without touching the work tree.

``git archive REV`` of the project folder is unpacked into a temporary folder;
everything (policy, layers, plugins, targets) is then read from there.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

from ..errors import UsageError

WORKTREE = None  # the side of a revision range that means "the files as they are now"


def parse_range(spec: str) -> tuple[str, str | None]:
    """``A..B`` → (A, B); ``A`` → (A, None), meaning A against the work tree."""
    if ".." in spec:
        old, _, new = spec.partition("..")
        if not old or not new or new.startswith("."):
            raise UsageError(f"--rev needs OLD..NEW or OLD, got '{spec}'")
        return old, new
    if not spec:
        raise UsageError("--rev needs a revision")
    return spec, WORKTREE


def _git(args: list[str], cwd: Path) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except OSError as exc:
        raise UsageError(f"cannot run git: {exc}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(f"git {' '.join(args[:2])} failed: {message[-1] if message else done.returncode}")
    return done.stdout


def toplevel(path: Path) -> Path:
    """The root of the git repository holding ``path``."""
    return Path(_git(["rev-parse", "--show-toplevel"], path).decode().strip())


def resolve_rev(repo: Path, rev: str) -> str:
    """The commit id ``rev`` names (clear error when it names nothing)."""
    try:
        return _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], repo).decode().strip()
    except UsageError:
        raise UsageError(f"unknown git revision '{rev}'") from None


def export(root: Path, rev: str, dest: Path) -> Path:
    """Unpack the project folder ``root`` as it was at ``rev`` into ``dest``; return the project root there."""
    root = root.resolve()
    repo = toplevel(root)
    commit = resolve_rev(repo, rev)
    prefix = root.relative_to(repo.resolve()).as_posix()
    args = ["archive", "--format=tar", commit]
    if prefix != ".":
        args += ["--", prefix]
    data = _git(args, repo)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")
    project = dest / prefix if prefix != "." else dest
    if not project.is_dir():
        raise UsageError(f"the project folder '{prefix}' does not exist at revision '{rev}'")
    return project


def path_in(path: Path, root: Path, exported: Path) -> Path:
    """Where ``path`` (inside the live project ``root``) lies in an exported copy; ``path`` itself otherwise."""
    try:
        relative = path.resolve().relative_to(root.resolve())
    except ValueError:
        return path
    candidate = exported / relative
    return candidate if candidate.exists() else path


def in_repository(path: Path, root: Path) -> tuple[Path, str] | None:
    """(repository, path relative to it) when ``path`` lies inside the git repository holding ``root``."""
    try:
        repo = toplevel(root.resolve()).resolve()
    except UsageError:
        return None
    try:
        return repo, path.resolve().relative_to(repo).as_posix()
    except ValueError:
        return None


def exists_at(repo: Path, rev: str, relative: str) -> bool:
    """True when the file or folder ``relative`` exists at ``rev``."""
    commit = resolve_rev(repo, rev)
    done = subprocess.run(["git", "cat-file", "-e", f"{commit}:{relative}"], cwd=repo, capture_output=True,
                          check=False)
    return done.returncode == 0


def export_path(repo: Path, rev: str, relative: str, dest: Path) -> Path:
    """Unpack one file or folder of the repository as it was at ``rev`` into ``dest``; return where it lies."""
    commit = resolve_rev(repo, rev)
    data = _git(["archive", "--format=tar", commit, "--", relative], repo)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(dest, filter="data")
    return dest / relative

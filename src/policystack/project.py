"""Find a policystack project: the folder whose ``policystack.yaml`` names the policy and layer paths."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError, UsageError
from .yamlio import read_yaml

PROJECT_FILE = "policystack.yaml"
DEFAULTS = {"policy": "policies/social-media", "layer_paths": ["jurisdictions", "professions"],
            "plugins_dir": "plugins"}


@dataclass(frozen=True)
class Project:
    """A project root and the paths read from its ``policystack.yaml``."""

    root: Path
    policy_dir: Path
    layer_paths: tuple[Path, ...]
    plugins_dir: Path | None
    config_file: Path | None = None

    def with_extra_layers(self, paths: tuple[Path, ...]) -> "Project":
        """The same project with more layer folders or files."""
        return Project(self.root, self.policy_dir, self.layer_paths + paths, self.plugins_dir, self.config_file)


def load_project(root: Path, *, plugins_dir: Path | None = None) -> Project:
    """Read ``root/policystack.yaml`` (defaults where it is missing)."""
    root = root.resolve()
    config_file = root / PROJECT_FILE
    config = dict(DEFAULTS)
    if config_file.is_file():
        data = read_yaml(config_file) or {}
        if not isinstance(data, dict):
            raise InputError("project file must be a mapping", file=config_file)
        unknown = set(data) - set(DEFAULTS)
        if unknown:
            raise InputError(f"unknown key(s): {', '.join(sorted(unknown))}", file=config_file)
        config.update(data)
    else:
        config_file = None
    layer_paths: list[Path] = []
    for pattern in config["layer_paths"] or []:
        matches = sorted(glob.glob(str(root / pattern)))
        layer_paths.extend(Path(m) for m in matches)
    plugins = plugins_dir or (root / config["plugins_dir"] if config.get("plugins_dir") else None)
    return Project(root=root, policy_dir=root / config["policy"], layer_paths=tuple(layer_paths),
                   plugins_dir=plugins, config_file=config_file)


def find_project(*, root: str | Path | None = None, start: str | Path | None = None,
                 plugins_dir: str | Path | None = None) -> Project:
    """The project named by ``root``/``POLICYSTACK_ROOT``, or the nearest folder holding ``policystack.yaml``
    above ``start`` (e.g. the target file) or the working directory."""
    plugins = Path(plugins_dir) if plugins_dir else None
    explicit = root or os.environ.get("POLICYSTACK_ROOT")
    if explicit:
        path = Path(explicit)
        if not path.is_dir():
            raise UsageError(f"project root not found: {path}")
        return load_project(path, plugins_dir=plugins)
    candidates = []
    if start is not None:
        candidates.append(Path(start).resolve().parent if Path(start).is_file() else Path(start).resolve())
    candidates.append(Path.cwd())
    for candidate in candidates:
        for folder in (candidate, *candidate.parents):
            if (folder / PROJECT_FILE).is_file():
                return load_project(folder, plugins_dir=plugins)
    raise UsageError(f"no {PROJECT_FILE} found above {candidates[0]}: run inside a policystack project "
                     "or pass --root DIR")

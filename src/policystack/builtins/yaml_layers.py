"""Built-in plugin: register every YAML layer found under the project's layer paths."""

from __future__ import annotations

from typing import Callable

from .. import hookimpl
from ..layer_files import find_layer_files, read_layer
from ..model import Layer
from ..project import Project


@hookimpl
def policystack_register_layers(register: Callable[[Layer], None], project: Project) -> None:
    """Read ``*.yaml`` layers below ``project.layer_paths`` (jurisdictions, professions, organizations)."""
    for path in find_layer_files(project.layer_paths):
        register(read_layer(path, plugin="yaml_layers"))

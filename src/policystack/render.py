"""What a renderer is, and what it is given."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from .content import ClauseContent
from .markup import Lookup
from .model import Finding, ResolvedPolicy


@dataclass(frozen=True)
class RenderContext:
    """Everything a renderer may use besides the policy itself."""

    contents: list[ClauseContent]  # clauses parsed once, in document order
    lookup: Lookup  # variable name → text (raises if unfilled)
    root: Path | None = None  # project root
    options: Mapping[str, Any] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()  # the check results (for a compliance appendix)


@dataclass(frozen=True)
class Renderer:
    """An output format: ``render(policy, context)`` returns the file's bytes."""

    name: str
    extension: str
    render: Callable[[ResolvedPolicy, RenderContext], bytes]
    media_type: str = "application/octet-stream"
    description: str = ""
    plugin: str = ""

"""Built-in plugin: the policy lock (canonical JSON) as an output format."""

from __future__ import annotations

from typing import Callable

from .. import hookimpl
from ..lock import policy_lock
from ..model import ResolvedPolicy
from ..render import RenderContext, Renderer


def render_lock(policy: ResolvedPolicy, context: RenderContext) -> bytes:
    """The canonical policy lock, paths relative to the project root."""
    return policy_lock(policy, root=context.root).encode("utf-8")


@hookimpl
def policystack_register_renderers(register: Callable[[Renderer], None]) -> None:
    """Register the ``json`` format (the policy lock)."""
    register(Renderer(name="json", extension="json", render=render_lock, media_type="application/json",
                      description="policy lock: canonical JSON with provenance and a content hash"))

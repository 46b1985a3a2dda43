"""policystack: build a therapy clinic's social-media and electronic-communication policy
from a base policy plus jurisdiction, profession, organization and clinic layers."""

from __future__ import annotations

import pluggy

__version__ = "0.1.0"

#: Decorate hook implementations in a plugin with ``@hookimpl``.
hookimpl = pluggy.HookimplMarker("policystack")

__all__ = ["__version__", "hookimpl"]

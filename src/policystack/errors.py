"""One exception family, so the CLI can turn any failure into one clear line."""

from __future__ import annotations

from pathlib import Path


def location_prefix(file: str | None = None, line: int | None = None, layer: str | None = None,
                    clause: str | None = None) -> str:
    """``"file:line: layer 'x', clause 'y': "`` with whatever parts are known."""
    where = (file + (f":{line}" if line else "") + ": ") if file else ""
    parts = [f"{name} '{value}'" for name, value in (("layer", layer), ("clause", clause)) if value]
    return where + ((", ".join(parts) + ": ") if parts else "")


class PolicystackError(Exception):
    """A problem the user can act on: bad input, an invalid policy, a conflict.

    ``file``, ``line``, ``layer`` and ``clause`` locate it; ``hint`` suggests a fix.
    """

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        layer: str | None = None,
        clause: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.layer = layer
        self.clause = clause
        self.hint = hint

    def located(self, *, file: str | Path | None = None, line: int | None = None,
                layer: str | None = None, clause: str | None = None) -> "PolicystackError":
        """Fill in location fields that are still unknown; return self."""
        if self.file is None and file is not None:
            self.file = str(file)
        if self.line is None:
            self.line = line
        if self.layer is None:
            self.layer = layer
        if self.clause is None:
            self.clause = clause
        return self

    def __str__(self) -> str:
        hint = f" ({self.hint})" if self.hint else ""
        return f"{location_prefix(self.file, self.line, self.layer, self.clause)}{self.message}{hint}"


class InputError(PolicystackError):
    """A file could not be read or does not have the expected shape."""


class CompositionError(PolicystackError):
    """An operation cannot be applied (missing clause, impossible move, ...)."""


class ConflictError(CompositionError):
    """Two layers of the same rank change the same clause in different ways."""


class UsageError(PolicystackError):
    """The command was called wrongly (unknown format, missing file, ...)."""

    exit_code = 2


class PluginError(PolicystackError):
    """A plugin failed to load or misbehaved inside a hook."""

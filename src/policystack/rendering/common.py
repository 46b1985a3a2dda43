"""What every document states, gathered once so the three formats agree."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ..builtins.markdown import document_facts
from ..model import ResolvedPolicy

#: Characters XML 1.0 cannot hold (C0 controls but tab, newline, carriage return; surrogates; U+FFFE/F).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Front:
    """The front matter of a document: title, clinic, contact line and facts."""

    title: str
    clinic: str
    contact: tuple[str, ...]
    facts: tuple[tuple[str, str], ...]
    language: str
    version: str
    effective: str
    signers: tuple[str, ...]


def front_of(policy: ResolvedPolicy) -> Front:
    """The front matter every format prints under the title."""
    target = policy.target
    contact = tuple(v for v in (target.address, target.phone, target.email, target.website) if v)
    return Front(title=policy.meta.title, clinic=target.name, contact=contact,
                 facts=tuple(document_facts(policy)), language=policy.meta.language or "en",
                 version=policy.meta.version, effective=policy.meta.effective,
                 signers=tuple(policy.meta.signers))


def layer_keywords(policy: ResolvedPolicy) -> str:
    """The applied layers as a keyword list (ids, in application order)."""
    return ", ".join(layer.id for layer in policy.layers)


def fixed_date(policy: ResolvedPolicy) -> date:
    """A timestamp derived from the inputs only: the effective date (or 2000-01-01)."""
    try:
        return date.fromisoformat(str(policy.meta.effective)[:10])
    except ValueError:
        return date(2000, 1, 1)


def xml_text(text: str) -> str:
    """``text`` safe for XML character data and attribute values (quotes escaped too)."""
    text = _XML_INVALID.sub("\ufffd", text)
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&apos;"))

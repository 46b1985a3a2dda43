"""Clause-level diff of two policy versions: matching, word diff and the review formats.

    from policystack.diff import diff_views
    from policystack.diff.views import view_from_lock, view_from_policy

Formats: ``render_text`` (terminal, stat, unified), ``render_html``, ``render_json``,
``redline`` (DOCX with Word tracked changes); ``network`` (impact across a roster).
"""

from __future__ import annotations

from .matching import DEFAULT_RENAME_THRESHOLD, ClauseDiff, PolicyDiff, diff_views
from .model import ClauseView, PolicyView

__all__ = ["DEFAULT_RENAME_THRESHOLD", "ClauseDiff", "ClauseView", "PolicyDiff", "PolicyView", "diff_views"]

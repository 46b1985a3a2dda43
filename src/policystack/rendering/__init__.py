"""Helpers shared by the document renderers (HTML, DOCX, PDF): facts, layout data, branding, fonts."""

"""The package's templates, loaded once per process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def template_path(name: str) -> Path:
    """The path of a template file shipped with the package."""
    return TEMPLATES / name


@lru_cache(maxsize=None)
def template_text(name: str) -> str:
    """A template file's text (read once)."""
    return template_path(name).read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def jinja_template(name: str):  # -> jinja2.Template
    """A compiled Jinja template with autoescaping on (compiled once per process)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             keep_trailing_newline=True, trim_blocks=False, lstrip_blocks=False)
    return env.get_template(name)

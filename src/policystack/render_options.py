"""Command-line options that tune the renderers (shared by ``build`` and ``batch``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import click

PAPER_SIZES = {"letter": "us-letter", "a4": "a4"}


def render_option_flags(command: Callable) -> Callable:
    """Add ``--reference-docx``, ``--paper``, ``--font-path`` and ``--strict-fonts`` to a click command."""
    flags = [
        click.option("--reference-docx", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                     help="DOCX whose styles, fonts and header to use (pandoc's reference-doc convention). "
                          "Default: reference.docx in the organization's branding folder."),
        click.option("--paper", type=click.Choice(sorted(PAPER_SIZES)),
                     help="PDF paper size. Default: letter in the US and Canada, A4 elsewhere."),
        click.option("--font-path", "font_paths", multiple=True,
                     type=click.Path(exists=True, file_okay=False, path_type=Path),
                     help="Extra folder of fonts for the PDF (repeatable)."),
        click.option("--strict-fonts", is_flag=True,
                     help="Fail when a PDF character has no font, instead of warning and listing it."),
    ]
    for flag in reversed(flags):
        command = flag(command)
    return command


def render_options(reference_docx: Path | None, paper: str | None, font_paths: tuple[Path, ...],
                   strict_fonts: bool) -> dict[str, Any]:
    """The renderer options the flags ask for (only those given)."""
    options: dict[str, Any] = {}
    if reference_docx is not None:
        options["reference_docx"] = str(reference_docx.resolve())
    if paper:
        options["paper"] = PAPER_SIZES[paper]
    if font_paths:
        options["font_paths"] = tuple(str(p.resolve()) for p in font_paths)
    if strict_fonts:
        options["strict_fonts"] = True
    return options

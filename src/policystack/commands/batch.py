"""``policystack batch``: build every clinic of a roster."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import UsageError
from ..render_options import render_option_flags, render_options


def _formats(value: str) -> list[str]:
    names = [n.strip().lower() for n in value.split(",") if n.strip()]
    if not names:
        raise UsageError("--format needs at least one format")
    return list(dict.fromkeys(names))


@click.command("batch")
@click.argument("roster", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder: OUT/<clinic-id>/<policy-id>.<ext> and OUT/manifest.json.")
@click.option("-f", "--format", "format_", default="docx,pdf,html", show_default=True,
              help="Output formats, comma-separated (see 'policystack formats').")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: one per core).")
@click.option("--force", is_flag=True, help="Rebuild every clinic, even those that are up to date.")
@click.option("--fail-fast", is_flag=True, help="Stop at the first clinic that fails.")
@click.option("--executor", metavar="dask://HOST:PORT",
              help="Run on a Dask distributed cluster (needs the 'policystack[dask]' extra).")
@click.option("--check-only", is_flag=True, help="Only validate the roster; build nothing.")
@click.option("--skip-invalid", is_flag=True,
              help="Build the valid rows even when others have problems (listed; exit status 1).")
@click.option("-q", "--quiet", is_flag=True, help="No progress display.")
@render_option_flags
@click.pass_context
def batch(ctx: click.Context, roster: Path, out: Path, format_: str, jobs: int | None, force: bool,
          fail_fast: bool, executor: str | None, check_only: bool, skip_invalid: bool, quiet: bool,
          reference_docx: Path | None, paper: str | None, font_paths: tuple[Path, ...], strict_fonts: bool) -> None:
    """Build the policy of every clinic in ROSTER (a CSV or YAML file), in parallel and incrementally.

    The whole roster is validated first; a bad row stops everything before anything is built.
    Unchanged clinics are skipped; one failing clinic does not stop the others.
    """
    from ..cli import pipeline_for
    from ..roster import RosterError, read_roster, validate_roster

    if executor and not executor.startswith("dask://"):
        raise UsageError(f"unknown executor {executor!r} (expected dask://HOST:PORT)")
    formats = _formats(format_)
    pipeline = pipeline_for(ctx, roster)
    for name in formats:
        pipeline.renderer(name)
    problems = []
    if skip_invalid:
        targets, problems = validate_roster(roster, pipeline.catalogue)
        if problems:
            click.echo(str(RosterError(str(roster), problems)).replace("nothing was built", "skipping those rows"),
                       err=True)
    else:
        targets = read_roster(roster, pipeline.catalogue)
    if check_only:
        click.echo(f"{roster}: {len(targets)} clinics, no problems")
        return
    from ..batch import run_batch

    report = run_batch(pipeline, targets, out, formats, jobs=jobs, force=force, fail_fast=fail_fast,
                       executor=executor, progress=not quiet,
                       options=render_options(reference_docx, paper, font_paths, strict_fonts))
    for clinic, error in report.failed:
        click.echo(f"failed: {clinic}: {error}", err=True)
    click.echo(report.summary())
    if report.interrupted:
        click.echo("interrupted: finished clinics are recorded in the manifest; run again to complete", err=True)
        ctx.exit(130)
    if report.stopped:
        click.echo("stopped at the first failure (--fail-fast); run again to continue", err=True)
    if report.failed or report.stopped or problems:
        ctx.exit(1)


COMMANDS = [batch]

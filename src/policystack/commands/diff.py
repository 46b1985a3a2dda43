"""``policystack diff`` (clause-level review of a policy change) and ``policystack stamp``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

FORMATS = ("terminal", "stat", "unified", "html", "json", "docx")


def _fail(ctx: click.Context, exc: BaseException) -> None:
    """Trouble exits 2 (like diff), never 1, which means 'changes found'."""
    if ctx.find_root().obj and ctx.find_root().obj.get("debug"):
        raise exc
    from ..errors import PolicystackError

    if isinstance(exc, PolicystackError):
        click.echo(f"error: {exc}", err=True)
    else:
        click.echo(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)", err=True)
    ctx.exit(2)


def _write(data: bytes | str, output: Path | None) -> None:
    from ..output import write_atomically

    raw = data.encode("utf-8") if isinstance(data, str) else data
    if output is None:
        sys.stdout.buffer.write(raw)
        sys.stdout.flush()
    else:
        write_atomically({output: raw})
        click.echo(f"wrote {output}", err=True)


@click.command("diff")
@click.argument("old", required=False, type=click.Path(path_type=Path))
@click.argument("new", required=False, type=click.Path(path_type=Path))
@click.option("--rev", "rev", metavar="A..B", help="Build the target (or roster) at two git revisions "
              "(A alone: A against the work tree).")
@click.option("--old-root", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Instead of --rev: a project folder holding the old version (e.g. an unpacked earlier "
              "release of the base or of a layer package); the current project is NEW.")
@click.option("--roster", type=click.Path(exists=True, path_type=Path),
              help="Network impact: every clinic of this roster (with --rev or --old-root). With --rev, a "
              "roster committed in the repository is read at each revision (new and removed clinics).")
@click.option("-f", "--format", "format_", type=click.Choice(FORMATS), default="terminal", show_default=True)
@click.option("--stat", is_flag=True, help="Only the summary (same as --format stat).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file (required for docx).")
@click.option("--rename-threshold", type=click.FloatRange(0.0, 1.01), default=0.8, show_default=True,
              help="How similar (0-1) a new clause must be to a removed one to count as renamed; above 1: never.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto", show_default=True)
@click.option("--context", "show_context", is_flag=True, help="Terminal: also show unchanged paragraphs.")
@click.option("--author", default="policystack", show_default=True, help="DOCX: author of the tracked changes.")
@click.option("--date", "date", metavar="YYYY-MM-DD", help="DOCX: date of the tracked changes "
              "(default: NEW's effective date).")
@click.pass_context
def diff(ctx: click.Context, old: Path | None, new: Path | None, rev: str | None, old_root: Path | None,
         roster: Path | None,
         format_: str, stat: bool, output: Path | None, rename_threshold: float, color: str,
         show_context: bool, author: str, date: str | None) -> None:
    """Show what changed between two policy versions, clause by clause.

    OLD and NEW may each be a policy lock (.json), a target (.yaml, built on the fly) or a DOCX written
    by policystack. With --rev A..B (or --old-root DIR) give one TARGET, built at both versions; with
    --roster, report the impact on every clinic. Exit status: 0 no changes, 1 changes, 2 trouble.
    """
    try:
        if old_root is not None:
            if rev is not None:
                from ..errors import UsageError

                raise UsageError("give --rev or --old-root, not both")
            rev = f"dir:{old_root}"
        changed = _run(ctx, old, new, rev, roster, "stat" if stat else format_, output, rename_threshold,
                       color, show_context, author, date)
    except click.exceptions.Exit:
        raise
    except (click.ClickException, click.Abort):
        raise
    except Exception as exc:  # noqa: BLE001 - every failure is 'trouble' (exit 2)
        _fail(ctx, exc)
        return
    ctx.exit(1 if changed else 0)


def _run(ctx: click.Context, old: Path | None, new: Path | None, rev: str | None, roster: Path | None,
         format_: str, output: Path | None, threshold: float, color: str, show_context: bool,
         author: str, date: str | None) -> bool:
    from ..errors import UsageError

    if format_ == "docx" and output is None:
        raise UsageError("--format docx needs -o FILE.docx")
    if roster is not None:
        if rev is None or old is not None:
            raise UsageError("--roster needs --rev A..B (or --old-root DIR) and no OLD/NEW")
        return _network(ctx, roster, rev, format_, output, color)
    old_side, new_side = _load_sides(ctx, old, new, rev)
    from ..diff.matching import diff_views

    result = diff_views(old_side.view, new_side.view, rename_threshold=threshold)
    stale = _stale(old_side, new_side)
    if stale:
        from dataclasses import replace

        result = replace(result, stale=tuple(stale))
    _emit(result, format_, output, color, show_context, author, date)
    return result.changed or bool(stale)


def _load_sides(ctx: click.Context, old: Path | None, new: Path | None, rev: str | None):
    import tempfile

    from ..cli import pipeline_for
    from ..errors import UsageError
    from ..diff import sources

    if rev is not None:
        if old is None or new is not None:
            raise UsageError("--rev/--old-root take one TARGET (a clinic .yaml)")
        if sources.kind_of(old) != "target":
            raise UsageError("--rev/--old-root need a target file (.yaml)")
        from ..diff.gitrev import parse_range

        pipeline = pipeline_for(ctx, old)
        root = pipeline.project.root
        target = old if old.exists() else (root / old)
        if rev.startswith("dir:"):
            from ..diff.gitrev import path_in

            folder = Path(rev[4:]).resolve()
            old_side = sources.build_target(sources.pipeline_at(folder), path_in(target, root, folder),
                                            source=f"{target} ({folder})")
            return old_side, sources.build_target(pipeline, target)
        a, b = parse_range(rev)
        work = Path(tempfile.mkdtemp(prefix="policystack-diff-"))
        ctx.call_on_close(lambda: __import__("shutil").rmtree(work, ignore_errors=True))
        old_side = sources.load_revision(target, root, a, work / "old", lambda: pipeline)
        new_side = sources.load_revision(target, root, b, work / "new", lambda: pipeline)
        return old_side, new_side
    if old is None or new is None:
        raise UsageError("give OLD and NEW, or --rev A..B TARGET")
    return (sources.load(old, lambda p: pipeline_for(ctx, p)), sources.load(new, lambda p: pipeline_for(ctx, p)))


def _stale(old_side: Any, new_side: Any) -> list:
    """Stale overrides: upstream changed under an override between OLD and NEW, or against written_against."""
    from ..stale import all_layers, find_stale, traced_upstream, upstream_changes

    found = []
    if new_side.policy is None or old_side.policy is None:  # locks: their provenance still tells
        if old_side.view.kind != "docx" and new_side.view.kind != "docx":
            found.extend(upstream_changes([(c.id, c.provenance) for c in old_side.view.clauses],
                                          [(c.id, c.provenance) for c in new_side.view.clauses]))
    if new_side.policy is not None and new_side.pipeline is not None:
        target = new_side.policy.target
        new_up = traced_upstream(new_side.pipeline, target)
        if old_side.policy is not None and old_side.pipeline is not None:
            old_up = traced_upstream(old_side.pipeline, old_side.policy.target)
            found.extend(upstream_changes(old_side.policy, new_side.policy, old_upstream=old_up,
                                          new_upstream=new_up))
        seen = {(s.clause, s.layer) for s in found}
        for item in find_stale(new_side.policy, all_layers(new_side.pipeline, target), upstream=new_up,
                               root=new_side.pipeline.project.root):
            if (item.clause, item.layer) not in seen:
                found.append(item)
    return found


def _emit(result: Any, format_: str, output: Path | None, color: str, show_context: bool, author: str,
          date: str | None) -> None:
    if format_ == "terminal":
        from ..diff.render_text import render_terminal

        use = {"always": True, "never": False}.get(color, sys.stdout.isatty() if output is None else False)
        _write(render_terminal(result, color=use, context=show_context), output)
    elif format_ == "stat":
        from ..diff.render_text import render_stat

        _write(render_stat(result), output)
    elif format_ == "unified":
        from ..diff.render_text import render_unified

        _write(render_unified(result), output)
    elif format_ == "json":
        from ..diff.render_json import render_json

        _write(render_json(result), output)
    elif format_ == "html":
        from ..diff.render_html import render_html

        _write(render_html(result), output)
    else:
        from ..diff.redline import render_redline

        _write(render_redline(result, author=author, date=date), output)


def _network(ctx: click.Context, roster: Path, rev: str, format_: str, output: Path | None, color: str) -> bool:
    import tempfile

    from ..cli import pipeline_for
    from ..diff import network
    from ..diff.gitrev import parse_range
    from ..errors import UsageError

    if format_ not in ("terminal", "stat", "json", "html"):
        raise UsageError("the network report comes as terminal, stat, json or html")
    pipeline = pipeline_for(ctx, roster)
    targets = network.read_targets(roster)
    if rev.startswith("dir:"):
        from ..diff.sources import pipeline_at

        folder = Path(rev[4:]).resolve()
        report = network.impact(pipeline_at(folder), pipeline, targets, old_label=str(folder),
                                new_label=str(pipeline.project.root))
    else:
        a, b = parse_range(rev)
        work = Path(tempfile.mkdtemp(prefix="policystack-diff-"))
        ctx.call_on_close(lambda: __import__("shutil").rmtree(work, ignore_errors=True))
        report = network.impact_at_revisions(pipeline, targets, a, b, work, roster=roster)
    if format_ == "json":
        _write(network.render_json(report), output)
    elif format_ == "html":
        _write(network.render_html(report), output)
    else:
        _write(network.render_text(report, stat=format_ == "stat"), output)
    if report.errors:
        from ..errors import PolicystackError

        first = report.errors[0]
        raise PolicystackError(f"{len(report.errors)} clinic(s) could not be composed; first: {first.id}: "
                               f"{first.error}")
    return report.changed


@click.command("stamp")
@click.argument("layer_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("target", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def stamp(ctx: click.Context, layer_file: Path, target: Path) -> None:
    """Record what each replace/amend of LAYER_FILE was written against (for TARGET's upstream text).

    Writes ``written_against: <hash>`` into the operations and saves the upstream text under
    .policystack/upstream/, so 'diff' and 'check' can flag the override when upstream changes.
    """
    from ..cli import pipeline_for
    from ..stale import stamp_layer

    pipeline = pipeline_for(ctx, target)
    stamped = stamp_layer(layer_file, pipeline, pipeline.load_target(target))
    for clause, digest in stamped:
        click.echo(f"{layer_file}: {clause} written against {digest}")
    if not stamped:
        click.echo(f"{layer_file}: no replace/amend applies to {target}", err=True)


COMMANDS = [diff, stamp]

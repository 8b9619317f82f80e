"""``fairloop report``: re-render a recorded run's governance report from the review store."""

from __future__ import annotations

from pathlib import Path

import typer

from fairloop._files import written
from fairloop.cli._common import prepare_out
from fairloop.cli._output import JsonOption, Output, QuietOption

__all__ = ["report_command"]


def report_command(
    run: str | None = typer.Option(
        None, "--run", help="Run id (see `fairloop review list`) [default: the latest run]."
    ),
    out_dir: Path = typer.Option(
        Path("report"), "--out", "-o", help="Folder to write report.html into."
    ),
    db: str | None = typer.Option(
        None,
        "--db",
        envvar="FAIRLOOP_DB",
        help="Review store [default: $FAIRLOOP_DB or fairloop.db].",
    ),
    template_dir: Path | None = typer.Option(
        None, "--template-dir", help="Folder of report templates overriding the shipped ones."
    ),
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Re-render a recorded run's report with every adjudication made since (no data needed)."""
    from fairloop._audit import rerun_from_store
    from fairloop.store import ReviewStore

    out = Output(json=as_json, quiet=quiet)
    with out.errors():
        prepare_out(out_dir)
        with out.progress(2) as step, ReviewStore(db, read_only=True) as store:
            step("rebuilding the run from the store")
            result, run_id = rerun_from_store(store, run)
            step("writing the governance report")
            path = out_dir / "report.html"
            folder = None if template_dir is None else str(template_dir)
            written(path, lambda target: result.to_html(target, store=store, run_id=run_id,
                                                        template_dir=folder))  # fmt: skip
        out.flush()
        out.echo(f"wrote {path} (run {run_id})")
        out.put(run_id=run_id, files=[str(path)])
        out.emit()
